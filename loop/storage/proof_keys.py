"""The county's proof keys, as verification and sealing use them.

Two HMAC-SHA256 keys prove the stored history:

* the **seal key** signs seals (``loop.storage.seals``): the log's head at a moment,
  printed, published and written to the witness.
* the **record key** signs what the writers store beside the events: each chain
  row's log value and each snapshot record (``loop.storage.chain``,
  ``loop.storage.snapshots``). Someone who can write to the database but holds no
  record key cannot append, rewrite or re-chain a row, nor forge a snapshot the
  service would use. Every process that writes or verifies holds it.

Both are the installation's: ``LISHU_SEAL_KEY`` / ``LISHU_RECORD_KEY`` if given,
else the random keys of the installation's keys file (``loop.storage.keys_file``,
which looks each up in one place); nothing is shipped in the source, and
production refuses a weak key.
"""

from __future__ import annotations

from dataclasses import dataclass

from loop.errors import InvalidInput
from loop.settings import Settings
from loop.storage.keys_file import KeyRefused, record_key, seal_key


@dataclass(frozen=True)
class ProofKeys:
    seal: bytes | None
    """Signs and authenticates seals; None: no seal can be made or authenticated."""
    record: bytes | None
    """Signs chain rows and snapshot records; None: rows unsigned, no snapshots."""

    def require_seal(self) -> bytes:
        """The seal key, or a refusal saying how to configure one."""
        if self.seal is None:
            raise SealKeyMissing(
                "没有封存密钥：不能封存，也不能验证封存记录",
                "no seal key: nothing can be sealed and no seal can be authenticated",
                field="seal_key",
            )
        return self.seal


class SealKeyMissing(InvalidInput):
    code = "seal_key_missing"


NO_KEYS = ProofKeys(seal=None, record=None)


def proof_keys(settings: Settings) -> ProofKeys:
    """The installation's seal and record keys (a refusal, ``KeyRefused``, for a key
    production does not accept, or a shared store's missing keys file)."""
    return ProofKeys(seal=seal_key(settings), record=record_key(settings))


def proof_keys_held(settings: Settings) -> tuple[ProofKeys, list[str]]:
    """The keys this process can have, and a note for each it cannot (for a report
    that goes on without them rather than refusing)."""
    notes = []
    try:
        seal: bytes | None = seal_key(settings)
    except KeyRefused as refused:
        seal = None
        notes.append(f"封存未验证 seals not authenticated: {refused.message_en}")
    try:
        record: bytes | None = record_key(settings)
    except KeyRefused as refused:
        record = None
        notes.append(f"行签名未验证 rows not authenticated: {refused.message_en}")
    return ProofKeys(seal=seal, record=record), notes
