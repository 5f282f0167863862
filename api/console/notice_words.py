"""The console's words for the inbox and notices (zh-CN first, English), merged
into ``api.console.i18n`` beside the rest."""

from __future__ import annotations

from aggregates.volunteer import STATUSES, TEAMS
from loop.rules.alerts import KIND_LABELS
from loop.rules.notices import AUDIENCE_STATUSES, PRIORITY_LABELS

TEXT: dict[str, tuple[str, str]] = {
    "nav.inbox": ("消息", "Inbox"),
    "nav.notices": ("通知公告", "Notices"),
    "inbox.title": ("我的消息", "My inbox"),
    "inbox.lede": (
        "超期提醒、警情进展和通知公告都在这里；短信只是补充。",
        "Deadline alerts, news of your reports and notices are all here; texts only add to it.",
    ),
    "inbox.empty": ("暂无消息", "No messages"),
    "inbox.unread_only": ("只看未读", "Unread only"),
    "inbox.all": ("全部", "All"),
    "inbox.read_all": ("全部标为已读", "Mark all read"),
    "inbox.mark_read": ("标为已读", "Mark read"),
    "inbox.open": ("查看", "Open"),
    "inbox.ack": ("确认已阅", "Acknowledge"),
    "inbox.acked": ("已确认", "Acknowledged"),
    "inbox.ack_by": ("请于{when}前确认", "Acknowledge by {when}"),
    "inbox.badge": ("{n}条未读", "{n} unread"),
    "notices.title": ("通知公告", "Notices"),
    "notices.lede": (
        "县局或派出所向本单位及下属单位的指定人员发布通知，可要求确认；未确认的人在截止时收到一次提醒。",
        "A county bureau or station notifies people within its units; those who have "
        "not acknowledged by the time asked get one reminder.",
    ),
    "notices.empty": ("暂无通知", "No notices"),
    "notices.new": ("发布通知", "Publish a notice"),
    "notices.publish": ("发布", "Publish"),
    "notices.published": ("通知已发布", "The notice was published"),
    "notices.f.title": ("标题", "Title"),
    "notices.f.body": ("内容", "Text"),
    "notices.f.units": ("发给单位（含下属单位）", "To units (and those below)"),
    "notices.f.roles": ("角色（不选则全部）", "Roles (none: all)"),
    "notices.f.teams": ("专业队（仅义警）", "Teams (volunteers only)"),
    "notices.f.statuses": ("义警状态（不选则在岗、弹性工作、暂停工作）", "Volunteer statuses"),
    "notices.f.priority": ("优先级", "Priority"),
    "notices.f.valid_until": ("有效期至（不填为30天）", "Valid until (default 30 days)"),
    "notices.f.requires_ack": ("要求确认", "Ask for acknowledgement"),
    "notices.f.acknowledge_by": ("确认截止（不填为3天后）", "Acknowledge by (default 3 days)"),
    "notices.audience": ("受众", "Audience"),
    "notices.published_by": ("发布", "Published by"),
    "notices.valid": ("有效期", "Valid"),
    "notices.acknowledged": ("已确认{n}人", "{n} acknowledged"),
    "notices.who_acknowledged": ("已确认", "Acknowledged"),
    "notices.not_yet": ("尚未确认（截止时收到一次提醒）", "Not yet (one reminder at the deadline)"),
    "notices.nobody": ("无", "Nobody"),
    "notices.revoke": ("撤回通知", "Revoke"),
    "notices.revoke_reason": ("撤回理由", "Reason"),
    "notices.revoked": ("已撤回", "Revoked"),
    "notices.acked_ok": ("已确认，谢谢", "Acknowledged, thank you"),
    "notices.asks_ack": ("要求确认", "Acknowledgement asked"),
    "told.title": ("告知记录", "Who was told"),
    "told.lede": (
        "本单位的每条提醒与通知：何时告知了谁、谁已在消息中阅读，以及每条短信或推送的投递尝试和结果。",
        "Every alert and notice of the unit: who was told and when, who read it in the "
        "inbox, and each text message or webhook with its attempts and outcome.",
    ),
    "told.subject": ("警情/通知/任务编号", "Incident, notice or task id"),
    "told.person": ("人员编号", "Person id"),
    "told.count": ("共{n}条", "{n} messages"),
    "told.at": ("告知时间", "Told at"),
    "told.kind": ("类别", "Kind"),
    "told.what": ("内容", "What"),
    "told.to": ("告知对象", "To"),
    "told.audience": ("通知受众", "The notice's audience"),
    "told.reads": ("已读", "Read"),
    "told.unread": ("未读", "Not read"),
    "told.deliveries": ("短信/推送", "Texts and webhooks"),
    "told.inbox_only": ("仅站内消息", "Inbox only"),
    "told.attempts": ("尝试{n}次", "{n} attempts"),
    "told.channel.sms": ("短信", "Text"),
    "told.channel.webhook": ("推送", "Webhook"),
    "told.status.pending": ("待发送", "pending"),
    "told.status.sending": ("发送中", "sending"),
    "told.status.sent": ("已发送", "sent"),
    "told.status.failed": ("发送失败", "failed"),
    "told.status.skipped": ("未发送", "skipped"),
    "told.status.expired": ("已过时未发", "expired unsent"),
    "told.status.cancelled": ("已取消", "cancelled"),
    "audit.told": ("告知记录", "Who was told"),
}

EN_LABELS: dict[str, dict[str, str]] = {
    "priority": {k: en for k, (_zh, en) in PRIORITY_LABELS.items()},
    "alert": {k: en for k, (_zh, en) in KIND_LABELS.items()},
    "team": {k: k.replace("_", " ") for k in TEAMS},
    "status": {k: k for k in AUDIENCE_STATUSES},
}
ZH_LABELS: dict[str, dict[str, str]] = {
    "priority": {k: zh for k, (zh, _en) in PRIORITY_LABELS.items()},
    "alert": {k: zh for k, (zh, _en) in KIND_LABELS.items()},
    "team": dict(TEAMS),
    "status": {k: STATUSES[k] for k in AUDIENCE_STATUSES},
}
