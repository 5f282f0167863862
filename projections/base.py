"""What every projection is: a name, a version, its tables and its event handlers.

Events are matched by the class part of their topic (``Incident.Discovered``,
``PointsAccount.Deposited``), so a projection needs no import of the aggregates
and keeps working when an aggregate module moves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar

from sqlalchemy import Connection, Index, MetaData, Table

from projections.errors import UnknownUnit

Tables = dict[str, Table]
Handler = Callable[..., None]

LEVELS = ("county", "station", "community")
"""The levels of a unit path a read model keeps a column for (``unit_path``)."""

CHINA = timezone(timedelta(hours=8))
"""Asia/Shanghai (UTC+8, no daylight saving since 1991): months are counted here."""


def handles(*names: str) -> Callable[[Handler], Handler]:
    """Mark a method as the handler of the events named ``Aggregate.Event``."""

    def mark(method: Handler) -> Handler:
        method.__dict__.setdefault("_handles", []).extend(names)
        return method

    return mark


def event_name(topic: str) -> str:
    """``aggregates.incident:Incident.Discovered`` -> ``Incident.Discovered``."""
    return topic.rpartition(":")[2]


class Projection:
    """A read model built from the notification log.

    Subclasses set ``name`` and ``version``, define their tables in ``define``
    (table names end with the build's suffix) and mark handlers with ``@handles``.
    Bump ``version`` whenever the tables or the handlers change meaning: the new
    version is built beside the old one and replaces it once caught up.
    """

    name: ClassVar[str]
    version: ClassVar[int]
    handlers: ClassVar[dict[str, Handler]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[str, Handler] = {}
        for klass in reversed(cls.__mro__):
            for attribute in vars(klass).values():
                for name in getattr(attribute, "_handles", ()):
                    found[name] = attribute
        cls.handlers = found

    def define(self, metadata: MetaData, suffix: str) -> Tables:
        """This projection's tables, named with ``suffix``, keyed by a short name."""
        raise NotImplementedError

    def setup(self, conn: Connection) -> None:
        """Create what this projection keeps apart from its builds, which no rebuild
        drops (none by default); run before its first batch in every process."""

    def apply_batch(self, conn: Connection, tables: Tables, events: list[tuple[str, Any]]) -> None:
        """Apply one batch of ``(name, event)`` in log order (in the batch's
        transaction). By default each handled event is applied on its own."""
        for name, domain_event in events:
            self.apply(conn, tables, name, domain_event)

    def apply(self, conn: Connection, tables: Tables, name: str, domain_event: Any) -> None:
        """Apply one event, named ``Aggregate.Event``, to this projection's tables."""
        handler = self.handlers.get(name)
        if handler is not None:
            handler(self, conn, tables, domain_event)


# -- helpers shared by the projections ----------------------------------------------


def utc(moment: datetime | None) -> datetime | None:
    """Stored moments are naive UTC, the same on SQLite and PostgreSQL."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment
    if moment.tzinfo is UTC:  # as the log stores them: no conversion
        return moment.replace(tzinfo=None)
    return moment.astimezone(UTC).replace(tzinfo=None)


def aware(moment: datetime | None) -> datetime | None:
    """A stored moment back as an aware UTC datetime."""
    return None if moment is None else moment.replace(tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    value = aware(moment)
    return None if value is None else value.isoformat()


def month_of(moment: datetime) -> str:
    """The Asia/Shanghai month ``YYYY-MM`` of a moment."""
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(CHINA)
    return f"{local.year}-{local.month:02d}"


def unit_path(unit: str | None) -> tuple[str | None, str | None, str | None]:
    """(county, station, community) of a unit path; deeper levels are None."""
    if not unit:
        return None, None, None
    parts = unit.split("/")
    return (
        parts[0],
        "/".join(parts[:2]) if len(parts) >= 2 else None,
        "/".join(parts[:3]) if len(parts) >= 3 else None,
    )


def unit_level(unit: str | None) -> str | None:
    parts = (unit or "").split("/")
    if not all(parts):
        return None
    return {1: "county", 2: "station", 3: "community"}.get(len(parts))


def level_indexes(
    table: Table, *columns: str, levels: tuple[str, ...] = LEVELS, tag: str = ""
) -> None:
    """One index on ``table`` per unit level, ``ix_<table>_<level><tag>``, over
    ``columns`` (``{level}`` in a column's name stands for the level): a list
    within a unit reads along its level's index."""
    for level in levels:
        Index(f"ix_{table.name}_{level}{tag}", *(table.c[c.format(level=level)] for c in columns))


def scope_column(table: Table, unit: str, prefix: str = "") -> Any:
    """The indexed column selecting rows within ``unit`` (county, station or community)."""
    level = unit_level(unit)
    if level is None:
        raise UnknownUnit(f"不是有效的单位：{unit!r}", f"not a unit path: {unit!r}", unit=unit)
    return table.c[prefix + level]
