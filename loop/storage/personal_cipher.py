"""How personal data is stored in events and snapshots: encrypted per person.

Each :class:`PersonalData` value is stored as the subject id, the field names
and one AES-256-GCM ciphertext of the field values, under the subject's own key
from the key store, with a random 96-bit nonce. The subject id and the field
names are bound as associated data, so a ciphertext moved to another person or
relabelled fails to decrypt. When the subject's key is gone (the person was
forgotten) the value decodes as :meth:`PersonalData.erased_of`: the history
replays with every field shown as 已删除.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Transcoding

from aggregates.personal import PersonalData
from loop.storage.keys import KeyStore

FORMAT = 1
NONCE_BYTES = 12


class PersonalDataUnreadable(Exception):
    """A stored ciphertext does not decrypt under its subject's live key: it was
    altered or moved. (A forgotten subject decodes as erased instead.)"""


def associated_data(subject_id: str, names: list[str]) -> bytes:
    return json.dumps(["lishu-personal", FORMAT, subject_id, names]).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def seal(key: bytes, value: PersonalData) -> dict[str, Any]:
    """The stored form of ``value`` under ``key``."""
    names = value.names
    plaintext = json.dumps([value.fields[n] for n in names], ensure_ascii=False).encode()
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, associated_data(value.subject_id, names))
    return {"v": FORMAT, "s": value.subject_id, "k": names, "n": _b64(nonce), "c": _b64(ciphertext)}


def open_sealed(key: bytes, data: dict[str, Any]) -> PersonalData:
    """The value stored as ``data``; :class:`InvalidTag` if ``key`` is not its key."""
    subject_id: str = data["s"]
    names: list[str] = data["k"]
    plaintext = AESGCM(key).decrypt(
        base64.b64decode(data["n"]),
        base64.b64decode(data["c"]),
        associated_data(subject_id, names),
    )
    return PersonalData(subject_id, dict(zip(names, json.loads(plaintext), strict=True)))


class PersonalDataAsCiphertext(Transcoding):
    """Encrypts :class:`PersonalData` with the subject's key; decodes it back, or as
    erased once the key was destroyed."""

    type = PersonalData
    name = "personal_data"

    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys

    def encode(self, obj: PersonalData) -> dict[str, Any]:
        if obj.erased:  # re-storing a forgotten value (a snapshot): nothing to hide
            return {"v": FORMAT, "s": obj.subject_id, "k": obj.names, "erased": True}
        return seal(self.keys.create(obj.subject_id), obj)

    def decode(self, data: Any) -> PersonalData:
        subject_id: str = data["s"]
        key = None if data.get("erased") else self.keys.get(subject_id)
        if key is None:
            return PersonalData.erased_of(subject_id, data["k"])
        try:
            return open_sealed(key, data)
        except InvalidTag:
            raise PersonalDataUnreadable(
                f"personal data of {subject_id} does not decrypt under its key"
            ) from None
