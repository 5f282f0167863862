"""The HTTP baselines: a no-op endpoint (the ceiling) and the naive stack.

Both take the same small JSON command body and validate it with the same model.
The naive stack is what a FastAPI + eventsourcing service looks like written the
obvious way: a synchronous route that loads the aggregate, applies one event and
saves it, one transaction per request, on the library's native SQLite recorder.

Applications are built by the factories, in the server process: importing this
module creates nothing.
"""

from __future__ import annotations

import os
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import RecordConflictError
from eventsourcing.sqlite import SQLiteDatastore
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
DB_VARIABLE = "LISHU_BENCH_NAIVE_DB"
COMMAND_BODY = '{"note": "井盖丢失，已设置警示", "points": 5}'


class Command(BaseModel):
    note: str
    points: int


class Tally(Aggregate):
    """One aggregate per number, each command appends one ``Noted`` event."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.points = 0
        self.last_note = ""

    @staticmethod
    def create_id(number: int) -> UUID:
        return uuid5(NAMESPACE_URL, f"/tallies/{number}")

    @event("Noted")
    def note(self, note: str, points: int) -> None:
        self.points += points
        self.last_note = note


def naive_env(db: str) -> dict[str, str]:
    """The library's native SQLite recorder (WAL; SQLite's default synchronous=FULL)."""
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": db}


def store_settings(app: Application[UUID]) -> dict[str, str]:
    """The journal mode and synchronous level the library's own connection runs with."""
    datastore: SQLiteDatastore = getattr(app.recorder, "datastore")  # noqa: B009
    with datastore.transaction(commit=False) as c:
        c.execute("PRAGMA journal_mode")
        journal = str(c.fetchone()[0])
        c.execute("PRAGMA synchronous")
        level = int(c.fetchone()[0])
    return {"journal_mode": journal, "synchronous": SYNCHRONOUS.get(level, str(level))}


def seed(db: str, count: int) -> None:
    """Create the ``count`` aggregates the load will address, in a few transactions."""
    app: Application[UUID] = Application(naive_env(db))
    for start in range(0, count, 500):
        app.save(*(Tally(n) for n in range(start, min(count, start + 500))))
    app.close()


def command(app: Application[UUID], number: int, body: Command) -> int:
    """Load, apply one event, save: what the naive route and its in-process twin do."""
    tally: Tally = app.repository.get(Tally.create_id(number))
    tally.note(body.note, body.points)
    app.save(tally)
    return tally.version


def create_noop_app() -> FastAPI:
    api = FastAPI()

    @api.get("/healthz")
    async def healthz() -> dict[str, bool]:
        return {"ok": True}

    @api.post("/noop/{number}")
    async def noop(number: int, body: Command) -> dict[str, Any]:
        return {"number": number, "points": body.points}

    return api


def create_naive_app() -> FastAPI:
    return naive_api(Application(naive_env(os.environ[DB_VARIABLE])))


def create_naive_app_from_environment() -> FastAPI:
    """The naive stack on whatever store the library's own variables name
    (``PERSISTENCE_MODULE``, ``POSTGRES_DBNAME`` ...)."""
    return naive_api(Application())


def naive_api(app: Application[UUID]) -> FastAPI:
    """The naive routes around ``app``."""
    api = FastAPI()

    @api.get("/healthz")
    async def healthz() -> dict[str, bool]:
        return {"ok": True}

    @api.post("/tallies/{number}")
    def note(number: int, body: Command) -> dict[str, Any]:
        try:
            version = command(app, number, body)
        except RecordConflictError:
            raise HTTPException(409, "conflict") from None
        return {"number": number, "version": version}

    return api
