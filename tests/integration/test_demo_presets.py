"""The demo under each county preset: its volunteers are placed in the running
preset's words (Fuping's 蓝马甲 squads, Gucheng's duty roles), the day demo's and
the year's alike, and Lishu's demo keeps its occupations."""

from __future__ import annotations

from datetime import datetime

import pytest

from aggregates.volunteer import Volunteer, volunteer_aggregate_id
from api.seed import VOLUNTEERS, enrol_extra, named_volunteers
from loop import demo, demo_year
from loop.bootstrap import Loop, open_loop
from loop.rules.counties import COUNTIES, FUPING, GUCHENG, LISHU, CountyPreset
from loop.rules.scoring import resolve_scoring
from tests.support import CHINA, FakeClock

END = datetime(2026, 12, 7, 9, 0, tzinfo=CHINA)
EXTRAS = [person for person, _, _ in demo_year.extra_volunteers()]


def county_loop(county: CountyPreset) -> Loop:
    return open_loop(clock=FakeClock(), scoring=resolve_scoring(county.scoring), county=county)


def placements(loop: Loop) -> dict[str, str]:
    """Every demo volunteer's occupation (squad, duty role), of those who joined."""
    people = [person for person, *_ in demo.APPLICANTS] + EXTRAS
    found = [loop.app.find(volunteer_aggregate_id(p.id), Volunteer) for p in people]
    return {v.volunteer_id: v.occupation for v in found if v is not None}


@pytest.mark.parametrize("county", [FUPING, GUCHENG, LISHU], ids=lambda c: c.name)
def test_the_day_demo_speaks_the_presets_words(county: CountyPreset) -> None:
    loop = county_loop(county)
    demo.register_units(loop.registry)
    demo.run(loop.incidents, county)
    enrol_extra(loop.incidents, county)
    placed = placements(loop)
    assert set(placed.values()) == set(county.occupations), "every word of the county, none else"
    shown = [display for _, display in named_volunteers(county)]
    assert all(any(f"（{zh}）" in d for zh, _ in county.occupations.values()) for d in shown)


@pytest.mark.parametrize("county", [FUPING, GUCHENG], ids=lambda c: c.name)
def test_a_year_of_another_county_speaks_its_words(county: CountyPreset) -> None:
    loop = open_loop(scoring=resolve_scoring(county.scoring), county=county)
    with loop.app.one_transaction():
        made = demo_year.generate(loop, end=END, days=60)
    assert made.refused == {}
    placed = placements(loop)
    assert len(placed) > len(demo.APPLICANTS), "the first extras joined on the first day"
    assert set(placed.values()) == set(county.occupations)


def test_lishu_keeps_its_occupations_and_names() -> None:
    assert named_volunteers(LISHU) == VOLUNTEERS
    assert [demo.placed(o) for _, _, o, *_ in demo.APPLICANTS] == [
        "delivery_rider", "courier", "meter_reader", "taxi_driver", "sanitation_worker",
    ]  # fmt: skip
    for county in COUNTIES.values():
        for code in county.occupations:  # a county's own word stays as it is
            assert demo.placed(code, county) == code
