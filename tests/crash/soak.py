"""The crash soak: the service SIGKILLed again and again under a keyed workload.

``python -m tests.crash.soak`` (``make crash-soak``) starts ``lishu serve`` on a
new SQLite file (or ``--database-url``), which seeds the demo on first start;
clients (``tests.crash.workload``) run a mixed keyed workload and send every
unanswered request again with the same key. The service is killed ``--kills``
times: at a random moment of serving, or (``--targeted`` of them) by itself
right after a random keyed commit, before its answer (``tests.crash.server``).
Then every applied command is sent once more, and the checks:

* nothing lost: every command answered 2xx is in the log, at its position, and
  the events in the log are exactly those the applied commands store;
* nothing applied twice (no event beyond those);
* no retry answered differently from its first 2xx answer;
* no 5xx answer and no traceback; ``lishu verify`` intact; every read model
  equal to a rebuild from the log.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from projections.processing import Projector
from projections.store import Store
from tests.api.served import lishu_command
from tests.crash.harness import Log, Service, topic_name
from tests.crash.workload import EVENTS, Sent, Worker
from tests.projections.helpers import dump

IGNORED = {"PointsAccount.StarLevelChanged"}  # follows a deposit or deduction, or not


@dataclass
class Figures:
    database: str
    kills: int = 0
    targeted_kills: int = 0
    commands: int = 0
    applied: int = 0
    refused: int = 0
    retried_after_kill: int = 0  # commands answered only after the service came back
    requests_sent_again: int = 0
    events: int = 0
    lost: int = 0
    duplicated: int = 0
    answered_differently: int = 0
    server_errors: int = 0
    tracebacks: int = 0
    verify_intact: bool = False
    read_models_equal_rebuild: bool = False
    restart_seconds: list[float] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def findings(self) -> int:
        broken = (not self.verify_intact) + (not self.read_models_equal_rebuild)
        bad = self.lost + self.duplicated + self.answered_differently + self.server_errors
        return bad + self.tracebacks + broken + len(self.notes)

    def table(self) -> str:
        restarts = self.restart_seconds or [0.0]
        rows = [
            ("database", self.database),
            ("kills (targeted after a commit)", f"{self.kills} ({self.targeted_kills})"),
            (
                "keyed commands / applied / refused",
                f"{self.commands} / {self.applied} / {self.refused}",
            ),
            ("commands answered only after a restart", self.retried_after_kill),
            ("requests sent again with the same key", self.requests_sent_again),
            ("events stored", self.events),
            (
                "lost / duplicated / retries answered differently",
                f"{self.lost} / {self.duplicated} / {self.answered_differently}",
            ),
            ("5xx answers / tracebacks", f"{self.server_errors} / {self.tracebacks}"),
            ("lishu verify intact", self.verify_intact),
            ("read models equal to a rebuild", self.read_models_equal_rebuild),
            (
                "restart seconds (median / max)",
                f"{statistics.median(restarts):.2f} / {max(restarts):.2f}",
            ),
            ("soak seconds", f"{self.seconds:.0f}"),
        ]
        lines = [f"  {name:<50} {value}" for name, value in rows]
        lines += [f"  finding: {note}" for note in self.notes]
        return "\n".join(lines)


def soak(
    database_url: str,
    folder: Path,
    *,
    kills: int = 30,
    clients: int = 4,
    seed: int = 1,
    targeted: float = 0.5,
    serving: tuple[float, float] = (0.5, 3.0),
) -> Figures:
    """Run the soak on ``database_url`` (seeded by the first start if empty)."""
    began = time.monotonic()
    rng = random.Random(seed)
    figures = Figures(database_url)
    service = Service(database_url, folder / "service.log", demo="true")
    service.start(timeout=600)  # the first start seeds the demo if it is not there
    log = Log(database_url)
    start = log.head()
    stop = threading.Event()
    workers = [Worker(n, service, stop, seed) for n in range(clients)]
    try:
        for worker in workers:
            worker.start()
        for _ in range(kills):
            if rng.random() < targeted:
                figures.targeted_kills += 1
                service.kill()
                figures.restart_seconds.append(service.start(crash_after=rng.randint(1, 6)))
                service.wait(120)  # it dies by itself, right after a keyed commit
            else:
                service.kill()
                figures.restart_seconds.append(service.start())
                time.sleep(rng.uniform(*serving))
            figures.kills += 1
        service.kill()
        figures.restart_seconds.append(service.start())
        stop.set()
        for worker in workers:
            worker.join(300)
            if worker.error is not None:
                figures.notes.append(f"{worker.name} stopped: {worker.error!r}")
        for worker in workers:  # every applied command, once more
            for sent in worker.sent:
                if sent.since_applied:
                    worker.post(sent)
        assert service.stop() in (0, -15), service.tail()
        check(figures, [s for w in workers for s in w.sent], log, start)
        figures.tracebacks = sum(1 for line in service.errors() if line.startswith("Traceback"))
        figures.verify_intact = verified(database_url)
        figures.read_models_equal_rebuild = rebuilt_equal(log, database_url, folder)
    finally:
        stop.set()
        service.kill()
        log.close()
    figures.seconds = time.monotonic() - began
    return figures


def check(figures: Figures, sent: list[Sent], log: Log, start: int) -> None:
    """Lost, duplicated and differently answered commands, from the ledger and the log."""
    expected: Counter[str] = Counter()
    for each in sent:
        figures.commands += 1
        figures.requests_sent_again += each.unanswered + max(0, len(each.answers) - 1)
        figures.retried_after_kill += each.unanswered > 0
        figures.server_errors += sum(1 for status, _ in each.answers if status >= 500)
        applied = each.since_applied
        if not applied:
            figures.refused += 1
            continue
        figures.applied += 1
        expected += EVENTS[each.kind]
        if len({json.dumps(answer, sort_keys=True) for answer in applied}) > 1:
            figures.answered_differently += 1
        _, body = applied[0]
        if not in_log(log, body):
            figures.lost += 1
            figures.notes.append(f"{each.kind} {each.path}: answered {body}, not so in the log")
    found = Counter(
        topic_name(n.topic) for n in log.notifications(start) if topic_name(n.topic) not in IGNORED
    )
    figures.events = sum(found.values())
    figures.lost += sum((expected - found).values())
    figures.duplicated = sum((found - expected).values())
    if expected != found:
        figures.notes.append(f"missing {dict(expected - found)}, beyond {dict(found - expected)}")


def in_log(log: Log, body: Any) -> bool:
    """Whether the log holds what the answer says: an event at its position (its
    command's last), and its incident at the version it answered."""
    position = body.get("position") if isinstance(body, dict) else None
    if position is None:
        return False
    found = log.app.recorder.select_notifications(position, 1)
    if not found or found[0].id != position:
        return False
    incident, version = body.get("incident_id"), body.get("version")
    if incident is None:
        return True
    stored = log.app.recorder.select_events(UUID(incident), gt=version - 1, lte=version)
    return len(stored) == 1


def verified(database_url: str) -> bool:
    done = subprocess.run(
        [*lishu_command(), "verify", "--database-url", database_url],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.returncode == 0


def rebuilt_equal(log: Log, database_url: str, folder: Path) -> bool:
    """Whether the service's read models, caught up, equal a rebuild from the log."""
    projectors = []
    for url in (database_url, f"sqlite:///{folder / 'rebuilt.db'}"):
        projector = Projector(Store.from_url(url), log.app.recorder, log.app.mapper)
        projector.setup()
        projector.catch_up()
        projectors.append(projector)
    live, rebuilt = (dump(p) for p in projectors)
    for projector in projectors:
        projector.store.dispose()
    return bool(live) and live == rebuilt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.crash.soak", description=__doc__)
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--targeted", type=float, default=0.5, help="share of kills right after a keyed commit"
    )
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lishu-crash-soak-") as tmp:
        folder = Path(tmp)
        url = args.database_url or f"sqlite:///{folder / 'lishu.db'}"
        figures = soak(
            url,
            folder,
            kills=args.kills,
            clients=args.clients,
            seed=args.seed,
            targeted=args.targeted,
        )
    print("crash soak 崩溃浸泡测试:")
    print(figures.table())
    if args.json:
        args.json.write_text(json.dumps(asdict(figures), indent=2, ensure_ascii=False))
    print(
        "OK: nothing lost, nothing twice, every retry answered first"
        if not figures.findings
        else f"FAILED: {figures.findings} finding(s)"
    )
    return 1 if figures.findings else 0


if __name__ == "__main__":
    sys.exit(main())
