"""Each stored event told as one readable sentence, in zh-CN and in English."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from loop.vocabulary import OutcomeSource, Tier, label

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
    "Rewarded": lambda e: (
        f"兑现奖励，{e.points}积分存入幸福银行",
        f"credited {e.points} points to the Happiness Bank",
    ),
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
}


def sentence(event: Any) -> tuple[str, str]:
    """``(zh, en)``: who did what, e.g. "社区民警 li-wei 受理，由社区处置"."""
    actor = event.actor
    zh, en = TEMPLATES[type(event).__name__](event)
    return f"{label(actor.role)} {actor.id} {zh}", f"{actor.role} {actor.id} {en}"
