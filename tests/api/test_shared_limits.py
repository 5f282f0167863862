"""Throttles and one-time secrets hold across API processes: two services on one
database (a SQLite file, and PostgreSQL) count log-in failures, public reports,
codes and answered questions against one total, and hits racing from threads on
two stores never let more than the limit through."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import limits
import pytest
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from api import public_codes
from api.public_codes import CodeRefused, OutboxSender, PhoneCodes
from api.rate_limits import DatabaseStorage, setup
from api.routes import open311
from api.seed import DEMO_PASSWORD
from projections.store import Store
from tests.api import test_open311 as open311_tests
from tests.api import test_public_report as report
from tests.api import test_self_registration as join
from tests.api import test_talks_over_http as talks
from tests.api.conftest import Api, in_process
from tests.postgres import create_postgres_database, drop_postgres_database
from tests.support import FakeClock


@pytest.fixture(params=["sqlite", "postgresql"])
def shared(request: pytest.FixtureRequest) -> str:
    """A seeded database two services share: a SQLite file, or PostgreSQL."""
    fixture = "database" if request.param == "sqlite" else "postgres_database"
    url: str = request.getfixturevalue(fixture)
    return url


def two(url: str, **settings: Any) -> tuple[ExitStack, Api, Api]:
    stack = ExitStack()
    first = stack.enter_context(in_process(url, **settings))
    second = stack.enter_context(in_process(url, **settings))
    return stack, first, second


def log_in(api: Api, username: str, password: str) -> Any:
    return api.client.post("/api/auth/login", json={"username": username, "password": password})


def test_failed_log_ins_from_one_address_over_two_services_are_throttled_at_the_total(
    shared: str,
) -> None:
    stack, a, b = two(shared, login_address_limit="6/10 minutes")
    with stack:
        names = ["o-xf-li", "c-xf-sun", "d-xf-zhao", "nobody-1", "nobody-2", "o-hp-zhang"]
        answers = [log_in((a, b)[n % 2], name, "wrong guess") for n, name in enumerate(names)]
        assert [x.status_code for x in answers] == [401] * 6
        for api in (a, b):
            refused = log_in(api, "s-cy-wang", DEMO_PASSWORD)  # even the right password
            assert refused.status_code == 429
            assert refused.json()["code"] == "login_throttled"
            assert 500 < int(refused.headers["retry-after"]) <= 600


def test_a_name_no_account_has_is_counted_over_both_services(shared: str) -> None:
    stack, a, b = two(shared, login_address_limit="1000/10 minutes")
    with stack:
        answers = [log_in((a, b)[n % 2], "o-hp-nobody", f"guess {n}") for n in range(12)]
        assert [x.status_code for x in answers] == [401] * 10 + [429] * 2  # as a real name's


def test_the_public_forms_limits_per_address_and_per_phone_hold_over_both_services(
    shared: str,
) -> None:
    stack, a, b = two(shared)
    with stack:
        for n in range(5):
            api = (a, b)[n % 2]
            token = report.token_of(api.client.get("/public/report").text)
            assert report.send(api, token, phone="13904430000").status_code == 303
        for api in (a, b):  # the sixth report of the phone today, on either
            token = report.token_of(api.client.get("/public/report").text)
            refused = report.send(api, token, phone="13904430000")
            assert refused.status_code == 400
            assert "提交过于频繁" in refused.text
        # the address has sent seven forms; three more are let through, then none
        for n in range(3):
            api = (a, b)[n % 2]
            token = report.token_of(api.client.get("/public/report").text)
            assert report.send(api, token, phone=f"1390443100{n}").status_code == 303
        before = report.head(a)
        token = report.token_of(b.client.get("/public/report").text)
        refused = report.send(b, token, phone="13904439000")
        assert refused.status_code == 400
        assert "提交过于频繁" in refused.text
        assert report.head(a) == before


def code_sent(api: Api, token: str) -> str:
    asked = report.send(api, token)
    assert asked.status_code == 200, asked.text
    sender = api.client.app.state.public_code_sender  # type: ignore[attr-defined]
    assert isinstance(sender, OutboxSender)
    found = re.search(r"验证码是(\d{6})", sender.sent[-1][1])
    assert found is not None
    return found[1]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_a_code_sent_by_one_service_is_checked_counted_and_used_once_by_the_other(
    shared: str,
) -> None:
    stack, a, b = two(shared, public_verification=True)
    with stack:
        token = report.token_of(a.client.get("/public/report").text)
        code = code_sent(a, token)
        assert "还可再试4次" in report.send(b, token, code=wrong(code)).text
        assert "还可再试3次" in report.send(a, token, code=wrong(code)).text
        sent = report.send(b, token, code=code)
        assert sent.status_code == 303, sent.text
        after = report.head(a)
        other = report.token_of(a.client.get("/public/report").text)
        reused = report.send(a, other, code=code)  # spent: it verifies no other form
        assert "请先获取验证码" in reused.text
        assert report.head(a) == after

        token = report.token_of(b.client.get("/public/report").text)
        code = code_sent(b, token)
        for n in range(4):
            report.send((a, b)[n % 2], token, code=wrong(code))
        fifth = report.send(a, token, code=wrong(code))
        assert "验证码错误次数过多" in fifth.text
        assert "请先获取验证码" in report.send(b, token, code=code).text  # void everywhere
        assert report.head(a) == after


def test_a_question_answered_on_one_service_is_refused_on_the_other(shared: str) -> None:
    stack, a, b = two(shared)
    with stack:
        form = join.filled(a)
        right = form["answer"]
        form["answer"] = str(int(right) + 1)
        assert "答案不对" in join.send(a, form).text
        before = join.head(a)
        form["answer"] = right  # the right answer, once the question was burned
        again = join.send(b, form)
        assert (again.status_code, join.refused_code(again)) == (422, "challenge_refused")
        assert "已经作答过" in again.text
        assert join.head(b) == before


def test_an_open311_clients_posts_are_limited_over_both_services(
    shared: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(open311, "CLIENT_LIMIT", limits.parse("3/minute"))
    stack, a, b = two(shared)
    with stack:
        client = {"client_id": "suishoupai", "name": "梨树随手拍", "jurisdiction": "lishu"}
        key = a.post("admin", "/api/open311/clients", client).json()["api_key"]
        answers = [open311_tests.post((a, b)[n % 2], key) for n in range(3)]
        assert [x.status_code for x in answers] == [200] * 3
        before = open311_tests.head(a)
        for api in (a, b):
            refused = open311_tests.post(api, key)
            assert refused.status_code == 429
            assert refused.headers["retry-after"] == "60"
        assert open311_tests.head(b) == before


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[tuple[Store, Store]]:
    """Two stores (as two processes have) on one empty database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'limits.db'}"
        server = None
    else:
        server = request.getfixturevalue("postgres_server")
        url = create_postgres_database(server)
    first, second = Store.from_url(url), Store.from_url(url)
    setup(first)
    try:
        yield first, second
    finally:
        first.dispose()
        second.dispose()
        if server is not None:
            drop_postgres_database(server, url)


