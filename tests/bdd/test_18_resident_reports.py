"""Runs the regulation in features/18_resident_reports.feature: residents report
through another app (an Open311 client) into the loop."""

from __future__ import annotations

from pytest_bdd import parsers, scenarios, then

from aggregates.actor import Actor
from loop import demo
from loop.rules import masking
from loop.rules.vocabulary import Module
from loop.services import audit
from loop.services.intake import CLIENT_ROLE, Intake, Report
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
