"""Per-person encryption keys, kept apart from the events.

Every person (subject) whose data the loop holds gets one AES-256 key. The keys
live in a key store of their own, never in the events database: forgetting a
person destroys the key, and every copy of that person's data in the events
(and in their backups) becomes unreadable while the history itself stays
untouched and verifiable.

A destroyed key leaves a tombstone: the subject can never be given a new key,
so nothing new can be written for a forgotten person by mistake.

How a county keeps its keys:

* the key database sits on another disk or host than the events database
  (``LISHU_KEY_STORE_URL``); whoever holds only the events (or their backups)
  holds no personal data;
* key backups are kept apart from event backups, with a shorter retention:
  a restored key backup older than an erasure brings the person back, so
  expire them within the period the county promises for erasure;
* a KMS or HSM adapter implements the same :class:`KeyStore` interface
  (``get``, ``create``, ``exists``, ``forgotten``, ``destroy``), storing
  the data keys wrapped by a master key that never leaves the KMS.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa

from aggregates.errors import DomainError

KEY_BYTES = 32  # AES-256


class SubjectForgotten(DomainError):
    """The person was forgotten: no key can be created for them again."""

    code = "subject_forgotten"


def forgotten_error(subject_id: str, **details: Any) -> SubjectForgotten:
    return SubjectForgotten(
        "此人的个人信息已被删除，不能再为其记录个人信息",
        "This person was forgotten; no personal data can be recorded for them again",
        subject_id=subject_id,
        **details,
    )


class KeyStore(Protocol):
    """Where the per-person keys live."""

    def get(self, subject_id: str) -> bytes | None:
        """The subject's key; ``None`` if it never existed or was destroyed."""

    def create(self, subject_id: str) -> bytes:
        """The subject's key, created if missing; :class:`SubjectForgotten` if destroyed."""

    def create_many(self, subject_ids: Sequence[str]) -> None:
        """Every subject's key, those missing created together (a roll's import)."""

    def exists(self, subject_id: str) -> bool:
        """Whether the subject has a live key."""

    def forgotten(self, subject_id: str) -> bool:
        """Whether the subject's key was destroyed."""

    def destroy(self, subject_id: str) -> bool:
        """Destroy the key and leave a tombstone; ``True`` if a live key was destroyed."""

    def close(self) -> None: ...


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


class InMemoryKeyStore:
    """Keys in a dict: for tests and the ``memory://`` setting."""

    def __init__(self) -> None:
        self._keys: dict[str, bytes | None] = {}
        self._lock = threading.Lock()

    def get(self, subject_id: str) -> bytes | None:
        return self._keys.get(subject_id)

    def create(self, subject_id: str) -> bytes:
        with self._lock:
            if subject_id in self._keys:
                key = self._keys[subject_id]
                if key is None:
                    raise forgotten_error(subject_id)
                return key
            key = self._keys[subject_id] = new_key()
            return key

    def create_many(self, subject_ids: Sequence[str]) -> None:
        for subject_id in subject_ids:
            self.create(subject_id)

    def exists(self, subject_id: str) -> bool:
        return self._keys.get(subject_id) is not None

    def forgotten(self, subject_id: str) -> bool:
        return subject_id in self._keys and self._keys[subject_id] is None

    def destroy(self, subject_id: str) -> bool:
        with self._lock:
            had = self._keys.get(subject_id) is not None
            self._keys[subject_id] = None
            return had

    def close(self) -> None:
        """Nothing to release."""


class NoKeyStore(InMemoryKeyStore):
    """Stands in where no key store was configured: holds no keys and refuses
    to create one, so no personal data is written that could not be read back."""

    def create(self, subject_id: str) -> bytes:
        raise RuntimeError(
            f"no key store configured for the personal data of {subject_id}: build the "
            "application with loop.bootstrap (setting key_store_url)"
        )


METADATA = sa.MetaData()
KEYS = sa.Table(
    "personal_keys",
    METADATA,
    sa.Column("subject_id", sa.String(200), primary_key=True),
    sa.Column("key", sa.LargeBinary, nullable=True),  # NULL once destroyed
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
)


