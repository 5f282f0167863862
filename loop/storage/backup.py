"""Backups of the embedded store that prove themselves, and restores that refuse
to overwrite.

``backup`` takes, while the service keeps writing:

1. the witness file, first, so that every seal it holds was made before the copy;
2. the events database through SQLite's online backup API, in one step: one
   consistent snapshot, holding every command acknowledged before it began
   (a command is acknowledged after its commit), while writers carry on (WAL);
   the read models and accounts are in that file unless they have their own,
   which is copied the same way;
3. the key store and the installation's keys file (``loop.storage.keys_file``),
   to a destination of its own (``--keys``): keys are kept and expired apart
   from the events (docs/operations.md, "Personal data");
4. then verifies the copy and writes ``manifest.json``, last: positions, chain
   head, the last seal, each file's SHA-256. A folder without a manifest is not
   a backup.

``check`` proves a copy without the live system: every file's digest, the
copy's integrity, its full verification against its seals and its copy of the
witness, and the manifest's head. ``restore`` copies a checked backup into an
empty folder only.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from loop.errors import InvalidInput
from loop.settings import Settings
from loop.storage.chain_readers import SQLiteChainReader
from loop.storage.findings import Report
from loop.storage.keys_file import keys_file_path
from loop.storage.persistence import key_store_url, persistence_env, sqlite_path
from loop.storage.proof_keys import ProofKeys
from loop.storage.verification import verify
from loop.storage.witness import Witness, witness_path

FORMAT = 1
MANIFEST = "manifest.json"
KEYS_MANIFEST = "keys-manifest.json"
EVENTS = "lishu.db"
READ_MODELS = "read-models.db"
WITNESS = "witness.jsonl"
KEYS = "lishu-keys.db"
SECRETS = "lishu-secrets.json"


class BackupRefused(InvalidInput):
    code = "backup_refused"


def refused(zh: str, en: str, **details: Any) -> BackupRefused:
    return BackupRefused(zh, en, **details)


@dataclass(frozen=True)
class Sources:
    """What a backup copies: the events file, and where they exist the read-model
    file, the key-store file and the witness."""

    events: Path
    witness: Path
    read_models: Path | None = None
    keys: Path | None = None
    secrets: Path | None = None
    """The installation's keys file (signing keys), backed up with the key store."""


@dataclass
class Manifest:
    created_at: str
    events: int
    up_to: int
    head: str
    snapshots: int
    last_seal: dict[str, Any] | None
    files: dict[str, dict[str, Any]]
    keys: dict[str, Any] | None = None
    format: int = FORMAT

    def write(self, folder: Path, name: str = MANIFEST) -> None:
        temporary = folder / f".{name}.tmp"
        temporary.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n")
        _fsync(temporary)
        temporary.replace(folder / name)
        _fsync_directory(folder)

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        try:
            data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            return cls(**data)
        except (OSError, ValueError, TypeError):
            raise refused(
                "不是完整的备份：缺少或无法读取 manifest.json",
                f"{folder} is not a whole backup: its manifest.json is missing or unreadable",
            ) from None


@dataclass
class Checked:
    report: Report
    problems: list[str] = field(default_factory=list)

    @property
    def whole(self) -> bool:
        return self.report.intact and not self.problems


def sources(settings: Settings) -> Sources:
    """What to back up for the settings: the embedded store (SQLite) only; a
    PostgreSQL store is backed up with PostgreSQL's own tools (docs/deployment.md)."""
    events = persistence_env(settings.database_url)
    if "SQLITE_DBNAME" not in events:
        raise refused(
            "lishu backup 只用于 SQLite 嵌入式部署；PostgreSQL 请用 pg_basebackup 与 pg_dump",
            "lishu backup is for the embedded SQLite store; back PostgreSQL up with "
            "pg_basebackup and pg_dump (docs/deployment.md, Backups)",
        )
    events_file = Path(events["SQLITE_DBNAME"])
    read_models = None
    if settings.read_model_url and settings.read_model_url.startswith("sqlite:///"):
        views = Path(sqlite_path(settings.read_model_url))
        if views.resolve() != events_file.resolve():
            read_models = views
    keys_url = key_store_url(settings)
    keys = Path(sqlite_path(keys_url)) if keys_url.startswith("sqlite:///") else None
    secrets = keys_file_path(settings)
    if secrets is not None and not secrets.exists():
        secrets = None
    return Sources(events_file, witness_path(settings), read_models, keys, secrets)


