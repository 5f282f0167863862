"""Scoring policy as configuration: the Lishu and Fuping presets, or a TOML file.

A deployment chooses one with the ``scoring`` setting (``LISHU_SCORING``): a
preset name, or the path of a TOML file that starts from a preset and changes
some of its values::

    preset = "fuping"
    stars = [[130, 1], [180, 2], [250, 3]]
    failure_deduction = 10

Where the source texts give a number it is used; where they give none, the
value chosen here is marked "default" and a policy file can change it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from loop.errors import InvalidInput

CHINA = timezone(timedelta(hours=8))
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$")


@dataclass(frozen=True)
class ScoringPolicy:
    """How points are earned, capped, ranked and deducted."""

    name: str
    categories: tuple[str, ...]
    max_points_per_incident: int
    cap_per_period: int | None  # points one volunteer can earn per period; None: no cap
    period: str = "month"  # month | quarter | year: how deposits are capped
    base_points: int = 0  # the score every account starts from (not redeemable)
    stars: tuple[tuple[int, int], ...] = ()  # (score threshold, star level), ascending
    failed_months_consecutive: int | None = None  # within one calendar year
    failed_months_cumulative: int | None = None  # within one calendar year
    failure_deduction: int = 0
    discipline_deduction: int = 0
    honours: tuple[str, ...] = ()

    def period_of(self, at: datetime) -> str:
        """The assessment period ``at`` falls in, in China time: 2026-07, 2026-Q3, 2026."""
        local = at.astimezone(CHINA)
        if self.period == "year":
            return f"{local.year}"
        if self.period == "quarter":
            return f"{local.year}-Q{(local.month - 1) // 3 + 1}"
        return f"{local.year}-{local.month:02d}"

    def star_level(self, score: int) -> int:
        """The star level a score earns: the highest threshold it reaches."""
        level = 0
        for threshold, stars in self.stars:
            if score >= threshold:
                level = stars
        return level

    def failed_months_due(
        self, evaluations: dict[str, bool], settled: list[str], month: str
    ) -> tuple[str, list[str]] | None:
        """Whether failing ``month`` completes N consecutive or M cumulative failed
        months in its calendar year (the Fuping rule), counting only failures no
        earlier deduction settled; if so, the rule met and the months it settles."""
        if evaluations.get(month) is not False:
            return None
        year = month[:4]
        open_failures = sorted(
            p for p, ok in evaluations.items() if not ok and p[:4] == year and p not in settled
        )
        run = 0
        m = int(month[5:7])
        while m >= 1 and f"{year}-{m:02d}" in open_failures:
            run += 1
            m -= 1
        if self.failed_months_consecutive and run >= self.failed_months_consecutive:
            return f"连续{run}个月考评不合格", open_failures
        if self.failed_months_cumulative and len(open_failures) >= self.failed_months_cumulative:
            return f"年内累计{len(open_failures)}个月考评不合格", open_failures
        return None


LISHU_SCORING = ScoringPolicy(
    name="lishu",
    # "共十大类项目，满分150分": the text does not list the ten categories.
    # Default: the six app modules, on-site handling, urgent reports, legal
    # publicity and rescue service (the work manual's guidance categories).
    categories=(
        "矛盾纠纷排查",
        "信息采集",
        "反诈宣传",
        "安全隐患排查",
        "交通安全劝导",
        "巡逻防范",
        "现场自行处置",
        "紧急警情报告",
        "法治宣传",
        "救助服务",
    ),
    max_points_per_incident=150,
    cap_per_period=150,  # "满分150分"
    period="month",  # the text names no period: default one month
    # Points are saved and "根据义警意愿随时兑换": no expiry, no stars, no base.
    discipline_deduction=20,  # not in the text: default for a discipline breach
    # "定期评选表彰优秀义警", "社区模范、见义勇为标兵"; 义警之星 from the Gucheng text.
    honours=("义警之星", "优秀义警", "社区模范", "见义勇为标兵"),
)

FUPING_SCORING = ScoringPolicy(
    name="fuping",
    # "根据任务完成情况加减分值": tasks published by the 警网中心. Default list.
    categories=(
        "巡逻防控",
        "法治宣传",
        "反诈宣传",
        "防溺水宣传",
        "矛盾纠纷调解",
        "治安信息线索",
        "防汛抢险",
        "救援服务",
    ),
    max_points_per_incident=50,  # default: one task moves the score by at most 50
    cap_per_period=None,  # Fuping ranks by score; it names no cap
    period="month",  # "月考评"
    base_points=100,  # "基本分为100分"
    # "达到固定分值的人员授予星级": thresholds not given. Default: one star at
    # 120, then 150, 200, 300 and five stars at 500.
    stars=((120, 1), (150, 2), (200, 3), (300, 4), (500, 5)),
    failed_months_consecutive=2,  # "年内连续2个月…考核不合格"
    failed_months_cumulative=3,  # "…或累计3个月考核不合格"
    failure_deduction=20,  # "扣除相应分数": default 20 points
    discipline_deduction=30,  # "或发生违纪等问题": default 30 points
    # "最受欢迎、最具潜力、最具风采、全能优秀蓝马甲"; 义警之星 from the Gucheng text.
    honours=("最受欢迎蓝马甲", "最具潜力蓝马甲", "最具风采蓝马甲", "全能优秀蓝马甲", "义警之星"),
)

SCORING_PRESETS = {"lishu": LISHU_SCORING, "fuping": FUPING_SCORING}


def _invalid(zh: str, en: str, **details: Any) -> InvalidInput:
    return InvalidInput(zh, en, field="scoring", **details)


def load_scoring(path: Path) -> ScoringPolicy:
    """A TOML file: ``preset = "lishu"`` and any fields of :class:`ScoringPolicy`."""
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise _invalid(
            f"无法读取积分政策文件：{error}", f"cannot read the scoring file: {error}"
        ) from None
    preset = data.pop("preset", "lishu")
    if preset not in SCORING_PRESETS:
        raise _invalid(
            f"未知的积分政策预设：{preset}",
            f"unknown scoring preset: {preset}",
            allowed=sorted(SCORING_PRESETS),
        )
    known = {f.name for f in fields(ScoringPolicy)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise _invalid(f"积分政策文件含未知设置：{unknown}", f"unknown scoring settings: {unknown}")
    for key in ("categories", "honours"):
        if key in data:
            data[key] = tuple(str(v) for v in data[key])
    if "stars" in data:
        data["stars"] = tuple((int(t), int(s)) for t, s in data["stars"])
    data.setdefault("name", f"{preset}:{path.name}")
    policy = replace(SCORING_PRESETS[preset], **data)
    check(policy)
    return policy


def check(policy: ScoringPolicy) -> None:
    """Refuse a policy that cannot work: unknown period, stars out of order, negatives."""
    if policy.period not in ("month", "quarter", "year"):
        raise _invalid(
            "考核周期须为 month、quarter 或 year", "period must be month, quarter or year"
        )
    thresholds = [t for t, _ in policy.stars]
    levels = [s for _, s in policy.stars]
    if thresholds != sorted(set(thresholds)) or levels != sorted(set(levels)):
        raise _invalid("星级门槛须逐级递增", "star thresholds and levels must ascend")
    numbers = {
        "max_points_per_incident": policy.max_points_per_incident,
        "cap_per_period": policy.cap_per_period or 0,
        "base_points": policy.base_points,
        "failure_deduction": policy.failure_deduction,
        "discipline_deduction": policy.discipline_deduction,
    }
    negative = sorted(k for k, v in numbers.items() if v < 0)
    if negative:
        raise _invalid(f"以下设置不能为负：{negative}", f"must not be negative: {negative}")


def resolve_scoring(choice: str) -> ScoringPolicy:
    """A preset by name, or a policy file by path."""
    if choice in SCORING_PRESETS:
        return SCORING_PRESETS[choice]
    path = Path(choice)
    if choice.endswith(".toml") or path.is_file():
        return load_scoring(path)
    raise _invalid(
        f"未知的积分政策：{choice}（可选预设或TOML文件路径）",
        f"unknown scoring policy: {choice} (a preset name or a TOML file path)",
        allowed=sorted(SCORING_PRESETS),
    )
