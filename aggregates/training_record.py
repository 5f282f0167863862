"""The TrainingRecord aggregate: one volunteer's training file and duty certification.

Fuping: "岗前集中培训不得少于5天，常态化日常培训每年不得少于10天，考试合格后方可上岗".
The record holds the day credits of the sessions he attended (saved in the same
transaction as the session's attendance), his exam attempts and his certification.

A day is the sum of the day credits of one calendar day, at most one whole day;
pre-duty credits count only when earned before certification. Credits are kept in
half days (1 = half a day, 2 = a whole day) so that no sum is a float.

Under a preset that suspends for a shortfall, a station officer's suspension for the
year's missing days is recorded here, with who decided it, and lifted by an officer
or by the credit that makes the days up (in the same save as that attendance).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor
from aggregates.training_errors import (
    CertificationRefused,
    ExamRefused,
    RetakeTooSoon,
    SuspensionRefused,
    TrainingRefused,
)

WHOLE_DAY = 2  # half days in one day: the most one calendar day credits
YEARLY_KINDS = ("regular", "targeted")  # 常态化日常培训 and 针对性培训 count to the year


def training_record_id(volunteer_id: str) -> UUID:
    """One training record per volunteer; its id follows from the volunteer's."""
    return uuid5(NAMESPACE_URL, f"lishu:training-record:{volunteer_id}")


