"""The crash soak, short: a few kills of the service under the keyed workload, on
a copy of the seeded demo (``make crash-soak`` runs the long one)."""

from __future__ import annotations

from pathlib import Path

from tests.api.served import copy_database
from tests.crash.soak import soak


def test_a_short_crash_soak_loses_nothing_doubles_nothing_and_answers_retries_first(
    seeded: Path, tmp_path: Path
) -> None:
    database = copy_database(seeded, tmp_path / "db")
    figures = soak(f"sqlite:///{database}", tmp_path, kills=3, clients=2, seed=7, targeted=0.67)
    print(figures.table())
    assert figures.kills == 3
    assert figures.applied >= 6, figures.table()  # the workload did run between kills
    assert figures.retried_after_kill >= 1, figures.table()  # and some command met a kill
    assert figures.findings == 0, figures.table()
