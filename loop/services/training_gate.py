"""The duty gate's check: whether a volunteer may go on duty under his county's gate.

Fuping: "考试合格后方可上岗". Under a preset with a gate, once the county switched it
on, a volunteer without a certification is 待岗培训: the task sign-up refuses him,
with what he still lacks. Reporting a hazard is never gated (every resident may
report).
"""

from __future__ import annotations

from aggregates.duty_gate import DutyGate, duty_gate_id
from aggregates.training_record import TrainingRecord, remainder_text, training_record_id
from aggregates.volunteer import Volunteer
from loop.errors import NotCertified
from loop.rules import units
from loop.rules.training import TrainingPolicy
from loop.storage.application import LoopApplication


def gate_on(app: LoopApplication, policy: TrainingPolicy, community: str) -> bool:
    """Whether the duty gate is in force for a volunteer of ``community``."""
    if not policy.gate:
        return False
    return app.find(duty_gate_id(units.ancestor(community, "county")), DutyGate) is not None


def record_of(app: LoopApplication, volunteer_id: str) -> TrainingRecord | None:
    return app.find(training_record_id(volunteer_id), TrainingRecord)


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