def proof_keys_of(keys_dest: Path | None, settings: Settings) -> tuple[ProofKeys, list[str]]:
    """The keys to check a backup with, without the live system: the settings' own
    (``LISHU_SEAL_KEY``, ``LISHU_RECORD_KEY``), else those of the keys file saved
    with its key backup; notes for any missing (then not authenticated)."""
    saved: dict[str, Any] = {}
    if keys_dest is not None and (keys_dest / SECRETS).exists():
        saved = json.loads((keys_dest / SECRETS).read_text(encoding="utf-8"))
    seal = settings.seal_key or saved.get("seal")
    record = settings.record_key or saved.get("record")
    notes = (
        []
        if seal and record
        else ["without the keys backup (--keys) or keys set, seals and rows are not authenticated"]
    )
    return ProofKeys(seal.encode() if seal else None, record.encode() if record else None), notes


def backup(
    sources: Sources, dest: Path, keys_dest: Path | None, keys: ProofKeys, now: datetime
) -> Manifest:
    """Copy, verify and describe; see the module docstring."""
    _empty_folder(dest)
    if sources.keys is not None or sources.secrets is not None:
        if keys_dest is None:
            raise refused(
                "密钥库须另行备份到单独的位置：请用 --keys 指定",
                "the key store must be backed up to a destination of its own: give --keys",
            )
        _apart(dest, keys_dest)
        _empty_folder(keys_dest)
    dest.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    if sources.witness.exists():  # first: every seal it holds then precedes the copy
        shutil.copyfile(sources.witness, dest / WITNESS)
        files.append(WITNESS)
    _online_copy(sources.events, dest / EVENTS)
    files.append(EVENTS)
    if sources.read_models is not None:
        _online_copy(sources.read_models, dest / READ_MODELS)
        files.append(READ_MODELS)
    checked = _verify_copy(dest, keys)
    if not checked.report.intact:
        raise refused(
            "备份的事件未通过校验，未写入清单",
            "the copied events do not verify; no manifest was written",
            summary=checked.report.summary(),
        )
    report = checked.report
    keys_entry = None
    if keys_dest is not None:
        keys_entry = _backup_keys(sources, keys_dest, report.head, now)
    manifest = Manifest(
        created_at=now.isoformat(),
        events=report.events,
        up_to=report.up_to,
        head=report.head,
        snapshots=report.snapshots,
        last_seal=asdict(report.last_seal) if report.last_seal else None,
        files={name: _describe(dest / name) for name in files},
        keys=keys_entry,
    )
    for name in files:
        _fsync(dest / name)
    manifest.write(dest)
    return manifest


def check(dest: Path, keys_dest: Path | None, keys: ProofKeys) -> Checked:
    """Prove a backup whole without the live system (see the module docstring)."""
    manifest = Manifest.read(dest)
    problems = []
    for name, expected in manifest.files.items():
        path = dest / name
        if not path.exists():
            problems.append(f"{name} is missing")
        elif _describe(path) != expected:
            problems.append(f"{name} differs from the manifest (size or SHA-256)")
    if problems:
        return Checked(Report(), problems)
    integrity = _integrity(dest / EVENTS)
    if integrity != "ok":
        problems.append(f"{EVENTS} fails SQLite's integrity check: {integrity}")
    checked = _verify_copy(dest, keys)
    report = checked.report
    problems += checked.problems
    found = (report.events, report.up_to, report.head)
    if found != (manifest.events, manifest.up_to, manifest.head):
        problems.append(
            f"the copy holds {report.events} events up to notification {report.up_to} "
            f"(head {report.head}); the manifest says {manifest.events} up to "
            f"{manifest.up_to} (head {manifest.head})"
        )
    if keys_dest is not None:
        problems += _check_keys(keys_dest, manifest)
    return Checked(report, problems)


