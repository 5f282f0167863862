"""Which seals verification trusts, and what is wrong with the others.

Seals come from three places: the database's seal table, the witness kept
outside the database (``loop.storage.witness``), and a seal kept elsewhere and given on
the command line (``--against``). With the seal key each is authenticated; the
table's seals must also chain (each names the MAC of the one before). Every
witnessed seal must be in the table, unchanged: a missing one (the table
dropped, shortened or rewritten) is reported. The seals that pass are the
checkpoints the log pass compares the recomputed head with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from loop.storage.findings import Damage, Report
from loop.storage.proof_keys import ProofKeys
from loop.storage.seals import Seal

Checkpoints = dict[int, list[tuple[str, Seal]]]
"""Notification id -> the seals (with a label for findings) that fix the head there."""


@dataclass
class Sealed:
    checkpoints: Checkpoints = field(default_factory=dict)
    damage: list[Damage] = field(default_factory=list)
    macs_from: int | None = None
    """From here on every chain row was signed, as a seal says."""
    snapshots: int | None = None
    """The most snapshot records a seal counted."""

    def add(self, label: str, seal: Seal) -> None:
        here = self.checkpoints.setdefault(seal.up_to, [])
        if not any((s.head, s.events) == (seal.head, seal.events) for _, s in here):
            here.append((label, seal))
        self.demand(seal)
        if seal.snapshots is not None:
            self.snapshots = max(self.snapshots or 0, seal.snapshots)

    def demand(self, seal: Seal) -> None:
        """Take the seal's word that rows were signed from ``macs_from`` on; any
        seal's, even one that does not authenticate: it can only make the check
        stricter."""
        if seal.macs_from is not None:
            self.macs_from = min(self.macs_from or seal.macs_from, seal.macs_from)


def unauthentic(label: str, seal: Seal, why: str) -> Damage:
    return Damage("seal_unauthentic", None, None, seal.up_to, f"{label} {why}")


def sealed(
    table: Sequence[Seal],
    keys: ProofKeys,
    report: Report,
    *,
    against: Seal | None = None,
    witness: Sequence[Seal] | None = None,
) -> Sealed:
    """Authenticate and compare the seals; the trusted ones become checkpoints.

    Without the seal key nothing is authenticated (a note says so) and every seal
    is a checkpoint; a seal given to check against needs the key
    (``SealKeyMissing``)."""
    found = Sealed()
    key = keys.require_seal() if against is not None else keys.seal
    previous = ""
    for seal in table:
        label = f"seal {seal.seq}"
        found.demand(seal)
        if key is not None and not seal.authentic(key):
            found.damage.append(unauthentic(label, seal, "is not signed with the county's key"))
        elif key is not None and seal.previous != previous:
            found.damage.append(unauthentic(label, seal, "does not follow the seal before it"))
        else:
            found.add(label, seal)
        previous = seal.mac
    if against is not None:
        assert key is not None
        if against.authentic(key):
            found.add(f"the given seal {against.seq}", against)
        else:
            found.demand(against)
            found.damage.append(
                unauthentic(f"the given seal {against.seq}", against, "is not the county's")
            )
    if witness is not None:
        _compare_witness(table, witness, key, found, report)
    report.last_seal = table[-1] if table else None
    if report.last_seal is not None:
        report.seal_authenticated = None if key is None else report.last_seal.authentic(key)
    if key is None and (table or witness):
        report.notes.append("封存未验证（无封存密钥）seals not authenticated: no seal key")
    return found


def _compare_witness(
    table: Sequence[Seal],
    witness: Sequence[Seal],
    key: bytes | None,
    found: Sealed,
    report: Report,
) -> None:
    by_seq = {s.seq: s for s in table}
    for seal in witness:
        label = f"witnessed seal {seal.seq}"
        if key is not None and not seal.authentic(key):
            found.damage.append(unauthentic(label, seal, "is not signed with the county's key"))
            found.demand(seal)
            continue
        found.add(label, seal)
        stored = by_seq.get(seal.seq)
        if stored is None:
            found.damage.append(
                Damage(
                    "seal_missing",
                    None,
                    None,
                    seal.up_to,
                    f"{label} (notification {seal.up_to}) is missing from the seal table, "
                    f"which holds {len(table)} seal(s) to the witness's {len(witness)}",
                )
            )
        elif not stored.same_as(seal):
            found.damage.append(
                Damage(
                    "seal_missing",
                    None,
                    None,
                    seal.up_to,
                    f"seal {seal.seq} in the table differs from the witnessed one",
                )
            )
    unwitnessed = sorted(set(by_seq) - {s.seq for s in witness})
    if unwitnessed:
        report.notes.append(
            f"见证文件中没有封存 {unwitnessed} seals not in the witness: {unwitnessed}"
        )
