"""Volunteers' personal details: encrypted under the volunteer's own key, read
per role, forgotten while his record, account and reports live on, and loaded
from events and snapshots stored before they were encrypted."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import StoredEvent

from aggregates.actor import Actor
from aggregates.personal import ERASED_ZH, Erasure, PersonalData
from aggregates.points_account import account_id
from aggregates.volunteer import Volunteer, volunteer_aggregate_id
from loop import demo
from loop.bootstrap import open_loop
from loop.errors import AlreadyRegistered, IncidentNotFound
from loop.rules import masking
from loop.rules.masking import MASKED
from loop.services import audit
from loop.services.bank import Bank
from loop.services.incidents import IncidentFlow
from loop.services.personal import PERSON_FIELDS, forget
from loop.services.volunteers import Volunteers
from loop.storage.keys import SubjectForgotten
from tests.builders import rewarded_case
from tests.support import FakeClock
from tests.unit.bank_helpers import admit

ADMIN = Actor("admin-ls", "admin", demo.COUNTY)
AUDITOR = Actor("au-ls-zhou", "auditor", demo.COUNTY)
WANG = Actor("v-xf-wang", "volunteer", demo.XINGFU)
DETAILS = {
    "name": "王某",
    "phone": "13904340001",
    "id_number": demo.sample_id_number(1),
    "address": "幸福小区1栋",
}


@pytest.fixture
def flow() -> IncidentFlow:
    return open_loop(clock=FakeClock()).incidents


@pytest.fixture
def volunteers(flow: IncidentFlow) -> Volunteers:
    return Volunteers(flow.app, flow.scoring)


def apply(volunteers: Volunteers, volunteer_id: str = WANG.id) -> None:
    volunteers.apply(
        demo.CADRE_XF,
        volunteer_id=volunteer_id,
        employer="美团外卖",
        occupation="delivery_rider",
        **DETAILS,
    )


# -- who reads what -----------------------------------------------------------------

SEE = [
    WANG,
    demo.CADRE_XF,
    demo.DIRECTOR_XF,
    demo.OFFICER_XF,
    demo.AUXILIARY_XF,
    demo.STATION_OFFICER,
    AUDITOR,
    Actor("au-cy", "auditor", demo.STATION),
]
DO_NOT_SEE = [
    None,
    demo.RIDER,  # another volunteer of the same community
    Actor(WANG.id, "community_cadre", demo.HEPING),  # his id, another role and unit
    demo.CADRE_HP,
    demo.DIRECTOR_HP,
    demo.OFFICER_HP,
    Actor("s-other", "station_officer", "lishu/other"),
    Actor("au-other", "auditor", "lishu/other"),
    demo.COUNTY_OFFICER,
    demo.PUBLICITY,
    ADMIN,
]


@pytest.mark.parametrize("viewer", SEE, ids=lambda a: f"{a.role}@{a.unit}")
def test_the_volunteer_his_community_station_and_auditors_read_his_details(
    volunteers: Volunteers, viewer: Actor
) -> None:
    apply(volunteers)
    seen = volunteers.view(viewer, WANG.id)
    assert seen["personal"] == {
        "subject_id": WANG.id,
        "fields": DETAILS,
        "erased": False,
        "masked": [],
    }
    assert (seen["volunteer_id"], seen["status"], seen["community"]) == (
        WANG.id,
        "applied",
        demo.XINGFU,
    )


@pytest.mark.parametrize(
    "viewer", DO_NOT_SEE, ids=lambda a: "nobody" if a is None else f"{a.role}@{a.unit}"
)
def test_others_read_his_record_but_not_who_he_is(
    volunteers: Volunteers, viewer: Actor | None
) -> None:
    apply(volunteers)
    seen = volunteers.view(viewer, WANG.id)
    assert seen["personal"]["fields"] == dict.fromkeys(DETAILS, MASKED)
    assert seen["personal"]["masked"] == sorted(DETAILS)
    assert seen["occupation"] == "delivery_rider"  # the record itself is not hidden
    text = json.dumps(seen, ensure_ascii=False)
    assert not [v for v in DETAILS.values() if v in text]
    # nor in the history of his record
    timeline = json.dumps(audit.history(volunteers.app, volunteer_aggregate_id(WANG.id), viewer))
    assert not [v for v in DETAILS.values() if json.dumps(v)[1:-1] in timeline]


def test_the_table_names_every_field_and_an_unlisted_field_is_masked() -> None:
    assert set(masking.VOLUNTEER_FIELDS_VISIBLE_TO) == set(PERSON_FIELDS)
    held = PersonalData(WANG.id, {"name": "王某", "nickname": "小王"})
    shown = masking.volunteer_personal(demo.CADRE_XF, demo.XINGFU, held)
    assert shown["fields"] == {"name": "王某", "nickname": MASKED}
    assert shown["masked"] == ["nickname"]


def test_the_history_of_his_record_shows_his_details_to_an_auditor(
    volunteers: Volunteers,
) -> None:
    apply(volunteers)
    timeline = audit.history(volunteers.app, volunteer_aggregate_id(WANG.id), AUDITOR)
    assert [(e["record"], e["event"]) for e in timeline] == [("volunteer", "Applied")]
    assert timeline[0]["people"]["personal"]["fields"] == DETAILS
    assert "录入v-xf-wang的入队申请" in timeline[0]["sentence_zh"]


# -- forgetting a volunteer -----------------------------------------------------------


def test_a_forgotten_volunteer_reads_as_erased_and_his_record_account_and_reports_work(
    flow: IncidentFlow, volunteers: Volunteers
) -> None:
    admit(flow, WANG)
    incident = rewarded_case(flow, WANG, 5)
    flow.app.take_snapshot(volunteer_aggregate_id(WANG.id))  # a snapshot of the living data
    before = Bank(flow.app, flow.scoring).balance(WANG.id).balance

    ack = forget(flow.app, ADMIN, WANG.id, "本人退出并申请删除个人信息")
    assert ack.key_destroyed
    assert not ack.plaintext_remains

    seen = volunteers.view(AUDITOR, WANG.id)
    assert seen["personal"]["erased"] is True
    assert seen["personal"]["fields"] == dict.fromkeys(DETAILS, ERASED_ZH)
    assert volunteers.get(WANG.id).personal.values() == []  # replayed from the snapshot
    timeline = audit.history(flow.app, volunteer_aggregate_id(WANG.id), AUDITOR)
    assert timeline[0]["people"]["personal"]["fields"]["name"] == ERASED_ZH
    assert [e["event"] for e in timeline][-1] == "Admitted"

    # his service goes on under his pseudonymous id
    volunteers.change_status(demo.DIRECTOR_XF, WANG.id, status="flexible", reason="年龄较大")
    assert flow.get(incident).reporter_id == WANG.id
    rewarded_case(flow, WANG, 3)
    assert Bank(flow.app, flow.scoring).balance(WANG.id).balance == before + 3
    account = audit.history(flow.app, account_id(WANG.id), AUDITOR)
    assert {e["record"] for e in account} == {"points_account"}
    assert [e["event"] for e in account].count("Deposited") == 2

    # a snapshot taken now stores what remains: still erased after a reload
    flow.app.take_snapshot(volunteer_aggregate_id(WANG.id))
    assert volunteers.get(WANG.id).personal.erased
    # and nothing new can be written for him
    with pytest.raises(AlreadyRegistered):
        apply(volunteers)


def test_an_id_forgotten_as_an_informant_cannot_apply_as_a_volunteer(
    flow: IncidentFlow, volunteers: Volunteers
) -> None:
    flow.report_new(
        demo.RIDER,
        channel="app",
        module="dispute_screening",
        sense="heard",
        what="邻里争吵",
        where="幸福小区",
        informant={"name": "王某", "subject_id": "v-xf-new"},
    )
    forget(flow.app, ADMIN, "v-xf-new", "本人申请删除")
    before = flow.app.recorder.max_notification_id()
    with pytest.raises(SubjectForgotten):
        apply(volunteers, "v-xf-new")
    assert flow.app.recorder.max_notification_id() == before


# -- other records' histories -----------------------------------------------------------


def test_histories_of_accounts_and_reward_items_and_records_without_one(
    flow: IncidentFlow,
) -> None:
    items = demo.enrol(flow)
    item = next(iter(items.values()))
    stock = audit.history(flow.app, UUID(item), None)
    assert [(e["record"], e["event"]) for e in stock] == [("reward_item", "Donated")]
    assert audit.kind_of(flow.app, UUID(item)) == "reward_item"
    assert audit.unit_of(flow.app, account_id(demo.RIDER.id)) == demo.XINGFU
    rejected = audit.history(flow.app, volunteer_aggregate_id("v-hp-feng"), None)
    assert [e["event"] for e in rejected][-1] == "Rejected"
    assert rejected[0]["people"]["personal"]["fields"]["name"] == MASKED

    forget(flow.app, ADMIN, demo.RIDER.id, "本人申请删除")
    with pytest.raises(audit.HistoryNotAvailable) as refused:
        audit.history(flow.app, Erasure.id_for(demo.RIDER.id), AUDITOR)
    assert refused.value.code == "history_not_available"
    with pytest.raises(IncidentNotFound):
        audit.kind_of(flow.app, UUID(int=0))


# -- stored before the details were encrypted -------------------------------------------


def as_v1(stored: StoredEvent, *, snapshot: bool = False) -> StoredEvent:
    """``stored`` as class version 1 wrote it: the details a plain mapping."""
    outer: dict[str, Any] = json.loads(stored.state)
    state = outer["state"] if snapshot else outer
    assert state.pop("class_version") == 2
    state["personal"] = DETAILS
    return replace(stored, state=json.dumps(outer, separators=(",", ":")).encode())


def legacy_application(flow: IncidentFlow) -> Volunteer:
    """Stores an application as version 1 did (mapped by another flow, so that
    ``flow`` never made a key for him)."""
    elsewhere = open_loop(clock=FakeClock()).incidents
    volunteer = Volunteer.apply_to_join(
        demo.CADRE_XF,
        flow.app.clock(),
        volunteer_id=WANG.id,
        personal=DETAILS,
        employer="美团外卖",
        occupation="delivery_rider",
        community=demo.XINGFU,
        party_member=False,
    )
    (event,) = volunteer.collect_events()
    flow.app.recorder.insert_events([as_v1(elsewhere.app.mapper.to_stored_event(event))])
    return volunteer


def test_an_application_stored_by_version_1_loads_and_can_be_forgotten(
    flow: IncidentFlow, volunteers: Volunteers
) -> None:
    legacy_application(flow)
    assert not flow.app.key_store.exists(WANG.id)  # no key was ever made for him
    loaded = volunteers.get(WANG.id)
    assert isinstance(loaded.personal, PersonalData)
    assert (loaded.personal.subject_id, loaded.personal.fields) == (WANG.id, DETAILS)
    assert volunteers.view(demo.CADRE_XF, WANG.id)["personal"]["fields"] == DETAILS
    volunteers.review(demo.CADRE_XF, WANG.id, reviewer="employer", approved=True, note="好")

    ack = forget(flow.app, ADMIN, WANG.id, "本人申请删除")
    assert (ack.key_destroyed, ack.plaintext_remains) == (False, True)
    shown = volunteers.view(AUDITOR, WANG.id)["personal"]
    assert (shown["erased"], shown["fields"]["phone"]) == (True, ERASED_ZH)
    entry = audit.history(flow.app, volunteer_aggregate_id(WANG.id), AUDITOR)[0]
    assert entry["people"]["personal"]["fields"]["name"] == ERASED_ZH


def test_a_snapshot_taken_by_version_1_loads_the_details(flow: IncidentFlow) -> None:
    legacy_application(flow)
    snapshot = Snapshot.take(flow.app.repository.get(volunteer_aggregate_id(WANG.id)))
    old = as_v1(flow.app.mapper.to_stored_event(snapshot), snapshot=True)
    assert b"13904340001" in old.state

    restored = flow.app.mapper.to_domain_event(old).mutate(None)

    assert isinstance(restored, Volunteer)
    assert restored.personal == PersonalData(WANG.id, DETAILS)
    assert (restored.status, restored.version) == ("applied", 1)
