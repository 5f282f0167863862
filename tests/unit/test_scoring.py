"""Scoring policy as configuration: presets, files, stars and the failed-months rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loop.bootstrap import build_loop
from loop.errors import InvalidInput
from loop.rules.scoring import FUPING_SCORING, LISHU_SCORING, load_scoring, resolve_scoring
from loop.settings import Settings


@pytest.mark.parametrize(
    ("score", "stars"),
    [(0, 0), (100, 0), (119, 0), (120, 1), (149, 1), (150, 2), (200, 3), (499, 4), (900, 5)],
)
def test_fuping_stars_at_fixed_thresholds(score: int, stars: int) -> None:
    assert FUPING_SCORING.star_level(score) == stars


def test_lishu_has_no_stars_and_caps_150_a_month() -> None:
    assert LISHU_SCORING.star_level(10_000) == 0
    assert LISHU_SCORING.cap_per_period == 150
    assert len(LISHU_SCORING.categories) == 10
    assert FUPING_SCORING.base_points == 100
    assert LISHU_SCORING.base_points == 0


def test_the_period_is_the_month_in_china_time() -> None:
    assert LISHU_SCORING.period_of(datetime(2026, 7, 31, 20, 0, tzinfo=UTC)) == "2026-08"
    assert LISHU_SCORING.period_of(datetime(2026, 7, 31, 15, 0, tzinfo=UTC)) == "2026-07"
    quarterly = replace(LISHU_SCORING, period="quarter")
    assert quarterly.period_of(datetime(2026, 7, 1, tzinfo=UTC)) == "2026-Q3"


def due(
    failed: list[str], passed: list[str], month: str, settled: list[str] | None = None
) -> object:
    evaluations = {m: False for m in failed} | {m: True for m in passed}
    return FUPING_SCORING.failed_months_due(evaluations, settled or [], month)


def test_two_consecutive_failed_months_within_the_year() -> None:
    assert due(["2026-05"], [], "2026-05") is None
    assert due(["2026-05", "2026-06"], [], "2026-06") == (
        "连续2个月考评不合格",
        ["2026-05", "2026-06"],
    )
    # December and January are in different years: not consecutive within a year
    assert due(["2025-12", "2026-01"], [], "2026-01") is None


def test_three_cumulative_failed_months_within_the_year() -> None:
    assert due(["2026-01", "2026-03"], ["2026-02"], "2026-03") is None
    assert due(["2026-01", "2026-03", "2026-06"], ["2026-02", "2026-04"], "2026-06") == (
        "年内累计3个月考评不合格",
        ["2026-01", "2026-03", "2026-06"],
    )
    # last year's failures do not count
    assert due(["2025-10", "2025-11", "2026-03"], [], "2026-03") is None


def test_failures_an_earlier_deduction_settled_are_not_counted_again() -> None:
    settled = ["2026-05", "2026-06"]
    assert due(["2026-05", "2026-06", "2026-07"], [], "2026-07", settled) is None
    assert due(["2026-05", "2026-06", "2026-07", "2026-08"], [], "2026-08", settled) == (
        "连续2个月考评不合格",
        ["2026-07", "2026-08"],
    )


def test_a_passed_month_or_a_policy_without_the_rule_deducts_nothing() -> None:
    assert due(["2026-05"], ["2026-06"], "2026-06") is None
    evaluations = {"2026-05": False, "2026-06": False, "2026-07": False}
    assert LISHU_SCORING.failed_months_due(evaluations, [], "2026-07") is None


def test_a_policy_file_starts_from_a_preset(tmp_path: Path) -> None:
    path = tmp_path / "county.toml"
    path.write_text(
        'preset = "fuping"\nstars = [[130, 1], [180, 2]]\nfailure_deduction = 10\n',
        encoding="utf-8",
    )
    policy = load_scoring(path)
    assert policy.base_points == 100
    assert policy.failure_deduction == 10
    assert (policy.star_level(129), policy.star_level(130), policy.star_level(999)) == (0, 1, 2)
    assert resolve_scoring(str(path)) == policy


@pytest.mark.parametrize(
    "text",
    [
        'preset = "nowhere"\n',
        "bogus = 1\n",
        "stars = [[150, 1], [120, 2]]\n",
        'period = "week"\n',
        "cap_per_period = -1\n",
        "not toml at all [",
    ],
)
def test_a_policy_file_that_cannot_work_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        load_scoring(path)
    assert refused.value.details["field"] == "scoring"


def test_the_setting_chooses_the_policy(tmp_path: Path) -> None:
    assert (
        build_loop(Settings(database_url="memory://", scoring="fuping")).incidents.scoring
        is FUPING_SCORING
    )
    assert build_loop(Settings(database_url="memory://")).incidents.scoring is LISHU_SCORING
    with pytest.raises(InvalidInput):
        build_loop(Settings(database_url="memory://", scoring="shanghai"))
    with pytest.raises(InvalidInput):
        build_loop(Settings(database_url="memory://", scoring=str(tmp_path / "missing.toml")))
