"""The accounts' read model lists accounts in one order on every backend: by unit
and user name, those holding no role first (SQLite sorts a missing unit first,
PostgreSQL last, unless told)."""

from __future__ import annotations

from loop import demo
from loop.bootstrap import open_loop
from projections.account_queries import AccountQueries
from tests.projections.helpers import projector_for
from tests.support import FakeClock


def test_accounts_holding_no_role_come_first_on_every_backend(views_url: str) -> None:
    loop = open_loop(clock=FakeClock())
    demo.register_units(loop.registry)
    for name, unit in (
        ("b-officer", demo.XINGFU),
        ("a-cadre", demo.HEPING),
        ("c-gone", demo.XINGFU),
    ):
        loop.accounts.create(demo.ADMIN, username=name, role="community_officer", unit=unit)
    loop.accounts.revoke(demo.ADMIN, "c-gone", reason="离岗")
    projector = projector_for(loop.incidents, views_url)
    projector.setup()
    projector.catch_up()
    queries = AccountQueries(projector)
    listed = [(a["unit"], a["username"]) for a in queries.accounts()]
    assert listed == [
        (None, "c-gone"),
        (demo.HEPING, "a-cadre"),
        (demo.XINGFU, "b-officer"),
    ]
    chosen = queries.accounts([demo.XINGFU], include_unassigned=True, limit=1)
    assert [a["username"] for a in chosen] == ["c-gone"]
    projector.store.dispose()
