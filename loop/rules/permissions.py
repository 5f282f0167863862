"""Who may take each volunteer and Happiness Bank command, within which unit: data.

A command is permitted when a grant for it names the actor's role and the actor
works at the grant's level above (or at) the unit concerned: the volunteer's
community, or the unit whose Happiness Bank holds the item. ``self`` grants let a
volunteer act on his own account.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aggregates.actor import Actor
from loop.errors import NotPermitted
from loop.rules import units
from loop.rules.vocabulary import Role, label

R = Role
LEVEL_LABELS = {
    "community": ("本社区", "the community"),
    "station": ("所属派出所", "its station"),
    "county": ("所属县局", "its county bureau"),
    "self": ("义警本人", "the volunteer himself"),
}


@dataclass(frozen=True)
class Grant:
    roles: frozenset[Role]
    level: str  # community | station | county | self


def grant(roles: Iterable[Role], level: str) -> Grant:
    return Grant(frozenset(roles), level)


COMMUNITY_STAFF = (R.COMMUNITY_CADRE, R.COMMUNITY_DIRECTOR, R.COMMUNITY_OFFICER)
STATION = grant([R.STATION_OFFICER], "station")
COUNTY_DESK = grant([R.COUNTY_OFFICER], "county")

GRANTS: dict[str, tuple[Grant, ...]] = {
    "apply": (grant([*COMMUNITY_STAFF, R.AUXILIARY], "community"),),
    # The employer's finding is obtained and recorded by the community.
    "review_employer": (grant([R.COMMUNITY_CADRE, R.COMMUNITY_DIRECTOR], "community"),),
    "review_community": (grant([R.COMMUNITY_CADRE, R.COMMUNITY_DIRECTOR], "community"),),
    "review_station": (grant([R.COMMUNITY_OFFICER], "community"), STATION),
    "admit": (grant([R.COMMUNITY_OFFICER], "community"), STATION),
    "join_team": (grant(COMMUNITY_STAFF, "community"), STATION),
    "change_status": (grant([R.COMMUNITY_DIRECTOR, R.COMMUNITY_OFFICER], "community"), STATION),
    "donate": (grant(COMMUNITY_STAFF, "community"), STATION),
    "redeem": (grant([R.VOLUNTEER], "self"), grant(COMMUNITY_STAFF, "community")),
    "deduct": (grant([R.COMMUNITY_DIRECTOR, R.COMMUNITY_OFFICER], "community"), STATION),
    "evaluate_month": (grant([R.COMMUNITY_DIRECTOR, R.COMMUNITY_OFFICER], "community"), STATION),
    "award_honour": (
        grant([R.COMMUNITY_DIRECTOR, R.COMMUNITY_OFFICER], "community"),
        STATION,
        grant([R.COUNTY_OFFICER, R.PUBLICITY_OFFICER], "county"),
    ),
    # Duty tasks: published by a community officer, the station, or the county's
    # 警网中心; run on the day by them (and by the task's leader, see
    # loop.services.tasks); taken by the volunteer himself, or for him by his community.
    "publish_task": (grant([R.COMMUNITY_OFFICER], "community"), STATION, COUNTY_DESK),
    "run_task": (
        grant([R.COMMUNITY_OFFICER, R.AUXILIARY], "community"),
        STATION,
        COUNTY_DESK,
    ),
    "sign_up": (grant([R.VOLUNTEER], "self"), grant(COMMUNITY_STAFF, "community")),
    "sign_task_points": (grant([R.COMMUNITY_DIRECTOR, R.COMMUNITY_OFFICER], "community"),),
    # Training: held by the county bureau or a station; attendance and exams recorded
    # by them or the volunteer's community officer; the gate switched on by the county.
    "schedule_training": (STATION, COUNTY_DESK),
    "record_training": (grant([R.COMMUNITY_OFFICER], "community"), STATION, COUNTY_DESK),
    "certify_duty": (STATION, COUNTY_DESK),
    "switch_duty_gate": (COUNTY_DESK,),
}

COMMANDS = {
    "apply": ("录入入队申请", "record an application"),
    "review_employer": ("录入所在单位审核意见", "record the employer's review"),
    "review_community": ("录入社区审核意见", "record the community's review"),
    "review_station": ("录入派出所审核意见", "record the station's review"),
    "admit": ("吸纳义警", "admit a volunteer"),
    "join_team": ("编入专业队", "enrol in a specialty team"),
    "change_status": ("变更义警状态", "change a volunteer's status"),
    "donate": ("登记捐赠物品", "register donated goods"),
    "redeem": ("积分兑换", "redeem points"),
    "deduct": ("扣分", "deduct points"),
    "evaluate_month": ("月考评", "evaluate a month"),
    "award_honour": ("授予荣誉", "award an honour"),
    "publish_task": ("发布或修改任务", "publish or revise a duty task"),
    "run_task": ("组织任务签到、缺勤与完成", "run a duty task's check-in and completion"),
    "sign_up": ("报名任务", "sign up for a duty task"),
    "sign_task_points": ("签字确认任务积分", "co-sign a task's points"),
    "schedule_training": ("安排培训", "schedule a training session"),
    "record_training": ("登记培训出勤或考试成绩", "record training attendance or an exam"),
    "certify_duty": ("认定上岗资格", "certify a volunteer for duty"),
    "switch_duty_gate": ("启用岗前培训考试上岗制度", "switch on the duty gate"),
}


def allowed(command: str, actor: Actor, *, unit: str, volunteer_id: str | None = None) -> bool:
    """Whether ``actor`` may take ``command`` for ``unit`` (and ``volunteer_id``)."""
    for g in GRANTS[command]:
        if actor.role not in g.roles:
            continue
        if g.level == "self":
            if actor.id == volunteer_id and actor.unit == unit:
                return True
        elif units.level(actor.unit) == g.level and actor.unit == units.ancestor(unit, g.level):
            return True
    return False


def check(command: str, actor: Actor, *, unit: str, volunteer_id: str | None = None) -> None:
    """:class:`NotPermitted`, naming who may, unless ``actor`` may take ``command``."""
    if allowed(command, actor, unit=unit, volunteer_id=volunteer_id):
        return
    zh_step, en_step = COMMANDS[command]
    grants = GRANTS[command]
    who_zh = "；".join(
        f"{'、'.join(sorted(Role(r).label for r in g.roles))}（{LEVEL_LABELS[g.level][0]}）"
        for g in grants
    )
    who_en = "; ".join(f"{', '.join(sorted(g.roles))} ({LEVEL_LABELS[g.level][1]})" for g in grants)
    raise NotPermitted(
        f"「{label(actor.role)}」（{actor.unit}）无权{zh_step}；可办理者：{who_zh}",
        f"Role '{actor.role}' in unit '{actor.unit}' may not {en_step}; allowed: {who_en}",
        command=command,
        unit=unit,
        allowed=[{"roles": sorted(g.roles), "level": g.level} for g in grants],
    )
