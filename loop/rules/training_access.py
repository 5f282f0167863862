"""Who may schedule training, record attendance and exams, certify for duty and
switch the duty gate on, and who reads a session: the training table in the one
permission model (``loop.rules.access``, looked up by ``loop.rules.permissions``).

Sessions are held by the county bureau or a station (Fuping: "普遍性培训由阜平县公安局
负责"); attendance and exams are recorded by them or by the volunteer's community
officer (Bincheng: "民警上门指导"); certification, and a suspension for a shortfall
of the year's days, are the station's or the county's; the gate is switched on by
the county's desk. Staff read the sessions held within
their unit or for it (by a unit above theirs); a volunteer those held for him.
A volunteer's training record is read as his other records are (``read_volunteer``).
"""

from __future__ import annotations

from loop.rules.access import UNIT_READERS, Grant, Record, grant
from loop.rules.vocabulary import Role

R = Role
STATION = grant([R.STATION_OFFICER], "station")
COUNTY_DESK = grant([R.COUNTY_OFFICER], "county")

TRAINING_GRANTS: dict[str, tuple[Grant, ...]] = {
    # the record: the holding unit of a session
    "schedule_training": (STATION, COUNTY_DESK),
    # the record: the volunteer (his community)
    "record_training": (grant([R.COMMUNITY_OFFICER], "community"), STATION, COUNTY_DESK),
    "certify_duty": (STATION, COUNTY_DESK),
    "suspend_for_training": (STATION, COUNTY_DESK),
    # the record: the county
    "switch_duty_gate": (COUNTY_DESK,),
    "read_training_session": (
        grant(UNIT_READERS, "within"),
        grant([*UNIT_READERS, R.VOLUNTEER], "home"),
    ),
}

TRAINING_COMMANDS = {
    "schedule_training": ("安排培训", "schedule a training session"),
    "record_training": ("登记培训出勤或考试成绩", "record training attendance or an exam"),
    "certify_duty": ("认定上岗资格", "certify a volunteer for duty"),
    "suspend_for_training": (
        "因培训不足暂停或恢复上岗",
        "suspend a volunteer for missing training days, or lift it",
    ),
    "switch_duty_gate": ("启用岗前培训考试上岗制度", "switch on the duty gate"),
    "read_training_session": ("查看该培训", "read this training session"),
}


def session_record(unit: str) -> Record:
    """A training session held by ``unit`` (the county bureau or a station)."""
    return Record("training_session", unit)
