"""``Training``: sessions, attendance, exams, duty certification and the duty gate.

Fuping: "岗前集中培训不得少于5天，常态化日常培训每年不得少于10天，考试合格后方可上岗".
Each command validates its input, loads, checks who may act and what the preset
allows, records and saves through :meth:`LoopApplication.commit`. Attendance
changes the session and the volunteer's training record in one save; a correction
records what is true beside the earlier record, never erasing it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple
from uuid import UUID

from aggregates.actor import Actor
from aggregates.duty_gate import DutyGate, duty_gate_id
from aggregates.training import TrainingSession
from aggregates.training_record import TrainingRecord, training_record_id
from aggregates.volunteer import ON_DUTY, SERVING, Volunteer
from loop.errors import InvalidInput, TrainingSessionNotFound
from loop.rules import inputs, permissions, units
from loop.rules.access import unit_record, volunteer_record
from loop.rules.scoring import CHINA, LISHU_SCORING, ScoringPolicy
from loop.rules.task_inputs import choice, whole
from loop.rules.training import CREDITS, KINDS, MODES, training_policy_for
from loop.rules.training_access import session_record
from loop.services.task_signups import retried
from loop.services.training_suspension import TrainingSuspension
from loop.services.volunteers import Volunteers
from loop.storage.application import LoopApplication


class SessionAck(NamedTuple):
    session_id: str
    version: int
    status: str
    present: int
    position: int | None


class AttendanceAck(NamedTuple):
    """``credited_days``: what the session adds to his record (0 for a mode the
    preset does not count, or after a correction to absent)."""

    session_id: str
    volunteer_id: str
    present: bool
    credited_days: float
    version: int
    position: int | None


class ExamAck(NamedTuple):
    volunteer_id: str
    attempt: int
    score: int
    pass_mark: int
    passed: bool
    position: int | None


class CertificationAck(NamedTuple):
    volunteer_id: str
    basis: str
    pre_duty_days: float
    position: int | None


class GateAck(NamedTuple):
    county: str
    legacy: list[str]
    position: int | None


def session_uuid(session_id: UUID | str) -> UUID:
    if isinstance(session_id, UUID):
        return session_id
    try:
        return UUID(str(session_id))
    except ValueError:
        raise TrainingSessionNotFound(
            "培训不存在", "No such training session", session_id=str(session_id)
        ) from None


def calendar_day(field: str, value: Any) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput(
            f"「{field}」必须是日期（年-月-日）", f"'{field}' must be a date", field=field
        )
    return value


class Training(TrainingSuspension):
    """Commands on training, stored in the one application store ``app`` (the
    suspension for a shortfall in :class:`TrainingSuspension`)."""

    def __init__(self, app: LoopApplication, scoring: ScoringPolicy = LISHU_SCORING) -> None:
        self.app = app
        self.policy = training_policy_for(scoring)
        self.volunteers = Volunteers(app, scoring)

    # -- reading -----------------------------------------------------------------------

    def get(self, session_id: UUID | str, *, reader: Actor | None = None) -> TrainingSession:
        """The session; :class:`TrainingSessionNotFound` if there is none under that
        id, or if ``reader`` may not read it (the same answer)."""
        found = self.app.find(session_uuid(session_id), TrainingSession)
        if found is None or (
            reader is not None and not permissions.visible(reader, session_record(found.unit))
        ):
            raise TrainingSessionNotFound(
                "培训不存在", "No such training session", session_id=str(session_id)
            )
        return found

    def record(self, volunteer_id: str, actor: Actor, at: datetime) -> TrainingRecord:
        """The volunteer's training record, opened (not yet saved) if he has none."""
        found = self.app.find(training_record_id(volunteer_id), TrainingRecord)
        return found or TrainingRecord.open(actor, at, volunteer_id=volunteer_id)

    def today(self) -> date:
        return self.app.clock().astimezone(CHINA).date()

    # -- sessions ----------------------------------------------------------------------

    def schedule(
        self,
        actor: Actor,
        *,
        kind: str,
        topic: str,
        instructor: str,
        day: date,
        credit: str,
        mode: str,
        place: str,
        unit: str | None = None,
        session_id: UUID | None = None,
    ) -> SessionAck:
        """Schedule a session for the county bureau's or a station's volunteers."""
        holder = unit or actor.unit
        if units.level(holder) not in ("county", "station") or not units.within(holder, actor.unit):
            raise InvalidInput(
                "培训由县局或派出所组织，须在本单位辖区内",
                "A session is held by the county bureau or a station within the actor's unit",
                field="unit",
            )
        when = calendar_day("day", day)
        if not self.today() <= when <= self.today() + self.policy.max_ahead:
            raise InvalidInput(
                f"培训日期须在今天到{self.policy.max_ahead.days}天之内",
                f"A session is held from today to {self.policy.max_ahead.days} days ahead",
                field="day",
            )
        details = {
            "kind": choice("kind", kind, KINDS),
            "topic": inputs.text("topic", topic, max_len=100),
            "instructor": inputs.text("instructor", instructor, max_len=100),
            "halves": CREDITS[choice("credit", credit, {k: k for k in CREDITS})],
            "mode": choice("mode", mode, MODES),
            "place": inputs.text("place", place, max_len=200),
        }
        permissions.check("schedule_training", actor, session_record(holder))
        if session_id is not None and session_id in self.app.repository:
            raise InvalidInput("培训编号已被使用", "That session id is taken", field="session_id")
        session = TrainingSession.schedule(
            actor,
            self.app.clock(),
            session_id=session_id,
            unit=holder,
            day=when.isoformat(),
            **details,
        )
        return self._ack(session, self.app.commit(session))

    def cancel(self, actor: Actor, session_id: UUID | str, *, reason: str) -> SessionAck:
        why = inputs.prose("reason", reason, max_len=500)
        permissions.check_role("schedule_training", actor)
        session = self.get(session_id, reader=actor)
        permissions.check("schedule_training", actor, session_record(session.unit))
        session.cancel(actor, self.app.clock(), reason=why)
        return self._ack(session, self.app.commit(session))

    # -- attendance ----------------------------------------------------------------------

    def record_attendance(
        self, actor: Actor, session_id: UUID | str, volunteer_id: str
    ) -> AttendanceAck:
        """He attended: the session records it and, for a mode the preset counts, his
        training record is credited the session's day credit, in one save (tried again
        on what is stored when another process changed the session or record first)."""
        return retried(lambda: self._record_attendance(actor, session_id, volunteer_id))

    def _record_attendance(
        self, actor: Actor, session_id: UUID | str, volunteer_id: str
    ) -> AttendanceAck:
        session, volunteer = self._attendee(actor, session_id, volunteer_id)
        at = self.app.clock()
        session.record_attendance(actor, at, volunteer_id=volunteer.volunteer_id)
        record = self.record(volunteer.volunteer_id, actor, at)
        changed: list[Any] = [session]
        if session.mode in self.policy.counted_modes:
            self._credit(record, session, actor, at)
            self.lift_if_made_up(record, actor, at)
            changed.append(record)
        return self._attended(session, volunteer.volunteer_id, record, self.app.commit(*changed))

    def correct_attendance(
        self,
        actor: Actor,
        session_id: UUID | str,
        volunteer_id: str,
        *,
        present: bool,
        reason: str,
    ) -> AttendanceAck:
        """Correct one volunteer's attendance (present or absent), with the reason; his
        record gains or loses the session's credit in the same save."""
        if type(present) is not bool:
            raise InvalidInput("「present」必须是是或否", "'present' must be true or false")
        why = inputs.prose("reason", reason, max_len=500)
        return retried(
            lambda: self._correct_attendance(actor, session_id, volunteer_id, present, why)
        )

    def _correct_attendance(
        self, actor: Actor, session_id: UUID | str, volunteer_id: str, present: bool, why: str
    ) -> AttendanceAck:
        session, volunteer = self._attendee(actor, session_id, volunteer_id)
        at = self.app.clock()
        session.correct_attendance(
            actor, at, volunteer_id=volunteer.volunteer_id, present=present, reason=why
        )
        record = self.record(volunteer.volunteer_id, actor, at)
        changed: list[Any] = [session]
        key = str(session.id)
        if present and session.mode in self.policy.counted_modes and key not in record.credits:
            self._credit(record, session, actor, at)
            self.lift_if_made_up(record, actor, at)
            changed.append(record)
        elif not present and key in record.credits:
            record.withdraw_credit(actor, at, session_id=key, reason=why)
            changed.append(record)
        return self._attended(session, volunteer.volunteer_id, record, self.app.commit(*changed))

    # -- exams and certification --------------------------------------------------------------

    def record_exam(
        self, actor: Actor, volunteer_id: str, *, score: int, pass_mark: int | None = None
    ) -> ExamAck:
        """One exam attempt; a retake inside the preset's cool-down is refused."""
        points = whole("score", score, 0, 100)
        mark = whole("pass_mark", self.policy.pass_mark if pass_mark is None else pass_mark, 1, 100)
        volunteer = self._serving(actor, volunteer_id, "record_training")
        at = self.app.clock()
        record = self.record(volunteer.volunteer_id, actor, at)
        exam = record.record_exam(
            actor, at, score=points, pass_mark=mark, cool_down=self.policy.retake_cool_down
        )
        return ExamAck(
            volunteer.volunteer_id,
            exam["attempt"],
            points,
            mark,
            exam["passed"],
            self.app.commit(record),
        )

    def certify(self, actor: Actor, volunteer_id: str) -> CertificationAck:
        """Certify for duty: refused, with the exact remainder, until his pre-duty
        days and (where the preset asks) a passed exam are recorded."""
        volunteer = self._serving(actor, volunteer_id, "certify_duty")
        at = self.app.clock()
        record = self.record(volunteer.volunteer_id, actor, at)
        record.certify(
            actor,
            at,
            required_halves=self.policy.pre_duty_halves,
            exam_required=self.policy.exam_required,
        )
        return CertificationAck(
            volunteer.volunteer_id, "trained", record.pre_duty_halves / 2, self.app.commit(record)
        )

    def switch_gate_on(self, actor: Actor, *, serving: list[str]) -> GateAck:
        """Switch the duty gate on for the actor's county; ``serving`` (the volunteers
        on duty now) are certified as legacy in the same save."""
        county = units.ancestor(actor.unit, "county")
        permissions.check_role("switch_duty_gate", actor)
        if not self.policy.gate:
            raise InvalidInput(
                "当前政策预设不设岗前培训考试上岗制度",
                f"The {self.policy.name} preset has no duty gate",
                field="policy",
            )
        permissions.check("switch_duty_gate", actor, unit_record(county))
        if self.app.find(duty_gate_id(county), DutyGate) is not None:
            raise InvalidInput("本县已启用该制度", "The gate is already on", field="county")
        at = self.app.clock()
        records = []
        for volunteer_id in dict.fromkeys(serving):
            volunteer = self.volunteers.get(inputs.text("serving", volunteer_id, max_len=100))
            if volunteer.status not in ON_DUTY or not units.within(volunteer.community, county):
                continue  # not serving in the county: he waits for training like a newcomer
            record = self.record(volunteer.volunteer_id, actor, at)
            if record.certified is None:
                record.certify_legacy(actor, at, reason="启用岗前培训考试上岗制度时在岗")
                records.append(record)
        legacy = [r.volunteer_id for r in records]
        gate = DutyGate.switch_on(actor, at, county=county, legacy=legacy)
        return GateAck(county, legacy, self.app.commit(gate, *records))

    # -- helpers -------------------------------------------------------------------------

    def _serving(self, actor: Actor, volunteer_id: str, command: str) -> Volunteer:
        """The volunteer ``command`` is about: refused to a role that may never take
        it, not found outside the actor's reads, then checked for his community."""
        who = inputs.text("volunteer_id", volunteer_id, max_len=100)
        permissions.check_role(command, actor)
        volunteer = self.volunteers.get(who, reader=actor)
        permissions.check(
            command, actor, volunteer_record(volunteer.volunteer_id, volunteer.community)
        )
        if volunteer.status not in SERVING:
            raise InvalidInput(
                "只能为已吸纳的在册义警办理", "Only an admitted, serving volunteer",
                field="volunteer_id", status=volunteer.status,
            )  # fmt: skip
        return volunteer

    def _attendee(
        self, actor: Actor, session_id: UUID | str, volunteer_id: str
    ) -> tuple[TrainingSession, Volunteer]:
        permissions.check_role("record_training", actor)
        session = self.get(session_id, reader=actor)
        volunteer = self._serving(actor, volunteer_id, "record_training")
        if not units.within(volunteer.community, session.unit):
            raise InvalidInput(
                "该义警不属于组织培训的单位", "The volunteer is not of the session's unit",
                field="volunteer_id", unit=session.unit,
            )  # fmt: skip
        if date.fromisoformat(session.day) > self.today():
            raise InvalidInput(
                "培训尚未举行，不能登记出勤", "The session has not been held yet",
                field="session_id", day=session.day,
            )  # fmt: skip
        return session, volunteer

    @staticmethod
    def _credit(record: TrainingRecord, session: TrainingSession, actor: Actor, at: Any) -> None:
        record.credit(
            actor,
            at,
            session_id=str(session.id),
            day=session.day,
            halves=session.halves,
            kind=session.kind,
            mode=session.mode,
        )

    @staticmethod
    def _ack(session: TrainingSession, position: int | None) -> SessionAck:
        return SessionAck(
            str(session.id), session.version, session.status, len(session.present), position
        )

    @staticmethod
    def _attended(
        session: TrainingSession, volunteer_id: str, record: TrainingRecord, position: int | None
    ) -> AttendanceAck:
        credit = record.credits.get(str(session.id))
        return AttendanceAck(
            str(session.id),
            volunteer_id,
            session.attendance.get(volunteer_id, False),
            0 if credit is None else credit["halves"] / 2,
            session.version,
            position,
        )
