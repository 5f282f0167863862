"""The public form's one-time code: sent to the phone through the SMS sender, kept
only as a keyed digest, valid 10 minutes, 5 tries, used once; the report is
recorded only after the code matches, and every refusal stores nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.config import ApiSettings
from api.public_codes import GatewaySender, OutboxSender, sender_for
from api.routes.public_report import incident_of
from tests.api.conftest import Api, in_process
from tests.api.test_public_report import head, send, token_of

PHONE = "13904439911"


@pytest.fixture
def api(database: str) -> Iterator[Api]:
    with in_process(database, public_verification=True) as client:
        yield client


def outbox(api: Api) -> OutboxSender:
    sender = api.client.app.state.public_code_sender  # type: ignore[attr-defined]
    assert isinstance(sender, OutboxSender)
    return sender


def code_sent(api: Api, token: str, **given: str) -> str:
    """Ask for a code on the form ``token``; the code the phone received."""
    asked = send(api, token, **given)
    assert asked.status_code == 200, asked.text
    assert "data-code-sent" in asked.text
    assert "139****9911" in asked.text
    phone, text = outbox(api).sent[-1]
    assert phone == given.get("phone", PHONE)
    found = re.search(r"验证码是(\d{6})", text)
    assert found is not None, text
    return found.group(1)


def other_than(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_the_report_is_recorded_only_after_the_code_sent_to_the_phone_matches(api: Api) -> None:
    page = api.client.get("/public/report").text
    assert "获取验证码" in page
    token = token_of(page)
    before = head(api)
    code = code_sent(api, token)
    assert head(api) == before  # nothing recorded for a code sent
    codes = api.client.app.state.public_codes  # type: ignore[attr-defined]
    assert code not in repr(codes._pending)  # only a keyed digest is kept

    wrong = send(api, token, code=other_than(code))
    assert wrong.status_code == 400
    assert 'data-refused="code_refused"' in wrong.text
    assert "验证码不正确" in wrong.text
    assert head(api) == before
    other_phone = send(api, token, code=code, phone="13904430000")
    assert other_phone.status_code == 400  # the code is for the number it was sent to
    assert head(api) == before

    sent = send(api, token, code=code)
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/public/status/{token}?sent=1"
    view = api.get("o-xf-li", f"/api/incidents/{incident_of(api.services, token)}").json()
    assert view["incident"]["resident"]["fields"]["phone"] == PHONE
    after = head(api)
    again = send(api, token, code=code)  # the same form sent twice: its one report
    assert again.headers["location"] == sent.headers["location"]
    assert head(api) == after
    # the code is spent: it verifies no other form
    other = token_of(api.client.get("/public/report").text)
    reused = send(api, other, code=code)
    assert reused.status_code == 400
    assert "请先获取验证码" in reused.text
    assert head(api) == after


def test_a_code_expires_after_ten_minutes(api: Api) -> None:
    late_token = token_of(api.client.get("/public/report").text)
    late_code = code_sent(api, late_token)
    codes = api.client.app.state.public_codes  # type: ignore[attr-defined]
    started = codes.now()
    codes.now = lambda: started + 9 * 60
    in_time = token_of(api.client.get("/public/report").text)
    in_time_code = code_sent(api, in_time)  # sent at 9 minutes
    codes.now = lambda: started + 10 * 60 + 1
    before = head(api)
    late = send(api, late_token, code=late_code)
    assert late.status_code == 400
    assert "验证码已过期" in late.text
    assert head(api) == before
    assert send(api, in_time, code=in_time_code).status_code == 303
    fresh = code_sent(api, late_token)
    assert send(api, late_token, code=fresh).status_code == 303


def test_five_wrong_codes_void_it(api: Api) -> None:
    token = token_of(api.client.get("/public/report").text)
    code = code_sent(api, token)
    before = head(api)
    for left in (4, 3, 2, 1):
        wrong = send(api, token, code=other_than(code))
        assert f"还可再试{left}次" in wrong.text
    fifth = send(api, token, code=other_than(code))
    assert "错误次数过多" in fifth.text
    late = send(api, token, code=code)  # even the right one, now
    assert late.status_code == 400
    assert "请先获取验证码" in late.text
    assert head(api) == before


def test_codes_sent_are_limited_per_phone_as_reports_are(api: Api) -> None:
    for _ in range(5):
        code_sent(api, token_of(api.client.get("/public/report").text))
    refused = send(api, token_of(api.client.get("/public/report").text))
    assert refused.status_code == 400
    assert "提交过于频繁" in refused.text
    assert len(outbox(api).sent) == 5


def test_without_a_sender_the_form_says_so_and_takes_nothing(api: Api) -> None:
    api.client.app.state.public_code_sender = None  # type: ignore[attr-defined]
    page = api.client.get("/public/report").text
    assert "data-unavailable" in page
    assert "短信验证暂不可用" in page
    before = head(api)
    refused = send(api, token_of(page))
    assert refused.status_code == 400
    assert 'data-refused="verification_unavailable"' in refused.text
    assert head(api) == before


def test_verification_is_on_in_production_off_in_the_demo_and_production_needs_a_gateway() -> None:
    production = ApiSettings(environment="production", sms_gateway_url="log://")
    assert production.verifies_public_phones is True
    assert sender_for(production) is None  # the log is no way to reach a phone
    assert ApiSettings(demo=True).verifies_public_phones is False
    assert ApiSettings().verifies_public_phones is False
    assert ApiSettings(demo=True, public_verification=True).verifies_public_phones is True
    assert isinstance(sender_for(ApiSettings()), OutboxSender)
    gateway = ApiSettings(environment="production", sms_gateway_url="http://sms.gateway.invalid/")
    assert isinstance(sender_for(gateway), GatewaySender)


def test_the_gateway_sender_posts_the_number_and_the_text() -> None:
    seen: list[Any] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        seen.append((request.headers, json.loads(request.content)))
        return httpx.Response(200)

    client = httpx.Client(transport=httpx.MockTransport(gateway))
    GatewaySender("http://sms.gateway.invalid/", "t0ken", client=client).send(
        PHONE, "验证码是123456"
    )
    ((headers, body),) = seen
    assert (body["to"], body["text"]) == (PHONE, "验证码是123456")
    assert headers["authorization"] == "Bearer t0ken"
    assert headers["idempotency-key"] == body["msg_id"]
    failing = httpx.Client(transport=httpx.MockTransport(lambda _: httpx.Response(503)))
    with pytest.raises(httpx.HTTPStatusError):
        GatewaySender("http://sms.gateway.invalid/", client=failing).send(PHONE, "x")


def test_a_report_that_would_be_refused_gets_no_code(api: Api) -> None:
    token = token_of(api.client.get("/public/report").text)
    for given, shown in (
        ({"what": ""}, "what"),
        ({"phone": "call me"}, "电话号码格式不正确"),
        ({"community": "lishu/chaoyang"}, "社区"),
        ({"lat": "43.3"}, "纬度和经度"),
    ):
        refused = send(api, token, **given)
        assert refused.status_code == 400, given
        assert shown in refused.text, given
        assert "data-code-sent" not in refused.text
    assert len(outbox(api).sent) == 0
