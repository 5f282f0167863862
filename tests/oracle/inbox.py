"""The volunteers' inboxes, asked of the notification read model and of the oracle.

What a volunteer is told of his reports is restated in ``Fold._tell_reporter``;
no clock ticks in an oracle run, so the inbox holds only what events told. Each
volunteer's inbox is compared as the kinds and subjects of its messages, of his
reports and his duty tasks (``tests.oracle.duty_fold``; the notices in it are
compared in full by ``tests.oracle.duty_reads.inbox_notices``).
"""

from __future__ import annotations

from datetime import datetime

from projections.notifications.inbox import Inbox, Reader
from tests.oracle.compare import LIMIT, Comparison
from tests.oracle.duty_reads import NOTICE_KINDS
from tests.oracle.fold import Fold


def told(fold: Fold, volunteer_id: str) -> list[tuple[str, str]]:
    """What the oracle says the volunteer was told, as (kind, incident)."""
    return sorted(fold.told.get(volunteer_id, []))[:LIMIT]


def inbox_of(
    inbox: Inbox, volunteer_id: str, community: str, now: datetime
) -> list[tuple[str, str]]:
    entries = inbox.entries(Reader(volunteer_id, "volunteer", community), now=now, limit=LIMIT)
    return sorted((e["kind"], e["subject_id"]) for e in entries if e["kind"] not in NOTICE_KINDS)


def compare_inboxes(comparison: Comparison, fold: Fold, inbox: Inbox, now: datetime) -> None:
    """Every volunteer's inbox (those with fewer than ``LIMIT`` messages: the read
    shows the latest ``LIMIT``)."""
    for volunteer_id, person in sorted(fold.people.items()):
        if len(fold.told.get(volunteer_id, [])) >= LIMIT:
            continue
        comparison.check(
            f"inbox {volunteer_id}",
            told(fold, volunteer_id),
            inbox_of,
            inbox,
            volunteer_id,
            person.community or "",
            now,
        )
