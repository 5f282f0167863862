"""The oracle's fold of training, mixed into ``tests.oracle.fold.Fold``.

Deliberately naive and independent of ``projections/`` and of the loop's rules:
each session keeps its details, who attended (after corrections) and how many
corrections it had; each volunteer's file keeps the day credits his record
holds, his exam attempts and his certification; the counties' duty gates are
kept as switched on. The preset's numbers come in as data (``TrainingNorms``,
built from the running preset's policy, as the loop's deadlines are): which
modes credit days, the pre-duty and yearly half days, whether an exam is
required, the retake cool-down. The rules restated here are checked against
each event (attendance only for a held session and a serving volunteer of its
unit, a credit for each attendance a counted mode earns and no other, attempts
numbered and passed by their mark, no retake too soon or after a pass,
certification only with the days and the exam); where an event says otherwise,
the fold notes it in ``broken``.

A day is the sum of the day credits of one calendar day, at most a whole day
(``capped``); days are kept in half days so no sum is a float.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from typing import Any

CHINA = timezone(timedelta(hours=8))
WHOLE_DAY = 2  # half days
YEARLY_KINDS = ("regular", "targeted")
SERVING = ("active", "flexible", "suspended")  # may attend, sit an exam, be certified
ON_DUTY = ("active", "flexible")  # counted in the shortfall and the gate's list


@dataclass(frozen=True)
class TrainingNorms:
    """A preset's training numbers, as data (half days)."""

    counted_modes: tuple[str, ...]
    pre_duty_halves: int
    yearly_halves: int
    exam_required: bool
    cool_down: timedelta
    shortfall: str = "warn"  # none, warn, restrict or suspend
    shortfall_from_month: int = 12  # restricted (or suspended) from its first day on

    def restricts(self, year: int, today: date, started: date | None) -> bool:
        """Short of ``year``'s days, refused a sign-up on ``today``: under a preset
        that restricts, from the first day of its month in that year, unless he
        began duty on or after that day."""
        since = date(year, self.shortfall_from_month, 1)
        return (
            self.shortfall == "restrict"
            and today.year == year
            and today >= since
            and (started is None or started < since)
        )


@dataclass
class Session:
    session_id: str
    unit: str
    kind: str
    topic: str
    instructor: str
    day: str
    halves: int
    mode: str
    place: str
    status: str = "scheduled"
    attendance: dict[str, bool] = field(default_factory=dict)  # after corrections
    corrected: set[str] = field(default_factory=set)
    corrections: int = 0


@dataclass
class TrainingFile:
    volunteer_id: str
    credits: dict[str, dict[str, Any]] = field(default_factory=dict)  # session -> credit
    exams: list[dict[str, Any]] = field(default_factory=list)
    certified: str | None = None
    certified_at: datetime | None = None
    suspended: dict[str, Any] | None = None  # for a shortfall: year, norm, when, by whom


def capped(credits: Iterable[dict[str, Any]]) -> int:
    per_day: dict[str, int] = defaultdict(int)
    for credit in credits:
        per_day[credit["day"]] += credit["halves"]
    return sum(min(WHOLE_DAY, halves) for halves in per_day.values())


def pre_duty(file: TrainingFile) -> int:
    """Pre-duty half days earned before certification."""
    return capped(
        c for c in file.credits.values() if c["kind"] == "pre_duty" and c["before_certification"]
    )


def china_day(moment: datetime | None) -> date | None:
    return None if moment is None else moment.astimezone(CHINA).date()


def started_day(admitted_at: datetime | None, file: TrainingFile) -> date | None:
    """The day he began duty: his admission, or his certification after training
    when that came later."""
    trained = file.certified_at if file.certified == "trained" else None
    days = [d for d in (china_day(admitted_at), china_day(trained)) if d is not None]
    return max(days, default=None)


