"""Verification of the stored snapshots against their records and the chain.

Every snapshot record (``loop.storage.snapshots``) is read in the order snapshots were
taken: its snapshot must still be stored, must hash, with the chain's digest at
its version, to the record's digest, and (with the record key) the record's MAC
must be the county's. Records are numbered without gaps, so one deleted from the
middle leaves a gap, and a seal counts them, so one deleted from the end falls
short of the count. A stored snapshot without a record was inserted. Records
of snapshots taken before records existed carry no MAC, and a store never opened
since has no record table at all: such snapshots are counted, and never used.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

from loop.storage.chain_readers import ChainReader
from loop.storage.findings import Damage
from loop.storage.snapshots import SNAPSHOT_CHAIN_TABLE, record_mac, snapshot_digest


@dataclass
class SnapshotFindings:
    damage: list[Damage] = field(default_factory=list)
    records: int = 0
    unsigned: int = 0
    """Records from before snapshots were signed (their snapshots are never used)."""


def check_snapshots(
    reader: ChainReader, record_key: bytes | None, sealed_records: int | None
) -> SnapshotFindings:
    """The damage to snapshots and their records; ``sealed_records`` is the most
    records any seal counted."""
    found = SnapshotFindings()
    expected, signed_seen = 1, False
    for row in reader.snapshot_records():
        seq, key, version, mac = row[0], row[1], row[2], row[4]
        found.records += 1
        if seq != expected:
            found.damage.append(
                Damage(
                    "snapshot_deleted",
                    None,
                    None,
                    None,
                    f"snapshot records {expected} to {seq - 1} are gone",
                )
            )
        expected = seq + 1
        problem = _problem(row, record_key, signed_seen)
        if mac is not None:
            signed_seen = True
        elif problem is None:
            found.unsigned += 1
        if problem is not None:
            kind, detail = problem
            found.damage.append(Damage(kind, key, version, None, f"record {seq}: {detail}"))
    if sealed_records is not None and expected - 1 < sealed_records:
        found.damage.append(
            Damage(
                "snapshot_deleted",
                None,
                None,
                None,
                f"a seal counted {sealed_records} snapshot records; "
                f"{expected - 1} remain (the last ones are gone)",
            )
        )
    unrecorded = reader.unrecorded_snapshots()
    if not reader.has_table(SNAPSHOT_CHAIN_TABLE):  # a store from before records existed
        found.unsigned += len(unrecorded)  # never used; a seal's count shows a dropped table
        return found
    for key, version in unrecorded:
        found.damage.append(
            Damage("snapshot_inserted", key, version, None, "stored snapshot has no record")
        )
    return found


def _problem(
    row: tuple[Any, ...], record_key: bytes | None, signed_seen: bool
) -> tuple[str, str] | None:
    seq, key, version, digest, mac, chained, topic, state = row
    if state is None:
        return "snapshot_deleted", "the snapshot it vouches for is gone"
    if chained is None:
        return "snapshot_altered", "its version is no longer in the chain"
    recomputed = snapshot_digest(bytes(chained), str(key), int(version), str(topic), state)
    if recomputed != bytes(digest):
        return "snapshot_altered", "stored bytes or the chain at its version differ from it"
    if mac is None:
        if signed_seen:
            return "snapshot_altered", "its MAC was removed (records before it are signed)"
        return None
    if record_key is not None and not hmac.compare_digest(
        record_mac(record_key, int(seq), recomputed), bytes(mac)
    ):
        return "snapshot_altered", "its record is not signed with the county's record key"
    return None
