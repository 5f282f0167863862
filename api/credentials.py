"""Password hashes and log-outs, apart from the events (``api_credentials``).

An account's history (``aggregates.account``) says when a password was set and
by whom, never what it is: the hash lives here, beside the read models, as the
per-person keys live apart from the events they encrypt. ``logouts`` counts the
account's log-outs, which end its sessions without being facts of its history;
a token's version is the account's own count of session-ending events plus it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, select, update

from projections.store import Store

metadata = MetaData()
credentials = Table(
    "api_credentials",
    metadata,
    Column("username", String(100), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("logouts", Integer, nullable=False, default=0),
    Column("set_at", DateTime, nullable=False),
)


class Credentials:
    def __init__(self, store: Store) -> None:
        self.store = store

    def setup(self) -> None:
        with self.store.write() as conn:
            metadata.create_all(conn)

    def read(self, username: str) -> tuple[str | None, int]:
        """The account's hash (None: it has no password) and its log-outs."""
        with self.store.read() as conn:
            row = conn.execute(
                select(credentials.c.password_hash, credentials.c.logouts).where(
                    credentials.c.username == username
                )
            ).first()
        if row is None:
            return None, 0
        return row.password_hash or None, int(row.logouts)

    def store_hash(self, username: str, password_hash: str, *, logouts: int | None = None) -> None:
        """Keep ``password_hash`` as the account's (its log-outs kept, unless given)."""
        now = datetime.now(UTC)
        with self.store.write() as conn:
            done = conn.execute(
                update(credentials)
                .where(credentials.c.username == username)
                .values(
                    password_hash=password_hash,
                    set_at=now,
                    **({} if logouts is None else {"logouts": logouts}),
                )
            )
            if done.rowcount == 0:
                conn.execute(
                    credentials.insert(),
                    {
                        "username": username,
                        "password_hash": password_hash,
                        "logouts": logouts or 0,
                        "set_at": now,
                    },
                )

    def replace_hash(self, username: str, old: str, new: str) -> None:
        """A re-hash with today's parameters, unless the hash changed meanwhile."""
        with self.store.write() as conn:
            conn.execute(
                update(credentials)
                .where(credentials.c.username == username, credentials.c.password_hash == old)
                .values(password_hash=new)
            )

    def log_out(self, username: str) -> None:
        """Count a log-out: every token issued before stops working."""
        with self.store.write() as conn:
            conn.execute(
                update(credentials)
                .where(credentials.c.username == username)
                .values(logouts=credentials.c.logouts + 1)
            )
