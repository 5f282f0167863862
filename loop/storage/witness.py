"""The witness: every seal also written outside the database.

Someone who can write to the database can drop the seal table or cut events off
the log's end. The witness keeps every seal where they cannot: an append-only
file of JSON lines on another disk or host (``LISHU_WITNESS_PATH``; on Linux
``chattr +a`` makes it append-only for root too), and optionally a webhook to the
county's other system (``LISHU_WITNESS_WEBHOOK``), which keeps its own copy.
Verification reads the file: a witnessed seal missing from the seal table, or a
log shorter than a witnessed head, is damage; sealing refuses to certify a head
shorter than one already witnessed.
"""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from loop.errors import InvalidInput
from loop.storage.persistence import persistence_env
from loop.storage.seals import Seal


class HasWitnessSettings(Protocol):
    database_url: str
    witness_path: str | None
    witness_webhook: str | None


class WitnessError(InvalidInput):
    code = "witness_failed"


def witness_path(settings: HasWitnessSettings) -> Path:
    """The witness file: as set, else beside an SQLite events file
    (``<stem>-witness.jsonl``), else ``<database name>-witness.jsonl`` in the
    working directory (the sealing host's disk; set it to another)."""
    if settings.witness_path:
        return Path(settings.witness_path)
    env = persistence_env(settings.database_url)
    if "SQLITE_DBNAME" in env:
        events = Path(env["SQLITE_DBNAME"])
        return events.with_name(f"{events.stem}-witness.jsonl")
    return Path(f"{env.get('POSTGRES_DBNAME') or 'lishu'}-witness.jsonl")


@dataclass
class Read:
    """What a witness file holds."""

    seals: list[Seal] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    exists: bool = False


class Witness:
    """An append-only JSON-lines file of seals, and an optional webhook."""

    def __init__(self, path: Path, webhook: str | None = None, timeout: float = 10.0) -> None:
        self.path = path
        self.webhook = webhook
        self.timeout = timeout

    @classmethod
    def for_settings(cls, settings: HasWitnessSettings) -> Witness:
        return cls(witness_path(settings), settings.witness_webhook)

    def read(self) -> Read:
        """Every seal in the file, in order; unreadable lines are named, not trusted."""
        found = Read()
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return found
        found.exists = True
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                found.seals.append(Seal.from_json(line))
            except InvalidInput:
                found.problems.append(f"witness line {number} is not a seal")
        return found

    def append(self, seal: Seal) -> None:
        """Add a seal as one line, flushed to disk before returning."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        except OSError as error:
            raise _failed(f"cannot open the witness {self.path}: {error}") from None
        try:
            line = seal.to_json() + "\n"
            if not new and self.path.stat().st_size and not _ends_with_newline(self.path):
                line = "\n" + line  # a line cut short by a crash stays on its own
            os.write(fd, line.encode())
            os.fsync(fd)
        except OSError as error:
            raise _failed(f"cannot write the witness {self.path}: {error}") from None
        finally:
            os.close(fd)
        if new:
            _sync_directory(self.path.parent)

    def post(self, seal: Seal) -> None:
        """POST the seal to the webhook, if one is set (JSON, ``WitnessError`` on failure)."""
        if not self.webhook:
            return
        if urlsplit(self.webhook).scheme not in ("http", "https"):
            raise _failed(f"the witness webhook must be an http(s) URL: {self.webhook}")
        request = urllib.request.Request(
            self.webhook,
            data=json.dumps({"seal": json.loads(seal.to_json())}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                if not 200 <= answer.status < 300:
                    raise _failed(f"the witness webhook answered {answer.status}")
        except OSError as error:
            raise _failed(f"the witness webhook failed: {error}") from None


def _failed(detail: str) -> WitnessError:
    return WitnessError("封存未能写入见证", f"the seal could not be witnessed: {detail}")


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
