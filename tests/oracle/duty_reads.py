"""What each read of duty tasks and notices should answer, from the oracle's fold,
by looking at every record each time (as ``tests.oracle.reads``), in the shapes of
``projections.task_queries.TaskQueries`` and ``projections.notifications.inbox.Inbox``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from tests.oracle.duty_fold import Duty, NoticeRecord, SignUp
from tests.oracle.fold import Fold, iso, month, within

ORDER = {"booked": 0, "attended": 0, "waitlisted": 1, "no_show": 2, "withdrew": 3}
"""A roster lists who holds a place, then the line, then no-shows, then who left."""
NOTICE_KINDS = ("notice", "notice_revised")


def _scope(unit: str) -> int:
    return len(unit.split("/"))


def _in(task: Duty, unit: str) -> bool:
    """Within ``unit``: the task's community, or its station or county."""
    return within(task.community, unit) and _scope(unit) <= 3


def task_item(task: Duty, now: datetime, at_risk_within: timedelta) -> dict[str, Any]:
    holding = len(task.holding())
    came = [s for s in task.signups.values() if s.state == "attended"]
    return {
        "task_id": task.task_id,
        "unit": task.unit,
        "community": task.community,
        "kind": task.kind,
        "topic": task.topic,
        "place": task.place,
        "starts_at": iso(task.starts_at),
        "ends_at": iso(task.ends_at),
        "signup_closes_at": iso(task.signup_closes_at),
        "needed": task.needed,
        "minimum": task.minimum,
        "booked": task.placed(),
        "waitlisted": task.queued(),
        "free": max(0, task.needed - task.placed()),
        "fill": round(task.placed() / task.needed, 2),
        "team": task.team,
        "intensity": task.intensity,
        "points_each": task.points_each,
        "leader_id": task.leader_id,
        "status": task.status,
        "points_state": task.points_state,
        "checked_in": sum(1 for s in task.signups.values() if s.checked_in is not None),
        "attended": len(came),
        "no_shows": sum(1 for s in task.signups.values() if s.state == "no_show")
        if task.status == "completed"
        else 0,
        "minutes": sum(s.minutes or 0 for s in came),
        "points": sum(amount for _, amount in task.deposits),
        "reach": task.reach,
        "sign_up_open": task.status == "open" and task.signup_closes_at >= now,
        "at_risk": task.status == "open"
        and holding < task.minimum
        and task.starts_at - now <= at_risk_within
        and task.ends_at > now,
    }


def task(fold: Fold, task_id: str, now: datetime) -> dict[str, Any] | None:
    found = fold.duties.get(task_id)
    return None if found is None else task_item(found, now, timedelta(0))


def open_tasks(fold: Fold, community: str, now: datetime, limit: int = 100) -> list[dict]:
    """Open for sign-up, of the volunteer's station or his county bureau's; his own
    community's first, then the soonest."""
    parts = community.split("/")
    county, station = parts[0], "/".join(parts[:2])
    chosen = [
        t
        for t in fold.duties.values()
        if (within(t.community, station) or t.unit == county)
        and t.status == "open"
        and t.signup_closes_at >= now
    ]
    chosen.sort(key=lambda t: (t.community != community, t.starts_at, t.task_id))
    return [task_item(t, now, timedelta(0)) for t in chosen[:limit]]


def calendar(
    fold: Fold, unit: str, start: datetime, end: datetime, now: datetime
) -> list[dict[str, Any]]:
    chosen = [t for t in fold.duties.values() if _in(t, unit) and start <= t.starts_at < end]
    chosen.sort(key=lambda t: (t.starts_at, t.task_id))
    return [task_item(t, now, timedelta(hours=48)) for t in chosen[:500]]


