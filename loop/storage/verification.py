"""Verify the stored history against its hash chain, signatures, seals and witness.

Two passes over the stored rows, each in bounded memory:

* in aggregate order over the events table: versions run 1, 2, 3... without a
  gap, every event has a chain row, and each digest recomputes from the stored
  bytes and the aggregate's previous digest;
* in notification order over the chain table: every chained event is still
  stored under the same aggregate and version, and the log chain recomputes.

Then, with the record key, the last chain row's MAC authenticates the whole log
(rows appended or a history re-chained by someone without the key fail it, from
the first forged row on); the snapshots are checked against their records
(``loop.storage.snapshot_checks``); and the seals, from the seal table, the witness and
the command line, are authenticated and compared (``loop.storage.seal_checks``): the
log must reach every trusted seal's notification with the sealed head there.

Nothing here knows an aggregate kind: every aggregate in the log (incidents,
volunteers, accounts, and kinds added later) is chained, checked and reported
by its id and version the same way.

``seal`` verifies, then signs the log's head (``loop.storage.seals``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from loop.storage.chain import GENESIS, event_digest, log_link, row_authentic
from loop.storage.chain_readers import BATCH, ChainReader
from loop.storage.findings import Damage, Report
from loop.storage.proof_keys import NO_KEYS, ProofKeys
from loop.storage.seal_checks import Checkpoints, sealed
from loop.storage.seals import Seal
from loop.storage.snapshot_checks import check_snapshots

Progress = Callable[[int, int], None]


class SealRefused(ValueError):
    """The log cannot be sealed as it stands (damaged, or shorter than witnessed)."""


def verify(
    reader: ChainReader,
    keys: ProofKeys = NO_KEYS,
    *,
    against: Seal | None = None,
    witness: Sequence[Seal] | None = None,
    progress: Progress | None = None,
) -> Report:
    """Check the whole log; with ``keys``, also the signatures and the seals' MACs;
    with ``against``, a seal kept outside the database (it needs the seal key);
    with ``witness``, the seals the witness holds (None: no witness consulted).

    The aggregate pass runs first and counts the chain rows it found in place
    beside their events; when that is every chain row, the log pass reads the
    chain table alone, and otherwise joins the events again to say which
    chained event was deleted or moved.
    """
    report = Report()
    seals = sealed(reader.seals(), keys, report, against=against, witness=witness)
    total = reader.count() * 2
    events_damage, in_place = _check_aggregates(reader, progress, total)
    remaining = _copy(seals.checkpoints)
    log_damage = _check_log(reader, report, remaining, progress, total, with_events=False)
    if report.events != in_place:
        remaining = _copy(seals.checkpoints)
        log_damage = _check_log(reader, report, remaining, progress, total, with_events=True)
    report.damage = log_damage + events_damage
    for checkpoint in remaining.values():  # sealed notifications no longer in the chain
        for label, seal in checkpoint:
            report.damage.append(_gone(label, seal, report.up_to))
    if keys.record is not None:
        _check_signatures(reader, keys.record, report, seals.macs_from)
    else:
        report.notes.append("行签名未验证（无记录密钥）chain rows not authenticated: no record key")
    snapshots = check_snapshots(reader, keys.record, seals.snapshots)
    report.snapshots = snapshots.records
    report.damage += snapshots.damage + seals.damage
    if snapshots.unsigned:
        report.notes.append(
            f"{snapshots.unsigned} 个快照早于快照签名，从不使用 "
            f"{snapshots.unsigned} snapshots predate signed records and are never used"
        )
    return report


def _copy(checkpoints: Checkpoints) -> Checkpoints:
    return {nid: list(seals) for nid, seals in checkpoints.items()}


def _gone(label: str, seal: Seal, last: int) -> Damage:
    if seal.up_to > last:
        return Damage(
            "log_truncated",
            None,
            None,
            seal.up_to,
            f"the log ends at notification {last}, but {label} fixed its head at "
            f"notification {seal.up_to} ({seal.events} events): events were removed "
            "from its end",
        )
    return Damage(
        "seal_mismatch",
        None,
        None,
        seal.up_to,
        f"{label} covers notification {seal.up_to}, which is gone",
    )


def _check_signatures(
    reader: ChainReader, key: bytes, report: Report, macs_from: int | None
) -> None:
    """The last row's MAC authenticates the log up to it; on failure, every row back
    to the last authentic one is reported as one forged run. Rows that carry no
    MAC though rows before them do are reported too."""
    first = reader.first_signed()
    candidates = [n for n in (first, macs_from) if n is not None]
    if not candidates:
        if report.events:
            report.notes.append(
                "没有已签名的链行（写入时无记录密钥）no chain row is signed: "
                "the log was written without a record key"
            )
        return
    boundary = min(candidates)
    forged: list[int] = []
    rows = reader.chain_backwards()
    for nid, log, mac in rows:
        if nid < boundary or row_authentic(key, bytes(log), mac):
            break
        forged.append(nid)
    getattr(rows, "close", lambda: None)()
    if forged:
        start, end = forged[-1], forged[0]
        report.damage.append(
            Damage(
                "unauthenticated",
                *reader.chained(start),
                start,
                f"notifications {start} to {end} ({len(forged)} rows) are not signed with "
                "the county's record key: appended, or the log rewritten from here on",
            )
        )
    for nid in reader.unsigned(boundary - 1, forged[-1] if forged else report.up_to + 1):
        report.damage.append(
            Damage(
                "unauthenticated",
                *reader.chained(nid),
                nid,
                "chain row carries no MAC, though rows before it are signed",
            )
        )
    legacy = reader.unsigned(0, boundary)
    if legacy:
        report.notes.append(
            f"{len(legacy)} 个链行早于行签名 {len(legacy)} chain rows predate signing "
            "(seals cover them)"
        )


def _check_log(
    reader: ChainReader,
    report: Report,
    checkpoints: Checkpoints,
    progress: Progress | None,
    total: int,
    *,
    with_events: bool,
) -> list[Damage]:
    damage: list[Damage] = []
    log, n, nid = GENESIS, 0, 0
    for n, row in enumerate(reader.chain_in_log_order(with_events), 1):
        nid, digest, stored_log = row[0], row[1], row[2]
        if with_events and (row[5] != row[3] or row[6] != row[4]):
            damage.append(_misplaced(nid, *row[3:]))
        log = log_link(log, nid, bytes(digest))
        if log != stored_log:
            damage.append(
                Damage(
                    "log_broken",
                    *_where(reader, row),
                    nid,
                    "log chain does not recompute: an event before this "
                    "one was removed, inserted or its digest rewritten",
                )
            )
            log = bytes(stored_log)  # resynchronise, so each break is reported once
        for label, seal in checkpoints.pop(nid, ()) if checkpoints else ():
            if (log.hex(), n) != (seal.head, seal.events):
                damage.append(
                    Damage(
                        "seal_mismatch",
                        *_where(reader, row),
                        nid,
                        f"history up to {label} differs from the sealed head",
                    )
                )
        if progress and n % BATCH == 0:
            progress(total // 2 + n, total)
    report.events, report.head, report.up_to = n, log.hex(), nid
    return damage


def _where(reader: ChainReader, row: tuple[Any, ...]) -> tuple[str, int]:
    """The aggregate key and version of a log pass row, looked up if not read."""
    return (row[3], row[4]) if len(row) > 3 else reader.chained(row[0])


def _misplaced(
    nid: int, key: str, version: int, event_key: str | None, event_version: int | None
) -> Damage:
    if event_key is None:
        return Damage(
            "deleted", key, version, nid, "chained event is missing from the events table"
        )
    return Damage(
        "moved", key, version, nid, f"notification now holds {event_key} v{event_version}"
    )


def _check_aggregates(
    reader: ChainReader, progress: Progress | None, total: int
) -> tuple[list[Damage], int]:
    """The damage found in aggregate order, and how many chain rows were in place."""
    damage: list[Damage] = []
    in_place = 0
    current, expected, previous = None, 1, GENESIS
    for n, row in enumerate(reader.events_in_aggregate_order(), 1):
        key, version, topic, state, nid, digest = row
        if key != current:
            current, expected, previous = key, 1, GENESIS
        if version != expected:
            damage.append(
                Damage(
                    "deleted",
                    key,
                    expected,
                    None,
                    f"versions jump from {expected - 1} to {version}",
                )
            )
        recomputed = event_digest(previous, key, version, topic, state)
        if digest is None:
            damage.append(Damage("inserted", key, version, nid, "stored event has no chain row"))
        else:
            in_place += 1
            if recomputed != digest:
                damage.append(
                    Damage(
                        "altered",
                        key,
                        version,
                        nid,
                        "stored bytes or the previous event do not match the digest",
                    )
                )
        previous, expected = (bytes(digest) if digest is not None else recomputed), version + 1
        if progress and n % BATCH == 0:
            progress(n, total)
    return damage, in_place


def seal(
    reader: ChainReader,
    keys: ProofKeys,
    now: datetime,
    *,
    witness: Sequence[Seal] | None = None,
) -> tuple[Seal, Report]:
    """Verify, then seal the log up to its last notification and store the seal.

    Refuses (``SealRefused``) a damaged log, and a head shorter than one already
    witnessed: a log cut short is never certified. Writing the seal to the
    witness is the caller's (``loop.storage.sealing``)."""
    key = keys.require_seal()
    report = verify(reader, keys, witness=witness)
    if not report.intact:
        raise SealRefused(report.summary())
    for witnessed in witness or ():
        if (report.up_to, report.events) < (witnessed.up_to, witnessed.events):
            raise SealRefused(
                f"the log's head (notification {report.up_to}) is shorter than "
                f"witnessed seal {witnessed.seq} (notification {witnessed.up_to})"
            )
    table = reader.seals()
    new = Seal(
        seq=max([s.seq for s in [*table, *(witness or ())]], default=0) + 1,
        up_to=report.up_to,
        events=report.events,
        head=report.head,
        sealed_at=now.isoformat(),
        previous=table[-1].mac if table else "",
        mac="",
        snapshots=report.snapshots,
        macs_from=reader.first_signed(),
    ).signed(key)
    reader.add_seal(new)
    return new, report
