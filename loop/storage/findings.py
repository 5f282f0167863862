"""What verification finds: damage, each located, and the report that holds it."""

from __future__ import annotations

from dataclasses import dataclass, field

from loop.storage.chain import GENESIS
from loop.storage.seals import Seal

KINDS = {
    "altered": "an event's stored bytes differ from its digest",
    "deleted": "an event, or a version of an aggregate, is missing",
    "inserted": "a stored event has no chain row",
    "moved": "a chain row's notification holds another event",
    "log_broken": "the log chain does not recompute",
    "unauthenticated": "chain rows not signed with the county's record key",
    "log_truncated": "the log ends before a head a seal or the witness holds",
    "seal_mismatch": "the history up to a seal differs from the sealed head",
    "seal_unauthentic": "a seal not signed with the county's seal key",
    "seal_missing": "a witnessed seal is missing from, or differs in, the seal table",
    "snapshot_altered": "a snapshot differs from what its record vouches for",
    "snapshot_inserted": "a stored snapshot without a record",
    "snapshot_deleted": "a snapshot record without its snapshot, or records gone",
}
"""Every kind of damage ``lishu verify`` reports, and what it means."""


@dataclass(frozen=True)
class Damage:
    """One finding: what kind of damage (one of ``KINDS``), where."""

    kind: str
    incident_id: str | None
    version: int | None
    notification_id: int | None
    detail: str


@dataclass
class Report:
    events: int = 0
    head: str = GENESIS.hex()
    up_to: int = 0
    damage: list[Damage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What was not checked, or is worth knowing, without being damage."""
    last_seal: Seal | None = None
    seal_authenticated: bool | None = None
    """Whether the last seal is signed with the county's key; None without a key."""
    snapshots: int = 0
    """Snapshot records checked."""

    @property
    def intact(self) -> bool:
        return not self.damage

    def summary(self) -> str:
        if self.intact:
            lines = [f"完好 intact: {self.events} events, chain head {self.head}"]
        else:
            lines = [f"发现 {len(self.damage)} 处损坏 damaged: {len(self.damage)} finding(s)"]
            lines += [
                f"  {d.kind}: incident {d.incident_id} v{d.version} "
                f"(notification {d.notification_id}): {d.detail}"
                for d in self.damage
            ]
        lines += [f"  注意 note: {note}" for note in self.notes]
        return "\n".join(lines)
