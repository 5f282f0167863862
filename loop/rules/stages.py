"""The eight-step loop, declared once with ``transitions``.

This one declaration decides whether a step is legal from a stage (and which
stage it leads to), words the refusal, and draws the Mermaid diagram shown to
users. Conditions name facts the application service computes for the step
(for example whether a signature completes the co-signed score).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from transitions import Machine
from transitions.extensions import GraphMachine

from loop.errors import IllegalStep

STAGES: dict[str, str] = {
    "discovered": "已发现",
    "reported": "已反馈待研判",
    "handling_community": "社区民警处置中",
    "escalated_to_station": "已提交派出所",
    "handling_station": "派出所处置中",
    "escalated_to_county": "已上报县局",
    "handling_county": "县局统一派警处置中",
    "diverted": "已分流回社区",
    "handed_over": "已移交管辖部门",
    "outcome_recorded": "已落办待考评",
    "score_proposed": "考评待签字",
    "scored": "考评已生效",
    "rewarded": "已奖励兑现",
    "publicized": "已典型宣传",
    "closed": "已办结",
    "rejected": "已驳回",
}

STEPS: dict[str, str] = {
    "report": "反馈警情",
    "accept": "受理处置",
    "escalate": "提格上交",
    "return": "退回",
    "divert": "分流",
    "hand_over": "移交部门",
    "chase": "跟踪索要落办结果",
    "record_outcome": "录入落办结果",
    "confirm_self_handled": "确认现场自行处置",
    "propose_score": "考评打分",
    "sign_score": "签字确认",
    "reward": "奖励兑现",
    "publicize": "典型宣传",
    "close": "办结",
    "reject": "驳回",
}

_CHASED = [
    "escalated_to_station",
    "handling_station",
    "escalated_to_county",
    "handling_county",
    "handed_over",
]

REWARDED_STAGES = ["rewarded", "publicized", "closed"]

TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "report", "source": "discovered", "dest": "reported"},
    {"trigger": "accept", "source": "reported", "dest": "handling_community"},
    {"trigger": "accept", "source": "escalated_to_station", "dest": "handling_station"},
    {"trigger": "accept", "source": "escalated_to_county", "dest": "handling_county"},
    {
        "trigger": "escalate",
        "source": ["reported", "handling_community"],
        "dest": "escalated_to_station",
    },
    {"trigger": "escalate", "source": "handling_station", "dest": "escalated_to_county"},
    {
        "trigger": "return",
        "source": ["escalated_to_station", "handling_station"],
        "dest": "handling_community",
    },
    {
        "trigger": "return",
        "source": ["escalated_to_county", "handling_county"],
        "dest": "handling_station",
    },
    {"trigger": "divert", "source": ["reported", "handling_community"], "dest": "diverted"},
    {"trigger": "hand_over", "source": "diverted", "dest": "handed_over"},
    {"trigger": "chase", "source": _CHASED, "dest": None},
    {
        "trigger": "record_outcome",
        "source": ["handling_community", "handling_station", "handling_county", "handed_over"],
        "dest": "outcome_recorded",
    },
    {
        "trigger": "confirm_self_handled",
        "source": "reported",
        "dest": "outcome_recorded",
        "conditions": "claims_self_handled",
    },
    {
        "trigger": "propose_score",
        "source": ["outcome_recorded", "score_proposed"],
        "dest": "score_proposed",
    },
    {
        "trigger": "sign_score",
        "source": "score_proposed",
        "dest": "scored",
        "conditions": "completes_signatures",
    },
    {
        "trigger": "sign_score",
        "source": "score_proposed",
        "dest": None,
        "unless": "completes_signatures",
    },
    {"trigger": "reward", "source": "scored", "dest": "rewarded"},
    {"trigger": "publicize", "source": "rewarded", "dest": "publicized"},
    {"trigger": "close", "source": ["rewarded", "publicized"], "dest": "closed"},
    {"trigger": "reject", "source": ["reported", "handling_community"], "dest": "rejected"},
    # A rewarded case later found a duplicate, merged or unfounded: rejecting it
    # reverses its Happiness Bank deposit with a compensating entry.
    {"trigger": "reject", "source": REWARDED_STAGES, "dest": "rejected"},
]

CONDITIONS: dict[str, tuple[str, str]] = {
    "claims_self_handled": (
        "义警反馈时须说明已现场自行处置",
        "the report must say the volunteer handled it on site",
    ),
    "completes_signatures": (
        "社区主任和社区民警均已签字",
        "both the community director and the community officer signed",
    ),
}


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
            f"「{STEPS.get(step, step)}」的条件未满足：{zh}",
            f"'{step}' is not allowed yet: {en}",
            stage=stage,
            step=step,
            unmet=unmet,
            legal_steps=self.legal_steps(stage, facts),
        )

    def _illegal(self, stage: str, step: str, facts: Mapping[str, bool]) -> IllegalStep:
        legal = self.legal_steps(stage, facts)
        legal_zh = "、".join(f"「{STEPS[s]}」" for s in legal) or "无（已结束）"
        return IllegalStep(
            f"当前阶段「{STAGES.get(stage, stage)}」不能执行「{STEPS.get(step, step)}」；"
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


LOOP = Loop()
