"""Stored moments are naive UTC whatever zone the event's moment was recorded in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from projections.base import utc


@pytest.mark.parametrize(
    ("moment", "stored"),
    [
        (datetime(2026, 8, 1, 8, 30, 0, 5, tzinfo=UTC), datetime(2026, 8, 1, 8, 30, 0, 5)),
        (
            datetime(2026, 8, 1, 8, 30, tzinfo=timezone(timedelta(hours=8))),
            datetime(2026, 8, 1, 0, 30),
        ),
        (
            datetime(2026, 8, 1, 0, 30, tzinfo=timezone(timedelta(0), "Z")),
            datetime(2026, 8, 1, 0, 30),
        ),
        (datetime(2026, 8, 1, 8, 30), datetime(2026, 8, 1, 8, 30)),
        (None, None),
    ],
)
def test_moments_are_stored_as_naive_utc(moment: datetime | None, stored: datetime | None) -> None:
    assert utc(moment) == stored
    assert stored is None or utc(moment).tzinfo is None  # type: ignore[union-attr]
