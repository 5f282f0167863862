"""Duty tasks and notices in the random workload, through the real services.

Between the loop's commands (``tests.oracle.workload``), with a random stream of
its own so the loop's walk is drawn as before: tasks published by community and
station officers, sign-ups (often more than the places, so the waitlist fills;
some refused for overlaps, the daily cap, status or intensity), two sign-ups on
one task sent to both writers at once, withdrawals (moving the line up), check-in
by the roster's code or by hand, check-out, no-shows, completion, the co-signature
of the points, cancelled tasks; notices published by the station and the county
bureau to units, roles and statuses, some asking for acknowledgement, revised,
revoked, and acknowledged by those addressed (and by some who are not: refused).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aggregates.actor import Actor
from aggregates.errors import DomainError
from loop import demo
from loop.services.task_day import check_in_code

if TYPE_CHECKING:
    from tests.oracle.workload import Workload

COMMUNITIES = (demo.XINGFU, demo.HEPING)
KINDS = ("patrol", "school_guard", "anti_fraud", "event_security")
INTENSITIES = ("light", "normal", "heavy")


class Duties:
    """Task and notice commands for ``workload`` (its writers, clock and people)."""

    def __init__(self, workload: Workload, seed: int) -> None:
        self.w = workload
        self.rng = random.Random(seed)
        self.tasks: list[str] = []
        self.times: dict[str, tuple[datetime, datetime, datetime]] = {}  # start, end, closes
        self.ended: set[str] = set()  # completed or cancelled
        self.awaiting: list[str] = []  # completed, the points awaiting signatures
        self.notices: list[str] = []
        self.asking: dict[str, tuple[datetime, list[str]]] = {}  # acknowledgements: until, units
        self.made = 0

    @property
    def now(self) -> datetime:
        return self.w.clock()

    def call(self, command: str, method: str, /, *args: Any, **kwargs: Any) -> Any:
        return self.w.call(command, method, *args, **kwargs)

    def session(self) -> None:
        """A few task or notice commands, minutes apart."""
        for _ in range(self.rng.randint(1, 4)):
            self.w.clock.advance(timedelta(minutes=self.rng.choice([0, 1, 5, 10, 20, 40])))
            self.step()

    def step(self) -> None:
        """One task or notice command, chosen by what the tasks allow now."""
        roll = self.rng.random()
        if roll < 0.12 or not self.tasks:
            self.publish()
        elif roll < 0.45:
            self.sign_up()
        elif roll < 0.52:
            self.both_at_once()
        elif roll < 0.58:
            self.withdraw()
        elif roll < 0.8:
            for _ in range(self.rng.randint(1, 3)):
                self.on_the_day()
        elif roll < 0.81:
            self.cancel()
        elif roll < 0.82:
            self.revise()
        elif roll < 0.85:
            self.publish_notice()
        elif roll < 0.86:
            self.change_notice()
        else:
            self.acknowledge()

    # -- tasks -----------------------------------------------------------------------------

    def publish(self) -> None:
        rng = self.rng
        community = rng.choice(COMMUNITIES)
        officer = rng.choice([demo.DIRECTORS[community][2]] * 5 + [demo.STATION_OFFICER] * 2
                             + [demo.COUNTY_OFFICER])  # fmt: skip
        starts = self.now + timedelta(minutes=rng.choice([40, 60, 90, 120, 180, 600, 60 * 30]))
        ends = starts + timedelta(minutes=rng.choice([60, 120, 240, 480]))
        leaders = [v.id for v in self.w.volunteers if v.unit == community]
        policy = self.w.loops[0].tasks.policy
        needed = rng.randint(1, 4)
        self.made += 1
        ack = self.call(
            "publish_task", "tasks.publish", officer, community=community,
            kind=rng.choice(KINDS), topic=f"巡逻任务{self.made}", place="幸福路口",
            starts_at=starts, ends_at=ends,
            needed=needed, minimum=rng.randint(1, needed), intensity=rng.choice(INTENSITIES),
            points=rng.randint(policy.points_min, policy.points_max),
            leader_id=rng.choice(leaders) if leaders and rng.random() < 0.3 else None,
            withdraw_closes_at=starts - timedelta(minutes=rng.choice([0, 30, 120])),
        )  # fmt: skip
        if ack is not None:
            self.tasks.append(ack.task_id)
            self.times[ack.task_id] = (starts, ends, starts)

    def _pick(self, ids: list[str]) -> Any:
        return self.w.loops[0].tasks.get(self.rng.choice(ids)) if ids else None

    def _task(self) -> Any:
        """A task still open for sign-up (mostly), or any not ended."""
        now, live = self.now, [t for t in self.tasks if t not in self.ended]
        open_ = [t for t in live if self.times[t][2] >= now]
        if not open_ and self.rng.random() < 0.8:  # all past: a new one
            self.publish()
            open_ = [t for t in self.tasks if t not in self.ended and self.times[t][2] >= now]
        return self._pick(open_ if open_ and self.rng.random() < 0.95 else live)

    def _someone(self, task: Any) -> Actor:
        near = [v for v in self.w.volunteers if v.unit.startswith(task.community.rsplit("/", 1)[0])]
        return self.rng.choice(near or [demo.RIDER])

    def sign_up(self) -> None:
        """One to four sign-ups on one task: its places fill, then its line."""
        task = self._task()
        for _ in range(self.rng.randint(1, 4) if task is not None else 0):
            self.call("sign_up", "tasks.sign_up", self._someone(task), task.id)

    def both_at_once(self) -> None:
        """Two sign-ups on one task, one to each writer, at the same moment: places
        are taken in the order the store took them, never beyond the capacity."""
        task = self._task()
        if task is None:
            return
        people = {self._someone(task).id: None for _ in range(4)}
        two = [a for a in self.w.volunteers if a.id in people][:2]
        futures = [
            (n, committer.submit(loop.tasks.sign_up, who, task.id))
            for n, (who, committer, loop) in enumerate(
                zip(two, self.w.committers, self.w.loops, strict=False)
            )
        ]
        for _, future in futures:
            try:
                future.result()
            except DomainError:
                self.w.tally.refused += 1
            else:
                self.w.tally.count("sign_up_at_once")

    def withdraw(self) -> None:
        task = self._task()
        if task is None:
            return
        entries = [*task.booked, *task.waitlist]
        if entries:
            who = self.rng.choice(entries)
            actor = next((v for v in self.w.volunteers if v.id == who), None)
            if actor is not None:
                self.call("withdraw", "tasks.withdraw", actor, task.id, reason="临时有事")

    def on_the_day(self) -> None:
        """Whatever the task's day allows now: check in, out, a no-show, complete,
        co-sign the points."""
        now = self.now
        begun = [
            t
            for t in self.tasks
            if t not in self.ended and self.times[t][0] - timedelta(minutes=40) <= now
        ]
        if self.awaiting and (not begun or self.rng.random() < 0.25):
            task = self._pick(self.awaiting)
            cadre, director, officer = demo.DIRECTORS[task.community]
            signer = self.rng.choice([director, officer, cadre])
            self.call("sign_task_points", "tasks.sign_points", signer, task.id)
            if self.w.loops[0].tasks.get(task.id).points_state != "awaiting_signatures":
                self.awaiting.remove(str(task.id))
            return
        service = self.w.loops[0].tasks
        window = [service.get(t) for t in begun if now <= self.times[t][1]]
        manned = [t for t in window if set(t.booked) - set(t.no_shows)]
        chosen = manned if manned and self.rng.random() < 0.9 else None
        task = self.rng.choice(chosen) if chosen else self._pick(begun)
        if task is None:
            return
        if task.status != "open":
            self.ended.add(str(task.id))
            return
        cadre, director, officer = demo.DIRECTORS[task.community]
        still = [v for v in task.booked if v not in task.attendance and v not in task.no_shows]
        out = [v for v, r in task.attendance.items() if r["out"] is None]
        roll = self.rng.random()
        if still and roll < 0.75 and self.now <= task.ends_at:
            who = self.rng.choice(still)
            actor = next((v for v in self.w.volunteers if v.id == who), None)
            if actor is not None and self.rng.random() < 0.6:  # his phone scans the code
                code = check_in_code(task)
                self.call("check_in", "tasks.check_in", actor, task.id, who, code=code)
            else:
                self.call("check_in", "tasks.check_in", officer, task.id, who)
        elif out and roll < 0.7:
            self.call("check_out", "tasks.check_out", officer, task.id, self.rng.choice(out))
        elif still and roll < 0.8 and self.now >= task.starts_at:
            self.call("no_show", "tasks.record_no_show", officer, task.id, self.rng.choice(still))
        elif self.now >= task.starts_at and (self.now > task.ends_at or roll > 0.9):
            done = self.call(
                "complete_task", "tasks.complete", officer, task.id,
                reach=self.rng.randint(0, 80), sessions=1, materials=self.rng.randint(0, 30),
            )  # fmt: skip
            if done is not None:
                self.ended.add(str(task.id))
                if done.awaiting_signatures:
                    self.awaiting.append(str(task.id))

    def cancel(self) -> None:
        task = self._task()
        if task is not None:
            officer = demo.DIRECTORS[task.community][2]
            if self.call("cancel_task", "tasks.cancel", officer, task.id, reason="天气原因"):
                self.ended.add(str(task.id))

    def revise(self) -> None:
        """More places (the line moves up), or a new time (the booked reconfirm)."""
        task = self._task()
        if task is None or task.status != "open":
            return
        officer = demo.DIRECTORS[task.community][2]
        if self.rng.random() < 0.5:
            self.call("revise_task", "tasks.revise", officer, task.id, reason="增加名额",
                      needed=task.needed + 1)  # fmt: skip
            return
        later = timedelta(minutes=30)
        done = self.call(
            "revise_task", "tasks.revise", officer, task.id, reason="时间调整",
            starts_at=task.starts_at + later, ends_at=task.ends_at + later,
        )  # fmt: skip
        if done is not None:
            start, end, _ = self.times[str(task.id)]
            self.times[str(task.id)] = (start + later, end + later, start + later)

    # -- notices -----------------------------------------------------------------------------

    def publish_notice(self) -> None:
        rng = self.rng
        publisher = rng.choice([demo.STATION_OFFICER, demo.COUNTY_OFFICER])
        audience = {"units": [rng.choice([publisher.unit, *COMMUNITIES])]}
        if rng.random() < 0.4:
            audience["roles"] = rng.sample(
                ["volunteer", "community_officer", "community_director"], 2
            )
        if rng.random() < 0.2:
            audience["statuses"] = ["active", "flexible"]
        asks = rng.random() < 0.5
        start = self.now + timedelta(hours=rng.choice([0, 0, 0, 3]))
        ack = self.call(
            "publish_notice", "notices.publish", publisher, title=f"通知{len(self.notices)}",
            body="请各位义警注意防范电信诈骗", audience=audience,
            priority=rng.choice(["normal", "important", "urgent"]),
            valid_from=start if start > self.now else None,
            valid_until=start + timedelta(days=rng.choice([2, 5, 30])), requires_ack=asks,
        )  # fmt: skip
        if ack is not None:
            self.notices.append(ack.notice_id)
            if asks:
                self.asking[ack.notice_id] = (start + timedelta(days=2), audience["units"])

    def _notice(self) -> Any:
        return self.w.loops[0].notices.get(self.rng.choice(self.notices)) if self.notices else None

    def change_notice(self) -> None:
        notice = self._notice()
        if notice is None:
            return
        publisher = (
            demo.STATION_OFFICER if notice.publisher_unit == demo.STATION else demo.COUNTY_OFFICER
        )
        if self.rng.random() < 0.6:
            self.call(
                "revise_notice", "notices.revise", publisher, notice.id,
                title=notice.title + "（更正）", body=notice.body,
                priority=self.rng.choice(["normal", "urgent"]),
                valid_until=notice.valid_until + timedelta(days=1),
            )  # fmt: skip
        else:
            self.call("revoke_notice", "notices.revoke", publisher, notice.id, reason="已过时")

    def people(self) -> list[Actor]:
        """Who may read and acknowledge notices: volunteers and community staff."""
        staff = [a for trio in demo.DIRECTORS.values() for a in trio]
        return [*self.w.volunteers, *self.w.applicants, *staff, demo.STATION_OFFICER]

    def acknowledge(self) -> None:
        """Mostly one addressed, by the notice's units, of a notice asking for it."""
        now = self.now
        asking = [n for n, (until, _) in self.asking.items() if until > now]
        if not asking:
            return
        notice_id = self.rng.choice(asking)
        units = self.asking[notice_id][1]
        people = self.people()
        near = [p for p in people if any(p.unit.startswith(u) for u in units)]
        who = self.rng.choice(near if near and self.rng.random() < 0.85 else people)
        self.call("acknowledge", "notices.acknowledge", who, notice_id)


