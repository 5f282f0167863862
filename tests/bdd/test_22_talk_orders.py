"""Runs the policy in features/22_talk_orders.feature: the talk menu, orders,
the station's answers, scheduling as a duty task, delivery and rating, on the
services over an in-memory store and a clock the scenarios move."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.talk_order import STATUSES, TalkOrder
from loop import demo
from loop.bootstrap import Loop, open_loop
from loop.rules.scoring import FUPING_SCORING
from loop.rules.talks import FORMATS, THEMES
from loop.services.lookup import find_account
from loop.services.talk_links import TalkLinks
from loop.services.talk_views import order_seen, speaker_pool
from loop.services.talks import OrderAck, Talks
from tests.support import CHINA, FakeClock
from tests.talk_helpers import STATION, talks_of

scenarios("22_talk_orders.feature")

SPEAKERS = {"小刘": demo.RIDER.id, "小陈": demo.COURIER.id, "小周": demo.METER.id}
ORDERERS = {"幸福村村委会": demo.XINGFU, "和平社区居委会": demo.HEPING, "幸福村小学": demo.XINGFU}
KIND_OF = {"幸福村小学": "school"}
THEME_OF = {zh: code for code, zh in THEMES.items()}
FORMAT_OF = {zh: code for code, zh in FORMATS.items()}


@dataclass
class Talk:
    loop: Loop
    talks: Talks
    links: TalkLinks
    items: dict[str, str] = field(default_factory=dict)  # theme label -> item id
    orders: list[OrderAck] = field(default_factory=list)
    link: str | None = None  # the orderer's latest managing link
    rating: str | None = None
    task_of: dict[str, str] = field(default_factory=dict)  # speaker -> task id
    balance: dict[str, int] = field(default_factory=dict)
    refusal: DomainError | None = None
    before: int | None = None
    names: dict[str, str] = field(default_factory=lambda: dict(SPEAKERS))  # name -> speaker

    @property
    def order_id(self) -> str:
        return self.orders[-1].order_id

    def attempt(self, command: Callable[[], Any]) -> Any:
        self.before = self.loop.app.recorder.max_notification_id()
        self.refusal = None
        try:
            return command()
        except DomainError as refused:
            self.refusal = refused
            return None


@pytest.fixture
def talk() -> Talk:
    loop = open_loop(clock=FakeClock(), scoring=FUPING_SCORING)
    demo.enrol(loop.incidents)
    talks, links = talks_of(loop)
    return Talk(loop, talks, links)


def _day(month: int, day: int) -> date:
    return date(2026, month, day)


def _at(month: int, day: int, clock: str) -> datetime:
    hour, minute = clock.split(":")
    return datetime(2026, month, day, int(hour), int(minute), tzinfo=CHINA)


@given(
    parsers.parse('朝阳派出所的宣讲菜单上有"{theme}"的"{form}"，{minutes:d}分钟，宣讲人为{names}')
)
def menu_item(talk: Talk, theme: str, form: str, minutes: int, names: str) -> None:
    talk.items[theme] = talk.talks.offer(
        STATION,
        theme=THEME_OF[theme],
        title=theme,
        format=FORMAT_OF[form],
        minutes=minutes,
        audience="赶集群众",
        speakers=[SPEAKERS[n] for n in names.split("、")],
    ).item_id


@when(parsers.parse('朝阳派出所把"{theme}"以"{form}"的形式放上宣讲菜单'))
def put_on_menu(talk: Talk, theme: str, form: str) -> None:
    talk.items[theme] = talk.talks.offer(
        STATION, theme=THEME_OF[theme], title=theme, format=FORMAT_OF[form], minutes=90,
        audience="村民", speakers=[demo.METER.id],
    ).item_id  # fmt: skip


@then(parsers.parse('朝阳派出所的宣讲菜单上有"{theme}"，栏目为"{form}"'))
def on_menu(talk: Talk, theme: str, form: str) -> None:
    menu = talk.talks.menu(demo.STATION)
    assert menu is not None
    item = menu.items[talk.items[theme]]
    assert (item["theme"], item["format"]) == (THEME_OF[theme], FORMAT_OF[form])


ORDER = '{who}点单"{theme}"，{m1:d}月{d1:d}日至{m2:d}月{d2:d}日，地点"{place}"，电话"{phone}"'


def _order(talk: Talk, who: str, theme: str, m1: int, d1: int, m2: int, d2: int,
           place: str, phone: str) -> None:  # fmt: skip
    community = ORDERERS[who]
    placed = talk.talks.order(
        Actor("public_form", "resident", community),
        unit=demo.STATION,
        item_id=talk.items[theme],
        community=community,
        orderer_kind=KIND_OF.get(who, "village_committee"),
        window_from=_day(m1, d1).isoformat(),
        window_to=_day(m2, d2).isoformat(),
        name=who,
        phone=phone,
        place=place,
    )
    talk.orders.append(placed)
    talk.link = placed.link


@given(parsers.parse(ORDER))
@when(parsers.parse(ORDER))
def order(talk: Talk, who: str, theme: str, m1: int, d1: int, m2: int, d2: int, place: str,
          phone: str) -> None:  # fmt: skip
    _order(talk, who, theme, m1, d1, m2, d2, place, phone)


@then(parsers.parse('宣讲订单的状态为"{status}"'))
def status_is(talk: Talk, status: str) -> None:
    assert order_seen(talk.talks, STATION, talk.order_id)["status_zh"] == status


@then("朝阳派出所看不到点单的地点和电话")
def hidden(talk: Talk) -> None:
    seen = order_seen(talk.talks, STATION, talk.order_id)
    assert (seen["place"], seen["contact"]) == (None, None)


@then(parsers.parse('朝阳派出所看到点单的地点"{place}"和电话"{phone}"'))
def shown(talk: Talk, place: str, phone: str) -> None:
    seen = order_seen(talk.talks, STATION, talk.order_id)
    assert (seen["place"], seen["contact"]["phone"]) == (place, phone)


@given("朝阳派出所接单")
@when("朝阳派出所接单")
def accept(talk: Talk) -> None:
    talk.talks.accept(STATION, talk.order_id)


@when(parsers.re('朝阳派出所婉拒宣讲订单，原因为"(?P<reason>[^"]*)"'))
def decline(talk: Talk, reason: str) -> None:
    talk.attempt(lambda: talk.talks.decline(STATION, talk.order_id, reason=reason))


@then(parsers.parse('宣讲被拒绝，错误代码为"{code}"，且没有写入任何记录'))
def refused(talk: Talk, code: str) -> None:
    assert talk.refusal is not None, "the command was not refused"
    assert talk.refusal.code == code
    assert talk.refusal.message_zh
    assert talk.refusal.message_en
    assert talk.loop.app.recorder.max_notification_id() == talk.before


@then(parsers.parse('点单人凭专属链接看到状态"{status}"和原因"{reason}"'))
def orderer_sees(talk: Talk, status: str, reason: str) -> None:
    page = talk.links.shown(talk.link)
    assert (page["status_zh"], page["reason"]) == (status, reason)


@given(parsers.parse("朝阳派出所安排{names}在{month:d}月{day:d}日{clock}宣讲"))
@when(parsers.parse("朝阳派出所安排{names}在{month:d}月{day:d}日{clock}宣讲"))
def schedule(talk: Talk, names: str, month: int, day: int, clock: str) -> None:
    speakers = [talk.names.get(n, "outside:000000000000") for n in names.split("、")]
    done = talk.attempt(
        lambda: talk.talks.schedule(
            STATION, talk.order_id, starts_at=_at(month, day, clock), speakers=speakers
        )
    )
    if done is not None:
        talk.task_of.update(dict.fromkeys(names.split("、"), done.task_id))
        talk.task_of = {n: t for n, t in talk.task_of.items() if t is not None}


@when(parsers.parse("点单人凭专属链接改期到{m1:d}月{d1:d}日至{m2:d}月{d2:d}日"))
def reschedule(talk: Talk, m1: int, d1: int, m2: int, d2: int) -> None:
    moved = talk.links.reschedule(
        talk.link, window_from=_day(m1, d1).isoformat(), window_to=_day(m2, d2).isoformat()
    )
    talk.link = moved.link


@then(parsers.parse('仍只有{n:d}张宣讲订单，状态为"{status}"'))
def one_order(talk: Talk, n: int, status: str) -> None:
    placed = [
        r for r in talk.loop.app.recorder.select_notifications(1, 100_000)
        if r.topic.endswith(":TalkOrder.Placed")
    ]  # fmt: skip
    assert len(placed) == n
    assert STATUSES[talk.talks.get(talk.order_id).status] == status


@then(parsers.parse("{name}{month:d}月{day:d}日的宣讲任务已取消"))
def task_cancelled(talk: Talk, name: str, month: int, day: int) -> None:
    task = talk.loop.tasks.get(talk.task_of[name])
    assert task.status == "cancelled"
    assert task.starts_at.astimezone(CHINA).date() == _day(month, day)
    roster = talk.loop.tasks.roster(SPEAKERS[name], STATION, talk.loop.app.clock())
    assert str(task.id) not in roster.bookings


@given(parsers.parse("{name}在宣讲现场签到，{minutes:d}分钟后签退"))
@when(parsers.parse("{name}在宣讲现场签到，{minutes:d}分钟后签退"))
def attends(talk: Talk, name: str, minutes: int) -> None:
    task = talk.loop.tasks.get(talk.task_of[name])
    account = find_account(talk.loop.app, SPEAKERS[name])
    assert account is not None
    talk.balance[name] = account.balance
    talk.loop.app.clock.now = task.starts_at  # type: ignore[attr-defined]
    talk.loop.tasks.check_in(STATION, task.id, SPEAKERS[name])
    talk.loop.app.clock.now = task.starts_at + timedelta(minutes=minutes)  # type: ignore[attr-defined]
    talk.loop.tasks.check_out(STATION, task.id, SPEAKERS[name])


DELIVER = '登记宣讲：覆盖{reach:d}人次，现场答疑{questions:d}个，群众点题"{topic}"{count:d}次'


def _deliver(talk: Talk, reach: int, questions: int, topic: str, count: int) -> None:
    done = talk.attempt(
        lambda: talk.talks.deliver(
            STATION, talk.order_id, reach=reach, questions=questions,
            topics_on_site={topic: count},
        )
    )  # fmt: skip
    if done is not None:
        talk.rating = done.link


@given(parsers.parse("朝阳派出所" + DELIVER))
@when(parsers.parse("朝阳派出所" + DELIVER))
def deliver(talk: Talk, reach: int, questions: int, topic: str, count: int) -> None:
    _deliver(talk, reach, questions, topic, count)


@when(parsers.parse("朝阳派出所再次" + DELIVER))
def deliver_again(talk: Talk, reach: int, questions: int, topic: str, count: int) -> None:
    _deliver(talk, reach, questions, topic, count)


@then(parsers.parse("{name}因这场宣讲获得积分一次"))
def earned_once(talk: Talk, name: str) -> None:
    task = talk.loop.tasks.get(talk.task_of[name])
    account = find_account(talk.loop.app, SPEAKERS[name])
    assert account is not None
    assert account.balance == talk.balance[name] + task.points
    order = talk.talks.get(talk.order_id)
    assert isinstance(order, TalkOrder)
    assert order.delivery is not None
    assert order.delivery["topics_on_site"]


@when(parsers.parse("点单人一键评价{stars:d}星"))
def rate(talk: Talk, stars: int) -> None:
    talk.attempt(lambda: talk.links.rate(talk.rating, stars=stars))


@when(parsers.parse("点单人再次用同一链接评价{stars:d}星"))
def rate_again(talk: Talk, stars: int) -> None:
    talk.attempt(lambda: talk.links.rate(talk.rating, stars=stars))


@then("朝阳派出所有一条待回访的差评")
def follow_up_open(talk: Talk) -> None:
    assert order_seen(talk.talks, STATION, talk.order_id)["follow_up"] == "open"


@given(parsers.parse("过了{days:d}天"))
def days_pass(talk: Talk, days: int) -> None:
    talk.loop.app.clock.advance(timedelta(days=days))  # type: ignore[attr-defined]


# -- police and outside speakers ---------------------------------------------------------------


@given(parsers.parse("朝阳派出所把社区民警{name}（账号{username}）登记为宣讲人"))
def register_police(talk: Talk, name: str, username: str) -> None:
    demo.register_units(talk.loop.registry)
    talk.loop.accounts.create(
        demo.ADMIN, username=username, role="community_officer", unit=demo.XINGFU
    )
    talk.names[name] = talk.talks.speakers.register(STATION, kind="staff", account=username).speaker


@given(parsers.parse('朝阳派出所把{school}的{name}登记为宣讲人，兼任"{serves}"的法治副校长'))
def register_teacher(talk: Talk, school: str, name: str, serves: str) -> None:
    talk.names[name] = talk.talks.speakers.register(
        STATION, kind="outside", name=name, organisation=school, vice_principal_of=serves
    ).speaker


@given(parsers.parse('朝阳派出所把"{theme}"以"{form}"的形式放上宣讲菜单，宣讲人为{names}'))
def put_on_menu_with(talk: Talk, theme: str, form: str, names: str) -> None:
    talk.items[theme] = talk.talks.offer(
        STATION, theme=THEME_OF[theme], title=theme, format=FORMAT_OF[form], minutes=60,
        audience="师生", speakers=[talk.names[n] for n in names.split("、")],
    ).item_id  # fmt: skip


@then(parsers.parse("宣讲任务上只有{name}一人报名"))
def only_volunteer_on_task(talk: Talk, name: str) -> None:
    task = talk.loop.tasks.get(talk.task_of[name])
    assert list(task.booked) == [SPEAKERS[name]]


@then(parsers.parse("{one}和{two}各记宣讲{n:d}场，没有积分"))
def spoke_without_points(talk: Talk, one: str, two: str, n: int) -> None:
    for name in (one, two):
        held = talk.talks.speakers.find(talk.names[name])
        assert held is not None
        assert held.spoke == [talk.order_id] * n
        assert find_account(talk.loop.app, talk.names[name]) is None


@then(parsers.parse("排期时建议的宣讲人依次为{names}，{first}标为本校法治副校长"))
def suggested_first(talk: Talk, names: str, first: str) -> None:
    pool = speaker_pool(talk.talks, STATION, talk.order_id)
    assert [p["speaker"] for p in pool] == [talk.names[n] for n in names.split("、")]
    assert [p["speaker"] for p in pool if p["suggested"]] == [talk.names[first]]


@given(parsers.parse("{name}没有登记为宣讲人"))
def not_registered(talk: Talk, name: str) -> None:
    assert name not in talk.names


@given(parsers.parse("{name}已退出宣讲队"))
def retired(talk: Talk, name: str) -> None:
    talk.talks.speakers.retire(STATION, talk.names[name], reason="调离")


@given(parsers.parse("{name}的民警账号已停用"))
def disabled(talk: Talk, name: str) -> None:
    username = talk.names[name].removeprefix("staff:")
    talk.loop.accounts.disable(demo.ADMIN, username, reason="调离公安机关")
