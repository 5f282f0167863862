"""Idempotency keys: a retried command gets the first answer, not a second effect.

The record that a user's key was used, with the command's answer, is stored in the
SAME transaction as the command's events (a key record of the group-commit batch,
``loop.storage.command_keys``): the command and its record are stored together
or not at all, so a retry after any crash finds the first answer (status, body
and position) and runs nothing. The same key with another request is refused.
A retry arriving while the first is still running waits for it: one process's
commands run in turn on its writer, and another process's commit of the same key
fails whole, its command then answered from the key.

Every command comes here through ``api.dispatch``. What is kept is the command's
result (its fields, as JSON) beside its position; the first answer and every
retry are built from that same record.

Keys and requests are stored as keyed digests (HMAC-SHA256 with the
installation's digest key, ``LISHU_DIGEST_KEY`` or the keys file's): a report's
body names people, and a plain hash of it could be matched against guessed phone
numbers by anyone holding the database. Records expire after
``idempotency_hours``; a key sent again after that runs as a new command.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from eventsourcing.utils import get_topic, resolve_topic

from loop.errors import InvalidInput
from loop.storage.command_keys import Once

MAX_KEY = 200


class KeyReused(InvalidInput):
    code = "idempotency_key_reused"


def key_reused() -> KeyReused:
    return KeyReused(
        "该 Idempotency-Key 已用于另一个请求",
        "This Idempotency-Key was used for a different request",
        field="Idempotency-Key",
    )


def digest(path: str, payload: Any, secret: str | bytes) -> str:
    """The keyed digest (HMAC-SHA256) of a request to ``path`` with ``payload``."""
    text = json.dumps([path, payload], sort_keys=True, ensure_ascii=False, default=str)
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY:
        raise InvalidInput(
            f"Idempotency-Key 须为 1 到 {MAX_KEY} 个字符",
            f"Idempotency-Key must be 1 to {MAX_KEY} characters",
            field="Idempotency-Key",
        )
    return key


def kept_result(result: Any) -> str:
    """What is kept of a command's result: a named tuple's type and fields (its
    position is stored beside it), or a plain JSON value."""
    if isinstance(result, tuple) and hasattr(result, "_asdict"):
        kept = {"type": get_topic(type(result)), "fields": result._asdict()}
    else:
        kept = {"value": result}
    return json.dumps(kept, ensure_ascii=False, default=_as_json)


def _as_json(value: Any) -> Any:
    """Dates and times as ISO 8601 (as the API writes them), anything else as text."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def kept_as_result(text: str, position: int | None) -> Any:
    """The result :func:`kept_result` kept, with the position it was stored at."""
    kept = json.loads(text)
    if "type" not in kept:
        return kept["value"]
    kind = resolve_topic(kept["type"])
    if not (isinstance(kind, type) and issubclass(kind, tuple) and hasattr(kind, "_fields")):
        raise TypeError(f"not a command's result: {kept['type']}")
    fields = kept["fields"]
    if "position" in kind._fields:
        fields["position"] = position
    return kind(**fields)


class Answers:
    """The digests of keys and requests, and how long their records are kept."""

    def __init__(self, secret: str | bytes, hours: float = 7 * 24) -> None:
        self.secret = secret.encode() if isinstance(secret, str) else secret
        self.seconds = hours * 3600

    def digest(self, path: str, payload: Any) -> str:
        return digest(path, payload, self.secret)

    def key_of(self, username: str, key: str) -> str:
        """The stored form of a user's key: a keyed digest of the user and the key."""
        text = json.dumps(["idempotency-key", username, key], ensure_ascii=False)
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()

    def once(self, username: str, key: str, request_digest: str) -> Once:
        expires = int(time.time() + self.seconds)
        return Once(self.key_of(username, key), request_digest, kept_result, expires)