# Built once: statements, not connections (nothing is opened at import).
_SUBJECT: sa.BindParameter[str] = sa.bindparam("subject_id")
_GET = sa.select(KEYS.c.key, KEYS.c.destroyed_at).where(KEYS.c.subject_id == _SUBJECT)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _secure_delete(dbapi_connection: Any, _record: Any) -> None:
    """SQLite overwrites freed content with zeros, so a destroyed key is gone
    from the file rather than left in a free page; the rollback journal (not
    WAL) is deleted at each commit."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA journal_mode=TRUNCATE")
    cursor.close()


class SQLKeyStore:
    """The key table in its own database (SQLite file or PostgreSQL), via SQLAlchemy.

    On PostgreSQL a destroyed key stays in the table's dead tuples until the
    table is vacuumed: run ``VACUUM personal_keys`` after erasures (autovacuum
    does it eventually).
    """

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _secure_delete)
        METADATA.create_all(self.engine)

    def _row(self, subject_id: str) -> Any:
        with self.engine.connect() as c:
            return c.execute(_GET, {"subject_id": subject_id}).first()

    def get(self, subject_id: str) -> bytes | None:
        row = self._row(subject_id)
        return None if row is None or row.key is None else bytes(row.key)

    def create(self, subject_id: str) -> bytes:
        for _ in range(2):
            row = self._row(subject_id)
            if row is not None:
                if row.key is None:
                    raise forgotten_error(subject_id)
                return bytes(row.key)
            key = new_key()
            try:
                with self.engine.begin() as c:
                    c.execute(
                        KEYS.insert().values(
                            subject_id=subject_id, key=key, created_at=datetime.now(UTC)
                        )
                    )
            except sa.exc.IntegrityError:
                continue  # another process created it first: read theirs
            return key
        raise RuntimeError(f"could not create a key for {subject_id}")  # pragma: no cover

    def create_many(self, subject_ids: Sequence[str]) -> None:
        """The missing keys inserted in one transaction (one disk flush for a roll,
        not one per person); on a race with another process, one by one."""
        wanted = set(subject_ids)
        found: set[str] = set()
        with self.engine.connect() as c:
            for chunk in _chunks(sorted(wanted), 500):
                rows = c.execute(
                    sa.select(KEYS.c.subject_id, KEYS.c.key).where(KEYS.c.subject_id.in_(chunk))
                ).all()
                for row in rows:
                    if row.key is None:
                        raise forgotten_error(row.subject_id)
                    found.add(row.subject_id)
        missing = sorted(wanted - found)
        if not missing:
            return
        now = datetime.now(UTC)
        try:
            with self.engine.begin() as c:
                c.execute(
                    KEYS.insert(),
                    [{"subject_id": s, "key": new_key(), "created_at": now} for s in missing],
                )
        except sa.exc.IntegrityError:
            for subject_id in missing:
                self.create(subject_id)

    def exists(self, subject_id: str) -> bool:
        return self.get(subject_id) is not None

    def forgotten(self, subject_id: str) -> bool:
        row = self._row(subject_id)
        return row is not None and row.destroyed_at is not None

    def destroy(self, subject_id: str) -> bool:
        now = datetime.now(UTC)
        with self.engine.begin() as c:
            done = c.execute(
                KEYS.update()
                .where(KEYS.c.subject_id == subject_id, KEYS.c.key.is_not(None))
                .values(key=None, destroyed_at=now)
            )
            if done.rowcount:
                return True
            exists = c.execute(
                sa.select(KEYS.c.subject_id).where(KEYS.c.subject_id == subject_id)
            ).first()
            if exists is None:  # never had a key: the tombstone still bars one
                c.execute(
                    KEYS.insert().values(
                        subject_id=subject_id, key=None, created_at=now, destroyed_at=now
                    )
                )
            return False

    def close(self) -> None:
        self.engine.dispose()


def open_key_store(url: str) -> KeyStore:
    """The key store for a URL: ``memory://``, ``sqlite:///keys.db`` or a
    PostgreSQL URL (``postgresql+psycopg://...``)."""
    if url.startswith("memory:"):
        return InMemoryKeyStore()
    return SQLKeyStore(url)
