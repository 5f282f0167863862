"""The GeoReport requests' read model: only the facade's requests, what a fold of
their incidents gives, one update per step, and a rebuild equal to the rows kept
up batch by batch."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from aggregates.actor import Actor
from loop import demo
from loop.services.intake import CLIENT_ROLE, RESIDENT_ROLE, Intake, Report
from projections import georeport
from tests.projections.helpers import World, dump

CLIENT = Actor("open311:suishoupai", CLIENT_ROLE, demo.XINGFU)
FORM = Actor("public_form", RESIDENT_ROLE, demo.XINGFU)


def resident_report(world: World, actor: Actor, source: str, what: str) -> UUID:
    world.clock.tick()
    report = Report(
        demo.XINGFU,
        "traffic_safety",
        "seen",
        what,
        "幸福路口",
        {"phone": "13904431111"},
        (43.3, 124.3),
    )
    ack = Intake(world.flow).report(actor, report, source=source, client=source)
    return UUID(ack.incident_id)


def test_the_read_model_holds_the_facades_requests_as_their_incidents_fold() -> None:
    world = World()
    first = resident_report(world, CLIENT, "open311", "红绿灯不亮")
    resident_report(world, FORM, "public_form", "路灯不亮")  # the form's: not the facade's
    world.report()  # a volunteer's
    second = resident_report(world, CLIENT, "open311", "井盖松动")
    for step, extra in (("accept", {}), ("record_outcome", {"summary": "已修复"}), ("close", {})):
        world.clock.tick()
        world.flow.take(step, demo.OFFICER_XF, first, **extra)
    world.views.projector.catch_up()
    now = world.clock()

    rows = georeport.requests(
        world.views.projector, "lishu", "open311", start=now - timedelta(days=1), end=now
    )

    assert [r["incident_id"] for r in rows] == [str(second), str(first)]  # newest first
    for row in rows:
        incident = world.flow.get(UUID(row["incident_id"]))
        assert (row["stage"], row["owner_unit"], row["description"]) == (
            incident.stage,
            incident.owner_unit,
            incident.what,
        )
        assert row["outcome"] == (incident.outcome is not None)
        assert (row["lat"], row["long"]) == (43.3, 124.3)
        assert "13904431111" not in str(row)
    closed = georeport.requests(
        world.views.projector,
        "lishu",
        "open311",
        start=now - timedelta(days=1),
        end=now,
        closed=True,
    )
    assert (
        georeport.requests(
            world.views.projector, "lishu", "other", start=now - timedelta(days=1), end=now
        )
        == []
    )
    assert [r["incident_id"] for r in closed] == [str(first)]
    updates = georeport.updates(
        world.views.projector,
        "lishu",
        "open311",
        start=now - timedelta(days=1),
        end=now,
        incident_id=str(first),
    )
    assert [u["stage"] for u in updates] == [
        "reported",
        "handling_community",
        "outcome_recorded",
        "closed",
    ]
    events = list(world.flow.app.repository.event_store.get(first))
    assert [u["update_id"] for u in updates] == [
        f"{first}-{e.originator_version}" for e in events[1:]
    ]

    before = dump(world.views.projector)
    world.views.projector.rebuild("georeport")
    after = dump(world.views.projector)
    assert before["georeport.requests"] == after["georeport.requests"]
    assert before["georeport.updates"] == after["georeport.updates"]
