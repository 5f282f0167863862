"""County presets: the deployment's preset decides the occupations (Fuping's 蓝马甲
squads, Gucheng's duty roles) admission and the roll import accept, and names the
scoring, task and training rules; a record made under another preset still
reads."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import Any

import pytest

from aggregates.volunteer import volunteer_aggregate_id
from loop import demo
from loop.bootstrap import Loop, build_loop, open_loop
from loop.errors import InvalidInput
from loop.rules.counties import (
    ALL_OCCUPATIONS,
    COUNTIES,
    FUPING,
    GUCHENG,
    LISHU,
    UnknownOccupation,
    county_preset,
    occupation_label,
)
from loop.rules.scoring import FUPING_SCORING, LISHU_SCORING
from loop.rules.tasks import FUPING_TASKS, LISHU_TASKS
from loop.rules.training import FUPING_TRAINING, LISHU_TRAINING
from loop.services.audit import history
from loop.services.volunteers import Volunteers
from loop.settings import Settings
from tests.support import FakeClock
from tests.unit.test_roll_import import as_csv, person
from tests.unit.test_volunteers import application


def county_loop(county: Any, scoring: Any = LISHU_SCORING) -> Loop:
    opened = open_loop(clock=FakeClock(), scoring=scoring, county=county)
    demo.register_units(opened.registry)
    return opened


def test_under_gucheng_a_duty_role_is_accepted_and_a_lishu_occupation_refused() -> None:
    loop = county_loop(GUCHENG)
    before = loop.app.recorder.max_notification_id()
    with pytest.raises(UnknownOccupation) as caught:
        loop.volunteers.apply(demo.CADRE_XF, **application(occupation="delivery_rider"))
    assert loop.app.recorder.max_notification_id() == before
    assert volunteer_aggregate_id("v-xf-wang") not in loop.app.repository
    error = caught.value
    assert error.code == "unknown_occupation"
    assert "故城县" in error.message_zh
    assert "治安防范员" in error.message_zh
    assert "外卖员" not in error.message_zh
    assert "gc_security" in error.message_en
    assert error.details["allowed"] == list(GUCHENG_CODES)
    assert error.details["value"] == "delivery_rider"
    ack = loop.volunteers.apply(demo.CADRE_XF, **application(occupation="gc_security"))
    assert ack.status == "applied"
    assert loop.volunteers.get("v-xf-wang").occupation == "gc_security"


GUCHENG_CODES = tuple(GUCHENG.occupations)


def test_the_default_preset_keeps_lishus_seven_occupations() -> None:
    loop = county_loop(LISHU)
    assert loop.volunteers.county is LISHU
    assert set(LISHU.occupations) == {
        "delivery_rider", "courier", "meter_reader", "taxi_driver",
        "sanitation_worker", "city_management", "resident_volunteer",
    }  # fmt: skip
    with pytest.raises(UnknownOccupation):
        loop.volunteers.apply(demo.CADRE_XF, **application(occupation="gc_security"))
    loop.volunteers.apply(demo.CADRE_XF, **application(occupation="delivery_rider"))


def test_a_volunteer_recorded_under_lishu_still_reads_and_is_admitted_under_gucheng() -> None:
    loop = county_loop(GUCHENG)
    lishu_era = Volunteers(loop.app, loop.volunteers.scoring, LISHU)
    lishu_era.apply(demo.CADRE_XF, **application(occupation="delivery_rider"))
    volunteers = loop.volunteers
    for reviewer, who in (
        ("employer", demo.CADRE_XF),
        ("community", demo.DIRECTOR_XF),
        ("station", demo.STATION_OFFICER),
    ):
        volunteers.review(who, "v-xf-wang", reviewer=reviewer, approved=True, note="好")
    admitted = volunteers.admit(demo.OFFICER_XF, "v-xf-wang")
    assert admitted.squad == "delivery_rider"
    assert volunteers.view(demo.CADRE_XF, "v-xf-wang")["occupation"] == "delivery_rider"
    told = [
        entry["sentence_zh"] for entry in history(loop.app, volunteer_aggregate_id("v-xf-wang"))
    ]
    assert any("外卖员，所在单位" in said for said in told), told
    assert any("编入外卖员队" in said for said in told), told


def test_fupings_roll_is_checked_against_its_squads() -> None:
    loop = county_loop(FUPING, FUPING_SCORING)
    rows = [person(1, occupation="巡逻防控分队"), person(2, occupation="bv_mediation")]
    rows.append(person(3))  # 环卫工人: a Lishu occupation, not a Fuping squad
    before = loop.app.recorder.max_notification_id()
    report = loop.imports.check(demo.ADMIN, as_csv(rows), "roll.csv")
    assert loop.app.recorder.max_notification_id() == before
    assert [r["occupation"] for r in report.new] == ["bv_patrol", "bv_mediation"]
    [problem] = report.problems
    assert (problem.row, problem.column, problem.code) == (4, "职业", "unknown_occupation")
    assert problem.message_zh.startswith("未知蓝马甲分队「环卫工人」")
    assert "巡逻防控分队" in problem.message_zh
    assert "bv_patrol" in problem.message_en
    lishu = county_loop(LISHU).imports.check(demo.ADMIN, as_csv(rows), "roll.csv")
    assert [(p.row, p.code) for p in lishu.problems] == [
        (2, "unknown_occupation"),
        (3, "unknown_occupation"),
    ]


def test_a_preset_names_its_scoring_task_and_training_rules() -> None:
    gucheng = county_loop(GUCHENG)
    assert gucheng.tasks.policy is FUPING_TASKS
    assert gucheng.training.policy is LISHU_TRAINING
    assert gucheng.tasks.training is LISHU_TRAINING
    fuping = county_loop(FUPING, FUPING_SCORING)
    assert (fuping.tasks.policy, fuping.training.policy) == (FUPING_TASKS, FUPING_TRAINING)
    # a county without named task rules keeps those of its scoring preset, as before
    lishu_on_fuping_scoring = county_loop(LISHU, FUPING_SCORING)
    assert lishu_on_fuping_scoring.tasks.policy is FUPING_TASKS
    assert county_loop(LISHU).tasks.policy is LISHU_TASKS


@pytest.mark.parametrize(
    ("name", "scoring"), [("lishu", "lishu"), ("fuping", "fuping"), ("gucheng", "lishu")]
)
def test_the_setting_chooses_the_preset_and_its_scoring(name: str, scoring: str) -> None:
    built = build_loop(Settings(database_url="memory://", policy=name))
    try:
        assert built.volunteers.county is COUNTIES[name]
        assert built.imports.county is COUNTIES[name]
        assert built.incidents.scoring.name == scoring
    finally:
        built.close()


def test_an_explicit_scoring_setting_still_wins() -> None:
    built = build_loop(Settings(database_url="memory://", policy="gucheng", scoring="fuping"))
    try:
        assert built.incidents.scoring.name == "fuping"
        assert built.volunteers.county is GUCHENG
    finally:
        built.close()


def test_an_unknown_preset_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InvalidInput) as caught:
        county_preset("beijing")
    assert caught.value.details["allowed"] == ["fuping", "gucheng", "lishu"]


def test_every_presets_words_are_distinct_and_known_everywhere() -> None:
    codes = [code for preset in COUNTIES.values() for code in preset.occupations]
    assert len(codes) == len(set(codes)) == len(ALL_OCCUPATIONS)
    assert occupation_label("bv_patrol") == "巡逻防控分队"
    assert occupation_label("gc_security", "en") == "Security guard"
    assert occupation_label("courier") == "快递员"
    assert occupation_label("astronaut") == "astronaut"


def test_teams_are_the_presets() -> None:
    watchers = MappingProxyType({"watchers": ("守望员义警队", "Watchers")})
    watchers_only = replace(GUCHENG, teams=watchers)
    loop = county_loop(watchers_only)
    demo.enrol(loop.incidents)
    volunteers = Volunteers(loop.app, loop.volunteers.scoring, watchers_only)
    before = loop.app.recorder.max_notification_id()
    with pytest.raises(InvalidInput) as caught:
        volunteers.join_team(demo.CADRE_XF, demo.RIDER.id, team="youth")
    assert caught.value.details["allowed"] == ["watchers"]
    assert loop.app.recorder.max_notification_id() == before
    volunteers.join_team(demo.CADRE_XF, demo.RIDER.id, team="watchers")
    assert volunteers.get(demo.RIDER.id).teams == ["rescue", "watchers"]
