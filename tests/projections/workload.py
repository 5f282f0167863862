"""A long random workload: many incidents through random legal steps, with the
Happiness Bank ledger entries a reward leads to, on a clock that moves minutes
to days between commands (so deadlines pass and months turn)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError

from loop import demo
from loop.flow import IncidentFlow
from tests.projections.bank import PointsAccount, Volunteer
from tests.support import CHINA, FakeClock

OFFICIALS = [
    demo.OFFICER_XF,
    demo.OFFICER_HP,
    demo.CADRE_XF,
    demo.DIRECTOR_XF,
    demo.CADRE_HP,
    demo.DIRECTOR_HP,
    demo.STATION_OFFICER,
    demo.COUNTY_OFFICER,
    demo.PUBLICITY,
]
VOLUNTEERS = [demo.RIDER, demo.COURIER, demo.METER, demo.TAXI, demo.SWEEPER]
MODULES = [
    "dispute_screening",
    "information_collection",
    "anti_fraud",
    "hazard_screening",
    "traffic_safety",
    "patrol_prevention",
]
METHODS = {"return": "return_", "close": "close_incident"}
PAYLOAD: dict[str, dict[str, Any]] = {
    "escalate": {"reason": "警力不足"},
    "return": {"reason": "属社区处置范围"},
    "divert": {"reason": "非公安管辖"},
    "hand_over": {"department": "县住建局", "received_by": "刘科长"},
    "chase": {"asked": "派出所", "answer": "正在处理"},
    "record_outcome": {"summary": "已处置"},
    "confirm_self_handled": {"summary": "劝导有效"},
    "publicize": {"title": "典型案例"},
    "reject": {"kind": "unfounded", "reason": "查无实据"},
}


def period(flow: IncidentFlow) -> str:
    now = flow.clock().astimezone(CHINA)
    return f"{now.year}-{now.month:02d}"


def run(flow: IncidentFlow, clock: FakeClock, *, incidents: int, seed: int) -> int:
    """Drive ``incidents`` incidents through random allowed steps; returns the
    number of commands that succeeded."""
    rng = random.Random(seed)
    accounts: dict[str, PointsAccount] = {}
    done = 0
    for volunteer in VOLUNTEERS:
        if volunteer.id in flow.recorder.__dict__.setdefault("_joined", set()):
            continue
        flow.recorder.__dict__["_joined"].add(volunteer.id)
        joined = Volunteer.apply_to_join(
            demo.CADRE_XF, clock(), volunteer.id, volunteer.unit, "外卖员"
        )
        joined.record(
            Volunteer.Admitted,
            demo.CADRE_XF,
            clock(),
            archive_no="A1",
            letter_no="L1",
            armband_no="B1",
            squad="外卖员",
        )
        flow.save(joined)
    open_ids: list[UUID] = []
    made = 0
    while made < incidents or open_ids:
        clock.advance(timedelta(minutes=rng.choice([1, 5, 30, 120, 60 * 20, 60 * 24 * 3])))
        if made < incidents and (not open_ids or rng.random() < 0.3):
            reporter = rng.choice(VOLUNTEERS)
            ack = flow.report_new(
                reporter,
                channel="app",
                module=rng.choice(MODULES),
                sense="seen",
                what=f"隐患{made}",
                where="幸福路",
                self_handled_note="当场劝导" if rng.random() < 0.15 else None,
            )
            open_ids.append(UUID(ack.incident_id))
            made += 1
            done += 1
            continue
        incident_id = rng.choice(open_ids)
        incident = flow.get(incident_id)
        options = [(a, s) for a in OFFICIALS for s in flow.allowed_steps(a, incident_id)]
        if not options or rng.random() < 0.05:  # some incidents stay open
            open_ids.remove(incident_id)
            continue
        actor, step = rng.choice(options)
        payload = dict(PAYLOAD.get(step, {}))
        if step == "propose_score":
            payload = {
                "items": [{"item": "发现隐患", "points": rng.randint(1, 40)}],
                "basis": "考评",
            }
        getattr(flow, METHODS.get(step, step))(actor, incident_id, **payload)
        done += 1
        if step == "reward":
            _deposit(flow, accounts, incident.reporter_id, incident.community, incident_id, rng)
        if flow.get(incident_id).is_closed:
            open_ids.remove(incident_id)
    return done


def _deposit(
    flow: IncidentFlow,
    accounts: dict[str, PointsAccount],
    volunteer_id: str,
    community: str,
    incident_id: UUID,
    rng: random.Random,
) -> None:
    officer = demo.OFFICER_XF
    at = flow.clock()
    account = accounts.get(volunteer_id)
    if account is None:
        try:
            account = flow.repository.get(uuid5(NAMESPACE_URL, f"lishu:account:{volunteer_id}"))
        except AggregateNotFoundError:
            account = PointsAccount.open(officer, at, volunteer_id, community)
        accounts[volunteer_id] = account
    points = flow.get(incident_id).rewarded_points or 0
    month = period(flow)
    account.record(
        PointsAccount.Deposited,
        officer,
        at,
        amount=points,
        period=month,
        incident_id=str(incident_id),
        requested=points,
        basis={"incident": str(incident_id)},
    )
    balance = account.__dict__.get("balance", 0) + points
    roll = rng.random()
    if roll < 0.3 and balance >= 5:
        account.record(
            PointsAccount.Redeemed,
            officer,
            at,
            amount=-5,
            period=month,
            item_id="cup",
            item_name="保温杯",
            quantity=1,
        )
        balance -= 5
    elif roll < 0.4 and balance >= 3:
        account.record(
            PointsAccount.Deducted,
            officer,
            at,
            amount=-3,
            period=month,
            reason="未完成巡逻任务",
            kind="manual",
            shortfall=0,
        )
        balance -= 3
    elif roll < 0.5:
        account.record(
            PointsAccount.MonthEvaluated, officer, at, period=month, passed=roll < 0.45, note=""
        )
    flow.save(account)
    account.__dict__["balance"] = balance
