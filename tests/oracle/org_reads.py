"""What each read of the organisation and the accounts should answer, from the
oracle's fold (``tests.oracle.org_fold``), by looking at every record each time,
in the shapes of ``projections.account_queries.AccountQueries`` (the units' and
the accounts' read models), of the registry's tree (``Registry.tree()``: names
now and at a moment, parents, departments) and of the histories the registry and
the account directory tell; and ``compare_organisation``, every such read asked
of both.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from tests.oracle.fold import Fold, iso
from tests.oracle.org_fold import Login, UnitRecord

MOMENT = timedelta(microseconds=1)


def unit_row(unit: UnitRecord) -> dict[str, Any]:
    _, name, name_en = unit.names[-1]
    return {
        "code": unit.code,
        "kind": unit.kind,
        "parent": unit.parent,
        "name": name,
        "name_en": name_en,
        "centre": unit.centre,
        "registered_at": iso(unit.registered_at),
        "retired_at": iso(unit.retired_at),
        "merged_into": unit.merged_into,
    }


def units(fold: Fold) -> list[dict[str, Any]]:
    return [unit_row(fold.units[code]) for code in sorted(fold.units)]


def below(fold: Fold, code: str) -> list[str]:
    """``code`` and every unit below it, by the parents the fold holds."""
    return sorted(c for c in fold.units if code in fold.chain(c))


def account_row(account: Login) -> dict[str, Any]:
    return {
        "username": account.username,
        "display_name": account.display_name,
        "role": account.role,
        "unit": account.unit,
        "disabled": account.disabled,
        "must_change_password": account.must_change_password,
        "created_at": iso(account.created_at),
        "created_by": account.created_by,
        "changed_at": iso(account.changed_at),
        "version": account.version,
    }


def accounts(
    fold: Fold,
    chosen: Collection[str] | None = None,
    *,
    search: str = "",
    role: str | None = None,
    include_unassigned: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Accounts holding a role in one of ``chosen`` (None: any), by unit and user
    name (those holding none first, with ``include_unassigned``)."""
    found = [
        a
        for a in fold.logins.values()
        if (chosen is None or a.unit in chosen or (include_unassigned and a.unit is None))
        and (role is None or a.role == role)
        and (not search or search in a.username or search in a.display_name)
    ]
    found.sort(key=lambda a: (a.unit is not None, a.unit or "", a.username))
    return [account_row(a) for a in found[offset : offset + limit]]


def account(fold: Fold, username: str) -> dict[str, Any] | None:
    found = [a for a in fold.logins.values() if a.username == username]
    return account_row(found[0]) if found else None


def count(fold: Fold, *, role: str | None = None, enabled_only: bool = False) -> int:
    return sum(
        1
        for a in fold.logins.values()
        if (role is None or a.role == role) and not (enabled_only and a.disabled)
    )


def tree_row(unit: UnitRecord) -> tuple[Any, ...]:
    """What the registry's tree tells of a unit now."""
    return (
        unit.code,
        unit.kind,
        unit.parent,
        unit.active,
        unit.merged_into,
        unit.name_at(None),
        unit.name_at(None, "en"),
    )


def names_at(unit: UnitRecord, now: datetime) -> list[tuple[str, str, str]]:
    """Its name at each moment it took one, the moment before, and now: a rename
    shows the old name up to the moment before it."""
    moments = [m for since, *_ in unit.names for m in (since - MOMENT, since)] + [now]
    return [(iso(m) or "", unit.name_at(m), unit.name_at(m, "en")) for m in moments]


def departments(fold: Fold, unit: str) -> list[str]:
    """The active departments of the county of ``unit``."""
    county = next((c for c in fold.chain(unit) if fold.units[c].kind == "county"), None)
    return sorted(
        u.code
        for u in fold.units.values()
        if county is not None and u.parent == county and u.kind == "department" and u.active
    )


def history(entries: list[tuple[int, str, datetime, dict[str, Any]]]) -> list[tuple[Any, ...]]:
    return [(version, what, at, actor) for version, what, at, actor in entries]


