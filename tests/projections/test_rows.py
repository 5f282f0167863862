"""Rows written through the driver are the rows SQLAlchemy would have written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from projections.notifications import tables as outbox
from projections.rows import insert_rows
from projections.store import engine_for

MOMENTS = [
    datetime(2026, 7, 31, 23, 0),  # no microseconds: the text must still carry them
    datetime(2026, 8, 1, 0, 0, 0, 1),
    datetime(1999, 12, 31, 23, 59, 59, 999_999),
    datetime(2026, 8, 1, 8, 0, tzinfo=timezone(timedelta(hours=8))),  # aware: the dialect's way
    datetime(2026, 8, 1, 0, 0, tzinfo=UTC),
    None,
]


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{request.getfixturevalue('tmp_path') / 'views.db'}"


def twin(metadata: MetaData, name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("key", String(36), primary_key=True),
        Column("seq", Integer, primary_key=True),
        Column("at", DateTime),
        Column("note", String(50)),
    )


def test_driver_inserts_store_what_sqlalchemy_stores(url: str) -> None:
    engine = engine_for(url)
    metadata = MetaData()
    ours, theirs = twin(metadata, "rows_ours"), twin(metadata, "rows_theirs")
    metadata.create_all(engine)
    rows: list[dict[str, Any]] = [
        {"key": f"incident-{n}", "seq": n, "at": moment, "note": "幸福路" if n % 2 else None}
        for n, moment in enumerate(MOMENTS)
    ]
    with engine.begin() as conn:
        insert_rows(conn, ours, rows)
        conn.execute(theirs.insert(), rows)
    with engine.connect() as conn:
        read = [
            [r._asdict() for r in conn.execute(select(t).order_by(t.c.seq))] for t in (ours, theirs)
        ]
        stored = [
            conn.execute(
                text(f"SELECT key, seq, CAST(at AS TEXT), note FROM {t.name} ORDER BY seq")
            )
            .tuples()
            .all()
            for t in (ours, theirs)
        ]
    assert read[0] == read[1]
    assert [r["at"] for r in read[0]][:3] == MOMENTS[:3]
    assert stored[0] == stored[1]
    engine.dispose()


def test_rows_without_their_autoincrement_key_are_numbered_as_sqlalchemy_numbers_them(
    url: str,
) -> None:
    engine = engine_for(url)
    metadata = MetaData()
    ours, theirs = (
        Table(
            name,
            metadata,
            Column("delivery_id", Integer, primary_key=True, autoincrement=True),
            Column("message_id", String(36), nullable=False),
            Column("at", DateTime),
            UniqueConstraint("message_id", name=f"uq_{name}"),
        )
        for name in ("deliveries_ours", "deliveries_theirs")
    )
    metadata.create_all(engine)
    rows: list[dict[str, Any]] = [
        {"message_id": f"m-{n}", "at": moment} for n, moment in enumerate(MOMENTS)
    ]
    again = [*rows[:2], {"message_id": "m-new", "at": MOMENTS[0]}]  # two already there
    with engine.begin() as conn:
        for batch in (rows, again):
            outbox.insert_new(conn, ours, batch)
            insert = sqlite_insert if conn.dialect.name == "sqlite" else postgres_insert
            conn.execute(insert(theirs).on_conflict_do_nothing(), batch)
    with engine.connect() as conn:
        read = [
            conn.execute(select(t).order_by(t.c.delivery_id)).tuples().all() for t in (ours, theirs)
        ]
    assert read[0] == read[1]
    assert [r[1] for r in read[0]] == [*(f"m-{n}" for n in range(len(MOMENTS))), "m-new"]
    engine.dispose()
