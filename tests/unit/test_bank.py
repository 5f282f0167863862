"""The Happiness Bank's commands: rewards credit accounts atomically, redemption,
reversal, deductions and honours; a refusal writes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from aggregates.errors import (
    AdmissionRefused,
    AlreadyDeposited,
    DomainError,
    InsufficientPoints,
    OutOfStock,
)
from aggregates.incident import Incident
from aggregates.points_account import PointsAccount, account_id
from loop import demo
from loop.bootstrap import open_loop
from loop.errors import (
    AccountNotFound,
    ConcurrencyConflict,
    IllegalStep,
    InvalidInput,
    ItemNotFound,
    NoPointsAccount,
    NotPermitted,
)
from loop.rules.scoring import FUPING_SCORING
from loop.services.bank import Bank
from loop.services.incidents import IncidentFlow
from tests.builders import rewarded_case, scored_case
from tests.support import FakeClock
from tests.unit.bank_helpers import admit

RIDER, COURIER, TAXI = demo.RIDER, demo.COURIER, demo.TAXI


@pytest.fixture
def flow() -> IncidentFlow:
    app = open_loop(clock=FakeClock()).incidents
    admit(app, RIDER, TAXI)
    return app


@pytest.fixture
def bank(flow: IncidentFlow) -> Bank:
    return Bank(flow.app, flow.scoring)


@pytest.fixture
def cups(bank: Bank) -> str:
    return bank.donate(demo.CADRE_XF, name="保温杯", donor="百货大楼", stock=3, price=20).item_id


def refused(flow: IncidentFlow, command: Callable[[], Any], error: type[DomainError]) -> Any:
    """Run a command that must be refused; check it wrote nothing."""
    before = flow.app.recorder.max_notification_id()
    with pytest.raises(error) as caught:
        command()
    assert flow.app.recorder.max_notification_id() == before
    return caught.value


def test_a_reward_and_its_deposit_are_stored_together(flow: IncidentFlow) -> None:
    incident = scored_case(flow, RIDER, 30)
    before = flow.app.recorder.max_notification_id() or 0
    ack = flow.take("reward", demo.OFFICER_XF, incident)
    stored = flow.app.recorder.select_notifications(before + 1, 10)
    assert [(n.originator_id, n.topic.rsplit(".", 1)[-1]) for n in stored] == [
        (incident, "Rewarded"),
        (account_id(RIDER.id), "Deposited"),
    ]
    assert ack.position == stored[-1].id
    assert flow.points_account(RIDER.id).deposits == {
        str(incident): {"amount": 30, "period": "2026-07"}
    }


def test_a_reporter_without_an_account_waits_in_scored_until_admitted(flow: IncidentFlow) -> None:
    incident = scored_case(flow, COURIER, 30)
    assert "reward" not in flow.allowed_steps(demo.OFFICER_XF, incident)
    error = refused(flow, lambda: flow.take("reward", demo.OFFICER_XF, incident), NoPointsAccount)
    assert error.code == "no_points_account"
    assert flow.get(incident).stage == "scored"
    admit(flow, COURIER)
    assert "reward" in flow.allowed_steps(demo.OFFICER_XF, incident)
    flow.take("reward", demo.OFFICER_XF, incident)
    assert flow.points_account(COURIER.id).balance == 30


def test_a_second_reward_for_the_same_incident_is_refused(flow: IncidentFlow) -> None:
    incident = rewarded_case(flow, RIDER, 30)
    refused(flow, lambda: flow.take("reward", demo.OFFICER_XF, incident), IllegalStep)
    # the account refuses on its own too, should an incident ever come back to it
    account = flow.points_account(RIDER.id)
    with pytest.raises(AlreadyDeposited):
        account.deposit(
            demo.OFFICER_XF,
            flow.app.clock(),
            incident_id=str(incident),
            points=30,
            period="2026-07",
            cap=None,
            basis={},
        )


def test_the_lishu_cap_is_150_per_period(flow: IncidentFlow) -> None:
    for points in (100, 80, 20):
        rewarded_case(flow, RIDER, points)
    account = flow.points_account(RIDER.id)
    assert account.balance == 150
    deposits = [
        e for e in flow.app.events.get(account.id) if isinstance(e, PointsAccount.Deposited)
    ]
    assert [(e.requested, e.amount) for e in deposits] == [(100, 100), (80, 50), (20, 0)]


def test_rejecting_a_rewarded_case_reverses_its_deposit_in_the_same_save(
    flow: IncidentFlow,
) -> None:
    incident = rewarded_case(flow, RIDER, 30)
    flow.take("close", demo.OFFICER_XF, incident)
    before = flow.app.recorder.max_notification_id() or 0
    flow.take("reject", demo.OFFICER_XF, incident, kind="unfounded", reason="复核不实")
    stored = flow.app.recorder.select_notifications(before + 1, 10)
    assert [n.topic.rsplit(".", 1)[-1] for n in stored] == ["Rejected", "Reversed"]
    account = flow.points_account(RIDER.id)
    assert (account.balance, account.earned, account.reversed_incidents) == (0, 0, [str(incident)])
    reversal = list(flow.app.events.get(account.id))[-1]
    assert reversal.basis == {
        "incident_id": str(incident),
        "rejection": "unfounded",
        "related_id": None,
    }
    assert flow.get(incident).stage == "rejected"


def test_rejecting_a_case_never_rewarded_touches_no_account(flow: IncidentFlow) -> None:
    incident = scored_case(flow, RIDER, 30)
    refused(
        flow,
        lambda: flow.take("reject", demo.OFFICER_XF, incident, kind="unfounded", reason="x"),
        IllegalStep,
    )
    version = flow.points_account(RIDER.id).version
    ack = flow.report_new(
        RIDER, channel="app", module="hazard_screening", sense="seen", what="井盖", where="路"
    )
    flow.take("reject", demo.OFFICER_XF, UUID(ack.incident_id), kind="unfounded", reason="x")
    assert flow.points_account(RIDER.id).version == version


def test_redemption_debits_the_account_and_the_stock_together(
    flow: IncidentFlow, bank: Bank, cups: str
) -> None:
    rewarded_case(flow, RIDER, 50)
    done = bank.redeem(RIDER, RIDER.id, cups, quantity=2)
    assert (done.points, done.balance, done.stock) == (40, 10, 1)
    assert done.position == flow.app.recorder.max_notification_id()
    redeemed = list(flow.app.events.get(account_id(RIDER.id)))[-1]
    assert isinstance(redeemed, PointsAccount.Redeemed)
    assert redeemed.basis["donors"] == ["百货大楼"]


def test_redemption_beyond_balance_or_stock_writes_nothing(
    flow: IncidentFlow, bank: Bank, cups: str
) -> None:
    rewarded_case(flow, RIDER, 50)
    error = refused(
        flow, lambda: bank.redeem(RIDER, RIDER.id, cups, quantity=3), InsufficientPoints
    )
    assert error.message_en == "Not enough points: 60 needed, 50 available"
    rewarded_case(flow, RIDER, 100)
    refused(flow, lambda: bank.redeem(RIDER, RIDER.id, cups, quantity=4), OutOfStock)
    assert (bank.balance(RIDER.id).balance, bank.item(cups).stock) == (150, 3)


@pytest.mark.parametrize(
    ("actor", "volunteer", "error"),
    [
        # another volunteer, another community's staff: an account they may not read
        # is not found, the same as one that does not exist
        (demo.COURIER, RIDER, AccountNotFound),
        (demo.CADRE_HP, RIDER, AccountNotFound),
        (demo.PUBLICITY, RIDER, NotPermitted),  # a role that never redeems
        (TAXI, TAXI, ItemNotFound),  # another community's goods: not his bank's to see
        (demo.COURIER, demo.COURIER, AccountNotFound),  # never admitted
    ],
)
def test_who_may_redeem_where(
    flow: IncidentFlow, bank: Bank, cups: str, actor: Any, volunteer: Any, error: type[DomainError]
) -> None:
    rewarded_case(flow, RIDER, 50)
    rewarded_case(flow, TAXI, 50)
    refused(flow, lambda: bank.redeem(actor, volunteer.id, cups), error)


def test_bad_redemption_input_is_refused_before_anything_loads(
    flow: IncidentFlow, bank: Bank, cups: str
) -> None:
    for quantity in (0, -1, 1.5, "1", True):
        refused(
            flow, lambda q=quantity: bank.redeem(RIDER, RIDER.id, cups, quantity=q), InvalidInput
        )
    refused(flow, lambda: bank.redeem(RIDER, RIDER.id, "not-an-id"), ItemNotFound)
    incident = scored_case(flow, RIDER, 1)
    refused(flow, lambda: bank.redeem(RIDER, RIDER.id, incident), ItemNotFound)


def test_a_stale_redemption_is_a_conflict_and_writes_nothing(
    flow: IncidentFlow, bank: Bank, cups: str
) -> None:
    rewarded_case(flow, RIDER, 100)
    account = flow.points_account(RIDER.id)
    item = bank.item(cups)
    bank.redeem(RIDER, RIDER.id, cups)  # someone else, meanwhile
    points = item.hand_out(RIDER, flow.app.clock(), RIDER.id, 1)
    account.redeem(
        RIDER,
        flow.app.clock(),
        item_id=cups,
        item_name="保温杯",
        quantity=1,
        points=points,
        period="2026-07",
        basis={},
    )
    error = refused(flow, lambda: flow.app.commit(account, item), ConcurrencyConflict)
    assert error.code == "concurrency_conflict"
    assert {c["aggregate"] for c in error.details["conflicts"]} == {"PointsAccount", "RewardItem"}
    assert error.message_zh in (
        "幸福银行账户已被他人更新，请刷新后重试",
        "兑换物品已被他人更新，请刷新后重试",
    )
    assert (bank.balance(RIDER.id).balance, bank.item(cups).stock) == (80, 2)


def test_deductions_name_their_reason_and_a_discipline_breach_has_a_default(
    flow: IncidentFlow, bank: Bank
) -> None:
    rewarded_case(flow, RIDER, 50)
    after = bank.deduct(demo.OFFICER_XF, RIDER.id, reason="缺席巡逻", points=10)
    assert (after.balance, after.score) == (40, 40)
    after = bank.deduct(demo.DIRECTOR_XF, RIDER.id, reason="巡逻饮酒", kind="discipline")
    assert (after.balance, after.score) == (20, 20)  # Lishu default: 20
    last = list(flow.app.events.get(account_id(RIDER.id)))[-1]
    assert (last.kind, last.actor, last.basis["decided_by"]) == (
        "discipline",
        demo.DIRECTOR_XF,
        demo.DIRECTOR_XF.id,
    )
    refused(
        flow, lambda: bank.deduct(demo.OFFICER_XF, RIDER.id, reason=" ", points=1), InvalidInput
    )
    refused(flow, lambda: bank.deduct(demo.OFFICER_XF, RIDER.id, reason="x"), InvalidInput)
    refused(
        flow,
        lambda: bank.deduct(demo.OFFICER_XF, RIDER.id, reason="x", points=1, kind="failed_months"),
        InvalidInput,
    )
    refused(flow, lambda: bank.deduct(demo.CADRE_XF, RIDER.id, reason="x", points=1), NotPermitted)


def test_fuping_evaluation_deducts_after_two_failed_months_and_restars() -> None:
    flow = open_loop(clock=FakeClock(), scoring=FUPING_SCORING).incidents
    admit(flow, RIDER)
    bank = Bank(flow.app, flow.scoring)
    rewarded_case(flow, RIDER, 25)
    assert bank.balance(RIDER.id)[1:4] == (25, 125, 1)
    assert (
        bank.evaluate_month(
            demo.OFFICER_XF, RIDER.id, month="2026-05", passed=False, note="缺勤"
        ).deducted
        == 0
    )
    result = bank.evaluate_month(
        demo.OFFICER_XF, RIDER.id, month="2026-06", passed=False, note="缺勤"
    )
    assert (result.rule_met, result.deducted, result.score, result.star_level) == (
        "连续2个月考评不合格",
        20,
        105,
        0,
    )
    account = flow.points_account(RIDER.id)
    assert account.settled_months == ["2026-05", "2026-06"]
    refused(
        flow,
        lambda: bank.evaluate_month(
            demo.OFFICER_XF, RIDER.id, month="2026-13", passed=True, note="x"
        ),
        InvalidInput,
    )


def test_honours_come_from_the_policy_and_are_awarded_once_per_period(
    flow: IncidentFlow, bank: Bank
) -> None:
    ack = bank.award_honour(
        demo.STATION_OFFICER, RIDER.id, honour="义警之星", period="2026-Q3", reason="勇救落水儿童"
    )
    assert (ack.honour, ack.period) == ("义警之星", "2026-Q3")
    refused(
        flow,
        lambda: bank.award_honour(
            demo.STATION_OFFICER, RIDER.id, honour="义警之星", period="2026-Q3", reason="again"
        ),
        AdmissionRefused,
    )
    refused(
        flow,
        lambda: bank.award_honour(
            demo.STATION_OFFICER, RIDER.id, honour="最受欢迎蓝马甲", period="2026", reason="x"
        ),
        InvalidInput,
    )
    refused(
        flow,
        lambda: bank.award_honour(
            demo.STATION_OFFICER, RIDER.id, honour="义警之星", period="Q3", reason="x"
        ),
        InvalidInput,
    )
    refused(
        flow,
        lambda: bank.award_honour(
            demo.OFFICER_HP, RIDER.id, honour="义警之星", period="2026", reason="x"
        ),
        AccountNotFound,
    )
    refused(
        flow,
        lambda: bank.award_honour(
            demo.CADRE_XF, RIDER.id, honour="义警之星", period="2026", reason="x"
        ),
        NotPermitted,
    )


def test_catalogue_input_is_checked(flow: IncidentFlow, bank: Bank, cups: str) -> None:
    for bad in ({"price": 0}, {"stock": -1}, {"name": ""}, {"limit_per_volunteer": 0}):
        details: dict[str, Any] = {"name": "米", "donor": "粮店", "stock": 1, "price": 1} | bad
        refused(flow, lambda d=details: bank.donate(demo.CADRE_XF, **d), InvalidInput)
    refused(
        flow,
        lambda: bank.donate(demo.RIDER, name="米", donor="粮店", stock=1, price=1),
        NotPermitted,
    )
    refused(
        flow,
        lambda: bank.restock(demo.CADRE_HP, cups, quantity=1, donor="x"),
        ItemNotFound,  # another community's goods
    )
    refused(
        flow,
        lambda: bank.restock(demo.AUXILIARY_XF, cups, quantity=1, donor="x"),
        NotPermitted,
    )
    assert bank.restock(demo.STATION_OFFICER, cups, quantity=2, donor="超市").stock == 5


def test_a_version_1_reward_event_reads_as_fully_credited(flow: IncidentFlow) -> None:
    incident = rewarded_case(flow, RIDER, 30)
    stored = flow.app.recorder.select_events(incident, desc=True, limit=1)[0]
    state = json.loads(stored.state)
    assert state.pop("class_version") == 2
    del state["credited"]
    old = type(stored)(
        stored.originator_id, stored.originator_version, stored.topic, json.dumps(state).encode()
    )
    event = flow.app.mapper.to_domain_event(old)
    assert isinstance(event, Incident.Rewarded)
    assert (event.points, event.credited) == (30, 30)


def test_months_and_periods_lie_within_the_countys_records(flow: IncidentFlow, bank: Bank) -> None:
    """The clock says July 2026; the county's records begin in January 2020."""
    officer = demo.OFFICER_XF
    for month in ("0001-01", "2019-12", "2026-08"):
        error = refused(
            flow,
            lambda m=month: bank.evaluate_month(officer, RIDER.id, month=m, passed=True, note="好"),
            InvalidInput,
        )
        assert error.details["field"] == "month"
    for period in ("1900", "2019-Q4", "2019-12", "2026-Q4", "2027"):
        error = refused(
            flow,
            lambda p=period: bank.award_honour(
                officer, RIDER.id, honour="义警之星", period=p, reason="表现突出"
            ),
            InvalidInput,
        )
        assert error.details["field"] == "period"
    bank.evaluate_month(officer, RIDER.id, month="2020-01", passed=True, note="好")
    bank.award_honour(officer, RIDER.id, honour="义警之星", period="2026-Q3", reason="表现突出")
    bank.award_honour(officer, RIDER.id, honour="义警之星", period="2020", reason="表现突出")
