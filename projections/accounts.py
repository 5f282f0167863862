"""Accounts: who logs in, in which role and unit, enabled or not: one row each.

The accounts table is a read model of the ``Account`` events (creation, role
granted and revoked, disabled, enabled, passwords set): rebuilt from them like
every other, and compared with them by ``lishu verify``. It serves lists and
searches; a log-in and a session are decided by the account's own events.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

from projections.base import Projection, Tables, handles, utc
from projections.rows import Rows


class Accounts(Projection):
    name = "accounts"
    version = 1

    def define(self, metadata: MetaData, suffix: str) -> Tables:
        accounts = Table(
            f"accounts_{suffix}",
            metadata,
            Column("account_id", String(36), primary_key=True),
            Column("username", String(100), nullable=False),
            Column("display_name", String(100), nullable=False),
            Column("role", String(40)),
            Column("unit", String(64)),
            Column("disabled", Boolean, nullable=False),
            Column("must_change_password", Boolean, nullable=False),
            Column("created_at", DateTime, nullable=False),
            Column("created_by", String(100), nullable=False),
            Column("changed_at", DateTime, nullable=False),
            Column("version", Integer, nullable=False),
        )
        Index(f"ix_accounts_{suffix}_username", accounts.c.username, unique=True)
        Index(f"ix_accounts_{suffix}_unit", accounts.c.unit, accounts.c.username)
        return {"accounts": accounts}

    def apply_batch(self, conn: Connection, tables: Tables, events: list[tuple[str, Any]]) -> None:
        if not events:
            return
        accounts = Rows(conn, tables["accounts"])
        accounts.load("account_id", {str(e.originator_id) for _, e in events})
        for name, event in events:
            if name == "Account.Created":
                self.created(accounts, event)
                continue
            row = accounts.get(str(event.originator_id))
            assert row is not None, "a change to an account never created"
            changed = {
                **row,
                "changed_at": utc(event.timestamp),
                "version": event.originator_version,
            }
            self.handlers[name](self, changed, event)
            accounts.put(changed)
        accounts.write()

    @handles("Account.Created")
    def created(self, accounts: Rows, event: Any) -> None:
        at = utc(event.timestamp)
        accounts.put(
            {
                "account_id": str(event.originator_id),
                "username": event.username,
                "display_name": event.display_name,
                "role": None,
                "unit": None,
                "disabled": False,
                "must_change_password": bool(event.must_change_password),
                "created_at": at,
                "created_by": event.actor.id,
                "changed_at": at,
                "version": event.originator_version,
            }
        )

    @handles("Account.RoleGranted")
    def granted(self, row: dict[str, Any], event: Any) -> None:
        row.update(role=event.role, unit=event.unit)

    @handles("Account.RoleRevoked")
    def revoked(self, row: dict[str, Any], _event: Any) -> None:
        row.update(role=None, unit=None)

    @handles("Account.Disabled")
    def disabled(self, row: dict[str, Any], _event: Any) -> None:
        row.update(disabled=True)

    @handles("Account.Enabled")
    def enabled(self, row: dict[str, Any], _event: Any) -> None:
        row.update(disabled=False)

    @handles("Account.PasswordReset")
    def reset(self, row: dict[str, Any], event: Any) -> None:
        row.update(must_change_password=bool(event.one_time))

    @handles("Account.PasswordChanged")
    def changed(self, row: dict[str, Any], _event: Any) -> None:
        row.update(must_change_password=False)
