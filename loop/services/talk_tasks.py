"""The duty task a scheduled talk's volunteer speakers are booked on (their hours
and points come through it, the tasks' own path), and their rosters' bookings."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from aggregates.actor import Actor
from aggregates.talk_order import TalkOrder
from aggregates.task import Task
from loop.rules.scoring import CHINA
from loop.rules.talks import FORMATS, TalkPolicy, task_kind
from loop.rules.task_inputs import schedule
from loop.services.tasks import Tasks


def booked_volunteers(
    tasks: Tasks,
    talk_policy: TalkPolicy,
    actor: Actor,
    at: datetime,
    order: TalkOrder,
    slot: tuple[datetime, datetime],
    volunteers: list[str],
) -> tuple[Task | None, list[Any]]:
    """A task published for ``order``'s talk at ``slot`` (start, end) with
    ``volunteers`` booked on it and signed up (refused if one of them is booked at
    that time), and the changed aggregates, not yet saved; none without volunteers."""
    if not volunteers:
        return None, []
    policy = tasks.policy
    start, end = slot
    times = schedule(policy, at, start, end, len(volunteers), len(volunteers), None, None)
    task = Task.publish(
        actor,
        at,
        unit=order.unit,
        community=order.community,
        kind=task_kind(order.theme),
        topic=f"宣讲：{order.title}"[:100],
        place=f"{FORMATS[order.format]}（地点见宣讲订单）",
        team=None,
        intensity="light",
        points=min(max(talk_policy.speaker_points, policy.points_min), policy.points_max),
        leader_id=None,
        checkin_key=secrets.token_hex(16),
        **times,
    )
    changed: list[Any] = [task]
    for volunteer in volunteers:
        refusal = tasks.why_not(tasks.volunteers.get(volunteer), task)
        if refusal is not None:
            raise refusal
        roster = tasks.roster(volunteer, actor, at)
        roster.book(
            actor,
            at,
            task_id=str(task.id),
            starts_at=task.starts_at,
            ends_at=task.ends_at,
            daily_cap_minutes=policy.daily_hours_cap * 60,
            zone=CHINA,
        )
        task.sign_up(actor, at, volunteer_id=volunteer, request=None)
        changed.append(roster)
    return task, changed
