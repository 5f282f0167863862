"""What the Open311 facade shows: the jurisdictions and their services (the six
modules of the app, with the four senses and the community as attributes), and
a resident's report as a GeoReport service request.

A request's ``status`` is ``closed`` once its outcome is recorded or it was
rejected; its ``status_notes`` is a public sentence for its stage (never the
officers' own text) and its exact stage travels in ``extended_attributes``.
The resident's name and phone are never shown: they are masked out of the
description and address if the resident wrote them there.

The jurisdictions, their communities and every unit named come from the
organisation registry (a :class:`UnitTree`), so a county that registered its
own units is served under its own codes and names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aggregates.incident import CLOSED_STAGES, Incident
from api.open311_format import Open311Refused, UnknownJurisdiction, UnknownService, w3c
from loop.rules.stages import STAGES
from loop.rules.units import UnitTree
from loop.rules.vocabulary import Module, Sense

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
HIDDEN = "***"
NOTICE = "已收到，社区警务室将在24小时内研判。紧急情况请直接拨打110。"

PUBLIC_NOTES: dict[str, str] = {
    **dict.fromkeys(("discovered", "reported"), "已收到，等待社区警务室研判"),
    **dict.fromkeys(
        (
            "handling_community",
            "escalated_to_station",
            "handling_station",
            "escalated_to_county",
            "handling_county",
        ),
        "正在处置",
    ),
    **dict.fromkeys(("diverted", "handed_over"), "已转交有关部门处理"),
    **dict.fromkeys(
        ("outcome_recorded", "score_proposed", "scored", "rewarded", "publicized", "closed"),
        "已处理完毕",
    ),
    "rejected": "未予受理（重复、已合并或查无实据）",
}
"""The public sentence for each stage: what a resident may read, nothing internal."""


def jurisdictions(tree: UnitTree) -> list[str]:
    """The registered county bureaus still in service."""
    return sorted(u.code for u in tree if u.kind == "county" and u.active)


def jurisdiction(given: str | None, tree: UnitTree) -> str:
    """The jurisdiction asked for (a county), or the only one served."""
    known = jurisdictions(tree)
    if not given:
        if len(known) == 1:
            return known[0]
        raise Open311Refused(
            "请提供 jurisdiction_id", "jurisdiction_id was not provided", field="jurisdiction_id"
        )
    if given not in known:
        raise UnknownJurisdiction(
            f"没有这个管辖区：{given}", f"no such jurisdiction: {given}", field="jurisdiction_id"
        )
    return given


def communities(county: str, tree: UnitTree) -> list[str]:
    """The county's registered communities and villages still in service."""
    return sorted(
        code
        for code in tree.descendants(county)
        if (unit := tree.get(code)) is not None and unit.active and tree.is_community(code)
    )


def contact(tree: UnitTree) -> str:
    """Discovery's contact: the community police offices of the counties served."""
    bureaus = "、".join(tree.name(county) for county in jurisdictions(tree))
    return f"{bureaus}社区警务室。紧急情况请拨打110。"


def services() -> list[dict[str, Any]]:
    return [
        {
            "service_code": module.value,
            "service_name": module.label,
            "description": f"向社区警务室反馈「{module.label}」类非紧急警情",
            "metadata": True,
            "type": "realtime",
            "keywords": module.label,
            "group": "义警APP六大模块",
        }
        for module in Module
    ]


def service_module(code: str) -> Module:
    if code not in {m.value for m in Module}:
        raise UnknownService(
            f"没有这个服务：{code}", f"no such service: {code}", field="service_code"
        )
    return Module(code)


def definition(code: str, county: str, tree: UnitTree) -> dict[str, Any]:
    service_module(code)
    return {
        "service_code": code,
        "attributes": [
            {
                "variable": True,
                "code": "community",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": (
                    "选择一个社区；提供 lat 和 long 时按位置归入中心点最近的社区"
                ),
                "order": 1,
                "description": "发生在哪个社区？",
                "values": [{"key": c, "name": tree.name(c)} for c in communities(county, tree)],
            },
            {
                "variable": True,
                "code": "sense",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "选择一项（默认：看得到）",
                "order": 2,
                "description": "您是怎么发现的？",
                "values": [{"key": s.value, "name": s.label} for s in Sense],
            },
            {
                "variable": True,
                "code": "urgent",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "紧急情况请直接拨打110，不要在此提交",
                "order": 3,
                "description": "是否紧急？",
                "values": [{"key": "no", "name": "不紧急"}, {"key": "yes", "name": "紧急"}],
            },
        ],
    }


