"""The steps of the loop, each declared once.

A step's entry names it (the one name it has in code, in the policy table, in
``allowed_steps`` and the diagram), labels it in zh-CN and English, places it
under one of the eight regulations, says where it is sent over HTTP, which
input it asks for, which stages it moves an incident between (``moves``, the
``transitions`` declaration of ``loop.rules.stages``), which event it records
with which facts, and how that event is told (``loop.rules.recording``). The
service's commands, the API's routes and bodies, the console's forms and
labels, the narration and the tests' step input are all read from this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from aggregates.actor import Actor
from aggregates.incident import Incident
from loop.rules import recording as r
from loop.rules.fields import Field, Kind
from loop.rules.recording import Taken
from loop.rules.vocabulary import Channel, RejectionKind, Urgency


@dataclass(frozen=True)
class Move:
    """Stages a step leads from, the stage it leads to (None: it stays), and the
    conditions (``loop.rules.stages.CONDITIONS``) that must hold, or must not."""

    sources: tuple[str, ...]
    dest: str | None
    conditions: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    name: str
    label: tuple[str, str]
    """(zh, en)"""
    regulation: str
    """The key of the regulation it belongs to (``loop.rules.stages.REGULATIONS``)."""
    path: str
    """Its path under ``/api/incidents/{incident_id}/``."""
    summary: str
    """The API operation's summary, zh-CN / English."""
    moves: tuple[Move, ...]
    event: type[Incident.Stepped]
    """The event it records: its checked input, its facts and its effect's facts."""
    narrate: Callable[[Any], tuple[str, str]]
    """How the event is told, ``(zh, en)``."""
    fields: tuple[Field, ...] = ()
    facts: Callable[[Taken], dict[str, Any]] = r.no_facts
    """What the event records beside the input: facts of the incident and route."""
    check: Callable[[Actor, UUID | None, dict[str, Any]], None] = r.no_check
    """A rule across the input's fields (and the actor), checked with the input."""
    weight: Literal["main", "aside", "refusal"] = "main"
    """``main`` moves the incident on along the loop; ``aside`` passes it up, down
    or across, or chases it; ``refusal`` ends it without an outcome."""

    @property
    def zh(self) -> str:
        return self.label[0]

    @property
    def en(self) -> str:
        return self.label[1]


# -- the fields several steps share ------------------------------------------------------

REASON = Field("reason", Kind.PROSE, ("理由", "Reason"), max_len=2000)
SUMMARY = Field("summary", Kind.PROSE, ("处置情况", "Summary"), max_len=2000)
REPORT_FIELDS = (
    Field("channel", Kind.CHOICE, ("反馈方式", "Channel"), vocabulary=Channel),
    Field(
        "urgency",
        Kind.CHOICE,
        ("紧急程度", "Urgency"),
        required=False,
        default=Urgency.GENERAL,
        vocabulary=Urgency,
    ),
    Field(
        "self_handled_note",
        Kind.PROSE,
        ("已现场自行处置的，请说明（可选）", "If you handled it on site, say how (optional)"),
        max_len=2000,
        required=False,
    ),
)
"""What feeding a discovery back says; a new report (discover and feed back) too."""

# -- the table ---------------------------------------------------------------------------

HANDLING = ("handling_community", "handling_station", "handling_county")
CHASED = ("escalated_to_station", "handling_station", "escalated_to_county", "handling_county")
REWARDED_STAGES = ("rewarded", "publicized", "closed")

