"""Runs the regulation in features/18_resident_reports.feature: residents report
through another app (an Open311 client) into the loop."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from pytest_bdd import given, parsers, scenarios, then

from aggregates.actor import Actor
from aggregates.errors import DomainError
from api.public_codes import PhoneCodes
from loop import demo
from loop.rules import masking, places
from loop.rules.units import Unit, UnitTree
from loop.rules.vocabulary import Module
from loop.services import audit
from loop.services.intake import CLIENT_ROLE, RESIDENT_ROLE, Intake, Report, fixed_id
from tests.bdd.conftest import CAST, TRY, WHO, Q, World, _by_label, action

scenarios("18_resident_reports.feature")

SUISHOUPAI = Actor("open311:suishoupai", CLIENT_ROLE, demo.XINGFU)
"""The county's 随手拍 app, passing residents' reports on for 幸福社区."""


@action(
    f'群众(?P<name>[^通]+){TRY}通过随手拍APP反馈"(?P<module>[^"]+)"类警情{Q.format("what")}'
    f"，电话{Q.format('phone')}"
)
def resident_reports(
    world: World, name: str, attempt: str | None, module: str, what: str, phone: str
) -> None:
    report = Report(
        community=demo.XINGFU,
        module=_by_label(Module, module),
        sense="seen",
        what=what,
        where="幸福小区3号楼",
        contact={"name": name, "phone": phone},
    )
    world.act(
        attempt,
        lambda: Intake(world.flow).report(
            SUISHOUPAI, report, source="open311", client="suishoupai"
        ),
    )


@action(f"{{who}}{TRY}接到群众(?P<name>[^的]+)的来电{Q.format('what')}，电话{Q.format('phone')}")
def office_logs_a_call(
    world: World, who: str, attempt: str | None, name: str, what: str, phone: str
) -> None:
    world.act(
        attempt,
        lambda: world.flow.report_new(
            CAST[who],
            channel="phone",
            module="hazard_screening",
            sense="seen",
            what=what,
            where="幸福小区北门",
            resident={"name": name, "phone": phone},
        ),
    )


@then(parsers.re(f"该警情由群众通过电话反馈，录入人是(?P<who>{WHO})"))
def logged_for_a_resident(world: World, who: str) -> None:
    incident = world.flow.get(world.incident)
    assert (incident.reporter_kind, incident.channel) == ("resident", "phone")
    assert incident.reporter_id != CAST[who].id
    events = list(world.flow.app.repository.event_store.get(incident.id))
    assert [e.actor for e in events] == [CAST[who], CAST[who]]  # discovered, reported


@then("警情没有考评，也没有兑现积分")
def neither_scored_nor_rewarded(world: World) -> None:
    incident = world.flow.get(world.incident)
    assert (incident.score, incident.rewarded_points) == ({}, None)
    events = [type(e).__name__ for e in world.flow.app.repository.event_store.get(incident.id)]
    assert not {"ScoreProposed", "ScoreSigned", "Rewarded"} & set(events)


@then(parsers.re(f"(?P<who>{WHO})查看该警情时看到群众的电话{Q.format('phone')}"))
def sees_resident(world: World, who: str, phone: str) -> None:
    seen = audit.describe(world.flow.get(world.incident), CAST[who])
    assert seen["resident"]["fields"]["phone"] == phone


@then(parsers.re(f"(?P<who>{WHO})查看该警情时看不到群众的联系方式"))
def does_not_see_resident(world: World, who: str) -> None:
    incident = world.flow.get(world.incident)
    seen = audit.describe(incident, CAST[who])
    assert seen["resident"] == {"masked": True, "shown": masking.MASKED}
    held = incident.resident
    assert held is not None
    timeline = audit.history(world.flow.app, world.incident, CAST[who])
    for value in held.values():
        assert value not in str(seen)
        assert value not in str(timeline)


@then(parsers.re(f"警情内容为{Q.format('what')}"))
def what_reads(world: World, what: str) -> None:
    assert world.flow.get(world.incident).what == what


@then(parsers.re(f"存储的事件里找不到{Q.format('phone')}和{Q.format('name')}"))
def not_stored_in_clear(world: World, phone: str, name: str) -> None:
    stored = world.flow.app.recorder.select_notifications(1, 10_000)
    mine = [n.state for n in stored if n.originator_id == world.incident]
    assert mine
    assert any("井盖".encode() in state for state in mine)
    for state in mine:
        assert phone.encode() not in state
        assert name.encode() not in state


# -- points, codes and retries ---------------------------------------------------------

LAT_LONG = "在北纬(?P<lat>[0-9.]+)、东经(?P<long>[0-9.]+)"
COMMUNITIES = (demo.XINGFU, demo.HEPING)
FORM_TOKEN = "a-form-token-of-thirty-two-characters"


@dataclass
class Intake18:
    """What a scenario sets up beside the loop: centres, the county's bounds, the
    public form's codes (on the scenario's clock) and what was sent."""

    tree: UnitTree = field(default_factory=UnitTree)
    bounds: places.Bounds | None = None
    codes: PhoneCodes | None = None
    code: str = ""
    report: Report | None = None
    answered: str | None = None


@pytest.fixture
def intake18(world: World) -> Intake18:
    made = Intake18()
    made.codes = PhoneCodes(
        lambda text: f"digest:{hash(text)}", now=lambda: world.clock().timestamp()
    )
    return made


def _centre(code: str, lat: str, long: str) -> Unit:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    name = demo.UNIT_NAMES[code]
    return Unit(
        code, "community", demo.STATION, ((at, name, name),), at, centre=(float(lat), float(long))
    )


@given(
    parsers.re(
        "幸福社区的中心点在北纬(?P<a_lat>[0-9.]+)、东经(?P<a_long>[0-9.]+)，"
        "和平社区的中心点在北纬(?P<b_lat>[0-9.]+)、东经(?P<b_long>[0-9.]+)"
    )
)
def centres(intake18: Intake18, a_lat: str, a_long: str, b_lat: str, b_long: str) -> None:
    intake18.tree = UnitTree(
        {
            demo.XINGFU: _centre(demo.XINGFU, a_lat, a_long),
            demo.HEPING: _centre(demo.HEPING, b_lat, b_long),
        }
    )


@given(
    parsers.re(
        "本县的范围是北纬(?P<south>[0-9.]+)至(?P<north>[0-9.]+)、东经(?P<west>[0-9.]+)至(?P<east>[0-9.]+)"
    )
)
def county_bounds(intake18: Intake18, south: str, north: str, west: str, east: str) -> None:
    intake18.bounds = places.bounds(f"{south},{west},{north},{east}")


@action(
    f'群众(?P<name>[^通试]+){TRY}通过随手拍APP{LAT_LONG}反馈"(?P<module>[^"]+)"类警情'
    f"{Q.format('what')}，电话{Q.format('phone')}"
)
def resident_reports_a_point(
    world: World,
    intake18: Intake18,
    name: str,
    attempt: str | None,
    lat: str,
    long: str,
    module: str,
    what: str,
    phone: str,
) -> None:
    report = Report(
        community="",
        module=_by_label(Module, module),
        sense="seen",
        what=what,
        where=f"坐标 {lat}, {long}",
        contact={"name": name, "phone": phone},
        point=(lat, long),
    )
    intake = Intake(world.flow, intake18.bounds)

    def run() -> object:
        placed = intake.placed(report, COMMUNITIES, intake18.tree)
        actor = Actor("open311:suishoupai", CLIENT_ROLE, placed.community)
        return intake.report(actor, placed, source="open311", client="suishoupai")

    world.act(attempt, run)


@then(parsers.re("该警情归入(?P<unit>幸福社区|和平社区)"))
def placed_in(world: World, unit: str) -> None:
    names = {v: k for k, v in demo.UNIT_NAMES.items()}
    assert world.flow.get(world.incident).community == names[unit]


def _form_report(what: str, phone: str) -> Report:
    return Report(demo.XINGFU, "hazard_screening", "seen", what, "幸福小区东门", {"phone": phone})


@given(
    parsers.re(
        f"群众(?P<name>[^在]+)在网上表单反映{Q.format('what')}，电话{Q.format('phone')}，收到了短信验证码"
    )
)
def code_sent(intake18: Intake18, name: str, what: str, phone: str) -> None:
    assert intake18.codes is not None
    intake18.report = _form_report(what, phone)
    intake18.code = intake18.codes.issue(FORM_TOKEN, phone)


def _typed(world: World, intake18: Intake18, code: str, report: Report) -> object:
    """The form's order: the code checked, then the report recorded, then the code spent."""
    assert intake18.codes is not None
    intake18.codes.check(FORM_TOKEN, str((report.contact or {})["phone"]), code)
    actor = Actor("public_form", RESIDENT_ROLE, report.community)
    incident_id = fixed_id("public_form", "public_form", FORM_TOKEN + report.what)
    made = Intake(world.flow).report(
        actor, report, source="public_form", client="public_form", incident_id=incident_id
    )
    intake18.codes.used(FORM_TOKEN)
    return made


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


