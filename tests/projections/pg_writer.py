"""A writer in a process of its own, for the PostgreSQL worker tests.

    python -m tests.projections.pg_writer DATABASE_URL [--incidents N] [--seed S]

Drives the random workload (``tests.projections.workload``) into the database
through the application, one commit per command, and prints the number of
commands and the log's head as JSON.
"""

from __future__ import annotations

import argparse
import json

from loop.bootstrap import build_loop
from loop.settings import Settings
from tests.projections import workload
from tests.support import FakeClock


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("--incidents", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    flow = build_loop(Settings(database_url=args.database_url)).incidents
    clock = FakeClock()
    flow.app.clock = clock
    try:
        done = workload.run(flow, clock, incidents=args.incidents, seed=args.seed)
        print(json.dumps({"commands": done, "head": flow.app.recorder.max_notification_id()}))
    finally:
        flow.app.close()


if __name__ == "__main__":
    main()
