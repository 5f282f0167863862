"""Personal data through the API: what a report and an application send about
people is nowhere in the server's files in plain text, and every endpoint that
returns incidents shows the informant only to those ``loop.rules.masking`` allows
(police in scope, auditors and the reporting volunteer), 已隐藏 to the rest."""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.idempotency import Answers, digest
from api.schemas import NewReport
from loop import demo
from loop.rules.masking import MASKED
from tests.api.served import SECRET, Http, Server, Tokens, copy_database
from tests.builders import rewarded_over_http

INFORMANT = {
    "name": "欧阳秀琴",
    "phone": "13704437788",
    "id_number": "220322197008154426",
    "address": "梨树县幸福小区12栋3单元602",
}
VICTIM = {
    "name": "司马德厚",
    "phone": "13604431357",
    "id_number": "22032219550120331X",
    "address": "梨树县幸福小区12栋3单元502",
}
APPLICANT = {
    "name": "诸葛明远",
    "phone": "13504432468",
    "id_number": demo.sample_id_number(77),
    "address": "梨树县幸福小区15栋1单元101",
}
WHAT = "楼上住户深夜持续噪音并辱骂邻居，双方几近动手"
"""Not personal: stored as entered, so the search must find it."""
REPORT = {
    "module": "dispute_screening",
    "sense": "heard",
    "what": WHAT,
    "where": "幸福小区12栋",
    "channel": "app",
    "informant": INFORMANT,
    "victims": [VICTIM],
}
PLAIN = [*INFORMANT.values(), *VICTIM.values(), *APPLICANT.values()]


# -- searching the files ---------------------------------------------------------------


def forms(text: str) -> set[bytes]:
    """Every way ``text`` could sit in a file: UTF-8, JSON-escaped, UTF-16."""
    return {text.encode(), json.dumps(text)[1:-1].encode(), text.encode("utf-16-le")}


def files(folder: Path) -> list[Path]:
    """Everything the server keeps there: events, read models, keys, journals, log."""
    found = [p for p in folder.iterdir() if p.is_file()]
    assert {p.name for p in found} >= {"lishu.db", "lishu-keys.db", "server.log"}
    return found


def hits(folder: Path, texts: list[str]) -> list[tuple[str, str]]:
    found = []
    for path in files(folder):
        raw = path.read_bytes()
        found += [(path.name, t) for t in texts if any(f in raw for f in forms(t))]
    return found


def table_hits(database: Path, texts: list[str]) -> list[tuple[str, str, str]]:
    """Plain values in any text column of any table (events, read models, accounts,
    idempotency answers), as SQLite reads them."""
    found = []
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    if isinstance(value, str):
                        found += [(table, t, value[:80]) for t in texts if t in value]
    return found


@pytest.fixture
def own_server(seeded: Path, tmp_path: Path) -> Iterator[Server]:
    server = Server(copy_database(seeded, tmp_path / "served")).start()
    try:
        yield server
    finally:
        server.stop()


