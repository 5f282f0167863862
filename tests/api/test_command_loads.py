"""Commands whose route knows what they act on name it (``Command.loads``), so the
writer can load a batch's aggregates together (``loop.storage.batch_loads``): what a
route names is what its command then loads, and a name that is no id is left out."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from aggregates.points_account import account_id
from aggregates.roster import roster_id
from aggregates.volunteer import volunteer_aggregate_id
from api.dispatch import ids
from tests.api.conftest import Api
from tests.api.test_notices_over_http import publish
from tests.api.test_talks_over_http import NOW, STATION, caught_up, order_by_form
from tests.api.test_tasks_over_http import clocked, task_body
from tests.support import FakeClock

LIU = "v-xf-liu"


class Named:
    """What each command sent to the writer names, and what it loaded there."""

    def __init__(self, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
        committer = api.services.committer
        repository = committer.repository
        self.loads: list[tuple[UUID, ...]] = []
        self.loaded: set[UUID] = set()
        submit, get = committer.submit, repository.get

        def named_submit(fn: Any, *args: Any, loads: Any = (), **kwargs: Any) -> Any:
            self.loads.append(tuple(loads))
            return submit(fn, *args, loads=loads, **kwargs)

        def seen_get(aggregate_id: UUID, **kwargs: Any) -> Any:
            if repository.batch is not None:
                self.loaded.add(aggregate_id)
            return get(aggregate_id, **kwargs)

        monkeypatch.setattr(committer, "submit", named_submit)
        monkeypatch.setattr(repository, "get", seen_get)

    def sent(
        self, api: Api, user: str, path: str, body: Any = None, status: int = 200
    ) -> tuple[UUID, ...]:
        """Send the command; what it named, each of which it loaded."""
        self.loads.clear()
        self.loaded.clear()
        answer = api.post(user, path, body)
        assert answer.status_code == status, answer.text
        [named] = self.loads
        assert set(named) <= self.loaded, "named but not loaded by the command"
        return named


@pytest.fixture
def named(api: Api, monkeypatch: pytest.MonkeyPatch) -> Named:
    return Named(api, monkeypatch)


def test_volunteer_and_account_commands_name_the_volunteer_or_his_account(
    api: Api, named: Named
) -> None:
    chen = volunteer_aggregate_id("v-xf-chen")
    team = named.sent(api, "c-xf-sun", "/api/volunteers/v-xf-chen/teams", {"team": "rescue"})
    assert team == (chen,)
    month = {"month": "2026-06", "passed": True, "note": "合格"}
    assert named.sent(api, "d-xf-zhao", f"/api/accounts/{LIU}/evaluations", month) == (
        account_id(LIU),
    )
    items = api.services.views.queries.catalogue("lishu/chaoyang/xingfu")
    item = min(items, key=lambda i: i["price"])["item_id"]
    # he has no points yet: refused, once the account and the item are loaded
    path, body = f"/api/accounts/{LIU}/redemptions", {"item_id": item}
    assert named.sent(api, LIU, path, body, status=409) == (account_id(LIU), UUID(item))


def test_task_commands_name_the_task_and_a_booking_the_volunteer_and_his_roster(
    api: Api, named: Named
) -> None:
    clocked(api)
    task = api.post("s-cy-wang", "/api/tasks", task_body()).json()["task_id"]
    booking = (UUID(task), volunteer_aggregate_id(LIU), roster_id(LIU))
    assert named.sent(api, LIU, f"/api/tasks/{task}/sign-ups", {}) == booking
    assert named.sent(api, LIU, f"/api/tasks/{task}/withdrawal", {}) == booking
    more = {"needed": 3, "reason": "增加名额"}
    revised = named.sent(api, "s-cy-wang", f"/api/tasks/{task}/revision", more)
    assert revised == (UUID(task),)


def test_notice_and_talk_order_commands_name_the_notice_or_the_order(
    api: Api, named: Named
) -> None:
    notice = publish(api)["notice_id"]
    acknowledged = named.sent(api, LIU, f"/api/notices/{notice}/acknowledgement")
    assert acknowledged == (UUID(notice),)

    api.services.loop.app.clock = FakeClock(NOW)
    menu = {
        "theme": "anti_fraud",
        "title": "防范电信网络诈骗",
        "format": "market_talk",
        "minutes": 60,
        "audience": "师生家长",
        "speakers": [LIU],
    }
    item = api.post(STATION, "/api/talks/menu", menu).json()["item_id"]
    order_by_form(api, item)
    caught_up(api)
    [order] = api.get(STATION, "/api/talks/orders").json()["items"]
    accepted = named.sent(api, STATION, f"/api/talks/orders/{order['order_id']}/acceptance")
    assert accepted == (UUID(order["order_id"]),)


def test_what_is_no_id_is_left_out_of_the_names() -> None:
    given = "6f1c2a0e-1111-4222-8333-444455556666"
    assert ids("no-such-id", None, given) == (UUID(given),)
    assert ids(LIU, "\ud800", of=volunteer_aggregate_id) == (volunteer_aggregate_id(LIU),)
