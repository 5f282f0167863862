"""The loop as the incident page draws it: the eight regulations in order, each
with its stages marked current, passed or ahead, and the arrows out of the
current stage, all read from the loop's declaration (``loop.rules.stages``).

The page draws it as HTML, not with mermaid.js: the layout needs no 3 MB script
on a volunteer's phone, and it reads the same without JavaScript. The Mermaid
text the API sends is shown beside it as source.
"""

from __future__ import annotations

from dataclasses import dataclass

from loop.rules.stages import LOOP, REGULATIONS


@dataclass(frozen=True)
class Arrow:
    step: str
    dest: str


def next_from(stage: str) -> list[Arrow]:
    """The arrows out of ``stage`` to another stage, in the loop's order."""
    return [Arrow(step, dest) for step, dest in LOOP.moves_from(stage)]


@dataclass(frozen=True)
class Phase:
    key: str
    name: str
    stages: list[tuple[str, str]]  # (stage, state: current | passed | ahead)
    state: str  # current | passed | ahead | skipped


ORDER = [stage.name for regulation in REGULATIONS for stage in regulation.stages]


def phases(current: str | None, visited: list[str], lang: str) -> list[Phase]:
    """The eight regulations in order (then the loop's end), each stage marked
    current, passed or ahead, given the stages the incident has been in (oldest
    first)."""
    seen = set(visited)
    reached = max((ORDER.index(s) for s in seen if s in ORDER), default=-1)
    out = []
    for regulation in REGULATIONS:
        marks = []
        for stage in regulation.stages:
            if stage.name == current:
                mark = "current"
            elif stage.name in seen:
                mark = "passed"
            else:
                mark = "ahead"
            marks.append((stage.name, mark))
        kinds = {m for _, m in marks}
        if "current" in kinds:
            state = "current"
        elif "passed" in kinds:
            state = "passed"
        elif ORDER.index(regulation.stages[-1].name) < reached:
            state = "skipped"
        else:
            state = "ahead"
        zh, en = regulation.label
        out.append(Phase(regulation.key, en if lang == "en" else zh, marks, state))
    return out
