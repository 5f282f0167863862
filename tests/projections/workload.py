"""A long random workload: many incidents through random legal steps, with the
Happiness Bank ledger entries and restocks a reward leads to, on a clock that
moves minutes to days between commands (so deadlines pass and months turn)."""

from __future__ import annotations

import random
from datetime import timedelta
from uuid import UUID

from aggregates.errors import DomainError
from loop import demo
from loop.services.bank import Bank
from loop.services.incidents import IncidentFlow
from tests.builders import valid_input
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


def period(flow: IncidentFlow) -> str:
    now = flow.app.clock().astimezone(CHINA)
    return f"{now.year}-{now.month:02d}"


def run(flow: IncidentFlow, clock: FakeClock, *, incidents: int, seed: int) -> int:
    """Drive ``incidents`` incidents through random allowed steps, with random
    redemptions, deductions and month evaluations after rewards; returns the
    number of commands that succeeded. The first run on a log admits the
    volunteers and stocks the catalogues."""
    rng = random.Random(seed)
    if flow.app.recorder.max_notification_id() is None:
        ITEMS[id(flow)] = sorted(demo.enrol(flow).values())
    done = 0
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
        options = [(a, s) for a in OFFICIALS for s in flow.allowed_steps(a, incident_id)]
        if not options or rng.random() < 0.05:  # some incidents stay open
            open_ids.remove(incident_id)
            continue
        actor, step = rng.choice(options)
        payload = valid_input(step, actor)
        if step == "propose_score":
            payload["items"] = [{"item": "发现隐患", "points": rng.randint(1, 40)}]
        flow.take(step, actor, incident_id, **payload)
        done += 1
        if step == "reward":
            done += _ledger(flow, flow.get(incident_id).reporter_id, ITEMS.get(id(flow), []), rng)
        if flow.get(incident_id).is_closed:
            open_ids.remove(incident_id)
    return done


ITEMS: dict[int, list[str]] = {}  # the catalogue item ids of each workload's application
DONORS = ["梨树县百货大楼", "梨树县爱心企业联合会"]


def _ledger(flow: IncidentFlow, volunteer_id: str, items: list[str], rng: random.Random) -> int:
    """Maybe redeem, deduct, evaluate the month or restock an item; how many
    commands succeeded."""
    bank = Bank(flow.app, flow.scoring)
    volunteer = next(v for v in VOLUNTEERS if v.id == volunteer_id)
    officer = demo.DIRECTORS[volunteer.unit][2]
    roll = rng.random()
    try:
        if roll < 0.3 and items:
            bank.redeem(volunteer, volunteer_id, rng.choice(items))
        elif roll < 0.4:
            bank.deduct(officer, volunteer_id, reason="未完成巡逻任务", points=rng.randint(1, 5))
        elif roll < 0.5:
            month = period(flow)
            bank.evaluate_month(
                officer, volunteer_id, month=month, passed=roll < 0.45, note="月考评"
            )
        elif roll < 0.6 and items:  # the item and donor from the roll: other draws stay put
            _restock(bank, items[int(roll * 1000) % len(items)], DONORS[int(roll * 100) % 2])
        else:
            return 0
    except DomainError:
        return 0
    return 1


def _restock(bank: Bank, item_id: str, donor: str) -> None:
    """Two more of an item, registered by the staff of the bank that holds it."""
    holder = bank.item(item_id).bank
    staff = demo.STATION_OFFICER if holder == demo.STATION else demo.DIRECTORS[holder][2]
    bank.restock(staff, item_id, quantity=2, donor=donor)
