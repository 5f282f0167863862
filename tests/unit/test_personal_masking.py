"""Audit reads show who reported, the informant and the victims only to the roles
allowed to see them; everyone else, and a read without a viewer, sees them masked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from aggregates.actor import Actor
from loop import demo
from loop.bootstrap import open_loop
from loop.rules.masking import MASKED
from loop.services import audit
from loop.services.incidents import IncidentFlow
from tests.support import FakeClock

INFORMANT = {"name": "王秀兰", "phone": "13904431234", "id_number": "220322196503151234"}
VICTIM = {"name": "李四", "address": "幸福小区3栋2单元"}
SECRETS = [*INFORMANT.values(), *VICTIM.values(), demo.RIDER.id]

REP, INF, VIC = "reporter", "informant", "victims"
VIEWERS: list[tuple[str, Actor | None, set[str]]] = [
    ("nobody in particular", None, set()),
    ("the reporting volunteer", demo.RIDER, {REP, INF, VIC}),
    ("another volunteer of the community", demo.COURIER, set()),
    ("the community officer", demo.OFFICER_XF, {REP, INF, VIC}),
    ("the community auxiliary", demo.AUXILIARY_XF, {REP, INF, VIC}),
    ("the officer of another community", demo.OFFICER_HP, set()),
    ("the station above", demo.STATION_OFFICER, {REP, INF, VIC}),
    ("another station", Actor("s-sy-feng", "station_officer", "lishu/shuangyang"), set()),
    ("the county bureau", demo.COUNTY_OFFICER, {REP, INF, VIC}),
    ("the county auditor", Actor("au-ls-zhou", "auditor", demo.COUNTY), {REP, INF, VIC}),
    ("another county's auditor", Actor("au-gzl", "auditor", "gongzhuling"), set()),
    ("the community cadre", demo.CADRE_XF, {REP, VIC}),
    ("the community director", demo.DIRECTOR_XF, {REP, VIC}),
    ("another community's cadre", demo.CADRE_HP, set()),
    ("the publicity section", demo.PUBLICITY, set()),
    ("a department", Actor("dept-zj", "department", "lishu/zhujianju"), set()),
    ("an administrator", Actor("admin-ls", "admin", demo.COUNTY), set()),
]


@pytest.fixture(scope="module")
def diverted() -> tuple[IncidentFlow, UUID, FakeClock]:
    """Reported by the rider naming an informant and a victim, diverted and handed
    over to a department."""
    clock = FakeClock()
    flow = open_loop(clock=clock).incidents
    ack = flow.report_new(
        demo.RIDER,
        channel="app",
        module="dispute_screening",
        sense="heard",
        what="楼上装修噪音扰民，邻里争吵",
        where="幸福小区3栋",
        informant=INFORMANT,
        victims=[VICTIM],
    )
    incident = UUID(ack.incident_id)
    clock.advance(timedelta(hours=1))
    flow.take("divert", demo.OFFICER_XF, incident, reason="属住建部门管辖")
    clock.advance(timedelta(hours=1))
    flow.take("hand_over", demo.CADRE_XF, incident, department="县住建局", received_by="刘科长")
    return flow, incident, clock


def reads(flow: IncidentFlow, incident: UUID, clock: FakeClock, viewer: Actor | None) -> Any:
    return {
        "describe": audit.describe(flow.get(incident), viewer),
        "state_at": audit.state_at(flow.app, incident, 2, viewer),
        "state_as_of": audit.state_as_of(flow.app, incident, clock.now, viewer),
        "history": audit.history(flow.app, incident, viewer),
    }


@pytest.mark.parametrize(("who", "viewer", "sees"), VIEWERS, ids=[v[0] for v in VIEWERS])
def test_each_role_sees_only_the_people_it_may(
    diverted: tuple[IncidentFlow, UUID, FakeClock],
    who: str,
    viewer: Actor | None,
    sees: set[str],
) -> None:
    flow, incident, clock = diverted
    read = reads(flow, incident, clock, viewer)
    for name in ("describe", "state_at", "state_as_of"):
        state = read[name]
        assert (state["reporter_id"] == demo.RIDER.id) == (REP in sees), name
        if REP not in sees:
            assert state["reporter_id"] == MASKED
            assert demo.RIDER.id not in str(state), name
        if INF in sees:
            assert state["informant"]["fields"] == INFORMANT
        else:
            assert state["informant"] == {"masked": True, "shown": MASKED}
        if VIC in sees:
            assert [v["fields"] for v in state["victims"]] == [VICTIM]
        else:
            assert state["victims"] == [{"masked": True, "shown": MASKED}]
    timeline = read["history"]
    discovered, reported = timeline[0], timeline[1]
    assert (discovered["people"]["informant"].get("fields") == INFORMANT) == (INF in sees)
    assert (reported["actor"]["id"] == demo.RIDER.id) == (REP in sees)
    assert (demo.RIDER.id in reported["sentence_zh"]) == (REP in sees)
    if not sees:
        assert not any(secret in str(read) for secret in SECRETS)
    # the matter itself is never hidden
    assert read["describe"]["what"] == "楼上装修噪音扰民，邻里争吵"
    assert timeline[-1]["sentence_zh"].startswith("社区干部 c-xf-sun 将警情移交县住建局")


def test_reads_without_a_viewer_are_masked_by_default(
    diverted: tuple[IncidentFlow, UUID, FakeClock],
) -> None:
    flow, incident, _ = diverted
    assert audit.describe(flow.get(incident)) == audit.describe(flow.get(incident), None)
    assert audit.describe(flow.get(incident))["informant"] == {"masked": True, "shown": MASKED}
    assert not any(s in str(audit.history(flow.app, incident)) for s in SECRETS)
