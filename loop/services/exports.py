"""``Exports``: the record of every file of personal data handed out.

An export is made by the HTTP service from the read models; before the file
leaves, its record (who, what, the filters, how many rows, the file's name and
SHA-256 digest) is stored as a :class:`DataExport` event, so it sits in the hash
chain beside the facts it lists, and auditors read it back.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from aggregates.actor import Actor
from aggregates.data_export import DataExport
from loop.errors import InvalidInput
from loop.storage.application import LoopApplication

KINDS = (
    "incidents",
    "backlog",
    "volunteers",
    "ledger",
    "attendance",
    "report",
    "training-shortfall",
    "training-awaiting",
    "roll",
)
FORMATS = ("csv", "xlsx")
DIGEST = re.compile(r"^[0-9a-f]{64}$")


class ExportAck(NamedTuple):
    export_id: str
    position: int | None


class Exports:
    """Records exports in the one application store ``app``."""

    def __init__(self, app: LoopApplication) -> None:
        self.app = app

    def record(
        self,
        actor: Actor,
        *,
        kind: str,
        file_format: str,
        filters: dict[str, Any],
        rows: int,
        digest: str,
        file_name: str,
    ) -> ExportAck:
        """Store the record of one export made by ``actor``."""
        if kind not in KINDS:
            raise InvalidInput(f"未知的导出类型：{kind}", f"unknown export: {kind}", field="kind")
        if file_format not in FORMATS:
            raise InvalidInput(
                f"未知的文件格式：{file_format}", f"unknown format: {file_format}", field="format"
            )
        if not isinstance(rows, int) or rows < 0 or not DIGEST.match(digest):
            raise InvalidInput("导出记录不完整", "an incomplete export record", field="digest")
        export = DataExport.record(
            actor,
            self.app.clock(),
            kind=kind,
            file_format=file_format,
            filters={k: v for k, v in sorted(filters.items()) if v is not None},
            rows=rows,
            digest=digest,
            file_name=file_name,
        )
        return ExportAck(str(export.id), self.app.commit(export))
