"""Every word the console shows, in zh-CN (the default) and English.

Page text is looked up by key with :func:`text`; the loop's closed vocabularies
(stages, steps, modules, roles ...) by kind and value with :func:`label`. The
names of stages, steps and their fields, in both languages, and the Chinese of
every vocabulary come from the loop's own declarations.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from api.console import notice_words
from api.console.admin_text import ADMIN_TEXT
from api.console.i18n_account import ACCOUNT_TEXT
from api.console.task_text import EN_TASK_LABELS, TASK_TEXT, ZH_TASK_LABELS
from api.console.training_text import EN_TRAINING_LABELS, TRAINING_TEXT, ZH_TRAINING_LABELS
from api.units import unit_label
from loop.rules.counties import ALL_OCCUPATIONS
from loop.rules.stages import REGULATIONS, STAGE_LABELS, STAGES
from loop.rules.steps import STEPS
from loop.rules.units import KINDS, PATHS, UnitTree
from loop.rules.vocabulary import LABELS, Channel, Module, OutcomeSource, RejectionKind, Role, Sense
from loop.rules.vocabulary import Urgency as UrgencyKind

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

TEXT: dict[str, tuple[str, str]] = {
    # frame
    "product": ("梨城义警闭环", "Lishu Loop"),
    "product_sub": ("警情研判工作台", "Triage console"),
    "nav.board": ("待办看板", "Backlog"),
    "nav.cases": ("全部警情", "All incidents"),
    "nav.me": ("我的", "My page"),
    "nav.report": ("上报警情", "Report"),
    "nav.audit": ("审计", "Audit"),
    "nav.stats": ("统计", "Statistics"),
    "nav.talks": ("宣讲点单", "Talk orders"),
    "nav.logout": ("退出", "Log out"),
    "lang.switch": ("English", "中文"),
    "footer": ("梨城义警“八项规章制度”闭环管理", "The eight-step closed loop"),
    # login
    "login.title": ("登录", "Log in"),
    "login.username": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.tagline": ("义警警情闭环管理", "Volunteers' incidents, closed loop"),
    "login.hint": ("使用单位分配的账号登录。", "Log in with the account your unit gave you."),
    "login.demo_password": (
        "演示账号的密码均为 {password}。",
        "Every demo account's password is {password}.",
    ),
    "login.demo": ("演示账号", "Demo accounts"),
    # board
    "board.title": ("待办看板", "Backlog board"),
    "board.open": ("在办", "Open"),
    "board.overdue": ("已超期", "Overdue"),
    "board.urgent": ("紧急", "Urgent"),
    "board.unit": ("单位", "Unit"),
    "board.module": ("模块", "Module"),
    "board.age": ("时长", "Age"),
    "board.all": ("全部", "All"),
    "board.overdue_only": ("只看超期", "Overdue only"),
    "board.filter": ("筛选", "Filter"),
    "board.empty": ("暂无", "None"),
    "board.due": ("时限", "Due"),
    "board.overdue_by": ("超期", "overdue"),
    "board.left": ("剩余", "left"),
    "board.opened": ("已历时", "open for"),
    "age.any": ("不限", "Any"),
    "age.1d": ("超过1天", "Over 1 day"),
    "age.3d": ("超过3天", "Over 3 days"),
    "age.7d": ("超过7天", "Over 7 days"),
    "col.intake": ("待研判", "To triage"),
    "col.handling": ("处置中", "Handling"),
    "col.escalated": ("提级上交", "Escalated"),
    "col.diverted": ("分流移交", "Diverted"),
    "col.outcome": ("待考评", "To score"),
    "col.scoring": ("考评签字", "Co-signing"),
    "col.reward": ("待兑现", "To reward"),
    "col.closing": ("待办结", "To close"),
    # cases list
    "cases.title": ("全部警情", "All incidents"),
    "cases.stage": ("阶段", "Stage"),
    "cases.what": ("内容", "What"),
    "cases.where": ("地点", "Where"),
    "cases.opened": ("反馈时间", "Opened"),
    "cases.points": ("积分", "Points"),
    # incident
    "incident.title": ("警情详情", "Incident"),
    "incident.what": ("警情内容", "What"),
    "incident.where": ("地点", "Where"),
    "incident.module": ("模块", "Module"),
    "incident.sense": ("发现方式", "Found by"),
    "incident.channel": ("反馈方式", "Channel"),
    "incident.urgency": ("紧急程度", "Urgency"),
    "incident.community": ("所在社区", "Community"),
    "incident.owner": ("当前承办", "Owned by"),
    "incident.due": ("办理时限", "Due"),
    "incident.reporter": ("反馈义警", "Reporter"),
    "incident.version": ("版本", "Version"),
    "incident.outcome": ("落办结果", "Outcome"),
    "incident.handover": ("移交记录", "Handover"),
    "incident.score": ("考评", "Score"),
    "incident.timeline": ("办理经过", "Timeline"),
    "incident.loop": ("闭环进度", "Loop progress"),
    "incident.actions": ("可执行的操作", "What you can do now"),
    "incident.no_actions": (
        "当前阶段没有需要您办理的操作。",
        "Nothing for you to do at this stage.",
    ),
    "incident.done": ("已办理：", "Done: "),
    "incident.mermaid": ("闭环图（Mermaid 源文本）", "Loop diagram (Mermaid source)"),
    "incident.next": ("可能的下一步", "Possible next steps"),
    "incident.passed": ("已经过", "passed"),
    "incident.current": ("当前", "now"),
    "incident.audit": ("历史回放", "Replay history"),
    "incident.handed_to": ("移交至", "Handed to"),
    "incident.received_by": ("接收人", "Received by"),
    "incident.signatures": ("已签字", "Signed by"),
    # step forms
    "f.submit": ("提交", "Submit"),
    "f.item": ("考评项目", "Item"),
    "f.points": ("分值", "Points"),
    "f.module": ("所属模块", "Module"),
    "f.sense": ("发现方式", "How you found it"),
    "f.what": ("发现了什么", "What you found"),
    "f.where": ("具体地点", "Exactly where"),
    "f.reporter_id": ("代录义警编号（本社区在岗义警）", "Volunteer logged for (on duty here)"),
    "f.caller": ("反馈人", "Who called"),
    "f.caller_volunteer": ("义警", "A volunteer"),
    "f.caller_resident": ("群众来电", "A resident's call"),
    "f.resident_name": ("来电群众姓名（可不填）", "Caller's name (optional)"),
    "f.resident_phone": ("来电群众电话", "Caller's phone"),
    "f.confirm_hint": ("确认后将记录您的姓名与时间。", "Your name and the time are recorded."),
    # the fields the loop's steps ask for, as the step table labels them
    **{f"f.{f.name}": f.label for step in STEPS.values() for f in step.fields},
    # volunteer
    "me.title": ("我的义警账户", "My volunteer account"),
    "me.balance": ("可用积分", "Points to spend"),
    "me.score": ("累计得分", "Score"),
    "me.earned": ("累计获得", "Earned"),
    "me.redeemed": ("已兑换", "Redeemed"),
    "me.star": ("星级", "Stars"),
    "me.no_star": ("未评星", "No star yet"),
    "me.rank": ("排名", "Rank"),
    "me.rank.community": ("社区", "community"),
    "me.rank.station": ("派出所", "station"),
    "me.rank.county": ("全县", "county"),
    "me.reports": ("我反馈的警情", "My reports"),
    "me.no_reports": ("还没有反馈过警情。", "No reports yet."),
    "me.catalogue": ("幸福银行 · 爱心兑换", "Happiness Bank · goods"),
    "me.price": ("积分", "points"),
    "me.stock": ("库存", "in stock"),
    "me.limit": ("每人限兑", "per person"),
    "me.redeem": ("兑换", "Redeem"),
    "me.redeemed_ok": ("兑换成功：", "Redeemed: "),
    "me.why.balance": ("积分不足", "Not enough points"),
    "me.why.stock": ("已兑完", "Out of stock"),
    "me.why.limit": ("已达兑换上限", "Limit reached"),
    "me.donor": ("捐赠", "donated by"),
    "me.ledger": ("积分流水", "Points ledger"),
    "me.leaderboard": ("本社区积分榜", "Community leaderboard"),
    "me.new_report": ("上报新警情", "Report something"),
    # report
    "report.title": ("上报警情", "Report an incident"),
    "report.lede": (
        "发现矛盾纠纷、安全隐患等情况，请如实填写。紧急情况请立即电话报告社区警务室或拨打110。",
        "Describe what you found. In an emergency phone the community police office or 110 now.",
    ),
    "report.phone_lede": (
        "电话反馈的警情由警务室代为录入，紧急警情按1-3-5分钟响应圈处置。",
        "Phone reports are logged by the office; urgent ones run on the 1-3-5-minute clock.",
    ),
    "report.submit": ("提交反馈", "Send report"),
    "report.sent": ("已反馈，警务室将尽快研判。", "Sent: the office will triage it shortly."),
    # audit
    "audit.title": ("审计", "Audit"),
    "audit.open_incident": ("查阅警情历史", "Open an incident's history"),
    "audit.incident_id": ("警情编号", "Incident id"),
    "audit.open": ("查阅", "Open"),
    "audit.replay": ("历史回放", "History replay"),
    "audit.version": ("第{n}版（共{total}版）", "Version {n} of {total}"),
    "audit.state": ("该版本之后的状态", "State after this version"),
    "audit.event": ("本版本事件", "This version's event"),
    "audit.backlog_as_of": ("历史待办", "Backlog as of a past moment"),
    "audit.moment": ("时刻（北京时间）", "Moment (China time)"),
    "audit.show": ("查看", "Show"),
    "audit.count": ("共{n}件在办", "{n} open"),
    "audit.verify": ("校验存储历史", "Verify the stored history"),
    "audit.intact": ("历史完好", "History intact"),
    "audit.damaged": ("发现篡改", "Tampering found"),
    "audit.last_seal": (
        "最近封存：第{seq}号，至第{up_to}条事件，{at}",
        "Last seal: #{seq}, up to event {up_to}, {at}",
    ),
    "audit.seal_ok": ("封存签名有效", "the seal authenticates"),
    "audit.seal_bad": ("封存签名无效", "the seal does NOT authenticate"),
    "audit.seal_unknown": (
        "本服务无法取得封存密钥，未验证封存签名",
        "this service cannot have the seal key; the seal is not authenticated",
    ),
    "audit.no_seal": ("尚未封存", "not sealed yet"),
    "audit.recent": ("近期警情", "Recent incidents"),
    "audit.owner": ("承办单位", "Owner"),
    "audit.field": ("字段", "Field"),
    "audit.value": ("值", "Value"),
    "audit.changed": ("本版变化", "changed here"),
    # stats
    "stats.title": ("统计分析", "Statistics"),
    "stats.period": ("月份", "Month"),
    "stats.by_module": ("各模块警情数", "Incidents by module"),
    "stats.by_month": ("各月警情数", "Incidents by month"),
    "stats.outcomes": ("落办与结果", "Outcomes"),
    "stats.leaderboard": ("义警积分榜", "Volunteer leaderboard"),
    "stats.rank": ("名次", "Rank"),
    "stats.volunteer": ("义警", "Volunteer"),
    "stats.score": ("得分", "Score"),
    "stats.balance": ("余额", "Balance"),
    "stats.source": (
        "数据来自统计投影，每次办理后自动更新。",
        "Figures come from the statistics projection, updated after every step.",
    ),
    "stats.none": ("暂无数据", "No data"),
    "stats.exports": ("导出（本单位、所选月份）", "Exports (this unit, the chosen month)"),
    "export.incidents": ("警情台账", "Incidents"),
    "export.backlog": ("待办清单", "Backlog"),
    "export.volunteers": ("义警名册", "Volunteers"),
    "export.ledger": ("幸福银行流水", "Happiness Bank ledger"),
    "export.report": ("期间工作报表", "Period report"),
    "export.attendance": ("任务出勤", "Task attendance"),
    "period.title": ("期间工作报表", "Period report"),
    "period.position_closing": (
        "日志位置{n}：期末前最后一个事件，重放日志至此可复现本表。",
        "Log position {n}: the last event before the period's end; replaying the log "
        "to it makes this report again.",
    ),
    "period.position_read": (
        "读数时日志位置{n}：期间未结束，本表随新事件变化。",
        "Read at log position {n}: the period is not over, the report changes with new events.",
    ),
    "period.period": ("期间（年、季、月）", "Period (year, quarter, month)"),
    "period.download": ("下载 XLSX（含明细）", "Download XLSX (with drill-downs)"),
    "period.figure": ("指标", "Figure"),
    "period.about": ("报告口径", "As reported"),
    "period.value": ("精确值", "Exact"),
    "period.definition": ("口径说明", "Definition"),
    "period.drill": ("明细（表 · 筛选 · 计算）", "Drill-down (sheet · filter · count)"),
    "period.source": (
        "每项数字由工作簿中对应明细表的行数、合计或中位数得出；已结束期间的报表重复生成结果相同。",
        "Each figure is the row count, sum or median of its drill-down sheet in the workbook; "
        "a closed period's report is the same each time.",
    ),
    "metric.discovered": ("发现", "Discovered"),
    "metric.reported": ("反馈", "Reported"),
    "metric.escalated": ("提级上交", "Escalated"),
    "metric.diverted": ("分流", "Diverted"),
    "metric.rewarded": ("奖励兑现", "Rewarded"),
    "metric.publicized": ("典型宣传", "Publicized"),
    "metric.closed": ("办结", "Closed"),
    "metric.points": ("奖励积分", "Points"),
    "metric.rejected": ("驳回", "Rejected"),
    # misc
    "none": ("—", "—"),
    "back": ("返回", "Back"),
    "minutes": ("{n}分钟", "{n} min"),
    "hours": ("{n}小时", "{n} h"),
    "days": ("{n}天", "{n} d"),
    "stars": ("{n}星", "{n}★"),
    "error.title": ("无法完成", "Could not be done"),
}

FIELDS: dict[str, dict[str, str]] = {
    "zh": {
        "channel": "反馈方式",
        "owner_role": "承办角色",
        "stage": "阶段",
        "urgency": "紧急程度",
        "version": "版本",
        "closing_note": "办结说明",
        "community": "所在社区",
        "diversion": "分流",
        "due_at": "办理时限",
        "escalations": "提级记录",
        "follow_ups": "落办跟踪",
        "handover": "移交记录",
        "informant": "知情人",
        "last_actor": "最后操作人",
        "module": "模块",
        "occurred_at": "发生时间",
        "outcome": "落办结果",
        "owner_unit": "承办单位",
        "publicity_title": "宣传标题",
        "redaction_note": "脱敏审核说明",
        "rejection": "驳回",
        "reporter_id": "反馈义警",
        "returns": "退回记录",
        "rewarded_points": "奖励积分",
        "score": "考评",
        "self_handled_note": "自行处置说明",
        "sense": "发现方式",
        "tier": "处置层级",
        "victims": "受害人",
        "what": "警情内容",
        "where": "地点",
    },
    "en": {
        "channel": "Channel",
        "owner_role": "Owner role",
        "stage": "Stage",
        "urgency": "Urgency",
        "version": "Version",
        "closing_note": "Closing note",
        "community": "Community",
        "diversion": "Diversion",
        "due_at": "Due",
        "escalations": "Escalations",
        "follow_ups": "Follow-ups",
        "handover": "Handover",
        "informant": "Informant",
        "last_actor": "Last actor",
        "module": "Module",
        "occurred_at": "Occurred at",
        "outcome": "Outcome",
        "owner_unit": "Owner unit",
        "publicity_title": "Publicity title",
        "redaction_note": "Redaction review",
        "rejection": "Rejection",
        "reporter_id": "Reporter",
        "returns": "Returns",
        "rewarded_points": "Points credited",
        "score": "Score",
        "self_handled_note": "Self-handled note",
        "sense": "Found by",
        "tier": "Tier",
        "victims": "Victims",
        "what": "What",
        "where": "Where",
    },
}
"""The names of an incident's recorded fields, as the auditor's replay lists them."""

EN_LABELS: dict[str, dict[str, str]] = {
    "stage": {stage: en for stage, (_, en) in STAGE_LABELS.items()},
    "step": {name: step.en for name, step in STEPS.items()},
    "regulation": {r.key: r.label[1] for r in REGULATIONS},
    "module": {
        "dispute_screening": "Dispute screening",
        "information_collection": "Information collection",
        "anti_fraud": "Anti-fraud publicity",
        "hazard_screening": "Hazard screening",
        "traffic_safety": "Traffic safety",
        "patrol_prevention": "Patrol prevention",
    },
    "sense": {"seen": "Seen", "heard": "Heard", "smelled": "Smelled", "sensed": "Sensed"},
    "channel": {"app": "App", "phone": "Phone"},
    "urgency": {"general": "General", "urgent": "Urgent"},
    "role": {
        "volunteer": "Volunteer",
        "auxiliary": "Auxiliary",
        "community_officer": "Community officer",
        "community_cadre": "Community cadre",
        "community_director": "Community director",
        "station_officer": "Station officer",
        "county_officer": "County dispatch officer",
        "publicity_officer": "Publicity section",
        "auditor": "Auditor",
        "admin": "Administrator",
    },
    "rejection": {"duplicate": "Duplicate", "unfounded": "Unfounded", "merged": "Merged"},
    "outcome": {
        "handled_locally": "Handled by the community officer",
        "self_handled": "Self-handled on site",
        "station": "Outcome from the station",
        "county": "Outcome from the county",
        "department": "Outcome from the department",
    },
    "occupation": {code: en for code, (_, en) in ALL_OCCUPATIONS.items()},
}

VOCABULARIES: dict[str, type[StrEnum]] = {
    "module": Module,
    "sense": Sense,
    "channel": Channel,
    "urgency": UrgencyKind,
    "role": Role,
    "rejection": RejectionKind,
    "outcome": OutcomeSource,
}
"""The loop's closed vocabularies by the kind the console labels them under."""