def yearly_norm(yearly_halves: int, year: int, started: date | None) -> int:
    """His norm of ``year``'s days in half days: the whole norm when he began before
    the year (or it is not known), none when after it, else by the months left
    counting his first, to the nearest half day (a half rounding up)."""
    if started is None or started.year < year:
        return yearly_halves
    if started.year > year:
        return 0
    exact = Fraction(yearly_halves * (13 - started.month), 12)
    return int(exact + Fraction(1, 2))


def year_halves(file: TrainingFile, year: int) -> int:
    return capped(
        c
        for c in file.credits.values()
        if c["kind"] in YEARLY_KINDS and c["day"].startswith(f"{year}-")
    )


class TrainingFold:
    """Sessions, training files and duty gates; mixed into the fold."""

    trainings: dict[str, Session]
    files: dict[str, TrainingFile]  # volunteer -> his file
    file_keys: dict[str, str]  # record aggregate id -> volunteer
    gates: dict[str, tuple[datetime, str, int]]  # county -> when, by whom, legacy count
    norms: TrainingNorms
    broken: list[str]
    people: dict[str, Any]

    touched_files: set[str]  # volunteers whose training changed since last read

    def _open_training(self, norms: TrainingNorms) -> None:
        self.trainings, self.files, self.file_keys, self.gates = {}, {}, {}, {}
        self.norms = norms
        self.touched_files = set()

    def _status(self, volunteer_id: str) -> tuple[str | None, str | None]:
        person = self.people.get(volunteer_id)
        return (None, None) if person is None else (person.status, person.community)

    def _wrong(self, rule: str) -> None:
        self.broken.append(rule)

    # -- sessions --------------------------------------------------------------------------

    def _trainingsession(self, what: str, event: Any) -> bool:
        key = str(event.originator_id)
        if what == "Scheduled":
            self.trainings[key] = Session(
                key, event.unit, event.kind, event.topic, event.instructor, event.day,
                int(event.halves), event.mode, event.place,
            )  # fmt: skip
            return True
        session = self.trainings[key]
        if session.status != "scheduled":
            self._wrong(f"session {key}: {what} after it was cancelled")
        if what == "Cancelled":
            if session.attendance:
                self._wrong(f"session {key}: cancelled with attendance recorded")
            session.status = "cancelled"
            return True
        if what not in ("AttendanceRecorded", "AttendanceCorrected"):
            return False
        volunteer_id = event.volunteer_id
        self.touched_files |= set(session.attendance) | {volunteer_id}  # their sessions' counts
        status, community = self._status(volunteer_id)
        inside = community is not None and (
            community == session.unit or community.startswith(session.unit + "/")
        )
        held = session.day <= event.timestamp.astimezone(CHINA).date().isoformat()
        if status not in SERVING or not inside or not held:
            self._wrong(f"session {key}: attendance of {volunteer_id} ({status}, {community})")
        if what == "AttendanceRecorded":
            if volunteer_id in session.attendance:
                self._wrong(f"session {key}: attendance of {volunteer_id} recorded twice")
            session.attendance[volunteer_id] = True
            return True
        if session.attendance.get(volunteer_id, False) == bool(event.present):
            self._wrong(f"session {key}: a correction of {volunteer_id} that changes nothing")
        session.attendance[volunteer_id] = bool(event.present)
        session.corrected.add(volunteer_id)
        session.corrections += 1
        return True

    # -- the volunteer's record --------------------------------------------------------------

    def _trainingrecord(self, what: str, event: Any) -> bool:
        key = str(event.originator_id)
        if what == "Opened":
            self.file_keys[key] = event.volunteer_id
            self.files[event.volunteer_id] = TrainingFile(event.volunteer_id)
            return True
        file = self.files[self.file_keys[key]]
        self.touched_files.add(file.volunteer_id)
        handler = getattr(self, f"_file_{what.lower()}", None)
        if handler is None:
            return False
        handler(file, event)
        return True

    def _file_daycredited(self, file: TrainingFile, event: Any) -> None:
        session = self.trainings.get(event.session_id)
        said = (event.day, int(event.halves), event.kind, event.mode)
        if (
            session is None
            or said != (session.day, session.halves, session.kind, session.mode)
            or session.mode not in self.norms.counted_modes
            or event.session_id in file.credits
            or bool(event.before_certification) != (file.certified is None)
        ):
            self._wrong(f"record of {file.volunteer_id}: credit {said} for {event.session_id}")
        file.credits[event.session_id] = {
            "day": event.day,
            "halves": int(event.halves),
            "kind": event.kind,
            "mode": event.mode,
            "before_certification": bool(event.before_certification),
        }

    def _file_creditwithdrawn(self, file: TrainingFile, event: Any) -> None:
        if file.credits.pop(event.session_id, None) is None:
            self._wrong(f"record of {file.volunteer_id}: {event.session_id} withdrawn uncredited")

    def _file_examrecorded(self, file: TrainingFile, event: Any) -> None:
        at: datetime = event.timestamp
        last = file.exams[-1] if file.exams else None
        if (
            int(event.attempt) != len(file.exams) + 1
            or bool(event.passed) != (int(event.score) >= int(event.pass_mark))
            or any(e["passed"] for e in file.exams)
            or (last is not None and at < last["at"] + self.norms.cool_down)
        ):
            self._wrong(f"record of {file.volunteer_id}: exam attempt {event.attempt} at {at}")
        file.exams.append(
            {
                "attempt": int(event.attempt),
                "score": int(event.score),
                "pass_mark": int(event.pass_mark),
                "passed": bool(event.passed),
                "at": at,
            }
        )

    def _file_certified(self, file: TrainingFile, event: Any) -> None:
        passed = any(e["passed"] for e in file.exams)
        ready = pre_duty(file) >= self.norms.pre_duty_halves and (
            passed or not self.norms.exam_required
        )
        if (
            file.certified is not None
            or (event.basis == "trained" and not ready)
            or int(event.pre_duty_halves) != pre_duty(file)
        ):
            self._wrong(f"record of {file.volunteer_id}: certified {event.basis}")
        file.certified, file.certified_at = event.basis, event.timestamp

    def _file_suspended(self, file: TrainingFile, event: Any) -> None:
        year, norm = int(event.year), int(event.norm_halves)
        if file.suspended is not None or int(event.short_halves) != norm - year_halves(file, year):
            self._wrong(f"record of {file.volunteer_id}: suspended for {year}")
        if int(event.short_halves) <= 0:
            self._wrong(f"record of {file.volunteer_id}: suspended, not short of {year}")
        file.suspended = {"year": year, "norm_halves": norm, "at": event.timestamp,
                          "by": event.actor.id}  # fmt: skip

    def _file_suspensionlifted(self, file: TrainingFile, event: Any) -> None:
        found = file.suspended
        made_up = found is not None and year_halves(file, found["year"]) >= found["norm_halves"]
        if found is None or (bool(event.made_up) and not made_up):
            self._wrong(f"record of {file.volunteer_id}: suspension lifted")
        file.suspended = None

    def _dutygate(self, what: str, event: Any) -> bool:
        if what == "SwitchedOn":
            self.gates[event.county] = (event.timestamp, event.actor.id, len(event.legacy))
        return what == "SwitchedOn"

    # -- what must hold after every command ---------------------------------------------------

    def training_unkept(self) -> list[str]:
        """Attendance and credits disagreeing: a volunteer present at a session of a
        counted mode holds its credit, and every credit is of a session he is
        present at."""
        found = []
        for session in self.trainings.values():
            counted = session.mode in self.norms.counted_modes
            for volunteer_id, present in session.attendance.items():
                file = self.files.get(volunteer_id)
                credited = file is not None and session.session_id in file.credits
                if credited != (present and counted):
                    found.append(f"{volunteer_id} at {session.session_id}: credited {credited}")
        for file in self.files.values():
            for session_id in file.credits:
                session = self.trainings.get(session_id)
                if session is None or not session.attendance.get(file.volunteer_id):
                    found.append(f"{file.volunteer_id} credited {session_id}, not present")
        return found
