"""The query of ``GET requests``: a period of at most 90 days (the last 90 by
default), a status and a service, each checked, never coerced; and, beyond the
spec (GeoReport v2 puts ``lat``/``long`` on a request, not on the query), the
requests within ``radius`` metres of a point ``lat``/``long``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import NamedTuple

from eventsourcing.domain import datetime_now_with_tzinfo

from api.open311_format import Open311Refused
from api.open311_views import service_module
from loop.rules import places
from loop.services.intake import checked_point

SPAN = timedelta(days=90)
RADIUS = 1000
"""Metres around a point when ``radius`` is not given."""
MAX_RADIUS = 50_000


class Asked(NamedTuple):
    start: datetime
    end: datetime
    closed: bool | None
    service_code: str | None
    wait_for: int | None
    near: tuple[places.Point, float] | None = None
    """A point and a radius in metres: only the requests placed that near."""


def _moment(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Open311Refused(
            f"「{name}」须为带时区的 W3C 时间，如 2026-12-07T08:00:00+08:00",
            f"'{name}' must be a W3C date-time with a zone, e.g. 2026-12-07T08:00:00+08:00",
            field=name,
        )
    return moment


def asked(params: Mapping[str, str]) -> Asked:
    start = _moment("start_date", params.get("start_date"))
    end = _moment("end_date", params.get("end_date"))
    if end is None:
        end = start + SPAN if start is not None else datetime_now_with_tzinfo()
    if start is None:
        start = end - SPAN
    if not timedelta(0) <= end - start <= SPAN:
        raise Open311Refused(
            "start_date 须早于 end_date，且相隔不超过90天",
            "start_date must come before end_date, at most 90 days apart",
            field="start_date",
        )
    statuses = {s for s in params.get("status", "").split(",") if s}
    if not statuses <= {"open", "closed"}:
        raise Open311Refused(
            "status 只能是 open 或 closed", "status is open or closed", field="status"
        )
    closed = None if len(statuses) != 1 else statuses == {"closed"}
    code = params.get("service_code") or None
    if code is not None:
        service_module(code)
    wait = params.get("wait_for")
    if wait is not None and not wait.isdigit():
        raise Open311Refused(
            "wait_for 须为非负整数", "wait_for must be a whole number", field="wait_for"
        )
    return Asked(start, end, closed, code, None if wait is None else int(wait), near(params))


def near(params: Mapping[str, str]) -> tuple[places.Point, float] | None:
    """``lat``, ``long`` and ``radius`` (metres, 1,000 by default, at most 50,000)."""
    lat, long, radius = params.get("lat"), params.get("long"), params.get("radius")
    if lat is None and long is None:
        if radius is not None:
            raise Open311Refused(
                "radius 须与 lat、long 一起提供", "radius goes with lat and long", field="radius"
            )
        return None
    if lat is None or long is None:
        raise Open311Refused(
            "lat 和 long 须同时提供", "lat and long must be sent together", field="lat"
        )
    point = places.Point(**checked_point(lat, long))
    if radius is None:
        return point, float(RADIUS)
    if not radius.isdigit() or not 0 < int(radius) <= MAX_RADIUS:
        raise Open311Refused(
            f"radius 须为1-{MAX_RADIUS}之间的整数（米）",
            f"radius must be a whole number of metres from 1 to {MAX_RADIUS}",
            field="radius",
        )
    return point, float(radius)


def is_near(row: Mapping[str, object], near: tuple[places.Point, float] | None) -> bool:
    """Whether a request's row lies within the radius (a request without a point
    does not)."""
    if near is None:
        return True
    lat, long = row.get("lat"), row.get("long")
    if not isinstance(lat, int | float) or not isinstance(long, int | float):
        return False
    return places.distance_m(near[0], places.Point(float(lat), float(long))) <= near[1]
