"""A data export: a file of personal data that left the system, and who took it.

Each export is an aggregate of its own with one event, ``Recorded``: who made it
(actor id, role, unit), what (the kind of list and the file format), with which
filters, how many rows, the file's name and its SHA-256 digest. Being an event,
it sits in the hash chain with the facts it lists: an auditor can prove which
file was handed to whom, and a later claim about the file can be checked
against the digest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor


class DataExport(Aggregate):
    """One export of personal data (a list of incidents, volunteers, the ledger ...)."""

    class Recorded(Aggregate.Created):
        actor: Actor
        kind: str
        file_format: str
        filters: dict[str, Any]
        rows: int
        digest: str
        file_name: str

    def __init__(
        self,
        actor: Actor,
        kind: str,
        file_format: str,
        filters: dict[str, Any],
        rows: int,
        digest: str,
        file_name: str,
    ) -> None:
        self.actor = actor
        self.kind = kind
        self.file_format = file_format
        self.filters = filters
        self.rows = rows
        self.digest = digest
        self.file_name = file_name

    @classmethod
    def record(
        cls,
        actor: Actor,
        at: datetime,
        *,
        kind: str,
        file_format: str,
        filters: dict[str, Any],
        rows: int,
        digest: str,
        file_name: str,
        export_id: UUID | None = None,
    ) -> DataExport:
        return cls._create(
            cls.Recorded,
            id=export_id or uuid4(),
            timestamp=at,
            actor=actor,
            kind=kind,
            file_format=file_format,
            filters=filters,
            rows=rows,
            digest=digest,
            file_name=file_name,
        )
