"""The county's proof keys, looked up in one place.

Two HMAC-SHA256 keys prove the stored history:

* the **seal key** signs seals (``loop.storage.seals``): the log's head at a moment,
  printed, published and written to the witness. It stays on the host that
  seals.
* the **record key** signs what the writers store beside the events: each chain
  row's log value and each snapshot record (``loop.storage.chain``, ``loop.storage.snapshots``).
  Someone who can write to the database but holds no record key cannot append,
  rewrite or re-chain a row, nor forge a snapshot the service would use. Every
  process that writes or verifies holds it.

In development both have shipped values, so a fresh checkout seals and verifies.
Elsewhere there is no default: an unset seal key means nothing is sealed and no
seal is authenticated (the commands refuse and say why); an unset record key is
derived from the seal key when that is set (one machine holding both), else rows
are written unsigned and snapshots are neither taken nor used.

:func:`proof_keys` is the only place the keys are looked up (a per-installation
keys file can be added here without touching its callers).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Protocol

from loop.errors import InvalidInput

DEVELOPMENT_SEAL_KEY = "lishu-development-seal-key"
DEVELOPMENT_RECORD_KEY = "lishu-development-record-key"
DEVELOPMENT = "development"


class HasProofSettings(Protocol):
    environment: str
    seal_key: str | None
    record_key: str | None


@dataclass(frozen=True)
class ProofKeys:
    seal: bytes | None
    """Signs and authenticates seals; None: nothing can be sealed or authenticated."""
    record: bytes | None
    """Signs chain rows and snapshot records; None: rows unsigned, no snapshots."""

    def require_seal(self) -> bytes:
        """The seal key, or a refusal saying how to configure one."""
        if self.seal is None:
            raise SealKeyMissing(
                "未配置封存密钥（LISHU_SEAL_KEY）：不能封存，也不能验证封存记录",
                "no seal key is configured (LISHU_SEAL_KEY): nothing can be sealed "
                "and no seal can be authenticated",
                field="seal_key",
            )
        return self.seal


class SealKeyMissing(InvalidInput):
    code = "seal_key_missing"


def derive_record_key(seal_key: bytes) -> bytes:
    """The record key of a machine given only a seal key: a one-way derivation, so
    the record key never reveals the seal key."""
    return hmac.digest(seal_key, b"lishu record key v1", hashlib.sha256)


def proof_keys(settings: HasProofSettings) -> ProofKeys:
    """The seal and record keys the settings configure (see the module docstring)."""
    development = settings.environment == DEVELOPMENT
    seal = settings.seal_key or (DEVELOPMENT_SEAL_KEY if development else None)
    seal_bytes = seal.encode() if seal else None
    if settings.record_key:
        record: bytes | None = settings.record_key.encode()
    elif settings.seal_key:
        record = derive_record_key(settings.seal_key.encode())
    else:
        record = DEVELOPMENT_RECORD_KEY.encode() if development else None
    return ProofKeys(seal=seal_bytes, record=record)
