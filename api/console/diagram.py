"""The loop diagram the API sends (Mermaid ``stateDiagram-v2`` text), read back
into stages and arrows and laid out as the eight regulations in order.

The page draws it as HTML, not with mermaid.js: the API's text already names
every stage, arrow and the highlighted stage, the layout needs no 3 MB script on
a volunteer's phone, and it reads the same without JavaScript.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STATE = re.compile(r'^\s*state "(?P<label>[^"]+)" as (?P<id>\w+)\s*$')
CLASS = re.compile(r"^\s*Class (?P<id>\w+) (?P<cls>\w+)\s*$")
ARROW = re.compile(r"^\s*(?P<src>\w+) --> (?P<dest>\w+): (?P<step>\w+)")

# The eight regulations (八项规章制度), each with the stages that belong to it.
PHASES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("discover", "发现警情", "Discover", ("discovered",)),
    ("feed_back", "反馈警情", "Feed back", ("reported",)),
    (
        "handle",
        "警情处置",
        "Handle",
        (
            "handling_community",
            "escalated_to_station",
            "handling_station",
            "escalated_to_county",
            "handling_county",
        ),
    ),
    ("divert", "警情分流", "Divert", ("diverted", "handed_over")),
    ("follow_up", "警情落办", "Follow up", ("outcome_recorded",)),
    ("score", "考评打分", "Score", ("score_proposed", "scored")),
    ("reward", "奖励兑现", "Reward", ("rewarded",)),
    ("publicize", "典型宣传", "Publicize", ("publicized",)),
    ("end", "闭环", "Closed", ("closed", "rejected")),
)


@dataclass(frozen=True)
class Arrow:
    source: str
    dest: str
    step: str


@dataclass(frozen=True)
class Diagram:
    labels: dict[str, str]
    active: str | None
    arrows: tuple[Arrow, ...]

    def next_from(self, stage: str | None) -> list[Arrow]:
        return [a for a in self.arrows if a.source == stage and a.dest != stage]


def parse(text: str) -> Diagram:
    labels: dict[str, str] = {}
    active = None
    arrows = []
    for line in text.splitlines():
        if m := STATE.match(line):
            labels[m["id"]] = m["label"]
        elif m := CLASS.match(line):
            if m["cls"] == "s_active":
                active = m["id"]
        elif m := ARROW.match(line):
            arrows.append(Arrow(m["src"], m["dest"], m["step"]))
    return Diagram(labels, active, tuple(arrows))


@dataclass(frozen=True)
class Phase:
    key: str
    name: str
    stages: list[tuple[str, str]]  # (stage, state: current | passed | ahead)
    state: str  # current | passed | ahead | skipped


def phases(diagram: Diagram, visited: list[str], lang: str) -> list[Phase]:
    """The eight regulations in order, each stage marked current, passed or ahead,
    given the stages the incident has been in (oldest first)."""
    seen = set(visited)
    current = diagram.active
    order = [s for _, _, _, stages in PHASES for s in stages]
    reached = max((order.index(s) for s in seen if s in order), default=-1)
    out = []
    for key, zh, en, stages in PHASES:
        marks = []
        for stage in stages:
            if stage == current:
                mark = "current"
            elif stage in seen:
                mark = "passed"
            else:
                mark = "ahead"
            marks.append((stage, mark))
        kinds = {m for _, m in marks}
        if "current" in kinds:
            state = "current"
        elif "passed" in kinds:
            state = "passed"
        elif order.index(stages[-1]) < reached:
            state = "skipped"
        else:
            state = "ahead"
        out.append(Phase(key, en if lang == "en" else zh, marks, state))
    return out
