"""The words of every alert and notice message, in zh-CN and English.

Messages store a kind and parameters (ids, codes, numbers, times; never a name,
a phone number or text a reporter typed); the inbox and the dispatcher turn
them into words here, so one line per kind says what a person is told. The
fifth regulation is what the clock's alerts serve: "警情落办制度，提格上交派出所或
县局处置的警情，由社区民警负责跟踪，及时索要落办结果。"
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from loop.rules.notices import PRIORITY_LABELS
from loop.rules.stages import STAGES
from loop.rules.tasks import KINDS
from loop.rules.vocabulary import Module, Tier, label

CHINA = timezone(timedelta(hours=8))

Words = tuple[str, str, str, str]
"""``(title_zh, body_zh, title_en, body_en)``."""
Template = Callable[["Facts"], Words]


class Facts:
    """A message's parameters, ready to be worded (labels in zh-CN, times in China
    time, the incident by its short number)."""

    def __init__(self, params: Mapping[str, Any], unit_name: Callable[[str], str]) -> None:
        self.p = params
        self.unit_name = unit_name

    def __getitem__(self, name: str) -> Any:
        return self.p.get(name)

    @property
    def short(self) -> str:
        found = self.p.get("incident_id") or self.p.get("notice_id") or self.p.get("order_id")
        return str(found or "")[:8]

    @property
    def module(self) -> str:
        return label(str(self.p.get("module") or ""), Module)

    @property
    def stage(self) -> str:
        return STAGES.get(str(self.p.get("stage") or ""), str(self.p.get("stage") or ""))

    def tier(self, name: str = "tier") -> str:
        return label(str(self.p.get(name) or ""), Tier)

    def unit(self, name: str = "owner_unit") -> str:
        value = self.p.get(name)
        return self.unit_name(value) if value else ""

    def when(self, name: str = "due_at") -> tuple[str, str]:
        local = self._local(name)
        if local is None:
            return "", ""
        return f"{local.month}月{local.day}日 {local:%H:%M}", f"{local:%d %b %H:%M}"

    def _local(self, name: str) -> datetime | None:
        value = self.p.get(name)
        if not value:
            return None
        moment = datetime.fromisoformat(value)
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(CHINA)

    @property
    def task_kind(self) -> tuple[str, str]:
        code = str(self.p.get("task_kind") or "")
        return KINDS.get(code, code), code.replace("_", " ")

    @property
    def span(self) -> tuple[str, str]:
        """A task's time: "7月13日 19:00至21:00" (the end's day too, if another)."""
        zh_start, en_start = self.when("starts_at")
        start, end = self._local("starts_at"), self._local("ends_at")
        if start is None or end is None:
            return zh_start, en_start
        zh_end, en_end = self.when("ends_at")
        if end.date() == start.date():
            zh_end = en_end = f"{end:%H:%M}"
        return f"{zh_start}至{zh_end}", f"{en_start}-{en_end}"

    @property
    def lead(self) -> tuple[str, str]:
        """A reminder's lead: "24小时", "30分钟"."""
        minutes = int(self.p.get("before_minutes") or 0)
        if minutes % 60:
            return f"{minutes}分钟", f"{minutes} min"
        return f"{minutes // 60}小时", f"{minutes // 60} h"


def _accepted(f: Facts) -> Words:
    return (
        "警情已受理",
        f"您反馈的{f.module}警情（{f.short}）已由{f.tier()}受理处置。",
        "Report accepted",
        f"Your {f['module']} report ({f.short}) was accepted for handling ({f['tier']}).",
    )


def _scored(f: Facts) -> Words:
    return (
        "考评已生效",
        f"您反馈的{f.module}警情（{f.short}）考评已生效，共{f['points']}分。",
        "Score in effect",
        f"The score of your {f['module']} report ({f.short}) took effect: {f['points']} points.",
    )


def _rewarded(f: Facts) -> Words:
    capped = f["credited"] != f["points"]
    return (
        "奖励已兑现",
        f"已兑现{f['credited']}积分，存入您的幸福银行账户（警情{f.short}）"
        + (f"；考评{f['points']}分，本期积分已达上限。" if capped else "。"),
        "Reward credited",
        f"{f['credited']} points were credited to your Happiness Bank account "
        f"(incident {f.short})"
        + (f"; scored {f['points']}, the period's cap reached." if capped else "."),
    )


