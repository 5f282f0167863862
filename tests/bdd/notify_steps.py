"""Step definitions for alerts, the inbox and notices (features 14, 15 and 16).

Import them into a scenario module with ``from tests.bdd.notify_steps import *``.
Every read first lets the clock look at the scenario's time once, as the
running clock does every second, then reads the inbox from the read models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from pytest_bdd import parsers, then

from aggregates.volunteer import TEAMS
from loop.demo import UNIT_NAMES
from loop.rules.alerts import KIND_LABELS, words
from loop.services.notices import Notices
from projections.notifications.clock import Clock
from projections.notifications.inbox import Inbox, Reader
from tests.bdd.conftest import CAST, TRY, UNITS, WHO, World, action
from tests.bdd.projection_steps import *  # noqa: F403 (time passing, the views fixture)
from tests.bdd.projection_steps import Views

Q = '"(?P<{}>[^"]*)"'
TEAM_NAMES = {name: key for key, name in TEAMS.items()}


@dataclass
class Told:
    """The clock and the inbox over the scenario's read models."""

    world: World
    views: Views
    notices: list[str] = field(default_factory=list)
    clock: Clock | None = None

    def tick(self) -> None:
        built = self.views.over(self.world)
        if self.clock is None or self.clock.projector is not built.projector:
            self.clock = Clock(built.projector, now=self.world.clock)
        self.clock.tick()

    def entries(self, who: str) -> list[dict[str, Any]]:
        self.tick()
        actor = CAST[who]
        inbox = Inbox(self.views.over(self.world).projector)
        found = inbox.entries(Reader(actor.id, actor.role, actor.unit), now=self.world.clock())
        return list(reversed(found))

    @property
    def notice(self) -> str:
        assert self.notices, "no notice in this scenario yet"
        return self.notices[-1]


@pytest.fixture
def told(world: World, views: Views) -> Told:
    return Told(world, views)


def _kinds(told: Told, who: str) -> list[str]:
    return [
        KIND_LABELS[e["kind"]][0]
        for e in told.entries(who)
        if e["subject_id"] == str(told.world.incident)
    ]


# -- the clock and the inbox -------------------------------------------------------------------


@action("时钟又检查了(?P<n>\\d+)次")
def clock_checks(told: Told, n: str) -> None:
    for _ in range(int(n)):
        told.tick()


@then(parsers.re(f"(?P<who>{WHO})收到关于该警情的提醒{Q.format('kinds')}"))
def alerted(told: Told, who: str, kinds: str) -> None:
    assert _kinds(told, who) == kinds.split("、")


@then(parsers.re(f"(?P<who>{WHO})没有收到关于该警情的提醒"))
def not_alerted(told: Told, who: str) -> None:
    assert _kinds(told, who) == []


@then(parsers.re(f"(?P<who>{WHO})收到的最后一条消息包含{Q.format('text')}"))
def last_message_says(told: Told, who: str, text: str) -> None:
    last = told.entries(who)[-1]
    said = words(last["kind"], last["params"], lambda unit: UNIT_NAMES.get(unit, unit))[1]
    assert text in said, said


# -- notices -------------------------------------------------------------------------------------


@action(
    f"{{who}}{TRY}向{Q.format('unit')}的(?P<whom>义警|{'|'.join(TEAM_NAMES)})"
    f"发布要求确认的通知{Q.format('title')}"
)
def publish(
    world: World, told: Told, who: str, attempt: str | None, unit: str, whom: str, title: str
) -> None:
    audience: dict[str, list[str]] = {"units": [UNITS[unit]], "roles": ["volunteer"]}
    if whom in TEAM_NAMES:
        audience["teams"] = [TEAM_NAMES[whom]]
    service = Notices(world.flow.app)
    world.act(
        attempt,
        lambda: service.publish(
            CAST[who],
            title=title,
            body=f"{title}：请按要求参加，并在收到后确认。",
            audience=audience,
            requires_ack=True,
            priority="important",
        ),
    )
    if not attempt:
        told.notices.append(world.result.notice_id)


@action(f"{{who}}{TRY}确认该通知")
def acknowledge(world: World, told: Told, who: str, attempt: str | None) -> None:
    world.act(attempt, lambda: Notices(world.flow.app).acknowledge(CAST[who], told.notice))


@action(f"{{who}}{TRY}以{Q.format('reason')}为由撤回该通知")
def revoke(world: World, told: Told, who: str, attempt: str | None, reason: str) -> None:
    world.act(
        attempt, lambda: Notices(world.flow.app).revoke(CAST[who], told.notice, reason=reason)
    )


@then(parsers.re(f"该通知的确认名单为{Q.format('names')}"))
def acknowledged_by(told: Told, names: str) -> None:
    told.tick()
    shown = Inbox(told.views.over(told.world).projector).notice(told.notice)
    assert shown is not None
    by_id = {actor.id: name for name, actor in CAST.items()}
    assert "、".join(by_id[a["person_id"]] for a in shown["acknowledgements"]) == names


@then(parsers.re(f"(?P<who>{WHO})的收件箱(?P<has>有|没有)通知{Q.format('title')}"))
def inbox_holds_notice(told: Told, who: str, has: str, title: str) -> None:
    titles = [e["params"].get("title") for e in told.entries(who) if e["kind"] == "notice"]
    assert (title in titles) is (has == "有"), titles


@then(parsers.re(f"(?P<who>{WHO})收到(?P<n>\\d+)条{Q.format('kind')}"))
def told_n_times(told: Told, who: str, n: str, kind: str) -> None:
    kinds = [KIND_LABELS[e["kind"]][0] for e in told.entries(who)]
    assert kinds.count(kind) == int(n), kinds


@then("没有写入任何事件")
def nothing_written(world: World) -> None:
    assert world.snapshot() == world.before
