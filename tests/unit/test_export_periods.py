"""Periods of exports and reports: China-time months, quarters and years as UTC
intervals; anything else refused with the query's error."""

from __future__ import annotations

from datetime import datetime

import pytest

from projections.errors import InvalidQuery
from projections.exports import period_bounds


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("2026-03", datetime(2026, 2, 28, 16), datetime(2026, 3, 31, 16)),
        ("2026-12", datetime(2026, 11, 30, 16), datetime(2026, 12, 31, 16)),
        ("2026-Q4", datetime(2026, 9, 30, 16), datetime(2026, 12, 31, 16)),
        ("2026-Q1", datetime(2025, 12, 31, 16), datetime(2026, 3, 31, 16)),
        ("2026", datetime(2025, 12, 31, 16), datetime(2026, 12, 31, 16)),
    ],
)
def test_a_period_is_its_china_time_interval_in_utc(
    period: str, start: datetime, end: datetime
) -> None:
    assert period_bounds(period) == (start, end)


@pytest.mark.parametrize("period", ["2026-13", "2026-00", "2026-Q5", "0000", "26", "2026-3", ""])
def test_anything_else_is_refused(period: str) -> None:
    with pytest.raises(InvalidQuery) as refused:
        period_bounds(period)
    assert refused.value.details["field"] == "period"


def test_a_periods_months_are_the_china_time_months_it_covers() -> None:
    from projections.exports import _months

    assert _months(*period_bounds("2026-Q4")) == ["2026-10", "2026-11", "2026-12"]
    assert _months(*period_bounds("2026-03")) == ["2026-03"]
    assert len(_months(*period_bounds("2026"))) == 12
