"""Who may publish, run and take duty tasks: the tasks' table in the one
permission model (``loop.rules.access``, looked up by ``loop.rules.permissions``).

Published by a community officer, the station, or the county's 警网中心; run on
the day by them (and by the task's leader, see ``loop.services.tasks``); taken
by the volunteer himself, or for him by his community. Staff read the tasks
within their unit; which tasks a volunteer may see (those he may take, lead or
is on) is the tasks' own rule (``api.routes.tasks``).
"""

from __future__ import annotations

from loop.rules.access import UNIT_READERS, Grant, Record, grant
from loop.rules.vocabulary import Role

R = Role
COMMUNITY_STAFF = (R.COMMUNITY_CADRE, R.COMMUNITY_DIRECTOR, R.COMMUNITY_OFFICER)
STATION = grant([R.STATION_OFFICER], "station")
COUNTY_DESK = grant([R.COUNTY_OFFICER], "county")

TASK_GRANTS: dict[str, tuple[Grant, ...]] = {
    "publish_task": (grant([R.COMMUNITY_OFFICER], "community"), STATION, COUNTY_DESK),
    "run_task": (
        grant([R.COMMUNITY_OFFICER, R.AUXILIARY], "community"),
        STATION,
        COUNTY_DESK,
    ),
    "sign_up": (grant([R.VOLUNTEER], "self"), grant(COMMUNITY_STAFF, "community")),
    "sign_task_points": (grant([R.COMMUNITY_DIRECTOR, R.COMMUNITY_OFFICER], "community"),),
    "read_task": (grant(UNIT_READERS, "within"),),
}

TASK_COMMANDS = {
    "publish_task": ("发布或修改任务", "publish or revise a duty task"),
    "run_task": ("组织任务签到、缺勤与完成", "run a duty task's check-in and completion"),
    "sign_up": ("报名任务", "sign up for a duty task"),
    "sign_task_points": ("签字确认任务积分", "co-sign a task's points"),
    "read_task": ("查看该任务", "read this duty task"),
}


def task_record(unit: str, volunteer_id: str | None = None) -> Record:
    """A task of ``unit`` (its community, or where it is published), or a
    volunteer's place on one."""
    return Record("task", unit, person=volunteer_id)
