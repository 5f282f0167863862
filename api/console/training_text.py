"""The console's words for training and the exam gate, in zh-CN and English;
merged into ``api.console.i18n``."""

from __future__ import annotations

from loop.rules.training import BASES, KINDS, MODES

TRAINING_TEXT: dict[str, tuple[str, str]] = {
    "nav.training": ("培训", "Training"),
    "training.title": ("培训与上岗资格", "Training and duty certification"),
    "training.quote": (
        "岗前集中培训不得少于5天，常态化日常培训每年不得少于10天，考试合格后方可上岗。",
        "At least 5 days of pre-duty training, 10 days of regular training a year; "
        "on duty only after passing the exam.",
    ),
    "training.year_days": ("今年培训天数", "Days this year"),
    "training.norm": ("年度标准{n}天", "Yearly norm {n} days"),
    "training.norm_prorated": (
        "今年应训{n}天（年度标准{full}天，按上岗后剩余月份折算）",
        "{n} days this year (the yearly norm of {full} days pro-rated from the month on duty)",
    ),
    "training.norm_of": ("今年应训{n}天", "{n} days due this year"),
    "training.short_blocked": (
        "今年常态化培训还差{n}天，{month}月{day}日起不能报名任务；补足后即可报名",
        "{n} days of this year's regular training short: no task sign-up from {since} "
        "until they are made up",
    ),
    "training.short_warning_until": (
        "今年常态化培训还差{n}天，{month}月{day}日起未补足的不能报名任务",
        "{n} days of this year's regular training short: from {since} no task sign-up "
        "until they are made up",
    ),
    "training.short_warning": (
        "今年常态化培训还差{n}天",
        "{n} days of this year's regular training short",
    ),
    "training.suspended_blocked": (
        "因{year}年常态化培训不足（还差{n}天）已被暂停上岗，不能报名任务；补足后即恢复",
        "Suspended for {year}'s missing training days ({n} short): no task sign-up until "
        "they are made up",
    ),
    "training.suspended": ("已暂停上岗", "Suspended"),
    "training.suspend": ("暂停上岗", "Suspend"),
    "training.lift": ("恢复上岗", "Lift the suspension"),
    "training.f.reason": ("理由", "Reason"),
    "training.short": ("还差{n}天", "{n} days short"),
    "training.on_norm": ("已达年度标准", "Norm reached"),
    "training.pre_duty": ("岗前培训天数", "Pre-duty days"),
    "training.duty": ("上岗状态", "Duty"),
    "training.awaiting": ("待岗培训", "Awaiting training"),
    "training.certified": ("已取得上岗资格（{basis}）", "Certified ({basis})"),
    "training.no_gate": ("本县未启用考试上岗制度", "No duty gate in this county"),
    "training.progress": ("距上岗：{what}", "Before duty: {what}"),
    "training.missing_days": ("还差{n}天岗前培训", "{n} pre-duty days short"),
    "training.exam_missing": ("考试未通过", "no exam passed"),
    "training.exams": ("考试记录", "Exams"),
    "training.exam_row": (
        "第{n}次 {score}分（及格线{mark}分）",
        "Attempt {n}: {score} (pass {mark})",
    ),
    "training.short_label": ("距年度标准还差（天）", "Days short of the norm"),
    "training.passed": ("合格", "Passed"),
    "training.failed": ("不合格", "Failed"),
    "training.attended": ("参加的培训", "Sessions attended"),
    "training.absent": ("未出勤（已更正）", "Absent (corrected)"),
    "training.corrected": ("已更正", "Corrected"),
    "training.next": ("近期培训", "Sessions ahead"),
    "training.none": ("暂无", "None"),
    "training.sessions": ("培训安排", "Sessions"),
    "training.present": ("出勤{n}人", "{n} present"),
    "training.shortfall": ("{year}年培训不足名单", "Short of {year}'s days"),
    "training.shortfall_hint": (
        "在岗义警今年日常培训、针对性培训未达本人应训天数的（年中上岗的按剩余月份折算），"
        "按差额排列。",
        "Serving volunteers short of the year's regular and targeted days (pro-rated for "
        "a start during the year), most short first.",
    ),
    "training.download": ("下载名单", "Download the list"),
    "training.days_of": ("{n}天", "{n} days"),
    "training.instructor": ("授课：{who}", "Taught by {who}"),
    "training.awaiting_list": ("待岗培训名单", "Awaiting training"),
    "training.record_attendance": ("登记出勤", "Record attendance"),
    "training.schedule": ("安排培训", "Schedule a session"),
    "training.exam_and_certify": ("考试与上岗资格", "Exams and certification"),
    "training.record_exam": ("录入考试成绩", "Record an exam"),
    "training.certify": ("认定上岗资格", "Certify for duty"),
    "training.f.score": ("成绩（分）", "Score"),
    "training.f.session": ("培训", "Session"),
    "training.f.volunteer_id": ("义警账号", "Volunteer's account"),
    "training.f.kind": ("培训类别", "Kind"),
    "training.f.topic": ("培训内容", "Topic"),
    "training.f.instructor": ("授课单位", "Taught by"),
    "training.f.day": ("日期", "Day"),
    "training.f.credit": ("折算", "Day credit"),
    "training.f.mode": ("方式", "Mode"),
    "training.f.place": ("地点", "Place"),
    "training.credit.half": ("半天", "Half a day"),
    "training.credit.whole": ("一天", "A whole day"),
}

EN_TRAINING_LABELS: dict[str, dict[str, str]] = {
    "training_kind": {"pre_duty": "Pre-duty", "regular": "Regular", "targeted": "Targeted"},
    "training_mode": {
        "in_person": "In person",
        "on_site": "At the workplace",
        "video": "Video",
        "shadowing": "Shadowing",
    },
    "certification": {"trained": "trained and examined", "legacy": "serving before the gate"},
}
ZH_TRAINING_LABELS: dict[str, dict[str, str]] = {
    "training_kind": KINDS,
    "training_mode": MODES,
    "certification": BASES,
}