def test_no_personal_data_sent_through_the_api_is_stored_in_plain_text(
    own_server: Server, tokens: Tokens
) -> None:
    http = Http(own_server.url, tokens)
    try:
        key = {"Idempotency-Key": f"report-{uuid.uuid4()}"}
        report = http.post("v-xf-liu", "/api/incidents", REPORT, **key)
        assert report.status_code == 201, report.text
        again = http.post("v-xf-liu", "/api/incidents", REPORT, **key)
        assert again.json()["replayed"] is True
        incident = report.json()["incident_id"]
        application = {
            "volunteer_id": "v-xf-zhuge",
            **APPLICANT,
            "employer": "梨树县供热公司",
            "occupation": "meter_reader",
        }
        applied = http.post("c-xf-sun", "/api/volunteers", application)
        assert applied.status_code == 201, applied.text
        done = http.post("o-xf-li", f"/api/incidents/{incident}/accept")
        assert done.status_code == 200, done.text
        # stored and readable by those who may: the police, the community's cadre
        shown = http.get("o-xf-li", f"/api/incidents/{incident}").json()["incident"]
        assert shown["informant"]["fields"] == INFORMANT
        assert shown["victims"][0]["fields"] == VICTIM
        record = http.get("c-xf-sun", "/api/volunteers/v-xf-zhuge").json()
        assert record["personal"]["fields"] == APPLICANT
        read = http.get("o-xf-li", "/api/incidents", wait_for=done.json()["position"])
        assert incident in [row["incident_id"] for row in read.json()["items"]]
    finally:
        http.close()

    folder = own_server.database.parent
    # the retry's record keeps a digest of the report, never one anyone holding the
    # database could recompute from guessed names and phone numbers
    digest_key = json.loads((folder / "lishu-secrets.json").read_text())["digest"]
    with closing(sqlite3.connect(f"file:{own_server.database}?mode=ro", uri=True)) as db:
        stored_as = Answers(digest_key).key_of("v-xf-liu", key["Idempotency-Key"])
        (kept,) = db.execute(
            "SELECT request FROM command_keys WHERE key = ?", [stored_as]
        ).fetchone()
        plain = db.execute(
            "SELECT count(*) FROM command_keys WHERE key = ?", [key["Idempotency-Key"]]
        )
        assert plain.fetchone() == (0,)  # the key itself is kept as a keyed digest too
    sent = NewReport.model_validate(REPORT).model_dump(mode="json")
    for path in ("report_new", "/api/incidents", "report"):
        text = json.dumps([path, sent], sort_keys=True, ensure_ascii=False, default=str)
        assert kept != hashlib.sha256(text.encode()).hexdigest()
    assert kept == digest("report_new", sent, digest_key)  # keyed with the installation's key
    assert kept != digest("report_new", sent, SECRET)  # not with the token key
    assert hits(folder, [WHAT]), "the search must see what is stored as entered"
    assert {p.name for p in files(folder)} >= {"lishu.db-wal"}  # the writes sit in the WAL
    assert hits(folder, PLAIN) == []
    assert table_hits(own_server.database, [WHAT])
    assert table_hits(own_server.database, PLAIN) == []
    # and once the server stopped and the WAL was written back into the file
    assert own_server.stop() in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in own_server.tail()
    assert hits(folder, [WHAT])
    assert hits(folder, PLAIN) == []
    assert table_hits(own_server.database, PLAIN) == []


# -- masking on every endpoint that returns incidents -------------------------------------

SHOWN_TO = {"o-xf-li", "a-xf-yang", "s-cy-wang", "k-ls-gao", "au-ls-ma", "v-xf-liu"}
"""Police in scope, the auditor, the reporting volunteer: they see the informant."""
MASKED_FOR = {"c-xf-sun", "d-xf-zhao", "p-ls-qian", "v-xf-chen"}
"""Cadre, director, publicity, another volunteer: the informant is 已隐藏."""
OUTSIDERS = {"o-hp-zhang", "c-hp-he", "d-hp-lv", "v-hp-wu", "admin"}
"""Another community's staff and volunteers, the administrator: no detail at all."""
REPORTER_HIDDEN_FROM = {"p-ls-qian", "v-xf-chen"} | OUTSIDERS
"""Who reported, and who was hurt, are hidden from publicity, other volunteers and
anyone outside the incident's scope."""
ON_ANOTHER_BOARD = {"o-hp-zhang", "c-hp-he", "d-hp-lv", "admin"}
"""Whose publicity board (their own unit's) does not hold a case of 幸福."""


@dataclass(frozen=True)
class Published:
    incident: str
    position: int


@pytest.fixture(scope="module")
def published(http: Http) -> Published:
    """An incident naming an informant and a victim, driven to the publicity board."""

    def ok(answer: httpx.Response) -> dict[str, Any]:
        assert answer.status_code in (200, 201), answer.text
        body: dict[str, Any] = answer.json()
        return body

    incident = ok(http.post("v-xf-liu", "/api/incidents", REPORT))["incident_id"]
    path = f"/api/incidents/{incident}"
    rewarded_over_http(
        lambda who, where, body: ok(http.post(who, where, body)),
        incident,
        8,
        summary="民警上门调解，双方和解",
        item="矛盾纠纷排查",
        basis="及时发现",
    )
    title = {"title": "义警及时反馈邻里纠纷", "redaction_note": "已核对，不含个人信息"}
    last = ok(http.post("p-ls-qian", f"{path}/publicize", title))
    return Published(incident, last["position"])


