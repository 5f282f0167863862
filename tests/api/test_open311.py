"""The Open311 GeoReport v2 facade over HTTP: every JSON answer validated against
the published schemas, the XML carrying the same fields, keys per client app,
refusals in GeoReport's error format that store nothing, exactly-once posts, and
a resident's report walked through the loop to its close."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from tests.api.conftest import Api, in_process
from tests.api.open311_contract import W3C, check, check_requests

V2 = "/open311/v2"
XINGFU = "lishu/chaoyang/xingfu"
ZHANG = {"first_name": "桂芝", "last_name": "张", "phone": "13904437788"}


@pytest.fixture
def api(database: str) -> Iterator[Api]:
    with in_process(database) as client:
        yield client


@pytest.fixture
def key(api: Api) -> str:
    issued = api.post(
        "admin",
        "/api/open311/clients",
        {"client_id": "suishoupai", "name": "梨树随手拍", "jurisdiction": "lishu"},
    )
    assert issued.status_code == 201, issued.text
    api_key: str = issued.json()["api_key"]
    return api_key


def report(**given: Any) -> dict[str, Any]:
    return {
        "service_code": "hazard_screening",
        "attribute[community]": XINGFU,
        "attribute[sense]": "smelled",
        "address_string": "幸福小区3号楼一单元",
        "lat": "43.307",
        "long": "124.335",
        "description": "楼道里有人给电动车电瓶充电，有焦糊味",
        "media_url": "https://img.example.cn/sp/1001.jpg",
        **ZHANG,
        **given,
    }


def post(api: Api, key: str | None, fmt: str = "json", **given: Any) -> Any:
    form = report(**given) if key is None else {"api_key": key, **report(**given)}
    return api.client.post(f"{V2}/requests.{fmt}", data=form)


def read(api: Api, key: str, path: str, **params: Any) -> Any:
    """A GET of the facade's requests with the client's key."""
    return api.client.get(f"{V2}/{path}", params={"api_key": key, **params})


def head(api: Api) -> int | None:
    position: int | None = api.services.loop.app.recorder.max_notification_id()
    return position


def xml_fields(element: ET.Element) -> dict[str, str]:
    return {child.tag: child.text or "" for child in element if len(child) == 0}


def test_discovery_names_the_endpoint_and_its_formats(api: Api) -> None:
    found = api.client.get("/open311/discovery.json").json()
    (endpoint,) = found["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["formats"] == ["text/xml", "application/json"]
    xml = ET.fromstring(api.client.get("/open311/discovery.xml").content)
    assert xml.tag == "discovery"
    assert [f.text for f in xml.iter("format")] == endpoint["formats"]


def test_the_services_are_the_six_modules_in_json_and_in_xml(api: Api) -> None:
    answered = api.client.get(f"{V2}/services.json", params={"jurisdiction_id": "lishu"})
    assert answered.headers["content-type"] == "application/json; charset=utf-8"
    services = answered.json()
    check("services.json", services)
    assert [s["service_code"] for s in services][:2] == [
        "dispute_screening",
        "information_collection",
    ]
    assert len(services) == 6
    as_xml = api.client.get(f"{V2}/services.xml")
    assert as_xml.headers["content-type"] == "text/xml; charset=utf-8"
    assert as_xml.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(as_xml.content)
    assert root.tag == "services"
    rows = [xml_fields(s) for s in root.iter("service")]
    assert rows[0] == {k: ("true" if v is True else str(v)) for k, v in services[0].items()}


def test_a_definition_offers_the_community_and_the_four_senses(api: Api) -> None:
    definition = api.client.get(f"{V2}/services/traffic_safety.json").json()
    check("service-definition.json", definition)
    by_code = {a["code"]: a for a in definition["attributes"]}
    assert by_code["community"]["required"] is False  # a point may place it instead
    assert {v["key"] for v in by_code["community"]["values"]} == {
        XINGFU,
        "lishu/chaoyang/heping",
    }
    assert [v["name"] for v in by_code["sense"]["values"]] == [
        "看得到",
        "听得到",
        "嗅得到",
        "感知得到",
    ]
    xml = ET.fromstring(api.client.get(f"{V2}/services/traffic_safety.xml").content)
    assert [a.findtext("code") for a in xml.iter("attribute")] == ["community", "sense", "urgent"]


def test_a_post_then_a_walk_through_the_loop_to_its_close(api: Api, key: str) -> None:
    posted = post(api, key)
    assert posted.status_code == 200, posted.text
    (made,) = posted.json()
    check("swagger:RequestResponse", made)
    request_id = made["service_request_id"]

    def status() -> dict[str, Any]:
        answered = read(api, key, f"requests/{request_id}.json").json()
        check_requests(answered)
        found: dict[str, Any] = answered[0]
        return found

    first = status()
    assert (first["status"], first["service_code"], first["lat"]) == (
        "open",
        "hazard_screening",
        43.307,
    )
    assert first["agency_responsible"] == "幸福社区"
    assert first["expected_datetime"] is not None
    assert first["media_url"] == "https://img.example.cn/sp/1001.jpg"
    assert first["extended_attributes"]["stage"] == "reported"

    base = f"/api/incidents/{request_id}"
    assert api.post("o-xf-li", f"{base}/accept", {}).status_code == 200
    assert status()["status"] == "open"
    done = api.post("o-xf-li", f"{base}/outcome", {"summary": "内部：已约谈住户王某"})
    assert done.status_code == 200, done.text
    after = status()
    assert (after["status"], after["extended_attributes"]["stage"]) == (
        "closed",
        "outcome_recorded",
    )
    assert "王某" not in str(after)  # the officers' own text stays inside
    assert (
        api.post(
            "c-xf-sun", f"{base}/score", {"items": [{"item": "隐患", "points": 5}], "basis": "x"}
        ).status_code
        == 409
    )
    closed = api.post("o-xf-li", f"{base}/close", {"note": "群众反馈已处理"})
    assert closed.status_code == 200, closed.text
    final = status()
    assert final["extended_attributes"]["stage"] == "closed"
    assert final["agency_responsible"] is None
    xml = ET.fromstring(read(api, key, f"requests/{request_id}.xml").content)
    (request,) = xml.iter("request")
    assert xml_fields(request)["status"] == "closed"
    assert xml_fields(request)["requested_datetime"] == final["requested_datetime"]


def test_a_retried_post_with_the_same_external_id_makes_one_incident(api: Api, key: str) -> None:
    first = post(api, key, external_id="sp-20261207-0001").json()
    before = head(api)
    again = post(api, key, external_id="sp-20261207-0001").json()
    assert again == first
    assert head(api) == before  # nothing stored the second time
    by_header = api.client.post(
        f"{V2}/requests.json", data={"api_key": key, **report()}, headers={"Idempotency-Key": "k-1"}
    ).json()
    assert by_header != first
    assert (
        api.client.post(
            f"{V2}/requests.json",
            data={"api_key": key, **report()},
            headers={"Idempotency-Key": "k-1"},
        ).json()
        == by_header
    )


def test_the_residents_name_and_phone_appear_in_no_answer_and_no_file(
    api: Api, key: str, database: str
) -> None:
    made = post(api, key, description="我是张桂芝，电话13904437788，楼道里有人充电").json()
    request_id = made[0]["service_request_id"]
    answers = [
        read(api, key, f"requests/{request_id}.json").text,
        read(api, key, f"requests/{request_id}.xml").text,
        read(api, key, "requests.json", service_request_id=request_id).text,
    ]
    for text in answers:
        assert "13904437788" not in text
        assert "张桂芝" not in text
        assert "楼道里有人充电" in text
    officer = api.get("o-xf-li", f"/api/incidents/{request_id}").json()
    assert "13904437788" in str(officer)  # the police can call back
    cadre = api.get("c-xf-sun", f"/api/incidents/{request_id}").json()
    assert "13904437788" not in str(cadre)
    folder = Path(database.removeprefix("sqlite:///")).parent
    for stored in folder.rglob("*"):
        if stored.is_file():
            content = stored.read_bytes()
            assert b"13904437788" not in content, stored
            assert "张桂芝".encode() not in content, stored


@pytest.mark.parametrize(
    ("given", "status", "field"),
    [
        ({"service_code": "fireworks"}, 404, "service_code"),
        ({"jurisdiction_id": "gongzhuling"}, 404, "jurisdiction_id"),
        ({"long": None}, 400, "lat"),
        ({"lat": None, "long": None, "address_string": ""}, 400, "address_string"),
        ({"lat": "93", "long": "124"}, 400, "lat"),
        ({"attribute[community]": None}, 400, "attribute[community]"),
        ({"attribute[community]": "lishu/chaoyang"}, 400, "attribute[community]"),
        ({"attribute[sense]": "tasted"}, 400, "sense"),
        ({"description": "x" * 4001}, 400, "what"),
        ({"address_string": "路" * 201}, 400, "where"),
        ({"attribute[urgent]": "yes"}, 400, "attribute[urgent]"),
        ({"media_url": "ftp://x"}, 400, "media_url"),
        ({"phone": "call me"}, 400, "resident.phone"),
    ],
)
def test_bad_input_is_refused_in_the_specs_format_and_stores_nothing(
    api: Api, key: str, given: dict[str, Any], status: int, field: str
) -> None:
    before = head(api)
    form = {k: v for k, v in {"api_key": key, **report(**given)}.items() if v is not None}
    answered = api.client.post(f"{V2}/requests.json", data=form)
    assert answered.status_code == status, answered.text
    (error,) = answered.json()
    assert error["code"] == status
    assert error["field"] == field
    assert " / " in error["description"]
    assert error["message_zh"]
    assert error["message_en"]
    assert head(api) == before
    as_xml = api.client.post(f"{V2}/requests.xml", data=form)
    root = ET.fromstring(as_xml.content)
    assert root.tag == "errors"
    assert root.findtext("error/code") == str(status)


def test_keys_are_checked_per_client_and_revocable(api: Api, key: str) -> None:
    before = head(api)
    for wrong in (None, "", "suishoupai.not-the-secret", "nobody.x", key + "x"):
        answered = post(api, wrong) if wrong is not None else post(api, None)
        if wrong == "":
            answered = api.client.post(f"{V2}/requests.json", data={"api_key": "", **report()})
        assert answered.status_code == 403, wrong
        assert answered.json()[0]["code"] == 403
    assert head(api) == before
    stored = api.services.loop.app.recorder.select_notifications(1, 10_000)
    assert all(key.split(".")[1].encode() not in n.state for n in stored)

    refused = api.post("o-xf-li", "/api/open311/clients/suishoupai/revoke", {"reason": "x"})
    assert refused.status_code == 403
    revoked = api.post("admin", "/api/open311/clients/suishoupai/revoke", {"reason": "合同到期"})
    assert revoked.status_code == 200, revoked.text
    assert post(api, key).status_code == 403


def test_only_requests_made_through_the_facade_can_be_read(api: Api, key: str) -> None:
    volunteer = api.post(
        "v-xf-liu",
        "/api/incidents",
        {
            "channel": "app",
            "module": "hazard_screening",
            "sense": "seen",
            "what": "井盖丢失",
            "where": "幸福路",
        },
    )
    assert volunteer.status_code == 201, volunteer.text
    hidden = volunteer.json()["incident_id"]
    answered = read(api, key, f"requests/{hidden}.json")
    assert answered.status_code == 404
    assert answered.json()[0]["code"] == 404
    assert read(api, key, "requests/not-an-id.xml").status_code == 404
    mine = post(api, key).json()[0]["service_request_id"]
    listed = read(api, key, "requests.json", service_request_id=f"{hidden},{mine}").json()
    check_requests(listed)
    assert [r["service_request_id"] for r in listed] == [mine]
    # reading takes the key, and a client app reads only the requests it made
    assert api.client.get(f"{V2}/requests/{mine}.json").status_code == 403
    assert api.client.get(f"{V2}/requests.json").status_code == 403
    assert api.client.get(f"{V2}/servicerequestupdates.json").status_code == 403
    other = api.post(
        "admin",
        "/api/open311/clients",
        {"client_id": "jingdi", "name": "警地融合APP", "jurisdiction": "lishu"},
    ).json()["api_key"]
    assert read(api, other, f"requests/{mine}.json").status_code == 404
    assert read(api, other, "requests.json").json() == []
    assert read(api, other, "servicerequestupdates.json").json() == []
    assert read(api, key, "requests.json", jurisdiction_id="lishu").status_code == 200


def test_a_client_is_registered_once_and_its_key_shown_once(api: Api) -> None:
    body = {"client_id": "jingdi", "name": "警地融合APP", "jurisdiction": "lishu"}
    first = api.post("admin", "/api/open311/clients", body, **{"Idempotency-Key": "reg-1"})
    assert first.status_code == 201, first.text
    assert first.json()["api_key"].startswith("jingdi.")
    before = head(api)
    again = api.post("admin", "/api/open311/clients", body, **{"Idempotency-Key": "reg-1"})
    assert again.status_code == 201
    assert (again.json()["api_key"], again.json()["replayed"]) == (None, True)
    assert head(api) == before
    twice = api.post("admin", "/api/open311/clients", body)
    assert (twice.status_code, twice.json()["code"]) == (409, "client_already_registered")
    refused = api.post("o-xf-li", "/api/open311/clients", {**body, "client_id": "other"})
    assert refused.status_code == 403
    assert post(api, first.json()["api_key"]).status_code == 200


def test_the_list_by_period_and_status_agrees_with_each_request_read_from_the_log(
    api: Api, key: str
) -> None:
    made = [
        post(api, key, description=f"第{n}处隐患").json()[0]["service_request_id"] for n in range(3)
    ]
    api.post("o-xf-li", f"/api/incidents/{made[0]}/accept", {})
    api.post("o-xf-li", f"/api/incidents/{made[0]}/outcome", {"summary": "已处置"})
    position = head(api)

    listed = read(api, key, "requests.json", wait_for=position).json()
    check_requests(listed)
    assert sorted(r["service_request_id"] for r in listed) == sorted(made)
    one_by_one = read(api, key, "requests.json", service_request_id=",".join(made)).json()
    assert sorted(listed, key=lambda r: r["service_request_id"]) == sorted(
        one_by_one, key=lambda r: r["service_request_id"]
    )
    closed = read(api, key, "requests.json", status="closed").json()
    assert [r["service_request_id"] for r in closed] == [made[0]]
    opened = read(api, key, "requests.xml", status="open", service_code="hazard_screening")
    ids = [r.findtext("service_request_id") for r in ET.fromstring(opened.content).iter("request")]
    assert sorted(ids) == sorted(made[1:])
    before = read(
        api,
        key,
        "requests.json",
        start_date="2020-01-01T00:00:00+08:00",
        end_date="2020-03-01T00:00:00+08:00",
    )
    assert before.json() == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        (
            {"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-06-01T00:00:00+08:00"},
            "start_date",
        ),
        ({"end_date": "2026-01-01T00:00:00"}, "end_date"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"status": "pending"}, "status"),
        ({"service_code": "fireworks"}, "service_code"),
        ({"wait_for": "-1"}, "wait_for"),
    ],
)
def test_a_bad_list_query_is_refused(
    api: Api, key: str, params: dict[str, str], field: str
) -> None:
    answered = read(api, key, "requests.json", **params)
    assert answered.status_code in (400, 404), answered.text
    assert answered.json()[0]["field"] == field


def test_the_updates_give_one_entry_per_step_and_replay_the_stage_sequence(
    api: Api, key: str
) -> None:
    request_id = post(api, key).json()[0]["service_request_id"]
    other = post(api, key).json()[0]["service_request_id"]
    base = f"/api/incidents/{request_id}"
    api.post("o-xf-li", f"{base}/accept", {})
    api.post("o-xf-li", f"{base}/escalate", {"reason": "需派出所处理"})
    api.post("s-cy-wang", f"{base}/accept", {})
    api.post("s-cy-wang", f"{base}/outcome", {"summary": "内部：已处置"})
    assert api.post("o-xf-li", f"{base}/close", {}).status_code == 200
    api.post(
        "o-xf-li",
        f"/api/incidents/{other}/reject",
        {"kind": "duplicate", "reason": "重复", "related_id": request_id},
    )

    def updates(**params: Any) -> list[dict[str, Any]]:
        answered = read(api, key, "servicerequestupdates.json", wait_for=head(api), **params)
        assert answered.status_code == 200, answered.text
        found: list[dict[str, Any]] = answered.json()
        return found

    mine = updates(service_request_id=request_id)
    stages = [u["extended_attributes"]["stage"] for u in mine]
    assert stages == [
        "reported",
        "handling_community",
        "escalated_to_station",
        "handling_station",
        "outcome_recorded",
        "closed",
    ]
    assert [u["status"] for u in mine] == [
        "open",
        "in_progress",
        "in_progress",
        "in_progress",
        "fixed",
        "closed",
    ]
    assert len({u["update_id"] for u in mine}) == len(mine)
    assert mine == updates(service_request_id=request_id)  # stable ids
    assert "内部" not in str(mine)
    for update in mine:
        assert W3C.fullmatch(update["updated_datetime"])
    everything = updates()
    assert [u["status"] for u in everything if u["service_request_id"] == other] == [
        "open",
        "duplicate",
    ]
    xml = ET.fromstring(read(api, key, "servicerequestupdates.xml").content)
    assert xml.tag == "service_request_updates"
    assert len(list(xml.iter("request_update"))) == len(everything)
