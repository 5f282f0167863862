"""The duty gate's check: whether a volunteer may go on duty under his county's gate
and his preset's rule for a shortfall of the year's training days.

Fuping: "岗前集中培训不得少于5天，常态化日常培训每年不得少于10天，考试合格后方可上岗".
Under a preset with a gate, once the county switched it on, a volunteer without a
certification is 待岗培训: the task sign-up refuses him, with what he still lacks.
Under a preset that restricts for a shortfall, from the first day of its month on
(December by default) a volunteer short of the year's days (his norm pro-rated when
he began duty during the year) is refused, with the days he lacks, unless he began
duty on or after that day (a newcomer is never locked out the day he starts); a suspension an
officer recorded refuses him until it is lifted. Reporting a hazard is never gated
(every resident may report).
"""

from __future__ import annotations

from datetime import date

from aggregates.duty_gate import DutyGate, duty_gate_id
from aggregates.errors import DomainError
from aggregates.training_record import (
    TrainingRecord,
    days_text,
    remainder_text,
    short_text,
    training_record_id,
    yearly_norm_halves,
)
from aggregates.volunteer import Volunteer, volunteer_aggregate_id
from loop.errors import NotCertified, TrainingShort, TrainingSuspended
from loop.rules import units
from loop.rules.scoring import CHINA
from loop.rules.training import TrainingPolicy
from loop.storage.application import LoopApplication


def gate_on(app: LoopApplication, policy: TrainingPolicy, community: str) -> bool:
    """Whether the duty gate is in force for a volunteer of ``community``."""
    if not policy.gate:
        return False
    return app.find(duty_gate_id(units.ancestor(community, "county")), DutyGate) is not None


def record_of(app: LoopApplication, volunteer_id: str) -> TrainingRecord | None:
    return app.find(training_record_id(volunteer_id), TrainingRecord)


def started_on(
    app: LoopApplication, volunteer_id: str, record: TrainingRecord | None
) -> date | None:
    """The day he began duty: his admission, or his certification for duty after
    training under the gate when that came later (China dates)."""
    days = [
        event.timestamp.astimezone(CHINA).date()
        for event in app.events.get(volunteer_aggregate_id(volunteer_id), gt=1)
        if isinstance(event, Volunteer.Admitted)
    ]
    if record is not None and record.certified == "trained" and record.certified_at is not None:
        days.append(record.certified_at.astimezone(CHINA).date())
    return max(days, default=None)


def yearly_norm(
    app: LoopApplication, policy: TrainingPolicy, volunteer_id: str,
    record: TrainingRecord | None, year: int,
) -> int:  # fmt: skip
    """His norm of the year's regular training in half days, pro-rated for a late start."""
    return yearly_norm_halves(policy.yearly_halves, year, started_on(app, volunteer_id, record))


def gate_refusal(
    app: LoopApplication, policy: TrainingPolicy, volunteer: Volunteer
) -> NotCertified | None:
    """Why ``volunteer`` may not go on duty under the gate, or None."""
    if not gate_on(app, policy, volunteer.community):
        return None
    record = record_of(app, volunteer.volunteer_id)
    if record is not None and record.certified is not None:
        return None
    halves, exam = (
        record.missing(policy.pre_duty_halves, policy.exam_required)
        if record is not None
        else (policy.pre_duty_halves, policy.exam_required)
    )
    zh, en = remainder_text(halves, exam)
    return NotCertified(
        f"待岗培训，尚未取得上岗资格，不能报名任务（考试合格后方可上岗）：{zh or '待认定'}",
        f"Awaiting training: not certified for duty, so no task sign-up: {en or 'to be certified'}",
        reason="not_certified",
        missing_days=halves / 2,
        exam_missing=exam,
    )


def restricted_from(policy: TrainingPolicy, year: int) -> date | None:
    """From when a shortfall of ``year``'s days restricts sign-ups, or None."""
    if policy.shortfall != "restrict" or not policy.yearly_halves:
        return None
    return date(year, policy.shortfall_from_month, 1)


def shortfall_refusal(
    app: LoopApplication, policy: TrainingPolicy, volunteer: Volunteer, today: date
) -> DomainError | None:
    """Why a shortfall of the year's days keeps ``volunteer`` from signing up: a
    suspension recorded for it, or the preset's restriction; else None."""
    record = record_of(app, volunteer.volunteer_id)
    if record is not None and record.suspended is not None:
        found = record.suspended
        year, left = found["year"], found["norm_halves"] - record.year_halves(found["year"])
        return TrainingSuspended(
            f"因{year}年常态化培训不足已被暂停上岗，不能报名任务：{year}年还差"
            f"{days_text(left)}天，补足或经民警解除后恢复",
            f"Suspended for {year}'s missing training days: no task sign-up; "
            f"{days_text(left)} days still short, lifted when made up or by an officer",
            reason="training_suspended",
            year=year,
            short_days=left / 2,
        )
    since = restricted_from(policy, today.year)
    if since is None or today < since:
        return None
    have = record.year_halves(today.year) if record is not None else 0
    if have >= policy.yearly_halves:
        return None  # the whole norm reached: no need to look for his start
    started = started_on(app, volunteer.volunteer_id, record)
    if started is not None and started >= since:
        return None  # on duty only since the restriction began: never locked out at once
    norm = yearly_norm_halves(policy.yearly_halves, today.year, started)
    if have >= norm:
        return None
    zh, en = short_text(norm - have)
    return TrainingShort(
        f"{zh}，{since.month}月1日起不能报名任务（常态化日常培训每年不得少于"
        f"{days_text(policy.yearly_halves)}天，今年应训{days_text(norm)}天）",
        f"{en}: no task sign-up from {since.isoformat()} "
        f"(this year's norm for him: {days_text(norm)} days)",
        reason="training_short",
        short_days=(norm - have) / 2,
        norm_days=norm / 2,
    )


def duty_refusal(
    app: LoopApplication, policy: TrainingPolicy, volunteer: Volunteer, today: date
) -> DomainError | None:
    """Why training keeps ``volunteer`` off duty (the gate first, then a shortfall)."""
    return gate_refusal(app, policy, volunteer) or shortfall_refusal(app, policy, volunteer, today)
