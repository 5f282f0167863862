"""Training in the random workload, through the real service (``Training``, the
one the API's routes call).

Between the loop's commands (``tests.oracle.workload``), with a random stream of
its own: sessions scheduled by the station and the county bureau (every kind,
mode and day credit, some on the same day so a day's credit is capped at a
whole day), attendance recorded once the day has come (refused before it and
twice), corrected to absent and back (the record's credit withdrawn and given
again), sessions cancelled (refused once attendance is recorded), exam attempts
(retakes refused inside the cool-down and after a pass) and certification
(refused until the preset's days and exam are recorded). The duty gate is
switched on only when asked (``switch_gate``, before a run's last batch), so the
duty workload's sign-ups stay as they were until then.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from aggregates.actor import Actor
from aggregates.volunteer import ON_DUTY
from loop import demo
from loop.rules.scoring import CHINA
from loop.services.training_gate import record_of

if TYPE_CHECKING:
    from tests.oracle.workload import Workload

KINDS = ("pre_duty", "regular", "targeted")
MODES = ("in_person", "on_site", "video", "shadowing")


class Trainings:
    """Training commands for ``workload`` (its writers, clock and volunteers)."""

    def __init__(self, workload: Workload, seed: int) -> None:
        self.w = workload
        self.rng = random.Random(seed)
        self.sessions: list[tuple[str, str, date]] = []  # id, unit, day
        self.made = 0

    @property
    def today(self) -> date:
        return self.w.clock().astimezone(CHINA).date()

    def call(self, command: str, method: str, /, *args: Any, **kwargs: Any) -> Any:
        return self.w.call(command, method, *args, writer=self.rng, **kwargs)

    def session(self) -> None:
        for _ in range(self.rng.randint(1, 4)):
            self.step()

    def step(self) -> None:
        roll = self.rng.random()
        if roll < 0.2 or not self.sessions:
            self.schedule()
        elif roll < 0.6:
            self.attend()
        elif roll < 0.72:
            self.correct()
        elif roll < 0.87:
            self.exam()
        elif roll < 0.95:
            self.certify()
        else:
            self.cancel()

    def _held_by(self) -> Actor:
        return self.rng.choice([demo.STATION_OFFICER] * 3 + [demo.COUNTY_OFFICER])

    def schedule(self, ahead: int | None = None, officer: Actor | None = None) -> None:
        rng = self.rng
        officer = officer or self._held_by()
        day = self.today + timedelta(days=rng.choice([0, 0, 1, 3, 10]) if ahead is None else ahead)
        self.made += 1
        done = self.call(
            "schedule_training", "training.schedule", officer, kind=rng.choice(KINDS),
            topic=f"培训{self.made}", instructor=rng.choice(["县公安局", "消防救援大队"]),
            day=day, credit=rng.choice(["half", "whole"]), mode=rng.choice(MODES),
            place="朝阳派出所",
        )  # fmt: skip
        if done is not None:
            self.sessions.append((done.session_id, officer.unit, day))

    def _volunteer(self) -> Actor | None:
        return self.rng.choice(self.w.volunteers) if self.w.volunteers else None

    def _recorder(self, volunteer: Actor) -> Actor:
        return self.rng.choice([demo.DIRECTORS[volunteer.unit][2], demo.STATION_OFFICER])

    def attend(self) -> None:
        """Mostly a session held already (a future one is refused); a few of its
        volunteers (one recorded twice is refused)."""
        held = [s for s in self.sessions if s[2] <= self.today]
        chosen = held if held and self.rng.random() < 0.95 else self.sessions
        session_id = self.rng.choice(chosen)[0]
        for _ in range(self.rng.randint(1, 3)):
            volunteer = self._volunteer()
            if volunteer is not None:
                self.call("record_attendance", "training.record_attendance",
                          self._recorder(volunteer), session_id, volunteer.id)  # fmt: skip

    def correct(self) -> None:
        """His attendance corrected: mostly to what it was not (the same is refused)."""
        session = self.w.loops[0].training.get(self.rng.choice(self.sessions)[0])
        recorded = sorted(session.attendance)
        people = {v.id: v for v in self.w.volunteers}
        recorded = [v for v in recorded if v in people]
        if not recorded:
            return
        who = self.rng.choice(recorded)
        present = (
            not session.attendance[who] if self.rng.random() < 0.9 else session.attendance[who]
        )
        self.call(
            "correct_attendance", "training.correct_attendance", self._recorder(people[who]),
            str(session.id), who, present=present, reason="登记有误",
        )  # fmt: skip

    def exam(self) -> None:
        volunteer = self._volunteer()
        if volunteer is not None:
            score = self.rng.choice([self.rng.randint(20, 59), self.rng.randint(60, 100)])
            self.call("record_exam", "training.record_exam", self._recorder(volunteer),
                      volunteer.id, score=score)  # fmt: skip

    def certify(self) -> None:
        volunteer = self._volunteer()
        if volunteer is not None:
            self.call("certify", "training.certify", demo.STATION_OFFICER, volunteer.id)

    def switch_gate(self) -> None:
        """The county switches the duty gate on (where the preset has one; refused
        elsewhere), those serving now certified as legacy but the last two admitted
        who are on duty and not yet certified (the random status changes may
        have taken the last two off duty): they, and whoever is admitted or back on
        duty from then on, await training."""
        loop = self.w.loops[0]
        untrained = [
            v.id
            for v in self.w.volunteers
            if loop.volunteers.get(v.id).status in ON_DUTY
            and getattr(record_of(loop.app, v.id), "certified", None) is None
        ]
        left = set(untrained[-2:])  # the last two on duty and untrained wait for training
        serving = [v.id for v in self.w.volunteers if v.id not in left]
        self.call("switch_duty_gate", "training.switch_gate_on", demo.COUNTY_OFFICER,
                  serving=serving)  # fmt: skip

    def cancel(self) -> None:
        session_id, unit, _ = self.rng.choice(self.sessions)
        officer = demo.STATION_OFFICER if unit == demo.STATION else demo.COUNTY_OFFICER
        self.call("cancel_training", "training.cancel", officer, session_id, reason="天气原因")


def training_tour(t: Trainings) -> None:
    """The opening: two pre-duty and two regular sessions on one day (the day's
    credit capped at a whole day), two of the demo's volunteers attending; one
    corrected to absent and back; four more pre-duty days for one of them; an
    exam failed, a retake refused inside the cool-down, a pass; his
    certification; a session a week ahead (attendance refused) cancelled; a
    suspension for a shortfall (refused but where the preset suspends)."""
    rider, courier = demo.RIDER, demo.COURIER
    station = demo.STATION_OFFICER
    for kind in ("pre_duty", "regular"):
        for _ in range(2):
            t.made += 1
            done = t.call(
                "schedule_training", "training.schedule", station, kind=kind,
                topic=f"培训{t.made}", instructor="县公安局", day=t.today, credit="whole",
                mode="in_person", place="朝阳派出所",
            )  # fmt: skip
            t.sessions.append((done.session_id, station.unit, t.today))
    for session_id, _, _ in t.sessions:
        for volunteer in (rider, courier):
            t.call("record_attendance", "training.record_attendance", station, session_id,
                   volunteer.id)  # fmt: skip
    first = t.sessions[0][0]
    for present in (False, True):
        t.call("correct_attendance", "training.correct_attendance", station, first, rider.id,
               present=present, reason="登记有误")  # fmt: skip
    for _ in range(4):  # four more pre-duty days: five in all, as Fuping asks
        t.w.clock.advance(timedelta(days=1))
        t.made += 1
        done = t.call(
            "schedule_training", "training.schedule", station, kind="pre_duty",
            topic=f"培训{t.made}", instructor="县公安局", day=t.today, credit="whole",
            mode="on_site", place="朝阳派出所",
        )  # fmt: skip
        t.sessions.append((done.session_id, station.unit, t.today))
        t.call("record_attendance", "training.record_attendance", station, done.session_id,
               rider.id)  # fmt: skip
    for score in (40, 90):  # the retake inside the cool-down is refused
        t.call("record_exam", "training.record_exam", station, rider.id, score=score)
    t.w.clock.advance(timedelta(days=8))
    t.call("record_exam", "training.record_exam", station, rider.id, score=90)
    t.call("certify", "training.certify", station, rider.id)
    t.schedule(ahead=7, officer=station)
    t.call("record_attendance", "training.record_attendance", station, t.sessions[-1][0],
           courier.id)  # fmt: skip
    t.call("cancel_training", "training.cancel", station, t.sessions[-1][0], reason="改期")
    t.call("suspend_training", "training.suspend", station, courier.id, reason="培训不足")
