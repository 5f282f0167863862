"""An unanswered talk order in the inbox: the holding station is told once when
the answer deadline passes; not if it accepted or declined in time; a forwarded
order tells the new holder at its new deadline, never the first; neither a
second tick nor a rebuild of the read model tells anything twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from aggregates.actor import Actor
from loop import demo
from loop.rules.alerts import words
from tests.projections.notify import County
from tests.talk_helpers import STATION, offer, order, talks_of

MINUTE = timedelta(minutes=1)
OTHER_STATION = Actor("s-df-li", "station_officer", "lishu/dongfeng")


@pytest.fixture
def county(tmp_path: Path) -> Iterator[County]:
    made = County(f"sqlite:///{tmp_path / 'views.db'}")
    yield made
    made.close()


def unanswered(county: County, who: Actor) -> list[str]:
    return [e["subject_id"] for e in county.entries(who) if e["kind"] == "talk_unanswered"]


def test_an_unanswered_order_tells_its_station_once_at_the_deadline(county: County) -> None:
    talks, _ = talks_of(county.loop)
    item = offer(talks)
    today = date(2026, 7, 11)
    late = order(talks, item, today)
    answered = order(talks, item, today)
    declined = order(talks, item, today)
    talks.accept(STATION, answered.order_id)
    talks.decline(STATION, declined.order_id, reason="本周已排满")
    deadline = county.clock.now + talks.policy.answer_within
    county.clock.now = deadline - MINUTE
    assert county.tick() == 0
    county.clock.now = deadline + MINUTE
    assert county.tick() == 1
    assert county.tick() == 0
    assert unanswered(county, STATION) == [late.order_id]
    entry = next(e for e in county.entries(STATION) if e["kind"] == "talk_unanswered")
    title, body, _, _ = words(entry["kind"], entry["params"])
    assert title == "宣讲点单待答复"
    assert late.order_id[:8] in body
    assert unanswered(county, demo.OFFICER_XF) == []  # the station's, not the community's

    county.projector.rebuild("notifications")
    assert county.tick() == 0


def test_a_forwarded_order_tells_the_new_station_at_its_new_deadline(county: County) -> None:
    talks, _ = talks_of(county.loop)
    placed = order(talks, offer(talks), date(2026, 7, 11), community="lishu/dongfeng/hongqi")
    county.clock.advance(timedelta(days=1))
    talks.forward(STATION, placed.order_id, to_unit="lishu/dongfeng", reason="非本辖区")
    first_deadline = county.clock.now - timedelta(days=1) + talks.policy.answer_within
    county.clock.now = first_deadline + MINUTE
    assert county.tick() == 0  # the first station's mark went with the order
    county.clock.advance(timedelta(days=1))
    assert county.tick() == 1
    assert unanswered(county, OTHER_STATION) == [placed.order_id]
    assert unanswered(county, STATION) == []
