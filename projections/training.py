"""Training (岗前培训与考试上岗): sessions, attendance, day credits, exams, each
volunteer's unit, status and certification, and the counties' duty gates.

* ``sessions``: one row per session: the holding unit (a county bureau or a
  station; county and station indexed with the day), kind, topic, instructor,
  day, day credit in half days, mode, status, attendees present, corrections;
* ``attendance``: per session and volunteer, present or not (after corrections)
  and whether it was corrected; indexed by volunteer;
* ``credits``: per volunteer and session, the day credit his record holds (kind,
  day, half days, whether earned before certification); a day's total is capped
  at one whole day when read (``projections.training_queries``);
* ``exams``: per volunteer and attempt: score, pass mark, passed, when;
* ``volunteers``: per volunteer: county, station, community (each indexed), his
  status, when he was admitted, his certification (basis, when, by whom) and a
  suspension for a shortfall of the year's days (the year, when, by whom);
* ``records``: which volunteer each training record is about;
* ``gates``: per county, when its duty gate was switched on and by whom.

Events are applied one by one: training is a low-volume log.
"""

from __future__ import annotations

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
    insert,
    select,
    update,
)

from projections.base import Projection, Tables, handles, level_indexes, unit_path, utc


class Training(Projection):
    name = "training"
    version = 2  # v2: admission, and a suspension for a shortfall, on the volunteers

    def define(self, metadata: MetaData, suffix: str) -> Tables:
        sessions = Table(
            f"training_sessions_{suffix}",
            metadata,
            Column("session_id", String(36), primary_key=True),
            Column("unit", String(200), nullable=False),
            Column("county", String(200), nullable=False),
            Column("station", String(200)),
            Column("kind", String(16), nullable=False),
            Column("topic", String(100), nullable=False),
            Column("instructor", String(100), nullable=False),
            Column("day", String(10), nullable=False),
            Column("halves", Integer, nullable=False),
            Column("mode", String(16), nullable=False),
            Column("place", String(200), nullable=False),
            Column("status", String(16), nullable=False),
            Column("present", Integer, nullable=False),
            Column("corrections", Integer, nullable=False),
            Column("scheduled_at", DateTime, nullable=False),
        )
        level_indexes(sessions, "{level}", "day", levels=("county", "station"))
        attendance = Table(
            f"training_attendance_{suffix}",
            metadata,
            Column("session_id", String(36), primary_key=True),
            Column("volunteer_id", String(100), primary_key=True),
            Column("present", Boolean, nullable=False),
            Column("corrected", Boolean, nullable=False),
        )
        Index(f"ix_training_attendance_{suffix}_volunteer", attendance.c.volunteer_id)
        credits = Table(
            f"training_credits_{suffix}",
            metadata,
            Column("volunteer_id", String(100), primary_key=True),
            Column("session_id", String(36), primary_key=True),
            Column("day", String(10), nullable=False),
            Column("halves", Integer, nullable=False),
            Column("kind", String(16), nullable=False),
            Column("mode", String(16), nullable=False),
            Column("before_certification", Boolean, nullable=False),
        )
        exams = Table(
            f"training_exams_{suffix}",
            metadata,
            Column("volunteer_id", String(100), primary_key=True),
            Column("attempt", Integer, primary_key=True),
            Column("score", Integer, nullable=False),
            Column("pass_mark", Integer, nullable=False),
            Column("passed", Boolean, nullable=False),
            Column("taken_at", DateTime, nullable=False),
        )
        volunteers = Table(
            f"training_volunteers_{suffix}",
            metadata,
            Column("volunteer_id", String(100), primary_key=True),
            Column("aggregate_id", String(36), nullable=False, unique=True),
            Column("county", String(200), nullable=False),
            Column("station", String(200), nullable=False),
            Column("community", String(200), nullable=False),
            Column("status", String(16), nullable=False),
            Column("admitted_at", DateTime),
            Column("certified", String(16)),
            Column("certified_at", DateTime),
            Column("certified_by", String(100)),
            Column("suspended_year", Integer),
            Column("suspended_norm_halves", Integer),  # the norm it was decided against
            Column("suspended_at", DateTime),
            Column("suspended_by", String(100)),
        )
        level_indexes(volunteers, "{level}")
        records = Table(
            f"training_records_{suffix}",
            metadata,
            Column("record_id", String(36), primary_key=True),
            Column("volunteer_id", String(100), nullable=False),
        )
        gates = Table(
            f"training_gates_{suffix}",
            metadata,
            Column("county", String(200), primary_key=True),
            Column("switched_at", DateTime, nullable=False),
            Column("switched_by", String(100), nullable=False),
            Column("legacy", Integer, nullable=False),
        )
        return {
            "sessions": sessions,
            "attendance": attendance,
            "credits": credits,
            "exams": exams,
            "volunteers": volunteers,
            "records": records,
            "gates": gates,
        }

    # -- sessions and attendance --------------------------------------------------------

    @handles("TrainingSession.Scheduled")
    def scheduled(self, conn: Connection, t: Tables, e: Any) -> None:
        county, station, _ = unit_path(e.unit)
        conn.execute(
            insert(t["sessions"]).values(
                session_id=str(e.originator_id), unit=e.unit, county=county, station=station,
                kind=e.kind, topic=e.topic, instructor=e.instructor, day=e.day,
                halves=int(e.halves), mode=e.mode, place=e.place, status="scheduled",
                present=0, corrections=0, scheduled_at=utc(e.timestamp),
            )
        )  # fmt: skip

    @handles("TrainingSession.Cancelled")
    def cancelled(self, conn: Connection, t: Tables, e: Any) -> None:
        sessions = t["sessions"]
        conn.execute(
            update(sessions)
            .where(sessions.c.session_id == str(e.originator_id))
            .values(status="cancelled")
        )

    @handles("TrainingSession.AttendanceRecorded")
    def attended(self, conn: Connection, t: Tables, e: Any) -> None:
        conn.execute(
            insert(t["attendance"]).values(
                session_id=str(e.originator_id),
                volunteer_id=e.volunteer_id,
                present=True,
                corrected=False,
            )
        )
        self._present(conn, t, e, 1, corrected=0)

    @handles("TrainingSession.AttendanceCorrected")
    def corrected(self, conn: Connection, t: Tables, e: Any) -> None:
        table = t["attendance"]
        key = (table.c.session_id == str(e.originator_id)) & (
            table.c.volunteer_id == e.volunteer_id
        )
        found = conn.execute(table.select().where(key)).first()
        was = bool(found.present) if found is not None else False
        if found is None:
            conn.execute(
                insert(table).values(
                    session_id=str(e.originator_id),
                    volunteer_id=e.volunteer_id,
                    present=bool(e.present),
                    corrected=True,
                )
            )
        else:
            conn.execute(update(table).where(key).values(present=bool(e.present), corrected=True))
        self._present(conn, t, e, int(bool(e.present)) - int(was), corrected=1)

    @staticmethod
    def _present(conn: Connection, t: Tables, e: Any, by: int, *, corrected: int) -> None:
        sessions = t["sessions"]
        conn.execute(
            update(sessions)
            .where(sessions.c.session_id == str(e.originator_id))
            .values(present=sessions.c.present + by, corrections=sessions.c.corrections + corrected)
        )

    # -- the volunteer's record ------------------------------------------------------------

    @handles("TrainingRecord.DayCredited")
    def credited(self, conn: Connection, t: Tables, e: Any) -> None:
        conn.execute(
            insert(t["credits"]).values(
                volunteer_id=self._volunteer(conn, t, e), session_id=e.session_id, day=e.day,
                halves=int(e.halves), kind=e.kind, mode=e.mode,
                before_certification=bool(e.before_certification),
            )
        )  # fmt: skip

    @handles("TrainingRecord.CreditWithdrawn")
    def withdrawn(self, conn: Connection, t: Tables, e: Any) -> None:
        credits = t["credits"]
        conn.execute(
            credits.delete().where(
                credits.c.volunteer_id == self._volunteer(conn, t, e),
                credits.c.session_id == e.session_id,
            )
        )

    @handles("TrainingRecord.ExamRecorded")
    def examined(self, conn: Connection, t: Tables, e: Any) -> None:
        conn.execute(
            insert(t["exams"]).values(
                volunteer_id=self._volunteer(conn, t, e), attempt=int(e.attempt),
                score=int(e.score), pass_mark=int(e.pass_mark), passed=bool(e.passed),
                taken_at=utc(e.timestamp),
            )
        )  # fmt: skip

    @handles("TrainingRecord.Certified")
    def certified(self, conn: Connection, t: Tables, e: Any) -> None:
        volunteers = t["volunteers"]
        conn.execute(
            update(volunteers)
            .where(volunteers.c.volunteer_id == self._volunteer(conn, t, e))
            .values(certified=e.basis, certified_at=utc(e.timestamp), certified_by=e.actor.id)
        )

    @handles("TrainingRecord.Suspended")
    def suspended(self, conn: Connection, t: Tables, e: Any) -> None:
        volunteers = t["volunteers"]
        conn.execute(
            update(volunteers)
            .where(volunteers.c.volunteer_id == self._volunteer(conn, t, e))
            .values(
                suspended_year=int(e.year), suspended_norm_halves=int(e.norm_halves),
                suspended_at=utc(e.timestamp), suspended_by=e.actor.id,
            )
        )  # fmt: skip

    @handles("TrainingRecord.SuspensionLifted")
    def lifted(self, conn: Connection, t: Tables, e: Any) -> None:
        volunteers = t["volunteers"]
        conn.execute(
            update(volunteers)
            .where(volunteers.c.volunteer_id == self._volunteer(conn, t, e))
            .values(
                suspended_year=None, suspended_norm_halves=None, suspended_at=None,
                suspended_by=None,
            )
        )  # fmt: skip

    @handles("TrainingRecord.Opened")
    def opened(self, conn: Connection, t: Tables, e: Any) -> None:
        conn.execute(
            insert(t["records"]).values(record_id=str(e.originator_id), volunteer_id=e.volunteer_id)
        )

    @staticmethod
    def _volunteer(conn: Connection, t: Tables, e: Any) -> str:
        """The volunteer a record's event is about, as its opening named him."""
        records = t["records"]
        found = conn.execute(
            select(records.c.volunteer_id).where(records.c.record_id == str(e.originator_id))
        ).scalar_one_or_none()
        assert found is not None, "an event of a training record never opened"
        return str(found)

    # -- volunteers and gates ---------------------------------------------------------------

    @handles("Volunteer.Applied")
    def applied(self, conn: Connection, t: Tables, e: Any) -> None:
        county, station, community = unit_path(e.community)
        conn.execute(
            insert(t["volunteers"]).values(
                volunteer_id=e.volunteer_id, aggregate_id=str(e.originator_id),
                county=county, station=station, community=community, status="applied",
            )
        )  # fmt: skip

    @handles("Volunteer.Admitted", "Volunteer.Rejected", "Volunteer.StatusChanged")
    def status(self, conn: Connection, t: Tables, e: Any) -> None:
        volunteers = t["volunteers"]
        status = {"Admitted": "active", "Rejected": "rejected"}.get(
            type(e).__name__, getattr(e, "status", None)
        )
        admitted = {"admitted_at": utc(e.timestamp)} if type(e).__name__ == "Admitted" else {}
        conn.execute(
            update(volunteers)
            .where(volunteers.c.aggregate_id == str(e.originator_id))
            .values(status=status, **admitted)
        )

    @handles("DutyGate.SwitchedOn")
    def switched_on(self, conn: Connection, t: Tables, e: Any) -> None:
        conn.execute(
            insert(t["gates"]).values(
                county=e.county, switched_at=utc(e.timestamp), switched_by=e.actor.id,
                legacy=len(e.legacy),
            )
        )  # fmt: skip
