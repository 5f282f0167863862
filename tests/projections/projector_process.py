"""A projector in a process of its own, for the crash and race tests.

    python -m tests.projections.projector_process EVENTS_DB VIEWS_DB REPORT
        [--batch N] [--die-after N] [--barrier DIR] [--pause SECONDS]

It catches up and writes the batches it committed (start position, count) to
REPORT as JSON. ``--die-after N`` kills the process with SIGKILL right after
its N-th write of a batch's rows, while that batch's transaction is open.
``--barrier DIR`` waits until DIR/go exists before starting, after writing
DIR/ready-<pid>. ``--pause S`` sleeps S seconds after each committed batch, as a
busy worker would between batches; without it, SQLite's busy handler (which backs
off up to 100 ms) can leave a waiting process out until the other has finished.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from projections.processing import Build
from projections.rows import Rows
from tests.projections.helpers import file_flow, projector_for


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("events")
    parser.add_argument("views")
    parser.add_argument("report")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--die-after", type=int, default=0)
    parser.add_argument("--barrier", default="")
    parser.add_argument("--pause", type=float, default=0.0)
    args = parser.parse_args()

    flow = file_flow(Path(args.events))
    projector = projector_for(flow, f"sqlite:///{args.views}", batch_size=args.batch)
    projector.setup()
    committed: list[list[Any]] = []
    advance = projector._advance

    def recording(group: list[Build], position: int, head: int) -> int:
        applied = advance(group, position, head)
        if applied:
            committed.append([position, applied, sorted(b.projection.name for b in group)])
            time.sleep(args.pause)
        return applied

    projector._advance = recording  # type: ignore[method-assign]
    if args.die_after:
        seen = 0
        original = Rows.write

        def dying(self: Rows) -> None:
            nonlocal seen
            seen += 1
            original(self)
            if seen >= args.die_after:  # rows written, the transaction still open
                os.kill(os.getpid(), signal.SIGKILL)

        Rows.write = dying  # type: ignore[method-assign]
    if args.barrier:
        barrier = Path(args.barrier)
        (barrier / f"ready-{os.getpid()}").touch()
        while not (barrier / "go").exists():
            time.sleep(0.01)
    projector.catch_up()
    Path(args.report).write_text(json.dumps(committed))


if __name__ == "__main__":
    main()
