"""Step definitions for the regulations in ``features/`` (zh-CN Gherkin).

Actions phrased with 试图 ("tries to") expect a refusal and keep it for the
``那么`` steps; actions without it must succeed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from pytest_bdd import given, parsers, step, then

from aggregates.actor import Actor
from aggregates.errors import DomainError
from loop import demo
from loop.bootstrap import open_loop
from loop.rules import masking
from loop.rules.stages import STAGES
from loop.rules.steps import STEPS
from loop.rules.vocabulary import LABELS, Module, OutcomeSource, RejectionKind, Role, Sense
from loop.services import audit
from loop.services.bank import Bank
from loop.services.incidents import IncidentFlow
from tests.support import FakeClock

CAST: dict[str, Actor] = {
    "义警小刘": demo.RIDER,
    "义警小陈": demo.COURIER,
    "义警小周": demo.METER,
    "义警小吴": demo.TAXI,
    "幸福社区民警": demo.OFFICER_XF,
    "幸福社区辅警": demo.AUXILIARY_XF,
    "幸福社区干部": demo.CADRE_XF,
    "幸福社区主任": demo.DIRECTOR_XF,
    "兼任社区民警的幸福社区主任": Actor(demo.DIRECTOR_XF.id, "community_officer", demo.XINGFU),
    "另一位幸福社区主任": Actor("d-xf-ma", "community_director", demo.XINGFU),
    "和平社区民警": demo.OFFICER_HP,
    "和平社区干部": demo.CADRE_HP,
    "朝阳派出所民警": demo.STATION_OFFICER,
    "双阳派出所民警": Actor("s-sy-feng", "station_officer", "lishu/shuangyang"),
    "县局指挥中心民警": demo.COUNTY_OFFICER,
    "县局宣传科": demo.PUBLICITY,
    "公主岭市局宣传科": Actor("p-gzl-xu", "publicity_officer", "gongzhuling"),
    "和平社区主任": demo.DIRECTOR_HP,
    "申请人小王": Actor("v-xf-wang", "volunteer", demo.XINGFU),
    "申请人小冯": Actor("v-xf-feng", "volunteer", demo.XINGFU),
}
AUDITOR = Actor("au-ls-zhou", "auditor", demo.COUNTY)  # reads timelines unmasked
UNITS = {name: unit for unit, name in demo.UNIT_NAMES.items()}
WHO = "|".join(sorted(map(re.escape, CAST), key=len, reverse=True))
TRY = "(?P<attempt>试图)?"
Q = '"(?P<{}>[^"]*)"'  # a quoted value


def _by_label(kind: Any, text: str) -> str:
    """The value labelled ``text``; unknown text passes through for the loop to refuse."""
    for value, name in LABELS[kind].items():
        if name == text:
            return str(value)
    return text


@dataclass
class World:
    flow: IncidentFlow
    clock: FakeClock
    items: dict[str, str] = field(default_factory=dict)
    incidents: list[UUID] = field(default_factory=list)
    result: Any = None
    error: DomainError | None = None
    before: tuple[int | None, int | None] = (None, None)
    route_before: tuple[str | None, datetime | None] = (None, None)

    @property
    def incident(self) -> UUID:
        assert self.incidents, "no incident in this scenario yet"
        return self.incidents[-1]

    def snapshot(self) -> tuple[int | None, int | None]:
        version = self.flow.get(self.incident).version if self.incidents else None
        return version, self.flow.app.recorder.max_notification_id()

    @property
    def bank(self) -> Bank:
        return Bank(self.flow.app, self.flow.scoring)

    def act(self, attempt: str | None, command: Callable[[], Any]) -> None:
        """Run a command; an attempt keeps its refusal, a plain action must succeed.
        A command that returns an incident makes it the scenario's current one."""
        self.error = None
        self.before = self.snapshot()
        if self.incidents:
            current = self.flow.get(self.incident)
            self.route_before = (current.owner_unit, current.due_at)
        self.clock.tick()
        if not attempt:
            self.result = command()
            incident_id = getattr(self.result, "incident_id", None)
            if incident_id and UUID(incident_id) not in self.incidents:
                self.incidents.append(UUID(incident_id))
            return
        with pytest.raises(DomainError) as caught:
            command()
        self.error = caught.value


