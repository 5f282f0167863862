"""Each task and roster event told as one readable sentence (zh-CN, English);
merged into ``loop.rules.narration``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aggregates.volunteer import TEAMS
from loop.rules.scoring import CHINA
from loop.rules.tasks import CHECK_IN_METHODS, INTENSITIES, KINDS

Template = Callable[[Any], tuple[str, str]]
SIGNER_LABELS = {
    "director": ("社区主任", "community director"),
    "officer": ("社区民警", "community officer"),
}


def _clock(moment: Any) -> str:
    return f"{moment.astimezone(CHINA):%Y-%m-%d %H:%M}"


def _published(e: Any) -> tuple[str, str]:
    team = f"，需{TEAMS[e.team]}" if e.team else ""
    return (
        f"发布「{KINDS[e.kind]}」任务：{e.topic}；地点：{e.place}；"
        f"{_clock(e.starts_at)}至{_clock(e.ends_at)}；需{e.needed}人"
        f"（至少{e.minimum}人）{team}；强度{INTENSITIES[e.intensity]}；每人{e.points}积分",
        f"published a {e.kind} task: {e.topic}; at {e.place}; {_clock(e.starts_at)} to "
        f"{_clock(e.ends_at)}; {e.needed} needed (at least {e.minimum})"
        + (f", {e.team} team" if e.team else "")
        + f"; {e.intensity}; {e.points} points each",
    )


def _task_completed(e: Any) -> tuple[str, str]:
    minutes = sum(r["minutes"] for r in e.attendance)
    wait = ("，积分待社区主任和社区民警签字", ", points await co-signature")
    return (
        f"完成任务：到岗{len(e.attendance)}人，缺勤{len(e.no_shows)}人，服务时长"
        f"{minutes / 60:g}小时，服务群众{e.reach}人次" + (wait[0] if e.awaiting_signatures else ""),
        f"completed the task: {len(e.attendance)} attended, {len(e.no_shows)} no-shows, "
        f"{minutes / 60:g} hours, {e.reach} people reached"
        + (wait[1] if e.awaiting_signatures else ""),
    )


TASK_TEMPLATES: dict[str, Template] = {
    "Task.Published": _published,
    "Task.Revised": lambda e: (
        f"修改任务：{_clock(e.starts_at)}至{_clock(e.ends_at)}，地点{e.place}，需{e.needed}人"
        + (f"，请{len(e.reconfirm)}名已报名义警重新确认" if e.reconfirm else "")
        + f"：{e.reason}",
        f"revised the task: {_clock(e.starts_at)} to {_clock(e.ends_at)} at {e.place}, "
        f"{e.needed} needed"
        + (f", {len(e.reconfirm)} asked to reconfirm" if e.reconfirm else "")
        + f": {e.reason}",
    ),
    "Task.Cancelled": lambda e: (f"取消任务：{e.reason}", f"cancelled the task: {e.reason}"),
    "Task.Booked": lambda e: (f"{e.volunteer_id}报名成功", f"booked {e.volunteer_id}"),
    "Task.Waitlisted": lambda e: (
        f"名额已满，{e.volunteer_id}进入候补第{e.position}位",
        f"full: {e.volunteer_id} waitlisted at {e.position}",
    ),
    "Task.Promoted": lambda e: (
        f"名额空出，候补{e.volunteer_id}递补成功",
        f"a place freed: {e.volunteer_id} moved up from the waitlist",
    ),
    "Task.Withdrew": lambda e: (
        f"{e.volunteer_id}退出任务"
        + ("（超过退出截止时间）" if e.late else "")
        + (f"：{e.reason}" if e.reason else ""),
        f"{e.volunteer_id} withdrew"
        + (" (after the cut-off)" if e.late else "")
        + (f": {e.reason}" if e.reason else ""),
    ),
    "Task.Reconfirmed": lambda e: (
        f"{e.volunteer_id}确认参加修改后的任务",
        f"{e.volunteer_id} reconfirmed",
    ),
    "Task.CheckedIn": lambda e: (
        f"{e.volunteer_id}签到（{CHECK_IN_METHODS[e.method]}）",
        f"checked in {e.volunteer_id} ({e.method})",
    ),
    "Task.CheckedOut": lambda e: (
        f"{e.volunteer_id}签退（{CHECK_IN_METHODS[e.method]}）",
        f"checked out {e.volunteer_id} ({e.method})",
    ),
    "Task.NoShowRecorded": lambda e: (
        f"记录{e.volunteer_id}缺勤",
        f"recorded {e.volunteer_id} as a no-show",
    ),
    "Task.Completed": _task_completed,
    "Task.PointsSigned": lambda e: (
        f"以{SIGNER_LABELS[e.signer_role][0]}身份签字确认任务积分"
        + ("，积分存入幸福银行" if e.completes else ""),
        f"co-signed the task's points as {SIGNER_LABELS[e.signer_role][1]}"
        + (", the points are credited" if e.completes else ""),
    ),
    "Roster.Opened": lambda e: (
        f"建立义警{e.volunteer_id}的任务安排",
        f"opened the roster of {e.volunteer_id}",
    ),
    "Roster.Booked": lambda e: (
        f"安排任务{e.task_id[:8]}：{_clock(e.starts_at)}至{_clock(e.ends_at)}",
        f"booked task {e.task_id[:8]}: {_clock(e.starts_at)} to {_clock(e.ends_at)}",
    ),
    "Roster.Moved": lambda e: (
        f"任务{e.task_id[:8]}改期：{_clock(e.starts_at)}至{_clock(e.ends_at)}",
        f"task {e.task_id[:8]} moved: {_clock(e.starts_at)} to {_clock(e.ends_at)}",
    ),
    "Roster.Released": lambda e: (
        f"释放任务{e.task_id[:8]}的时间（{'已退出' if e.reason == 'withdrew' else '任务取消'}）",
        f"released task {e.task_id[:8]} ({e.reason})",
    ),
}