def told(entries: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """A history as the registry or the directory tells it, without its sentences."""
    return [
        (e["version"], e["event"], datetime.fromisoformat(e["at"]), e["actor"]) for e in entries
    ]


def compare_organisation(
    comparison: Any,
    fold: Fold,
    queries: Any,
    registry: Any,
    directory: Any,
    now: datetime,
    *,
    every: bool = True,
    rng: random.Random | None = None,
) -> None:
    """Every read of the units and the accounts: ``queries`` the accounts' and
    units' read model (``AccountQueries``), ``registry`` the organisation's
    service (its tree and histories), ``directory`` the accounts' service. The
    lists each time; each unit and account changed since it was last read (and
    one other), the accounts of the county and a station; all of them with
    ``every``."""
    rng = rng or random.Random()
    chosen = set(fold.units) if every else fold.touched_units & set(fold.units)
    chosen |= set(rng.sample(sorted(fold.units), min(1, len(fold.units))))
    names = {a.username for a in fold.logins.values()}
    people = names if every else fold.touched_logins & names
    people |= set(rng.sample(sorted(names), min(1, len(names))))
    fold.touched_units, fold.touched_logins = set(), set()
    check = comparison.check
    check("units", units(fold), queries.units)
    tree = registry.tree()
    counties = [c for c, u in sorted(fold.units.items()) if u.kind == "county"]
    for code in sorted(chosen):
        unit = fold.units[code]
        check(f"tree: unit {code}", tree_row(unit), lambda c=code: _tree_row(tree, c))
        check(
            f"tree: names of {code}",
            names_at(unit, now),
            lambda c=code, u=unit: [
                (
                    moment,
                    tree.name(c, at=datetime.fromisoformat(moment)),
                    tree.name(c, at=datetime.fromisoformat(moment), lang="en"),
                )
                for moment, *_ in names_at(u, now)
            ],
        )
        check(
            f"history of unit {code}",
            history(unit.history),
            lambda c=code: told(registry.history(c)),
        )
        if unit.kind in ("county", "station", "community"):
            check(
                f"departments for {code}",
                departments(fold, code),
                lambda c=code: sorted(u.code for u in tree.departments(c)),
            )
        if unit.active and unit.kind != "department":
            check(f"holders of {code}", fold.holders(code), queries.holders, code)
    stations = [c for c, u in sorted(fold.units.items()) if u.kind == "station"]
    if not every:
        stations = rng.sample(stations, min(1, len(stations)))
    scopes = [None, *(below(fold, c) for c in [*counties, *stations])]
    roles = sorted({a.role for a in fold.logins.values() if a.role})
    some = roles if every else rng.sample(roles, min(1, len(roles)))
    searches = ["u1", "账号"] if every else [rng.choice(["u1", "账号"])]
    for scope in scopes:
        where = "all" if scope is None else scope[0]
        check(
            f"accounts in {where}",
            accounts(fold, scope, limit=1000),
            queries.accounts,
            scope,
            limit=1000,
        )
        check(
            f"accounts in {where}, unassigned too",
            accounts(fold, scope, include_unassigned=True, limit=1000),
            queries.accounts,
            scope,
            include_unassigned=True,
            limit=1000,
        )
        check(
            f"accounts in {where}, a page",
            accounts(fold, scope, limit=3, offset=2),
            queries.accounts,
            scope,
            limit=3,
            offset=2,
        )
        for role in some:
            check(
                f"accounts in {where} role={role}",
                accounts(fold, scope, role=role),
                queries.accounts,
                scope,
                role=role,
            )
        for search in searches:
            check(
                f"accounts in {where} search={search}",
                accounts(fold, scope, search=search),
                queries.accounts,
                scope,
                search=search,
            )
    for role in [None, *some]:
        for enabled in (False, True):
            check(
                f"count of accounts role={role} enabled_only={enabled}",
                count(fold, role=role, enabled_only=enabled),
                queries.count,
                role=role,
                enabled_only=enabled,
            )
    for login in sorted(fold.logins.values(), key=lambda a: a.username):
        name = login.username
        if name not in people:
            continue
        check(f"account {name}", account_row(login), queries.account, name)
        check(
            f"history of account {name}",
            history(login.history),
            lambda n=name: told(directory.history(n)),
        )
    check("account nobody", None, queries.account, "nobody")


def _tree_row(tree: Any, code: str) -> tuple[Any, ...] | None:
    unit = tree.get(code)
    if unit is None:
        return None
    return (
        unit.code,
        unit.kind,
        unit.parent,
        unit.active,
        unit.merged_into,
        tree.name(code),
        tree.name(code, lang="en"),
    )
