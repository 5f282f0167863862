"""The year's routine besides incidents: a weekly duty task in each community
(sign-ups beyond the places, check-in and out, the odd no-show, completion, the
co-signed points), a monthly training session of the station with attendance,
exams and certification, and the station's and county's notices."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from aggregates.actor import Actor
from aggregates.training_record import TrainingRecord
from loop import demo
from loop.bootstrap import Loop
from loop.demo_year.people import People
from loop.demo_year.timeline import CHINA, Script, Timeline

TASKS = [
    ("patrol", "夜间联防巡逻", "幸福路至和平路沿线"),
    ("school_guard", "护校岗", "幸福小学门口"),
    ("anti_fraud", "反诈宣传进小区", "和平小区广场"),
    ("event_security", "周末集市安保", "和平市场"),
    ("legal_publicity", "法治宣传", "社区服务中心"),
]
TRAINING = [
    ("regular", "矛盾纠纷排查与劝导", "in_person"),
    ("targeted", "识别电信诈骗常见手法", "video"),
    ("regular", "消防安全隐患排查", "on_site"),
    ("pre_duty", "义警职责与纪律", "in_person"),
]
NOTICES = [
    ("防范电信诈骗，请转告居民", "近期冒充客服退款类诈骗高发，请各位义警入户宣传时重点提示。"),
    ("节假日巡逻安排", "节日期间加强夜间巡逻，请按任务安排按时到岗。"),
    ("冬季防火提示", "请排查楼道堆物与电动车违规充电，发现隐患及时反馈。"),
    ("幸福银行新到兑换物品", "爱心商家捐赠物品已上架，可凭积分兑换。"),
]


class Duties:
    def __init__(self, loop: Loop, timeline: Timeline, people: People) -> None:
        self.loop, self.t, self.people = loop, timeline, people
        self.tasks = 0
        self.sessions = 0
        self.notices = 0

    def schedule(self, days: int) -> None:
        for week in range(days // 7):
            for k, community in enumerate((demo.XINGFU, demo.HEPING)):
                self.t.at(self.t.day(7 * week + k, 9), "task", self.task(community, week))
        for month in range(days // 30):
            self.t.at(self.t.day(30 * month + 2, 10), "training", self.training(month))
            self.t.at(self.t.day(30 * month + 5, 15), "notice", self.notice(month))

    # -- duty tasks ------------------------------------------------------------------

    def task(self, community: str, week: int) -> Script:
        rng, tasks = self.t.rng, self.loop.tasks
        _, director, officer = demo.DIRECTORS[community]
        kind, topic, place = TASKS[week % len(TASKS)]
        starts = self.t.day(7 * week + 5, 19 if kind == "patrol" else 9)
        self.tasks += 1
        task_id = self.t.uuid("task", self.tasks)
        policy = tasks.policy
        points = rng.randint(max(policy.points_min, 5), max(policy.points_max, 5))
        tasks.publish(
            officer, kind=kind, topic=topic, place=place, community=community,
            starts_at=starts, ends_at=starts + timedelta(hours=2), needed=3, minimum=2,
            intensity="normal", points=points, task_id=task_id,
        )  # fmt: skip
        pool = [v for v in self.people.serving if v.unit == community]
        keen = rng.sample(pool, min(len(pool), rng.randint(2, 5)))
        cutoff = starts - tasks.policy.withdraw_closes_before
        for volunteer in keen:
            yield self._by(cutoff, self.t.hours(1, 20))
            if self.t.clock() < starts and self._may_take(volunteer, task_id):
                tasks.sign_up(volunteer, task_id)
        task = tasks.get(task_id)
        booked = list(task.booked)
        if task.waitlist and rng.random() < 0.3:  # one drops out, the line moves up
            yield self._by(cutoff, self.t.hours(1, 12))
            if self.t.clock() < cutoff:
                volunteer = next(v for v in keen if v.id == booked[0])
                tasks.withdraw(volunteer, task_id, reason="临时有事，无法参加")
        yield starts - self.t.clock() + timedelta(minutes=rng.randint(-10, 15))
        booked = list(tasks.get(task_id).booked)
        missing = booked[-1] if len(booked) > 2 and rng.random() < 0.2 else None
        for who in booked:
            if who != missing:
                tasks.check_in(officer, task_id, who)
        if missing is not None:
            yield timedelta(minutes=40)
            tasks.record_no_show(officer, task_id, missing)
        yield starts + timedelta(hours=2) - self.t.clock()
        for who in booked:
            if who != missing:
                tasks.check_out(officer, task_id, who)
        yield timedelta(minutes=rng.randint(5, 60))
        done = tasks.complete(officer, task_id, reach=rng.randint(20, 200), sessions=1,
                              materials=rng.randint(0, 50))  # fmt: skip
        if done.awaiting_signatures:
            for signer in (director, officer):
                yield self.t.hours(1, 24)
                tasks.sign_points(signer, task_id)

    def _by(self, cutoff: datetime, wait: timedelta) -> timedelta:
        """``wait``, but not past ``cutoff``: the sign-ups and a withdrawal before the
        cut-off never run into the task's start, whose check-in must come before it ends."""
        return min(wait, max(cutoff - self.t.clock(), timedelta(0)))

    def _may_take(self, volunteer: Actor, task_id: UUID) -> bool:
        """Whether the task service would take his sign-up (his status, team, the duty
        gate, the year's training days): one it would refuse he does not ask for."""
        record = self.loop.volunteers.get(volunteer.id)
        return self.loop.tasks.why_not(record, self.loop.tasks.get(task_id)) is None

    # -- training -----------------------------------------------------------------------

    def training(self, month: int) -> Script:
        rng, training = self.t.rng, self.loop.training
        kind, topic, mode = TRAINING[month % len(TRAINING)]
        day = self.t.day(30 * month + 9, 14)
        self.sessions += 1
        session_id = self.t.uuid("training", self.sessions)
        training.schedule(
            demo.STATION_OFFICER, kind=kind, topic=topic, instructor="朝阳派出所 王警官",
            day=day.astimezone(CHINA).date(), credit="whole" if kind == "pre_duty" else "half",
            mode=mode, place="朝阳派出所会议室", session_id=session_id,
        )  # fmt: skip
        yield day - self.t.clock() + timedelta(hours=3)
        newcomers = [v for v in self.people.serving if self._uncertified(v)]
        others = [v for v in self.people.serving if v not in newcomers]
        attending = newcomers + rng.sample(others, min(len(others), rng.randint(6, 12)))
        for volunteer in attending:
            training.record_attendance(demo.STATION_OFFICER, session_id, volunteer.id)
        yield timedelta(minutes=30)
        for volunteer in newcomers:
            record = training.record(volunteer.id, demo.STATION_OFFICER, self.t.clock())
            policy = training.policy
            if not record.passed and self._may_retake(record):
                training.record_exam(demo.STATION_OFFICER, volunteer.id, score=rng.randint(48, 96))
                record = training.record(volunteer.id, demo.STATION_OFFICER, self.t.clock())
            if record.missing(policy.pre_duty_halves, policy.exam_required) == (0, False):
                training.certify(demo.STATION_OFFICER, volunteer.id)

    def _uncertified(self, volunteer: Actor) -> bool:
        """Joined after the first day and not yet certified for duty."""
        if self.people.joined[volunteer.id] == 0:
            return False
        record = self.loop.training.record(volunteer.id, demo.STATION_OFFICER, self.t.clock())
        return record.certified is None

    def _may_retake(self, record: TrainingRecord) -> bool:
        cool_down = self.loop.training.policy.retake_cool_down
        return not record.exams or self.t.clock() >= record.exams[-1]["at"] + cool_down

    # -- notices ----------------------------------------------------------------------------

    def notice(self, month: int) -> Script:
        rng, notices = self.t.rng, self.loop.notices
        title, body = NOTICES[month % len(NOTICES)]
        publisher = demo.STATION_OFFICER if month % 3 else demo.COUNTY_OFFICER
        self.notices += 1
        asks = month % 2 == 0
        notice_id = self.t.uuid("notice", self.notices)
        notices.publish(
            publisher, title=title, body=body, priority="important" if asks else "normal",
            requires_ack=asks, notice_id=notice_id,
            valid_until=self.t.clock() + timedelta(days=30),
        )  # fmt: skip
        if asks:
            for volunteer in rng.sample(self.people.serving, min(8, len(self.people.serving))):
                yield self.t.hours(1, 48)
                notices.acknowledge(volunteer, notice_id)