def is_closed(incident: Incident) -> bool:
    return incident.outcome is not None or incident.stage in CLOSED_STAGES


def public_text(text: str, incident: Incident) -> str:
    """``text`` with the resident's own name and phone masked out."""
    held = incident.resident
    if held is None or held.erased:
        return text
    for value in held.values():
        if len(value) >= 2:
            text = text.replace(value, HIDDEN)
    return text


def request_view(incident: Incident, tree: UnitTree) -> dict[str, Any]:
    """The incident as a GeoReport v2 service request."""
    point = incident.point or {}
    return shown(
        incident_id=str(incident.id),
        stage=incident.stage,
        closed=is_closed(incident),
        service_code=incident.module,
        description=public_text(incident.what, incident),
        address=public_text(incident.where, incident),
        agency=agency(incident.owner_unit, tree),
        requested=w3c(incident.created_on),
        updated=w3c(incident.modified_on),
        due=w3c(incident.due_at),
        lat=point.get("lat"),
        long=point.get("long"),
        media_url=(incident.intake or {}).get("media_url"),
    )


def row_view(row: dict[str, Any], tree: UnitTree) -> dict[str, Any]:
    """A row of the requests' read model as a GeoReport v2 service request."""
    return shown(
        incident_id=row["incident_id"],
        stage=row["stage"],
        closed=row["outcome"] or row["stage"] in CLOSED_STAGES,
        service_code=row["service_code"],
        description=row["description"],
        address=row["address"],
        agency=agency(row["owner_unit"], tree),
        requested=w3c(_moment(row["requested_at"])),
        updated=w3c(_moment(row["updated_at"])),
        due=w3c(_moment(row["due_at"])),
        lat=row["lat"],
        long=row["long"],
        media_url=row["media_url"],
    )


def agency(owner_unit: str | None, tree: UnitTree) -> str | None:
    """The registered name of the unit holding the request (none if unregistered)."""
    return tree.name(owner_unit) if owner_unit and tree.registered(owner_unit) else None


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def shown(
    *,
    incident_id: str,
    stage: str,
    closed: bool,
    service_code: str,
    description: str,
    address: str,
    agency: str | None,
    requested: str | None,
    updated: str | None,
    due: str | None,
    lat: float | None,
    long: float | None,
    media_url: str | None,
) -> dict[str, Any]:
    return {
        "service_request_id": incident_id,
        "status": "closed" if closed else "open",
        "status_notes": PUBLIC_NOTES[stage],
        "service_name": Module(service_code).label,
        "service_code": service_code,
        "description": description,
        "agency_responsible": None if closed else agency,
        "service_notice": None,
        "requested_datetime": requested,
        "updated_datetime": updated,
        "expected_datetime": None if closed else due,
        "address": address,
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": long,
        "media_url": media_url,
        "extended_attributes": {"stage": stage, "stage_label": STAGES[stage]},
    }


UPDATE_STATUS: dict[str, str] = {
    **dict.fromkeys(("discovered", "reported"), "open"),
    **dict.fromkeys(
        (
            "handling_community",
            "escalated_to_station",
            "handling_station",
            "escalated_to_county",
            "handling_county",
        ),
        "in_progress",
    ),
    **dict.fromkeys(("diverted", "handed_over"), "internal_referral"),
    **dict.fromkeys(
        ("outcome_recorded", "score_proposed", "scored", "rewarded", "publicized"), "fixed"
    ),
    "closed": "closed",
}
"""mySociety's update statuses (``servicerequestupdates``), by stage."""


def update_view(row: dict[str, Any]) -> dict[str, Any]:
    """One step of a request as a mySociety ``servicerequestupdates`` update: its
    stable id, the status, the public sentence for the stage it led to."""
    stage = row["stage"]
    if stage == "rejected":
        status = (
            "duplicate"
            if row["rejection_kind"] in ("duplicate", "merged")
            else ("no_further_action")
        )
    else:
        status = UPDATE_STATUS[stage]
    return {
        "update_id": row["update_id"],
        "service_request_id": row["incident_id"],
        "status": status,
        "updated_datetime": w3c(_moment(row["updated_at"])),
        "description": PUBLIC_NOTES[stage],
        "media_url": None,
        "extended_attributes": {"stage": stage, "stage_label": STAGES[stage]},
    }
