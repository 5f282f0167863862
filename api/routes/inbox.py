"""The inbox (消息) every user has, and the auditor's read of who was told what.

Every alert of the loop's clocks and events and every notice in force for the
user is in his inbox from the moment it is due, whatever happens to its text
message or webhook; the list and the badge read it, ``read`` marks entries read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from api.accounts import User
from api.deps import CurrentUser, IdempotencyKey, ServicesDep, WaitFor
from api.dispatch import Command, execute
from api.notify import render
from api.query import UnitFilter, unit_for
from api.schemas import Answer, Body, Rows
from api.services import Services
from loop.rules import permissions
from loop.rules.alerts import KIND_LABELS
from loop.rules.units import UnitTree
from projections.notifications.inbox import Reader
from projections.notifications.told import told

router = APIRouter(prefix="/api", tags=["inbox 消息"])

Limit = Annotated[int, Query(ge=1, le=200)]


class MarkRead(Body):
    message_ids: list[Annotated[str, Field(max_length=200)]] | None = Field(
        default=None, max_length=500, description="省略则全部标为已读 / omit for all"
    )


def reader(user: User) -> Reader:
    return Reader(user.username, user.role, user.unit)


def link(entry: dict[str, Any]) -> str | None:
    """Where an entry leads in the console: the incident, the notice or the task."""
    params = entry["params"]
    if params.get("incident_id"):
        return f"/incidents/{params['incident_id']}"
    if params.get("notice_id"):
        return f"/notices/{params['notice_id']}"
    if params.get("task_id"):
        return f"/tasks/{params['task_id']}"
    return None


def worded(entry: dict[str, Any], tree: UnitTree) -> dict[str, Any]:
    title_zh, body_zh, title_en, body_en = render(entry["kind"], entry["params"], tree)
    zh, en = KIND_LABELS.get(entry["kind"], (entry["kind"], entry["kind"]))
    return {
        **entry,
        "kind_label_zh": zh,
        "kind_label_en": en,
        "title_zh": title_zh,
        "body_zh": body_zh,
        "title_en": title_en,
        "body_en": body_en,
        "link": link(entry),
    }


async def entries(
    s: Services, user: User, *, limit: int = 50, unread_only: bool = False
) -> list[dict[str, Any]]:
    found = s.notifier.inbox.entries(reader(user), limit=limit, unread_only=unread_only)
    tree = s.loop.registry.tree()
    return [worded(e, tree) for e in found]


@router.get("/inbox", response_model=Rows)
async def inbox(
    user: CurrentUser,
    s: ServicesDep,
    limit: Limit = 50,
    unread_only: bool = False,
    wait_for: WaitFor = None,
) -> Rows:
    """我的消息：提醒与通知，新的在前 / my inbox, newest first: alerts and notices in
    force, each with its words, whether read, and a notice's acknowledgement."""
    await s.wait_for(wait_for)
    return Rows(items=await entries(s, user, limit=limit, unread_only=unread_only))


@router.get("/inbox/unread", response_model=dict[str, int])
async def unread(user: CurrentUser, s: ServicesDep, wait_for: WaitFor = None) -> dict[str, int]:
    """未读消息数（角标）/ how many unread: the badge."""
    await s.wait_for(wait_for)
    return {"unread": s.notifier.inbox.unread(reader(user))}


class Marked(Answer):
    marked: int = Field(description="此次标为已读的条数 / entries that were unread")


def mark_read_command(s: Services, user: User, body: MarkRead) -> Command[Marked]:
    """Mark the caller's entries read: his read marks only, nothing of the log."""

    def run() -> int:
        return s.notifier.inbox.mark_read(reader(user), body.message_ids)

    return Command("read:inbox", body, run, Marked, lambda n: Marked(marked=n, replayed=False))


@router.post("/inbox/read", response_model=Marked)
async def mark_read(
    body: MarkRead, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> Marked:
    """标为已读（省略编号则全部）/ mark entries read (all, without ids). Marking again
    changes nothing; an id not in the caller's inbox is 404."""
    return await execute(s, user, key, mark_read_command(s, user, body))


@router.get("/notifications/told", response_model=Rows)
async def who_was_told(
    user: CurrentUser,
    s: ServicesDep,
    unit: UnitFilter = None,
    subject_id: Annotated[str | None, Query(max_length=100)] = None,
    person: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 100,
    wait_for: WaitFor = None,
) -> Rows:
    """审计：谁在何时被告知了什么，经由哪个渠道、尝试几次、结果如何 / for auditors: who
    was told what and when, on which channel, every attempt and its outcome."""
    permissions.check_role("audit", user.actor)
    chosen = unit_for(user, unit)
    await s.wait_for(wait_for)
    found = told(s.views.store, chosen, subject_id=subject_id, person=person, limit=limit)
    tree = s.loop.registry.tree()
    return Rows(items=[worded(e, tree) for e in found])
