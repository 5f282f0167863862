"""Idempotency keys: a retried command gets the first answer, not a second effect.

The first successful answer is kept here, per user and key, with a digest of the
request: the same key with another request is refused. Every command comes here
through ``api.dispatch``. A report's key also fixes the new incident's id (see
``api.routes.incidents``), so even a retry after a crash between the commit and
this record creates nothing new. Retries arriving while the first is still
running wait for its answer (within one process).

The digest is keyed with the service's secret: a report's body names people, and
a plain hash of it could be matched against guessed phone numbers by anyone
holding the database.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from weakref import WeakValueDictionary

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, select
from sqlalchemy.exc import IntegrityError

from loop.errors import InvalidInput
from projections.store import Store

metadata = MetaData()
answers = Table(
    "api_idempotency",
    metadata,
    Column("username", String(100), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_digest", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

MAX_KEY = 200


class KeyReused(InvalidInput):
    code = "idempotency_key_reused"


def digest(path: str, payload: Any, secret: str) -> str:
    """The keyed digest (HMAC-SHA256) of a request to ``path`` with ``payload``."""
    text = json.dumps([path, payload], sort_keys=True, ensure_ascii=False, default=str)
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY:
        raise InvalidInput(
            f"Idempotency-Key 须为 1 到 {MAX_KEY} 个字符",
            f"Idempotency-Key must be 1 to {MAX_KEY} characters",
            field="Idempotency-Key",
        )
    return key


class KeyLocks:
    """One lock per user and key in this process: a retry sent while the first
    request is still running waits for it, then finds its answer."""

    def __init__(self) -> None:
        self._locks: WeakValueDictionary[tuple[str, str], asyncio.Lock] = WeakValueDictionary()

    @asynccontextmanager
    async def hold(self, username: str, key: str) -> AsyncIterator[None]:
        lock = self._locks.get((username, key))
        if lock is None:
            lock = self._locks[username, key] = asyncio.Lock()
        async with lock:
            yield


class Answers:
    def __init__(self, store: Store, secret: str) -> None:
        self.store = store
        self.secret = secret
        self.locks = KeyLocks()

    def digest(self, path: str, payload: Any) -> str:
        return digest(path, payload, self.secret)

    def setup(self) -> None:
        with self.store.write() as conn:
            metadata.create_all(conn)

    def find(self, username: str, key: str, request_digest: str) -> tuple[int, Any] | None:
        """The answer kept for this user's key; :class:`KeyReused` if the key was
        used for another request."""
        with self.store.read() as conn:
            row = conn.execute(
                select(answers.c.request_digest, answers.c.status, answers.c.body).where(
                    answers.c.username == username, answers.c.key == key
                )
            ).first()
        if row is None:
            return None
        if row.request_digest != request_digest:
            raise KeyReused(
                "该 Idempotency-Key 已用于另一个请求",
                "This Idempotency-Key was used for a different request",
                field="Idempotency-Key",
            )
        return row.status, json.loads(row.body)

    def keep(self, username: str, key: str, request_digest: str, status: int, body: Any) -> None:
        try:
            with self.store.write() as conn:
                conn.execute(
                    answers.insert(),
                    {
                        "username": username,
                        "key": key,
                        "request_digest": request_digest,
                        "status": status,
                        "body": json.dumps(body, ensure_ascii=False, default=str),
                        "created_at": datetime.now(UTC),
                    },
                )
        except IntegrityError:  # a concurrent retry kept its answer first
            pass
