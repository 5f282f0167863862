"""The notification read model: the state alerts need, and the outbox it fills.

Its tables (``projections.notifications.schema``) are rebuilt from the log like
any projection's. Events that tell someone write their messages and deliveries
to the outbox (``projections.notifications.tables``) in the batch's own
transaction, the one that moves this projection's position: told exactly once,
however often the batch is retried, and never again when the read model is
rebuilt. The clock (``projections.notifications.clock``) fires the marks kept
here when their time comes. Notices' handlers are in
``projections.notifications.notices``, duty tasks' in ``projections.notifications.tasks``.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any, ClassVar

from sqlalchemy import Connection, MetaData

from projections.base import Projection, Tables, handles, unit_path, utc
from projections.notifications import tables as outbox
from projections.notifications.notices import NoticeHandlers
from projections.notifications.outbox import Message, cancel, tell
from projections.notifications.rules import (
    EVENT_ALERTS,
    SMS,
    ClockRules,
    EventAlert,
    TaskRules,
    incident_marks,
)
from projections.notifications.schema import define_tables
from projections.notifications.state import Batch
from projections.notifications.talks import TalkHandlers
from projections.notifications.tasks import TaskHandlers

STEPS = (
    "Incident.Reported",
    "Incident.AcceptedForHandling",
    "Incident.Escalated",
    "Incident.Returned",
    "Incident.Diverted",
    "Incident.HandedOver",
    "Incident.FollowUpChased",
    "Incident.OutcomeRecorded",
    "Incident.ScoreProposed",
    "Incident.ScoreSigned",
    "Incident.Rewarded",
    "Incident.Publicized",
    "Incident.Closed",
    "Incident.Rejected",
)
VOLUNTEER_STATUS = {"Volunteer.Admitted": "active", "Volunteer.Rejected": "rejected"}


class Notifications(NoticeHandlers, TaskHandlers, TalkHandlers, Projection):
    name = "notifications"
    version = 2

    event_alerts: ClassVar[Mapping[str, EventAlert]] = EVENT_ALERTS

    def __init__(
        self,
        channels: Collection[str] = (SMS,),
        clock_rules: ClockRules | None = None,
        task_rules: TaskRules | None = None,
    ) -> None:
        self.channels = frozenset(channels)
        """The channels beyond the inbox this installation delivers on."""
        self.clock_rules = clock_rules or ClockRules()
        self.task_rules = task_rules or TaskRules()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._add_rule_events()

    @classmethod
    def _add_rule_events(cls) -> None:
        """Events named only by the rules are decoded too; :meth:`_rules` handles them."""
        for name in cls.event_alerts:
            cls.handlers.setdefault(name, Notifications._by_rules_only)

    def _by_rules_only(self, batch: Batch, event: Any) -> None:
        """Nothing of the projection's own state: the rules see to the event."""

    def setup(self, conn: Connection) -> None:
        outbox.create(conn)

    def define(self, metadata: MetaData, suffix: str) -> Tables:
        return define_tables(metadata, suffix)

    def apply_batch(self, conn: Connection, tables: Tables, events: list[tuple[str, Any]]) -> None:
        if not events:
            return
        batch = Batch(conn, tables)
        incidents = {str(e.originator_id) for n, e in events if n.startswith("Incident.")}
        batch.incidents.load("incident_id", incidents)
        tasks = {str(e.originator_id) for n, e in events if n.startswith("Task.")}
        batch.load_tasks(tasks)
        notices = {str(e.originator_id) for n, e in events if n.startswith("Notice.")}
        talks = {str(e.originator_id) for n, e in events if n.startswith("TalkOrder.")}
        batch.load_marks(incidents | notices | tasks | talks)
        batch.people.load(
            "record_id", {str(e.originator_id) for n, e in events if n.startswith("Volunteer.")}
        )
        batch.people.load(
            "person_id",
            {e.subject_id for n, e in events if n == "Erasure.Erased"}
            | {e.volunteer_id for n, e in events if n == "Volunteer.Applied"},
        )
        for row in batch.people.rows.values():
            if row is not None and row["record_id"]:
                batch.by_record[row["record_id"]] = row["person_id"]
        for name, event in events:
            self.handlers[name](self, batch, event)
            self._rules(batch, name, event)
        for incident_id in batch.replan:  # each incident's marks once, for its last wait
            row = batch.incidents.get(incident_id)
            assert row is not None
            self._plan(batch, row)
        for task_id in batch.replan_tasks:  # each task's marks once, as the batch left it
            self.plan_task(batch, task_id)
        batch.incidents.write()
        batch.marks.write()
        batch.people.write()
        if tasks:  # only a batch with duty tasks' events touches their rows
            batch.tasks.write()
            batch.bookings.write()
        tell(conn, tables, batch.messages, self.channels)
        for reason, conditions in batch.cancels:
            cancel(conn, reason, *conditions)

    def _rules(self, batch: Batch, name: str, event: Any) -> None:
        """The alerts an event raises by the rules."""
        alert = self.event_alerts.get(name)
        if alert is not None and alert.when(event):
            subject = str(event.originator_id)
            row = batch.incidents.get(subject) if name.startswith("Incident.") else None
            to = alert.to(event, row)
            if to is not None:
                at = utc(event.timestamp)
                assert at is not None
                batch.messages.append(
                    Message(
                        f"{name}:{subject}:{event.originator_version}",
                        alert.kind,
                        subject,
                        _unit(event, row),
                        to,
                        at,
                        alert.params(event, row),
                        alert.priority,
                        alert.channels,
                        at + alert.ttl,
                    )
                )

    # -- incidents: their current wait and its marks ---------------------------------------

    def _plan(self, batch: Batch, row: dict[str, Any]) -> None:
        """The marks of the incident's current wait, in place of any earlier ones."""
        batch.drop_marks(row["incident_id"])
        params = {
            "incident_id": row["incident_id"],
            "module": row["module"],
            "stage": row["stage"],
            "owner_unit": row["owner_unit"],
            "due_at": row["due_at"].isoformat() if row["due_at"] else None,
        }
        for mark in incident_marks(row, self.clock_rules):
            batch.mark(
                Message(
                    f"clock:{row['incident_id']}:{row['epoch']}:{mark.kind}",
                    mark.kind,
                    row["incident_id"],
                    row["community"],
                    mark.to,
                    mark.at,
                    params,
                    mark.priority,
                    mark.channels,
                    mark.expires_at,
                )
            )

    @handles("Incident.Discovered")
    def discovered(self, batch: Batch, event: Any) -> None:
        row = {
            "incident_id": str(event.originator_id),
            "reporter_id": event.reporter_id,
            "community": event.community,
            "module": event.module,
            "urgency": None,
            "stage": event.stage,
            "owner_unit": event.owner_unit,
            "owner_role": event.owner_role,
            "started_at": utc(event.timestamp),
            "due_at": utc(event.due_at),
            "epoch": event.originator_version,
            "points": None,
        }
        batch.incidents.put(row)
        batch.replan[row["incident_id"]] = None

    @handles(*STEPS)
    def stepped(self, batch: Batch, event: Any) -> None:
        current = batch.incidents.get(str(event.originator_id))
        if current is None:  # discovered before this read model began: nothing to chase
            return
        row = dict(current)
        row["urgency"] = getattr(event, "urgency", None) or row["urgency"]
        if hasattr(event, "points") and event.stage == "score_proposed":
            row["points"] = event.points
        due = utc(event.due_at)
        moved = (event.stage, event.owner_unit, due) != (
            row["stage"],
            row["owner_unit"],
            row["due_at"],
        )
        handed = event.owner_role != row["owner_role"]
        row.update(stage=event.stage, owner_unit=event.owner_unit, owner_role=event.owner_role)
        if moved:  # a new wait: the clock starts again
            row.update(due_at=due, started_at=utc(event.timestamp), epoch=event.originator_version)
            batch.replan[row["incident_id"]] = None
        elif handed:  # the same wait, another to tell (the co-signer still to sign)
            batch.replan[row["incident_id"]] = None
        batch.incidents.put(row)

    # -- people: the audience of notices, and who was forgotten ------------------------------

    @handles("Volunteer.Applied")
    def applied(self, batch: Batch, event: Any) -> None:
        current = batch.people.get(event.volunteer_id) or {}
        batch.people.put(
            {
                "person_id": event.volunteer_id,
                "record_id": str(event.originator_id),
                "community": event.community,
                "county": unit_path(event.community)[0],
                "status": "applied",
                "teams": "[]",
                "forgotten": bool(current.get("forgotten", False)),
            }
        )
        batch.by_record[str(event.originator_id)] = event.volunteer_id

    def _volunteer(self, batch: Batch, event: Any, **changes: Any) -> None:
        person_id = batch.by_record.get(str(event.originator_id))
        current = batch.people.get(person_id) if person_id else None
        if current is not None:
            batch.people.put({**current, **changes})

    @handles(*VOLUNTEER_STATUS)
    def admitted_or_rejected(self, batch: Batch, event: Any) -> None:
        self._volunteer(batch, event, status=VOLUNTEER_STATUS[type(event).__qualname__])

    @handles("Volunteer.StatusChanged")
    def status_changed(self, batch: Batch, event: Any) -> None:
        self._volunteer(batch, event, status=event.status)

    @handles("Volunteer.JoinedTeam")
    def joined_team(self, batch: Batch, event: Any) -> None:
        person_id = batch.by_record.get(str(event.originator_id))
        current = batch.people.get(person_id) if person_id else None
        if current is not None:
            teams = [*json.loads(current["teams"]), event.team]
            batch.people.put({**current, "teams": json.dumps(teams)})

    @handles("Erasure.Erased")
    def erased(self, batch: Batch, event: Any) -> None:
        current = batch.people.get(event.subject_id)
        batch.people.put(
            {**(current or _stranger(event.subject_id)), "forgotten": True},
        )
        deliveries = outbox.deliveries
        batch.cancels.append(("forgotten", (deliveries.c.recipient == event.subject_id,)))


Notifications._add_rule_events()


def _stranger(person_id: str) -> dict[str, Any]:
    """A person the read model knows only by id (an informant, say)."""
    return {
        "person_id": person_id,
        "record_id": None,
        "community": None,
        "county": None,
        "status": None,
        "teams": "[]",
        "forgotten": False,
    }


def _unit(event: Any, row: Any) -> str:
    """The unit a message is about: the incident's community, else the event's."""
    if row is not None:
        return str(row["community"])
    for name in ("community", "unit", "publisher_unit", "bank"):
        value = getattr(event, name, None)
        if isinstance(value, str) and value:
            return value
    return ""
