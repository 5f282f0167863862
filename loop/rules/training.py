"""Training and the exam gate as data: kinds, modes, day credits, the pre-duty and
yearly norms, the exam's pass mark and retake cool-down, which modes count, per
county preset.

Fuping: "岗前集中培训不得少于5天，常态化日常培训每年不得少于10天，考试合格后方可上岗";
"针对性培训根据暑期、汛期等不同时期的工作任务要求，邀请消防救援大队、'蓝天救援队''帮大哥'
等讲解". Lishu: "突出上门服务，能够在'义警'所在工作地点进行培训的，绝不召集到派出所、社区等
指定地点进行培训 … 缺会'义警'再找时间地点进行培训，利用'社区警校'采取视频培训". Bincheng:
"分期分批培训与民警上门指导 … 到警情或纠纷现场跟班学习".

The norms are the texts'; the pass mark and the cool-down are defaults (marked so).

What a shortfall of the year's days does is the preset's (``shortfall``): nothing,
a warning (the volunteer's page and the station's list show it), a restriction (from
the first day of ``shortfall_from_month`` on, a volunteer short of the year's days
may not sign up for tasks, unless he began duty on or after that day; reporting a
hazard is never restricted), or a suspension a station officer applies from the
shortfall list (recorded with who decided it; lifted
by an officer, or by the attendance that makes the days up). None of the texts names
a month: December is the default (the issue's "a station sees, in December, who is
short of the year's days").

The yearly norm of a volunteer who began duty during the year (admitted, or certified
under the duty gate) is pro-rated by the months left counting his first month, rounded
to the nearest half day (``aggregates.training_record.yearly_norm_halves``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from loop.rules.scoring import ScoringPolicy

KINDS = {"pre_duty": "岗前集中培训", "regular": "常态化日常培训", "targeted": "针对性培训"}
MODES = {
    "in_person": "集中授课",
    "on_site": "上门培训",  # Lishu: 在"义警"所在工作地点进行培训
    "video": "视频培训",  # Lishu: 利用"社区警校"采取视频培训
    "shadowing": "跟班学习",  # Bincheng: 到警情或纠纷现场跟班学习
}
CREDITS = {"half": 1, "whole": 2}  # half days
CREDIT_LABELS = {"half": "半天", "whole": "一天"}
BASES = {"trained": "培训考试合格", "legacy": "启用前在岗"}
SHORTFALL_ACTIONS = {
    "none": "不处理",
    "warn": "提醒",
    "restrict": "限制报名任务",
    "suspend": "暂停上岗",  # applied by a station officer from the shortfall list
}


@dataclass(frozen=True)
class TrainingPolicy:
    """How training and certification run under one county's preset."""

    name: str
    gate: bool  # the county may switch on the duty gate (certification before duty)
    pre_duty_halves: int  # pre-duty training before certification, in half days
    yearly_halves: int  # regular and targeted training each year, in half days (0: none)
    exam_required: bool
    counted_modes: tuple[str, ...]  # the modes whose attendance credits days
    pass_mark: int = 60  # default
    retake_cool_down: timedelta = timedelta(days=7)  # default: a week between attempts
    max_ahead: timedelta = timedelta(days=366)  # default: scheduled at most a year ahead
    shortfall: str = "warn"  # what a shortfall of the year's days does (SHORTFALL_ACTIONS)
    shortfall_from_month: int = 12  # default: restricted or suspended from December 1 on

    def __post_init__(self) -> None:
        if self.shortfall not in SHORTFALL_ACTIONS:
            raise ValueError(f"shortfall must be one of {sorted(SHORTFALL_ACTIONS)}")
        if type(self.shortfall_from_month) is not int or not 1 <= self.shortfall_from_month <= 12:
            raise ValueError("shortfall_from_month must be a month from 1 to 12")


FUPING_TRAINING = TrainingPolicy(
    name="fuping",
    gate=True,
    pre_duty_halves=10,  # 岗前集中培训不得少于5天
    yearly_halves=20,  # 常态化日常培训每年不得少于10天
    exam_required=True,  # 考试合格后方可上岗
    # 岗前集中培训 is held in person; the text names no video training.
    counted_modes=("in_person", "on_site", "shadowing"),
    # 常态化日常培训每年不得少于10天: short of the year's days, no task sign-up from December
    shortfall="restrict",
)

LISHU_TRAINING = TrainingPolicy(
    name="lishu",
    gate=False,  # admission goes straight to active
    pre_duty_halves=0,
    yearly_halves=0,  # the Lishu text names no yearly number
    exam_required=False,
    counted_modes=tuple(MODES),  # video sessions count: 利用"社区警校"采取视频培训
    shortfall="warn",  # 机动灵活培训: a shortfall is shown, never restricts
)

TRAINING_PRESETS = {"lishu": LISHU_TRAINING, "fuping": FUPING_TRAINING}


def training_policy_for(scoring: ScoringPolicy) -> TrainingPolicy:
    """The training rules of a scoring policy's preset (``fuping:file.toml`` is fuping's)."""
    return TRAINING_PRESETS.get(scoring.name.partition(":")[0], LISHU_TRAINING)
