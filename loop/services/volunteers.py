"""``Volunteers``: application, joint review, admission, teams and duty status.

The Lishu text: "在吸纳的时候，主要采取所在单位与派出所以及社区联合审核方式…对可能有
负面影响的坚决不予吸纳。对审核通过人员，由辖区派出所和社区联合制作“义警”档案，颁发
“义警”聘书，佩戴统一样式的“梨城义警”袖标，开通“幸福银行”账户。"

Each command validates its input, loads the volunteer, checks who may act,
records and saves through :meth:`LoopApplication.commit`; admission saves the
volunteer and his new Happiness Bank account together.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, NamedTuple

from aggregates.actor import Actor
from aggregates.personal import PersonalData
from aggregates.points_account import PointsAccount, account_id
from aggregates.volunteer import (
    REVIEWERS,
    STATUSES,
    Volunteer,
    volunteer_aggregate_id,
)
from loop.errors import AlreadyRegistered, InvalidInput, VolunteerNotFound
from loop.rules import inputs, masking, permissions, units
from loop.rules.access import volunteer_record
from loop.rules.counties import LISHU, CountyPreset
from loop.rules.scoring import CHINA, LISHU_SCORING, ScoringPolicy
from loop.services.audit import primitive
from loop.storage.application import LoopApplication
from loop.storage.keys import forgotten_error

VOLUNTEER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PHONE = re.compile(r"^1\d{10}$")
ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECKS = "10X98765432"


def id_check_digit(first17: str) -> str:
    """The check character of a resident ID number (GB 11643) from its first 17 digits."""
    return ID_CHECKS[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


class VolunteerAck(NamedTuple):
    volunteer_id: str
    version: int
    status: str
    position: int | None


class Admission(NamedTuple):
    volunteer_id: str
    version: int
    archive_no: str
    letter_no: str
    armband_no: str
    squad: str
    party_group: str | None
    account_id: str
    position: int | None


def _choice(field: str, value: Any, options: dict[str, str]) -> str:
    if value not in options:
        raise InvalidInput(
            f"「{field}」必须是以下之一：{'、'.join(options.values())}",
            f"'{field}' must be one of: {', '.join(options)}",
            field=field,
            allowed=list(options),
        )
    return str(value)


def _flag(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(
            f"「{field}」必须为是或否", f"'{field}' must be true or false", field=field
        )
    return value


def _matches(field: str, value: Any, pattern: re.Pattern[str], zh: str, en: str) -> str:
    if not isinstance(value, str) or not pattern.match(value.strip()):
        raise InvalidInput(f"「{field}」{zh}", f"'{field}' {en}", field=field)
    return value.strip()


def personal_details(name: Any, phone: Any, id_number: Any, address: Any) -> dict[str, str]:
    """The applicant's personal details, validated; stored together as one
    :class:`PersonalData` under the volunteer's own key."""
    number = _matches(
        "id_number", id_number, ID_NUMBER, "须为18位居民身份证号码", "must be an 18-digit ID number"
    )
    if id_check_digit(number[:17]) != number[17]:
        raise InvalidInput(
            "「id_number」校验位不正确", "'id_number' has a wrong check digit", field="id_number"
        )
    return {
        "name": inputs.text("name", name, max_len=50),
        "phone": _matches("phone", phone, PHONE, "须为11位手机号码", "must be an 11-digit mobile"),
        "id_number": number,
        "address": inputs.text("address", address, max_len=200),
    }


