"""A store written before rows were signed and snapshots recorded opens, verifies
and reads; from then on its rows are signed, and its old snapshots never used."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from uuid import UUID

from loop import demo
from loop.bootstrap import build_loop
from loop.settings import Settings
from loop.storage.chain_readers import open_chain_reader
from loop.storage.proof_keys import proof_keys
from loop.storage.verification import verify


def test_a_store_from_before_signatures_and_snapshot_records(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/lishu.db")
    flow = build_loop(settings).incidents
    ids = demo.run(flow)
    long = UUID(ids["escalated_to_county"])
    for n in range(55 - flow.get(long).version):
        flow.take("chase", demo.OFFICER_HP, long, asked="县局", answer=f"第{n}次答复")
    head = flow.app.recorder.max_notification_id() or 0
    flow.app.close()
    with sqlite3.connect(tmp_path / "lishu.db") as db:  # as an older release left it
        db.execute("DROP INDEX event_chain_unsigned")
        db.execute("ALTER TABLE event_chain DROP COLUMN mac")
        db.execute("DROP TABLE snapshot_chain")
    keys = proof_keys(settings)
    with open_chain_reader(settings.database_url) as reader:
        report = verify(reader, keys)
    assert report.intact, report.summary()
    assert any("no chain row is signed" in note for note in report.notes)
    assert any("1 snapshots predate signed records" in note for note in report.notes)

    flow = build_loop(settings).incidents  # the new release opens it
    assert flow.get(long).version == 55  # replayed: the old snapshot has no record
    assert flow.app.snapshots is not None
    assert list(flow.app.snapshots.get(long)) == []
    flow.take("chase", demo.OFFICER_HP, long, asked="县局", answer="升级后的答复")
    flow.app.close()
    with open_chain_reader(settings.database_url) as reader:
        report = verify(reader, keys)
        assert reader.first_signed() == head + 1
    assert report.intact, report.summary()
    assert any(f"{head} chain rows predate signing" in note for note in report.notes)
    assert any("1 snapshots predate signed records" in note for note in report.notes)
