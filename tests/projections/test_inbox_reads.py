"""The inbox's badge and list read a person's latest messages along indexes that
hold them in order: the cost of a page's badge is bounded by its window, not by
how many messages the person was ever sent; the answer is the same as one query
over all of them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, event, inspect, select, text

from loop import demo
from projections.notifications import inbox as inbox_module
from projections.notifications import tables as outbox
from tests.projections.notify import County, reader

WINDOW = 10
AT = datetime(2026, 7, 11, 12, 0)


@pytest.fixture
def county() -> Iterator[County]:
    made = County()
    yield made
    made.close()


def message(n: int, minute: int, **to: Any) -> dict[str, Any]:
    return {
        "message_id": f"m{n:03d}",
        "kind": "accepted",
        "priority": "normal",
        "subject_id": f"s{n}",
        "unit": demo.XINGFU,
        "county": None,
        "station": None,
        "community": None,
        "to_person": None,
        "to_unit": None,
        "to_role": None,
        "to_audience": None,
        "unacked_only": False,
        "params": json.dumps({}),
        "channels": "",
        "expires_at": None,
        "created_at": AT - timedelta(minutes=minute),
        "recorded_at": AT,
    } | to


def fill(county: County) -> list[dict[str, Any]]:
    """Forty messages to the rider and thirty to his unit's volunteers, several at
    the same minute, some in the future, and twenty to others; a few read."""
    rider = demo.RIDER
    rows = [message(n, n // 3, to_person=rider.id) for n in range(40)]
    rows += [message(100 + n, n // 2, to_unit=rider.unit, to_role=rider.role) for n in range(30)]
    rows += [message(200 + n, n, to_person=demo.COURIER.id) for n in range(10)]
    rows += [
        message(300 + n, n, to_unit=rider.unit, to_role="community_officer") for n in range(10)
    ]
    rows += [message(400 + n, -5 - n, to_person=rider.id) for n in range(3)]  # not due yet
    county.catch_up()
    read = [
        {"username": rider.id, "message_id": m, "read_at": AT} for m in ("m001", "m101", "m030")
    ]
    with county.store.write() as conn:
        outbox.insert_new(conn, outbox.messages, rows)
        outbox.insert_new(conn, outbox.reads, read)
    return rows


def expected_latest(rows: list[dict[str, Any]]) -> list[str]:
    """The rider's latest WINDOW messages by an independent sort of all his rows."""
    rider = demo.RIDER
    his = [
        r
        for r in rows
        if r["created_at"] <= AT
        and (
            r["to_person"] == rider.id
            or (r["to_unit"] == rider.unit and r["to_role"] == rider.role)
        )
    ]
    his.sort(key=lambda r: (r["created_at"], r["message_id"]), reverse=True)
    return [r["message_id"] for r in his[:WINDOW]]


def test_the_badge_and_the_list_are_the_latest_of_both_ways_a_message_reaches_him(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_module, "UNREAD_WINDOW", WINDOW)
    latest = expected_latest(fill(county))
    me = reader(demo.RIDER)
    listed = county.inbox.entries(me, now=AT, limit=WINDOW)
    assert [e["message_id"] for e in listed] == latest
    assert {m for m in latest if m.startswith("m1")}  # both ways are in the window
    assert county.inbox.unread(me, now=AT) == len(set(latest) - {"m001", "m101", "m030"})


def plans(county: County, read: Any) -> list[str]:
    """The SQLite query plan of each statement ``read()`` runs on notify_messages."""
    seen: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "notify_messages" in statement:
            seen.append((statement, params))

    engine = county.store.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        read()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    found = []
    with engine.connect() as conn:
        for statement, params in seen:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).all()
            found.append("\n".join(row[-1] for row in rows))
    return found


def test_the_badge_reads_his_latest_along_covering_indexes_not_all_his_messages(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_module, "UNREAD_WINDOW", WINDOW)
    fill(county)
    me = reader(demo.RIDER)
    (plan,) = plans(county, lambda: county.inbox.unread(me, now=AT))
    assert "COVERING INDEX ix_notify_messages_person_latest" in plan
    assert "COVERING INDEX ix_notify_messages_unit_latest" in plan
    assert "MULTI-INDEX OR" not in plan  # which reads every message of his, then sorts
    assert "SCAN notify_messages" not in plan
    # each way is read in the index's order and stops at the window: the one sort
    # is the merge of the two windows
    assert plan.count("TEMP B-TREE FOR ORDER BY") == 1
    assert "RIGHT PART OF ORDER BY" not in plan
    assert "SEARCH notify_reads USING INDEX" in plan  # his read marks, by key
    (plan,) = plans(county, lambda: county.inbox.entries(me, now=AT, limit=5))
    assert "MULTI-INDEX OR" not in plan
    assert "SCAN notify_messages" not in plan


def indexes(conn: Connection) -> set[str]:
    return {i["name"] or "" for i in inspect(conn).get_indexes("notify_messages")}


def test_an_earlier_outbox_gets_the_inbox_indexes_and_loses_those_they_replace() -> None:
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        outbox.OUTBOX.create_all(conn)
        for index in outbox.INBOX_INDEXES:
            conn.execute(text(f"DROP INDEX {index.name}"))
        conn.execute(text("CREATE INDEX ix_notify_messages_person ON notify_messages (to_person)"))
        conn.execute(text("CREATE INDEX ix_notify_messages_unit ON notify_messages (to_unit)"))
        conn.execute(
            outbox.messages.insert(), [message(1, 0, to_person=demo.RIDER.id)]
        )  # what it holds stays
        assert not {i.name for i in outbox.INBOX_INDEXES} & indexes(conn)
        outbox.create(conn)
        found = indexes(conn)
        assert {i.name for i in outbox.INBOX_INDEXES} <= found
        assert not set(outbox.SUPERSEDED) & found
        assert conn.execute(select(outbox.messages.c.message_id)).scalars().all() == ["m001"]
        outbox.create(conn)  # and again changes nothing
        assert indexes(conn) == found
    engine.dispose()


def test_the_badge_leaves_out_a_reminder_of_a_notice_he_acknowledged(county: County) -> None:
    county.clock.tick()
    notice_id = county.loop.notices.publish(
        demo.STATION_OFFICER,
        title="防汛值守通知",
        body="汛期来临，请义警加强巡逻，发现积水及时反馈。",
        audience={"units": [demo.XINGFU], "roles": ["volunteer"]},
        requires_ack=True,
        priority="important",
    ).notice_id
    county.clock.tick()
    county.loop.notices.acknowledge(demo.RIDER, notice_id)
    county.clock.advance(timedelta(days=3))
    county.tick()
    county.catch_up()
    now = county.clock()
    for who, kinds in ((demo.RIDER, ["notice"]), (demo.METER, ["notice", "notice_reminder"])):
        assert county.kinds(who) == kinds
        shown = county.inbox.entries(reader(who), now=now)
        assert county.inbox.unread(reader(who), now=now) == len(shown)
    county.inbox.mark_read(reader(demo.METER), [shown[0]["message_id"]], now=now)
    assert county.inbox.unread(reader(demo.METER), now=now) == 1
