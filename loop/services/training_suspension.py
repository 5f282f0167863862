"""Suspension for a shortfall of the year's training days (培训不足暂停上岗), for a
preset whose rule for a shortfall is to suspend.

Fuping: "常态化日常培训每年不得少于10天". The clock never suspends anybody: a station
officer applies the suspension from the shortfall list, from the first day of the
preset's month on (December by default), to a serving volunteer short of the year's
days (his norm pro-rated when he began duty during the year) who began duty before
that day; it is recorded on his
training record with who decided it and why. An officer lifts it, or the attendance
that makes the days up lifts it in the same save (recorded with the officer who
recorded that attendance). While suspended he may not sign up for tasks.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from aggregates.actor import Actor
from aggregates.training_record import TrainingRecord, yearly_norm_halves
from aggregates.volunteer import Volunteer
from loop.errors import InvalidInput
from loop.rules import inputs, permissions
from loop.rules.training import SHORTFALL_ACTIONS, TrainingPolicy
from loop.services.training_gate import started_on
from loop.storage.application import LoopApplication

MADE_UP = "常态化培训天数已补足"


class SuspensionAck(NamedTuple):
    volunteer_id: str
    suspended: bool
    year: int | None
    short_days: float
    position: int | None


class TrainingSuspension:
    """The suspension commands of :class:`loop.services.training.Training`."""

    app: LoopApplication
    policy: TrainingPolicy

    if TYPE_CHECKING:  # provided by Training

        def today(self) -> date: ...

        def record(self, volunteer_id: str, actor: Actor, at: datetime) -> TrainingRecord: ...

        def _serving(self, actor: Actor, volunteer_id: str, command: str) -> Volunteer: ...

    def suspend(self, actor: Actor, volunteer_id: str, *, reason: str) -> SuspensionAck:
        """Suspend a volunteer short of this year's days; refused under a preset
        that does not suspend, before the preset's month, or when he is not short."""
        why = inputs.prose("reason", reason, max_len=500)
        permissions.check_role("suspend_for_training", actor)  # a role that never may: first
        if self.policy.shortfall != "suspend" or not self.policy.yearly_halves:
            action = SHORTFALL_ACTIONS[self.policy.shortfall]
            raise InvalidInput(
                f"当前政策预设对培训不足的处理为「{action}」，不暂停上岗",
                f"The {self.policy.name} preset does not suspend for a shortfall "
                f"({self.policy.shortfall})",
                field="policy",
            )
        volunteer = self._serving(actor, volunteer_id, "suspend_for_training")
        today = self.today()
        if today.month < self.policy.shortfall_from_month:
            raise InvalidInput(
                f"{self.policy.shortfall_from_month}月1日起方可因培训不足暂停上岗",
                f"A suspension for a shortfall is applied from month "
                f"{self.policy.shortfall_from_month} on",
                field="volunteer_id",
            )
        at = self.app.clock()
        record = self.record(volunteer.volunteer_id, actor, at)
        since = date(today.year, self.policy.shortfall_from_month, 1)
        started = started_on(self.app, volunteer.volunteer_id, record)
        if started is not None and started >= since:
            raise InvalidInput(
                f"该义警{started:%Y-%m-%d}上岗，晚于{since.month}月1日，本年度不因培训不足暂停上岗",
                f"The volunteer began duty on {started.isoformat()}, after "
                f"{since.isoformat()}: no suspension for this year",
                field="volunteer_id",
            )
        norm = yearly_norm_halves(self.policy.yearly_halves, today.year, started)
        record.suspend(actor, at, year=today.year, norm_halves=norm, reason=why)
        return self._suspension(record, self.app.commit(record))

    def lift_suspension(self, actor: Actor, volunteer_id: str, *, reason: str) -> SuspensionAck:
        """Lift a suspension for a shortfall, with the reason."""
        why = inputs.prose("reason", reason, max_len=500)
        volunteer = self._serving(actor, volunteer_id, "suspend_for_training")
        at = self.app.clock()
        record = self.record(volunteer.volunteer_id, actor, at)
        record.lift_suspension(actor, at, reason=why)
        return self._suspension(record, self.app.commit(record))

    @staticmethod
    def lift_if_made_up(record: TrainingRecord, actor: Actor, at: Any) -> None:
        """The credit just recorded made the suspension's year whole: lift it."""
        if record.made_up():
            record.lift_suspension(actor, at, reason=MADE_UP, made_up=True)

    @staticmethod
    def _suspension(record: TrainingRecord, position: int | None) -> SuspensionAck:
        found = record.suspended
        return SuspensionAck(
            record.volunteer_id,
            found is not None,
            None if found is None else found["year"],
            0 if found is None else found["short_halves"] / 2,
            position,
        )
