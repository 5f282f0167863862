"""The Volunteer aggregate: application, joint review, admission, squads, duty status.

Personal details (name, phone, ID number, address) travel together as one
:class:`PersonalData` value on :class:`Volunteer.Applied`, whose subject is the
volunteer's id: ``loop/`` stores it encrypted under that volunteer's own key,
so forgetting him leaves it shown as 已删除. Input is validated by
``loop.services.volunteers`` before a method here is called; the aggregate enforces the
order of the procedure.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor
from aggregates.errors import AdmissionRefused
from aggregates.personal import PersonalData

# The joint review: the volunteer's employer, the police station and the community.
REVIEWERS = {"employer": "所在单位", "station": "派出所", "community": "社区"}

# The seven occupations of the Lishu text; each is also the volunteer's squad.
OCCUPATIONS = {
    "delivery_rider": "外卖员",
    "courier": "快递员",
    "meter_reader": "抄表员",
    "taxi_driver": "出租车司机",
    "sanitation_worker": "环卫工人",
    "city_management": "城管",
    "resident_volunteer": "群众志愿者",
}

# The specialty teams of the Gucheng text.
TEAMS = {
    "rescue": "救援义警队",
    "women": "巾帼义警队",
    "youth": "青年义警队",
    "mediation": "义警调解室",
    "veterans": "老兵义警队",
    "watchers": "守望员义警队",
}

STATUSES = {
    "applied": "申请审核中",
    "rejected": "不予吸纳",
    "active": "在岗",
    "flexible": "弹性工作",
    "suspended": "暂停工作",
    "retired": "已退出",
}
SERVING = ("active", "flexible", "suspended")
ON_DUTY = ("active", "flexible")


def legacy_personal(volunteer_id: str, personal: Any) -> Any:
    """Details stored as a plain mapping (class version 1), as PersonalData."""
    if isinstance(personal, Mapping):
        return PersonalData(volunteer_id, {str(k): str(v) for k, v in personal.items()})
    return personal


def volunteer_aggregate_id(volunteer_id: str) -> UUID:
    """Volunteers are known by their account id; the aggregate id follows from it."""
    return uuid5(NAMESPACE_URL, f"lishu:volunteer:{volunteer_id}")


class Volunteer(Aggregate):
    """A person applying to serve as a volunteer (义警), then serving."""

    class_version = 2  # v2: the personal details are PersonalData (encrypted at rest)

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A snapshot taken when the details were a plain mapping holds them as
        the volunteer's PersonalData."""
        state["personal"] = legacy_personal(state["volunteer_id"], state["personal"])

    class Event(Aggregate.Event):
        actor: Actor

    class Applied(Event, Aggregate.Created):
        """v2: ``personal`` is the volunteer's :class:`PersonalData` (name, phone,
        id_number, address), its subject the volunteer id."""

        class_version = 2

        volunteer_id: str
        personal: PersonalData
        employer: str
        occupation: str
        community: str
        party_member: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Applications recorded when the details were a plain mapping."""
            state["personal"] = legacy_personal(state["volunteer_id"], state["personal"])

    class Reviewed(Event):
        reviewer: str  # employer | station | community
        approved: bool
        criminal_record: bool
        note: str

        def apply(self, aggregate: Any) -> None:
            aggregate.reviews[self.reviewer] = {
                "approved": self.approved,
                "criminal_record": self.criminal_record,
                "note": self.note,
                "by": self.actor.id,
            }

    class Rejected(Event):
        reviewer: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "rejected"
            aggregate.rejection_reason = self.reason

    class Admitted(Event):
        archive_no: str
        letter_no: str
        armband_no: str
        squad: str
        party_group: str | None  # the squad's party group, for party members

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "active"
            aggregate.archive_no = self.archive_no
            aggregate.letter_no = self.letter_no
            aggregate.armband_no = self.armband_no
            aggregate.squad = self.squad
            aggregate.party_group = self.party_group

    class JoinedTeam(Event):
        team: str

        def apply(self, aggregate: Any) -> None:
            aggregate.teams.append(self.team)

    class StatusChanged(Event):
        status: str
        previous: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = self.status

    class HonourAwarded(Event):
        honour: str
        period: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.honours.append({"honour": self.honour, "period": self.period})

    def __init__(
        self,
        actor: Actor,  # noqa: ARG002 (every Created field is passed; the event keeps it)
        volunteer_id: str,
        personal: PersonalData,
        employer: str,
        occupation: str,
        community: str,
        party_member: bool,
    ) -> None:
        self.volunteer_id = volunteer_id
        self.personal = personal
        self.employer = employer
        self.occupation = occupation
        self.community = community
        self.party_member = party_member
        self.status = "applied"
        self.reviews: dict[str, dict[str, Any]] = {}
        self.rejection_reason: str | None = None
        self.archive_no: str | None = None
        self.letter_no: str | None = None
        self.armband_no: str | None = None
        self.squad: str | None = None
        self.party_group: str | None = None
        self.teams: list[str] = []
        self.honours: list[dict[str, str]] = []

    @classmethod
    def apply_to_join(
        cls,
        actor: Actor,
        at: datetime,
        *,
        volunteer_id: str,
        personal: PersonalData | Mapping[str, str],
        employer: str,
        occupation: str,
        community: str,
        party_member: bool,
    ) -> Volunteer:
        """``personal`` is the volunteer's own data: a mapping becomes his
        :class:`PersonalData`; a value naming another subject is refused."""
        if not isinstance(personal, PersonalData):
            personal = PersonalData(volunteer_id, personal)
        if personal.subject_id != volunteer_id:
            raise ValueError("a volunteer's personal data has the volunteer as its subject")
        return cls._create(
            cls.Applied,
            id=volunteer_aggregate_id(volunteer_id),
            timestamp=at,
            actor=actor,
            volunteer_id=volunteer_id,
            personal=personal,
            employer=employer,
            occupation=occupation,
            community=community,
            party_member=party_member,
        )

    def review(
        self,
        actor: Actor,
        at: datetime,
        *,
        reviewer: str,
        approved: bool,
        criminal_record: bool,
        note: str,
    ) -> None:
        """One of the joint reviewers records its finding. A criminal record or a
        negative finding rejects the application at once, with the reason."""
        self._check_status("applied")
        if reviewer in self.reviews:
            raise AdmissionRefused(
                f"{REVIEWERS[reviewer]}已审核，不能重复审核",
                f"The {reviewer} has already reviewed this application",
                reviewer=reviewer,
            )
        self.trigger_event(
            self.Reviewed,
            actor=actor,
            timestamp=at,
            reviewer=reviewer,
            approved=approved,
            criminal_record=criminal_record,
            note=note,
        )
        if criminal_record or not approved:
            reason = (
                f"{REVIEWERS[reviewer]}审核发现有前科劣迹：{note}"
                if criminal_record
                else f"{REVIEWERS[reviewer]}审核未通过：{note}"
            )
            self.trigger_event(
                self.Rejected, actor=actor, timestamp=at, reviewer=reviewer, reason=reason
            )

    def admit(
        self, actor: Actor, at: datetime, *, archive_no: str, letter_no: str, armband_no: str
    ) -> None:
        """Admit after all three reviews passed: archive, appointment letter, armband."""
        self._check_status("applied")
        missing = [r for r in REVIEWERS if r not in self.reviews]
        if missing:
            raise AdmissionRefused(
                "所在单位、派出所、社区联合审核尚未完成，待审核："
                + "、".join(REVIEWERS[r] for r in missing),
                "The joint review is not complete; missing: " + ", ".join(missing),
                missing=missing,
            )
        self.trigger_event(
            self.Admitted,
            actor=actor,
            timestamp=at,
            archive_no=archive_no,
            letter_no=letter_no,
            armband_no=armband_no,
            squad=self.occupation,
            party_group=self.occupation if self.party_member else None,
        )

    def join_team(self, actor: Actor, at: datetime, team: str) -> None:
        self._check_status(*ON_DUTY)
        if team in self.teams:
            raise AdmissionRefused(
                f"已是{TEAMS.get(team, team)}队员", f"Already a member of {team}", team=team
            )
        self.trigger_event(self.JoinedTeam, actor=actor, timestamp=at, team=team)

    def change_status(self, actor: Actor, at: datetime, status: str, reason: str) -> None:
        """Active, flexible duty (older or unwell volunteers), suspended, or retired
        (final)."""
        self._check_status(*SERVING)
        if status not in (*SERVING, "retired"):
            raise AdmissionRefused(
                f"不能将义警状态改为「{STATUSES.get(status, status)}」",
                f"A serving volunteer cannot become {status}",
                status=status,
            )
        if status == self.status:
            raise AdmissionRefused(
                f"义警已是「{STATUSES[status]}」状态", f"The volunteer is already {status}"
            )
        self.trigger_event(
            self.StatusChanged,
            actor=actor,
            timestamp=at,
            status=status,
            previous=self.status,
            reason=reason,
        )

    def award(self, actor: Actor, at: datetime, honour: str, period: str, reason: str) -> None:
        self._check_status(*SERVING, "retired")
        if {"honour": honour, "period": period} in self.honours:
            raise AdmissionRefused(
                f"「{honour}」（{period}）已授予该义警",
                f"'{honour}' was already awarded to this volunteer for {period}",
                honour=honour,
                period=period,
            )
        self.trigger_event(
            self.HonourAwarded,
            actor=actor,
            timestamp=at,
            honour=honour,
            period=period,
            reason=reason,
        )

    def _check_status(self, *allowed: str) -> None:
        if self.status not in allowed:
            raise AdmissionRefused(
                f"义警当前状态为「{STATUSES[self.status]}」，不能办理此事项",
                f"Not possible while the volunteer is {self.status}",
                status=self.status,
                allowed=list(allowed),
            )
