"""Each stored event told as one readable sentence, in zh-CN and in English."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aggregates.points_account import DEDUCTION_KINDS
from aggregates.volunteer import REVIEWERS, STATUSES, TEAMS
from loop.rules.counties import occupation_label, squad_name
from loop.rules.steps import STEPS
from loop.rules.task_narration import TASK_TEMPLATES
from loop.rules.vocabulary import label

Template = Callable[[Any], tuple[str, str]]


def _discovered(e: Any) -> tuple[str, str]:
    if getattr(e, "reporter_kind", "volunteer") == "resident":
        return (
            f"转来群众反馈（{label(e.module)}，{label(e.sense)}）：{e.what}；地点：{e.where}",
            f"passed on a resident's report ({e.module}, {e.sense}): {e.what}; at {e.where}",
        )
    return (
        f"在「{label(e.module)}」中发现（{label(e.sense)}）：{e.what}；地点：{e.where}",
        f"discovered via {e.module} ({e.sense}): {e.what}; at {e.where}",
    )


def _reviewed(e: Any) -> tuple[str, str]:
    verdict = "审核通过" if e.approved and not e.criminal_record else "审核不通过"
    found = "，发现前科劣迹" if e.criminal_record else ""
    return (
        f"录入{REVIEWERS[e.reviewer]}{verdict}意见{found}：{e.note}",
        f"recorded the {e.reviewer}'s review: "
        + ("approved" if e.approved and not e.criminal_record else "not approved")
        + (", criminal record found" if e.criminal_record else "")
        + f": {e.note}",
    )


def _admitted(e: Any) -> tuple[str, str]:
    group = f"，编入{occupation_label(e.party_group)}党小组" if e.party_group else ""
    return (
        f"吸纳为义警：档案号{e.archive_no}，聘书{e.letter_no}，袖标{e.armband_no}，"
        f"编入{squad_name(e.squad)}{group}",
        f"admitted the volunteer: archive {e.archive_no}, letter {e.letter_no}, "
        f"armband {e.armband_no}, squad {e.squad}" + (", party group" if e.party_group else ""),
    )


def _deducted(e: Any) -> tuple[str, str]:
    points = e.shortfall - e.amount
    short = (
        (
            f"（余额仅{-e.amount}分，{e.shortfall}分未能扣减余额）",
            f" ({e.shortfall} beyond balance)",
        )
        if e.shortfall
        else ("", "")
    )
    return (
        f"{DEDUCTION_KINDS[e.kind]}{points}分{short[0]}：{e.reason}",
        f"deducted {points} points ({e.kind}){short[1]}: {e.reason}",
    )


def _reversed(e: Any) -> tuple[str, str]:
    paid = e.shortfall - e.amount
    short = (
        (f"（余额不足，{e.shortfall}分未能扣回）", f" ({e.shortfall} could not be taken back)")
        if e.shortfall
        else ("", "")
    )
    return (
        f"警情{e.incident_id[:8]}被驳回，冲回其存入的{paid}积分{short[0]}：{e.reason}",
        f"reversed the {paid} points of incident {e.incident_id[:8]}, since rejected"
        f"{short[1]}: {e.reason}",
    )


def _deposited(e: Any) -> tuple[str, str]:
    capped = ("（本期积分已达上限）", " (the period's cap reached)")
    zh_cap, en_cap = capped if e.amount < e.requested else ("", "")
    if e.source == "task":
        return (
            f"任务{e.source_id[:8]}完成，{e.amount}积分存入幸福银行{zh_cap}",
            f"deposited {e.amount} points for task {e.source_id[:8]} (asked {e.requested}){en_cap}",
        )
    return (
        f"警情{e.source_id[:8]}考评{e.requested}分，{e.amount}积分存入幸福银行{zh_cap}",
        f"deposited {e.amount} points for incident {e.source_id[:8]} (scored {e.requested})",
    )


def _donated(e: Any) -> tuple[str, str]:
    limit = e.limit_per_volunteer
    return (
        f"登记{e.donor}捐赠的「{e.name}」{e.stock}件，每件{e.price}积分"
        + (f"，每人限兑{limit}件" if limit else ""),
        f"registered {e.stock} x '{e.name}' donated by {e.donor}, {e.price} points each"
        + (f", at most {limit} per volunteer" if limit else ""),
    )


# Keyed by the event's qualified name (``Volunteer.Rejected``), or by its name
# alone for the incident's events: the discovery here, each step's event as the
# step declares it (``loop.rules.steps``).
TEMPLATES: dict[str, Template] = {
    "Discovered": _discovered,
    **{step.event.__name__: step.narrate for step in STEPS.values()},
    "Volunteer.Applied": lambda e: (
        ("本人在线报名" if e.actor.id == e.volunteer_id else f"录入{e.volunteer_id}的入队申请")
        + f"：{occupation_label(e.occupation)}，所在单位{e.employer}"
        + ("，中共党员" if e.party_member else ""),
        (
            "applied online in person"
            if e.actor.id == e.volunteer_id
            else f"recorded the application of {e.volunteer_id}"
        )
        + f": {e.occupation} at {e.employer}"
        + (", party member" if e.party_member else ""),
    ),
    "Volunteer.Reviewed": _reviewed,
    "Volunteer.Rejected": lambda e: (
        f"不予吸纳：{e.reason}",
        f"declined the application: {e.reason}",
    ),
    "Volunteer.Admitted": _admitted,
    "Volunteer.JoinedTeam": lambda e: (f"编入{TEAMS[e.team]}", f"enrolled in the {e.team} team"),
    "Volunteer.StatusChanged": lambda e: (
        f"将义警状态由「{STATUSES[e.previous]}」改为「{STATUSES[e.status]}」：{e.reason}",
        f"changed the volunteer's status from {e.previous} to {e.status}: {e.reason}",
    ),
    "Volunteer.HonourAwarded": lambda e: (
        f"授予「{e.honour}」荣誉（{e.period}）：{e.reason}",
        f"awarded '{e.honour}' for {e.period}: {e.reason}",
    ),
    "PointsAccount.Opened": lambda e: (
        f"为义警{e.volunteer_id}开通幸福银行账户"
        + (f"，基本分{e.base_points}分" if e.base_points else ""),
        f"opened the Happiness Bank account of {e.volunteer_id}"
        + (f" with {e.base_points} base points" if e.base_points else ""),
    ),
    "PointsAccount.Deposited": _deposited,
    "PointsAccount.Redeemed": lambda e: (
        f"兑换「{e.item_name}」{e.quantity}件，支出{-e.amount}积分",
        f"redeemed {e.quantity} x '{e.item_name}' for {-e.amount} points",
    ),
    "PointsAccount.Deducted": _deducted,
    "PointsAccount.Reversed": _reversed,
    "PointsAccount.MonthEvaluated": lambda e: (
        f"{e.period}月考评" + ("合格" if e.passed else "不合格") + f"：{e.note}",
        f"evaluated {e.period}: " + ("passed" if e.passed else "failed") + f": {e.note}",
    ),
    "PointsAccount.StarLevelChanged": lambda e: (
        f"积分{e.score}分，星级由{e.previous}星变为{e.level}星",
        f"score {e.score}: star level {e.previous} -> {e.level}",
    ),
    "RewardItem.Donated": _donated,
    "RewardItem.Restocked": lambda e: (
        f"补充{e.donor}捐赠的{e.quantity}件",
        f"restocked {e.quantity} from {e.donor}",
    ),
    "RewardItem.HandedOut": lambda e: (
        f"向义警{e.volunteer_id}发放{e.quantity}件，计{e.points}积分",
        f"handed {e.quantity} to volunteer {e.volunteer_id} for {e.points} points",
    ),
    "Notice.Published": lambda e: (
        f"发布通知《{e.title}》" + ("，要求确认" if e.requires_ack else ""),
        f'published the notice "{e.title}"' + (", acknowledgement asked" if e.requires_ack else ""),
    ),
    "Notice.Revised": lambda e: (f"修订通知《{e.title}》", f'revised the notice "{e.title}"'),
    "Notice.Revoked": lambda e: (f"撤回通知：{e.reason}", f"revoked the notice: {e.reason}"),
    "NoticeAcknowledgement.Acknowledged": lambda e: (
        f"确认已阅通知{e.notice_id[:8]}",
        f"acknowledged notice {e.notice_id[:8]}",
    ),
    **TASK_TEMPLATES,
}


def sentence(event: Any) -> tuple[str, str]:
    """``(zh, en)``: who did what, e.g. "社区民警 li-wei 受理，由社区处置"."""
    actor = event.actor
    kind = type(event)
    template = TEMPLATES.get(kind.__qualname__) or TEMPLATES[kind.__name__]
    zh, en = template(event)
    return f"{label(actor.role)} {actor.id} {zh}", f"{actor.role} {actor.id} {en}"
