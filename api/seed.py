"""Demo data on first start: 朝阳派出所, its two communities, squads of the seven
occupations, tens of volunteers, incidents in every stage, and a log-in for
each person, all made with the same commands the API runs. With ``demo_year``
(``make run``) the events are a year of the county's history instead
(``loop.demo_year``), the same people and log-ins.

First start survives a kill at any point. The demo's events are stored in one
transaction together with a marker (a key record, ``SEEDED_EVENTS``), so they
are all there or none; the log-ins are then made one by one, each skipped if it
exists; a last marker (``SEEDED``) says the demo is complete. A start that finds
no ``SEEDED`` picks up where the last one stopped, before it serves anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from uuid import UUID

from eventsourcing.persistence import RecordConflictError

from aggregates.actor import Actor
from aggregates.errors import DomainError
from api.services import Services
from loop import demo, demo_year
from loop.demo_year.people import admit, extra_volunteers
from loop.services.incidents import IncidentFlow
from loop.storage.command_keys import KeyRecord

log = logging.getLogger(__name__)

DEMO_PASSWORD = "lishu-demo-2026"
"""Every demo account's password: public, so it logs in only in demo mode."""

STAFF = [
    (demo.OFFICER_XF, "李警官（幸福社区民警）"),
    (demo.AUXILIARY_XF, "杨辅警（幸福社区）"),
    (demo.CADRE_XF, "孙干部（幸福社区）"),
    (demo.DIRECTOR_XF, "赵主任（幸福社区）"),
    (demo.OFFICER_HP, "张警官（和平社区民警）"),
    (demo.CADRE_HP, "何干部（和平社区）"),
    (demo.DIRECTOR_HP, "吕主任（和平社区）"),
    (demo.STATION_OFFICER, "王警官（朝阳派出所）"),
    (demo.COUNTY_OFFICER, "高警官（县局指挥中心）"),
    (demo.PUBLICITY, "钱干事（县局宣传科）"),
    (Actor("au-ls-ma", "auditor", demo.COUNTY), "马审计（县局）"),
    (Actor("admin", "admin", demo.COUNTY), "系统管理员"),
]
VOLUNTEERS = [
    (demo.RIDER, "刘某（外卖员）"),
    (demo.COURIER, "陈某（快递员）"),
    (demo.METER, "周某（抄表员）"),
    (demo.TAXI, "吴某（出租车司机）"),
    (demo.SWEEPER, "郑某（环卫工人）"),
]
SEEDED_EVENTS = "lishu:demo:events"
"""The key record stored with the demo's events, in their transaction."""
SEEDED = "lishu:demo:complete"
"""The key record stored once every demo log-in exists."""
STAGES = ("start", "events", "events-stored", "accounts", "accounts-made", "complete")
"""The points of first start that :func:`seed_if_empty` reports reaching."""
SOME_ACCOUNTS = 3


def enrol_extra(flow: IncidentFlow) -> list[Actor]:
    """Two dozen more volunteers (``loop.demo_year.extra_volunteers``), admitted now."""
    admitted = []
    for n, (person, name, occupation) in enumerate(extra_volunteers(), start=100):
        admit(flow, person, name, occupation, n)
        admitted.append(person)
    return admitted