def _handed_on(title: tuple[str, str], verb: tuple[str, str]) -> Template:
    def words(f: Facts) -> Words:
        zh_due, en_due = f.when()
        return (
            title[0],
            f"{f.module}警情（{f.short}）已{verb[0]}{f.tier('to_tier')}，请于{zh_due}前办理。",
            title[1],
            f"A {f['module']} incident ({f.short}) was {verb[1]} {f['to_tier']} level; "
            f"due {en_due}.",
        )

    return words


def _due_soon(f: Facts) -> Words:
    zh_due, en_due = f.when()
    return (
        "警情即将到期",
        f"您单位承办的{f.module}警情（{f.short}，{f.stage}）将于{zh_due}到期。",
        "Incident due soon",
        f"Your unit's {f['module']} incident ({f.short}, {f['stage']}) is due {en_due}.",
    )


def _due(f: Facts) -> Words:
    zh_due, en_due = f.when()
    return (
        "警情已到办理期限",
        f"您单位承办的{f.module}警情（{f.short}，{f.stage}）已到办理期限（{zh_due}），请及时办理。",
        "Incident due now",
        f"Your unit's {f['module']} incident ({f.short}, {f['stage']}) fell due at {en_due}.",
    )


def _overdue(f: Facts) -> Words:
    zh_due, en_due = f.when()
    return (
        "警情超期督办",
        f"{f.unit()}承办的{f.module}警情（{f.short}，{f.stage}）已超过办理期限（{zh_due}）"
        "一倍仍未办结，请督促跟踪，及时索要落办结果。",
        "Overdue incident",
        f"{f['owner_unit']}'s {f['module']} incident ({f.short}, {f['stage']}) has been open "
        f"twice its allowed time (due {en_due}); please chase it.",
    )


def _urgent(minutes: int) -> Template:
    def words(f: Facts) -> Words:
        return (
            f"紧急警情{minutes}分钟未响应",
            f"紧急{f.module}警情（{f.short}，{f.stage}）已{minutes}分钟未响应"
            f"（“1、3、5”分钟处置反应圈），现由{f.unit()}承办。",
            f"Urgent incident unanswered for {minutes} min",
            f"The urgent {f['module']} incident ({f.short}, {f['stage']}) has had no response "
            f"for {minutes} minutes (the 1-3-5-minute circle); owned by {f['owner_unit']}.",
        )

    return words


def _notice(prefix: tuple[str, str]) -> Template:
    def words(f: Facts) -> Words:
        return (
            prefix[0] + str(f["title"]),
            str(f["body"]),
            prefix[1] + str(f["title"]),
            str(f["body"]),
        )

    return words


def _reminder(f: Facts) -> Words:
    zh_by, en_by = f.when("acknowledge_by")
    return (
        f"请确认：{f['title']}",
        f"通知《{f['title']}》须于{zh_by}前确认已阅，您尚未确认。",
        f"Please acknowledge: {f['title']}",
        f'The notice "{f["title"]}" was to be acknowledged by {en_by}; you have not yet.',
    )


def _task_promoted(f: Facts) -> Words:
    (zh_kind, en_kind), (zh_span, en_span) = f.task_kind, f.span
    return (
        "候补递补成功",
        f"名额空出，您已从候补递补获得{f.unit('community')}{zh_kind}任务的名额"
        f"（{zh_span}），请按时到岗签到。",
        "You moved up off the waitlist",
        f"A place freed: you now have a place on the {en_kind} task in {f['community']} "
        f"({en_span}); please check in on time.",
    )


def _task_soon(f: Facts) -> Words:
    (zh_kind, en_kind), (zh_span, en_span), (zh_lead, en_lead) = f.task_kind, f.span, f.lead
    return (
        f"任务提醒（开始前{zh_lead}）",
        f"您报名的{f.unit('community')}{zh_kind}任务将于{zh_lead}后开始（{zh_span}），"
        "请按时到岗签到；如不能参加，请在任务开始前退出。",
        f"Task reminder ({en_lead} before)",
        f"Your {en_kind} task in {f['community']} starts in {en_lead} ({en_span}); please "
        "check in on time, or withdraw before it starts if you cannot come.",
    )


def _task_revised(f: Facts) -> Words:
    (zh_kind, en_kind), (zh_span, en_span) = f.task_kind, f.span
    return (
        "任务变更，请重新确认",
        f"您报名的{f.unit('community')}{zh_kind}任务时间或地点已变更，现为{zh_span}；"
        "请重新确认参加，不能参加的请退出（不记逾期）。",
        "Task changed: please reconfirm",
        f"The {en_kind} task in {f['community']} you booked has a new time or place, now "
        f"{en_span}; please reconfirm, or withdraw (not counted as late).",
    )


