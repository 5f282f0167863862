"""No phone number and no informant detail in the outbox: scanned in the database
files (events, read models and outbox share one SQLite file by default) and in
every outbox row, after alerts, notices, retries and deliveries have run, as
``test_personal_at_rest`` scans for the events."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from loop import demo
from loop.rules.alerts import words
from loop.services.notices import Notices
from projections.notifications import tables as outbox
from projections.notifications.adapters import LogSmsAdapter, WebhookAdapter
from projections.notifications.clock import Clock
from projections.notifications.dispatch import Dispatcher
from projections.notifications.rules import SMS, WEBHOOK
from projections.processing import Projector, default_projections
from projections.store import Store
from tests.integration.test_personal_at_rest import INFORMANT, VICTIM, WHAT, hits
from tests.projections.helpers import file_flow
from tests.support import FakeClock

HOUR = timedelta(hours=1)


def volunteers_details() -> list[str]:
    """What the demo's volunteers gave when they applied: phones, ID numbers, addresses."""
    found = []
    for n, (person, _name, *_rest) in enumerate(demo.APPLICANTS, start=1):
        found += [
            f"1390434{n:04d}",
            demo.sample_id_number(n),
            f"{demo.UNIT_NAMES[person.unit]}{n}栋",
        ]
    return found


def test_no_phone_number_or_informant_detail_in_the_outbox(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sms-test")
    events = tmp_path / "lishu.db"
    clock = FakeClock()
    flow = file_flow(events, clock)
    demo.enrol(flow)
    notices = Notices(flow.app)
    store = Store.from_url(f"sqlite:///{events}")
    projector = Projector(
        store, flow.app.recorder, flow.app.mapper, default_projections((SMS, WEBHOOK))
    )
    projector.setup()

    named = {
        "channel": "app",
        "module": "dispute_screening",
        "sense": "heard",
        "what": WHAT,
        "where": "幸福小区3栋",
        "informant": {**INFORMANT, "subject_id": "person-wang"},
        "victims": [{**VICTIM, "subject_id": "person-li"}],
    }
    rewarded = flow.report_new(demo.RIDER, **named).incident_id
    clock.tick()
    flow.take("accept", demo.OFFICER_XF, rewarded)
    flow.take("record_outcome", demo.OFFICER_XF, rewarded, summary="调解成功")
    flow.take(
        "propose_score",
        demo.CADRE_XF,
        rewarded,
        items=[{"item": "矛盾排查", "points": 20}],
        basis="考评",
    )
    flow.take("sign_score", demo.DIRECTOR_XF, rewarded)
    flow.take("sign_score", demo.OFFICER_XF, rewarded)
    flow.take("reward", demo.OFFICER_XF, rewarded)
    escalated = flow.report_new(demo.COURIER, **named).incident_id
    flow.take("escalate", demo.OFFICER_XF, escalated, reason="需要派出所深入调查")
    flow.report_new(
        demo.AUXILIARY_XF, **{**named, "channel": "phone"}, urgency="urgent",
        reporter_id=demo.METER.id,
    )  # fmt: skip
    notice = notices.publish(
        demo.STATION_OFFICER, title="防汛值守通知", body="请加强巡逻。", priority="important",
        requires_ack=True,
    ).notice_id  # fmt: skip
    notices.acknowledge(demo.RIDER, notice)

    sent: list[bytes] = []

    def command_centre(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        return httpx.Response(503 if len(sent) <= 3 else 200)  # busy at first: retried

    hook = WebhookAdapter(
        "https://command.invalid/alerts",
        "command-centre-shared-secret-0123456789",
        client=httpx.Client(transport=httpx.MockTransport(command_centre)),
    )
    texts = LogSmsAdapter(notices.phone_of, logging.getLogger("sms-test"))
    send = Dispatcher(store, {WEBHOOK: hook, SMS: texts}, words, now=clock)
    ticking = Clock(projector, now=clock)
    for step in (timedelta(minutes=6), 20 * HOUR, 6 * HOUR, 30 * 24 * HOUR):
        clock.advance(step)
        ticking.tick()
        while send.run_once():
            pass

    with store.read() as conn:
        rows = {
            table.name: [dict(r._mapping) for r in conn.execute(select(table))]
            for table in (outbox.messages, outbox.deliveries, outbox.attempts)
        }
    kinds = {m["kind"] for m in rows["notify_messages"]}
    assert {"report_rewarded", "urgent_1", "overdue", "notice", "notice_reminder"} <= kinds
    assert {"sent", "expired"} <= {d["status"] for d in rows["notify_deliveries"]}
    assert any(a["outcome"] == "retry" for a in rows["notify_attempts"])
    assert sent, "the command centre was told"
    assert any("SMS" in r.getMessage() for r in caplog.records if r.name == "sms-test")

    personal = [*INFORMANT.values(), *VICTIM.values(), *volunteers_details()]
    stored = json.dumps(rows, ensure_ascii=False, default=str)
    assert [p for p in personal if p in stored] == []
    assert WHAT not in stored, "a message holds no text a reporter typed"
    assert [p for p in personal if p.encode() in b"".join(sent)] == []
    assert hits(events, [WHAT]), "the scan must see what is stored as entered"
    assert hits(events, personal) == []  # the files themselves: events, read models, outbox
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert [p for p in personal if p in logged] == []  # the log adapter masks the number
    for message in rows["notify_messages"]:
        said = " ".join(words(message["kind"], json.loads(message["params"])))
        assert [p for p in [*personal, WHAT] if p in said] == []
    store.dispose()
    flow.app.close()
