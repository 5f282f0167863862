"""The publicity board publishes only reviewed text: the title, which passed the
redaction review, never the report's own description or outcome, which may name
the informant."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.builders import rewarded_over_http

NAME, PHONE = "王秀兰", "13904431234"


def test_the_board_shows_the_reviewed_title_and_no_text_that_names_anyone(api: Api) -> None:
    def post(user: str, path: str, body: Any) -> dict[str, Any]:
        answer = api.post(user, path, body)
        assert answer.status_code in (200, 201), answer.text
        result: dict[str, Any] = answer.json()
        return result

    report = {
        "module": "dispute_screening",
        "sense": "heard",
        "what": f"知情人{NAME}（{PHONE}）说邻居争吵有动手迹象",
        "where": "幸福小区3栋",
        "channel": "app",
        "informant": {"name": NAME, "phone": PHONE},
    }
    incident = post("v-xf-liu", "/api/incidents", report)["incident_id"]
    rewarded_over_http(post, incident, 20, summary=f"已回访{NAME}，电话{PHONE}，纠纷化解")
    refused = api.post(
        "p-ls-qian",
        f"/api/incidents/{incident}/publicize",
        {"title": f"{NAME}及时报警，邻里纠纷化解", "redaction_note": "已核对"},
    )
    assert refused.status_code == 422, refused.text  # the review refuses a title naming her
    published = post(
        "p-ls-qian",
        f"/api/incidents/{incident}/publicize",
        {"title": "外卖小哥及时反馈，邻里纠纷化解在萌芽", "redaction_note": "已核对，不含个人信息"},
    )
    for reader in ("v-xf-chen", "v-hp-wu", "p-ls-qian", "o-xf-li"):
        answer = api.get(reader, "/api/publicity", wait_for=published["position"])
        assert answer.status_code == 200, answer.text
        (row,) = [r for r in answer.json()["items"] if r["incident_id"] == incident]
        assert row["title"] == "外卖小哥及时反馈，邻里纠纷化解在萌芽"
        assert {"what", "outcome_summary"}.isdisjoint(row)
        assert NAME not in answer.text
        assert PHONE not in answer.text
    # the case's own text is still there for those who handle it
    case = api.get("o-xf-li", f"/api/incidents/{incident}").json()["incident"]
    assert NAME in case["what"]