def _task_cancelled(f: Facts) -> Words:
    (zh_kind, en_kind), (zh_span, en_span) = f.task_kind, f.span
    return (
        "任务已取消",
        f"您报名的{f.unit('community')}{zh_kind}任务（{zh_span}）已取消，无需到岗。",
        "Task cancelled",
        f"The {en_kind} task in {f['community']} ({en_span}) you booked was cancelled; "
        "you need not come.",
    )


def _task_at_risk(f: Facts) -> Words:
    (zh_kind, en_kind), (zh_span, en_span) = f.task_kind, f.span
    return (
        "任务报名不足",
        f"{f.unit('community')}{zh_kind}任务（{zh_span}）已报名{f['booked']}人，"
        f"不足最少{f['minimum']}人，请及时动员义警报名或调整任务。",
        "Task under-filled",
        f"The {en_kind} task in {f['community']} ({en_span}) has {f['booked']} booked, fewer "
        f"than its minimum of {f['minimum']}; recruit volunteers or revise it.",
    )


def _talk_unanswered(f: Facts) -> Words:
    zh_when, en_when = f.when("answer_by")
    return (
        "宣讲点单待答复",
        f"群众点单（{f.short}）应在{zh_when}前接单或婉拒，已超过答复期限，请及时答复点单人。",
        "Talk order unanswered",
        f"The talk order {f.short} was to be accepted or declined by {en_when}; "
        "answer the orderer now.",
    )


TEMPLATES: dict[str, Template] = {
    "report_accepted": _accepted,
    "report_scored": _scored,
    "report_rewarded": _rewarded,
    "escalated_to_you": _handed_on(
        ("提格警情待受理", "Escalated to you"), ("提格上交", "escalated to")
    ),
    "returned_to_you": _handed_on(("警情已退回", "Returned to you"), ("退回", "returned to")),
    "due_soon": _due_soon,
    "due": _due,
    "overdue": _overdue,
    "urgent_1": _urgent(1),
    "urgent_3": _urgent(3),
    "urgent_5": _urgent(5),
    "notice": _notice(("", "")),
    "notice_revised": _notice(("【修订】", "[Revised] ")),
    "notice_reminder": _reminder,
    "task_promoted": _task_promoted,
    "task_soon": _task_soon,
    "task_revised": _task_revised,
    "task_cancelled": _task_cancelled,
    "task_at_risk": _task_at_risk,
    "talk_unanswered": _talk_unanswered,
}
"""Kind -> its words."""

KIND_LABELS = {
    "report_accepted": ("受理", "accepted"),
    "report_scored": ("考评", "scored"),
    "report_rewarded": ("奖励", "rewarded"),
    "escalated_to_you": ("提格待受理", "escalated to you"),
    "returned_to_you": ("退回待办", "returned to you"),
    "due_soon": ("即将到期", "due soon"),
    "due": ("到期", "due"),
    "overdue": ("超期督办", "overdue"),
    "urgent_1": ("紧急1分钟", "urgent 1 min"),
    "urgent_3": ("紧急3分钟", "urgent 3 min"),
    "urgent_5": ("紧急5分钟", "urgent 5 min"),
    "notice": ("通知公告", "notice"),
    "notice_revised": ("通知修订", "notice revised"),
    "notice_reminder": ("确认提醒", "reminder"),
    "task_promoted": ("候补递补", "moved up"),
    "task_soon": ("任务提醒", "task reminder"),
    "task_revised": ("任务变更", "task changed"),
    "task_cancelled": ("任务取消", "task cancelled"),
    "task_at_risk": ("报名不足", "under-filled"),
    "talk_unanswered": ("点单待答复", "order unanswered"),
}


def words(kind: str, params: Mapping[str, Any], unit_name: Callable[[str], str] = str) -> Words:
    """The words of a message of ``kind`` with ``params``."""
    template = TEMPLATES.get(kind)
    if template is None:
        return (kind, "", kind, "")
    return template(Facts(params, unit_name))


def priority_label(priority: str, english: bool = False) -> str:
    zh, en = PRIORITY_LABELS.get(priority, (priority, priority))
    return en if english else zh
