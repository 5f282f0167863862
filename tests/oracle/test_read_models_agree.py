"""Every read model agrees with the oracle after every batch of a random workload
driven through the real services (two writers on one database), on SQLite and on
PostgreSQL.

Workload size in ``make test``: the opening (``tests.oracle.tour``: the demo's
day, the corrections a random walk may miss and a duty day), then 16 batches of
60 random commands on the loop, the ledger and the rolls, after 6 % of which a
few commands on duty tasks and notices follow (about 200 taken in all): about 1,500
events and 2,900 reads compared per run, once on SQLite under the Lishu scoring
(monthly cap of 150 points; task points co-signed) and once on PostgreSQL under
the Fuping scoring (base points, stars, failed months; no-shows deducted).
``python -m tests.oracle`` (``make soak``) runs the same with 100,000 events and
more.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.oracle.fold import Fold
from tests.oracle.run import OracleRun

BATCHES, COMMANDS = 16, 60


@pytest.fixture(
    params=[("sqlite", "lishu", 19), ("postgresql", "fuping", 7)], ids=["sqlite", "postgresql"]
)
def run(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OracleRun]:
    backend, scoring, seed = request.param
    if backend == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'lishu.db'}"
    with OracleRun(url, seed=seed, scoring=scoring, batch_size=37) as oracle_run:
        yield oracle_run


def test_every_read_agrees_with_the_oracle_after_every_batch(run: OracleRun) -> None:
    run.start()
    for n in range(BATCHES):
        found = run.batch(COMMANDS, every_case=n == BATCHES - 1)
        assert not found, f"batch {n}:\n" + "\n".join(str(d) for d in found[:8])
    figures = run.figures
    print(figures.line())
    assert figures.events > 1_000
    assert figures.reads > 1_500
    assert not run.fold.unknown, "every stored event is read by the oracle"
    reached(
        run.fold, figures.conflicts, capped=run.workload.flow.scoring.cap_per_period is not None
    )
    cosigned = run.loops[0].tasks.policy.cosigned
    reached_duties(run.fold, figures.by_command, cosigned=cosigned)


def reached(fold: Fold, conflicts: int, *, capped: bool) -> None:
    """The workload went where the mistakes hide: every branch, rewards capped and
    reversed, the Happiness Bank's every entry, concurrent steps refused."""
    steps = [s for c in fold.cases.values() for s in c.steps]
    sources = {s.facts["source"] for s in steps if s.name == "OutcomeRecorded"}
    assert sources == {"handled_locally", "self_handled", "station", "county", "department"}
    stages = {state["stage"] for c in fold.cases.values() for _, state in c.timeline if state}
    assert len(stages) == 14, "every open stage was held"
    assert any(s.name == "Returned" for s in steps)
    assert any(s.name == "Closed" for s in steps)
    rewards = [s for s in steps if s.name == "Rewarded"]
    cap = [s for s in rewards if s.facts["credited"] < s.facts["points"]]
    entries = {e["kind"] for p in fold.people.values() for e in p.entries}
    assert {"Deposited", "Redeemed", "Deducted", "Reversed"} <= entries
    undone = [c for c in fold.cases.values() if c.stage == "rejected" and c.first("Rewarded")]
    assert any(c.first("Publicized") and c.first("Closed") for c in undone), "off the board"
    assert cap if capped else not cap, "the monthly cap was reached (where there is one)"
    assert any(p.status == "rejected" for p in fold.people.values())
    assert any(len(i.donors) > 1 for i in fold.items.values())
    assert any(i.handed_out for i in fold.items.values())
    assert conflicts > 1, "concurrent steps met, in the opening and in random bursts"


def reached_duties(fold: Fold, by_command: dict[str, int], *, cosigned: bool) -> None:
    """Duty tasks and notices went where the mistakes hide: the line filled and
    moved up, sign-ups raced from both writers, people came (by the code and by
    hand, some never checking out), stayed away, withdrew; tasks completed (their
    points co-signed where the preset asks) and cancelled; notices acknowledged,
    revised, revoked and read."""
    entries = [e for t in fold.duties.values() for e in t.signups.values()]
    states = {e.state for e in entries}
    assert {"attended", "no_show", "withdrew", "unplaced", "cancelled"} <= states, states
    assert {"qr", "hand"} <= {e.method for e in entries}
    assert any(e.missing_checkout for e in entries)
    assert any(e.checked_out for e in entries)
    assert any(e.late for e in entries) or by_command.get("withdraw", 0) > 1
    assert any(t.promoted for t in fold.duties.values()), "moved up off the line"
    assert by_command.get("sign_up_at_once", 0) > 2, "sign-ups raced from both writers"
    assert any(t.deposits for t in fold.duties.values()), "task points credited"
    assert (
        by_command.get("sign_task_points", 0) > 1
        if cosigned
        else "sign_task_points" not in by_command
    )
    notices = list(fold.notices.values())
    assert sum(len(n.acks) for n in notices) > 2
    assert any(n.revised_at for n in notices)
    assert any(n.revoked_at for n in notices)
    assert sum(len(marks) for marks in fold.read_marks.values()) > 2
