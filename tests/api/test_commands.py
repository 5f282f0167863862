"""Every command has one shape: an optional ``Idempotency-Key``, the service's
permission check before it acts, a typed answer; the console's forms take the
same path as the API."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from api.seed import DEMO_PASSWORD
from tests.api.conftest import Api

XINGFU = "lishu/chaoyang/xingfu"


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"retry-{uuid.uuid4()}"}


def head(api: Api) -> int | None:
    found: int | None = api.services.flow.app.recorder.max_notification_id()
    return found


def test_a_volunteer_command_sent_again_with_its_key_has_its_effect_once(api: Api) -> None:
    retry = key()
    path = "/api/volunteers/v-xf-chen/teams"
    first = api.post("c-xf-sun", path, {"team": "rescue"}, **retry)
    assert first.status_code == 200, first.text
    assert first.json()["replayed"] is False
    after = head(api)
    again = api.post("c-xf-sun", path, {"team": "rescue"}, **retry)
    assert again.status_code == 200, again.text
    assert again.json() == {**first.json(), "replayed": True}
    assert head(api) == after
    other = api.post("c-xf-sun", path, {"team": "traffic"}, **retry)
    assert other.status_code == 422, other.text
    assert other.json()["code"] == "idempotency_key_reused"
    assert head(api) == after
    plain = api.post("c-xf-sun", path, {"team": "rescue"})  # no key: the command runs again
    assert plain.status_code == 409, plain.text  # and the rules refuse a second enrolment


def test_a_donation_sent_again_with_its_key_is_one_item_answered_as_created(api: Api) -> None:
    retry = key()
    gift = {"name": "雨衣", "donor": "梨树县百货大楼", "stock": 3, "price": 20}
    answers = [api.post("c-xf-sun", "/api/catalogue", gift, **retry) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert len({a.json()["item_id"] for a in answers}) == 1
    assert [a.json()["replayed"] for a in answers] == [False, True, True]
    rows = api.get("c-xf-sun", "/api/catalogue", wait_for=answers[0].json()["position"])
    assert [r["name"] for r in rows.json()["items"]].count("雨衣") == 1


def test_a_bank_command_answers_in_its_typed_shape(api: Api) -> None:
    answer = api.post(
        "d-xf-zhao",
        "/api/accounts/v-xf-liu/evaluations",
        {"month": "2026-06", "passed": True, "note": "合格"},
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert set(body) == {
        "volunteer_id",
        "month",
        "passed",
        "rule_met",
        "deducted",
        "balance",
        "score",
        "star_level",
        "position",
        "replayed",
    }
    assert body["volunteer_id"] == "v-xf-liu"


def test_a_command_on_a_volunteer_out_of_scope_is_refused_before_it_runs(api: Api) -> None:
    """Another community's officer learns nothing of the volunteer from the refusal
    (not even that he exists): the answer is the one for an id of nobody, and
    nothing is stored."""
    before = head(api)
    for path, body in [
        ("/api/volunteers/{}/status", {"status": "suspended", "reason": "越权"}),
        ("/api/accounts/{}/deductions", {"reason": "越权", "points": 1}),
    ]:
        answer = api.post("o-hp-zhang", path.format("v-xf-chen"), body)
        nobody = api.post("o-hp-zhang", path.format("v-nobody"), body)
        assert answer.status_code == nobody.status_code == 404, answer.text
        assert answer.json() == json.loads(nobody.text.replace("v-nobody", "v-xf-chen"))
        assert XINGFU not in answer.text
    assert head(api) == before


def test_goods_out_of_scope_are_not_found_like_goods_that_do_not_exist(api: Api) -> None:
    """Another community's Happiness Bank: its goods are not found, to its staff's
    commands and a volunteer's redemption alike; a role that never restocks is
    told so whatever the id."""
    items = {i["name"]: i["item_id"] for i in api.services.views.queries.catalogue_of("lishu")}
    rice, nothing = items["大米（10斤）"], str(uuid.uuid4())  # heping's bank
    before = head(api)
    for user, path, body in [
        ("c-xf-sun", "/api/catalogue/{}/restock", {"quantity": 1, "donor": "超市"}),
        ("v-xf-liu", "/api/accounts/v-xf-liu/redemptions", {"item_id": "{}", "quantity": 1}),
    ]:
        asked = json.loads(json.dumps(body).replace("{}", rice))
        hidden = api.post(user, path.format(rice), asked)
        absent = api.post(
            user, path.format(nothing), json.loads(json.dumps(asked).replace(rice, nothing))
        )
        assert hidden.status_code == absent.status_code == 404, hidden.text
        assert hidden.json() == json.loads(absent.text.replace(nothing, rice))
        assert "heping" not in hidden.text
    for item in (rice, nothing):  # an auxiliary never restocks: 403 whatever the id
        refused = api.post(
            "a-xf-yang", f"/api/catalogue/{item}/restock", {"quantity": 1, "donor": "x"}
        )
        assert refused.status_code == 403, refused.text
        assert set(refused.json()["details"]) == {"action", "allowed"}
    assert head(api) == before


def log_in(api: Api, username: str) -> None:
    answer = api.client.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text


def test_a_console_form_and_the_api_take_the_same_command_path(api: Api) -> None:
    """The key a step's form carries is the API's Idempotency-Key: the same step sent
    with it over the API afterwards is the form's command, answered again."""
    report = {"module": "hazard_screening", "sense": "seen", "what": "井盖缺失", "where": "北门"}
    made = api.post("v-xf-liu", "/api/incidents", {**report, "channel": "app"})
    assert made.status_code == 201, made.text
    incident = made.json()["incident_id"]
    log_in(api, "o-xf-li")
    page = api.client.get(f"/incidents/{incident}").text
    form = re.search(r'data-step="accept">(.*?)</form>', page, re.S)
    assert form is not None
    fields = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', form.group(1)))
    done = api.client.post(f"/incidents/{incident}/steps/accept", data=fields)
    assert done.status_code in (200, 303), done.text
    after = head(api)
    version = int(fields["expected_version"])
    again = api.post(
        "o-xf-li",
        f"/api/incidents/{incident}/accept",
        {"expected_version": version},
        **{"Idempotency-Key": fields["key"]},
    )
    assert again.status_code == 200, again.text
    assert again.json()["replayed"] is True
    assert again.json()["version"] == version + 1
    assert head(api) == after
