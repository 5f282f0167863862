"""Talk orders (群众点单): the menus, the orders each station holds, and the reach
of the talks given, by theme.

* ``menu``: one row per unit and item: the theme, title, format, length,
  audience and speaker pool (a JSON list), indexed by county and station;
* ``orders``: one row per order: the station holding it now (county, station
  split, indexed with the time it was ordered), the community it is for, what,
  who orders (kind only: no name, phone or place), the days, the status, the
  answer deadline, when answered, the task and time once scheduled, and on
  delivery when, the reach, questions, the rating and an open follow-up
  (indexed by unit and delivery, for the period report);
* ``reach``: per community, month delivered (Asia/Shanghai) and theme: talks
  given, 人次 reached and questions answered, split into county and station so a
  unit's reach by theme is one indexed sum;
* ``site_topics``: per community, month and topic picked on site (群众点题): how
  many times (counts only);
* ``speakers``: one row per registered police or outside speaker (no name: it is
  personal data): the unit that registered him, his kind, organisation, the
  school he serves as 法治副校长, whether active, the talks he is booked on (to
  come or given) and the talks he gave (no points: only volunteers earn them).

A batch is applied in memory to the rows it touches (``projections.rows``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from projections.base import Projection, Tables, handles, level_indexes, month_of, unit_path, utc
from projections.rows import Rows

REACH_COUNTS = ("talks", "reach", "questions")


class Talks(Projection):
    name = "talks"
    version = 2

    def define(self, metadata: MetaData, suffix: str) -> Tables:
        menu = Table(
            f"talk_menu_{suffix}",
            metadata,
            Column("menu_id", String(36), primary_key=True),
            Column("item_id", String(40), primary_key=True),
            Column("unit", String(200), nullable=False),
            Column("county", String(200), nullable=False),
            Column("station", String(200)),
            Column("theme", String(32), nullable=False),
            Column("title", String(100), nullable=False),
            Column("format", String(32), nullable=False),
            Column("minutes", Integer, nullable=False),
            Column("audience", String(100), nullable=False),
            Column("speakers", Text, nullable=False),
            Column("offered_at", DateTime, nullable=False),
        )
        Index(f"ix_talk_menu_{suffix}_county", menu.c.county)
        Index(f"ix_talk_menu_{suffix}_station", menu.c.station)
        orders = Table(
            f"talk_orders_{suffix}",
            metadata,
            Column("order_id", String(36), primary_key=True),
            Column("unit", String(200), nullable=False),
            Column("county", String(200), nullable=False),
            Column("station", String(200)),
            Column("community", String(200), nullable=False),
            Column("item_id", String(40), nullable=False),
            Column("theme", String(32), nullable=False),
            Column("title", String(100), nullable=False),
            Column("format", String(32), nullable=False),
            Column("orderer_kind", String(32), nullable=False),
            Column("source", String(16), nullable=False),
            Column("window_from", String(10), nullable=False),
            Column("window_to", String(10), nullable=False),
            Column("status", String(16), nullable=False),
            Column("ordered_at", DateTime, nullable=False),
            Column("answer_by", DateTime, nullable=False),
            Column("answered_at", DateTime),
            Column("task_id", String(36)),
            Column("starts_at", DateTime),
            Column("confirmed", Boolean, nullable=False),
            Column("reschedules", Integer, nullable=False),
            Column("delivered_at", DateTime),
            Column("reach", Integer),
            Column("questions", Integer),
            Column("rating", Integer),
            Column("follow_up", String(8)),
        )
        level_indexes(orders, "{level}", "ordered_at", levels=("county", "station"))
        level_indexes(orders, "{level}", "delivered_at", levels=("county", "station"), tag="_given")
        reach = Table(
            f"talk_reach_{suffix}",
            metadata,
            Column("community", String(200), primary_key=True),
            Column("period", String(7), primary_key=True),
            Column("theme", String(32), primary_key=True),
            Column("county", String(200), nullable=False),
            Column("station", String(200), nullable=False),
            *(Column(name, Integer, nullable=False) for name in REACH_COUNTS),
        )
        level_indexes(reach, "{level}", "period", levels=("county", "station"))
        topics = Table(
            f"talk_site_topics_{suffix}",
            metadata,
            Column("community", String(200), primary_key=True),
            Column("period", String(7), primary_key=True),
            Column("topic", String(50), primary_key=True),
            Column("county", String(200), nullable=False),
            Column("station", String(200), nullable=False),
            Column("count", Integer, nullable=False),
        )
        Index(f"ix_talk_site_topics_{suffix}_station", topics.c.station, topics.c.period)
        speakers = Table(
            f"talk_speakers_{suffix}",
            metadata,
            Column("speaker_id", String(36), primary_key=True),
            Column("speaker", String(120), nullable=False),
            Column("kind", String(16), nullable=False),
            Column("unit", String(200), nullable=False),
            Column("county", String(200), nullable=False),
            Column("station", String(200)),
            Column("organisation", String(200), nullable=False),
            Column("vice_principal_of", String(100)),
            Column("active", Boolean, nullable=False),
            Column("booked", Integer, nullable=False),
            Column("talks_given", Integer, nullable=False),
            Column("registered_at", DateTime, nullable=False),
        )
        Index(f"ix_talk_speakers_{suffix}_station", speakers.c.station, speakers.c.speaker)
        return {
            "menu": menu,
            "orders": orders,
            "reach": reach,
            "site_topics": topics,
            "speakers": speakers,
        }

    def apply_batch(self, conn: Connection, tables: Tables, events: list[tuple[str, Any]]) -> None:
        handled = [(n, e) for n, e in events if n in self.handlers]
        if not handled:
            return
        rows = {kind: Rows(conn, table) for kind, table in tables.items()}
        rows["menu"].load("menu_id", {str(e.originator_id) for n, e in handled if "Menu" in n})
        rows["orders"].load("order_id", {str(e.originator_id) for n, e in handled if "Order" in n})
        rows["speakers"].load(
            "speaker_id", {str(e.originator_id) for n, e in handled if "Speaker" in n}
        )
        delivered = [e for n, e in handled if n == "TalkOrder.Delivered"]
        if delivered:
            held = {str(e.originator_id) for e in delivered}
            communities = {r["community"] for k in held if (r := rows["orders"].get(k))}
            communities |= {e.community for n, e in handled if n == "TalkOrder.Placed"}
            rows["reach"].load("community", communities)
            rows["site_topics"].load("community", communities)
        for name, event in handled:
            self.handlers[name](self, rows, event)
        for table in rows.values():
            table.write()

    @staticmethod
    def _order(rows: dict[str, Rows], event: Any) -> dict[str, Any]:
        order = rows["orders"].get(str(event.originator_id))
        assert order is not None, "a change to an order never placed"
        return order

    @handles("TalkMenu.ItemOffered")
    def offered(self, rows: dict[str, Rows], event: Any) -> None:
        county, station, _ = unit_path(event.unit)
        rows["menu"].put(
            {
                "menu_id": str(event.originator_id),
                "item_id": event.item_id,
                "unit": event.unit,
                "county": county,
                "station": station,
                "theme": event.theme,
                "title": event.title,
                "format": event.format,
                "minutes": int(event.minutes),
                "audience": event.audience,
                "speakers": json.dumps(list(event.speakers)),
                "offered_at": utc(event.timestamp),
            }
        )

    @handles("TalkMenu.ItemWithdrawn")
    def withdrawn(self, rows: dict[str, Rows], event: Any) -> None:
        rows["menu"].delete(str(event.originator_id), event.item_id)

    @handles("TalkOrder.Placed")
    def placed(self, rows: dict[str, Rows], event: Any) -> None:
        county, station, _ = unit_path(event.unit)
        rows["orders"].put(
            {
                "order_id": str(event.originator_id),
                "unit": event.unit,
                "county": county,
                "station": station,
                "community": event.community,
                "item_id": event.item_id,
                "theme": event.theme,
                "title": event.title,
                "format": event.format,
                "orderer_kind": event.orderer_kind,
                "source": event.source,
                "window_from": event.window_from,
                "window_to": event.window_to,
                "status": "ordered",
                "ordered_at": utc(event.timestamp),
                "answer_by": utc(event.answer_by),
                "answered_at": None,
                "delivered_at": None,
                "task_id": None,
                "starts_at": None,
                "confirmed": False,
                "reschedules": 0,
                "reach": None,
                "questions": None,
                "rating": None,
                "follow_up": None,
            }
        )

    def _change(self, rows: dict[str, Rows], event: Any, **changes: Any) -> None:
        rows["orders"].put({**self._order(rows, event), **changes})

    @handles("TalkOrder.Accepted")
    def accepted(self, rows: dict[str, Rows], event: Any) -> None:
        self._change(rows, event, status="accepted", answered_at=utc(event.timestamp))

    @handles("TalkOrder.Declined")
    def declined(self, rows: dict[str, Rows], event: Any) -> None:
        self._change(rows, event, status="declined", answered_at=utc(event.timestamp))

    @handles("TalkOrder.Forwarded")
    def forwarded(self, rows: dict[str, Rows], event: Any) -> None:
        county, station, _ = unit_path(event.to_unit)
        self._change(
            rows, event, unit=event.to_unit, county=county, station=station,
            answer_by=utc(event.answer_by),
        )  # fmt: skip

    @handles("TalkOrder.Scheduled")
    def scheduled(self, rows: dict[str, Rows], event: Any) -> None:
        self._change(
            rows, event, status="scheduled", task_id=event.task_id,
            starts_at=utc(event.starts_at), confirmed=False,
        )  # fmt: skip

    @handles("TalkOrder.Confirmed")
    def confirmed(self, rows: dict[str, Rows], event: Any) -> None:
        self._change(rows, event, confirmed=True)

    @handles("TalkOrder.Rescheduled")
    def rescheduled(self, rows: dict[str, Rows], event: Any) -> None:
        order = self._order(rows, event)
        status = "accepted" if order["status"] == "scheduled" else order["status"]
        self._change(
            rows, event, status=status, window_from=event.window_from,
            window_to=event.window_to, reschedules=order["reschedules"] + 1,
            confirmed=False, task_id=None if status == "accepted" else order["task_id"],
            starts_at=None if status == "accepted" else order["starts_at"],
        )  # fmt: skip

    @handles("TalkOrder.Cancelled")
    def cancelled(self, rows: dict[str, Rows], event: Any) -> None:
        self._change(rows, event, status="cancelled")

    @handles("TalkOrder.Delivered")
    def delivered(self, rows: dict[str, Rows], event: Any) -> None:
        order = self._order(rows, event)
        self._change(
            rows, event, status="delivered", reach=int(event.reach),
            questions=int(event.questions), delivered_at=utc(event.timestamp),
        )  # fmt: skip
        county, station, community = unit_path(order["community"])
        period = month_of(event.timestamp)
        place = {"community": community, "period": period, "county": county, "station": station}
        key = (community, period, order["theme"])
        row = rows["reach"].get(*key) or {**place, "theme": order["theme"], "talks": 0,
                                           "reach": 0, "questions": 0}  # fmt: skip
        rows["reach"].put(
            {
                **row,
                "talks": row["talks"] + 1,
                "reach": row["reach"] + int(event.reach),
                "questions": row["questions"] + int(event.questions),
            }
        )
        for topic, count in event.topics_on_site.items():
            seen = rows["site_topics"].get(community, period, topic)
            before = seen["count"] if seen else 0
            rows["site_topics"].put({**place, "topic": topic, "count": before + int(count)})

    @handles("TalkOrder.Rated")
    def rated(self, rows: dict[str, Rows], event: Any) -> None:
        self._change(
            rows, event, rating=int(event.stars), follow_up="open" if event.follow_up else None
        )

    @handles("TalkOrder.FollowedUp")
    def followed_up(self, rows: dict[str, Rows], event: Any) -> None:
        self._change(rows, event, follow_up="done")

    # -- registered speakers ------------------------------------------------------------

    @handles("TalkSpeaker.Registered")
    def registered(self, rows: dict[str, Rows], event: Any) -> None:
        county, station, _ = unit_path(event.unit)
        rows["speakers"].put(
            {
                "speaker_id": str(event.originator_id),
                "speaker": event.ref,
                "kind": event.kind,
                "unit": event.unit,
                "county": county,
                "station": station,
                "organisation": event.organisation,
                "vice_principal_of": event.vice_principal_of,
                "active": True,
                "booked": 0,
                "talks_given": 0,
                "registered_at": utc(event.timestamp),
            }
        )

    def _speaker(self, rows: dict[str, Rows], event: Any, **changes: Any) -> None:
        speaker = rows["speakers"].get(str(event.originator_id))
        assert speaker is not None, "a change to a speaker never registered"
        rows["speakers"].put({**speaker, **{k: f(speaker) for k, f in changes.items()}})

    @handles("TalkSpeaker.Retired")
    def retired(self, rows: dict[str, Rows], event: Any) -> None:
        self._speaker(rows, event, active=lambda _: False)

    @handles("TalkSpeaker.Booked")
    def speaker_booked(self, rows: dict[str, Rows], event: Any) -> None:
        self._speaker(rows, event, booked=lambda row: row["booked"] + 1)

    @handles("TalkSpeaker.Released")
    def speaker_released(self, rows: dict[str, Rows], event: Any) -> None:
        self._speaker(rows, event, booked=lambda row: row["booked"] - 1)

    @handles("TalkSpeaker.Spoke")
    def spoke(self, rows: dict[str, Rows], event: Any) -> None:
        self._speaker(rows, event, talks_given=lambda row: row["talks_given"] + 1)