def _entry(task: Duty, entry: SignUp) -> dict[str, Any]:
    return {
        "task_id": task.task_id,
        "volunteer_id": entry.volunteer_id,
        "state": entry.state,
        "starts_at": iso(task.starts_at),
        "late": entry.late,
        "reconfirm": entry.reconfirm,
        "checked_in_at": iso(entry.checked_in),
        "checked_out_at": iso(entry.checked_out),
        "check_in_method": entry.method,
        "missing_checkout": entry.missing_checkout,
        "minutes": entry.minutes,
        "hours": None if entry.minutes is None else round(entry.minutes / 60, 2),
        "points": entry.points,
        "waitlist_position": _position(task, entry),
    }


def _position(task: Duty, entry: SignUp) -> int | None:
    line = [s.volunteer_id for s in task.line()]
    return line.index(entry.volunteer_id) + 1 if entry.volunteer_id in line else None


def roster(fold: Fold, task_id: str) -> list[dict[str, Any]]:
    found = fold.duties[task_id]
    entries = sorted(found.signups.values(), key=lambda s: s.seq)
    entries.sort(key=lambda s: ORDER.get(s.state, 4))
    return [_entry(found, s) for s in entries]


def tasks_of(fold: Fold, volunteer_id: str, limit: int = 100) -> list[dict[str, Any]]:
    mine = [(t, t.signups[volunteer_id]) for t in fold.duties.values() if volunteer_id in t.signups]
    mine.sort(key=lambda r: r[0].task_id)
    mine.sort(key=lambda r: r[0].starts_at, reverse=True)
    return [
        _entry(t, s)
        | {
            "topic": t.topic,
            "kind": t.kind,
            "place": t.place,
            "community": t.community,
            "ends_at": iso(t.ends_at),
            "task_status": t.status,
            "points_each": t.points_each,
            "points_state": t.points_state,
            "leader_id": t.leader_id,
        }
        for t, s in mine[:limit]
    ]


def hours_of(fold: Fold, volunteer_id: str) -> dict[str, Any]:
    """Tasks attended, minutes, points credited for tasks and no-shows, by the month
    each task started in (Asia/Shanghai)."""
    months: dict[str, dict[str, int]] = {}
    for t in fold.duties.values():
        entry = t.signups.get(volunteer_id)
        period = month(t.starts_at)
        row = None
        if entry is not None and t.status == "completed" and entry.state in ("attended", "no_show"):
            row = months.setdefault(
                period, dict.fromkeys(("tasks", "minutes", "points", "no_shows"), 0)
            )
            if entry.state == "attended":
                row["tasks"] += 1
                row["minutes"] += entry.minutes or 0
            else:
                row["no_shows"] += 1
        for who, amount in t.deposits:
            if who == volunteer_id:
                row = months.setdefault(
                    period, dict.fromkeys(("tasks", "minutes", "points", "no_shows"), 0)
                )
                row["points"] += amount
    shown = [
        {
            "period": p,
            "tasks": m["tasks"],
            "hours": round(m["minutes"] / 60, 2),
            "minutes": m["minutes"],
            "points": m["points"],
            "no_shows": m["no_shows"],
        }
        for p, m in sorted(months.items())
    ]
    minutes = sum(m["minutes"] for m in shown)
    return {
        "volunteer_id": volunteer_id,
        "tasks": sum(m["tasks"] for m in shown),
        "minutes": minutes,
        "hours": round(minutes / 60, 2),
        "points": sum(m["points"] for m in shown),
        "no_shows": sum(m["no_shows"] for m in shown),
        "months": shown,
    }


def counts(task: Duty) -> list[tuple[str, str, int]]:
    """What a task adds to the statistics: ``(month, metric, value)``; published in
    the month it was published, the rest in the month it started."""
    found = [(month(task.published_at), "published", 1)]
    period = month(task.starts_at)
    if task.status == "completed":
        came = [s for s in task.signups.values() if s.state == "attended"]
        found += [
            (period, "completed", 1),
            (period, "attendances", len(came)),
            (period, "minutes", sum(s.minutes or 0 for s in came)),
            (period, "reach", task.reach or 0),
            (period, "sessions", task.sessions),
            (period, "materials", task.materials),
            (period, "no_shows", sum(1 for s in task.signups.values() if s.state == "no_show")),
        ]
    if task.deposits:
        found.append((period, "points", sum(amount for _, amount in task.deposits)))
    return found


