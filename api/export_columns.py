"""The columns of each export: the row's key, zh-CN and English headers, and kind
(``id`` cells are text whatever they hold; ``time`` cells are China time)."""

from __future__ import annotations

from api.spreadsheets import Column

C = Column

# Columns the case exports share, one header each wherever they appear.
INCIDENT_ID = C("incident_id", "警情编号", "incident id", "id")
STAGE = C("stage", "阶段代码", "stage")
STAGE_LABEL = C("stage_label", "阶段", "stage name")
MODULE = C("module", "模块", "module")
COMMUNITY = C("community", "社区", "community")
WHAT = C("what", "情况", "what")
URGENCY = C("urgency", "紧急程度", "urgency")
ESCALATIONS = C("escalations", "上报次数", "escalations", "int")
OPENED_AT = C("opened_at", "发现时间", "discovered at", "time")

INCIDENTS = (
    INCIDENT_ID,
    STAGE,
    STAGE_LABEL,
    MODULE,
    C("sense", "发现方式", "sense"),
    COMMUNITY,
    WHAT,
    C("place", "地点", "place"),
    C("channel", "反馈渠道", "channel"),
    URGENCY,
    C("reporter_id", "发现义警", "reporter", "id"),
    OPENED_AT,
    C("reported_at", "反馈时间", "reported at", "time"),
    C("accepted_at", "受理时间", "accepted at", "time"),
    C("escalated_at", "首次上报时间", "first escalated at", "time"),
    ESCALATIONS,
    C("returns", "退回次数", "returns", "int"),
    C("diverted_at", "分流时间", "diverted at", "time"),
    C("handed_over_at", "移交时间", "handed over at", "time"),
    C("department", "接收部门", "department"),
    C("outcome_source", "办结方式", "outcome source"),
    C("outcome_at", "办结时间", "outcome at", "time"),
    C("outcome_summary", "办结情况", "outcome"),
    C("score_signed_at", "考评签字生效时间", "score signed at", "time"),
    C("points", "考评分", "points", "int"),
    C("credited", "入账积分", "points credited", "int"),
    C("rewarded_at", "奖励兑现时间", "rewarded at", "time"),
    C("publicized_at", "典型宣传时间", "publicized at", "time"),
    C("closed_at", "结案时间", "closed at", "time"),
    C("rejection_kind", "驳回类型", "rejection"),
    C("rejection_reason", "驳回理由", "rejection reason"),
)

BACKLOG = (
    INCIDENT_ID,
    STAGE,
    STAGE_LABEL,
    WHAT,
    C("owner_unit", "承办单位", "owner unit"),
    C("owner_role", "承办角色", "owner role"),
    C("tier", "层级", "tier"),
    COMMUNITY,
    MODULE,
    URGENCY,
    OPENED_AT,
    C("stage_since", "进入本阶段时间", "in stage since", "time"),
    C("due_at", "到期时间", "due at", "time"),
    C("overdue", "超期", "overdue"),
    C("age_seconds", "已历时（秒）", "age (seconds)", "int"),
    ESCALATIONS,
)

VOLUNTEERS = (
    C("volunteer_id", "义警编号", "volunteer id", "id"),
    C("name", "姓名", "name"),
    C("phone", "电话", "phone", "id"),
    C("id_number", "身份证号", "ID number", "id"),
    C("community", "社区", "community"),
    C("status", "状态", "status"),
    C("squad", "队伍", "squad"),
    C("teams", "专业队", "teams"),
    C("score", "积分", "score", "int"),
    C("star_level", "星级", "star level", "int"),
    C("rank", "排名", "rank", "int"),
    C("earned", "累计获得", "earned", "int"),
    C("redeemed", "已兑换", "redeemed", "int"),
    C("deducted", "扣减", "deducted", "int"),
    C("balance", "余额", "balance", "int"),
)

LEDGER = (
    C("at", "时间", "at", "time"),
    C("volunteer_id", "义警编号", "volunteer id", "id"),
    C("community", "社区", "community"),
    C("kind", "类型", "kind"),
    C("amount", "积分变动", "amount", "int"),
    C("period", "考核期", "period"),
    C("source", "来源", "source"),
    C("source_id", "来源编号", "source id", "id"),
    C("item", "兑换物品", "item"),
    C("quantity", "数量", "quantity", "int"),
    C("reason", "理由", "reason"),
)

ATTENDANCE = (
    C("task_id", "任务编号", "task id", "id"),
    C("topic", "任务", "task"),
    C("kind", "类型", "kind"),
    C("place", "地点", "place"),
    C("community", "社区", "community"),
    C("starts_at", "开始时间", "starts at", "time"),
    C("completed_at", "完成时间", "completed at", "time"),
    C("volunteer_id", "义警编号", "volunteer id", "id"),
    C("checked_in_at", "签到时间", "checked in at", "time"),
    C("checked_out_at", "签退时间", "checked out at", "time"),
    C("minutes", "服务时长（分钟）", "minutes", "int"),
    C("points", "积分", "points", "int"),
)

TRAINING_SHORTFALL = (  # as GET /api/training/shortfall answers, most short first
    C("volunteer_id", "义警编号", "volunteer id", "id"),
    C("community", "社区", "community"),
    C("days", "年度已训天数", "days trained this year", "int"),
    C("norm_days", "今年应训天数", "days due this year", "int"),  # pro-rated for a late start
    C("short_days", "尚差天数", "days short", "int"),
    C("suspended", "已暂停上岗", "suspended"),
)

TRAINING_AWAITING = (  # as GET /api/training/awaiting answers
    C("volunteer_id", "义警编号", "volunteer id", "id"),
    C("community", "社区", "community"),
    C("pre_duty_days", "岗前培训天数", "pre-duty days", "int"),
    C("pre_duty_missing_days", "岗前培训尚差天数", "pre-duty days missing", "int"),
    C("exam_missing", "考试未通过", "exam missing"),
)

COLUMNS = {
    "incidents": INCIDENTS,
    "backlog": BACKLOG,
    "volunteers": VOLUNTEERS,
    "ledger": LEDGER,
    "attendance": ATTENDANCE,
    "training-shortfall": TRAINING_SHORTFALL,
    "training-awaiting": TRAINING_AWAITING,
}
SHEETS = {
    "incidents": "警情",
    "backlog": "待办",
    "volunteers": "义警",
    "ledger": "幸福银行流水",
    "attendance": "任务出勤",
    "training-shortfall": "培训不足",
    "training-awaiting": "待岗培训",
    "report": "工作报表",
    "roll": "义警名册",
}
