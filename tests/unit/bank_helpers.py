"""Helpers for tests of volunteers and the Happiness Bank: admit, and earn points."""

from __future__ import annotations

from uuid import UUID

from aggregates.actor import Actor
from loop import demo
from loop.services.incidents import IncidentFlow
from loop.services.volunteers import Volunteers


def admit(flow: IncidentFlow, *people: Actor) -> None:
    """Apply, review and admit each volunteer: his Happiness Bank account opens."""
    volunteers = Volunteers(flow.app, flow.scoring)
    for n, person in enumerate(people):
        cadre, _, officer = demo.DIRECTORS[person.unit]
        volunteers.apply(
            cadre,
            volunteer_id=person.id,
            name="某",
            phone=f"1390000{n:04d}",
            id_number=demo.sample_id_number(n),
            address="幸福小区",
            employer="某公司",
            occupation="courier",
        )
        for reviewer in ("employer", "community"):
            volunteers.review(cadre, person.id, reviewer=reviewer, approved=True, note="好")
        volunteers.review(officer, person.id, reviewer="station", approved=True, note="无前科")
        volunteers.admit(demo.STATION_OFFICER, person.id)


def scored_case(flow: IncidentFlow, volunteer: Actor, points: int) -> UUID:
    """One of the volunteer's reports, driven up to an effective score of ``points``."""
    cadre, director, officer = demo.DIRECTORS[volunteer.unit]
    ack = flow.report_new(
        volunteer, channel="app", module="hazard_screening", sense="seen", what="隐患", where="路口"
    )
    incident = UUID(ack.incident_id)
    flow.accept(officer, incident)
    flow.record_outcome(officer, incident, summary="已处置")
    flow.propose_score(
        cadre, incident, items=[{"item": "安全隐患排查", "points": points}], basis="考评办法"
    )
    flow.sign_score(director, incident)
    flow.sign_score(officer, incident)
    return incident


def rewarded_case(flow: IncidentFlow, volunteer: Actor, points: int) -> UUID:
    """One of the volunteer's reports, scored ``points`` and rewarded."""
    incident = scored_case(flow, volunteer, points)
    flow.reward(demo.DIRECTORS[volunteer.unit][2], incident)
    return incident