STEPS: dict[str, Step] = {
    s.name: s
    for s in (
        Step(
            "report",
            ("反馈警情", "Report"),
            "feed_back",
            "report",
            "反馈警情 / feed a recorded discovery back to the community police office",
            (Move(("discovered",), "reported"),),
            Incident.Reported,
            r.told_reported,
            REPORT_FIELDS,
            check=r.check_report,
        ),
        Step(
            "accept",
            ("受理处置", "Accept"),
            "handle",
            "accept",
            "受理处置（社区、派出所或县局）/ the owning tier accepts the incident",
            (
                Move(("reported",), "handling_community"),
                Move(("escalated_to_station",), "handling_station"),
                Move(("escalated_to_county",), "handling_county"),
            ),
            Incident.AcceptedForHandling,
            r.told_accepted,
            facts=r.accepting_tier,
        ),
        Step(
            "escalate",
            ("提格上交", "Escalate"),
            "handle",
            "escalate",
            "提级处置：社区→派出所→县局 / escalate to the station, or on to the county",
            (
                Move(("reported", "handling_community"), "escalated_to_station"),
                Move(("handling_station",), "escalated_to_county"),
            ),
            Incident.Escalated,
            r.told_escalated,
            (REASON,),
            facts=r.tiers,
            weight="aside",
        ),
        Step(
            "return",
            ("退回", "Return"),
            "handle",
            "return",
            "退回下一级并说明理由 / send it back down one tier with a reason",
            (
                Move(("escalated_to_station", "handling_station"), "handling_community"),
                Move(("escalated_to_county", "handling_county"), "handling_station"),
            ),
            Incident.Returned,
            r.told_returned,
            (REASON,),
            facts=r.tiers,
            weight="aside",
        ),
        Step(
            "divert",
            ("分流", "Divert"),
            "divert",
            "divert",
            "分流：非警务事项退回社区 / not police jurisdiction: back to the community",
            (Move(("reported", "handling_community"), "diverted"),),
            Incident.Diverted,
            r.told_diverted,
            (REASON,),
            facts=r.after_arrival,
            weight="aside",
        ),
        Step(
            "hand_over",
            ("移交部门", "Hand over"),
            "divert",
            "hand-over",
            "移交职能部门并记录交接 / hand over to a department, recording the handover",
            (Move(("diverted",), "handed_over"),),
            Incident.HandedOver,
            r.told_handed_over,
            (
                Field("department", Kind.TEXT, ("接收部门", "Department"), max_len=100),
                Field("received_by", Kind.TEXT, ("接收人", "Received by"), max_len=100),
                Field(
                    "received_at",
                    Kind.MOMENT,
                    ("接收时间（可选）", "Received at (optional)"),
                    required=False,
                ),
            ),
            facts=r.received,
        ),
        Step(
            "chase",
            ("跟踪索要落办结果", "Chase"),
            "follow_up",
            "chase",
            "落办催办 / chase the handling tier or department for its outcome",
            (Move((*CHASED, "handed_over"), None),),
            Incident.FollowUpChased,
            r.told_chased,
            (
                Field("asked", Kind.TEXT, ("催办对象", "Asked"), max_len=100),
                Field("answer", Kind.PROSE, ("答复情况", "Answer"), max_len=2000),
            ),
            weight="aside",
        ),
        Step(
            "record_outcome",
            ("录入落办结果", "Record outcome"),
            "follow_up",
            "outcome",
            "记录处置结果 / record the outcome",
            (Move((*HANDLING, "handed_over"), "outcome_recorded"),),
            Incident.OutcomeRecorded,
            r.told_outcome,
            (SUMMARY,),
            facts=r.outcome_source,
        ),
        Step(
            "confirm_self_handled",
            ("确认现场自行处置", "Confirm self-handled"),
            "follow_up",
            "confirm-self-handled",
            "确认义警现场自行处置 / confirm the volunteer handled it on site",
            (Move(("reported",), "outcome_recorded", conditions=("claims_self_handled",)),),
            Incident.OutcomeRecorded,
            r.told_outcome,
            (SUMMARY,),
            facts=r.self_handled,
        ),
        Step(
            "propose_score",
            ("考评打分", "Propose score"),
            "score",
            "score",
            "考评打分（提议）/ propose the volunteer's score",
            # A resident's report earns no points: it is not scored.
            (
                Move(
                    ("outcome_recorded", "score_proposed"),
                    "score_proposed",
                    unless=("reported_by_resident",),
                ),
            ),
            Incident.ScoreProposed,
            r.told_proposed,
            (
                Field("items", Kind.SCORE_ITEMS, ("考评项目", "Score items"), max_len=20),
                Field("basis", Kind.PROSE, ("考评依据", "Basis"), max_len=2000),
            ),
            facts=r.score_total,
        ),
        Step(
            "sign_score",
            ("签字确认", "Sign score"),
            "score",
            "sign",
            "社区主任、社区民警联签 / co-sign the score as director or officer",
            (
                Move(("score_proposed",), "scored", conditions=("completes_signatures",)),
                Move(("score_proposed",), None, unless=("completes_signatures",)),
            ),
            Incident.ScoreSigned,
            r.told_signed,
            facts=r.signer,
        ),
        Step(
            "reward",
            ("奖励兑现", "Reward"),
            "reward",
            "reward",
            "奖励兑现：积分存入幸福银行 / credit the points to the Happiness Bank",
            (Move(("scored",), "rewarded"),),
            Incident.Rewarded,
            r.told_rewarded,
            facts=r.effective_score,
        ),
        Step(
            "publicize",
            ("典型宣传", "Publicize"),
            "publicize",
            "publicize",
            "典型宣传（须经脱敏审核）/ feature the case, after its redaction review",
            (Move(("rewarded",), "publicized"),),
            Incident.Publicized,
            r.told_publicized,
            (
                Field("title", Kind.TEXT, ("宣传标题", "Title"), max_len=200),
                Field(
                    "redaction_note", Kind.PROSE, ("脱敏审核说明", "Redaction review"), max_len=500
                ),
            ),
        ),
        Step(
            "close",
            ("办结", "Close"),
            "end",
            "close",
            "闭环结案 / close the loop",
            (
                Move(("rewarded", "publicized"), "closed"),
                # A resident holds no Happiness Bank account: the outcome closes it.
                Move(("outcome_recorded",), "closed", conditions=("reported_by_resident",)),
            ),
            Incident.Closed,
            r.told_closed,
            (
                Field(
                    "note",
                    Kind.PROSE,
                    ("办结说明（可选）", "Note (optional)"),
                    max_len=2000,
                    required=False,
                    default="",
                ),
            ),
        ),
        Step(
            "reject",
            ("驳回", "Reject"),
            "feed_back",
            "reject",
            "驳回：重复、合并或查无实据 / reject as duplicate, merged or unfounded",
            (
                Move(("reported", "handling_community"), "rejected"),
                # A rewarded case later found a duplicate, merged or unfounded: rejecting
                # it reverses its Happiness Bank deposit with a compensating entry.
                Move(REWARDED_STAGES, "rejected"),
            ),
            Incident.Rejected,
            r.told_rejected,
            (
                Field("kind", Kind.CHOICE, ("驳回类型", "Kind"), vocabulary=RejectionKind),
                REASON,
                Field(
                    "related_id",
                    Kind.INCIDENT,
                    ("相关警情编号（重复、合并时填写）", "Related incident (duplicate, merged)"),
                    max_len=36,
                    required=False,
                ),
            ),
            check=r.check_rejection,
            weight="refusal",
        ),
    )
}
"""Every step of the loop, in the order the loop offers them."""


def step_label(step: str) -> str:
    """A step's zh-CN name; creating an incident (``discover``) is 录入警情."""
    return STEPS[step].zh if step in STEPS else "录入警情"
