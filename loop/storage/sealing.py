"""Sealing: verify, sign the head, store the seal and witness it; and on a schedule.

``seal_now`` is what ``lishu seal`` runs. ``SealSchedule`` is what the running
service runs (``LISHU_SEAL_INTERVAL``, hourly by default; nothing if the seal key is
refused), so the tail of the log no seal covers stays short: each round it checks,
cheaply, whether the log has grown since the last seal and that seal is at least
an interval old, and if so seals in a child process (``python -m loop.storage.sealing``),
so that verifying a long log never competes with requests for the interpreter.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from loop.settings import Settings
from loop.storage.chain_readers import open_chain_reader
from loop.storage.findings import Report
from loop.storage.keys_file import KeyRefused, seal_key
from loop.storage.proof_keys import proof_keys
from loop.storage.seals import Seal
from loop.storage.verification import seal
from loop.storage.witness import Witness, WitnessError

log = logging.getLogger(__name__)


@dataclass
class Sealed:
    seal: Seal
    report: Report
    problems: list[str] = field(default_factory=list)
    """What went wrong after the seal was stored (the webhook); the file is required."""


def seal_now(settings: Settings, now: datetime | None = None) -> Sealed:
    """Verify the log, seal its head, store the seal, append it to the witness and
    post it to the webhook. Refusals: a seal key refused (``KeyRefused``), a damaged
    log or one shorter than witnessed (``SealRefused``), an unwritable witness
    (``WitnessError``, the seal then stored but not witnessed: seal again once
    the witness is writable)."""
    witness = Witness.for_settings(settings)
    witnessed = witness.read()
    moment = now or datetime.now().astimezone()
    with open_chain_reader(settings.database_url) as reader:  # refused if there is none
        new, report = seal(reader, proof_keys(settings), moment, witness=witnessed.seals)
    witness.append(new)
    done = Sealed(new, report, list(witnessed.problems))
    try:
        witness.post(new)
    except WitnessError as error:
        done.problems.append(error.message_en)
    return done


def due(settings: Settings, interval: float, now: datetime) -> bool:
    """Whether the log has grown since the last seal, and that seal is old enough."""
    with open_chain_reader(settings.database_url) as reader:
        seals = reader.seals()
        last = reader.last_notification()
    if last is None:
        return False
    if not seals:
        return True
    latest = seals[-1]
    if latest.up_to >= last:
        return False
    try:
        sealed_at = datetime.fromisoformat(latest.sealed_at)
    except ValueError:
        return True
    return now - sealed_at >= timedelta(seconds=interval)


def child_environment(settings: Settings) -> dict[str, str]:
    """The environment of a child that seals what ``settings`` name."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISHU_")}
    for name in (
        "database_url",
        "environment",
        "keys_file",
        "seal_key",
        "record_key",
        "witness_path",
        "witness_webhook",
    ):
        value = getattr(settings, name)
        if value is not None:
            env[f"LISHU_{name.upper()}"] = str(value)
    return env


class SealSchedule:
    """Seals every ``interval`` seconds while the service runs (a daemon thread)."""

    def __init__(self, settings: Settings, interval: float, check_every: float = 60.0) -> None:
        self.settings = settings
        self.interval = interval
        self.check_every = min(check_every, interval)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.seals = 0
        self.failures = 0

    @classmethod
    def for_settings(cls, settings: Settings) -> SealSchedule | None:
        """The schedule the settings ask for: none when the interval is 0 or the
        seal key is refused."""
        if settings.seal_interval <= 0:
            return None
        try:
            seal_key(settings)
        except KeyRefused:
            return None
        if settings.database_url.startswith("memory:"):  # nothing kept, nothing to seal
            return None
        return cls(settings, settings.seal_interval)

    def start(self) -> SealSchedule:
        self._thread = threading.Thread(target=self._run, name="seal-schedule", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.check_every):
            try:
                if due(self.settings, self.interval, datetime.now().astimezone()):
                    self.seal_in_child()
            except Exception:
                self.failures += 1
                log.exception("scheduled seal failed")

    def seal_in_child(self) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "loop.storage.sealing"],
            env=child_environment(self.settings),
            capture_output=True,
            text=True,
            timeout=max(self.interval, 600),
            check=False,
        )
        if done.returncode == 0:
            self.seals += 1
            log.info("sealed: %s", done.stdout.strip())
        else:
            self.failures += 1
            log.error("scheduled seal refused (%s): %s", done.returncode, done.stderr.strip())


def main() -> None:
    """Seal once with the ``LISHU_*`` settings; print the seal (exit 1 if refused)."""
    from aggregates.errors import DomainError
    from loop.storage.verification import SealRefused

    try:
        done = seal_now(Settings())
    except (DomainError, SealRefused) as error:
        print(error, file=sys.stderr)
        raise SystemExit(1) from None
    print(done.seal.to_json())
    for problem in done.problems:
        print(problem, file=sys.stderr)


if __name__ == "__main__":
    main()
