"""Reads of the accounts and organisation read models: indexed tables, primitives out."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Row, func, or_, select

from projections.base import iso
from projections.errors import InvalidQuery
from projections.processing import Projector


def _account(row: Row[Any]) -> dict[str, Any]:
    return {
        "username": row.username,
        "display_name": row.display_name,
        "role": row.role,
        "unit": row.unit,
        "disabled": row.disabled,
        "must_change_password": row.must_change_password,
        "created_at": iso(row.created_at),
        "created_by": row.created_by,
        "changed_at": iso(row.changed_at),
        "version": row.version,
    }


class AccountQueries:
    def __init__(self, projector: Projector) -> None:
        self.projector = projector
        self.store = projector.store

    def accounts(
        self,
        units: Collection[str] | None = None,
        *,
        search: str = "",
        role: str | None = None,
        include_unassigned: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Accounts holding a role in one of ``units`` (None: any), by unit and name
        (those holding no role first, on every backend); ``search`` matches the user
        name or the display name; accounts holding no role too with
        ``include_unassigned``."""
        if not 1 <= limit <= 1000 or offset < 0:
            raise InvalidQuery("条数须在1到1000之间", "limit must be 1..1000", field="limit")
        with self.store.read() as conn:
            table = self.projector.live_tables(conn, "accounts")["accounts"]
            query = select(table)
            if units is not None:
                chosen = table.c.unit.in_(sorted(units))
                query = query.where(
                    or_(chosen, table.c.unit.is_(None)) if include_unassigned else chosen
                )
            if role:
                query = query.where(table.c.role == role)
            if search:
                like = f"%{search.replace('%', '').replace('_', '')}%"
                query = query.where(
                    or_(table.c.username.like(like), table.c.display_name.like(like))
                )
            rows = conn.execute(
                query.order_by(table.c.unit.nulls_first(), table.c.username)
                .limit(limit)
                .offset(offset)
            ).all()
        return [_account(r) for r in rows]

    def account(self, username: str) -> dict[str, Any] | None:
        with self.store.read() as conn:
            table = self.projector.live_tables(conn, "accounts")["accounts"]
            row = conn.execute(select(table).where(table.c.username == username)).first()
        return None if row is None else _account(row)

    def holders(self, unit: str) -> list[str]:
        """The enabled accounts holding a role in ``unit``."""
        with self.store.read() as conn:
            table = self.projector.live_tables(conn, "accounts")["accounts"]
            rows = conn.execute(
                select(table.c.username)
                .where(table.c.unit == unit, table.c.disabled.is_(False))
                .order_by(table.c.username)
            ).scalars()
            return list(rows)

    def count(self, *, role: str | None = None, enabled_only: bool = False) -> int:
        with self.store.read() as conn:
            table = self.projector.live_tables(conn, "accounts")["accounts"]
            query = select(func.count()).select_from(table)
            if role is not None:
                query = query.where(table.c.role == role)
            if enabled_only:
                query = query.where(table.c.disabled.is_(False))
            return int(conn.execute(query).scalar_one())

    def every_row(self) -> list[dict[str, Any]]:
        """Every account row as stored (``lishu verify`` compares them with a fold)."""
        with self.store.read() as conn:
            table = self.projector.live_tables(conn, "accounts")["accounts"]
            return [
                dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.username))
            ]

    def units(self) -> list[dict[str, Any]]:
        """Every registered unit as the organisation read model holds it."""
        with self.store.read() as conn:
            table = self.projector.live_tables(conn, "organisation")["units"]
            rows = conn.execute(select(table).order_by(table.c.code)).all()
        return [
            {
                "code": r.code,
                "kind": r.kind,
                "parent": r.parent,
                "name": r.name,
                "name_en": r.name_en,
                "centre": None if r.latitude is None else [r.latitude, r.longitude],
                "registered_at": iso(r.registered_at),
                "retired_at": iso(r.retired_at),
                "merged_into": r.merged_into,
            }
            for r in rows
        ]