class Volunteers:
    """Commands on volunteers, stored in the one application store ``app``."""

    def __init__(
        self,
        app: LoopApplication,
        scoring: ScoringPolicy = LISHU_SCORING,
        county: CountyPreset = LISHU,
    ) -> None:
        self.app = app
        self.scoring = scoring
        self.county = county

    # -- reading ---------------------------------------------------------------

    def get(self, volunteer_id: str, *, reader: Actor | None = None) -> Volunteer:
        """The volunteer; :class:`VolunteerNotFound` if nobody applied under that id,
        or if ``reader`` may not read his records (the same answer)."""
        volunteer = self.app.find(volunteer_aggregate_id(str(volunteer_id)), Volunteer)
        if volunteer is None or (
            reader is not None
            and not permissions.visible(
                reader, volunteer_record(volunteer.volunteer_id, volunteer.community)
            )
        ):
            raise VolunteerNotFound(
                f"没有义警 {volunteer_id} 的档案",
                f"No volunteer {volunteer_id}",
                volunteer_id=volunteer_id,
            )
        return volunteer

    def read(self, actor: Actor, volunteer_id: str) -> Volunteer:
        """The volunteer as ``actor`` reads him: refused to a role that reads no
        volunteer's records, not found if absent or outside what he may read."""
        permissions.check_role("read_volunteer", actor)
        return self.get(volunteer_id, reader=actor)

    def view(self, viewer: Actor | None, volunteer_id: str) -> dict[str, Any]:
        """The volunteer's record as primitives, his personal details shown, masked
        (已隐藏) or erased (已删除) for ``viewer`` as ``loop.rules.masking`` says."""
        volunteer = self.get(volunteer_id)
        state = {
            k.lstrip("_"): v
            for k, v in vars(volunteer).items()
            if k not in ("_pending_events", "personal")
        }
        state.update(
            id=str(volunteer.id),
            version=volunteer.version,
            status_label=STATUSES[volunteer.status],
            personal=masking.volunteer_personal(
                viewer,
                volunteer.community,
                volunteer.personal,
                forgotten=self.app.key_store.forgotten(volunteer.volunteer_id),
            ),
        )
        return {k: primitive(v) for k, v in sorted(state.items())}

    # -- commands --------------------------------------------------------------

    def apply(
        self,
        actor: Actor,
        *,
        volunteer_id: str,
        name: str,
        phone: str,
        id_number: str,
        address: str,
        employer: str,
        occupation: str,
        party_member: bool = False,
    ) -> VolunteerAck:
        """Record an application in the actor's community. ``volunteer_id`` is the id
        the volunteer will act under (his login)."""
        vid = _matches(
            "volunteer_id",
            volunteer_id,
            VOLUNTEER_ID,
            "须为1至64位字母、数字、点、横线或下划线",
            "must be 1-64 letters, digits, dots, dashes or underscores",
        )
        details = personal_details(name, phone, id_number, address)
        checked_employer = inputs.text("employer", employer, max_len=100)
        checked_occupation = self.county.occupation(occupation)
        party = _flag("party_member", party_member)
        if not units.is_community(actor.unit):
            raise InvalidInput(
                "入队申请须由社区录入", "Applications are recorded by a community", unit=actor.unit
            )
        permissions.check("apply", actor, volunteer_record(vid, actor.unit))
        if volunteer_aggregate_id(vid) in self.app.repository:
            raise AlreadyRegistered(
                f"编号 {vid} 已有入队申请或义警档案",
                f"An application or volunteer record already exists for {vid}",
                volunteer_id=vid,
            )
        if self.app.key_store.forgotten(vid):
            raise forgotten_error(vid, field="volunteer_id")
        volunteer = Volunteer.apply_to_join(
            actor,
            self.app.clock(),
            volunteer_id=vid,
            personal=PersonalData(vid, details),
            employer=checked_employer,
            occupation=checked_occupation,
            community=actor.unit,
            party_member=party,
        )
        return self._ack(volunteer, self.app.commit(volunteer))

    def review(
        self,
        actor: Actor,
        volunteer_id: str,
        *,
        reviewer: str,
        approved: bool,
        note: str,
        criminal_record: bool = False,
    ) -> VolunteerAck:
        """Record one party's finding in the joint review (employer: conduct at work;
        station: criminal history; community: family and standing). A criminal
        record or a negative finding rejects the application with its reason."""
        party = _choice("reviewer", reviewer, REVIEWERS)
        ok = _flag("approved", approved)
        record = _flag("criminal_record", criminal_record)
        checked_note = inputs.prose("note", note, max_len=500)
        volunteer = self._acted_on(f"review_{party}", actor, volunteer_id)
        volunteer.review(
            actor,
            self.app.clock(),
            reviewer=party,
            approved=ok,
            criminal_record=record,
            note=checked_note,
        )
        return self._ack(volunteer, self.app.commit(volunteer))

    def admit(self, actor: Actor, volunteer_id: str, *, armband_no: str | None = None) -> Admission:
        """Admit after the joint review: issue the archive number, the appointment
        letter number and the armband (its number given, or issued here), place
        him in his occupation's squad (and its party group if a party member), and
        open his Happiness Bank account, all in one save."""
        band = None if armband_no is None else inputs.text("armband_no", armband_no, max_len=30)
        volunteer = self._acted_on("admit", actor, volunteer_id)
        at = self.app.clock()
        archive_no, letter_no, issued_band = self._numbers(volunteer, at)
        volunteer.admit(
            actor, at, archive_no=archive_no, letter_no=letter_no, armband_no=band or issued_band
        )
        if account_id(volunteer.volunteer_id) in self.app.repository:
            raise AlreadyRegistered(
                "该义警的幸福银行账户已存在",
                "A Happiness Bank account already exists for this volunteer",
                volunteer_id=volunteer.volunteer_id,
            )
        account = PointsAccount.open(
            actor,
            at,
            volunteer_id=volunteer.volunteer_id,
            community=volunteer.community,
            base_points=self.scoring.base_points,
        )
        account.restar(actor, at, self.scoring.star_level(account.score))
        position = self.app.commit(volunteer, account)
        assert volunteer.squad is not None
        assert volunteer.armband_no is not None
        return Admission(
            volunteer.volunteer_id,
            volunteer.version,
            archive_no,
            letter_no,
            volunteer.armband_no,
            volunteer.squad,
            volunteer.party_group,
            str(account.id),
            position,
        )

    def join_team(self, actor: Actor, volunteer_id: str, *, team: str) -> VolunteerAck:
        """Enrol a serving volunteer in a specialty team (rescue, women's, youth,
        mediation, veterans, watchers)."""
        checked = self.county.team(team)
        volunteer = self._acted_on("join_team", actor, volunteer_id)
        volunteer.join_team(actor, self.app.clock(), checked)
        return self._ack(volunteer, self.app.commit(volunteer))

    def change_status(
        self, actor: Actor, volunteer_id: str, *, status: str, reason: str
    ) -> VolunteerAck:
        """Active, flexible duty (older or unwell volunteers, Fuping's 弹性工作制),
        suspended, or retired, with the reason."""
        checked = _choice("status", status, {k: STATUSES[k] for k in STATUSES if k != "applied"})
        checked_reason = inputs.prose("reason", reason, max_len=500)
        volunteer = self._acted_on("change_status", actor, volunteer_id)
        volunteer.change_status(actor, self.app.clock(), checked, checked_reason)
        return self._ack(volunteer, self.app.commit(volunteer))

    # -- helpers ----------------------------------------------------------------

    def _acted_on(self, command: str, actor: Actor, volunteer_id: str) -> Volunteer:
        """The volunteer ``command`` acts on, once ``actor`` may take it on him: a
        role that never may is refused first, a volunteer he may not read is not
        found (``loop.rules.permissions``)."""
        permissions.check_role(command, actor)
        volunteer = self.get(volunteer_id, reader=actor)
        permissions.check(
            command, actor, volunteer_record(volunteer.volunteer_id, volunteer.community)
        )
        return volunteer

    @staticmethod
    def _numbers(volunteer: Volunteer, at: datetime) -> tuple[str, str, str]:
        """Archive, appointment letter and armband numbers, unique per volunteer."""
        key = volunteer.id.hex[:8].upper()
        day = at.astimezone(CHINA)
        return f"YJDA-{day:%Y%m%d}-{key}", f"YJPS-{day:%Y}-{key}", f"YJXB-{key}"

    @staticmethod
    def _ack(volunteer: Volunteer, position: int | None) -> VolunteerAck:
        return VolunteerAck(volunteer.volunteer_id, volunteer.version, volunteer.status, position)
