"""What the steps record beyond their input, the rules across their input, and
how their events are told: the parts the step table (``loop.rules.steps``) names.

Facts are computed from the step being taken (:class:`Taken`); a sentence is
``(zh, en)`` told of the stored event, after its actor's role and id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from aggregates.actor import Actor
from aggregates.incident import Incident, Route
from loop.errors import InvalidInput
from loop.rules import units
from loop.rules.policy import STAGE_OWNERS
from loop.rules.vocabulary import Channel, OutcomeSource, RejectionKind, Role, Tier, Urgency, label


@dataclass(frozen=True)
class Taken:
    """A step being taken: on which incident, by whom, when, where it leads, and
    its checked input."""

    incident: Incident
    actor: Actor
    at: datetime
    route: Route
    given: dict[str, Any]


# -- rules across a step's input -----------------------------------------------------------


def no_check(_actor: Actor, _incident_id: UUID | None, _given: dict[str, Any]) -> None:
    return None


def check_report(actor: Actor, _incident_id: UUID | None, given: dict[str, Any]) -> None:
    """Urgent matters come by phone, and the phone is the community police office's."""
    if given["channel"] is Channel.APP and given["urgency"] is Urgency.URGENT:
        raise InvalidInput(
            "正在发生、急需处置的警情须电话反馈到社区警务室民辅警",
            "Urgent, ongoing matters are reported by phone to the community police office",
            field="channel",
        )
    if (given["channel"] is Channel.PHONE) != (
        actor.role in (Role.COMMUNITY_OFFICER, Role.AUXILIARY)
    ):
        raise InvalidInput(
            "电话反馈由社区警务室民辅警代为录入；义警本人通过APP录入",
            "Phone reports are logged by the community police office; volunteers use the app",
            field="channel",
        )


def check_rejection(_actor: Actor, incident_id: UUID | None, given: dict[str, Any]) -> None:
    """A duplicate or a merger names the other incident (not itself); an unfounded
    report names none (a related id given with it is not kept)."""
    if given["kind"] is RejectionKind.UNFOUNDED:
        given["related_id"] = None
        return
    if given["related_id"] is None:
        raise InvalidInput(
            "重复或合并须指明对应警情", "name the related incident", field="related_id"
        )
    if given["related_id"] == incident_id:
        raise InvalidInput(
            "不能与自身重复或合并", "an incident cannot duplicate itself", field="related_id"
        )


# -- facts an event records beside the step's input ----------------------------------------


def no_facts(_taken: Taken) -> dict[str, Any]:
    return {}


def tier(stage: str) -> str:
    """The tier (community, station, county) that owns an incident in ``stage``."""
    return STAGE_OWNERS[stage][0]


def accepting_tier(t: Taken) -> dict[str, Any]:
    return {"tier": tier(t.route.stage)}


def tiers(t: Taken) -> dict[str, Any]:
    """From which tier to which an escalation or a return moves the incident."""
    return {"from_tier": tier(t.incident.stage), "to_tier": tier(t.route.stage)}


def after_arrival(t: Taken) -> dict[str, Any]:
    """A diversion once the community officer went to see it, or at triage."""
    return {"after_arrival": t.incident.stage == "handling_community"}


def received(t: Taken) -> dict[str, Any]:
    """A handover received when it is recorded, unless a time was given."""
    return {"received_at": t.given["received_at"] or t.at}


OUTCOME_SOURCES = {
    "handling_community": OutcomeSource.HANDLED_LOCALLY,
    "handling_station": OutcomeSource.STATION,
    "handling_county": OutcomeSource.COUNTY,
    "handed_over": OutcomeSource.DEPARTMENT,
}


def outcome_source(t: Taken) -> dict[str, Any]:
    """Handled locally, or obtained from the station, the county or the department."""
    source = OUTCOME_SOURCES[t.incident.stage]
    handover = t.incident.handover
    if handover and source is OutcomeSource.DEPARTMENT:
        return {"source": source, "obtained_from": handover["department"]}
    return {
        "source": source,
        "obtained_from": units.ancestor(t.incident.community, tier(t.incident.stage)),
    }


def self_handled(t: Taken) -> dict[str, Any]:
    """The volunteer's own handling on site is the outcome, confirmed by the officer."""
    return {"source": OutcomeSource.SELF_HANDLED, "obtained_from": t.incident.community}


