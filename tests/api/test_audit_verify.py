"""A forged snapshot is never served, and ``/api/audit/verify`` reports it, with the
last seal and whether it authenticates."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from loop.bootstrap import build_loop
from loop.services.proof import prove
from loop.settings import Settings
from loop.storage.persistence import sqlite_path
from loop.storage.sealing import SealSchedule, seal_now
from tests.api.conftest import in_process
from tests.api.test_console_pages import log_in

TRUE_WHAT = "夜间多人聚集携带器械，疑似准备斗殴"
FORGED_WHAT = "一切正常，无需处置"
AUDITOR = "au-ls-ma"


def ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


def long_incident(database: str) -> str:
    """The demo's incident at the county bureau, chased to 55 events (snapshot at 50)."""
    with in_process(database) as api:
        (row,) = ok(api.get(AUDITOR, "/api/incidents", stage="handling_county", unit="lishu"))[
            "items"
        ]
        incident = str(row["incident_id"])
        version = ok(api.get(AUDITOR, f"/api/incidents/{incident}"))["incident"]["version"]
        for n in range(55 - version):
            answer = {"asked": "县局", "answer": f"第{n}次答复"}
            ok(api.post("o-hp-zhang", f"/api/incidents/{incident}/chase", answer))
    return incident


def forge_snapshot(database: str, incident: str) -> None:
    """Another description, and another reporter (who would then read it and be rewarded)."""
    with sqlite3.connect(sqlite_path(database)) as db:
        key = incident.replace("-", "")
        ((blob,),) = db.execute(
            "SELECT state FROM stored_snapshots WHERE originator_id=?", (key,)
        ).fetchall()
        forged = (
            bytes(blob)
            .replace(TRUE_WHAT.encode(), FORGED_WHAT.encode())
            .replace(b'"reporter_id":"v-hp-wu"', b'"reporter_id":"v-xf-liu"')
        )
        assert forged != bytes(blob)
        db.execute("UPDATE stored_snapshots SET state=? WHERE originator_id=?", (forged, key))


def test_a_forged_snapshot_is_never_served_and_the_audit_reports_it(database: str) -> None:
    incident = long_incident(database)
    sealed = seal_now(Settings(database_url=database)).seal
    with in_process(database) as api:
        assert api.services.sealer is not None  # the service seals on its schedule
        assert api.services.sealer.interval == 3600
        before = ok(api.get(AUDITOR, "/api/audit/verify"))
        assert before["intact"], before["summary"]
        assert before["last_seal"]["seq"] == sealed.seq
        assert before["seal_authenticated"] is True
    forge_snapshot(database, incident)
    with in_process(database) as api:
        shown = ok(api.get(AUDITOR, f"/api/incidents/{incident}"))["incident"]
        assert (shown["what"], shown["reporter_id"], shown["version"]) == (TRUE_WHAT, "v-hp-wu", 55)
        history = json.dumps(
            ok(api.get(AUDITOR, f"/api/incidents/{incident}/history")), ensure_ascii=False
        )
        assert TRUE_WHAT in history
        assert FORGED_WHAT not in history
        at_52 = ok(api.get(AUDITOR, f"/api/incidents/{incident}/state", version=52))
        assert at_52["what"] == TRUE_WHAT
        # the forged reporter gains nothing: the incident is still not his to read,
        # so it is not found for him
        assert api.get("v-xf-liu", f"/api/incidents/{incident}").status_code == 404
        assert ok(api.get("v-hp-wu", f"/api/incidents/{incident}"))["incident"]["what"] == TRUE_WHAT
        audit = ok(api.get(AUDITOR, "/api/audit/verify"))
    assert audit["intact"] is False
    assert [(d["kind"], d["incident_id"], d["version"]) for d in audit["damage"]] == [
        ("snapshot_altered", incident.replace("-", ""), 50)
    ]
    assert audit["seal_authenticated"] is True  # the seal still stands: no event was touched
    assert audit["snapshots_refused"] == [
        f"{incident.replace('-', '')} v50: its record does not authenticate it "
        "(edited, or not of this chain)"
    ]


def test_a_process_whose_seal_key_is_refused_says_it_cannot_authenticate_the_seal(
    database: str,
) -> None:
    seal_now(Settings(database_url=database))
    refused = Settings(
        database_url=database,
        environment="production",
        seal_key="lishu-development-seal-key",  # once shipped in the source: refused
    )
    assert SealSchedule.for_settings(refused) is None  # the service does not seal with it
    loop = build_loop(refused)  # the record key is the keys file's: rows are signed
    try:
        proof = prove(refused, loop.app)  # what /api/audit/verify answers from
    finally:
        loop.close()
    report = proof.report
    assert report.last_seal is not None
    assert report.last_seal.seq == 1
    assert report.seal_authenticated is None
    assert any("LISHU_SEAL_KEY is refused" in note for note in report.notes)
    assert report.intact, report.summary()  # the rows still authenticate


def test_a_seal_made_with_another_key_does_not_authenticate(database: str) -> None:
    seal_now(Settings(database_url=database))
    with in_process(database, seal_key="a-county-s-own-seal-key-0123456789-abcdef") as api:
        audit = ok(api.get(AUDITOR, "/api/audit/verify"))
    assert audit["seal_authenticated"] is False
    assert {d["kind"] for d in audit["damage"]} == {"seal_unauthentic"}


def test_the_audit_page_shows_the_last_seal_and_whether_it_authenticates(database: str) -> None:
    with in_process(database) as api:
        log_in(api.client, AUDITOR)
        before = api.client.get("/audit", params={"verify": "1"}).text
        assert "尚未封存" in before
        sealed = seal_now(Settings(database_url=database)).seal
        page = api.client.get("/audit", params={"verify": "1"}).text
    assert f"最近封存：第{sealed.seq}号，至第{sealed.up_to}条事件" in page
    assert 'data-seal-authenticated="True"' in page
    assert "封存签名有效" in page
