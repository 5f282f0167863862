"""Closed vocabularies of the loop, each value with its zh-CN label.

Events store the plain string values; these enums validate input and label
output.
"""

from __future__ import annotations

from enum import StrEnum


class Labelled(StrEnum):
    """A string enum whose members carry a zh-CN label."""

    @property
    def label(self) -> str:
        return LABELS[type(self)][self.value]


class Module(Labelled):
    """The six modules of the 警地融合 app."""

    DISPUTE_SCREENING = "dispute_screening"
    INFORMATION_COLLECTION = "information_collection"
    ANTI_FRAUD = "anti_fraud"
    HAZARD_SCREENING = "hazard_screening"
    TRAFFIC_SAFETY = "traffic_safety"
    PATROL_PREVENTION = "patrol_prevention"


class Sense(Labelled):
    """The four senses (四感) by which a volunteer discovers."""

    SEEN = "seen"
    HEARD = "heard"
    SMELLED = "smelled"
    SENSED = "sensed"


class Channel(Labelled):
    APP = "app"
    PHONE = "phone"


class Urgency(Labelled):
    GENERAL = "general"
    URGENT = "urgent"


class Tier(Labelled):
    COMMUNITY = "community"
    STATION = "station"
    COUNTY = "county"


class Role(Labelled):
    VOLUNTEER = "volunteer"
    AUXILIARY = "auxiliary"
    COMMUNITY_OFFICER = "community_officer"
    COMMUNITY_CADRE = "community_cadre"
    COMMUNITY_DIRECTOR = "community_director"
    STATION_OFFICER = "station_officer"
    COUNTY_OFFICER = "county_officer"
    PUBLICITY_OFFICER = "publicity_officer"
    AUDITOR = "auditor"
    ADMIN = "admin"


class IntakeRole(Labelled):
    """Who passes a report from the public on: the resident himself (the public
    form) or another app (an Open311 client). Neither is a role of an account."""

    RESIDENT = "resident"
    INTAKE_CLIENT = "intake_client"


class RejectionKind(Labelled):
    DUPLICATE = "duplicate"
    UNFOUNDED = "unfounded"
    MERGED = "merged"


class OutcomeSource(Labelled):
    HANDLED_LOCALLY = "handled_locally"
    SELF_HANDLED = "self_handled"
    STATION = "station"
    COUNTY = "county"
    DEPARTMENT = "department"


LABELS: dict[type[StrEnum], dict[str, str]] = {
    Module: {
        Module.DISPUTE_SCREENING: "矛盾排查",
        Module.INFORMATION_COLLECTION: "信息采集",
        Module.ANTI_FRAUD: "反诈宣传",
        Module.HAZARD_SCREENING: "隐患排查",
        Module.TRAFFIC_SAFETY: "交通安全",
        Module.PATROL_PREVENTION: "巡逻防范",
    },
    Sense: {
        Sense.SEEN: "看得到",
        Sense.HEARD: "听得到",
        Sense.SMELLED: "嗅得到",
        Sense.SENSED: "感知得到",
    },
    Channel: {
        Channel.APP: "APP录入",
        Channel.PHONE: "电话反馈",
    },
    Urgency: {
        Urgency.GENERAL: "一般",
        Urgency.URGENT: "紧急",
    },
    Tier: {
        Tier.COMMUNITY: "社区",
        Tier.STATION: "派出所",
        Tier.COUNTY: "县局",
    },
    Role: {
        Role.VOLUNTEER: "义警",
        Role.AUXILIARY: "辅警",
        Role.COMMUNITY_OFFICER: "社区民警",
        Role.COMMUNITY_CADRE: "社区干部",
        Role.COMMUNITY_DIRECTOR: "社区主任",
        Role.STATION_OFFICER: "派出所民警",
        Role.COUNTY_OFFICER: "县局指挥中心民警",
        Role.PUBLICITY_OFFICER: "县局宣传科",
        Role.AUDITOR: "审计员",
        Role.ADMIN: "系统管理员",
    },
    IntakeRole: {
        IntakeRole.RESIDENT: "群众",
        IntakeRole.INTAKE_CLIENT: "外部应用",
    },
    RejectionKind: {
        RejectionKind.DUPLICATE: "重复警情",
        RejectionKind.UNFOUNDED: "查无实据",
        RejectionKind.MERGED: "已合并",
    },
    OutcomeSource: {
        OutcomeSource.HANDLED_LOCALLY: "社区民警直接处置",
        OutcomeSource.SELF_HANDLED: "义警现场自行处置（民警确认）",
        OutcomeSource.STATION: "派出所落办结果",
        OutcomeSource.COUNTY: "县局落办结果",
        OutcomeSource.DEPARTMENT: "管辖部门落办结果",
    },
}


def label(value: str, enum: type[StrEnum] | None = None) -> str:
    """The zh-CN label of a vocabulary value (searched in ``enum`` if given)."""
    for kind in (enum,) if enum else LABELS:
        if value in LABELS[kind]:
            return LABELS[kind][value]
    return value