def test_hits_racing_from_threads_on_two_stores_never_pass_the_limit(
    stores: tuple[Store, Store],
) -> None:
    item = limits.parse("25/hour")
    limiters = [MovingWindowRateLimiter(DatabaseStorage(store)) for store in stores]
    passed: list[bool] = []
    start = threading.Barrier(8)

    def hammer(limiter: MovingWindowRateLimiter) -> None:
        start.wait()
        for _ in range(10):
            passed.append(limiter.hit(item, "race", "10.0.0.1"))

    threads = [threading.Thread(target=hammer, args=(limiters[n % 2],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(passed) == 80
    assert passed.count(True) == 25
    for limiter in limiters:
        assert limiter.get_window_stats(item, "race", "10.0.0.1").remaining == 0
        assert limiter.hit(item, "race", "10.0.0.2")  # another key has its own window


def test_wrong_codes_racing_from_threads_on_two_stores_are_each_counted(
    stores: tuple[Store, Store],
) -> None:
    public_codes.setup(stores[0])
    codes = [PhoneCodes(lambda text: f"digest:{text}", store) for store in stores]
    token, phone = "t" * 43, "13904439911"
    code = codes[0].issue(token, phone)
    reasons: list[str] = []
    start = threading.Barrier(8)

    def guess(checker: PhoneCodes) -> None:
        start.wait()
        try:
            checker.check(token, phone, wrong(code))
        except CodeRefused as refused:
            reasons.append(str(refused.details["reason"]))

    threads = [threading.Thread(target=guess, args=(codes[n % 2],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(reasons) == ["no_code"] * 3 + ["too_many_tries"] + ["wrong"] * 4


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


def test_the_window_moves_and_old_hits_are_pruned(tmp_path: Any) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'limits.db'}")
    setup(store)
    clock = Clock()
    storage = DatabaseStorage(store, clock=clock)
    limiter = MovingWindowRateLimiter(storage)
    item = limits.parse("3/minute")
    start = clock.now
    for at in (0, 10, 20):
        clock.now = start + at
        assert limiter.hit(item, "k")
    clock.now = start + 30
    assert not limiter.hit(item, "k")
    assert not limiter.test(item, "k")
    stats = limiter.get_window_stats(item, "k")
    assert (stats.reset_time, stats.remaining) == (start + 60, 0)
    clock.now = start + 60.5  # the first hit has left the window
    assert limiter.hit(item, "k")
    assert not limiter.hit(item, "k")
    with store.read() as conn:
        held = conn.exec_driver_sql("SELECT count(*) FROM api_rate_hits").scalar()
    assert held == 3  # the hit that left every window was removed
    storage.clear(item.key_for("k"))
    assert limiter.hit(item, "k")
    store.dispose()


def test_a_fixed_window_counts_per_key_until_it_expires(tmp_path: Any) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'limits.db'}")
    setup(store)
    clock = Clock()
    limiter = FixedWindowRateLimiter(DatabaseStorage(store, clock=clock))
    item = limits.parse("2/minute")
    assert [limiter.hit(item, "k") for _ in range(3)] == [True, True, False]
    assert limiter.get_window_stats(item, "k").reset_time == clock.now + 60
    clock.now += 61
    assert limiter.test(item, "k")
    assert limiter.hit(item, "k")
    store.dispose()


def talk_order(api: Api, item: str, phone: str) -> Any:
    form = api.client.get("/public/talks")
    token = re.search(r'name="token" value="([^"]+)"', form.text)
    assert token is not None
    return api.client.post(
        "/public/talks",
        data={
            "token": token[1],
            "item": f"lishu/chaoyang|{item}",
            "community": "lishu/chaoyang/xingfu",
            "orderer_kind": "school",
            "window_from": "2026-09-05",
            "window_to": "2026-09-10",
            "place": "幸福小学操场",
            "name": "李老师",
            "phone": phone,
        },
        follow_redirects=False,
    )


def test_the_talk_order_forms_limits_hold_over_both_services_apart_from_the_report_forms(
    shared: str,
) -> None:
    stack, a, b = two(shared)
    with stack:
        for api in (a, b):
            api.services.loop.app.clock = FakeClock(talks.NOW)
        item = a.post(talks.STATION, "/api/talks/menu", MENU_ITEM)
        assert item.status_code == 201, item.text
        talks.caught_up(b)
        for n in range(5):
            sent = talk_order((a, b)[n % 2], item.json()["item_id"], "13900002222")
            assert sent.status_code == 303, sent.text
        for api in (a, b):  # the sixth order of the phone today, on either
            refused = talk_order(api, item.json()["item_id"], "13900002222")
            assert "提交过于频繁" in refused.text
        # the report form counts its own: this address has sent it nothing yet
        token = report.token_of(b.client.get("/public/report").text)
        assert report.send(b, token, phone="13904430000").status_code == 303


MENU_ITEM = {
    "theme": "anti_fraud",
    "title": "防范电信网络诈骗",
    "format": "market_talk",
    "minutes": 60,
    "audience": "师生家长",
    "speakers": ["v-xf-liu", "v-xf-chen"],
}
