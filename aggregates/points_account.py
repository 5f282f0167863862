"""The PointsAccount aggregate: a volunteer's Happiness Bank (幸福银行) ledger.

Entries are never edited: a mistake or a later rejection is corrected by a
compensating entry. Two quantities are kept:

* the **balance**, what can be exchanged for donated goods: deposits less
  redemptions, deductions and reversals. It never goes below zero; a deduction
  or reversal larger than the balance takes what there is and records the
  shortfall;
* the **score**, what ranks and star levels count: the base points of the
  scoring policy (Fuping's 基本分) plus points earned by scored incidents and
  completed duty tasks, less reversed deposits and deductions in full.
  Redemptions do not lower it.

Every entry carries its ``basis``: the source, scoring items and signers of a
deposit; the item of a redemption; the decision or failed months of a deduction.
A deposit names its source (``source``: an incident, a duty task, later a talk
order; ``source_id``), and one source pays an account once, ever.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor
from aggregates.errors import AlreadyDeposited, InsufficientPoints, LedgerRefused

DEDUCTION_KINDS = {
    "manual": "考核扣分",
    "discipline": "违纪扣分",
    "failed_months": "月考评不合格扣分",
    "no_show": "任务缺勤扣分",
}

DEPOSIT_SOURCES = {"incident": "警情", "task": "任务"}
"""What a deposit may be paid for (talk orders will follow)."""


def account_id(volunteer_id: str) -> UUID:
    """One account per volunteer; its id follows from the volunteer's."""
    return uuid5(NAMESPACE_URL, f"lishu:account:{volunteer_id}")


