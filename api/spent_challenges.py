"""The self-registration questions already answered, in the service's database
(``api_spent_challenges``), so that a question answered (rightly or wrongly) in
one API process is refused by every other until it expires."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Column, Float, MetaData, String, Table, delete, insert
from sqlalchemy.exc import IntegrityError

from projections.store import Store

metadata = MetaData()
spent = Table(
    "api_spent_challenges",
    metadata,
    Column("nonce", String(32), primary_key=True),
    Column("until", Float, nullable=False, index=True),
)


def setup(store: Store) -> None:
    """Make the table (at the service's start)."""
    with store.write() as conn:
        metadata.create_all(conn)


class SpentChallenges:
    """``claim(nonce, until)``: whether this is the first answer to the question
    ``nonce`` (valid until the Unix time ``until``); the unique key of the row
    decides between processes that answer at the same moment."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.store, self.clock = store, clock

    def claim(self, nonce: str, until: int) -> bool:
        try:
            with self.store.write() as conn:
                conn.execute(delete(spent).where(spent.c.until < self.clock()))
                conn.execute(insert(spent), {"nonce": nonce, "until": float(until)})
        except IntegrityError:
            return False
        return True
