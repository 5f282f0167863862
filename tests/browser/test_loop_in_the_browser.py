"""One incident around the loop in the browser, by five logged-in people: the
volunteer reports on his phone, the officer accepts and records the outcome,
the cadre proposes the score, the director and the officer co-sign, the
officer rewards, and the volunteer sees his points."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Login, Server, shot
from tests.browser.helpers import (
    allowed_by_api,
    incident_of,
    offered_steps,
    open_board_showing,
    reported_via_api,
    stage_shown,
    take_step,
)

WHAT = "配电箱门敞开，电线裸露在外"
PEOPLE = ("刘某（外卖员）", "李警官（幸福社区民警）", "孙干部（幸福社区）", "赵主任（幸福社区）")


def report_on_phone(page: Any) -> str:
    page.click("text=上报新警情")
    page.check("input[name=module][value=hazard_screening]")
    page.check("input[name=sense][value=seen]")
    page.fill("textarea[name=what]", WHAT)
    page.fill("input[name=where]", "幸福小区5栋东侧")
    shot(page, "volunteer-report-form-phone")
    with page.expect_navigation():
        page.click("text=提交反馈")
    return incident_of(page)


def acts_as(login: Login, server: Server, username: str, incident: str) -> Any:
    """The incident page as ``username``, offering exactly the API's allowed steps."""
    page = login(username)
    page.goto(f"{server.url}/incidents/{incident}")
    assert offered_steps(page) == allowed_by_api(server, username, incident)
    return page


def test_a_report_goes_round_the_loop_in_the_hands_of_five_people(
    login: Login, server: Server
) -> None:
    volunteer = login("v-xf-liu", phone=True)
    shot(volunteer, "volunteer-home-phone")
    before = int(volunteer.locator("[data-balance]").get_attribute("data-balance"))
    incident = report_on_phone(volunteer)
    assert volunteer.locator(".alert-ok").inner_text().endswith("反馈警情")
    assert stage_shown(volunteer) == "reported"
    assert offered_steps(volunteer) == []  # nothing is the volunteer's to do now
    shot(volunteer, "volunteer-incident-phone")

    officer = login("o-xf-li")
    open_board_showing(officer, server, incident)
    card = officer.locator(f"[data-column=intake] [data-incident='{incident}']")
    assert WHAT in card.inner_text()
    shot(officer, "officer-board")
    card.click()
    assert offered_steps(officer) == allowed_by_api(server, "o-xf-li", incident)
    assert "accept" in offered_steps(officer)
    take_step(officer, "accept")
    assert stage_shown(officer) == "handling_community"
    take_step(officer, "record_outcome", summary="已断电，通知物业当日更换箱门")
    assert stage_shown(officer) == "outcome_recorded"
    assert offered_steps(officer) == allowed_by_api(server, "o-xf-li", incident)

    cadre = acts_as(login, server, "c-xf-sun", incident)
    take_step(cadre, "propose_score", item="安全隐患排查", points="30", basis="发现及时，处置有效")
    assert stage_shown(cadre) == "score_proposed"

    director = acts_as(login, server, "d-xf-zhao", incident)
    take_step(director, "sign_score")
    assert stage_shown(director) == "score_proposed"  # one of two signatures
    assert "sign_score" not in offered_steps(director)

    officer.goto(f"{server.url}/incidents/{incident}")
    assert offered_steps(officer) == allowed_by_api(server, "o-xf-li", incident)
    take_step(officer, "sign_score")
    assert stage_shown(officer) == "scored"
    take_step(officer, "reward")
    assert stage_shown(officer) == "rewarded"
    timeline = officer.locator(".timeline").inner_text()
    for who in PEOPLE:
        assert who in timeline
    assert "30积分存入幸福银行" in timeline
    assert officer.locator(".phase-current").inner_text().startswith("7")
    shot(officer, "officer-incident-rewarded")

    volunteer.goto(f"{server.url}/me")
    assert int(volunteer.locator("[data-balance]").get_attribute("data-balance")) == before + 30
    mine = volunteer.locator(f"[data-incident='{incident}']").inner_text()
    assert "已奖励兑现" in mine
    assert "+30" in mine


def test_a_diverted_report_is_handed_over_and_chased_by_the_cadre(
    login: Login, server: Server
) -> None:
    incident = reported_via_api(server)
    officer = acts_as(login, server, "o-xf-li", incident)
    take_step(officer, "divert", reason="属物业消防管理事项，非警务")
    assert stage_shown(officer) == "diverted"
    assert offered_steps(officer) == []  # the community hands it over, not the police

    cadre = login("c-xf-sun", phone=True)
    open_board_showing(cadre, server, incident)
    shot(cadre, "cadre-board-phone")
    cadre.locator(f"[data-column=diverted] [data-incident='{incident}']").click()
    assert offered_steps(cadre) == allowed_by_api(server, "c-xf-sun", incident) == ["hand_over"]
    take_step(
        cadre, "hand_over", department="县消防救援大队", received_by="王参谋",
        received_at="2026-07-11T10:30",
    )  # fmt: skip
    assert stage_shown(cadre) == "handed_over"
    facts = cadre.locator(".facts").inner_text()
    assert "县消防救援大队" in facts
    assert "王参谋" in facts
    assert "2026年7月11日 10:30" in facts  # entered and shown in China time
    take_step(cadre, "chase", asked="县消防救援大队", answer="已派员检查，三日内更换")
    take_step(cadre, "record_outcome", summary="灭火器已全部更换")
    assert stage_shown(cadre) == "outcome_recorded"
    assert "propose_score" in offered_steps(cadre)
    shot(cadre, "cadre-handover-phone")