def restore(src: Path, target: Path, keys_src: Path | None, keys: ProofKeys) -> list[Path]:
    """Copy a backup that checks whole into ``target``, which must be empty or new
    (so nothing live is ever overwritten); returns the files written."""
    _empty_folder(target)
    checked = check(src, keys_src, keys)
    if not checked.whole:
        raise refused(
            "备份未通过检查，不予恢复",
            "the backup does not check whole; nothing was restored",
            problems=checked.problems,
            summary=checked.report.summary(),
        )
    manifest = Manifest.read(src)
    plan = {EVENTS: EVENTS, READ_MODELS: READ_MODELS, WITNESS: "lishu-witness.jsonl"}
    copies = [(src / name, target / plan[name]) for name in manifest.files]
    if keys_src is not None and (keys_src / KEYS).exists():
        copies.append((keys_src / KEYS, target / KEYS))
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for source, destination in copies:
        with destination.open("xb") as out, source.open("rb") as data:  # never overwrite
            shutil.copyfileobj(data, out)
        _fsync(destination)
        written.append(destination)
    if keys_src is not None and (keys_src / SECRETS).exists():
        _private_copy(keys_src / SECRETS, target / SECRETS)
        written.append(target / SECRETS)
    _fsync_directory(target)
    return written


def _verify_copy(dest: Path, keys: ProofKeys) -> Checked:
    witness = Witness(dest / WITNESS).read()
    with SQLiteChainReader(str(dest / EVENTS)) as reader:
        report = verify(reader, keys, witness=witness.seals if witness.exists else None)
    return Checked(report, witness.problems)


def _online_copy(source: Path, copy: Path) -> None:
    """SQLite's online backup, all pages in one step (one consistent snapshot);
    the copy is left a single file (rollback journal, not WAL)."""
    if not source.exists():
        raise refused("找不到要备份的数据库", f"no database at {source}", path=str(source))
    src = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
    dst = sqlite3.connect(copy)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def _backup_keys(sources: Sources, dest: Path, head: str, now: datetime) -> dict[str, Any]:
    dest.mkdir(parents=True, exist_ok=True)
    entry: dict[str, Any] = {"created_at": now.isoformat(), "events_head": head}
    if sources.keys is not None:
        _online_copy(sources.keys, dest / KEYS)
        _fsync(dest / KEYS)
        with sqlite3.connect(dest / KEYS) as db:
            live, destroyed = db.execute(
                "SELECT COUNT(key), COUNT(*) - COUNT(key) FROM personal_keys"
            ).fetchone()
        entry |= {"file": KEYS, "subjects": live, "destroyed": destroyed, **_describe(dest / KEYS)}
    if sources.secrets is not None:
        _private_copy(sources.secrets, dest / SECRETS)
        entry["secrets"] = _describe(dest / SECRETS)
    (dest / KEYS_MANIFEST).write_text(json.dumps(entry, indent=2) + "\n")
    _fsync(dest / KEYS_MANIFEST)
    _fsync_directory(dest)
    return {k: v for k, v in entry.items() if k not in ("created_at", "events_head")}


def _private_copy(source: Path, destination: Path) -> None:
    """A copy only its owner may read (a keys file), never over an existing file."""
    fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, source.open("rb") as data:
        shutil.copyfileobj(data, out)
        out.flush()
        os.fsync(out.fileno())


def _check_keys(keys_dest: Path, manifest: Manifest) -> list[str]:
    if manifest.keys is None:
        return ["the manifest names no key backup"]
    problems = []
    for name, entry in (
        (KEYS, manifest.keys.get("file") and manifest.keys),
        (SECRETS, manifest.keys.get("secrets")),
    ):
        if not entry:
            continue
        path = keys_dest / name
        if not path.exists():
            problems.append(f"{path} is missing")
        elif _describe(path) != {k: entry[k] for k in ("bytes", "sha256")}:
            problems.append(f"{path} is not the one this backup was taken with")
        elif name == KEYS and (integrity := _integrity(path)) != "ok":
            problems.append(f"{path} fails SQLite's integrity check: {integrity}")
    return problems


def _describe(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _integrity(path: Path) -> str:
    db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        return "; ".join(str(r[0]) for r in db.execute("PRAGMA integrity_check").fetchall())
    finally:
        db.close()


def _empty_folder(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise refused(
            "目标须为空目录或尚不存在：不覆盖任何已有数据",
            f"{folder} must be an empty folder or not exist yet: nothing is overwritten",
            path=str(folder),
        )


def _apart(dest: Path, keys_dest: Path) -> None:
    a, b = dest.resolve(), keys_dest.resolve()
    if a == b or a in b.parents or b in a.parents:
        raise refused(
            "密钥库备份须与事件备份分开存放",
            "the key-store backup must not be inside the events backup, nor hold it",
            dest=str(dest),
            keys=str(keys_dest),
        )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(folder: Path) -> None:
    _fsync(folder)
