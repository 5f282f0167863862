"""The query of ``GET requests``: a period of at most 90 days (the last 90 by
default), a status and a service, each checked, never coerced."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import NamedTuple

from eventsourcing.domain import datetime_now_with_tzinfo

from api.open311_format import Open311Refused
from api.open311_views import service_module

SPAN = timedelta(days=90)


class Asked(NamedTuple):
    start: datetime
    end: datetime
    closed: bool | None
    service_code: str | None
    wait_for: int | None


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
    return Asked(start, end, closed, code, None if wait is None else int(wait))
