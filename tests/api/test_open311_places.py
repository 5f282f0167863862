"""Points on the Open311 facade: a report with ``lat``/``long`` is placed in the
community whose registered centre is nearest, a point outside the county's
configured bounds is refused in GeoReport's error format storing nothing, and
``GET requests`` narrows to a radius around a point (an extension of the spec)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID
from xml.etree import ElementTree as ET

import pytest

from api.open311_views import NOTICE
from api.routes.public_report import incident_of
from tests.api.conftest import Api, in_process
from tests.api.open311_contract import check, check_requests
from tests.api.test_open311 import V2, head, read, report
from tests.api.test_public_report import send, token_of

BOUNDS = "43.0,124.0,43.6,124.7"
"""South, west, north, east: around 梨树 (Lishu county)."""
EAST = {"code": "lishu/chaoyang/dongshan", "name": "东山社区", "centre": [43.300, 124.400]}
WEST = {"code": "lishu/chaoyang/xishan", "name": "西山社区", "centre": [43.300, 124.300]}


@pytest.fixture
def api(database: str) -> Iterator[Api]:
    with in_process(database, county_bounds=BOUNDS) as client:
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


@pytest.fixture
def centres(api: Api) -> None:
    """Two communities of 朝阳派出所 with their centres, 8 km apart."""
    units = [{**unit, "kind": "community", "parent": "lishu/chaoyang"} for unit in (EAST, WEST)]
    made = api.post("admin", "/api/organisation/units", {"units": units})
    assert made.status_code == 201, made.text


def posted(api: Api, key: str, **given: Any) -> Any:
    form = {k: v for k, v in {"api_key": key, **report(**given)}.items() if v is not None}
    return api.client.post(f"{V2}/requests.json", data=form)


def community_of(api: Api, request_id: str) -> str:
    community: str = api.services.flow.get(UUID(request_id)).community
    return community


@pytest.mark.usefixtures("centres")
def test_a_point_places_the_report_in_the_community_whose_centre_is_nearest(
    api: Api, key: str
) -> None:
    near_west = posted(api, key, lat="43.301", long="124.310", **{"attribute[community]": None})
    assert near_west.status_code == 200, near_west.text
    (made,) = near_west.json()
    check("swagger:RequestResponse", made)
    assert "西山社区" in made["service_notice"]
    assert community_of(api, made["service_request_id"]) == WEST["code"]
    answered = read(api, key, f"requests/{made['service_request_id']}.json").json()
    check_requests(answered)
    assert answered[0]["agency_responsible"] == "西山社区"
    assert (answered[0]["lat"], answered[0]["long"]) == (43.301, 124.31)

    # the point, not a community picked in the app, says where it happened
    near_east = posted(api, key, lat="43.299", long="124.390").json()[0]
    assert community_of(api, near_east["service_request_id"]) == EAST["code"]
    assert "东山社区" in near_east["service_notice"]  # not the 幸福社区 the app sent
    # without a point the community given stands
    by_address = posted(api, key, lat=None, long=None).json()[0]
    assert community_of(api, by_address["service_request_id"]) == "lishu/chaoyang/xingfu"
    assert by_address["service_notice"] == NOTICE


def test_without_any_centre_registered_a_point_needs_the_community(api: Api, key: str) -> None:
    before = head(api)
    refused = posted(api, key, **{"attribute[community]": None})
    assert refused.status_code == 400, refused.text
    assert refused.json()[0]["field"] == "attribute[community]"
    assert head(api) == before
    placed = posted(api, key).json()[0]  # the sample's community, its point kept
    assert community_of(api, placed["service_request_id"]) == "lishu/chaoyang/xingfu"


@pytest.mark.usefixtures("centres")
@pytest.mark.parametrize(
    ("lat", "long"), [("45.1", "126.6"), ("43.7", "124.3"), ("43.3", "123.99")]
)
def test_a_point_outside_the_county_is_refused_and_stores_nothing(
    api: Api, key: str, lat: str, long: str
) -> None:
    before = head(api)
    refused = posted(api, key, lat=lat, long=long)
    assert refused.status_code == 400, refused.text
    (error,) = refused.json()
    assert (error["code"], error["reason"], error["field"]) == (400, "outside_county", "lat")
    assert "不在本县范围内" in error["message_zh"]
    assert "outside the county" in error["message_en"]
    as_xml = ET.fromstring(
        api.client.post(
            f"{V2}/requests.xml", data={"api_key": key, **report(lat=lat, long=long)}
        ).content
    )
    assert as_xml.findtext("error/reason") == "outside_county"
    assert head(api) == before


def test_with_no_bounds_configured_no_point_is_refused_for_where_it_lies(database: str) -> None:
    with in_process(database) as api:
        issued = api.post(
            "admin",
            "/api/open311/clients",
            {"client_id": "suishoupai", "name": "梨树随手拍", "jurisdiction": "lishu"},
        ).json()["api_key"]
        far = posted(api, issued, lat="45.1", long="126.6")
        assert far.status_code == 200, far.text


@pytest.mark.usefixtures("centres")
def test_the_requests_near_a_point_within_a_radius(api: Api, key: str) -> None:
    west = posted(api, key, lat="43.300", long="124.300").json()[0]["service_request_id"]
    east = posted(api, key, lat="43.300", long="124.400").json()[0]["service_request_id"]
    pointless = posted(api, key, lat=None, long=None).json()[0]["service_request_id"]
    position = head(api)

    def near(**params: Any) -> list[str]:
        answered = read(api, key, "requests.json", wait_for=position, **params)
        assert answered.status_code == 200, answered.text
        check_requests(answered.json())
        return sorted(r["service_request_id"] for r in answered.json())

    assert near() == sorted([west, east, pointless])
    assert near(lat="43.301", long="124.301") == [west]  # 1 km by default
    assert near(lat="43.300", long="124.350", radius="3000") == []  # 4 km either way
    assert near(lat="43.300", long="124.350", radius="4100") == sorted([west, east])
    xml = read(api, key, "requests.xml", lat="43.3", long="124.4", radius="500")
    ids = [r.findtext("service_request_id") for r in ET.fromstring(xml.content).iter("request")]
    assert ids == [east]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": "43.3"}, "lat"),
        ({"radius": "500"}, "radius"),
        ({"lat": "43.3", "long": "124.3", "radius": "0"}, "radius"),
        ({"lat": "43.3", "long": "124.3", "radius": "50001"}, "radius"),
        ({"lat": "43.3", "long": "124.3", "radius": "1e3"}, "radius"),
        ({"lat": "north", "long": "124.3"}, "lat"),
        ({"lat": "43.3", "long": "181"}, "long"),
    ],
)
def test_a_bad_point_or_radius_in_a_query_is_refused(
    api: Api, key: str, params: dict[str, str], field: str
) -> None:
    answered = read(api, key, "requests.json", **params)
    assert answered.status_code == 400, answered.text
    assert answered.json()[0]["field"] == field


def test_a_retry_under_the_same_external_id_is_compared_with_the_first_report(
    api: Api, key: str
) -> None:
    first = posted(api, key, external_id="sp-0042")
    assert first.status_code == 200, first.text
    before = head(api)
    assert posted(api, key, external_id="sp-0042").json() == first.json()  # the same again
    for changed in (
        {"description": "另一件事"},
        {"phone": "13904430000"},
        {"lat": "43.400", "long": "124.500"},
        {"attribute[sense]": "seen"},
    ):
        refused = posted(api, key, external_id="sp-0042", **changed)
        assert refused.status_code == 409, (changed, refused.text)
        (error,) = refused.json()
        assert (error["reason"], error["field"]) == ("report_id_reused", "external_id")
    assert head(api) == before


@pytest.mark.usefixtures("centres")
def test_the_public_form_with_a_point_is_placed_by_it_and_refused_outside_the_county(
    api: Api,
) -> None:
    def form(**given: str) -> Any:
        page = api.client.get("/public/report").text
        token = token_of(page)
        answer = send(api, token, **given)
        return token, answer

    token, placed = form(lat="43.302", long="124.398")
    assert placed.status_code == 303, placed.text
    assert community_of(api, str(incident_of(api.services, token))) == EAST["code"]
    before = head(api)
    _, outside = form(lat="45.1", long="126.6")
    assert outside.status_code == 400
    assert 'data-refused="outside_county"' in outside.text
    assert "不在本县范围内" in outside.text
    assert head(api) == before
