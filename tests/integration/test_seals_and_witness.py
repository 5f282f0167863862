"""Seals authenticated with the county's key, written to a witness outside the
database, refused without a key outside development, and made on a schedule."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from loop import demo
from loop.bootstrap import build_loop
from loop.settings import Settings
from loop.storage.chain_readers import open_chain_reader
from loop.storage.keys_file import KeyRefused, seal_key
from loop.storage.sealing import SealSchedule, seal_now
from loop.storage.seals import Seal
from loop.storage.verification import SealRefused
from loop.storage.witness import Witness, witness_path

runner = CliRunner()


@pytest.fixture
def history(tmp_path: Path) -> Settings:
    """The demo in an SQLite file, with its witness beside it (the default)."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/lishu.db")
    flow = build_loop(settings).incidents
    demo.run(flow)
    flow.app.close()
    return settings


def lishu(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_a_seal_is_stored_witnessed_and_authenticated(history: Settings, tmp_path: Path) -> None:
    url = ["--database-url", history.database_url]
    code, printed = lishu("seal", *url)
    assert code == 0, printed
    sealed = Seal.from_json(printed)
    witnessed = Witness(tmp_path / "lishu-witness.jsonl").read()
    assert [s.to_json() for s in witnessed.seals] == [sealed.to_json()]
    assert sealed.authentic(seal_key(history))  # the installation's key, from its keys file
    assert (sealed.snapshots, sealed.macs_from) == (0, 1)
    code, printed = lishu("verify", *url, "--against", sealed.to_json())
    assert code == 0, printed
    assert f"chain head {sealed.head}" in printed
    assert "note" not in printed  # keys, witness and seals all checked
    made_up = Seal(**{**json.loads(sealed.to_json()), "mac": "not-a-mac"})
    code, printed = lishu("verify", *url, "--against", made_up.to_json())
    assert code == 1
    assert "seal_unauthentic" in printed
    code, printed = lishu("verify", *url, "--against", "{not a seal")
    assert code == 2
    assert "the seal cannot be read" in printed


def test_no_shipped_or_weak_key_seals_or_authenticates_in_production(
    history: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    sealed = seal_now(history).seal  # with the installation's random key (its keys file)
    url = ["--database-url", history.database_url]
    monkeypatch.setenv("LISHU_ENVIRONMENT", "production")
    assert lishu("verify", *url, "--against", sealed.to_json())[0] == 0  # its own keys: fine
    monkeypatch.setenv("LISHU_SEAL_KEY", "lishu-development-seal-key")  # once shipped
    production = Settings(database_url=history.database_url)
    with pytest.raises(KeyRefused):
        seal_now(production)
    code, printed = lishu("seal", *url)
    assert code == 2
    assert "LISHU_SEAL_KEY is refused: it was shipped in the source" in printed
    code, printed = lishu("verify", *url, "--against", sealed.to_json())
    assert code == 2  # a seal it cannot authenticate is refused, not trusted
    assert "no seal key" in printed
    code, printed = lishu("verify", *url)
    assert code == 0  # the chain and the rows still check; the seals cannot
    assert "seals not authenticated: LISHU_SEAL_KEY is refused" in printed
    assert SealSchedule.for_settings(production) is None  # nor does the service seal
    monkeypatch.setenv("LISHU_RECORD_KEY", "short")
    with pytest.raises(KeyRefused):
        build_loop(Settings(database_url=history.database_url))  # nothing is written unsigned
    # a county's own strong seal key: the seal made with another does not authenticate
    monkeypatch.delenv("LISHU_RECORD_KEY")
    monkeypatch.setenv("LISHU_SEAL_KEY", "a-county-s-own-seal-key-0123456789-abcdef")
    code, printed = lishu("verify", *url)
    assert code == 1
    assert "seal_unauthentic" in printed


def test_a_seal_refuses_a_head_shorter_than_one_witnessed(
    history: Settings, tmp_path: Path
) -> None:
    first = seal_now(history).seal
    flow = build_loop(history).incidents
    ack = flow.report_new(
        demo.RIDER,
        channel="app",
        module="traffic_safety",
        sense="seen",
        what="路灯不亮",
        where="和平桥",
    )
    flow.app.close()
    second = seal_now(history).seal
    assert second.up_to == ack.position
    assert second.previous == first.mac
    # an older copy of the database put back: the witness knows a longer log
    witness = tmp_path / "lishu-witness.jsonl"
    with open_chain_reader(history.database_url) as reader:
        assert reader.seals()[-1].same_as(second)
    old = Witness(witness).read().seals
    witness.write_text(old[0].to_json() + "\n" + second.to_json() + "\n")
    from tests.integration.test_tamper_evidence import Store

    db = Store(history.database_url)
    db.run("DELETE FROM {events} WHERE {nid} > ?", (first.up_to,))
    db.run("DELETE FROM event_chain WHERE notification_id > ?", (first.up_to,))
    db.run("DELETE FROM chain_seals WHERE seq = 2")
    db.close()
    with pytest.raises(SealRefused) as refused:
        seal_now(history)
    assert "log_truncated" in str(refused.value)
    assert [s.seq for s in Witness(witness).read().seals] == [1, 2]  # nothing new certified


def test_the_witness_is_appended_to_and_survives_a_line_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "w" / "witness.jsonl"
    witness = Witness(path)
    one = Seal(1, 10, 10, "aa", "2026-07-11T00:00:00+08:00", "", "m1", 0, 1)
    two = Seal(2, 20, 20, "bb", "2026-07-12T00:00:00+08:00", "m1", "m2", 0, 1)
    witness.append(one)
    before = path.read_bytes()
    with path.open("ab") as f:
        f.write(b'{"seq": 2, "up_to"')  # a crash in the middle of a line
    witness.append(two)
    assert path.read_bytes().startswith(before)  # earlier lines are never rewritten
    read = witness.read()
    assert [s.seq for s in read.seals] == [1, 2]
    assert read.problems == ["witness line 2 is not a seal"]
    assert Witness(tmp_path / "nowhere.jsonl").read().exists is False


class Receiver(http.server.BaseHTTPRequestHandler):
    received: list[dict[str, object]] = []  # noqa: RUF012 (shared with the test)
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append(json.loads(body))
        self.send_response(Receiver.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    Receiver.received, Receiver.status = [], 200
    server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/seals"
    server.shutdown()


def test_each_seal_is_posted_to_the_county_s_other_system(history: Settings, webhook: str) -> None:
    settings = history.model_copy(update={"witness_webhook": webhook})
    done = seal_now(settings)
    assert done.problems == []
    assert Receiver.received == [{"seal": json.loads(done.seal.to_json())}]
    Receiver.status = 500
    failed = seal_now(settings)  # the seal stands, in the table and the file; the post failed
    assert failed.problems
    assert "500" in failed.problems[0]
    assert [s.seq for s in Witness(witness_path(settings)).read().seals] == [1, 2]


def test_the_service_seals_on_a_schedule_so_the_unsealed_tail_stays_short(
    history: Settings, tmp_path: Path
) -> None:
    assert SealSchedule.for_settings(history.model_copy(update={"seal_interval": 0})) is None
    refused = history.model_copy(
        update={"environment": "production", "seal_key": "lishu-development-seal-key"}
    )
    assert SealSchedule.for_settings(refused) is None  # a refused key: no schedule
    schedule = SealSchedule(history, interval=1.0, check_every=0.2).start()
    try:
        first = wait_for_seal(history, after=0)
        flow = build_loop(history).incidents
        ack = flow.report_new(
            demo.TAXI,
            channel="app",
            module="traffic_safety",
            sense="seen",
            what="信号灯故障",
            where="幸福路口",
        )
        flow.app.close()
        second = wait_for_seal(history, after=first.up_to)
        assert second.up_to >= (ack.position or 0)
        witnessed = Witness(tmp_path / "lishu-witness.jsonl").read().seals
        assert [s.seq for s in witnessed][-2:] == [first.seq, second.seq]
    finally:
        schedule.stop()
    assert schedule.failures == 0


def wait_for_seal(settings: Settings, after: int, timeout: float = 60) -> Seal:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open_chain_reader(settings.database_url) as reader:
            seals = reader.seals()
        if seals and seals[-1].up_to > after:
            return seals[-1]
        time.sleep(0.2)
    raise AssertionError("no seal was made in time")
