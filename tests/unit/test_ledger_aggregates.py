"""The rules the Volunteer, PointsAccount and RewardItem aggregates keep themselves."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from aggregates.actor import Actor
from aggregates.errors import (
    AdmissionRefused,
    AlreadyDeposited,
    InsufficientPoints,
    LedgerRefused,
    OutOfStock,
    RedemptionLimitReached,
)
from aggregates.points_account import PointsAccount
from aggregates.reward_item import RewardItem
from aggregates.volunteer import Volunteer

AT = datetime(2026, 7, 11, 9, 0, tzinfo=timezone(timedelta(hours=8)))
OFFICER = Actor("o-1", "community_officer", "lishu/chaoyang/xingfu")


def account(base: int = 0) -> PointsAccount:
    opened = PointsAccount.open(
        OFFICER, AT, volunteer_id="v-1", community="lishu/chaoyang/xingfu", base_points=base
    )
    opened.collect_events()
    return opened


def deposit(acc: PointsAccount, incident: str, points: int, period: str = "2026-07") -> int:
    return acc.deposit(
        OFFICER, AT, incident_id=incident, points=points, period=period, cap=150, basis={}
    )


def test_one_deposit_per_incident_ever_even_after_a_reversal() -> None:
    acc = account()
    deposit(acc, "i-1", 30)
    with pytest.raises(AlreadyDeposited):
        deposit(acc, "i-1", 30)
    acc.reverse(OFFICER, AT, incident_id="i-1", reason="合并", period="2026-07", basis={})
    with pytest.raises(AlreadyDeposited):
        deposit(acc, "i-1", 30)
    assert (acc.balance, acc.earned) == (0, 0)


def test_the_cap_limits_each_period_and_a_reversal_frees_its_room() -> None:
    acc = account()
    assert deposit(acc, "i-1", 100) == 100
    assert deposit(acc, "i-2", 80) == 50
    assert deposit(acc, "i-3", 20) == 0
    assert deposit(acc, "i-4", 20, period="2026-08") == 20
    acc.reverse(OFFICER, AT, incident_id="i-1", reason="查无实据", period="2026-08", basis={})
    assert acc.earned_by_period["2026-07"] == 50
    assert deposit(acc, "i-5", 120) == 100
    assert acc.balance == 50 + 20 + 100


def test_a_redemption_beyond_the_balance_records_nothing() -> None:
    acc = account()
    deposit(acc, "i-1", 30)
    acc.collect_events()
    with pytest.raises(InsufficientPoints) as refused:
        acc.redeem(
            OFFICER,
            AT,
            item_id="x",
            item_name="旅行包",
            quantity=1,
            points=60,
            period="2026-07",
            basis={},
        )
    assert refused.value.details == {"needed": 60, "balance": 30}
    assert acc.pending_events == []
    assert acc.balance == 30


def test_a_deduction_beyond_the_balance_stops_at_zero_and_records_the_shortfall() -> None:
    acc = account(base=100)
    deposit(acc, "i-1", 20)
    taken = acc.deduct(
        OFFICER, AT, points=30, reason="违纪", kind="discipline", period="2026-07", basis={}
    )
    assert taken == 20
    assert acc.balance == 0
    assert acc.score == 100 + 20 - 30
    last = acc.pending_events[-1]
    assert isinstance(last, PointsAccount.Deducted)
    assert (last.amount, last.shortfall) == (-20, 10)
    with pytest.raises(LedgerRefused):
        acc.deduct(OFFICER, AT, points=0, reason="x", kind="manual", period="2026-07", basis={})


def test_a_reversal_is_made_once_and_only_for_a_deposit() -> None:
    acc = account()
    assert acc.reverse(OFFICER, AT, incident_id="none", reason="r", period="p", basis={}) is None
    deposit(acc, "i-1", 30)
    acc.redeem(
        OFFICER, AT, item_id="x", item_name="杯", quantity=1, points=20, period="p", basis={}
    )
    assert acc.reverse(OFFICER, AT, incident_id="i-1", reason="r", period="p", basis={}) == 10
    assert acc.reverse(OFFICER, AT, incident_id="i-1", reason="r", period="p", basis={}) is None
    assert (acc.balance, acc.earned, acc.redeemed) == (0, 0, 20)
    reversals = [e for e in acc.pending_events if isinstance(e, PointsAccount.Reversed)]
    assert [(e.amount, e.shortfall) for e in reversals] == [(-10, 20)]


def test_months_are_evaluated_once_each_and_in_order() -> None:
    acc = account()
    acc.evaluate_month(OFFICER, AT, period="2026-05", passed=True, note="")
    with pytest.raises(LedgerRefused):
        acc.evaluate_month(OFFICER, AT, period="2026-05", passed=False, note="")
    with pytest.raises(LedgerRefused):
        acc.evaluate_month(OFFICER, AT, period="2026-04", passed=False, note="")
    acc.evaluate_month(OFFICER, AT, period="2026-06", passed=False, note="")
    assert acc.evaluations == {"2026-05": True, "2026-06": False}


def test_the_star_level_is_recorded_only_when_it_changes() -> None:
    acc = account(base=100)
    acc.restar(OFFICER, AT, 0)
    assert acc.pending_events == []
    acc.restar(OFFICER, AT, 1)
    acc.restar(OFFICER, AT, 1)
    assert [type(e).__name__ for e in acc.pending_events] == ["StarLevelChanged"]


def item(stock: int = 3, limit: int | None = None) -> RewardItem:
    return RewardItem.donate(
        OFFICER,
        AT,
        name="保温杯",
        donor="百货大楼",
        stock=stock,
        price=20,
        limit_per_volunteer=limit,
        bank="lishu/chaoyang/xingfu",
    )


def test_stock_never_goes_below_zero() -> None:
    cups = item(stock=3)
    assert cups.hand_out(OFFICER, AT, "v-1", 2) == 40
    with pytest.raises(OutOfStock) as refused:
        cups.hand_out(OFFICER, AT, "v-2", 2)
    assert "库存不足：剩余1件" in refused.value.message_zh
    assert cups.stock == 1
    cups.restock(OFFICER, AT, 5, "超市")
    assert (cups.stock, cups.donors) == (6, ["百货大楼", "超市"])


def test_a_per_volunteer_limit_counts_every_hand_out_to_him() -> None:
    cups = item(stock=10, limit=2)
    cups.hand_out(OFFICER, AT, "v-1", 1)
    cups.hand_out(OFFICER, AT, "v-1", 1)
    with pytest.raises(RedemptionLimitReached):
        cups.hand_out(OFFICER, AT, "v-1", 1)
    cups.hand_out(OFFICER, AT, "v-2", 2)
    assert cups.stock == 6


def applicant() -> Volunteer:
    return Volunteer.apply_to_join(
        OFFICER,
        AT,
        volunteer_id="v-9",
        personal={"name": "王某", "phone": "1", "id_number": "2", "address": "3"},
        employer="公司",
        occupation="courier",
        community="lishu/chaoyang/xingfu",
        party_member=False,
    )


def test_a_negative_review_rejects_and_closes_the_application() -> None:
    volunteer = applicant()
    volunteer.review(
        OFFICER, AT, reviewer="community", approved=False, criminal_record=False, note="口碑差"
    )
    assert volunteer.status == "rejected"
    assert volunteer.rejection_reason == "社区审核未通过：口碑差"
    for attempt in (
        lambda: volunteer.review(
            OFFICER, AT, reviewer="employer", approved=True, criminal_record=False, note=""
        ),
        lambda: volunteer.admit(OFFICER, AT, archive_no="a", letter_no="b", armband_no="c"),
    ):
        with pytest.raises(AdmissionRefused):
            attempt()


def test_a_criminal_record_rejects_even_an_approving_review() -> None:
    volunteer = applicant()
    volunteer.review(
        OFFICER, AT, reviewer="station", approved=True, criminal_record=True, note="盗窃"
    )
    assert volunteer.status == "rejected"
    assert [type(e).__name__ for e in volunteer.pending_events][-2:] == ["Reviewed", "Rejected"]


def test_retired_is_final_and_a_status_must_change() -> None:
    volunteer = applicant()
    for reviewer in ("employer", "station", "community"):
        volunteer.review(
            OFFICER, AT, reviewer=reviewer, approved=True, criminal_record=False, note=""
        )
    volunteer.admit(OFFICER, AT, archive_no="a", letter_no="b", armband_no="c")
    with pytest.raises(AdmissionRefused):
        volunteer.change_status(OFFICER, AT, "active", "no change")
    with pytest.raises(AdmissionRefused):
        volunteer.change_status(OFFICER, AT, "applied", "back")
    volunteer.change_status(OFFICER, AT, "suspended", "调查中")
    with pytest.raises(AdmissionRefused):
        volunteer.join_team(OFFICER, AT, "rescue")
    volunteer.change_status(OFFICER, AT, "retired", "本人申请")
    with pytest.raises(AdmissionRefused):
        volunteer.change_status(OFFICER, AT, "active", "回来")
    volunteer.award(OFFICER, AT, "义警之星", "2026", "多年服务")
    assert volunteer.honours == [{"honour": "义警之星", "period": "2026"}]