ZH_LABELS: dict[str, dict[str, str]] = {
    "stage": STAGES,
    "step": {name: step.zh for name, step in STEPS.items()},
    "regulation": {r.key: r.label[0] for r in REGULATIONS},
    **{kind: dict(LABELS[vocabulary]) for kind, vocabulary in VOCABULARIES.items()},
    "occupation": {code: zh for code, (zh, _) in ALL_OCCUPATIONS.items()},
}

TEXT.update(notice_words.TEXT)
EN_LABELS.update(notice_words.EN_LABELS)
ZH_LABELS.update(notice_words.ZH_LABELS)


TEXT.update(ACCOUNT_TEXT)
EN_LABELS["kind"] = {k: en for k, (_, en) in KINDS.items()}
ZH_LABELS["kind"] = {k: zh for k, (zh, _) in KINDS.items()}
assert not TEXT.keys() & ADMIN_TEXT.keys(), sorted(TEXT.keys() & ADMIN_TEXT.keys())
TEXT.update(ADMIN_TEXT)


# Duty tasks' words and vocabularies (api.console.task_text), replacing none of these.
assert not TEXT.keys() & TASK_TEXT.keys(), sorted(TEXT.keys() & TASK_TEXT.keys())
TEXT.update(TASK_TEXT)
EN_LABELS.update(EN_TASK_LABELS)
ZH_LABELS.update(ZH_TASK_LABELS)

# Training's words and vocabularies (api.console.training_text), replacing none of these.
assert not TEXT.keys() & TRAINING_TEXT.keys(), sorted(TEXT.keys() & TRAINING_TEXT.keys())
TEXT.update(TRAINING_TEXT)
EN_LABELS.update(EN_TRAINING_LABELS)
ZH_LABELS.update(ZH_TRAINING_LABELS)


def lang_of(value: str | None) -> Lang:
    return "en" if value == "en" else "zh"


def text(key: str, lang: Lang, **values: object) -> str:
    """The page text under ``key``; ``{name}`` places filled from ``values``."""
    zh, en = TEXT.get(key, (key, key))
    chosen = en if lang == "en" else zh
    return chosen.format(**values) if values else chosen


def label(kind: str, value: str | None, lang: Lang, tree: UnitTree = PATHS) -> str:
    """A vocabulary value's name (``kind``: stage, step, module, role, unit ...);
    a unit's from the organisation registry's ``tree``."""
    if value is None:
        return text("none", lang)
    if kind == "unit":
        return unit_label(value, tree, lang)
    if kind == "field":
        return FIELDS[lang].get(value, value)
    table = (EN_LABELS if lang == "en" else ZH_LABELS).get(kind, {})
    return table.get(value, value)
