"""Helpers for tests of volunteers and the Happiness Bank: admit (and earn points,
with the shared builders of ``tests.builders``)."""

from __future__ import annotations

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