def more_stages(flow: IncidentFlow, people: list[Actor]) -> None:
    """Incidents left in the stages the demo's branches pass through."""
    xf = [p for p in people if p.unit == demo.XINGFU]
    hp = [p for p in people if p.unit == demo.HEPING]

    def new(actor: Actor, module: str, what: str, where: str) -> UUID:
        ack = flow.report_new(
            actor, channel="app", module=module, sense="seen", what=what, where=where
        )
        return UUID(ack.incident_id)

    flow.discover(
        xf[0],
        module="information_collection",
        sense="heard",
        what="出租屋新入住人员未登记",
        where="幸福小区9栋",
    )
    i = new(xf[1], "anti_fraud", "有人在小区门口推销“高回报理财”", "幸福小区南门")
    flow.take("escalate", demo.OFFICER_XF, i, reason="疑似非法集资，需派出所调查")
    i = new(hp[0], "hazard_screening", "楼道堆放大量杂物，堵塞消防通道", "和平小区2栋")
    flow.take("divert", demo.OFFICER_HP, i, reason="属物业和消防管理事项")
    i = new(hp[1], "dispute_screening", "两摊贩因占道经营发生口角", "和平市场")
    flow.take("accept", demo.OFFICER_HP, i)
    flow.take("record_outcome", demo.OFFICER_HP, i, summary="民警现场调解，双方握手言和")
    i = new(xf[2], "traffic_safety", "学校门口护栏损坏", "幸福小学门口")
    flow.take("accept", demo.OFFICER_XF, i)
    flow.take("record_outcome", demo.OFFICER_XF, i, summary="已通知交警修复护栏并设置提示")
    flow.take(
        "propose_score",
        demo.CADRE_XF,
        i,
        items=[{"item": "交通安全隐患", "points": 10}],
        basis="发现及时",
    )
    flow.take("sign_score", demo.DIRECTOR_XF, i)
    flow.take("sign_score", demo.OFFICER_XF, i)
    for n, person in enumerate(people[:8]):
        cadre, director, officer = demo.DIRECTORS[person.unit]
        i = new(
            person, "patrol_prevention", f"夜间巡逻发现单元门禁损坏（{n + 1}）", f"小区{n + 1}号楼"
        )
        flow.take("accept", officer, i)
        flow.take("record_outcome", officer, i, summary="已联系物业修复门禁")
        flow.take(
            "propose_score",
            cadre,
            i,
            items=[{"item": "巡逻防范", "points": 5 + n}],
            basis="巡逻发现",
        )
        flow.take("sign_score", director, i)
        flow.take("sign_score", officer, i)
        flow.take("reward", officer, i)
        if n == 0:
            flow.take(
                "publicize",
                demo.PUBLICITY,
                i,
                title="义警夜巡发现门禁隐患",
                redaction_note="已核对，不含个人信息",
            )


def accounts_for(
    services: Services, people: list[Actor], reached: Callable[[str], None] = lambda _: None
) -> None:
    """Every demo log-in that does not exist yet (another process may be making
    them too: one it made first is left as it is)."""
    named = [*STAFF, *VOLUNTEERS, *((p, p.id) for p in people)]
    made = 0
    for actor, display in named:
        if not services.accounts.exists(actor.id):
            try:
                create(services, actor, display)
            except DomainError:  # another process made it first
                if not services.accounts.exists(actor.id):
                    raise
            made += 1
            if made == SOME_ACCOUNTS:
                reached("accounts")


def create(services: Services, actor: Actor, display: str) -> None:
    services.accounts.create(
        actor.id,
        DEMO_PASSWORD,
        role=actor.role,
        unit=actor.unit,
        display_name=display,
        operator=demo.ADMIN,
        must_change_password=False,
        reason="演示账号 a demo log-in",
    )


def seed_events(services: Services, reached: Callable[[str], None]) -> None:
    """The demo's events, with the ``SEEDED_EVENTS`` marker, in one transaction;
    nothing if another process stored them first."""
    app = services.flow.app
    marker = KeyRecord(SEEDED_EVENTS, "demo", "{}", None)
    try:
        with app.one_transaction(marker):
            if services.settings.demo_year:  # make run: a year of history until now
                demo_year.generate(services.loop, end=app.clock())
                reached("events")
            else:
                demo.register_units(services.loop.registry)
                demo.run(services.flow)
                reached("events")
                more_stages(services.flow, enrol_extra(services.flow))
    except RecordConflictError:
        if not app.kept_answers([SEEDED_EVENTS]):
            raise


def seed_if_empty(services: Services, reached: Callable[[str], None] = lambda _: None) -> bool:
    """Seed the demo on an empty database, or finish a seeding that was stopped;
    whether it did anything. ``reached`` is told each stage of :data:`STAGES` as it
    is reached (tests stop the process there).

    A database with events but no marker (seeded before the markers, or not a demo)
    gets the named log-ins only if it has no account at all, as it always did."""
    app = services.flow.app
    if app.kept_answers([SEEDED]):
        return False
    reached("start")
    people = [person for person, _, _ in extra_volunteers()]
    if not app.kept_answers([SEEDED_EVENTS]):
        if app.recorder.max_notification_id() is None:
            seed_events(services, reached)
        elif services.views.projector.catch_up(["accounts"]) >= 0 and services.accounts.count():
            return False
        else:
            people = []
    reached("events-stored")
    if not len(services.loop.registry.tree()):  # a store from before the registry
        demo.register_units(services.loop.registry)
    accounts_for(services, people, reached)
    reached("accounts-made")
    with suppress(RecordConflictError):  # another process finished it too
        app.keep_records(KeyRecord(SEEDED, "demo", "{}", None))
    reached("complete")
    log.info("demo data seeded; every demo account's password is %s", DEMO_PASSWORD)
    return True
