"""``TalkSpeakers``: the 宣讲队's members who are not volunteers, and who may speak.

Ping'an: "遴选……民辅警、村警、义警、行业从业人员、志愿者33名，组成'枫'警宣讲队，同时选聘
7名宣讲队成员兼任学校法治副校长". A speaker is named by a reference: a volunteer by
his volunteer id (he speaks through his roster and earns hours and points, the
tasks' path); a police officer by ``staff:<username>`` (his account holds a police
role within the station's area); an outside speaker (a teacher, a lawyer) by
``outside:<id>``, registered by the station with his name kept encrypted. Staff
and outside speakers are registered (:class:`TalkSpeaker`), may be marked the
法治副校长 of a school, and keep their own bookings; they earn no points.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, NamedTuple

from aggregates.account import Account, login_id
from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.talk_errors import SpeakerRetired, SpeakerUnknown, TalkRefused
from aggregates.talk_speaker import KINDS, TalkSpeaker, speaker_id
from loop.errors import InvalidInput
from loop.rules import inputs, permissions, units
from loop.rules.talk_access import menu_record
from loop.rules.vocabulary import Role
from loop.services.personal import person
from loop.services.tasks import Tasks
from loop.storage.application import LoopApplication

POLICE = {
    Role.AUXILIARY.value,
    Role.COMMUNITY_OFFICER.value,
    Role.STATION_OFFICER.value,
    Role.COUNTY_OFFICER.value,
    Role.PUBLICITY_OFFICER.value,
}
"""The roles of an account that may speak as police (民辅警、村警)."""


class SpeakerAck(NamedTuple):
    speaker: str
    version: int
    position: int | None


def is_registered(ref: str) -> bool:
    """Whether ``ref`` names a registered (staff or outside) speaker, not a volunteer."""
    return ref.startswith(("staff:", "outside:"))


def unknown(ref: str) -> SpeakerUnknown:
    return SpeakerUnknown("没有这位宣讲人", "No such speaker", speaker=ref[:100])


class TalkSpeakers:
    """Registering speakers and checking who may speak, over the one store."""

    def __init__(self, app: LoopApplication, tasks: Tasks) -> None:
        self.app = app
        self.tasks = tasks

    def find(self, ref: str) -> TalkSpeaker | None:
        return self.app.find(speaker_id(ref), TalkSpeaker) if is_registered(ref) else None

    def register(
        self,
        actor: Actor,
        *,
        kind: Any,
        account: Any = None,
        name: Any = None,
        organisation: Any = None,
        vice_principal_of: Any = None,
        unit: str | None = None,
    ) -> SpeakerAck:
        """Register a police officer (his ``account``) or an outside speaker (``name``
        and ``organisation``) as a speaker of ``unit``'s 宣讲队 (the actor's own by
        default); ``vice_principal_of``: the school he serves as 法治副校长."""
        where = unit or actor.unit
        if kind not in KINDS:
            raise InvalidInput(
                "宣讲人类别须为民警（staff）或外聘（outside）", "A speaker is staff or outside",
                field="kind",
            )  # fmt: skip
        school = (
            None
            if vice_principal_of in (None, "")
            else inputs.text("vice_principal_of", vice_principal_of, max_len=100)
        )
        permissions.check("keep_talk_menu", actor, menu_record(where))
        details: dict[str, Any]
        if kind == "staff":
            username = inputs.text("account", account, max_len=100)
            held = self.app.find(login_id(username), Account)
            if held is None:
                raise unknown(f"staff:{username}")
            self.check_staff(held, f"staff:{username}", where)
            details = {"ref": f"staff:{username}", "organisation": held.unit, "person": None}
        else:
            details = {
                "ref": f"outside:{secrets.token_hex(6)}",
                "organisation": inputs.text("organisation", organisation, max_len=100),
                "person": person("name", {"name": name}, self.app.key_store),
            }
        if speaker_id(details["ref"]) in self.app.repository:
            raise TalkRefused(
                "该宣讲人已登记", "The speaker is registered already", speaker=details["ref"]
            )
        speaker = TalkSpeaker.register(
            actor, self.app.clock(), kind=kind, unit=where, vice_principal_of=school, **details
        )
        return SpeakerAck(speaker.ref, speaker.version, self.app.commit(speaker))

    def retire(self, actor: Actor, ref: Any, *, reason: Any) -> SpeakerAck:
        why = inputs.prose("reason", reason, max_len=500)
        speaker = self.find(str(ref))
        if speaker is None or not permissions.may(
            "keep_talk_menu", actor, menu_record(speaker.unit)
        ):
            raise unknown(str(ref))
        speaker.retire(actor, self.app.clock(), reason=why)
        return SpeakerAck(speaker.ref, speaker.version, self.app.commit(speaker))

    # -- who may speak -------------------------------------------------------------------

    def check_staff(self, account: Account, ref: str, unit: str) -> None:
        if account.disabled or account.role not in POLICE:
            raise SpeakerRetired(
                "该民警账号已停用或未任警务角色",
                "The officer's account is disabled or holds no police role",
                speaker=ref,
            )  # fmt: skip
        if not units.within(str(account.unit), unit) and not units.within(unit, str(account.unit)):
            raise unknown(ref)

    def check(self, ref: str, unit: str) -> TalkSpeaker | None:
        """Refuses a speaker ``unit`` may not name (unknown, retired, disabled, a
        volunteer not serving there); returns his registration, None for a volunteer."""
        if not is_registered(ref):
            try:
                volunteer = self.tasks.volunteers.get(ref)
            except DomainError:
                raise unknown(ref) from None
            if volunteer.status not in ("active", "flexible"):
                raise SpeakerRetired(
                    "该义警不在岗", "The volunteer is not serving", speaker=ref
                )  # fmt: skip
            if not units.within(volunteer.community, unit):
                raise InvalidInput(
                    "宣讲人须为本辖区在岗义警", "A speaker is a serving volunteer of the unit",
                    field="speakers", speaker=ref,
                )  # fmt: skip
            return None
        speaker = self.find(ref)
        if speaker is None or not (
            units.within(speaker.unit, unit) or units.within(unit, speaker.unit)
        ):
            raise unknown(ref)
        speaker.check_active()
        if speaker.kind == "staff":
            account = self.app.find(login_id(ref.removeprefix("staff:")), Account)
            if account is None:
                raise unknown(ref)
            self.check_staff(account, ref, unit)
        return speaker

    def pool(self, pool: list[str], orderer_kind: str, school: list[str]) -> list[dict[str, Any]]:
        """The talk's pool as the schedule form offers it: for a school's order
        (``school``: the orderer's name and place as given), the speakers who serve
        that school as 法治副校长 first, marked ``suggested``; then the rest as the
        menu lists them."""
        shown = [self.shown(ref) for ref in pool]
        for speaker in shown:
            named = speaker.get("vice_principal_of")
            speaker["suggested"] = bool(
                orderer_kind == "school" and named and any(named in text for text in school)
            )
        return sorted(shown, key=lambda speaker: not speaker["suggested"])

    def shown(self, ref: str) -> dict[str, Any]:
        """A speaker as the station sees him: kind, name, organisation, school."""
        found = self.find(ref)
        if found is None:
            return {"speaker": ref, "kind": "volunteer", "kind_zh": "义警"}
        name = (
            found.person.shown()["fields"].get("name")
            if found.person is not None
            else ref.removeprefix("staff:")
        )
        return {
            "speaker": ref,
            "kind": found.kind,
            "kind_zh": KINDS[found.kind],
            "name": name,
            "organisation": found.organisation,
            "vice_principal_of": found.vice_principal_of,
            "active": found.active,
        }

    def released(
        self, refs: list[str], order_id: str, actor: Actor, at: datetime, reason: str
    ) -> list[Any]:
        """Free the registered speakers' bookings on a talk (not yet saved);
        ``reason``: rescheduled or cancelled."""
        changed = []
        for ref in refs:
            speaker = self.find(ref)
            if speaker is not None and order_id in speaker.bookings:
                speaker.release(actor, at, order_id=order_id, reason=reason)
                changed.append(speaker)
        return changed
