"""Who may read and do what on talk orders: every demo user against an order
held by 朝阳. Staff within the holding unit read it; anyone else gets 404, as for
an order that does not exist; only the station (and the county's desk) answer
it, and a refused answer stores nothing. ``tests/api/test_access_matrix.py``
counts these endpoints as classified."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from aggregates.actor import Actor
from api.app import create_app
from api.services import Services
from loop import demo
from loop.rules import permissions
from loop.rules.talk_access import menu_record, order_record
from tests.api.conftest import Issued, service_settings
from tests.api.served import DEMO_USERS, SECRET, copy_database
from tests.support import CHINA, FakeClock
from tests.talk_helpers import offer, order
from tests.talk_helpers import talks_of as _talks_of

TALK_READS = {
    "/api/talks/menu",
    "/api/talks/orders",
    "/api/talks/orders/{order_id}",
    "/api/talks/orders/{order_id}/link",
    "/api/talks/orders/{order_id}/speakers",
    "/api/talks/speakers",
    "/api/talks/reach",
    "/api/talks/suggestions",
}
TALK_COMMANDS = {
    "/api/talks/menu",
    "/api/talks/menu/{item_id}/withdrawal",
    "/api/talks/orders",
    "/api/talks/orders/{order_id}/acceptance",
    "/api/talks/orders/{order_id}/decline",
    "/api/talks/orders/{order_id}/forwarding",
    "/api/talks/orders/{order_id}/schedule",
    "/api/talks/orders/{order_id}/delivery",
    "/api/talks/orders/{order_id}/follow-up",
    "/api/talks/orders/{order_id}/cancellation",
    "/api/talks/speakers",
    "/api/talks/speakers/{ref}/retirement",
}
TALK_PAGES = {"/talks", "/public/talks", "/public/talks/o/{link}", "/public/talks/r/{link}"}
TALK_FORMS = {
    "/talks/menu",
    "/talks/answer",
    "/public/talks",
    "/public/talks/o/{link}/{action}",
    "/public/talks/r/{link}",
}


@pytest.fixture(scope="module")
def matrix(seeded: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Issued, str]]:
    database = copy_database(seeded, tmp_path_factory.mktemp("talk-matrix"))
    app = create_app(service_settings(f"sqlite:///{database}", secret_key=SECRET))
    with TestClient(app) as client:
        services: Services = app.state.services
        services.loop.app.clock = FakeClock(datetime(2026, 9, 1, 9, 0, tzinfo=CHINA))
        talks, _ = _talks_of(services.loop)
        placed = order(talks, offer(talks), date(2026, 9, 1))
        assert services.views.runner.wait_for(placed.position or 0, 30)
        yield Issued(client, services, DEMO_USERS), placed.order_id


def readers(user: Actor) -> bool:
    return permissions.may("read_talk_order", user, order_record(demo.STATION))


def test_an_order_is_read_by_the_staff_of_its_station_and_unknown_to_everyone_else(
    matrix: tuple[Issued, str],
) -> None:
    world, order_id = matrix
    assert any(readers(u) for u in DEMO_USERS)
    assert not all(readers(u) for u in DEMO_USERS)
    for user in DEMO_USERS:
        answer = world.get(user, f"/api/talks/orders/{order_id}")
        assert answer.status_code == (200 if readers(user) else 404), (user, answer.text)
        if not readers(user):  # as for an order that does not exist
            nothing = world.get(user, f"/api/talks/orders/{uuid4()}").json()
            assert {**answer.json(), "details": {}} == {**nothing, "details": {}}


def test_only_the_station_and_the_county_desk_may_answer_and_refusals_store_nothing(
    matrix: tuple[Issued, str],
) -> None:
    world, order_id = matrix
    answerers = [
        u for u in DEMO_USERS if permissions.may("take_talk_order", u, order_record(demo.STATION))
    ]
    assert {u.role for u in answerers} <= {"station_officer", "county_officer"}
    for user in DEMO_USERS:
        if user in answerers:
            continue
        before = world.head()
        answer = world.post(user, f"/api/talks/orders/{order_id}/decline", {"reason": "不想去"})
        assert answer.status_code in (403, 404), (user, answer.text)
        assert answer.json()["code"] in ("not_permitted", "talk_order_not_found")
        assert world.head() == before
    assert world.post(answerers[0], f"/api/talks/orders/{order_id}/acceptance").status_code == 200


def test_only_the_station_and_the_county_desk_register_speakers_and_see_an_orders_pool(
    matrix: tuple[Issued, str],
) -> None:
    world, order_id = matrix
    teacher = {"kind": "outside", "name": "张律师", "organisation": "朝阳律师事务所"}
    keepers = [
        u for u in DEMO_USERS if permissions.may("keep_talk_menu", u, menu_record(demo.STATION))
    ]
    assert keepers
    for user in DEMO_USERS:
        pool = world.get(user, f"/api/talks/orders/{order_id}/speakers")
        assert pool.status_code == (200 if readers(user) else 404), (user, pool.text)
        if user in keepers:
            continue
        before = world.head()
        answer = world.post(user, "/api/talks/speakers", {**teacher, "unit": demo.STATION})
        assert answer.status_code == 403, (user, answer.text)
        assert answer.json()["code"] == "not_permitted"
        assert world.head() == before
    station = next(u for u in keepers if u.unit == demo.STATION)
    made = world.post(station, "/api/talks/speakers", teacher)
    assert made.status_code == 201, made.text
