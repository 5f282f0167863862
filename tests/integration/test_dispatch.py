"""The dispatcher: retries on schedule then failed, quiet hours, expiry, claims
that two dispatchers never share (SQLite and PostgreSQL), and the adapters'
requests (a signed webhook, the SMS gateway)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from loop import demo
from loop.rules.alerts import words
from loop.services.personal import forget
from projections.notifications import tables as outbox
from projections.notifications.adapters import (
    Outgoing,
    PermanentFailure,
    SmsGatewayAdapter,
    TemporaryFailure,
    WebhookAdapter,
    signature,
)
from projections.notifications.dispatch import Dispatcher, QuietHours, RetryPolicy
from projections.notifications.outbox import Message, tell
from projections.notifications.rules import SMS, Address
from tests.projections.notify import County
from tests.support import CHINA
from tests.unit.test_notices import ADMIN

MINUTE = timedelta(minutes=1)


class Gateway:
    """A stand-in adapter: records what it was given; fails as told."""

    def __init__(self, channel: str = SMS, failure: Exception | None = None) -> None:
        self.channel = channel
        self.failure = failure
        self.sent: list[Outgoing] = []
        self.lock = threading.Lock()

    def send(self, outgoing: Outgoing) -> None:
        if self.failure is not None:
            raise self.failure
        with self.lock:
            self.sent.append(outgoing)


@pytest.fixture
def county() -> Iterator[County]:
    made = County(start=datetime(2026, 7, 11, 10, 0, tzinfo=CHINA))
    yield made
    made.close()


def dispatcher(county: County, *adapters: Any, **options: Any) -> Dispatcher:
    return Dispatcher(
        county.store, {a.channel: a for a in adapters}, words, now=county.clock, **options
    )


def accepted_report(county: County) -> str:
    """An accepted report: 义警小刘 is told, in the inbox and by text message."""
    incident = county.report()
    county.flow.take("accept", demo.OFFICER_XF, incident)
    county.catch_up()
    return str(incident)


def fill(county: County, n: int, *, channel: str = SMS) -> None:
    """``n`` messages to volunteers, each with one delivery on ``channel``."""
    county.catch_up()
    people = [demo.RIDER, demo.COURIER, demo.METER, demo.TAXI, demo.SWEEPER]
    at = county.clock().astimezone(CHINA).replace(tzinfo=None) - timedelta(hours=8)
    with county.store.write() as conn:
        tables = county.projector.live_tables(conn, "notifications")
        tell(
            conn,
            tables,
            [
                Message(
                    f"test:{i}",
                    "report_accepted",
                    f"incident-{i}",
                    demo.XINGFU,
                    Address(person=people[i % len(people)].id),
                    at,
                    {"incident_id": f"incident-{i}", "module": "anti_fraud", "tier": "community"},
                    "normal",
                    (channel,),
                )
                for i in range(n)
            ],
            {channel},
        )


# -- retries, then failed; the inbox keeps it ---------------------------------------------------


def test_a_failing_sms_gateway_is_retried_on_schedule_then_failed_and_the_inbox_keeps_it(
    county: County,
) -> None:
    incident = accepted_report(county)
    gateway = Gateway(failure=TemporaryFailure("HTTP 503: gateway busy"))
    retry = RetryPolicy((MINUTE, 5 * MINUTE, 30 * MINUTE))
    send = dispatcher(county, gateway, retry=retry)
    schedule = []
    for pause in [timedelta(0), *retry.delays]:
        county.clock.advance(pause - timedelta(seconds=1) if pause else timedelta(0))
        if pause:
            assert send.run_once() == 0, "tried again before its pause was over"
            county.clock.advance(timedelta(seconds=1))
        assert send.run_once() == 1
        (delivery,) = county.deliveries(channel=SMS)
        schedule.append((delivery["status"], delivery["attempts"], delivery["next_attempt_at"]))
    at = county.clock().astimezone(CHINA).replace(tzinfo=None) - timedelta(hours=8)
    assert [s[:2] for s in schedule] == [
        ("pending", 1),
        ("pending", 2),
        ("pending", 3),
        ("failed", 4),
    ]
    assert schedule[-1][2] == at  # not tried again
    assert send.run_once() == 0
    told = county.entries(demo.RIDER)
    assert [(e["kind"], e["subject_id"]) for e in told] == [("report_accepted", incident)]
    with county.store.read() as conn:
        log = conn.execute(outbox.attempts.select().order_by(outbox.attempts.c.attempt_id)).all()
    assert [(a.attempt, a.outcome) for a in log] == [
        (1, "retry"), (2, "retry"), (3, "retry"), (4, "failed"),
    ]  # fmt: skip
    assert all("gateway busy" in a.detail for a in log)


def test_a_refusal_fails_at_once_and_no_address_is_skipped(county: County) -> None:
    accepted_report(county)
    assert dispatcher(county, Gateway(failure=PermanentFailure("HTTP 400"))).run_once() == 1
    assert [d["status"] for d in county.deliveries()] == ["failed"]
    forget(county.loop.app, ADMIN, demo.COURIER.id, "本人申请删除个人信息")
    fill(county, 1)  # to 义警小刘: the gateway below finds no number for him
    phoneless = SmsGatewayAdapter("http://sms.invalid", lambda _id: None)
    assert dispatcher(county, phoneless).run_once() == 1
    assert county.deliveries()[-1]["status"] == "skipped"


# -- quiet hours and expiry ----------------------------------------------------------------------


def test_text_messages_wait_for_the_end_of_quiet_hours_unless_urgent(county: County) -> None:
    county.clock.advance(timedelta(hours=13))  # 23:00 China time
    accepted_report(county)
    gateway = Gateway()
    send = dispatcher(county, gateway, quiet=QuietHours.parse("22:00-07:00"))
    assert send.run_once() == 1
    (delivery,) = county.deliveries()
    assert (delivery["status"], delivery["attempts"]) == ("pending", 0)
    assert delivery["next_attempt_at"] == datetime(2026, 7, 11, 23, 0)  # 07:00 China time
    assert gateway.sent == []
    county.clock.advance(timedelta(hours=8))
    assert send.run_once() == 1
    assert [o.recipient for o in gateway.sent] == [demo.RIDER.id]
    with county.store.write() as conn:  # an urgent text goes at night too
        conn.execute(outbox.deliveries.update().values(status="pending", priority="urgent"))
    county.clock.advance(timedelta(hours=15))  # 23:00 again
    assert send.run_once() == 1
    assert len(gateway.sent) == 2


def test_a_message_whose_moment_passed_is_not_sent_late(county: County) -> None:
    accepted_report(county)
    county.clock.advance(timedelta(days=2))  # an acceptance is news for a day
    gateway = Gateway()
    assert dispatcher(county, gateway).run_once() == 1
    assert [d["status"] for d in county.deliveries()] == ["expired"]
    assert gateway.sent == []
    assert county.kinds(demo.RIDER) == ["report_accepted"]


# -- claims: two dispatchers never share a delivery ------------------------------------------


def test_a_claim_is_held_until_its_lease_runs_out(county: County) -> None:
    fill(county, 3)
    first = dispatcher(county, Gateway(), worker="notify-1", lease=2 * MINUTE)
    second = dispatcher(county, Gateway(), worker="notify-2")
    claimed = first.claim()  # and then the process dies
    assert len(claimed) == 3
    assert second.claim() == []
    county.clock.advance(2 * MINUTE + timedelta(seconds=1))
    assert len(second.claim()) == 3
    assert first.deliver(claimed[0]) == "sent"  # too late: its claim was taken over
    assert {d["worker"] for d in county.deliveries()} == {"notify-2"}
    assert {d["status"] for d in county.deliveries()} == {"sending"}


def test_a_dispatcher_restarted_under_its_name_takes_back_its_own_claims(county: County) -> None:
    fill(county, 3)
    assert len(dispatcher(county, Gateway(), worker="notify-1").claim()) == 3
    again = Gateway()
    assert dispatcher(county, again, worker="notify-1").run_once() == 3
    assert len(again.sent) == 3


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite:///{tmp_path / 'views.db'}"


def test_concurrent_dispatchers_send_each_delivery_once(store_url: str) -> None:
    county = County(store_url)
    fill(county, 120)
    gateway = Gateway()
    workers = [dispatcher(county, gateway, worker=f"notify-{n}", batch_size=7) for n in range(3)]
    claims: dict[str, int] = Counter()

    def drain(worker: Dispatcher) -> None:
        while handled := worker.run_once():
            claims[worker.worker] += handled

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    keys = Counter(o.key for o in gateway.sent)
    assert len(keys) == 120
    assert set(keys.values()) == {1}
    assert {d["status"] for d in county.deliveries()} == {"sent"}
    assert sum(claims.values()) == 120
    if county.store.dialect == "postgresql":  # SKIP LOCKED: they worked side by side
        assert len([w for w in claims if claims[w]]) >= 2
    county.close()


# -- the adapters' requests ---------------------------------------------------------------------


def test_the_webhook_is_signed_json_with_no_personal_data(county: County) -> None:
    incident = county.report(informant={"name": "王秀兰", "phone": "13904431234"})
    county.flow.take("escalate", demo.OFFICER_XF, incident, reason="需要派出所深入调查")
    county.catch_up()
    received: list[httpx.Request] = []

    def command_centre(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    secret = "command-centre-shared-secret-0123456789"
    hook = WebhookAdapter(
        "https://command.invalid/alerts",
        secret,
        client=httpx.Client(transport=httpx.MockTransport(command_centre)),
    )
    assert dispatcher(county, hook).run_once() == 1
    (request,) = received
    body = request.content
    stamp = request.headers["X-Lishu-Timestamp"]
    assert request.headers["X-Lishu-Signature"] == signature(secret.encode(), stamp, body)
    assert request.headers["X-Lishu-Signature"] != signature(b"another key", stamp, body)
    payload = json.loads(body)
    assert payload["kind"] == "escalated_to_you"
    assert payload["to"] == {
        "person": None, "unit": demo.STATION, "role": "station_officer", "audience": None,
    }  # fmt: skip
    assert request.headers["Idempotency-Key"] == payload["id"]
    assert "已提格上交派出所" in payload["text_zh"]
    assert "王秀兰" not in body.decode()
    assert "13904431234" not in body.decode()


@pytest.mark.parametrize(
    ("status", "outcome"), [(500, "pending"), (429, "pending"), (400, "failed"), (404, "failed")]
)
def test_the_receivers_answer_decides_between_a_retry_and_failing(
    county: County, status: int, outcome: str
) -> None:
    incident = county.report()
    county.flow.take("escalate", demo.OFFICER_XF, incident, reason="需要派出所深入调查")
    county.catch_up()
    hook = WebhookAdapter(
        "https://command.invalid/alerts",
        "command-centre-shared-secret-0123456789",
        client=httpx.Client(transport=httpx.MockTransport(lambda _r: httpx.Response(status))),
    )
    assert dispatcher(county, hook).run_once() == 1
    assert [d["status"] for d in county.deliveries()] == [outcome]
    assert f"HTTP {status}" in (county.deliveries()[0]["last_error"] or "")


def test_the_sms_gateway_gets_the_number_looked_up_at_sending(county: County) -> None:
    accepted_report(county)
    received: list[dict[str, Any]] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        received.append({"body": json.loads(request.content), **request.headers})
        return httpx.Response(200, json={"ok": True})

    sms = SmsGatewayAdapter(
        "http://sms.gateway.invalid/send",
        county.loop.notices.phone_of,
        token="gateway-token",
        client=httpx.Client(transport=httpx.MockTransport(gateway)),
    )
    assert dispatcher(county, sms).run_once() == 1
    (request,) = received
    assert request["body"]["to"] == "13904340001"
    assert request["body"]["text"].startswith("【梨城义警】警情已受理：您反馈的隐患排查警情")
    assert request["body"]["msg_id"] == request["idempotency-key"]
    assert request["authorization"] == "Bearer gateway-token"
    assert county.deliveries()[0]["status"] == "sent"
    assert "13904340001" not in json.dumps([dict(d) for d in county.deliveries()], default=str)
