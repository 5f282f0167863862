"""Police and outside speakers over HTTP (Ping'an: "遴选……民辅警、村警、义警、行业从业
人员、志愿者33名，组成'枫'警宣讲队，同时选聘7名宣讲队成员兼任学校法治副校长"): the
station registers a community officer and a teacher who is the village school's
法治副校长, puts them on the menu beside a volunteer, sees the teacher suggested
first for the school's order, schedules them (never two talks at once), and the
delivery records that they spoke, with no points. Refusals are coded zh/en bodies
that store nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from loop.services.lookup import find_account
from tests.api.conftest import Api
from tests.api.test_talks_over_http import caught_up, head, order_by_form, refused
from tests.support import CHINA, FakeClock

NOW = datetime(2026, 9, 1, 9, 0, tzinfo=CHINA)
START = NOW + timedelta(days=6)
STATION = "s-cy-wang"
TEACHER = {"kind": "outside", "name": "李老师", "organisation": "幸福小学",
           "vice_principal_of": "幸福小学"}  # fmt: skip


def accepted(api: Api, item: str) -> str:
    order_by_form(api, item)
    listed = api.get(STATION, "/api/talks/orders", wait_for=head(api)).json()["items"]
    order_id: str = next(o["order_id"] for o in listed if o["status"] == "ordered")
    assert api.post(STATION, f"/api/talks/orders/{order_id}/acceptance").status_code == 200
    return order_id


def test_police_and_outside_speakers_are_booked_once_and_spoke_without_points(api: Api) -> None:
    clock = FakeClock(NOW)
    api.services.loop.app.clock = clock
    before = head(api)
    unknown = api.post(STATION, "/api/talks/speakers", {"kind": "staff", "account": "nobody"})
    refused(api, 422, "talk_speaker_unknown", unknown, before)
    key = {"Idempotency-Key": "register-police-1"}
    officer = {"kind": "staff", "account": "o-xf-li"}
    police = api.post(STATION, "/api/talks/speakers", officer, **key)
    assert police.status_code == 201, police.text
    assert police.json()["speaker"] == "staff:o-xf-li"
    again = api.post(STATION, "/api/talks/speakers", officer, **key)
    assert again.json() == {**police.json(), "replayed": True}
    teacher = api.post(STATION, "/api/talks/speakers", TEACHER).json()["speaker"]
    assert teacher.startswith("outside:")
    assert api.post("v-xf-liu", "/api/talks/speakers", TEACHER).status_code == 403

    before = head(api)
    item = {"theme": "anti_fraud", "title": "防范电信网络诈骗进校园", "format": "school_lecture",
            "minutes": 45, "audience": "师生",
            "speakers": ["v-xf-liu", "staff:o-xf-li", teacher]}  # fmt: skip
    stranger = api.post(STATION, "/api/talks/menu", {**item, "speakers": ["outside:ffffffffffff"]})
    refused(api, 422, "talk_speaker_unknown", stranger, before)
    offered = api.post(STATION, "/api/talks/menu", item)
    assert offered.status_code == 201, offered.text
    listed = api.get(STATION, "/api/talks/speakers", wait_for=head(api)).json()["items"]
    assert {row["speaker"]: row["kind"] for row in listed} == {
        "staff:o-xf-li": "staff",
        teacher: "outside",
    }
    assert "李老师" not in str(listed)  # the name is personal data: encrypted, not in reads

    one = accepted(api, offered.json()["item_id"])
    pool = api.get(STATION, f"/api/talks/orders/{one}/speakers").json()["items"]
    assert [p["speaker"] for p in pool] == [teacher, "v-xf-liu", "staff:o-xf-li"]
    assert [p["suggested"] for p in pool] == [True, False, False]  # the school's 法治副校长
    assert pool[0]["name"] == "李老师"
    assert api.get("v-xf-liu", f"/api/talks/orders/{one}/speakers").status_code == 404
    caught_up(api)  # the console page reads the projection as it stands
    console = api.client.get("/talks", headers={"Cookie": f"lishu_session={api.tokens[STATION]}"})
    assert console.status_code == 200
    row = console.text.split(f'data-order="{one}"')[1].split("</form>")[0]
    assert f'data-speaker="{teacher}" data-suggested' in row  # the schedule form suggests him
    assert 'data-speaker="staff:o-xf-li" data-suggested' not in row
    assert f'name="speakers" required value="{teacher}"' in row

    both = {"starts_at": START.isoformat(), "speakers": ["staff:o-xf-li", teacher]}
    scheduled = api.post(STATION, f"/api/talks/orders/{one}/schedule", both)
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["task_id"] is None  # no volunteer speaks: no duty task

    two = accepted(api, offered.json()["item_id"])
    before = head(api)
    overlapping = {"starts_at": (START + timedelta(minutes=30)).isoformat(),
                   "speakers": ["v-xf-liu", "staff:o-xf-li"]}  # fmt: skip
    clash = api.post(STATION, f"/api/talks/orders/{two}/schedule", overlapping)
    refused(api, 409, "booking_overlaps", clash, before)
    retired = api.post(STATION, f"/api/talks/speakers/{teacher}/retirement", {"reason": "调离"})
    assert retired.status_code == 200, retired.text
    before = head(api)
    later = {"starts_at": (START + timedelta(hours=3)).isoformat(), "speakers": [teacher]}
    gone = api.post(STATION, f"/api/talks/orders/{two}/schedule", later)
    refused(api, 409, "talk_speaker_retired", gone, before)

    clock.now = START + timedelta(minutes=45)
    delivered = api.post(STATION, f"/api/talks/orders/{one}/delivery", {"reach": 300})
    assert delivered.status_code == 200, delivered.text
    caught_up(api)
    given = {
        row["speaker"]: (row["talks_given"], row["active"])
        for row in api.get(STATION, "/api/talks/speakers", wait_for=head(api)).json()["items"]
    }
    assert given == {"staff:o-xf-li": (1, True), teacher: (1, False)}
    app = api.services.loop.app
    assert find_account(app, "staff:o-xf-li") is None  # no points for police
    assert find_account(app, teacher) is None


def test_the_speakers_within_each_kind_of_unit_are_listed(api: Api) -> None:
    """A station's speakers are listed to its station and county; a community lists
    those registered for it (a station or county registers them: none here)."""
    registered = api.post(STATION, "/api/talks/speakers", {**TEACHER, "name": "王律师"})
    assert registered.status_code == 201, registered.text
    speaker = registered.json()["speaker"]
    position = head(api)
    for user, unit, expected in (
        (STATION, "lishu/chaoyang", True),
        ("k-ls-gao", "lishu", True),
        ("o-xf-li", "lishu/chaoyang/xingfu", False),
    ):
        answer = api.get(user, "/api/talks/speakers", unit=unit, wait_for=position)
        assert answer.status_code == 200, answer.text
        assert (speaker in {row["speaker"] for row in answer.json()["items"]}) is expected
