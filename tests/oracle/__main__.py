"""The oracle's soak: a long random workload, every read compared after every batch.

    python -m tests.oracle [--events 100000] [--postgres-url URL] [--seed N]
                           [--batch 1000] [--scoring lishu|fuping] [--pace 0.1]

Runs on a fresh SQLite file in a temporary folder, or on a fresh database of the
PostgreSQL server ``--postgres-url`` names (dropped afterwards); stops once the
log holds ``--events`` events. Prints a line per ten batches, the figures at the
end and any disagreement; exits 1 if there was one. ``make soak`` runs it.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.oracle.run import OracleRun
from tests.postgres import create_postgres_database, drop_postgres_database


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.oracle")
    parser.add_argument("--events", type=int, default=100_000, help="stop at this log size")
    parser.add_argument("--postgres-url", help="a PostgreSQL server (default: an SQLite file)")
    parser.add_argument("--seed", type=int, help="the workload's seed (default: random)")
    parser.add_argument("--batch", type=int, default=1000, help="commands between comparisons")
    parser.add_argument("--scoring", choices=("lishu", "fuping"), default="lishu")
    parser.add_argument(
        "--pace", type=float, default=0.1, help="the clock's steps between commands, scaled"
    )
    return parser.parse_args(argv)


@contextmanager
def database(postgres_url: str | None) -> Iterator[str]:
    if postgres_url:
        url = create_postgres_database(postgres_url)
        try:
            yield url
        finally:
            drop_postgres_database(postgres_url, url)
        return
    with tempfile.TemporaryDirectory(prefix="lishu-oracle-") as folder:
        yield f"sqlite:///{Path(folder) / 'lishu.db'}"


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    where = "PostgreSQL" if args.postgres_url else "SQLite"
    print(f"oracle soak: {args.events:,} events on {where}, {args.scoring} scoring, seed {seed}")
    with (
        database(args.postgres_url) as url,
        OracleRun(url, seed=seed, scoring=args.scoring, pace=args.pace) as run,
    ):
        run.start()
        while run.figures.events < args.events:
            found = run.batch(args.batch)
            for disagreement in found[:5]:
                print(disagreement, flush=True)
            if run.figures.batches % 10 == 0:
                print(f"  {run.figures.line()}", flush=True)
        run.batch(0, every_case=True)
        figures = run.figures
    print(figures.line())
    print("commands taken:", ", ".join(f"{k} {v:,}" for k, v in figures.by_command.items()))
    return 1 if figures.disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
