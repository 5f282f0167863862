"""The eight-step loop, declared once with ``transitions``.

The stages, grouped under the eight regulations, are declared here; the
transitions are the moves of the steps (``loop.rules.steps``). This one
declaration decides whether a step is legal from a stage (and which stage it
leads to), words the refusal, and draws the Mermaid diagram shown to users.
Conditions name facts the application service computes for the step (for
example whether a signature completes the co-signed score).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from transitions import Machine
from transitions.extensions import GraphMachine

from loop.errors import IllegalStep
from loop.rules.steps import STEPS


@dataclass(frozen=True)
class Stage:
    name: str
    label: tuple[str, str]
    """(zh, en)"""


@dataclass(frozen=True)
class Regulation:
    """One of the eight regulations (八项规章制度), with the stages that belong to
    it; the loop's end (closed or rejected) follows them."""

    key: str
    label: tuple[str, str]
    stages: tuple[Stage, ...]


REGULATIONS: tuple[Regulation, ...] = (
    Regulation(
        "discover", ("发现警情", "Discover"), (Stage("discovered", ("已发现", "Discovered")),)
    ),
    Regulation(
        "feed_back",
        ("反馈警情", "Feed back"),
        (Stage("reported", ("已反馈待研判", "Reported, to triage")),),
    ),
    Regulation(
        "handle",
        ("警情处置", "Handle"),
        (
            Stage("handling_community", ("社区民警处置中", "Handled by the community officer")),
            Stage("escalated_to_station", ("已提交派出所", "Escalated to the station")),
            Stage("handling_station", ("派出所处置中", "Handled by the station")),
            Stage("escalated_to_county", ("已上报县局", "Escalated to the county")),
            Stage("handling_county", ("县局统一派警处置中", "Dispatched by the county")),
        ),
    ),
    Regulation(
        "divert",
        ("警情分流", "Divert"),
        (
            Stage("diverted", ("已分流回社区", "Diverted to the community")),
            Stage("handed_over", ("已移交管辖部门", "Handed to a department")),
        ),
    ),
    Regulation(
        "follow_up",
        ("警情落办", "Follow up"),
        (Stage("outcome_recorded", ("已落办待考评", "Outcome recorded, to score")),),
    ),
    Regulation(
        "score",
        ("考评打分", "Score"),
        (
            Stage("score_proposed", ("考评待签字", "Score awaiting signatures")),
            Stage("scored", ("考评已生效", "Score in effect")),
        ),
    ),
    Regulation("reward", ("奖励兑现", "Reward"), (Stage("rewarded", ("已奖励兑现", "Rewarded")),)),
    Regulation(
        "publicize", ("典型宣传", "Publicize"), (Stage("publicized", ("已典型宣传", "Publicized")),)
    ),
    Regulation(
        "end",
        ("闭环", "Closed"),
        (Stage("closed", ("已办结", "Closed")), Stage("rejected", ("已驳回", "Rejected"))),
    ),
)
"""The eight regulations in order, then the loop's end; their stages in order."""

STAGES: dict[str, str] = {s.name: s.label[0] for r in REGULATIONS for s in r.stages}
"""Every stage and its zh-CN name, in the loop's order."""
STAGE_LABELS: dict[str, tuple[str, str]] = {s.name: s.label for r in REGULATIONS for s in r.stages}

TRANSITIONS: list[dict[str, Any]] = [
    {
        "trigger": step.name,
        "source": list(move.sources),
        "dest": move.dest,
        **({"conditions": list(move.conditions)} if move.conditions else {}),
        **({"unless": list(move.unless)} if move.unless else {}),
    }
    for step in STEPS.values()
    for move in step.moves
]
"""The steps' moves as the ``transitions`` library reads them."""

CONDITIONS: dict[str, tuple[str, str]] = {
    "claims_self_handled": (
        "义警反馈时须说明已现场自行处置",
        "the report must say the volunteer handled it on site",
    ),
    "reported_by_resident": (
        "群众（非义警）反馈的警情落办后即可办结，不考评、不奖励",
        "a resident's (not a volunteer's) report closes after its outcome, unscored",
    ),
    "completes_signatures": (
        "社区主任和社区民警均已签字",
        "both the community director and the community officer signed",
    ),
}


