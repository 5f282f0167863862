"""Volunteer commands: application input, the joint review, admission, and how the
new events are stored and told."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from aggregates.actor import Actor
from aggregates.errors import AdmissionRefused, DomainError
from aggregates.points_account import PointsAccount
from aggregates.reward_item import RewardItem
from aggregates.volunteer import Volunteer, volunteer_aggregate_id
from loop import demo
from loop.bootstrap import open_loop
from loop.errors import AlreadyRegistered, InvalidInput, NotPermitted, VolunteerNotFound
from loop.rules.narration import TEMPLATES, sentence
from loop.rules.scoring import FUPING_SCORING
from loop.services.incidents import IncidentFlow
from loop.services.volunteers import Volunteers, id_check_digit
from tests.support import FakeClock

WANG = Actor("v-xf-wang", "volunteer", demo.XINGFU)


@pytest.fixture
def flow() -> IncidentFlow:
    return open_loop(clock=FakeClock()).incidents


@pytest.fixture
def volunteers(flow: IncidentFlow) -> Volunteers:
    return Volunteers(flow.app, flow.scoring)


def application(**changes: Any) -> dict[str, Any]:
    return {
        "volunteer_id": WANG.id,
        "name": "王某",
        "phone": "13904340001",
        "id_number": demo.sample_id_number(1),
        "address": "幸福小区1栋",
        "employer": "美团外卖",
        "occupation": "delivery_rider",
        "party_member": True,
    } | changes


def refused(flow: IncidentFlow, command: Callable[[], Any], error: type[DomainError]) -> Any:
    before = flow.app.recorder.max_notification_id()
    with pytest.raises(error) as caught:
        command()
    assert flow.app.recorder.max_notification_id() == before
    return caught.value


def review_all(volunteers: Volunteers, volunteer_id: str = WANG.id) -> None:
    volunteers.review(demo.CADRE_XF, volunteer_id, reviewer="employer", approved=True, note="好")
    volunteers.review(
        demo.DIRECTOR_XF, volunteer_id, reviewer="community", approved=True, note="好"
    )
    volunteers.review(
        demo.STATION_OFFICER, volunteer_id, reviewer="station", approved=True, note="无"
    )


def test_id_check_digit_follows_the_national_standard() -> None:
    assert id_check_digit("11010519491231002") == "X"
    assert id_check_digit("44052418800101001") == "4"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("volunteer_id", ""),
        ("volunteer_id", "王 某"),
        ("name", " "),
        ("phone", "12345"),
        ("phone", "23904340001"),
        ("id_number", "22032219800101001"),
        ("id_number", "220322198001010010"),
        ("address", ""),
        ("employer", ""),
        ("occupation", "astronaut"),
        ("party_member", "yes"),
    ],
)
def test_bad_application_input_is_refused(
    flow: IncidentFlow, volunteers: Volunteers, field: str, value: Any
) -> None:
    if field == "id_number" and len(value) == 18:
        value = value[:17] + ("1" if id_check_digit(value[:17]) != "1" else "2")
    error = refused(
        flow, lambda: volunteers.apply(demo.CADRE_XF, **application(**{field: value})), InvalidInput
    )
    assert error.details["field"] == field


def test_personal_details_are_kept_together_encrypted_under_the_volunteer(
    flow: IncidentFlow, volunteers: Volunteers
) -> None:
    volunteers.apply(demo.CADRE_XF, **application())
    (stored,) = flow.app.recorder.select_events(volunteer_aggregate_id(WANG.id))
    state = json.loads(stored.state)
    sealed = state["personal"]
    assert sealed["_type_"] == "personal_data"
    assert sealed["_data_"]["s"] == WANG.id  # the volunteer is the subject
    assert sealed["_data_"]["k"] == ["address", "id_number", "name", "phone"]
    details = ["王某", "13904340001", demo.sample_id_number(1), "幸福小区1栋"]
    for secret in details:
        assert secret not in stored.state.decode()
    assert volunteers.get(WANG.id).personal.fields == dict(
        zip(["name", "phone", "id_number", "address"], details, strict=True)
    )


def test_who_may_record_an_application_and_only_once(
    flow: IncidentFlow, volunteers: Volunteers
) -> None:
    refused(flow, lambda: volunteers.apply(demo.RIDER, **application()), NotPermitted)
    refused(flow, lambda: volunteers.apply(demo.STATION_OFFICER, **application()), InvalidInput)
    ack = volunteers.apply(demo.AUXILIARY_XF, **application())
    assert (ack.status, ack.version) == ("applied", 1)
    assert volunteers.get(WANG.id).community == demo.XINGFU
    refused(flow, lambda: volunteers.apply(demo.CADRE_XF, **application()), AlreadyRegistered)
    refused(flow, lambda: volunteers.get("nobody"), VolunteerNotFound)


@pytest.mark.parametrize(
    ("actor", "reviewer", "allowed"),
    [
        (demo.CADRE_XF, "employer", True),
        (demo.CADRE_XF, "community", True),
        (demo.CADRE_XF, "station", False),
        (demo.OFFICER_XF, "station", True),
        (demo.STATION_OFFICER, "station", True),
        (demo.STATION_OFFICER, "community", False),
        # another community's or station's: an applicant they may not read is not
        # found, the same as one that does not exist
        (demo.CADRE_HP, "community", None),
        (Actor("s-sy-feng", "station_officer", "lishu/shuangyang"), "station", None),
    ],
)
def test_each_party_records_its_own_review(
    flow: IncidentFlow, volunteers: Volunteers, actor: Actor, reviewer: str, allowed: bool | None
) -> None:
    volunteers.apply(demo.CADRE_XF, **application())

    def review() -> Any:
        return volunteers.review(actor, WANG.id, reviewer=reviewer, approved=True, note="好")

    if allowed:
        assert review().version == 2
    elif allowed is None:
        hidden = refused(flow, review, VolunteerNotFound)
        absent = refused(
            flow,
            lambda: volunteers.review(
                actor, "v-xf-nobody", reviewer=reviewer, approved=True, note="好"
            ),
            VolunteerNotFound,
        )
        assert hidden.details.keys() == absent.details.keys() == {"volunteer_id"}
    else:
        refused(flow, review, NotPermitted)


def test_admission_issues_papers_and_opens_the_account_in_one_save(
    flow: IncidentFlow, volunteers: Volunteers
) -> None:
    volunteers.apply(demo.CADRE_XF, **application())
    refused(flow, lambda: volunteers.admit(demo.OFFICER_XF, WANG.id), AdmissionRefused)
    review_all(volunteers)
    refused(flow, lambda: volunteers.admit(demo.CADRE_XF, WANG.id), NotPermitted)
    before = flow.app.recorder.max_notification_id() or 0
    done = volunteers.admit(demo.OFFICER_XF, WANG.id, armband_no="LC-0326")
    stored = flow.app.recorder.select_notifications(before + 1, 10)
    assert [n.topic.rsplit(".", 1)[-1] for n in stored] == ["Admitted", "Opened"]
    assert done.armband_no == "LC-0326"
    assert (done.squad, done.party_group) == ("delivery_rider", "delivery_rider")
    assert done.archive_no.endswith(volunteer_aggregate_id(WANG.id).hex[:8].upper())
    assert flow.points_account(WANG.id).balance == 0
    refused(flow, lambda: volunteers.admit(demo.OFFICER_XF, WANG.id), AdmissionRefused)


def test_under_fuping_the_account_opens_with_the_base_points() -> None:
    flow = open_loop(clock=FakeClock(), scoring=FUPING_SCORING).incidents
    volunteers = Volunteers(flow.app, flow.scoring)
    volunteers.apply(demo.CADRE_XF, **application(party_member=False))
    review_all(volunteers)
    done = volunteers.admit(demo.STATION_OFFICER, WANG.id)
    assert done.party_group is None
    account = flow.points_account(WANG.id)
    assert (account.balance, account.score, account.star_level) == (0, 100, 0)


def test_teams_and_statuses_take_only_their_vocabularies(
    flow: IncidentFlow, volunteers: Volunteers
) -> None:
    volunteers.apply(demo.CADRE_XF, **application())
    review_all(volunteers)
    volunteers.admit(demo.OFFICER_XF, WANG.id)
    refused(flow, lambda: volunteers.join_team(demo.CADRE_XF, WANG.id, team="navy"), InvalidInput)
    volunteers.join_team(demo.CADRE_XF, WANG.id, team="mediation")
    refused(
        flow,
        lambda: volunteers.change_status(demo.OFFICER_XF, WANG.id, status="applied", reason="x"),
        InvalidInput,
    )
    refused(
        flow,
        lambda: volunteers.change_status(demo.CADRE_XF, WANG.id, status="suspended", reason="x"),
        NotPermitted,
    )
    ack = volunteers.change_status(demo.OFFICER_XF, WANG.id, status="flexible", reason="年老")
    assert ack.status == "flexible"


def event_classes() -> list[type]:
    return [
        value
        for owner in (Volunteer, PointsAccount, RewardItem)
        for value in vars(owner).values()
        if isinstance(value, type)
        and issubclass(value, owner.Event)
        and value not in (owner.Event, getattr(owner, "Entry", None))
        and value.__name__ != "Created"  # the library's default, never triggered here
    ]


def test_every_new_event_can_be_told() -> None:
    names = {cls.__qualname__ for cls in event_classes()}
    assert len(names) == 7 + 7 + 3
    assert names <= set(TEMPLATES)


def test_the_demo_tells_every_stored_event() -> None:
    flow = open_loop(clock=FakeClock()).incidents
    demo.run(flow)
    told = set()
    for notification in flow.app.recorder.select_notifications(1, 10_000):
        event = flow.app.mapper.to_domain_event(notification)
        zh, en = sentence(event)
        assert zh
        assert en
        told.add(type(event).__qualname__)
    assert {"Volunteer.Rejected", "PointsAccount.Redeemed", "RewardItem.HandedOut"} <= told
