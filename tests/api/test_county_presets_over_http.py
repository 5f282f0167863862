"""A deployment's county preset over HTTP: the policy read and the administrator's
page show its lists, admission and the roll's dry run follow them, and the demo's
Lishu volunteers still read under another county's preset."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.seed import DEMO_PASSWORD
from loop.services.volunteers import id_check_digit
from tests.api.conftest import Api, in_process
from tests.api.test_roll_import_over_http import CHECK, upload
from tests.unit.test_roll_import import as_csv, person


@pytest.fixture
def gucheng(database: str) -> Iterator[Api]:
    with in_process(database, policy="gucheng") as api:
        yield api


def application(occupation: str) -> dict[str, str]:
    first17 = "22032219900101123"
    return {
        "volunteer_id": "v-xf-new",
        "name": "新义警",
        "phone": "13904340999",
        "id_number": first17 + id_check_digit(first17),
        "address": "幸福小区1栋",
        "employer": "故城县某单位",
        "occupation": occupation,
    }


def test_the_policy_read_shows_the_presets_lists(gucheng: Api) -> None:
    shown = gucheng.get("c-xf-sun", "/api/policy").json()["county"]
    assert (shown["name"], shown["county"], shown["placement"]) == ("gucheng", "故城县", "义警职责")
    assert (shown["scoring"], shown["tasks"], shown["training"]) == ("lishu", "fuping", "lishu")
    assert next(o["label"] for o in shown["occupations"]) == "治安防范员"
    assert "delivery_rider" not in {o["code"] for o in shown["occupations"]}
    assert {t["label"] for t in shown["teams"]} >= {"救援义警队", "老兵义警队"}


def test_admission_follows_the_preset_and_a_refusal_lists_its_values(gucheng: Api) -> None:
    app = gucheng.services.loop.app
    before = app.recorder.max_notification_id()
    refused = gucheng.post("c-xf-sun", "/api/volunteers", application("courier"))
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["code"] == "unknown_occupation"
    assert "治安防范员" in body["message_zh"]
    assert "gc_security" in body["message_en"]
    assert "gc_publicity" in body["details"]["allowed"]
    assert app.recorder.max_notification_id() == before
    accepted = gucheng.post("c-xf-sun", "/api/volunteers", application("gc_school_guard"))
    assert accepted.status_code == 201, accepted.text


def test_lishu_volunteers_of_the_demo_still_read_under_gucheng(gucheng: Api) -> None:
    record = gucheng.get("c-xf-sun", "/api/volunteers/v-xf-liu")
    assert record.status_code == 200, record.text
    assert record.json()["squad"] == "delivery_rider"
    told = gucheng.get("c-xf-sun", "/api/volunteers/v-xf-liu/history").json()["entries"]
    assert any("编入外卖员队" in entry["sentence_zh"] for entry in told)


def test_the_administrators_page_shows_the_presets_lists(gucheng: Api) -> None:
    client = gucheng.client
    client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD})
    page = client.get("/admin")
    assert page.status_code == 200
    assert 'data-preset="gucheng"' in page.text
    assert 'data-code="gc_security">治安防范员<' in page.text
    assert 'data-code="delivery_rider"' not in page.text
    english = client.get("/admin", params={"lang": "en"})
    assert 'data-code="gc_security">Security guard<' in english.text


def test_fupings_roll_dry_run_checks_its_squads(database: str) -> None:
    with in_process(database, policy="fuping") as api:
        rows = [person(1, occupation="防汛救援分队"), person(2)]
        dry = upload(api, "admin", CHECK, as_csv(rows), "roll.csv")
        assert dry.status_code == 200, dry.text
        assert dry.json()["new"] == 1
        [problem] = dry.json()["problems"]
        assert (problem["row"], problem["code"]) == (3, "unknown_occupation")
        assert problem["message_zh"].startswith("未知蓝马甲分队「环卫工人」")
