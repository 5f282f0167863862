"""Volunteer scores from the Happiness Bank (幸福银行) and volunteer events.

``scores`` has one row per volunteer: earned, redeemed, deducted (deductions
and reversals), balance and score (earned less deducted, what ranks and stars
count), with the volunteer's community, station and county each indexed with
the score, so a rank is one indexed count at query time. ``score_months`` keeps
the same figures per period (the ledger entry's ``period``, a month by default)
and the month's evaluation; ``score_deposits`` the deposit of each source (its
``incident_id`` column holds the deposit's ``source_id``: an incident's id, or a
duty task's), so a reversal takes back what was paid, in the month it was paid.
Deposits for incidents and for completed duty tasks count alike.

The figures follow the ``PointsAccount`` aggregate: the score is the base
points the account opened with, plus what was earned, less what was deducted
(a deduction's shortfall included); the balance moves by each entry's signed
amount (deposits positive; redemptions, deductions and reversals negative).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    select,
)

from projections.base import Projection, Tables, handles, level_indexes, unit_path, utc

FIGURES = ("earned", "redeemed", "deducted", "balance", "score")


class Scores(Projection):
    name = "scores"
    version = 1

    def define(self, metadata: MetaData, suffix: str) -> Tables:
        scores = Table(
            f"scores_{suffix}",
            metadata,
            Column("volunteer_id", String(100), primary_key=True),
            Column("account_id", String(36), unique=True),
            Column("volunteer_key", String(36), unique=True),
            Column("county", String(200)),
            Column("station", String(200)),
            Column("community", String(200)),
            Column("squad", String(50)),
            Column("status", String(20)),
            Column("base", Integer, nullable=False),
            *(Column(name, Integer, nullable=False) for name in FIGURES),
            Column("opened_at", DateTime),
        )
        level_indexes(scores, "{level}", "score")
        months = Table(
            f"score_months_{suffix}",
            metadata,
            Column("volunteer_id", String(100), primary_key=True),
            Column("period", String(10), primary_key=True),
            Column("county", String(200)),
            Column("station", String(200)),
            Column("community", String(200)),
            *(Column(name, Integer, nullable=False) for name in FIGURES),
            Column("passed", Boolean),
            Column("note", String(500)),
        )
        level_indexes(months, "period", "{level}", "score")
        deposits = Table(
            f"score_deposits_{suffix}",
            metadata,
            Column("volunteer_id", String(100), primary_key=True),
            Column("incident_id", String(36), primary_key=True),
            Column("period", String(10), nullable=False),
            Column("amount", Integer, nullable=False),
        )
        return {"scores": scores, "months": months, "deposits": deposits}

    # -- volunteers and accounts --------------------------------------------------------

    @staticmethod
    def _upsert(conn: Connection, tables: Tables, volunteer_id: str, **values: Any) -> None:
        scores = tables["scores"]
        done = conn.execute(
            scores.update().where(scores.c.volunteer_id == volunteer_id).values(values)
        )
        if done.rowcount == 0:
            conn.execute(
                scores.insert(),
                {"volunteer_id": volunteer_id, "base": 0, **dict.fromkeys(FIGURES, 0), **values},
            )

    @staticmethod
    def _where(community: str) -> dict[str, Any]:
        county, station, place = unit_path(community)
        return {"county": county, "station": station, "community": place}

    @handles("PointsAccount.Opened")
    def opened(self, conn: Connection, tables: Tables, event: Any) -> None:
        """The account opens with the policy's base points (the score starts there;
        the balance holds only what was deposited)."""
        base = int(getattr(event, "base_points", 0))
        self._upsert(
            conn,
            tables,
            event.volunteer_id,
            account_id=str(event.originator_id),
            opened_at=utc(event.timestamp),
            base=base,
            **self._where(event.community),
        )
        scores = tables["scores"]
        conn.execute(
            scores.update()
            .where(scores.c.volunteer_id == event.volunteer_id)
            .values(score=base + scores.c.earned - scores.c.deducted)
        )

    @handles("Volunteer.Applied")
    def applied(self, conn: Connection, tables: Tables, event: Any) -> None:
        self._upsert(
            conn,
            tables,
            event.volunteer_id,
            volunteer_key=str(event.originator_id),
            status="applied",
            **self._where(event.community),
        )

    def _volunteer(self, conn: Connection, tables: Tables, column: str, key: Any) -> Any:
        scores = tables["scores"]
        return conn.execute(select(scores).where(scores.c[column] == str(key))).one_or_none()

    @handles("Volunteer.Admitted")
    def admitted(self, conn: Connection, tables: Tables, event: Any) -> None:
        self._set_volunteer(conn, tables, event, status="active", squad=event.squad)

    @handles("Volunteer.Rejected")
    def refused(self, conn: Connection, tables: Tables, event: Any) -> None:
        self._set_volunteer(conn, tables, event, status="rejected")

    @handles("Volunteer.StatusChanged")
    def status_changed(self, conn: Connection, tables: Tables, event: Any) -> None:
        self._set_volunteer(conn, tables, event, status=event.status)

    def _set_volunteer(self, conn: Connection, tables: Tables, event: Any, **values: Any) -> None:
        scores = tables["scores"]
        conn.execute(
            scores.update().where(scores.c.volunteer_key == str(event.originator_id)).values(values)
        )

    # -- the ledger ----------------------------------------------------------------------

    def _move(
        self,
        conn: Connection,
        tables: Tables,
        volunteer: Any,
        period: str,
        *,
        totals: bool = True,
        **delta: int,
    ) -> None:
        """Move the volunteer's figures (and, with ``totals``, the totals) by ``delta``
        in ``period``."""
        scores, months = tables["scores"], tables["months"]
        if totals:
            conn.execute(
                scores.update()
                .where(scores.c.volunteer_id == volunteer.volunteer_id)
                .values({name: scores.c[name] + by for name, by in delta.items()})
            )
        done = conn.execute(
            months.update()
            .where(months.c.volunteer_id == volunteer.volunteer_id)
            .where(months.c.period == period)
            .values({name: months.c[name] + by for name, by in delta.items()})
        )
        if done.rowcount == 0:
            self._new_month(conn, tables, volunteer, period, **delta)

    @staticmethod
    def _new_month(
        conn: Connection, tables: Tables, volunteer: Any, period: str, **values: Any
    ) -> None:
        conn.execute(
            tables["months"].insert(),
            {
                "volunteer_id": volunteer.volunteer_id,
                "period": period,
                "county": volunteer.county,
                "station": volunteer.station,
                "community": volunteer.community,
                **dict.fromkeys(FIGURES, 0),
                **values,
            },
        )

    def _account(self, conn: Connection, tables: Tables, event: Any) -> Any:
        return self._volunteer(conn, tables, "account_id", event.originator_id)

    @handles("PointsAccount.Deposited")
    def deposited(self, conn: Connection, tables: Tables, event: Any) -> None:
        volunteer = self._account(conn, tables, event)
        if volunteer is None:  # an entry without its opening: not a ledger we know
            return
        amount = int(event.amount)
        self._move(
            conn, tables, volunteer, event.period, earned=amount, balance=amount, score=amount
        )
        deposits = tables["deposits"]
        conn.execute(
            deposits.delete().where(
                deposits.c.volunteer_id == volunteer.volunteer_id,
                deposits.c.incident_id == event.source_id,
            )
        )
        conn.execute(
            deposits.insert(),
            {
                "volunteer_id": volunteer.volunteer_id,
                "incident_id": event.source_id,
                "period": event.period,
                "amount": amount,
            },
        )

    @handles("PointsAccount.Redeemed")
    def redeemed(self, conn: Connection, tables: Tables, event: Any) -> None:
        volunteer = self._account(conn, tables, event)
        if volunteer is not None:
            amount = int(event.amount)
            self._move(conn, tables, volunteer, event.period, redeemed=-amount, balance=amount)

    @handles("PointsAccount.Deducted")
    def deducted(self, conn: Connection, tables: Tables, event: Any) -> None:
        """``-amount`` left the balance; the score loses that and the ``shortfall``."""
        volunteer = self._account(conn, tables, event)
        if volunteer is not None:
            amount, lost = int(event.amount), int(event.shortfall) - int(event.amount)
            self._move(
                conn, tables, volunteer, event.period, deducted=lost, balance=amount, score=-lost
            )

    @handles("PointsAccount.Reversed")
    def reversed_(self, conn: Connection, tables: Tables, event: Any) -> None:
        """A deposit taken back: its points leave what was earned (in the deposit's
        month); ``-amount`` leaves the balance now."""
        volunteer = self._account(conn, tables, event)
        if volunteer is None:
            return
        deposits = tables["deposits"]
        deposit = conn.execute(
            select(deposits).where(
                deposits.c.volunteer_id == volunteer.volunteer_id,
                deposits.c.incident_id == event.incident_id,
            )
        ).first()
        if deposit is not None:
            paid = deposit.amount
            self._move(conn, tables, volunteer, deposit.period, earned=-paid, score=-paid)
        self._move(conn, tables, volunteer, event.period, balance=int(event.amount))

    @handles("PointsAccount.MonthEvaluated")
    def evaluated(self, conn: Connection, tables: Tables, event: Any) -> None:
        volunteer = self._account(conn, tables, event)
        if volunteer is None:
            return
        months = tables["months"]
        done = conn.execute(
            months.update()
            .where(months.c.volunteer_id == volunteer.volunteer_id)
            .where(months.c.period == event.period)
            .values(passed=bool(event.passed), note=event.note)
        )
        if done.rowcount == 0:
            self._new_month(
                conn, tables, volunteer, event.period, passed=bool(event.passed), note=event.note
            )
