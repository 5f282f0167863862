"""Runs the regulation in features/21_organisation.feature: the organisation,
log-in accounts and the roll import, through their services over one store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from aggregates.errors import DomainError
from loop import demo
from loop.bootstrap import Loop, open_loop
from loop.rules.vocabulary import LABELS, Role
from loop.services.imports import REVIEWED_OFFLINE
from tests.support import FakeClock
from tests.unit.test_roll_import import as_csv, person

scenarios("21_organisation.feature")

WHO = {"系统管理员": demo.ADMIN, "朝阳派出所民警": demo.STATION_OFFICER}
KINDS = {"派出所": "station", "社区": "community"}
ROLES = {name: value for value, name in LABELS[Role].items()}
Q = '"(?P<{}>[^"]*)"'
TRY = "(?P<attempt>试图)?"
WHO_RE = "(?P<who>系统管理员|朝阳派出所民警)"


@dataclass
class Org:
    loop: Loop
    clock: FakeClock
    before: int | None = None
    error: DomainError | None = None
    roll: list[list[str]] = field(default_factory=list)
    result: Any = None


@pytest.fixture
def org() -> Org:
    clock = FakeClock()
    loop = open_loop(clock=clock)
    demo.register_units(loop.registry)
    return Org(loop, clock)


def act(org: Org, attempt: str | None, command: Any) -> None:
    """Run ``command``; with 试图 its refusal is kept for the 那么 steps."""
    org.before = org.loop.app.recorder.max_notification_id()
    org.clock.advance(timedelta(minutes=5))
    if not attempt:
        org.result = command()
        return
    with pytest.raises(DomainError) as caught:
        command()
    org.error = caught.value


@when(
    parsers.re(
        f"{WHO_RE}登记(?P<kind>派出所|社区){Q.format('name')}，编码{Q.format('code')}，"
        f"上级{Q.format('parent')}"
    )
)
def register(org: Org, who: str, kind: str, name: str, code: str, parent: str) -> None:
    org.loop.registry.register(WHO[who], code=code, kind=KINDS[kind], parent=parent, name=name)


@when(
    parsers.re(
        f"{WHO_RE}{TRY}将单位{Q.format('code')}更名为{Q.format('name')}，理由{Q.format('reason')}"
    )
)
def rename(org: Org, who: str, attempt: str | None, code: str, name: str, reason: str) -> None:
    act(
        org,
        attempt,
        lambda: org.loop.registry.rename(WHO[who], code, name=name, reason=reason),
    )


@when(parsers.re(f"{WHO_RE}{TRY}将单位{Q.format('code')}调到{Q.format('parent')}之下"))
def move(org: Org, who: str, attempt: str | None, code: str, parent: str) -> None:
    act(org, attempt, lambda: org.loop.registry.move(WHO[who], code, parent=parent, reason="调整"))


@when(
    parsers.re(
        f"{WHO_RE}{TRY}创建账号{Q.format('username')}，姓名{Q.format('name')}，"
        f"角色{Q.format('role')}，单位{Q.format('unit')}，理由{Q.format('reason')}"
    )
)
def create_account(
    org: Org, who: str, attempt: str | None, username: str, name: str, role: str, unit: str,
    reason: str,
) -> None:  # fmt: skip
    act(
        org,
        attempt,
        lambda: org.loop.accounts.create(
            WHO[who],
            username=username,
            display_name=name,
            role=ROLES.get(role, role),
            unit=unit,
            reason=reason,
        ),
    )


@when(parsers.re(f"{WHO_RE}停用账号{Q.format('username')}，理由{Q.format('reason')}"))
def disable(org: Org, who: str, username: str, reason: str) -> None:
    org.clock.advance(timedelta(minutes=5))
    org.loop.accounts.disable(WHO[who], username, reason=reason)


@then(parsers.re(f"单位{Q.format('code')}现名{Q.format('now')}，登记时名为{Q.format('then')}"))
def names(org: Org, code: str, now: str, then: str) -> None:
    tree = org.loop.registry.tree()
    unit = tree.get(code)
    assert unit is not None
    assert tree.name(code) == now
    assert tree.name(code, at=unit.registered_at) == then


@then(parsers.re(f"单位{Q.format('code')}的历史依次为：(?P<steps>.+)，均由系统管理员办理"))
def unit_history(org: Org, code: str, steps: str) -> None:
    history = org.loop.registry.history(code)
    words = {"登记": "UnitRegistered", "更名": "UnitRenamed"}
    assert [e["event"] for e in history] == [words[s] for s in steps.split("、")]
    assert {e["actor"]["id"] for e in history} == {demo.ADMIN.id}
    assert "「东风社区」" in history[0]["sentence_zh"]


@then(parsers.re(f"操作被拒绝，代码{Q.format('code')}，没有写入任何事件"))
def refused(org: Org, code: str) -> None:
    assert org.error is not None
    assert org.error.code == code
    assert org.error.message_zh
    assert org.error.message_en
    assert org.loop.app.recorder.max_notification_id() == org.before


@then(parsers.re(f"账号{Q.format('username')}已停用"))
def is_disabled(org: Org, username: str) -> None:
    assert org.loop.accounts.get(username).disabled


@then(parsers.re(f"账号{Q.format('username')}的历史依次为：(?P<steps>.+)，均由系统管理员办理"))
def account_history(org: Org, username: str, steps: str) -> None:
    history = org.loop.accounts.history(username)
    told = [e["sentence_zh"] for e in history]
    expected = steps.split("、")
    assert len(told) == len(expected)
    for sentence, step in zip(told, expected, strict=True):
        assert sentence.startswith(step), (sentence, step)
    assert {e["actor"]["id"] for e in history} == {demo.ADMIN.id}


@given(parsers.re("一份(?P<n>\\d+)人的义警名册(?P<faults>.*)"))
def roll(org: Org, n: str, faults: str) -> None:
    org.roll = [person(i) for i in range(1, int(n) + 1)]
    if "校验位错误" in faults:
        number = org.roll[1][3]
        org.roll[1][3] = number[:-1] + ("0" if number[-1] != "0" else "1")
    if "飞行员" in faults:
        org.roll[2][6] = "飞行员"


@when(parsers.re(f"{WHO_RE}试运行导入这份名册"))
def check_roll(org: Org, who: str) -> None:
    org.before = org.loop.app.recorder.max_notification_id()
    org.result = org.loop.imports.check(WHO[who], as_csv(org.roll), "名册.csv")


@when(parsers.re(f"{WHO_RE}(?:再次)?导入这份名册"))
def import_roll(org: Org, who: str) -> None:
    org.before = org.loop.app.recorder.max_notification_id()
    org.result = org.loop.imports.run(WHO[who], as_csv(org.roll), "名册.csv")


@then(parsers.re("试运行报告(?P<expected>.+)"))
def report(org: Org, expected: str) -> None:
    found = {(p.row, p.column) for p in org.result.problems}
    assert found == {(3, "身份证号"), (4, "职业")}, found
    for p in org.result.problems:
        assert f'第{p.row}行"{p.column}"有误' in expected


@then("没有写入任何事件")
def nothing_written(org: Org) -> None:
    assert org.loop.app.recorder.max_notification_id() == org.before


@then(parsers.re(f"(?P<n>\\d+)名义警已入队，联合审核记为{Q.format('note')}，由系统管理员办理"))
def admitted(org: Org, n: str, note: str) -> None:
    assert org.result.imported == int(n)
    assert REVIEWED_OFFLINE.startswith(note)
    for row in org.roll:
        volunteer = org.loop.volunteers.get(row[0])
        assert volunteer.status == "active"
        assert {r["by"] for r in volunteer.reviews.values()} == {demo.ADMIN.id}
        assert {r["note"] for r in volunteer.reviews.values()} == {REVIEWED_OFFLINE}


@then(parsers.re("新导入(?P<new>\\d+)人，已登记(?P<existing>\\d+)人"))
def again(org: Org, new: str, existing: str) -> None:
    assert (org.result.imported, org.result.existing) == (int(new), int(existing))
    assert org.loop.app.recorder.max_notification_id() == org.before