def score_total(t: Taken) -> dict[str, Any]:
    return {"points": sum(i["points"] for i in t.given["items"])}


def signer(t: Taken) -> dict[str, Any]:
    """The role the actor signs in; the co-signature rules refuse the others."""
    return {"signer_role": t.incident.check_can_sign(t.actor)}


def effective_score(t: Taken) -> dict[str, Any]:
    return {"points": t.incident.score["points"]}


# -- how each step's event is told ----------------------------------------------------------

SIGNER_LABELS = {
    "director": ("社区主任", "community director"),
    "officer": ("社区民警", "community officer"),
}


def told_reported(e: Any) -> tuple[str, str]:
    zh = f"以{label(e.channel)}方式反馈{label(e.urgency)}警情"
    en = f"reported it by {e.channel} ({e.urgency})"
    if e.self_handled_note:
        zh += f"，已现场自行处置：{e.self_handled_note}"
        en += f", handled on site: {e.self_handled_note}"
    return zh, en


def told_accepted(e: Any) -> tuple[str, str]:
    return f"受理，由{label(e.tier, Tier)}处置", f"accepted it for handling at {e.tier} level"


def told_escalated(e: Any) -> tuple[str, str]:
    return (
        f"将警情由{label(e.from_tier, Tier)}提格上交{label(e.to_tier, Tier)}，理由：{e.reason}",
        f"escalated it from {e.from_tier} to {e.to_tier}: {e.reason}",
    )


def told_returned(e: Any) -> tuple[str, str]:
    return (
        f"将警情由{label(e.from_tier, Tier)}退回{label(e.to_tier, Tier)}，理由：{e.reason}",
        f"returned it from {e.from_tier} to {e.to_tier}: {e.reason}",
    )


def told_diverted(e: Any) -> tuple[str, str]:
    return (
        ("到场调查后" if e.after_arrival else "") + f"认定非公安机关管辖，分流回社区：{e.reason}",
        ("after arriving, " if e.after_arrival else "")
        + f"found it outside police jurisdiction and diverted it to the community: {e.reason}",
    )


def told_handed_over(e: Any) -> tuple[str, str]:
    return (
        f"将警情移交{e.department}，接收人：{e.received_by}，"
        f"接收时间：{e.received_at:%Y-%m-%d %H:%M}",
        f"handed it over to {e.department}, received by {e.received_by} "
        f"at {e.received_at:%Y-%m-%d %H:%M}",
    )


def told_chased(e: Any) -> tuple[str, str]:
    return (
        f"向{e.asked}索要落办结果，答复：{e.answer}",
        f"chased {e.asked} for the outcome; answer: {e.answer}",
    )


def told_outcome(e: Any) -> tuple[str, str]:
    return (
        f"录入落办结果（{label(e.source, OutcomeSource)}）：{e.summary}",
        f"recorded the outcome ({e.source}): {e.summary}",
    )


def told_proposed(e: Any) -> tuple[str, str]:
    return (
        f"考评打分{e.points}分，依据：{e.basis}",
        f"proposed a score of {e.points} points: {e.basis}",
    )


def told_signed(e: Any) -> tuple[str, str]:
    zh_role, en_role = SIGNER_LABELS[e.signer_role]
    effective = e.stage == "scored"
    return (
        f"以{zh_role}身份签字" + ("，考评结果生效" if effective else ""),
        f"signed as {en_role}" + (", the score takes effect" if effective else ""),
    )


def told_rewarded(e: Any) -> tuple[str, str]:
    if e.credited == e.points:
        return (
            f"兑现奖励，{e.points}积分存入幸福银行",
            f"credited {e.points} points to the Happiness Bank",
        )
    return (
        f"兑现奖励，考评{e.points}分，因本期积分已达上限，{e.credited}积分存入幸福银行",
        f"rewarded a score of {e.points}; the period's cap let {e.credited} points be credited",
    )


def told_publicized(e: Any) -> tuple[str, str]:
    return f"作为典型事例宣传：《{e.title}》", f'featured it as a typical case: "{e.title}"'


def told_closed(e: Any) -> tuple[str, str]:
    return (
        "办结警情" + (f"：{e.note}" if e.note else ""),
        "closed the incident" + (f": {e.note}" if e.note else ""),
    )


def told_rejected(e: Any) -> tuple[str, str]:
    return f"驳回警情（{label(e.kind)}）：{e.reason}", f"rejected it ({e.kind}): {e.reason}"