@action(f"群众(?P<name>[^试输]+){TRY}输入(?P<which>错误的|收到的)验证码")
def types_code(
    world: World, intake18: Intake18, name: str, attempt: str | None, which: str
) -> None:
    assert intake18.report is not None
    code = intake18.code if which == "收到的" else _wrong(intake18.code)
    world.act(attempt, lambda: _typed(world, intake18, code, intake18.report))  # type: ignore[arg-type]


@given(parsers.re("群众(?P<name>[^输]+)输错了(?P<n>\\d+)次验证码"))
def wrong_codes(world: World, intake18: Intake18, name: str, n: str) -> None:
    for _ in range(int(n)):
        with pytest.raises(DomainError):
            _typed(world, intake18, _wrong(intake18.code), intake18.report)  # type: ignore[arg-type]


@action(f"群众(?P<name>[^试]+){TRY}用同一个验证码再反映{Q.format('what')}")
def code_again(world: World, intake18: Intake18, name: str, attempt: str | None, what: str) -> None:
    assert intake18.report is not None
    again = _form_report(what, str((intake18.report.contact or {})["phone"]))
    world.act(attempt, lambda: _typed(world, intake18, intake18.code, again))


@then(parsers.re(f"反馈已记录，(?P<who>{WHO})查看该警情时看到群众的电话{Q.format('phone')}"))
def recorded(world: World, who: str, phone: str) -> None:
    incident = world.flow.get(world.incident)
    assert incident.intake is not None
    assert incident.intake["source"] == "public_form"
    sees_resident(world, who, phone)


@action(
    f"随手拍APP{TRY}(?:以编号{Q.format('external')}(?P<again>再次)?转来)"
    f"群众(?P<name>[^的]+)的反馈{Q.format('what')}，电话{Q.format('phone')}"
)
def client_posts(
    world: World,
    intake18: Intake18,
    attempt: str | None,
    external: str,
    again: str | None,
    name: str,
    what: str,
    phone: str,
) -> None:
    report = Report(
        demo.XINGFU,
        "hazard_screening",
        "seen",
        what,
        "幸福小区东门",
        {"name": name, "phone": phone},
    )
    incident_id = fixed_id("open311", "suishoupai", external)

    def run() -> object:
        made = Intake(world.flow).report(
            SUISHOUPAI,
            report,
            source="open311",
            client="suishoupai",
            external_id=external,
            incident_id=incident_id,
        )
        if not again:
            intake18.answered = made.incident_id
        return made

    world.act(attempt, run)


@then("答复的仍是原来那起警情，没有写入任何事件")
def same_answer(world: World, intake18: Intake18) -> None:
    assert world.result.incident_id == intake18.answered
    assert world.snapshot() == world.before