@pytest.fixture
def world() -> World:
    """The demo's station and communities: its volunteers admitted (each with a
    Happiness Bank account) and its catalogues stocked."""
    clock = FakeClock()
    flow = open_loop(clock=clock).incidents
    return World(flow, clock, items=demo.enrol(flow))


def action(pattern: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register an action usable as a 假如 or a 当 step; ``{who}`` names a cast member."""
    parser = parsers.re(pattern.replace("{who}", f"(?P<who>{WHO})"))
    return step(parser)


# -- discover and feed back --------------------------------------------------------


@action(
    f'{{who}}{TRY}通过APP反馈"(?P<module>[^"]+)"类警情{Q.format("what")}'
    f"(，并说明已现场自行处置{Q.format('note')})?"
    f"(，知情人{Q.format('informant')}，电话{Q.format('phone')})?"
)
def report_by_app(
    world: World,
    who: str,
    attempt: str | None,
    module: str,
    what: str,
    note: str | None,
    informant: str | None,
    phone: str | None,
) -> None:
    world.act(
        attempt,
        lambda: world.flow.report_new(
            CAST[who],
            channel="app",
            module=_by_label(Module, module),
            sense="seen",
            what=what,
            where="幸福路",
            self_handled_note=note,
            informant={"name": informant, "phone": phone} if informant else None,
        ),
    )


@action(f"{{who}}{TRY}通过APP反馈紧急警情{Q.format('what')}")
def report_urgent_by_app(world: World, who: str, attempt: str | None, what: str) -> None:
    world.act(
        attempt,
        lambda: world.flow.report_new(
            CAST[who],
            channel="app",
            urgency="urgent",
            module="patrol_prevention",
            sense="seen",
            what=what,
            where="幸福超市门口",
        ),
    )


@action(f"{{who}}{TRY}接到(?P<volunteer>{WHO})的紧急电话{Q.format('what')}")
def report_by_phone(world: World, who: str, attempt: str | None, volunteer: str, what: str) -> None:
    world.act(
        attempt,
        lambda: world.flow.report_new(
            CAST[who],
            channel="phone",
            urgency="urgent",
            module="patrol_prevention",
            sense="seen",
            what=what,
            where="幸福超市门口",
            reporter_id=CAST[volunteer].id,
        ),
    )


@action(f'{{who}}{TRY}在"(?P<module>[^"]*)"模块中以"(?P<sense>[^"]*)"的方式发现{Q.format("what")}')
def discover(
    world: World, who: str, attempt: str | None, module: str, sense: str, what: str
) -> None:
    world.act(
        attempt,
        lambda: world.flow.discover(
            CAST[who],
            module=_by_label(Module, module),
            sense=_by_label(Sense, sense),
            what=what,
            where="幸福路",
        ),
    )


@action(f"{{who}}{TRY}反馈该警情")
def report_discovered(world: World, who: str, attempt: str | None) -> None:
    world.act(attempt, lambda: world.flow.take("report", CAST[who], world.incident, channel="app"))


# -- handle, divert, follow up ---------------------------------------------------------


@action(f"{{who}}{TRY}受理该警情")
def accept(world: World, who: str, attempt: str | None) -> None:
    world.act(attempt, lambda: world.flow.take("accept", CAST[who], world.incident))


@action("{who}基于过期的版本试图受理该警情")
def accept_stale(world: World, who: str) -> None:
    stale = world.flow.get(world.incident).version - 1
    world.act(
        "试图", lambda: world.flow.take("accept", CAST[who], world.incident, expected_version=stale)
    )


@action(f"{{who}}{TRY}以{Q.format('reason')}为由提格上交该警情")
def escalate(world: World, who: str, attempt: str | None, reason: str) -> None:
    world.act(
        attempt, lambda: world.flow.take("escalate", CAST[who], world.incident, reason=reason)
    )


@action(f"{{who}}{TRY}以{Q.format('reason')}为由退回该警情")
def return_(world: World, who: str, attempt: str | None, reason: str) -> None:
    world.act(attempt, lambda: world.flow.take("return", CAST[who], world.incident, reason=reason))


@action(f"{{who}}{TRY}以{Q.format('reason')}为由分流该警情")
def divert(world: World, who: str, attempt: str | None, reason: str) -> None:
    world.act(attempt, lambda: world.flow.take("divert", CAST[who], world.incident, reason=reason))


@action(f"{{who}}{TRY}将该警情移交{Q.format('department')}，接收人{Q.format('receiver')}")
def hand_over(world: World, who: str, attempt: str | None, department: str, receiver: str) -> None:
    world.act(
        attempt,
        lambda: world.flow.take(
            "hand_over", CAST[who], world.incident, department=department, received_by=receiver
        ),
    )


@action(f"{{who}}{TRY}向{Q.format('asked')}索要落办结果，答复{Q.format('answer')}")
def chase(world: World, who: str, attempt: str | None, asked: str, answer: str) -> None:
    world.act(
        attempt,
        lambda: world.flow.take("chase", CAST[who], world.incident, asked=asked, answer=answer),
    )


@action(f"{{who}}{TRY}录入落办结果{Q.format('summary')}")
def record_outcome(world: World, who: str, attempt: str | None, summary: str) -> None:
    world.act(
        attempt,
        lambda: world.flow.take("record_outcome", CAST[who], world.incident, summary=summary),
    )


@action(f"{{who}}{TRY}确认义警已现场自行处置{Q.format('summary')}")
def confirm_self_handled(world: World, who: str, attempt: str | None, summary: str) -> None:
    world.act(
        attempt,
        lambda: world.flow.take("confirm_self_handled", CAST[who], world.incident, summary=summary),
    )


# -- score, reward, publicize, close, reject ------------------------------------------


@action(f"{{who}}{TRY}为该警情打分(?P<points>\\d+)分，项目{Q.format('item')}")
def propose_score(world: World, who: str, attempt: str | None, points: str, item: str) -> None:
    world.act(
        attempt,
        lambda: world.flow.take(
            "propose_score",
            CAST[who],
            world.incident,
            items=[{"item": item, "points": int(points)}],
            basis="依据《梨城义警工作考评办法》",
        ),
    )


@action(f"{{who}}{TRY}签字")
def sign(world: World, who: str, attempt: str | None) -> None:
    world.act(attempt, lambda: world.flow.take("sign_score", CAST[who], world.incident))


@action(f"{{who}}{TRY}兑现奖励")
def reward(world: World, who: str, attempt: str | None) -> None:
    world.act(attempt, lambda: world.flow.take("reward", CAST[who], world.incident))


@action(f"{{who}}{TRY}以{Q.format('title')}为题进行典型宣传，脱敏审核{Q.format('review')}")
def publicize(world: World, who: str, attempt: str | None, title: str, review: str) -> None:
    world.act(
        attempt,
        lambda: world.flow.take(
            "publicize", CAST[who], world.incident, title=title, redaction_note=review
        ),
    )


@action(f"{{who}}{TRY}办结该警情")
def close(world: World, who: str, attempt: str | None) -> None:
    world.act(attempt, lambda: world.flow.take("close", CAST[who], world.incident))


@action(
    f'{{who}}{TRY}以"(?P<kind>[^"]+)"驳回该警情，理由{Q.format("reason")}'
    "(?P<related>，对应前一起警情)?"
)
def reject(
    world: World, who: str, attempt: str | None, kind: str, reason: str, related: str | None
) -> None:
    other = world.incidents[-2] if related else None
    world.act(
        attempt,
        lambda: world.flow.take(
            "reject",
            CAST[who],
            world.incident,
            kind=_by_label(RejectionKind, kind),
            reason=reason,
            related_id=other,
        ),
    )


@given(parsers.re("(?P<n>\\d+)(?P<unit>分钟|小时)过去了"))
def time_passes(world: World, n: str, unit: str) -> None:
    world.clock.advance(timedelta(minutes=int(n)) if unit == "分钟" else timedelta(hours=int(n)))


# -- outcomes -------------------------------------------------------------------------


@then(parsers.re(f"警情处于{Q.format('stage')}阶段"))
def in_stage(world: World, stage: str) -> None:
    assert STAGES[world.flow.get(world.incident).stage] == stage


@then(
    parsers.re(
        f"警情由{Q.format('unit')}的{Q.format('role')}承办，"
        "(?P<n>\\d+)(?P<unit_of_time>分钟|小时|天)内办理"
    )
)
def owned_until(world: World, unit: str, role: str, n: str, unit_of_time: str) -> None:
    incident = world.flow.get(world.incident)
    assert incident.owner_unit == UNITS[unit]
    assert incident.owner_role == _by_label(Role, role)
    minutes = {"分钟": 1, "小时": 60, "天": 24 * 60}[unit_of_time] * int(n)
    assert incident.due_at is not None
    assert incident.due_at - incident.modified_on == timedelta(minutes=minutes)


@then(parsers.re(f"警情现由{Q.format('unit')}的{Q.format('role')}承办，办理期限不变"))
def owned_now(world: World, unit: str, role: str) -> None:
    """The owner a step within the stage leaves, the due time the stage began with."""
    incident = world.flow.get(world.incident)
    before = world.flow.get(world.incident, version=incident.version - 1)
    assert (incident.owner_unit, incident.owner_role) == (UNITS[unit], _by_label(Role, role))
    assert incident.due_at == before.due_at


@then("警情已结束，不再由任何单位承办")
def closed(world: World) -> None:
    incident = world.flow.get(world.incident)
    assert incident.is_closed
    assert (incident.owner_unit, incident.due_at) == (None, None)


@then(parsers.re(f"操作被拒绝，错误代码为{Q.format('code')}"))
def refused(world: World, code: str) -> None:
    assert world.error is not None, "the step was expected to be refused"
    assert world.error.code == code
    assert world.error.message_zh
    assert world.error.message_en


ABSENT: dict[str, tuple[str, Callable[[World, str], Any]]] = {
    # code -> (an id of nothing, how that id is looked up)
    "incident_not_found": (str(uuid4()), lambda w, key: w.flow.get(UUID(key))),
    "account_not_found": ("v-nobody-here", lambda w, key: w.bank.account(key)),
    "volunteer_not_found": ("v-nobody-here", lambda w, key: w.bank.volunteers.get(key)),
    "reward_item_not_found": (str(uuid4()), lambda w, key: w.bank.item(key)),
}


@then("拒绝与查无此记录时完全相同")
def refused_as_if_absent(world: World) -> None:
    """The refusal says no more than the one for an id of nothing: the same code,
    words and details, the id asked for aside."""
    assert world.error is not None
    absent, look_up = ABSENT[world.error.code]
    with pytest.raises(DomainError) as caught:
        look_up(world, absent)
    asked = next(v for k, v in world.error.details.items() if k.endswith("_id"))
    expected = json.loads(json.dumps(caught.value.as_dict()).replace(absent, str(asked)))
    assert world.error.as_dict() == expected


@then(parsers.re(f"拒绝理由包含{Q.format('text')}"))
def refusal_says(world: World, text: str) -> None:
    assert world.error is not None
    assert text in world.error.message_zh, world.error.message_zh


@then(parsers.re(f"拒绝理由列出可执行的步骤{Q.format('steps')}"))
def refusal_lists_legal_steps(world: World, steps: str) -> None:
    assert world.error is not None
    legal = [STEPS[s].zh for s in world.error.details["legal_steps"]]
    assert legal == steps.split("、"), legal


@then("警情没有任何变化，也没有写入任何事件")
def nothing_changed(world: World) -> None:
    assert world.snapshot() == world.before


@then("承办单位和办理期限不因跟踪而改变")
def route_unchanged(world: World) -> None:
    incident = world.flow.get(world.incident)
    assert (incident.owner_unit, incident.due_at) == world.route_before


@then(parsers.re(f"时间线记录了{Q.format('text')}"))
def timeline_mentions(world: World, text: str) -> None:
    sentences = [e["sentence_zh"] for e in audit.history(world.flow.app, world.incident, AUDITOR)]
    assert any(text in s for s in sentences), sentences


@then(parsers.re(f"时间线最后一条为{Q.format('text')}"))
def timeline_ends_with(world: World, text: str) -> None:
    last = audit.history(world.flow.app, world.incident, AUDITOR)[-1]["sentence_zh"]
    assert last == text, last


@then(
    parsers.re(
        f"移交记录为：移交人(?P<who>{WHO})，接收部门{Q.format('department')}，"
        f"接收人{Q.format('receiver')}"
    )
)
def handover_record(world: World, who: str, department: str, receiver: str) -> None:
    handover = world.flow.get(world.incident).handover
    assert handover is not None
    assert (handover["from"], handover["from_unit"]) == (CAST[who].id, CAST[who].unit)
    assert (handover["department"], handover["received_by"]) == (department, receiver)
    assert handover["received_at"] is not None


@then(parsers.re(f"落办结果来源为{Q.format('source')}，来自{Q.format('origin')}"))
def outcome_source(world: World, source: str, origin: str) -> None:
    outcome = world.flow.get(world.incident).outcome
    assert outcome is not None
    assert outcome["source"] == _by_label(OutcomeSource, source)
    assert outcome["obtained_from"] == UNITS.get(origin, origin)


@then("考评尚未生效")
def score_not_effective(world: World) -> None:
    assert world.flow.get(world.incident).stage == "score_proposed"


@then(parsers.re("考评已生效，共(?P<points>\\d+)分"))
def score_effective(world: World, points: str) -> None:
    incident = world.flow.get(world.incident)
    assert incident.stage == "scored"
    assert set(incident.score["signatures"]) == {"director", "officer"}
    assert incident.score["points"] == int(points)


@then(parsers.re("义警获得(?P<points>\\d+)积分"))
def volunteer_rewarded(world: World, points: str) -> None:
    assert world.flow.get(world.incident).rewarded_points == int(points)


@then("驳回记录指向前一起警情")
def rejection_points_back(world: World) -> None:
    rejection = world.flow.get(world.incident).rejection
    assert rejection is not None
    assert rejection["related_id"] == str(world.incidents[-2])


@then(parsers.re(f"警情的发现人是(?P<who>{WHO})"))
def reporter_is(world: World, who: str) -> None:
    assert world.flow.get(world.incident).reporter_id == CAST[who].id


@then(parsers.re(f"宣传记录了脱敏审核{Q.format('review')}"))
def redaction_recorded(world: World, review: str) -> None:
    assert world.flow.get(world.incident).redaction_note == review


@then(parsers.re(f"(?P<who>{WHO})查看该警情时看不到发现人和知情人"))
def sees_neither_reporter_nor_informant(world: World, who: str) -> None:
    seen = audit.describe(world.flow.get(world.incident), CAST[who])
    assert seen["reporter_id"] == masking.MASKED
    assert seen["informant"] == {"masked": True, "shown": masking.MASKED}
    timeline = audit.history(world.flow.app, world.incident, CAST[who])
    assert all(CAST["义警小刘"].id not in str(entry) for entry in timeline)


@then(parsers.re(f"(?P<who>{WHO})查看该警情时看到知情人{Q.format('name')}"))
def sees_informant(world: World, who: str, name: str) -> None:
    seen = audit.describe(world.flow.get(world.incident), CAST[who])
    assert seen["informant"]["fields"]["name"] == name
    assert seen["reporter_id"] == CAST["义警小刘"].id


# The volunteers' and Happiness Bank's steps live beside these and share World.
from tests.bdd.bank_steps import *  # noqa: E402, F403
from tests.bdd.task_steps import *  # noqa: E402, F403
from tests.bdd.training_steps import *  # noqa: E402, F403
