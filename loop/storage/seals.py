"""Seals: the log chain's head at a notification, signed with the county's seal key.

A seal is printed as one JSON line (publish it, file it), stored in the
database's seal table and appended to the witness (``loop.storage.witness``). Each seal
names the MAC of the one before it (``previous``), so the seals form a chain of
their own. Seals made since snapshots were recorded also fix how many snapshot
records existed (``snapshots``) and from which notification on every chain row
was signed with the record key (``macs_from``); older seals have neither, and
their MAC covers only the original fields, so they still authenticate.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from loop.errors import InvalidInput


@dataclass(frozen=True)
class Seal:
    """The log chain's head at notification ``up_to``, as printed for publication."""

    seq: int
    up_to: int
    events: int
    head: str
    sealed_at: str
    previous: str
    mac: str
    snapshots: int | None = None
    macs_from: int | None = None

    def content(self) -> bytes:
        """What the MAC covers: every field but the MAC (the newer two only when set)."""
        values: tuple[Any, ...] = (
            self.seq,
            self.up_to,
            self.events,
            self.head,
            self.sealed_at,
            self.previous,
        )
        if self.snapshots is not None or self.macs_from is not None:
            values += (self.snapshots, self.macs_from)
        return json.dumps(values, separators=(",", ":")).encode()

    def signed(self, key: bytes) -> Seal:
        mac = hmac.new(key, self.content(), hashlib.sha256).hexdigest()
        return Seal(**{**asdict(self), "mac": mac})

    def authentic(self, key: bytes) -> bool:
        """Whether the MAC is this county's (signed with ``key``)."""
        return hmac.compare_digest(self.signed(key).mac, str(self.mac))

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Seal:
        """A seal from its JSON; a clear refusal for anything else."""
        try:
            data = json.loads(text)
            known = {f.name for f in fields(cls)}
            if not isinstance(data, dict) or not set(data) <= known:
                raise TypeError("unknown fields")
            seal = cls(**data)
            if not (isinstance(seal.seq, int) and isinstance(seal.up_to, int)):
                raise TypeError("seq and up_to must be integers")
        except (ValueError, TypeError) as error:
            raise InvalidInput(
                "封存记录无法解析：须为 lishu seal 输出的 JSON",
                f"the seal cannot be read: it must be the JSON lishu seal printed ({error})",
                field="against",
            ) from None
        return seal

    def same_as(self, other: Seal) -> bool:
        return asdict(self) == asdict(other)
