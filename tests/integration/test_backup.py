"""``lishu backup``, ``lishu backup --check`` and ``lishu restore`` on the embedded
store: a copy that proves itself whole, keys kept apart, restores only into an
empty folder; and a backup taken while the service takes commands."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from loop.settings import Settings
from loop.storage.sealing import seal_now
from tests.api.served import Http, Server, Tokens, copy_database, lishu_command

runner = CliRunner()
REPORT = {
    "module": "hazard_screening",
    "sense": "seen",
    "what": "配电箱门敞开，电线裸露",
    "where": "幸福小区5栋",
    "channel": "app",
}


def lishu(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def live(seeded: Path, tmp_path: Path) -> Path:
    """A live embedded store: the seeded demo (events, read models, accounts, keys),
    sealed, its witness beside it."""
    database = copy_database(seeded, tmp_path / "live")
    seal_now(Settings(database_url=f"sqlite:///{database}"))
    return database


def test_a_backup_proves_itself_and_restores_into_an_empty_folder(
    live: Path, tmp_path: Path
) -> None:
    url = ["--database-url", f"sqlite:///{live}"]
    dest, keys = tmp_path / "backup", tmp_path / "keys-backup"
    code, printed = lishu("backup", str(dest), "--keys", str(keys), *url)
    assert code == 0, printed
    manifest = json.loads((dest / "manifest.json").read_text())
    assert set(manifest["files"]) == {"lishu.db", "witness.jsonl"}
    assert {p.name for p in dest.iterdir()} & {"lishu-keys.db", "lishu-secrets.json"} == set()
    assert {p.name for p in keys.iterdir()} >= {"lishu-keys.db", "lishu-secrets.json"}  # apart
    assert manifest["keys"]["subjects"] > 0
    assert manifest["last_seal"]["seq"] == 1
    with sqlite3.connect(live) as db:
        (head,) = db.execute("SELECT MAX(rowid) FROM stored_events").fetchone()
    assert manifest["up_to"] == manifest["events"] == head
    code, printed = lishu("backup", "--check", str(dest), "--keys", str(keys))
    assert code == 0, printed
    assert "the backup is whole" in printed

    target = tmp_path / "restored"
    code, printed = lishu("restore", str(dest), str(target), "--keys", str(keys))
    assert code == 0, printed
    assert {p.name for p in target.iterdir()} == {
        "lishu.db",
        "lishu-keys.db",
        "lishu-secrets.json",  # the installation's keys: its rows and seals verify as before
        "lishu-witness.jsonl",
    }
    assert (target / "lishu-secrets.json").stat().st_mode & 0o077 == 0
    assert digest(target / "lishu-keys.db") == digest(keys / "lishu-keys.db")
    restored = ["--database-url", f"sqlite:///{target / 'lishu.db'}"]
    code, printed = lishu("verify", *restored, "--read-models")
    assert code == 0, printed
    assert f"intact: {head} events" in printed
    assert "read models agree" in printed
    assert "note" not in printed  # its witness came along, its seal authenticates
    # the restored keys open the people's data: a volunteer's record reads in full
    code, printed = lishu("history", "v-xf-liu", "--as-auditor", *restored)
    assert code == 0, printed
    assert "已删除" not in printed


def test_backups_and_restores_refuse_what_would_lose_or_mix_data(
    live: Path, tmp_path: Path
) -> None:
    url = ["--database-url", f"sqlite:///{live}"]
    code, printed = lishu("backup", str(tmp_path / "b1"), *url)
    assert code == 2
    assert "key store must be backed up to a destination of its own" in printed
    code, printed = lishu("backup", str(tmp_path / "b2"), "--keys", str(tmp_path / "b2/keys"), *url)
    assert code == 2
    assert "must not be inside the events backup" in printed
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("kept")
    code, printed = lishu("backup", str(tmp_path / "full"), "--keys", str(tmp_path / "k"), *url)
    assert code == 2
    assert "must be an empty folder" in printed
    assert not (tmp_path / "b1").exists()
    postgres = "postgresql+psycopg://lishu:pw@db-1:5432/lishu"
    code, printed = lishu("backup", str(tmp_path / "b"), "--database-url", postgres)
    assert code == 2
    assert "pg_basebackup" in printed

    code, _ = lishu("backup", str(tmp_path / "b"), "--keys", str(tmp_path / "k"), *url)
    assert code == 0
    before = {p.name: digest(p) for p in live.parent.iterdir()}
    code, printed = lishu(
        "restore", str(tmp_path / "b"), str(live.parent), "--keys", str(tmp_path / "k")
    )
    assert code == 2
    assert "nothing is overwritten" in printed
    assert {p.name: digest(p) for p in live.parent.iterdir()} == before  # live data untouched


def test_a_check_finds_a_copy_that_is_not_what_was_backed_up(live: Path, tmp_path: Path) -> None:
    url = ["--database-url", f"sqlite:///{live}"]
    dest, keys = tmp_path / "backup", tmp_path / "keys"
    assert lishu("backup", str(dest), "--keys", str(keys), *url)[0] == 0
    assert lishu("backup", "--check", str(dest), "--keys", str(keys))[0] == 0
    copy = dest / "lishu.db"
    # an event edited in the copy, and the manifest's digest of the file made to match
    with sqlite3.connect(copy) as db:
        (rowid, blob) = db.execute(
            "SELECT rowid, state FROM stored_events WHERE rowid=5"
        ).fetchone()
        db.execute("UPDATE stored_events SET state=? WHERE rowid=?", (bytes(blob) + b" ", rowid))
    manifest = json.loads((dest / "manifest.json").read_text())
    code, printed = lishu("backup", "--check", str(dest), "--keys", str(keys))
    assert code == 1
    assert "lishu.db differs from the manifest" in printed
    manifest["files"]["lishu.db"] = {"bytes": copy.stat().st_size, "sha256": digest(copy)}
    (dest / "manifest.json").write_text(json.dumps(manifest))
    code, printed = lishu("backup", "--check", str(dest), "--keys", str(keys))
    assert code == 1
    assert "altered: incident" in printed
    code, printed = lishu("restore", str(dest), str(tmp_path / "restored"), "--keys", str(keys))
    assert code == 2
    assert "does not check whole" in printed
    assert not (tmp_path / "restored" / "lishu.db").exists()
    # keys from another backup are not this backup's
    other = tmp_path / "other-keys"
    other.mkdir()
    (other / "lishu-keys.db").write_bytes((keys / "lishu-keys.db").read_bytes() + b"\0")
    code, printed = lishu("backup", "--check", str(dest), "--keys", str(other))
    assert "is not the one this backup was taken with" in printed


def test_a_backup_taken_under_write_load_holds_every_acknowledged_command(
    seeded: Path, tmp_path: Path
) -> None:
    server = Server(copy_database(seeded, tmp_path / "live")).start()
    http = Http(server.url, Tokens())
    acknowledged: list[tuple[float, int]] = []
    failures: list[str] = []
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            answer = http.post("v-xf-liu", "/api/incidents", REPORT)
            if answer.status_code == 201:
                acknowledged.append((time.monotonic(), int(answer.json()["position"])))
            else:
                failures.append(answer.text)

    worker = threading.Thread(target=load)
    try:
        worker.start()
        while len(acknowledged) < 50:
            time.sleep(0.05)
        began = time.monotonic()
        dest, keys = tmp_path / "backup", tmp_path / "keys"
        done = subprocess.run(
            [*lishu_command(), "backup", str(dest), "--keys", str(keys)],
            env={**server.env()},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        ended = time.monotonic()
        time.sleep(0.3)
    finally:
        stop.set()
        worker.join()
        http.close()
        server.stop()
    assert done.returncode == 0, done.stderr
    assert failures == []
    before = [p for at, p in acknowledged if at < began]
    during = [p for at, p in acknowledged if began <= at <= ended]
    assert len(before) >= 50
    assert during  # the service went on taking commands while the backup ran
    check = subprocess.run(
        [*lishu_command(), "backup", "--check", str(dest), "--keys", str(keys)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    target = tmp_path / "restored"
    assert lishu("restore", str(dest), str(target), "--keys", str(keys))[0] == 0
    with sqlite3.connect(target / "lishu.db") as db:
        stored = {r for (r,) in db.execute("SELECT notification_id FROM event_chain")}
        reported = {
            r
            for (r,) in db.execute(
                "SELECT rowid FROM stored_events WHERE topic LIKE '%:Incident.Reported'"
            )
        }
    assert set(before) <= stored
    assert set(before) <= reported  # each acknowledged report is the event at its position
    code, printed = lishu("verify", "--database-url", f"sqlite:///{target / 'lishu.db'}")
    assert code == 0, printed
