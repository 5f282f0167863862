"""The input a step asks for: each field's kind, limits and label, and its check.

A step declares its fields once (``loop.rules.steps``); the service checks a
command's input against them, the HTTP API builds its request bodies from them
and the console its forms. A failed check raises :class:`InvalidInput` before
anything is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from loop.errors import InvalidInput
from loop.rules import inputs


class Kind(StrEnum):
    TEXT = "text"  # one line
    PROSE = "prose"  # a few sentences
    CHOICE = "choice"  # one value of a vocabulary
    MOMENT = "moment"  # a date and time with its zone
    SCORE_ITEMS = "score_items"  # [{"item": str, "points": int}, ...]
    INCIDENT = "incident"  # another incident's id


@dataclass(frozen=True)
class Field:
    """One field of a step's input."""

    name: str
    kind: Kind
    label: tuple[str, str]
    """(zh, en), as the console's form shows it."""
    max_len: int | None = None
    """Characters of a text, items of a list."""
    required: bool = True
    default: Any = None
    """What an optional field is when not given (or given empty)."""
    vocabulary: type[StrEnum] | None = None
    """The values of a choice."""

    @property
    def multiline(self) -> bool:
        """Whether the text may run over several lines (prose); one line otherwise."""
        return self.kind is Kind.PROSE

    def check(
        self, value: Any, *, max_points: int, window: tuple[datetime, datetime] | None = None
    ) -> Any:
        """The value as the step records it; :class:`InvalidInput` if it is not valid.
        A moment must fall within ``window`` (the policy's: not before the county's
        records begin, not after now)."""
        if not self.required and (value is None or value == ""):
            return self.default
        if self.kind in (Kind.TEXT, Kind.PROSE):
            return inputs.text(
                self.name,
                value,
                max_len=self.max_len or inputs.MAX_TEXT,
                multiline=self.multiline,
            )
        if self.kind is Kind.CHOICE:
            assert self.vocabulary is not None
            return inputs.choice(self.name, value, self.vocabulary)
        if self.kind is Kind.MOMENT:
            return inputs.moment(self.name, value, window=window)
        if self.kind is Kind.INCIDENT:
            return inputs.incident_id(self.name, value)
        items = inputs.score_items(value, max_points)
        if self.max_len is not None and len(items) > self.max_len:
            raise InvalidInput(
                f"考评项目不能超过{self.max_len}项",
                f"at most {self.max_len} score items",
                field=self.name,
            )
        return items


def check_all(
    fields: tuple[Field, ...],
    given: Mapping[str, Any],
    *,
    max_points: int,
    window: tuple[datetime, datetime] | None = None,
) -> dict[str, Any]:
    """Every field's checked value, in declaration order; a name the step does not
    ask for is refused."""
    names = {f.name for f in fields}
    for name in given:
        if name not in names:
            raise InvalidInput(
                f"「{name}」不是此步骤的字段",
                f"'{name}' is not a field of this step",
                field=name,
                fields=sorted(names),
            )
    return {
        f.name: f.check(given.get(f.name), max_points=max_points, window=window) for f in fields
    }
