"""What was done to accounts, and by whom: locks and their lifting, and every
administrator's change (``api_account_log``, beside the accounts table).

Accounts are access control, not facts of the loop, so this record lives beside
them rather than in the event log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, select

from projections.store import Store

metadata = MetaData()
account_log = Table(
    "api_account_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("username", String(100), nullable=False, index=True),
    Column("action", String(40), nullable=False),
    Column("operator", String(100), nullable=True),
    Column("client", String(100), nullable=True),
    Column("detail", String(400), nullable=False, default=""),
)


@dataclass(frozen=True)
class Entry:
    at: datetime
    username: str
    action: str
    operator: str | None
    client: str | None
    detail: str


class AccountLog:
    def __init__(self, store: Store) -> None:
        self.store = store

    def setup(self) -> None:
        with self.store.write() as conn:
            metadata.create_all(conn)

    def record(
        self,
        action: str,
        username: str,
        *,
        operator: str | None = None,
        client: str | None = None,
        detail: str = "",
    ) -> None:
        with self.store.write() as conn:
            conn.execute(
                account_log.insert(),
                {
                    "at": datetime.now(UTC),
                    "username": username,
                    "action": action,
                    "operator": operator,
                    "client": client,
                    "detail": detail[:400],
                },
            )

    def entries(self, username: str | None = None) -> list[Entry]:
        query = select(
            account_log.c.at,
            account_log.c.username,
            account_log.c.action,
            account_log.c.operator,
            account_log.c.client,
            account_log.c.detail,
        ).order_by(account_log.c.id)
        if username is not None:
            query = query.where(account_log.c.username == username)
        with self.store.read() as conn:
            return [Entry(*row) for row in conn.execute(query)]
