"""Proving the stored history, as an auditor asks for it.

The whole verification (``loop.storage.verification``): the chain, the writers'
signatures, the snapshots, the seals and the witness, with whichever proof keys
this process can have (``loop.storage.proof_keys``: a key it cannot have is
noted, not refused); and the snapshots this process refused on loading and
replayed instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loop.settings import Settings
from loop.storage.application import LoopApplication
from loop.storage.chain_readers import open_chain_reader
from loop.storage.findings import Report
from loop.storage.proof_keys import proof_keys_held
from loop.storage.verification import verify
from loop.storage.witness import Witness


@dataclass
class Proof:
    report: Report
    snapshots_refused: list[str] = field(default_factory=list)
    """``<aggregate> v<version>: <why>`` for each snapshot a load here did not trust."""


def prove(settings: Settings, app: LoopApplication) -> Proof:
    """Verify the store the settings name, reading its witness if there is one."""
    witness = Witness.for_settings(settings).read()
    keys, notes = proof_keys_held(settings)
    with open_chain_reader(settings.database_url) as reader:
        report = verify(reader, keys, witness=witness.seals if witness.exists else None)
    report.notes += notes + witness.problems
    refused = getattr(app.snapshots, "rejected", {})
    return Proof(report, [f"{key} v{version}: {why}" for (key, version), why in refused.items()])
