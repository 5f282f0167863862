"""Duty tasks (任务发布) as data: kinds, intensities, cut-offs, the check-in window,
the daily hours cap, points bounds, no-shows, per county preset.

Fuping: "各乡镇派出所具体下发活动任务实施管理，'蓝马甲'治安志愿者根据自身时间和所处地点
选择参加任务" and "根据任务完成情况加减分值"; "因年龄偏大、身体健康等原因无法承担日常工作
的志愿者，设立弹性工作制，根据身体状况安排活动". Gucheng's 七联勤务: 联训、联巡、联守
"护校岗"、联调、联防、联网、联宣.

The texts give the kinds and the principle; every number here is a default
(marked so) a deployment may change with its scoring policy's preset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aggregates.volunteer import ON_DUTY, STATUSES, TEAMS
from loop.rules import units
from loop.rules.scoring import ScoringPolicy

KINDS = {
    "patrol": "巡逻防控",  # 联巡
    "school_guard": "护校岗",  # 联守
    "event_security": "活动安保",  # 联巡
    "mediation": "矛盾纠纷调解",  # 联调
    "anti_fraud": "反诈宣传",  # 联宣; Fuping's 上门宣讲
    "legal_publicity": "法治宣传",  # 联宣
    "drowning_prevention": "防溺水宣传",  # Fuping
    "flood_watch": "防汛值守",  # Fuping: 防汛 严阵以待
    "search": "寻人搜救",  # Fuping: 协助找到失联少年
    "care": "关爱帮扶",  # 联防: 关爱弱势群体
    "online_watch": "网上巡查",  # 联网
}

INTENSITIES = {"light": "轻度", "normal": "一般", "heavy": "重体力"}

CHECK_IN_METHODS = {"qr": "扫码签到", "hand": "手工签到"}


@dataclass(frozen=True)
class TaskPolicy:
    """How duty tasks run under one county's preset."""

    name: str
    points_min: int  # points one attendee may earn for one task
    points_max: int
    no_show_deduction: int  # score points deducted for each no-show (0: recorded only)
    cosigned: bool  # task points wait for the community director's and officer's signatures
    no_shows_failing_month: int | None = None  # this many no-shows fail the month's evaluation
    daily_hours_cap: int = 8  # default: one volunteer's booked duty per day
    check_in_opens_before: timedelta = timedelta(minutes=30)  # default
    withdraw_closes_before: timedelta = timedelta(hours=12)  # default cut-off
    max_duration: timedelta = timedelta(hours=12)  # default: one task, one shift
    max_ahead: timedelta = timedelta(days=366)  # default: published at most a year ahead
    max_places: int = 500
    flexible_intensities: tuple[str, ...] = ("light",)  # "根据身体状况安排活动"
    at_risk_within: timedelta = timedelta(hours=48)  # under-filled this near its start


LISHU_TASKS = TaskPolicy(
    name="lishu",
    points_min=0,
    points_max=20,  # default: a task is worth at most a modest incident score
    no_show_deduction=0,  # the Lishu text names none: a no-show is recorded, not deducted
    # Points go through the same co-signature as incident scores ("社区主任和社区民警
    # 共同签字后生效").
    cosigned=True,
)

FUPING_TASKS = TaskPolicy(
    name="fuping",
    points_min=1,
    points_max=50,  # as the scoring preset: one task moves the score by at most 50
    no_show_deduction=5,  # "设立加分扣分项": default 5 points for each no-show
    cosigned=False,  # "根据任务完成情况加减分值": credited on completion
    no_shows_failing_month=2,  # default: two no-shows in a month fail its evaluation
)

TASK_PRESETS = {"lishu": LISHU_TASKS, "fuping": FUPING_TASKS}


def task_policy_for(scoring: ScoringPolicy) -> TaskPolicy:
    """The task rules that go with a scoring policy: its preset's (a policy file's
    name starts with its preset, ``fuping:file.toml``)."""
    preset = scoring.name.partition(":")[0]
    return TASK_PRESETS.get(preset, LISHU_TASKS)


def eligibility_scope(task_unit: str, task_community: str) -> str:
    """The volunteers who may take a task: those of its station, or of the whole
    county for a task the county bureau published."""
    if units.level(task_unit) == "county":
        return task_unit
    return units.ancestor(task_community, "station")


def ineligibility(
    policy: TaskPolicy,
    *,
    status: str,
    teams: list[str],
    community: str,
    intensity: str,
    team: str | None,
    scope: str,
) -> tuple[str, str, dict[str, Any]] | None:
    """Why a volunteer may not take a task (``zh``, ``en``, details), or None: his
    status, flexible duty against the task's intensity, the team it asks for, or a
    task of another station."""
    if status not in ON_DUTY:
        return (
            f"义警当前状态为「{STATUSES.get(status, status)}」，不能报名任务",
            f"A volunteer who is {status} cannot sign up",
            {"reason": "status", "status": status},
        )
    if status == "flexible" and intensity not in policy.flexible_intensities:
        allowed = "、".join(INTENSITIES[i] for i in policy.flexible_intensities)
        return (
            f"弹性工作制义警根据身体状况安排活动，只能参加{allowed}任务，"
            f"该任务强度为「{INTENSITIES[intensity]}」",
            f"A volunteer on flexible duty takes {', '.join(policy.flexible_intensities)} "
            f"tasks only; this one is {intensity}",
            {"reason": "flexible_duty", "intensity": intensity},
        )
    if team is not None and team not in teams:
        return (
            f"该任务需要{TEAMS.get(team, team)}队员",
            f"This task asks for members of the {team} team",
            {"reason": "team", "team": team},
        )
    if not units.within(community, scope):
        return (
            "只能报名本辖区发布的任务",
            "Only tasks published for the volunteer's own station may be taken",
            {"reason": "station", "scope": scope},
        )
    return None
