"""``Bank``: the Happiness Bank (幸福银行): catalogue, redemption, deductions,
monthly evaluation and honours.

The Lishu text: "朝阳派出所与幸福社区联合开办“幸福银行”…为每位“义警”开设账户，采取积分
储蓄…不同积分兑换不同种类物品，根据“义警”意愿随时兑换。积分可以兑现洗澡卡、保温杯、
旅行包、大米、豆油等物品，均为当地企业和单位捐助。"

Deposits are made by the loop's reward step (``IncidentFlow.reward``); accounts
are opened by admission (``Volunteers.admit``). Each command here validates,
loads, checks who may act, records and saves through
:meth:`LoopApplication.commit`; a redemption saves the account and the item together,
so neither the balance nor the stock can go below zero, even when redemptions race.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from aggregates.actor import Actor
from aggregates.errors import LedgerRefused
from aggregates.points_account import DEDUCTION_KINDS, PointsAccount
from aggregates.reward_item import RewardItem
from loop.errors import InvalidInput, ItemNotFound
from loop.rules import inputs, permissions, units
from loop.rules.access import account_record, item_record
from loop.rules.policy import LISHU, Policy
from loop.rules.scoring import CHINA, LISHU_SCORING, MONTH, PERIOD, ScoringPolicy
from loop.rules.tasks import task_policy_for
from loop.services.lookup import named_account
from loop.services.volunteers import Volunteers
from loop.storage.application import LoopApplication

MAX_PIECES = 10_000
MAX_POINTS = 10_000


class Balance(NamedTuple):
    """A volunteer's account at a glance."""

    volunteer_id: str
    balance: int
    score: int
    star_level: int
    earned: int
    redeemed: int
    deducted: int
    version: int
    position: int | None = None


class ItemAck(NamedTuple):
    item_id: str
    name: str
    stock: int
    price: int
    bank: str
    version: int
    position: int | None


class Redemption(NamedTuple):
    volunteer_id: str
    item_id: str
    quantity: int
    points: int
    balance: int
    stock: int
    position: int | None


class Evaluation(NamedTuple):
    volunteer_id: str
    month: str
    passed: bool
    rule_met: str | None  # the failed-months rule this evaluation completed, if any
    deducted: int  # score points deducted by that rule
    balance: int
    score: int
    star_level: int
    position: int | None


class HonourAck(NamedTuple):
    volunteer_id: str
    honour: str
    period: str
    version: int
    position: int | None