def no_plain_values(answer: httpx.Response, who: str, what: str) -> None:
    text = answer.text
    assert all(value not in text for value in INFORMANT.values()), f"{who} {what}: informant"
    if who in REPORTER_HIDDEN_FROM:
        assert all(value not in text for value in VICTIM.values()), f"{who} {what}: victim"
        assert "v-xf-liu" not in text, f"{who} {what}: the reporter"


def informant_as_seen(who: str, section: Any) -> None:
    if who in SHOWN_TO:
        assert section["fields"] == INFORMANT, (who, section)
    else:
        assert section == {"masked": True, "shown": MASKED}, (who, section)


def victims_as_seen(who: str, victims: list[Any]) -> None:
    if who in REPORTER_HIDDEN_FROM:
        assert victims == [{"masked": True, "shown": MASKED}], (who, victims)
    else:
        assert [v["fields"] for v in victims] == [VICTIM], (who, victims)


@pytest.mark.parametrize("who", sorted(SHOWN_TO | MASKED_FOR | OUTSIDERS))
def test_the_informant_on_every_incident_read(http: Http, published: Published, who: str) -> None:
    incident = published.incident
    reads = {
        "detail": http.get(who, f"/api/incidents/{incident}"),
        "history": http.get(who, f"/api/incidents/{incident}/history"),
        "state": http.get(who, f"/api/incidents/{incident}/state", version=2),
        "audit": http.get(who, f"/api/audit/records/{incident}/history"),
    }
    readers = SHOWN_TO | MASKED_FOR - {"v-xf-chen"}
    for what, answer in reads.items():
        may = who == "au-ls-ma" if what == "audit" else who in readers
        if not may:
            assert answer.status_code in (403, 404), f"{who} {what}: {answer.text[:200]}"
            no_plain_values(answer, who, what)
            continue
        assert answer.status_code == 200, f"{who} {what}: {answer.text[:200]}"
        body = answer.json()
        if what in ("history", "audit"):
            people = body["entries"][0]["people"]
        else:
            people = body["incident"] if what == "detail" else body
        informant_as_seen(who, people["informant"])
        victims_as_seen(who, people["victims"])
        hidden = who in REPORTER_HIDDEN_FROM
        assert people["reporter_id"] == (MASKED if hidden else "v-xf-liu"), (who, what)
        if who in MASKED_FOR:
            no_plain_values(answer, who, what)


@pytest.mark.parametrize("who", sorted(SHOWN_TO | MASKED_FOR | OUTSIDERS))
def test_the_informant_on_every_incident_list(http: Http, published: Published, who: str) -> None:
    """Lists carry no one's details, and the reporter only for those who may see him."""
    wait = {"wait_for": published.position}
    lists = {
        "incidents": http.get(who, "/api/incidents", **wait),
        "unit incidents": http.get(who, "/api/incidents", unit=demo.XINGFU, **wait),
        "publicity": http.get(who, "/api/publicity"),
        "backlog": http.get(who, "/api/backlog", unit=demo.XINGFU, **wait),
    }
    for what, answer in lists.items():
        no_plain_values(answer, who, what)
        if answer.status_code != 200:
            assert answer.status_code in (403, 404), f"{who} {what}: {answer.text[:200]}"
            continue
        rows = [r for r in answer.json()["items"] if r["incident_id"] == published.incident]
        if who in OUTSIDERS and what != "publicity":
            assert rows == [], f"{who} {what}"
        for row in rows:
            if "reporter_id" in row:
                hidden = who in REPORTER_HIDDEN_FROM
                assert row["reporter_id"] == (MASKED if hidden else "v-xf-liu"), (who, what)
    board = lists["publicity"]
    if who not in ON_ANOTHER_BOARD:  # volunteers read the county's board
        assert board.status_code == 200, board.text
        assert published.incident in [r["incident_id"] for r in board.json()["items"]]
