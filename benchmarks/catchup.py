"""The library's own catch-up: read the notification log and decode every event.

This is what any projection must do at least, so it is the rebuild ceiling.

    python -m benchmarks.catchup LOG.db   # reads it all (for the memory figure)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from loop.bootstrap import build_loop
from loop.settings import Settings

PAGE = 1_000


def read_and_decode(path: Path) -> int:
    """Read every notification of the log in pages and decode it to a domain event."""
    flow = build_loop(Settings(database_url=f"sqlite:///{path}")).incidents
    try:
        to_event = flow.app.mapper.to_domain_event
        read = 0
        start = 1
        while notifications := flow.app.recorder.select_notifications(start, PAGE):
            for n in notifications:
                to_event(n)
            read += len(notifications)
            start = notifications[-1].id + 1
        return read
    finally:
        flow.app.close()


def measure(path: Path) -> tuple[int, float]:
    """Events read and decoded, and the rate per second."""
    started = time.perf_counter()
    events = read_and_decode(path)
    return events, events / (time.perf_counter() - started)


if __name__ == "__main__":
    print(read_and_decode(Path(sys.argv[1])))