class PointsAccount(Aggregate):
    """One volunteer's account, opened on admission."""

    class_version = 2  # v2: no-shows on duty tasks counted per period

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A snapshot taken before duty tasks counts no no-shows."""
        state.setdefault("no_shows", {})

    class Event(Aggregate.Event):
        actor: Actor

    class Opened(Event, Aggregate.Created):
        volunteer_id: str
        community: str
        base_points: int

    class Entry(Event):
        """Base of ledger entries: each moves the balance by ``amount``."""

        amount: int
        period: str
        basis: dict[str, Any]

        def apply(self, aggregate: Any) -> None:
            account: PointsAccount = aggregate
            account.balance += self.amount
            self.record(account)

        def record(self, account: PointsAccount) -> None:
            """This entry's own facts beyond the balance."""

    class Deposited(Entry):
        """Points for a scored incident or a completed duty task (``source``, with its
        id); ``requested`` beyond the period cap is not paid.

        v2: the source is named (``source``, ``source_id``); version 1 deposits were
        all for incidents and named one by ``incident_id``."""

        class_version = 2

        source: str
        source_id: str
        requested: int

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Deposits stored when only incidents paid points."""
            state["source"] = "incident"
            state["source_id"] = state.pop("incident_id")

        def record(self, account: PointsAccount) -> None:
            account.earned += self.amount
            account.deposits[self.source_id] = {"amount": self.amount, "period": self.period}
            account.earned_by_period[self.period] = (
                account.earned_by_period.get(self.period, 0) + self.amount
            )

    class Redeemed(Entry):
        item_id: str
        item_name: str
        quantity: int

        def record(self, account: PointsAccount) -> None:
            account.redeemed -= self.amount
            account.redemptions[self.item_id] = (
                account.redemptions.get(self.item_id, 0) + self.quantity
            )

    class Deducted(Entry):
        """``-amount`` taken from the balance, ``shortfall`` more it did not hold;
        the score loses both."""

        reason: str
        kind: str  # manual | discipline | failed_months | no_show
        shortfall: int

        def record(self, account: PointsAccount) -> None:
            account.deducted += self.shortfall - self.amount
            if self.kind == "failed_months":
                account.settled_months.extend(self.basis["months"])
            if self.kind == "no_show":
                account.no_shows[self.period] = account.no_shows.get(self.period, 0) + 1

    class Reversed(Entry):
        """A deposit taken back because its incident was later rejected or merged."""

        incident_id: str
        reason: str
        shortfall: int

        def record(self, account: PointsAccount) -> None:
            deposit = account.deposits[self.incident_id]
            account.earned -= deposit["amount"]
            account.earned_by_period[deposit["period"]] -= deposit["amount"]
            account.reversed_incidents.append(self.incident_id)

    class MonthEvaluated(Event):
        period: str
        passed: bool
        note: str

        def apply(self, aggregate: Any) -> None:
            aggregate.evaluations[self.period] = self.passed

    class StarLevelChanged(Event):
        level: int
        previous: int
        score: int

        def apply(self, aggregate: Any) -> None:
            aggregate.star_level = self.level

    def __init__(
        self,
        actor: Actor,  # noqa: ARG002 (every Created field is passed; the event keeps it)
        volunteer_id: str,
        community: str,
        base_points: int,
    ) -> None:
        self.volunteer_id = volunteer_id
        self.community = community
        self.base_points = base_points
        self.balance = 0
        self.earned = 0
        self.redeemed = 0
        self.deducted = 0
        self.star_level = 0
        self.deposits: dict[str, dict[str, Any]] = {}
        self.reversed_incidents: list[str] = []
        self.earned_by_period: dict[str, int] = {}
        self.redemptions: dict[str, int] = {}
        self.evaluations: dict[str, bool] = {}
        self.settled_months: list[str] = []
        self.no_shows: dict[str, int] = {}  # no-shows on duty tasks, per period

    @classmethod
    def open(
        cls, actor: Actor, at: datetime, *, volunteer_id: str, community: str, base_points: int
    ) -> PointsAccount:
        return cls._create(
            cls.Opened,
            id=account_id(volunteer_id),
            timestamp=at,
            actor=actor,
            volunteer_id=volunteer_id,
            community=community,
            base_points=base_points,
        )

    @property
    def score(self) -> int:
        """Base points plus net earnings less deductions: what ranks and stars count."""
        return self.base_points + self.earned - self.deducted

    def deposit(
        self,
        actor: Actor,
        at: datetime,
        *,
        points: int,
        period: str,
        cap: int | None,
        basis: dict[str, Any],
        incident_id: str | None = None,
        source: str = "incident",
        source_id: str | None = None,
    ) -> int:
        """Credit a scored incident (``incident_id``) or another ``source`` (a duty
        task, ``source_id``), once ever; returns the points actually credited (less
        than ``points`` when the period's cap is reached, possibly zero)."""
        if incident_id is not None:
            source, source_id = "incident", incident_id
        if source not in DEPOSIT_SOURCES or not source_id:
            raise LedgerRefused(
                "积分存入须注明来源（警情或任务）",
                "A deposit must name its source (an incident or a task)",
                source=source,
            )
        if source_id in self.deposits:
            name = DEPOSIT_SOURCES[source]
            raise AlreadyDeposited(
                f"该{name}的积分已存入幸福银行，不能重复兑现",
                f"Points for this {source} were already deposited",
                source=source,
                source_id=source_id,
                **({"incident_id": source_id} if source == "incident" else {}),
            )
        room = points if cap is None else max(0, cap - self.earned_by_period.get(period, 0))
        amount = min(points, room)
        self.trigger_event(
            self.Deposited,
            actor=actor,
            timestamp=at,
            amount=amount,
            period=period,
            basis=basis,
            source=source,
            source_id=source_id,
            requested=points,
        )
        return amount

    def redeem(
        self,
        actor: Actor,
        at: datetime,
        *,
        item_id: str,
        item_name: str,
        quantity: int,
        points: int,
        period: str,
        basis: dict[str, Any],
    ) -> None:
        if points > self.balance:
            raise InsufficientPoints(
                f"积分余额不足：兑换需要{points}分，余额{self.balance}分",
                f"Not enough points: {points} needed, {self.balance} available",
                needed=points,
                balance=self.balance,
            )
        self.trigger_event(
            self.Redeemed,
            actor=actor,
            timestamp=at,
            amount=-points,
            period=period,
            basis=basis,
            item_id=item_id,
            item_name=item_name,
            quantity=quantity,
        )

    def deduct(
        self,
        actor: Actor,
        at: datetime,
        *,
        points: int,
        reason: str,
        kind: str,
        period: str,
        basis: dict[str, Any],
    ) -> int:
        """Take ``points`` off the score, and off the balance as far as it goes;
        returns the points taken from the balance."""
        if points <= 0:
            raise LedgerRefused("扣分必须为正数", "A deduction must be positive", points=points)
        taken = min(points, self.balance)
        self.trigger_event(
            self.Deducted,
            actor=actor,
            timestamp=at,
            amount=-taken,
            period=period,
            basis=basis,
            reason=reason,
            kind=kind,
            shortfall=points - taken,
        )
        return taken

    def reverse(
        self,
        actor: Actor,
        at: datetime,
        *,
        incident_id: str,
        reason: str,
        period: str,
        basis: dict[str, Any],
    ) -> int | None:
        """Compensate the deposit of an incident later rejected or merged; returns the
        points taken back from the balance, or None if there is nothing to reverse."""
        if incident_id not in self.deposits or incident_id in self.reversed_incidents:
            return None
        paid = int(self.deposits[incident_id]["amount"])
        taken = min(paid, self.balance)
        self.trigger_event(
            self.Reversed,
            actor=actor,
            timestamp=at,
            amount=-taken,
            period=period,
            basis=basis,
            incident_id=incident_id,
            reason=reason,
            shortfall=paid - taken,
        )
        return taken

    def evaluate_month(
        self, actor: Actor, at: datetime, *, period: str, passed: bool, note: str
    ) -> None:
        """Record a month's evaluation; months are evaluated once each, in order."""
        if period in self.evaluations:
            raise LedgerRefused(f"{period}已考评", f"{period} was already evaluated", period=period)
        later = [p for p in self.evaluations if p > period]
        if later:
            raise LedgerRefused(
                f"月考评须按月份顺序进行：{max(later)}已考评",
                f"Months are evaluated in order: {max(later)} is already evaluated",
                period=period,
                latest=max(later),
            )
        self.trigger_event(
            self.MonthEvaluated, actor=actor, timestamp=at, period=period, passed=passed, note=note
        )

    def restar(self, actor: Actor, at: datetime, level: int) -> None:
        """Record the star level the score now earns, if it changed."""
        if level != self.star_level:
            self.trigger_event(
                self.StarLevelChanged,
                actor=actor,
                timestamp=at,
                level=level,
                previous=self.star_level,
                score=self.score,
            )
