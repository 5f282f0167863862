"""Each stored event told as one readable sentence, in zh-CN and in English."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aggregates.points_account import DEDUCTION_KINDS
from aggregates.volunteer import OCCUPATIONS, REVIEWERS, STATUSES, TEAMS
from loop.rules.vocabulary import OutcomeSource, Tier, label

Template = Callable[[Any], tuple[str, str]]

SIGNER_LABELS = {
    "director": ("社区主任", "community director"),
    "officer": ("社区民警", "community officer"),
}


def _discovered(e: Any) -> tuple[str, str]:
    return (
        f"在「{label(e.module)}」中发现（{label(e.sense)}）：{e.what}；地点：{e.where}",
        f"discovered via {e.module} ({e.sense}): {e.what}; at {e.where}",
    )


def _reported(e: Any) -> tuple[str, str]:
    zh = f"以{label(e.channel)}方式反馈{label(e.urgency)}警情"
    en = f"reported it by {e.channel} ({e.urgency})"
    if e.self_handled_note:
        zh += f"，已现场自行处置：{e.self_handled_note}"
        en += f", handled on site: {e.self_handled_note}"
    return zh, en


def _signed(e: Any) -> tuple[str, str]:
    zh_role, en_role = SIGNER_LABELS[e.signer_role]
    effective = e.stage == "scored"
    return (
        f"以{zh_role}身份签字" + ("，考评结果生效" if effective else ""),
        f"signed as {en_role}" + (", the score takes effect" if effective else ""),
    )


def _rewarded(e: Any) -> tuple[str, str]:
    if e.credited == e.points:
        return (
            f"兑现奖励，{e.points}积分存入幸福银行",
            f"credited {e.points} points to the Happiness Bank",
        )
    return (
        f"兑现奖励，考评{e.points}分，因本期积分已达上限，{e.credited}积分存入幸福银行",
        f"rewarded a score of {e.points}; the period's cap let {e.credited} points be credited",
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
    group = f"，编入{OCCUPATIONS[e.party_group]}党小组" if e.party_group else ""
    return (
        f"吸纳为义警：档案号{e.archive_no}，聘书{e.letter_no}，袖标{e.armband_no}，"
        f"编入{OCCUPATIONS[e.squad]}队{group}",
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


def _donated(e: Any) -> tuple[str, str]:
    limit = e.limit_per_volunteer
    return (
        f"登记{e.donor}捐赠的「{e.name}」{e.stock}件，每件{e.price}积分"
        + (f"，每人限兑{limit}件" if limit else ""),
        f"registered {e.stock} x '{e.name}' donated by {e.donor}, {e.price} points each"
        + (f", at most {limit} per volunteer" if limit else ""),
    )


# Keyed by the event's qualified name (``Volunteer.Rejected``), or by its name
# alone for the incident's events.
TEMPLATES: dict[str, Template] = {
    "Discovered": _discovered,
    "Reported": _reported,
    "AcceptedForHandling": lambda e: (
        f"受理，由{label(e.tier, Tier)}处置",
        f"accepted it for handling at {e.tier} level",
    ),
    "Escalated": lambda e: (
        f"将警情由{label(e.from_tier, Tier)}提格上交{label(e.to_tier, Tier)}，理由：{e.reason}",
        f"escalated it from {e.from_tier} to {e.to_tier}: {e.reason}",
    ),
    "Returned": lambda e: (
        f"将警情由{label(e.from_tier, Tier)}退回{label(e.to_tier, Tier)}，理由：{e.reason}",
        f"returned it from {e.from_tier} to {e.to_tier}: {e.reason}",
    ),
    "Diverted": lambda e: (
        ("到场调查后" if e.after_arrival else "") + f"认定非公安机关管辖，分流回社区：{e.reason}",
        ("after arriving, " if e.after_arrival else "")
        + f"found it outside police jurisdiction and diverted it to the community: {e.reason}",
    ),
    "HandedOver": lambda e: (
        f"将警情移交{e.department}，接收人：{e.received_by}，"
        f"接收时间：{e.received_at:%Y-%m-%d %H:%M}",
        f"handed it over to {e.department}, received by {e.received_by} "
        f"at {e.received_at:%Y-%m-%d %H:%M}",
    ),
    "FollowUpChased": lambda e: (
        f"向{e.asked}索要落办结果，答复：{e.answer}",
        f"chased {e.asked} for the outcome; answer: {e.answer}",
    ),
    "OutcomeRecorded": lambda e: (
        f"录入落办结果（{label(e.source, OutcomeSource)}）：{e.summary}",
        f"recorded the outcome ({e.source}): {e.summary}",
    ),
    "ScoreProposed": lambda e: (
        f"考评打分{e.points}分，依据：{e.basis}",
        f"proposed a score of {e.points} points: {e.basis}",
    ),
    "ScoreSigned": _signed,
    "Rewarded": _rewarded,
    "Publicized": lambda e: (
        f"作为典型事例宣传：《{e.title}》",
        f'featured it as a typical case: "{e.title}"',
    ),
    "Closed": lambda e: (
        "办结警情" + (f"：{e.note}" if e.note else ""),
        "closed the incident" + (f": {e.note}" if e.note else ""),
    ),
    "Rejected": lambda e: (
        f"驳回警情（{label(e.kind)}）：{e.reason}",
        f"rejected it ({e.kind}): {e.reason}",
    ),
    "Volunteer.Applied": lambda e: (
        f"录入{e.volunteer_id}的入队申请：{OCCUPATIONS[e.occupation]}，所在单位{e.employer}"
        + ("，中共党员" if e.party_member else ""),
        f"recorded the application of {e.volunteer_id}: {e.occupation} at {e.employer}"
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
    "PointsAccount.Deposited": lambda e: (
        f"警情{e.incident_id[:8]}考评{e.requested}分，{e.amount}积分存入幸福银行"
        + ("（本期积分已达上限）" if e.amount < e.requested else ""),
        f"deposited {e.amount} points for incident {e.incident_id[:8]} (scored {e.requested})",
    ),
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
}


def sentence(event: Any) -> tuple[str, str]:
    """``(zh, en)``: who did what, e.g. "社区民警 li-wei 受理，由社区处置"."""
    actor = event.actor
    kind = type(event)
    template = TEMPLATES.get(kind.__qualname__) or TEMPLATES[kind.__name__]
    zh, en = template(event)
    return f"{label(actor.role)} {actor.id} {zh}", f"{actor.role} {actor.id} {en}"