def _zh(step: str) -> str:
    return STEPS[step].zh if step in STEPS else step


@dataclass(frozen=True)
class StepTarget:
    """Where a legal step leads: the destination stage."""

    step: str
    source: str
    dest: str


class Loop:
    """Static questions asked of the declared machine; it holds no incident."""

    def __init__(self) -> None:
        self.machine = Machine(
            model=None,
            states=list(STAGES),
            transitions=TRANSITIONS,
            initial=None,
            auto_transitions=False,
        )

    def legal_steps(self, stage: str, facts: Mapping[str, bool] | None = None) -> list[str]:
        """The steps the declaration allows from ``stage``, in declaration order; given
        ``facts``, only those whose conditions hold."""
        return [
            step
            for step in STEPS
            if any(
                facts is None or self._holds(t, facts)
                for t in self.machine.get_transitions(step, source=stage)
            )
        ]

    @staticmethod
    def _holds(transition: Any, facts: Mapping[str, bool]) -> bool:
        return all(facts.get(str(c.func), False) == c.target for c in transition.conditions)

    def target(self, stage: str, step: str, facts: Mapping[str, bool]) -> StepTarget:
        """The stage ``step`` leads to from ``stage``, or :class:`IllegalStep`."""
        candidates = self.machine.get_transitions(step, source=stage)
        if not candidates:
            raise self._illegal(stage, step, facts)
        for transition in candidates:
            if self._holds(transition, facts):
                return StepTarget(step, stage, transition.dest or stage)
        unmet = sorted(
            {
                str(c.func)
                for t in candidates
                for c in t.conditions
                if facts.get(str(c.func), False) != c.target
            }
        )
        zh = "；".join(CONDITIONS[name][0] for name in unmet)
        en = "; ".join(CONDITIONS[name][1] for name in unmet)
        raise IllegalStep(
            f"「{_zh(step)}」的条件未满足：{zh}",
            f"'{step}' is not allowed yet: {en}",
            stage=stage,
            step=step,
            unmet=unmet,
            legal_steps=self.legal_steps(stage, facts),
        )

    def _illegal(self, stage: str, step: str, facts: Mapping[str, bool]) -> IllegalStep:
        legal = self.legal_steps(stage, facts)
        legal_zh = "、".join(f"「{_zh(s)}」" for s in legal) or "无（已结束）"
        return IllegalStep(
            f"当前阶段「{STAGES.get(stage, stage)}」不能执行「{_zh(step)}」；"
            f"可执行的步骤：{legal_zh}",
            f"Cannot '{step}' from stage '{stage}'; legal next steps: "
            f"{', '.join(legal) or 'none (closed)'}",
            stage=stage,
            step=step,
            legal_steps=legal,
        )

    def mermaid(self, current: str | None = None) -> str:
        """The loop as a Mermaid state diagram, ``current`` highlighted."""
        graph = GraphMachine(
            model=None,
            states=list(STAGES),
            transitions=[t for t in TRANSITIONS if t["dest"] is not None],
            initial=None,
            auto_transitions=False,
            graph_engine="mermaid",
            title="梨城义警“八项规章制度”闭环",
            show_conditions=True,
        )

        class _At:
            state = current

        model = _At()
        graph.add_model(model, initial=current or "discovered")
        text: str = model.get_graph().draw(None)  # type: ignore[attr-defined]
        if current is None:
            text = text.replace("Class discovered s_active", "Class discovered s_default")
        for stage, name in STAGES.items():
            text = text.replace(f'state "{stage}" as {stage}', f'state "{name}" as {stage}')
        return text

    def moves_from(self, stage: str) -> list[tuple[str, str]]:
        """(step, destination) of every declared move out of ``stage`` to another
        stage, in declaration order: the arrows the diagram draws from it."""
        return [
            (step.name, move.dest)
            for step in STEPS.values()
            for move in step.moves
            if stage in move.sources and move.dest not in (None, stage)
        ]


LOOP = Loop()