def duty_tour(w: Workload) -> None:
    """The duty day every run holds before its random batches: a task of two places
    signed up by four (two wait in line, one of them to the end), the last place
    raced from both writers,
    a booked volunteer withdrawing (the first in line moves up), check-in by the
    roster's code and by hand, a check-out and one missing (credited to the end),
    a no-show, completion and the co-signature of the points where the preset asks
    for it; a task cancelled with its places and its line; a notice asking for
    acknowledgement, acknowledged, revised and read, and one revoked."""
    call, tasks, clock = w.committers[0].call, w.loops[0].tasks, w.clock
    rider, courier, meter = demo.RIDER, demo.COURIER, demo.METER
    _, director, officer = demo.DIRECTORS[demo.XINGFU]
    starts = clock() + timedelta(hours=3)
    ack = call(
        tasks.publish, officer, kind="patrol", topic="夜间巡逻", place="幸福路",
        starts_at=starts, ends_at=starts + timedelta(hours=2), needed=2, minimum=2,
        intensity="light", points=tasks.policy.points_max,
    )  # fmt: skip
    task_id = ack.task_id
    call(tasks.sign_up, rider, task_id)
    both = [
        committer.submit(loop.tasks.sign_up, who, task_id)
        for committer, loop, who in zip(w.committers, w.loops, (courier, meter), strict=True)
    ]
    states = sorted(future.result().state for future in both)
    assert states == ["booked", "waitlisted"], states
    for _ in both:
        w.tally.count("sign_up_at_once")
    call(tasks.sign_up, demo.SWEEPER, task_id)  # second in line: unplaced at the end
    clock.advance(timedelta(minutes=5))
    first = next(v for v in (courier, meter) if v.id in tasks.get(task_id).booked)
    call(tasks.withdraw, rider, task_id, reason="临时有事")  # the line moves up
    assert set(tasks.get(task_id).booked) == {courier.id, meter.id}
    clock.advance(timedelta(hours=3))  # the start
    code = check_in_code(tasks.get(task_id))
    call(tasks.check_in, first, task_id, first.id, code=code)
    other = meter if first is courier else courier
    call(tasks.check_in, officer, task_id, other.id)
    clock.advance(timedelta(minutes=70))
    call(tasks.check_out, officer, task_id, first.id)
    clock.advance(timedelta(hours=1))  # past the end: the other never checked out
    done = call(tasks.complete, officer, task_id, reach=40, sessions=1, materials=10)
    if done.awaiting_signatures:
        for signer in (director, officer):
            call(tasks.sign_points, signer, task_id)
            w.tally.count("sign_task_points")
    starts = clock() + timedelta(hours=20)
    gone = call(
        tasks.publish, officer, kind="school_guard", topic="护校岗", place="幸福小学",
        starts_at=starts, ends_at=starts + timedelta(hours=1), needed=1, intensity="light",
    ).task_id  # fmt: skip
    for volunteer in (rider, courier):
        call(tasks.sign_up, volunteer, gone)
    call(tasks.cancel, officer, gone, reason="学校放假")
    starts = clock() + timedelta(hours=1)
    missed = call(
        tasks.publish, officer, kind="patrol", topic="白天巡逻", place="幸福路",
        starts_at=starts, ends_at=starts + timedelta(hours=1), needed=1, intensity="light",
    ).task_id  # fmt: skip
    call(tasks.sign_up, meter, missed)
    clock.advance(timedelta(hours=1, minutes=10))
    call(tasks.record_no_show, officer, missed, meter.id)
    call(tasks.complete, officer, missed)
    w.duties.tasks += [task_id, gone, missed]
    w.duties.ended |= {task_id, gone, missed}
    for each in (task_id, gone, missed):
        t = tasks.get(each)
        w.duties.times[each] = (t.starts_at, t.ends_at, t.signup_closes_at)
    notices = w.loops[0].notices
    notice = call(
        notices.publish, demo.STATION_OFFICER, title="防范电信诈骗", body="请转告居民",
        audience={"units": [demo.XINGFU]}, priority="important", requires_ack=True,
    ).notice_id  # fmt: skip
    for volunteer in (rider, meter):
        call(notices.acknowledge, volunteer, notice)
    call(
        notices.revise, demo.STATION_OFFICER, notice, title="防范电信诈骗（更正）",
        body="请转告居民", priority="urgent", valid_until=clock() + timedelta(days=20),
    )  # fmt: skip
    call(notices.acknowledge, officer, notice)
    dropped = call(
        notices.publish, demo.COUNTY_OFFICER, title="旧通知", body="作废",
        audience={"units": [demo.STATION], "roles": ["volunteer"]},
    ).notice_id  # fmt: skip
    call(notices.revoke, demo.COUNTY_OFFICER, dropped, reason="发错")
    w.duties.notices += [notice, dropped]