def days_text(halves: int) -> str:
    """Half days as the counties write days: ``1.5``, ``5``."""
    return str(halves // 2) if halves % 2 == 0 else f"{halves / 2:.1f}"


def capped_halves(credits: Iterable[dict[str, Any]]) -> int:
    """The half days ``credits`` make: per calendar day their sum, at most a whole day."""
    per_day: dict[str, int] = defaultdict(int)
    for credit in credits:
        per_day[credit["day"]] += int(credit["halves"])
    return sum(min(WHOLE_DAY, halves) for halves in per_day.values())


def yearly_norm_halves(yearly_halves: int, year: int, started: date | None) -> int:
    """The year's norm of regular training, in half days, for a volunteer on duty since
    ``started`` (his admission, or his certification under the duty gate, whichever is
    later): the whole norm when he started before ``year`` (or when it is not known),
    nothing when he started after it, else pro-rated by the months left counting his
    first month, ``(13 - month) / 12``, rounded to the nearest half day (a half rounds
    up). Fuping's 10 days: admitted in July, 5 days; in August, 4 (4.17); in December,
    1 (0.83)."""
    if started is None or started.year < year:
        return yearly_halves
    if started.year > year:
        return 0
    months = 13 - started.month
    return (yearly_halves * months * 2 + 12) // 24


def short_text(short_halves: int) -> tuple[str, str]:
    """The year's regular training still missing, in zh and en."""
    days = days_text(short_halves)
    return f"今年常态化培训还差{days}天", f"{days} days of this year's regular training short"


def remainder_text(missing_halves: int, exam_missing: bool) -> tuple[str, str]:
    """What is still missing before certification, in zh and en."""
    zh, en = [], []
    if missing_halves:
        zh.append(f"还差{days_text(missing_halves)}天岗前培训")
        en.append(f"{days_text(missing_halves)} pre-duty days short")
    if exam_missing:
        zh.append("考试未通过")
        en.append("no exam passed")
    return "、".join(zh), "; ".join(en)


class TrainingRecord(Aggregate):
    """One volunteer's training: credited sessions, exams, certification."""

    class Event(Aggregate.Event):
        actor: Actor

    class Opened(Event, Aggregate.Created):
        volunteer_id: str

    class DayCredited(Event):
        """His attendance at a session credits ``halves``; ``before_certification``
        says whether a pre-duty credit counts toward certification."""

        session_id: str
        day: str
        halves: int
        kind: str
        mode: str
        before_certification: bool

        def apply(self, aggregate: Any) -> None:
            aggregate.credits[self.session_id] = {
                "day": self.day,
                "halves": self.halves,
                "kind": self.kind,
                "mode": self.mode,
                "before_certification": self.before_certification,
            }

    class CreditWithdrawn(Event):
        """His attendance was corrected to absent: the session no longer counts."""

        session_id: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.credits.pop(self.session_id)

    class ExamRecorded(Event):
        attempt: int
        score: int
        pass_mark: int
        passed: bool

        def apply(self, aggregate: Any) -> None:
            aggregate.exams.append(
                {
                    "attempt": self.attempt,
                    "score": self.score,
                    "pass_mark": self.pass_mark,
                    "passed": self.passed,
                    "at": self.timestamp,
                }
            )

    class Certified(Event):
        """Certified for duty: ``basis`` trained (pre-duty days and a passed exam),
        or legacy (serving when the county switched the gate on)."""

        basis: str
        pre_duty_halves: int
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.certified = self.basis
            aggregate.certified_at = self.timestamp

    class Suspended(Event):
        """A station officer suspended him from duty for the year's missing days:
        ``norm_halves`` the year's norm for him, ``short_halves`` what he lacked."""

        year: int
        norm_halves: int
        short_halves: int
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.suspended = {
                "year": self.year,
                "norm_halves": self.norm_halves,
                "short_halves": self.short_halves,
                "at": self.timestamp,
                "by": self.actor.id,
            }

    class SuspensionLifted(Event):
        """Lifted by an officer, or (``made_up``) by the credit that made the days up."""

        reason: str
        made_up: bool

        def apply(self, aggregate: Any) -> None:
            aggregate.suspended = None

    def __init__(self, actor: Actor, volunteer_id: str) -> None:  # noqa: ARG002
        self.volunteer_id = volunteer_id
        self.credits: dict[str, dict[str, Any]] = {}
        self.exams: list[dict[str, Any]] = []
        self.certified: str | None = None
        self.certified_at: datetime | None = None
        self.suspended: dict[str, Any] | None = None

    @classmethod
    def open(cls, actor: Actor, at: datetime, *, volunteer_id: str) -> TrainingRecord:
        return cls._create(
            cls.Opened,
            id=training_record_id(volunteer_id),
            timestamp=at,
            actor=actor,
            volunteer_id=volunteer_id,
        )

    # -- reading ----------------------------------------------------------------------

    @property
    def pre_duty_halves(self) -> int:
        return capped_halves(
            c
            for c in self.credits.values()
            if c["kind"] == "pre_duty" and c["before_certification"]
        )

    def year_halves(self, year: int) -> int:
        """The half days of the year's regular and targeted training."""
        return capped_halves(
            c
            for c in self.credits.values()
            if c["kind"] in YEARLY_KINDS and c["day"].startswith(f"{year}-")
        )

    @property
    def passed(self) -> bool:
        return any(e["passed"] for e in self.exams)

    def missing(self, required_halves: int, exam_required: bool) -> tuple[int, bool]:
        """(half days of pre-duty training still missing, whether a pass is missing)."""
        return max(0, required_halves - self.pre_duty_halves), exam_required and not self.passed

    # -- steps ------------------------------------------------------------------------

    def credit(
        self, actor: Actor, at: datetime, *, session_id: str, day: str, halves: int, kind: str,
        mode: str,
    ) -> None:  # fmt: skip
        if session_id in self.credits:
            raise TrainingRefused(
                "该培训已计入培训记录", "The session is already credited", session_id=session_id
            )
        self.trigger_event(
            self.DayCredited,
            actor=actor,
            timestamp=at,
            session_id=session_id,
            day=day,
            halves=halves,
            kind=kind,
            mode=mode,
            before_certification=self.certified is None,
        )

    def withdraw_credit(self, actor: Actor, at: datetime, *, session_id: str, reason: str) -> None:
        if session_id not in self.credits:
            raise TrainingRefused(
                "该培训未计入培训记录", "The session is not credited", session_id=session_id
            )
        self.trigger_event(
            self.CreditWithdrawn, actor=actor, timestamp=at, session_id=session_id, reason=reason
        )

    def record_exam(
        self, actor: Actor, at: datetime, *, score: int, pass_mark: int, cool_down: timedelta
    ) -> dict[str, Any]:
        """Record one attempt; refused once passed, or inside the cool-down after a
        failed attempt. Returns the attempt."""
        if self.passed:
            raise ExamRefused("考试已合格，无需再考", "An exam is already passed")
        if self.exams and at < self.exams[-1]["at"] + cool_down:
            allowed_at = self.exams[-1]["at"] + cool_down
            raise RetakeTooSoon(
                f"补考须在上次考试{cool_down.days}天后进行，最早{allowed_at:%Y-%m-%d %H:%M}",
                f"A retake comes {cool_down.days} days after the last attempt, "
                f"at {allowed_at.isoformat()} at the earliest",
                allowed_at=allowed_at.isoformat(),
            )
        self.trigger_event(
            self.ExamRecorded,
            actor=actor,
            timestamp=at,
            attempt=len(self.exams) + 1,
            score=score,
            pass_mark=pass_mark,
            passed=score >= pass_mark,
        )
        return self.exams[-1]

    def certify(
        self, actor: Actor, at: datetime, *, required_halves: int, exam_required: bool
    ) -> None:
        """Certified when his pre-duty days and a passed exam are recorded; refused
        with the exact remainder otherwise."""
        self._check_uncertified()
        missing_halves, exam_missing = self.missing(required_halves, exam_required)
        if missing_halves or exam_missing:
            zh, en = remainder_text(missing_halves, exam_missing)
            raise CertificationRefused(
                f"不能上岗：{zh}",
                f"Not yet certified for duty: {en}",
                missing_days=missing_halves / 2,
                exam_missing=exam_missing,
            )
        self.trigger_event(
            self.Certified,
            actor=actor,
            timestamp=at,
            basis="trained",
            pre_duty_halves=self.pre_duty_halves,
            reason="",
        )

    def certify_legacy(self, actor: Actor, at: datetime, *, reason: str) -> None:
        """Certified as serving before the gate was switched on."""
        self._check_uncertified()
        self.trigger_event(
            self.Certified,
            actor=actor,
            timestamp=at,
            basis="legacy",
            pre_duty_halves=self.pre_duty_halves,
            reason=reason,
        )

    def suspend(
        self, actor: Actor, at: datetime, *, year: int, norm_halves: int, reason: str
    ) -> None:
        """Suspended for ``year``'s missing days; refused when he is not short of
        ``norm_halves`` or is suspended already."""
        if self.suspended is not None:
            raise SuspensionRefused(
                "该义警已因培训不足暂停上岗", "The volunteer is suspended already",
                year=self.suspended["year"],
            )  # fmt: skip
        short = norm_halves - self.year_halves(year)
        if short <= 0:
            raise SuspensionRefused(
                f"{year}年常态化培训已达标准，不能暂停上岗",
                f"The volunteer has {year}'s training days: no suspension",
                year=year,
            )
        self.trigger_event(
            self.Suspended, actor=actor, timestamp=at, year=year, norm_halves=norm_halves,
            short_halves=short, reason=reason,
        )  # fmt: skip

    def made_up(self) -> bool:
        """Whether a suspension's year now holds the norm it was decided against."""
        found = self.suspended
        return found is not None and self.year_halves(found["year"]) >= found["norm_halves"]

    def lift_suspension(
        self, actor: Actor, at: datetime, *, reason: str, made_up: bool = False
    ) -> None:
        if self.suspended is None:
            raise SuspensionRefused("该义警未被暂停上岗", "The volunteer is not suspended")
        self.trigger_event(
            self.SuspensionLifted, actor=actor, timestamp=at, reason=reason, made_up=made_up
        )

    def _check_uncertified(self) -> None:
        if self.certified is not None:
            raise CertificationRefused(
                "该义警已取得上岗资格", "The volunteer is already certified", basis=self.certified
            )
