"""Simultaneous redemptions against one item and one account, on an SQLite file.

Each thread has its own application (as separate API workers would) on the same
file, so the store's version conflict detection is the real one. In the first
round every thread loads the same versions, then all commit at once: exactly
one wins and the others are reported as conflicts. Threads retry after a
conflict until they succeed or are refused. Neither the balance nor the stock
ever goes below zero, and every redemption stored is one debit and one hand-out.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from aggregates.errors import InsufficientPoints, OutOfStock
from aggregates.points_account import PointsAccount, account_id
from aggregates.reward_item import RewardItem
from loop import demo
from loop.bootstrap import Loop, build_loop
from loop.errors import ConcurrencyConflict
from loop.services.bank import Bank
from loop.settings import Settings
from tests.builders import rewarded_case
from tests.unit.bank_helpers import admit

THREADS = 8
RIDER = demo.RIDER


def race(path: Path, item_id: str) -> Counter[str]:
    """Every thread redeems one piece, retrying after conflicts; tallies outcomes."""
    settings = Settings(database_url=f"sqlite:///{path}")
    loops = [build_loop(settings) for _ in range(THREADS)]
    gate = threading.Barrier(THREADS, timeout=30)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(loop: Loop) -> None:
        commit = loop.app.commit
        first = [True]

        def gated_commit(*aggregates: Any) -> int | None:
            if first[0]:  # all loaded the same versions: now commit together
                first[0] = False
                gate.wait()
            return commit(*aggregates)

        loop.app.commit = gated_commit  # type: ignore[method-assign]
        bank = loop.bank
        for _ in range(10 * THREADS):
            try:
                bank.redeem(RIDER, RIDER.id, item_id)
                outcome = "redeemed"
            except ConcurrencyConflict:
                with lock:
                    outcomes["conflict"] += 1
                continue
            except (InsufficientPoints, OutOfStock) as refusal:
                outcome = refusal.code
            with lock:
                outcomes[outcome] += 1
            return
        with lock:
            outcomes["gave_up"] += 1

    threads = [threading.Thread(target=worker, args=(loop,)) for loop in loops]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for loop in loops:
        loop.close()
    return outcomes


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "lishu.db"


def prepare(path: Path, points: int, stock: int) -> tuple[str, int]:
    flow = build_loop(Settings(database_url=f"sqlite:///{path}")).incidents
    admit(flow, RIDER)
    rewarded_case(flow, RIDER, points)
    item = Bank(flow.app, flow.scoring).donate(
        demo.CADRE_XF, name="保温杯", donor="百货大楼", stock=stock, price=20
    )
    events = flow.app.recorder.max_notification_id() or 0
    flow.app.close()
    return item.item_id, events


def settle(path: Path, item_id: str) -> tuple[PointsAccount, RewardItem, list[Any]]:
    flow = build_loop(Settings(database_url=f"sqlite:///{path}")).incidents
    account = flow.points_account(RIDER.id)
    item = Bank(flow.app, flow.scoring).item(item_id)
    stored = list(flow.app.recorder.select_notifications(1, 100_000))
    flow.app.close()
    return account, item, stored


@pytest.mark.parametrize(
    ("points", "stock", "limit", "refusal"),
    [
        (150, 3, 3, "out_of_stock"),  # the stock runs out first: 3 pieces
        (90, 50, 4, "insufficient_points"),  # the balance runs out first: 4 x 20 points
    ],
)
def test_simultaneous_redemptions_never_overdraw(
    path: Path, points: int, stock: int, limit: int, refusal: str
) -> None:
    item_id, events_before = prepare(path, points, stock)
    outcomes = race(path, item_id)
    account, item, stored = settle(path, item_id)

    assert outcomes["redeemed"] == limit
    assert outcomes[refusal] == THREADS - limit
    assert outcomes["gave_up"] == 0
    assert outcomes["conflict"] >= THREADS - 1  # the first round: one winner
    assert account.balance == points - 20 * limit >= 0
    assert item.stock == stock - limit >= 0
    # every redemption stored exactly once, as one debit and one hand-out
    new = stored[events_before:]
    assert Counter(n.topic.rsplit(".", 1)[-1] for n in new) == {
        "Redeemed": limit,
        "HandedOut": limit,
    }
    assert {n.originator_id for n in new} == {account_id(RIDER.id), item.id}
    assert len({(n.originator_id, n.originator_version) for n in stored}) == len(stored)