def _whole(field: str, value: Any, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise InvalidInput(
            f"「{field}」必须是{low}到{high}之间的整数",
            f"'{field}' must be a whole number from {low} to {high}",
            field=field,
        )
    return value


def _optional_whole(field: str, value: Any, low: int, high: int) -> int | None:
    return None if value is None else _whole(field, value, low, high)


def _balance(account: PointsAccount, position: int | None = None) -> Balance:
    return Balance(
        account.volunteer_id,
        account.balance,
        account.score,
        account.star_level,
        account.earned,
        account.redeemed,
        account.deducted,
        account.version,
        position,
    )


class Bank:
    """Commands of the Happiness Bank, stored in the one application store ``app``."""

    def __init__(
        self, app: LoopApplication, scoring: ScoringPolicy = LISHU_SCORING, policy: Policy = LISHU
    ) -> None:
        self.app = app
        self.scoring = scoring
        self.policy = policy
        self.volunteers = Volunteers(app, scoring)

    # -- reading ---------------------------------------------------------------

    def account(self, volunteer_id: str, *, reader: Actor | None = None) -> PointsAccount:
        """The volunteer's account; :class:`AccountNotFound` if there is none, or if
        ``reader`` may not read it (the same answer)."""
        return named_account(self.app, volunteer_id, reader=reader)

    def read_account(self, actor: Actor, volunteer_id: str) -> PointsAccount:
        """The account as ``actor`` reads it: refused to a role that reads no
        account, not found if absent or outside what he may read."""
        permissions.check_role("read_account", actor)
        return self.account(volunteer_id, reader=actor)

    def balance(self, volunteer_id: str, *, reader: Actor | None = None) -> Balance:
        """The volunteer's balance, score and star level."""
        return _balance(self.account(volunteer_id, reader=reader))

    def item(self, item_id: UUID | str, *, reader: Actor | None = None) -> RewardItem:
        """A catalogue item; :class:`ItemNotFound` if there is none under that id, or
        if ``reader`` may not read it (the same answer)."""
        try:
            key = item_id if isinstance(item_id, UUID) else UUID(str(item_id))
        except ValueError:
            item = None
        else:
            item = self.app.find(key, RewardItem)
        if item is None or (
            reader is not None and not permissions.visible(reader, item_record(item.bank))
        ):
            raise ItemNotFound("兑换物品不存在", "No such reward item", item_id=str(item_id))
        return item

    # -- catalogue ---------------------------------------------------------------

    def donate(
        self,
        actor: Actor,
        *,
        name: str,
        donor: str,
        stock: int,
        price: int,
        limit_per_volunteer: int | None = None,
        item_id: UUID | None = None,
    ) -> ItemAck:
        """Register goods a named local business or unit donated, in the catalogue of
        the actor's unit (a community, or a station for all its communities)."""
        checked_name = inputs.text("name", name, max_len=50)
        checked_donor = inputs.text("donor", donor, max_len=100)
        checked_stock = _whole("stock", stock, 0, MAX_PIECES)
        checked_price = _whole("price", price, 1, MAX_POINTS)
        limit = _optional_whole("limit_per_volunteer", limit_per_volunteer, 1, MAX_PIECES)
        if units.level(actor.unit) not in ("community", "station"):
            raise InvalidInput(
                "幸福银行设在社区或派出所", "A Happiness Bank is run by a community or a station"
            )
        permissions.check("donate", actor, item_record(actor.unit))
        item = RewardItem.donate(
            actor,
            self.app.clock(),
            name=checked_name,
            donor=checked_donor,
            stock=checked_stock,
            price=checked_price,
            limit_per_volunteer=limit,
            bank=actor.unit,
            item_id=item_id,
        )
        return self._item_ack(item, self.app.commit(item))

    def restock(self, actor: Actor, item_id: UUID | str, *, quantity: int, donor: str) -> ItemAck:
        """More of an item, from the same or another donor."""
        checked = _whole("quantity", quantity, 1, MAX_PIECES)
        checked_donor = inputs.text("donor", donor, max_len=100)
        permissions.check_role("donate", actor)
        item = self.item(item_id, reader=actor)
        permissions.check("donate", actor, item_record(item.bank))
        item.restock(actor, self.app.clock(), checked, checked_donor)
        return self._item_ack(item, self.app.commit(item))

    # -- redemption --------------------------------------------------------------

    def redeem(
        self, actor: Actor, volunteer_id: str, item_id: UUID | str, *, quantity: int = 1
    ) -> Redemption:
        """Exchange points for donated goods: the account is debited and the stock
        taken in one save. Beyond the stock, the per-volunteer limit or the balance
        it is refused and nothing is written."""
        checked = _whole("quantity", quantity, 1, MAX_PIECES)
        account = self._acted_on("redeem", actor, volunteer_id)
        item = self.item(item_id, reader=actor)
        if not units.within(account.community, item.bank):
            raise InvalidInput(
                f"「{item.name}」不属于该义警所在社区的幸福银行",
                f"'{item.name}' is not in the Happiness Bank of the volunteer's community",
                item_bank=item.bank,
                community=account.community,
            )
        at = self.app.clock()
        points = item.hand_out(actor, at, account.volunteer_id, checked)
        account.redeem(
            actor,
            at,
            item_id=str(item.id),
            item_name=item.name,
            quantity=checked,
            points=points,
            period=self.scoring.period_of(at),
            basis={
                "item_id": str(item.id),
                "item_name": item.name,
                "donors": list(item.donors),
                "unit_price": item.price,
                "quantity": checked,
            },
        )
        position = self.app.commit(account, item)
        return Redemption(
            account.volunteer_id,
            str(item.id),
            checked,
            points,
            account.balance,
            item.stock,
            position,
        )

    # -- deductions, monthly evaluation, honours -----------------------------------

    def deduct(
        self,
        actor: Actor,
        volunteer_id: str,
        *,
        reason: str,
        points: int | None = None,
        kind: str = "manual",
    ) -> Balance:
        """Deduct points by a decision (``manual``) or for a discipline breach
        (``discipline``, by default the policy's discipline deduction), with the
        reason; the actor is who decided. The score loses the points; the balance
        loses what it holds of them and never goes below zero."""
        if kind not in ("manual", "discipline"):
            raise InvalidInput(
                "扣分类型须为考核扣分或违纪扣分",
                "kind must be manual or discipline",
                field="kind",
                allowed=["manual", "discipline"],
            )
        checked_reason = inputs.prose("reason", reason, max_len=500)
        if points is None and kind == "discipline" and self.scoring.discipline_deduction:
            amount = self.scoring.discipline_deduction
        else:
            amount = _whole("points", points, 1, MAX_POINTS)
        account = self._acted_on("deduct", actor, volunteer_id)
        at = self.app.clock()
        account.deduct(
            actor,
            at,
            points=amount,
            reason=checked_reason,
            kind=kind,
            period=self.scoring.period_of(at),
            basis={"decision": DEDUCTION_KINDS[kind], "decided_by": actor.id},
        )
        account.restar(actor, at, self.scoring.star_level(account.score))
        return _balance(account, self.app.commit(account))

    def evaluate_month(
        self, actor: Actor, volunteer_id: str, *, month: str, passed: bool, note: str
    ) -> Evaluation:
        """Record a month's evaluation (月考评). Under a policy with the failed-months
        rule (Fuping: two consecutive or three cumulative failed months within the
        year) a failure that completes it deducts the policy's points in the same
        save; the failures it counted are settled and not counted again."""
        if not isinstance(month, str) or not MONTH.match(month):
            raise InvalidInput("「month」须为YYYY-MM格式", "'month' must be YYYY-MM", field="month")
        if not isinstance(passed, bool):
            raise InvalidInput("「passed」须为是或否", "'passed' must be true or false")
        checked_note = inputs.prose("note", note, max_len=500)
        at = self.app.clock()
        if month > f"{at.astimezone(CHINA):%Y-%m}":
            raise InvalidInput(
                "不能考评尚未开始的月份",
                "A month cannot be evaluated before it begins",
                field="month",
            )
        self._check_period("month", month, at)
        account = self._acted_on("evaluate_month", actor, volunteer_id)
        self._check_no_shows(account, month, passed)
        account.evaluate_month(actor, at, period=month, passed=passed, note=checked_note)
        due = (
            None
            if passed
            else self.scoring.failed_months_due(account.evaluations, account.settled_months, month)
        )
        rule_met, deducted = None, 0
        if due is not None and self.scoring.failure_deduction > 0:
            rule_met, months = due
            deducted = self.scoring.failure_deduction
            account.deduct(
                actor,
                at,
                points=deducted,
                reason=rule_met,
                kind="failed_months",
                period=self.scoring.period_of(at),
                basis={"months": months, "rule": rule_met},
            )
            account.restar(actor, at, self.scoring.star_level(account.score))
        position = self.app.commit(account)
        return Evaluation(
            account.volunteer_id,
            month,
            passed,
            rule_met,
            deducted,
            account.balance,
            account.score,
            account.star_level,
            position,
        )

    def award_honour(
        self, actor: Actor, volunteer_id: str, *, honour: str, period: str, reason: str
    ) -> HonourAck:
        """Award one of the policy's honours (义警之星, 最受欢迎…) for a period
        (``2026``, ``2026-Q3`` or ``2026-07``)."""
        if honour not in self.scoring.honours:
            raise InvalidInput(
                f"「honour」必须是以下之一：{'、'.join(self.scoring.honours)}",
                f"'honour' must be one of: {', '.join(self.scoring.honours)}",
                field="honour",
                allowed=list(self.scoring.honours),
            )
        if not isinstance(period, str) or not PERIOD.match(period):
            raise InvalidInput(
                "「period」须为YYYY、YYYY-Qn或YYYY-MM格式",
                "'period' must be YYYY, YYYY-Qn or YYYY-MM",
                field="period",
            )
        checked_reason = inputs.prose("reason", reason, max_len=500)
        at = self.app.clock()
        self._check_period("period", period, at)
        self._acted_on("award_honour", actor, volunteer_id)
        volunteer = self.volunteers.get(volunteer_id)
        volunteer.award(actor, at, honour, period, checked_reason)
        position = self.app.commit(volunteer)
        return HonourAck(volunteer.volunteer_id, honour, period, volunteer.version, position)

    def _check_period(self, field: str, period: str, at: datetime) -> None:
        """A period (``2026``, ``2026-Q3``, ``2026-07``) the county keeps records of:
        not ending before its records begin, not starting after now."""
        year, rest = int(period[:4]), period[5:]
        if not rest:  # a year
            first, last = 1, 12
        elif rest.startswith("Q"):  # a quarter
            first, last = 3 * int(rest[1]) - 2, 3 * int(rest[1])
        else:  # a month
            first = last = int(rest)
        begins = self.policy.records_begin.astimezone(CHINA)
        now = at.astimezone(CHINA)
        if (year, last) < (begins.year, begins.month) or (year, first) > (now.year, now.month):
            raise InvalidInput(
                f"「{field}」须在本县记录开始（{begins:%Y-%m}）之后、不晚于本月",
                f"'{field}' must lie between the county's first records ({begins:%Y-%m}) "
                "and this month",
                field=field,
            )

    def _acted_on(self, command: str, actor: Actor, volunteer_id: str) -> PointsAccount:
        """The account ``command`` acts on, once ``actor`` may take it there: a role
        that never may is refused first, an account he may not read is not found
        (``loop.rules.permissions``)."""
        permissions.check_role(command, actor)
        account = self.account(volunteer_id, reader=actor)
        permissions.check(command, actor, account_record(account))
        return account

    def _check_no_shows(self, account: PointsAccount, month: str, passed: bool) -> None:
        """Under a preset whose no-shows fail a month (Fuping), a month with that
        many no-shows on duty tasks cannot be evaluated as passed."""
        limit = task_policy_for(self.scoring).no_shows_failing_month
        missed = account.no_shows.get(month, 0)
        if passed and limit is not None and missed >= limit:
            raise LedgerRefused(
                f"{month}任务缺勤{missed}次，按考核办法该月考评不能评为合格",
                f"{missed} no-shows on duty tasks in {month}: the month cannot pass",
                period=month,
                no_shows=missed,
                limit=limit,
            )

    @staticmethod
    def _item_ack(item: RewardItem, position: int | None) -> ItemAck:
        return ItemAck(
            str(item.id), item.name, item.stock, item.price, item.bank, item.version, position
        )
