"""The oracle's fold of duty tasks and notices, mixed into ``tests.oracle.fold.Fold``.

Deliberately naive and independent of ``projections/``, as the rest of the fold:
it keeps each task's sign-ups in the order they came and works out from the rules
restated here who holds a place (the first ``needed`` of them, in order; the rest
wait in line), who moves up when a place frees (the first in line, unless the
event says why he was passed over), who came (checked in), for how many minutes
(check-in to check-out, or to the scheduled end when he never checked out, within
the task's window), who did not (booked and never checked in) and what a
cancelled or completed task leaves of each. Where an event says otherwise than
these rules, the fold notes it in ``broken`` (the comparison reports each as a
disagreement). A volunteer is told when he moves up off the line, when a new
time or place asks him to reconfirm, and when a task he holds a place on is
cancelled. Notices keep their audience, validity, revisions, revocation and
who acknowledged them, and the read marks the workload made (they are no events).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

SERVING = ("active", "flexible", "suspended")
"""Volunteers a notice addresses unless it names statuses."""
NOT_ADDRESSED = ("auditor", "admin")


@dataclass
class SignUp:
    volunteer_id: str
    seq: int  # the task's version at the sign-up: the order of sign-ups
    state: str  # booked | waitlisted | withdrew | no_show | attended | unplaced | cancelled
    late: bool = False
    reconfirm: bool = False
    checked_in: datetime | None = None
    checked_out: datetime | None = None
    method: str | None = None
    minutes: int | None = None
    missing_checkout: bool | None = None
    points: int | None = None  # credited by the Happiness Bank
    held: bool = False  # held a place when the task ended (completed or cancelled)


@dataclass
class Duty:
    """One duty task as the oracle reads its events."""

    task_id: str
    unit: str
    community: str
    kind: str
    topic: str
    place: str
    starts_at: datetime
    ends_at: datetime
    signup_closes_at: datetime
    withdraw_closes_at: datetime
    needed: int
    minimum: int
    team: str | None
    intensity: str
    points_each: int
    leader_id: str | None
    published_at: datetime
    status: str = "open"
    points_state: str | None = None
    completed_at: datetime | None = None
    reach: int | None = None
    sessions: int = 0
    materials: int = 0
    signups: dict[str, SignUp] = field(default_factory=dict)  # in the order they came
    signed: set[str] = field(default_factory=set)
    promoted: int = 0  # moved up off the line
    owed: str | None = None  # who should move up into a place freed by the last event
    deposits: list[tuple[str, int]] = field(default_factory=list)  # (volunteer, amount)

    def holding(self) -> list[SignUp]:
        return [s for s in self.signups.values() if s.state in ("booked", "no_show")]

    def placed(self) -> int:
        """Places taken: held now, or when the task ended."""
        return sum(1 for s in self.signups.values() if s.held or s.state in ("booked", "no_show"))

    def queued(self) -> int:
        """The line: waiting now, or when the task ended."""
        ended = ("unplaced", "cancelled")
        return sum(
            1 for s in self.signups.values()
            if s.state == "waitlisted" or (s.state in ended and not s.held)
        )  # fmt: skip

    def line(self) -> list[SignUp]:
        return sorted(
            (s for s in self.signups.values() if s.state == "waitlisted"), key=lambda s: s.seq
        )


@dataclass
class NoticeRecord:
    notice_id: str
    publisher_unit: str
    title: str
    body: str
    priority: str
    audience: dict[str, list[str]]
    valid_from: datetime
    valid_until: datetime
    requires_ack: bool
    acknowledge_by: datetime | None
    published_by: str
    published_at: datetime
    version: int = 1
    revised_at: datetime | None = None
    revoked_at: datetime | None = None
    revoke_reason: str | None = None
    told: list[tuple[str, datetime, dict[str, Any]]] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)

    def addresses(self, role: str, unit: str, teams: list[str], status: str | None) -> bool:
        inside = any(unit == u or unit.startswith(u + "/") for u in self.audience["units"])
        if role in NOT_ADDRESSED or not inside:
            return False
        roles, wanted, statuses = (
            self.audience.get(k) or [] for k in ("roles", "teams", "statuses")
        )
        if roles and role not in roles:
            return False
        if role == "volunteer":
            return status in (statuses or SERVING) and (
                not wanted or bool(set(teams) & set(wanted))
            )
        return not (wanted or statuses)


def minutes_between(a: datetime, b: datetime, start: datetime, end: datetime) -> int:
    seconds = (min(b, end) - max(a, start)).total_seconds()
    return max(0, int(seconds // 60))


class DutyFold:
    """Tasks, rosters, notices and acknowledgements; mixed into the fold."""

    duties: dict[str, Duty]
    notices: dict[str, NoticeRecord]
    broken: list[str]
    touched_tasks: set[str]  # tasks changed since ``touched_tasks`` was cleared
    touched_notices: set[str]
    told: dict[str, list[tuple[str, str]]]  # volunteer -> (kind, subject) told

    def _tell(self, volunteer_id: str, kind: str, task: Duty) -> None:
        self.told.setdefault(volunteer_id, []).append((kind, task.task_id))

    accounts: dict[str, str]
    people: dict[str, Any]  # volunteer id -> his record (``status`` among it)

    def _task(self, what: str, event: Any) -> bool:
        key = str(event.originator_id)
        at: datetime = event.timestamp
        if what == "Published":
            self.touched_tasks.add(key)
            self.duties[key] = Duty(
                key, event.unit, event.community, event.kind, event.topic, event.place,
                event.starts_at, event.ends_at, event.signup_closes_at, event.withdraw_closes_at,
                int(event.needed), int(event.minimum), event.team, event.intensity,
                int(event.points), event.leader_id, at,
            )  # fmt: skip
            return True
        task = self.duties[key]
        self.touched_tasks.add(key)
        handler = getattr(self, f"_task_{what.lower()}", None)
        if handler is None:
            return False
        if task.owed is not None and what != "Promoted":
            self._break(task, f"a place was free and {task.owed} did not move up")
            task.owed = None
        handler(task, event, at)
        if what in ("Withdrew", "Revised", "Promoted"):
            task.owed = self._owed(task)
        return True

    def _owed(self, task: Duty) -> str | None:
        """Who must move up now, as far as the fold can tell without the rosters: the
        first in line, while a place is free, if he serves (flexible duty: light tasks
        only) and holds no other place within a day of this task. The first in line
        may be passed over for another booking at that time or the day's cap; then
        the fold asks nothing of whoever follows."""
        line = task.line()
        if not line or len(task.holding()) >= task.needed or task.status != "open":
            return None
        first = line[0].volunteer_id
        person = self.people.get(first)
        status = person.status if person is not None else None
        if status not in ("active", "flexible") or (
            status == "flexible" and task.intensity != "light"
        ):
            return None
        near = (task.starts_at - timedelta(days=1), task.ends_at + timedelta(days=1))
        for other in self.duties.values():
            held = other.signups.get(first)
            if other is task or held is None or held.state not in ("booked", "no_show", "attended"):
                continue
            if other.starts_at < near[1] and near[0] < other.ends_at:
                return None
        return first

    def _break(self, task: Duty, rule: str) -> None:
        self.broken.append(f"task {task.task_id}: {rule}")

    def _task_revised(self, task: Duty, event: Any, _at: datetime) -> None:
        moved = (event.starts_at, event.ends_at, event.place) != (
            task.starts_at, task.ends_at, task.place
        )  # fmt: skip
        task.starts_at, task.ends_at, task.place = event.starts_at, event.ends_at, event.place
        task.needed, task.minimum = int(event.needed), int(event.minimum)
        task.signup_closes_at = event.signup_closes_at
        task.withdraw_closes_at = event.withdraw_closes_at
        for entry in task.holding():
            entry.reconfirm = entry.reconfirm or moved
            if moved:  # asked to confirm the new time or place
                self._tell(entry.volunteer_id, "task_revised", task)

    def _task_cancelled(self, task: Duty, _event: Any, _at: datetime) -> None:
        task.status = "cancelled"
        for entry in task.signups.values():
            entry.held = entry.state in ("booked", "no_show")
            if entry.held:  # those holding a place are told
                self._tell(entry.volunteer_id, "task_cancelled", task)
            if entry.state in ("booked", "waitlisted"):
                entry.state = "cancelled"

    def _sign_up(self, task: Duty, event: Any, said: str) -> None:
        """A place while fewer than ``needed`` hold one, else the end of the line."""
        state = "booked" if len(task.holding()) < task.needed else "waitlisted"
        if state != said:
            self._break(task, f"{event.volunteer_id} {said}, the rules say {state}")
        task.signups.pop(event.volunteer_id, None)  # signed up again after withdrawing
        task.signups[event.volunteer_id] = SignUp(
            event.volunteer_id, event.originator_version, state
        )

    def _task_booked(self, task: Duty, event: Any, _at: datetime) -> None:
        self._sign_up(task, event, "booked")

    def _task_waitlisted(self, task: Duty, event: Any, _at: datetime) -> None:
        self._sign_up(task, event, "waitlisted")

    def _task_promoted(self, task: Duty, event: Any, _at: datetime) -> None:
        """The first in line moves up, unless the event says why he could not."""
        passed = [p["volunteer_id"] for p in event.passed_over]
        first = next((s.volunteer_id for s in task.line() if s.volunteer_id not in passed), None)
        if first != event.volunteer_id or len(task.holding()) >= task.needed:
            self._break(task, f"{event.volunteer_id} moved up; the rules say {first}")
        task.signups[event.volunteer_id].state = "booked"
        task.promoted += 1
        self._tell(event.volunteer_id, "task_promoted", task)

    def _task_withdrew(self, task: Duty, event: Any, at: datetime) -> None:
        entry = task.signups[event.volunteer_id]
        late = entry.state == "booked" and at > task.withdraw_closes_at and not entry.reconfirm
        entry.state, entry.late, entry.reconfirm = "withdrew", late, False

    def _task_reconfirmed(self, task: Duty, event: Any, _at: datetime) -> None:
        task.signups[event.volunteer_id].reconfirm = False

    def _task_checkedin(self, task: Duty, event: Any, at: datetime) -> None:
        entry = task.signups[event.volunteer_id]
        entry.checked_in, entry.method = at, event.method

    def _task_checkedout(self, task: Duty, event: Any, at: datetime) -> None:
        task.signups[event.volunteer_id].checked_out = at

    def _task_noshowrecorded(self, task: Duty, event: Any, _at: datetime) -> None:
        task.signups[event.volunteer_id].state = "no_show"

    def _task_completed(self, task: Duty, event: Any, at: datetime) -> None:
        """Who came is credited his minutes within the window; who held a place and
        never came is a no-show; the line closes unplaced."""
        task.status, task.completed_at = "completed", at
        task.reach, task.sessions, task.materials = (
            int(event.reach), int(event.sessions), int(event.materials)
        )  # fmt: skip
        came = False
        for entry in task.holding():
            entry.held = True
            if entry.checked_in is None:
                entry.state = "no_show"
                continue
            out = entry.checked_out or task.ends_at
            entry.state = "attended"
            entry.minutes = minutes_between(entry.checked_in, out, task.starts_at, task.ends_at)
            entry.missing_checkout = entry.checked_out is None
            came = came or (entry.minutes > 0 and task.points_each > 0)
        for entry in task.line():
            entry.state = "unplaced"
        waits = bool(event.awaiting_signatures)
        if waits and not came:
            self._break(task, "points await signatures, yet nobody earned any")
        task.points_state = "awaiting_signatures" if waits else "credited"
        said = {r["volunteer_id"]: int(r["minutes"]) for r in event.attendance}
        mine = {e.volunteer_id: e.minutes for e in task.signups.values() if e.state == "attended"}
        if said != mine:
            self._break(task, f"attendance recorded {said}, the rules say {mine}")

    def _task_pointssigned(self, task: Duty, event: Any, _at: datetime) -> None:
        task.signed.add(event.signer_role)
        if task.signed >= {"director", "officer"}:
            task.points_state = "credited"

    def task_deposit(self, event: Any) -> None:
        """Points the Happiness Bank credited for a task (after any cap)."""
        task = self.duties.get(event.source_id)
        if task is None:
            return
        volunteer_id = self.accounts[str(event.originator_id)]
        task.deposits.append((volunteer_id, int(event.amount)))
        self.touched_tasks.add(task.task_id)
        entry = task.signups.get(volunteer_id)
        if entry is not None:
            entry.points = (entry.points or 0) + int(event.amount)

    def _roster(self, what: str, _event: Any) -> bool:  # the sign-up's own record of time
        return what in ("Opened", "Booked", "Moved", "Released")

    # -- notices -------------------------------------------------------------------------

    def _notice(self, what: str, event: Any) -> bool:
        key, at = str(event.originator_id), event.timestamp
        self.touched_notices.add(key)
        if what == "Published":
            notice = NoticeRecord(
                key, event.publisher_unit, event.title, event.body, event.priority,
                {k: list(v) for k, v in event.audience.items()}, event.valid_from,
                event.valid_until, bool(event.requires_ack), event.acknowledge_by,
                event.actor.id, at,
            )  # fmt: skip
            self.notices[key] = notice
            notice.told.append(("notice", max(at, event.valid_from), self._told(event, key)))
            return True
        notice = self.notices[key]
        notice.version = event.originator_version
        if what == "Revised":
            notice.title, notice.body, notice.priority = event.title, event.body, event.priority
            notice.valid_until, notice.revised_at = event.valid_until, at
            notice.told.append(("notice_revised", at, self._told(event, key)))
            return True
        if what == "Revoked":
            notice.revoked_at, notice.revoke_reason = at, event.reason
            return True
        return False

    @staticmethod
    def _told(event: Any, key: str) -> dict[str, Any]:
        return {
            "message_id": f"Notice.{type(event).__name__}:{key}:{event.originator_version}",
            "params": {"notice_id": key, "title": event.title, "body": event.body},
            "priority": event.priority,
        }

    def _noticeacknowledgement(self, what: str, event: Any) -> bool:
        self.touched_notices.add(event.notice_id)
        self.notices[event.notice_id].acks.append(
            {
                "person_id": event.person_id,
                "role": event.actor.role,
                "unit": event.actor.unit,
                "at": event.timestamp,
            }
        )
        return what == "Acknowledged"
