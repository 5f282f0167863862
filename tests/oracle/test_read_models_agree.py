"""Every read model agrees with the oracle after every batch of a random workload
driven through the real services (two writers on one database), on SQLite and on
PostgreSQL.

Workload size in ``make test``: the opening (``tests.oracle.tour``: the demo's
day, the corrections a random walk may miss, a duty day, the demo's county
registered with units and accounts of the workload's own, and a training day),
then 16 batches of 60 random commands on the loop, the ledger and the rolls,
after 6 % of which a few commands on duty tasks and notices follow (about 200
taken in all), after 3 % a few on the organisation and the accounts (registered,
renamed, moved, merged, retired; created, given another role, disabled,
enabled; refusals that must write nothing) and after 4 % a few on training
(sessions, attendance and its corrections, exams, certification): about 1,800
events and 4,000 reads compared per run, once on SQLite under the Lishu scoring
(monthly cap of 150 points; task points co-signed; every training mode counts,
no yearly norm) and once on PostgreSQL under the Fuping scoring (base points,
stars, failed months; no-shows deducted; video training not counted, ten days a
year, an exam before certification).
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
        if n == BATCHES - 1:  # the duty gate, where the preset has one
            run.workload.training.switch_gate()
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
    reached_organisation(run.fold, run.workload.organising.refusals_sent)
    reached_training(run.fold, gate=run.loops[0].training.policy.gate)


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


def reached_organisation(fold: Fold, refusals: int) -> None:
    """The registry and the accounts went where the mistakes hide: every kind of
    unit registered, units renamed (in both languages), moved, merged and retired;
    accounts given another role, holding none, disabled and enabled again; and
    refused commands sent (each checked to write nothing)."""
    units = list(fold.units.values())
    kinds = {u.kind for u in units}
    assert {"county", "station", "community", "village", "work_station", "department"} <= kinds
    assert any(len(u.names) > 2 for u in units), "a unit renamed twice"
    assert any(u.names[-1][2] != u.names[0][2] for u in units), "an English name changed"
    events = {what for u in units for _, what, *_ in u.history}
    assert {"UnitMoved", "UnitMerged", "UnitRetired"} <= events
    accounts = list(fold.logins.values())
    assert any(sum(w == "RoleGranted" for _, w, *_ in a.history) > 1 for a in accounts)
    steps = [[w for _, w, *_ in a.history] for a in accounts]
    assert any(
        w == "RoleRevoked" and s[n + 1 : n + 2] != ["RoleGranted"]
        for s in steps
        for n, w in enumerate(s)
    ), "an account left holding no role"
    assert any(any(w == "Enabled" for _, w, *_ in a.history) for a in accounts)
    assert any(a.disabled for a in accounts)
    assert refusals > 10


def reached_training(fold: Fold, *, gate: bool) -> None:
    """Training went where the mistakes hide: sessions of every kind and mode, one
    cancelled; attendance corrected to absent (its credit withdrawn) and back; two
    credits on one day (capped at a whole day); exams failed and passed; a
    volunteer certified; the year turned with training on both sides of it; the
    duty gate switched on (where the preset has one) before the last batch."""
    sessions = list(fold.trainings.values())
    assert {s.kind for s in sessions} == {"pre_duty", "regular", "targeted"}
    assert {s.mode for s in sessions} == {"in_person", "on_site", "video", "shadowing"}
    assert any(s.status == "cancelled" for s in sessions)
    assert any(not here for s in sessions for here in s.attendance.values())
    assert any(s.corrected and all(s.attendance.values()) for s in sessions), "corrected back"
    days = [[c["day"] for c in f.credits.values()] for f in fold.files.values()]
    assert any(len(d) > len(set(d)) for d in days), "two credits on one day"
    exams = [e for f in fold.files.values() for e in f.exams]
    assert {e["passed"] for e in exams} == {True, False}
    assert any(f.certified for f in fold.files.values())
    assert len({s.day[:4] for s in sessions}) > 1
    assert bool(fold.gates) == gate, "the duty gate switched on where the preset has one"
    waiting = [
        v
        for v in fold.volunteer_keys.values()
        if fold.people[v].status in ("active", "flexible")
        and (fold.files.get(v) is None or fold.files[v].certified is None)
    ]
    if gate:
        assert waiting, "volunteers awaiting training under the gate"