def statistics(fold: Fold, unit: str, period: str | None = None) -> dict[str, Any]:
    totals: dict[str, int] = defaultdict(int)
    by_kind: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_month: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for t in fold.duties.values():
        if not _in(t, unit):
            continue
        for at, metric, value in counts(t):
            if period in (None, at):
                totals[metric] += value
                by_kind[t.kind][metric] += value
                by_month[at][metric] += value
    return {
        "unit": unit,
        "period": period,
        "totals": dict(sorted(totals.items())),
        "hours": round(totals.get("minutes", 0) / 60, 2),
        "by_kind": {k: dict(sorted(v.items())) for k, v in sorted(by_kind.items())},
        "by_month": {k: dict(sorted(v.items())) for k, v in sorted(by_month.items())},
    }


# -- notices ----------------------------------------------------------------------------


def notice_item(notice: NoticeRecord) -> dict[str, Any]:
    return {
        "notice_id": notice.notice_id,
        "publisher_unit": notice.publisher_unit,
        "title": notice.title,
        "body": notice.body,
        "priority": notice.priority,
        "audience": notice.audience,
        "valid_from": iso(notice.valid_from),
        "valid_until": iso(notice.valid_until),
        "requires_ack": notice.requires_ack,
        "acknowledge_by": iso(notice.acknowledge_by),
        "published_by": notice.published_by,
        "published_at": iso(notice.published_at),
        "revised_at": iso(notice.revised_at),
        "revoked_at": iso(notice.revoked_at),
        "revoke_reason": notice.revoke_reason,
        "version": notice.version,
        "acknowledged": len(notice.acks),
    }


def notices(fold: Fold, unit: str, limit: int = 100) -> list[dict[str, Any]]:
    mine = [n for n in fold.notices.values() if within(n.publisher_unit, unit)]
    mine.sort(key=lambda n: n.notice_id)
    mine.sort(key=lambda n: n.published_at, reverse=True)
    return [notice_item(n) for n in mine[:limit]]


def notice(fold: Fold, notice_id: str) -> dict[str, Any] | None:
    found = fold.notices.get(notice_id)
    if found is None:
        return None
    acks = sorted(found.acks, key=lambda a: (a["at"], a["person_id"]))  # ties by person
    return notice_item(found) | {
        "acknowledgements": [
            {"person_id": a["person_id"], "role": a["role"], "unit": a["unit"], "at": iso(a["at"])}
            for a in acks
        ]
    }


def inbox_notices(
    fold: Fold, person: tuple[str, str, str], now: datetime, reads: dict[str, datetime]
) -> list[dict[str, Any]]:
    """The notices in force now addressed to ``person`` (id, role, unit), each telling
    (publication, revisions) as its inbox shows it, newest first; ``reads`` the read
    marks he made."""
    who, role, unit = person
    profile = fold.people.get(who)
    status = profile.status if profile is not None and role == "volunteer" else None
    shown = []
    for n in fold.notices.values():
        live = n.revoked_at is None and n.valid_from <= now < n.valid_until
        if not live or not n.addresses(role, unit, [], status):
            continue
        acked = any(a["person_id"] == who for a in n.acks)
        for kind, at, told in n.told:
            if at > now:
                continue
            shown.append(
                {
                    "message_id": told["message_id"],
                    "kind": kind,
                    "priority": told["priority"],
                    "subject_id": n.notice_id,
                    "params": told["params"],
                    "created_at": iso(at),
                    "read": told["message_id"] in reads,
                    "read_at": iso(reads.get(told["message_id"])),
                    "requires_ack": n.requires_ack,
                    "acknowledged": acked,
                    "acknowledge_by": iso(n.acknowledge_by),
                }
            )
    shown.sort(key=lambda m: m["message_id"], reverse=True)
    shown.sort(key=lambda m: m["created_at"], reverse=True)
    return shown
