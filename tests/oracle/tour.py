"""The workload's opening: the demo's day (every branch of the loop, the Happiness
Banks stocked, the first redemptions), then the corrections and edge cases a
random walk may miss, so every run holds them before its random batches begin:
an outcome from the county bureau, a discovery not yet fed back, a second reward
beyond the monthly cap, a rewarded, publicized and closed case rejected as a
duplicate (its deposit reversed), a restock from another donor, a deduction, a
failed month, and one step sent to both writers at once; then the duty day
(``tests.oracle.duty_workload.duty_tour``)."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from aggregates.actor import Actor
from aggregates.errors import DomainError
from loop import demo
from tests.oracle.duty_workload import duty_tour
from tests.oracle.org_workload import organisation_tour
from tests.oracle.training_workload import training_tour
from tests.oracle.workload import Workload
from tests.support import CHINA

ROUTINE = {"module": "hazard_screening", "sense": "seen", "what": "井盖缺失", "where": "幸福路"}


def tour(w: Workload) -> None:
    flow, call = w.flow, w.committers[0].call
    ids = {k: UUID(v) for k, v in call(demo.run, flow).items()}
    w.volunteers = [a for a, *_ in demo.APPLICANTS]
    w.items = donated(w)
    w.every += ids.values()
    w.open += [i for i in ids.values() if not flow.get(i).is_closed]
    w.rewarded += [i for i in ids.values() if flow.get(i).stage in ("rewarded", "publicized")]
    later = w.clock.advance
    later(timedelta(hours=1))
    call(flow.take, "record_outcome", demo.COUNTY_OFFICER, ids["escalated_to_county"],
         summary="已处置")  # fmt: skip
    call(flow.discover, demo.METER, **ROUTINE)
    for points in (100, 80):  # the second beyond the Lishu cap of 150 a month
        later(timedelta(minutes=10))
        rewarded(w, demo.RIDER, points)
    later(timedelta(hours=1))
    call(
        flow.take, "reject", demo.OFFICER_XF, ids["handled_locally"], kind="duplicate",
        reason="与先前反馈重复", related_id=ids["diverted_after_arrival"],
    )  # fmt: skip
    bank = w.loops[0].bank
    ours = next(i for i in w.items if bank.item(i).bank == demo.XINGFU)
    call(bank.restock, demo.CADRE_XF, ours, quantity=3, donor="梨树县爱心企业联合会")
    call(bank.deduct, demo.OFFICER_XF, demo.COURIER.id, reason="未完成巡逻任务", points=5)
    month = w.clock().astimezone(CHINA).strftime("%Y-%m")
    call(bank.evaluate_month, demo.OFFICER_HP, demo.TAXI.id, month=month, passed=False, note="缺勤")
    waiting = ids["awaiting_triage"]
    version = flow.get(waiting).version
    both = [
        committer.submit(
            loop.incidents.take, "accept", demo.OFFICER_HP, waiting, expected_version=version
        )
        for committer, loop in zip(w.committers, w.loops, strict=True)
    ]
    outcomes = []
    for future in both:
        try:
            future.result()
            outcomes.append("taken")
        except DomainError as error:
            outcomes.append(error.code)
    assert sorted(outcomes) == ["concurrency_conflict", "taken"], outcomes
    w.tally.conflicts += 1
    duty_tour(w)
    organisation_tour(w.organising)
    training_tour(w.training)


def donated(w: Workload) -> list[str]:
    """The catalogue's items, as the log names them."""
    log = w.loops[0].app.recorder.select_notifications(start=0, limit=100_000)
    return sorted(str(n.originator_id) for n in log if n.topic.endswith(":RewardItem.Donated"))


def rewarded(w: Workload, volunteer: Actor, points: int) -> UUID:
    """A new report of ``volunteer`` taken to its reward of ``points``."""
    flow, call = w.flow, w.committers[0].call
    cadre, director, officer = demo.DIRECTORS[volunteer.unit]
    incident = UUID(call(flow.report_new, volunteer, channel="app", **ROUTINE).incident_id)
    call(flow.take, "accept", officer, incident)
    call(flow.take, "record_outcome", officer, incident, summary="已处置")
    items = [{"item": "安全隐患排查", "points": min(points, flow.scoring.max_points_per_incident)}]
    call(flow.take, "propose_score", cadre, incident, items=items, basis="考评")
    call(flow.take, "sign_score", director, incident)
    call(flow.take, "sign_score", officer, incident)
    call(flow.take, "reward", officer, incident)
    w.every.append(incident)
    w.open.append(incident)
    w.rewarded.append(incident)
    return incident
