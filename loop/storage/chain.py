"""The hash chain written beside the stored events, in the same transaction.

Each stored event gets a digest over what is stored (aggregate id, version,
topic and the stored state bytes, which hold the timestamp and payload, after
any compression or encryption) and the digest of the aggregate's previous
event; and a log chain value over the notification log: the previous log value,
this notification's id and this event's digest. Verification (``loop.storage.verification``)
recomputes both from the stored rows alone.

With the county's record key (``loop.storage.proof_keys``) each chain row also carries a
MAC of its log value. The log value chains everything before it, so the MAC of
the last row authenticates the whole log: rows appended, or a history rewritten
and re-chained, by someone who can write to the database but holds no record key
fail it, and the first row whose MAC fails is where the forgery begins.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from functools import lru_cache
from hashlib import sha256
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

GENESIS = bytes(32)
CHAIN_TABLE = "event_chain"


def _field(value: bytes) -> bytes:
    return len(value).to_bytes(8, "big") + value


@lru_cache(maxsize=65_536)
def _text_field(text: str) -> bytes:
    return _field(text.encode())


@lru_cache(maxsize=65_536)
def _version_field(version: int) -> bytes:
    return _field(str(version).encode())


def event_digest(
    previous: bytes, originator_id: str, version: int, topic: str, state: bytes | str
) -> bytes:
    """The digest of one stored event, chained to its aggregate's previous digest.

    SHA-256 over the previous digest, then the aggregate key, the version in
    decimal, the topic and the stored state bytes, each preceded by its length
    as 8 bytes big-endian. The encodings of keys, versions and topics repeat
    from event to event and are kept (the verifier meets each key many times
    in a row).
    """
    try:
        state = bytes(state)  # type: ignore[arg-type]
    except TypeError:  # a BLOB edited into TEXT
        state = str(state).encode()
    return sha256(
        b"".join(
            (
                previous,
                _text_field(originator_id),
                _version_field(version),
                _text_field(topic),
                len(state).to_bytes(8, "big"),
                state,
            )
        )
    ).digest()


def log_link(previous: bytes, notification_id: int, digest: bytes) -> bytes:
    """The log chain value after notification ``notification_id``."""
    return sha256(previous + notification_id.to_bytes(8, "big") + digest).digest()


def row_mac(key: bytes, log: bytes) -> bytes:
    """The record key's MAC of one chain row's log value."""
    return hmac.digest(key, b"lishu chain row\x00" + log, "sha256")


def row_authentic(key: bytes, log: bytes, mac: bytes | None) -> bool:
    return mac is not None and hmac.compare_digest(row_mac(key, log), bytes(mac))


def originator_key(originator_id: UUID | str) -> str:
    return originator_id.hex if isinstance(originator_id, UUID) else originator_id


ChainRow = tuple[int, str, int, bytes, bytes, bytes | None]
"""(notification id, aggregate key, version, digest, log chain value, MAC or None)."""


def predecessors(stored_events: Sequence[StoredEvent]) -> dict[str, int]:
    """Each aggregate in a batch, with the version just before its first event here."""
    before: dict[str, int] = {}
    for stored in stored_events:
        key = originator_key(stored.originator_id)
        before[key] = min(before.get(key, stored.originator_version), stored.originator_version)
    return {key: version - 1 for key, version in before.items()}


def chain_rows(
    stored_events: Sequence[StoredEvent],
    notification_ids: Sequence[int],
    log: bytes,
    heads: dict[str, bytes],
    key: bytes | None = None,
) -> list[ChainRow]:
    """The chain rows for a batch, from the log's last value and each aggregate's
    digest before the batch (``heads``; missing means the genesis value), each
    signed with the record ``key`` when there is one."""
    heads = dict(heads)
    rows = []
    for stored, notification_id in zip(stored_events, notification_ids, strict=True):
        aggregate = originator_key(stored.originator_id)
        digest = event_digest(
            heads.get(aggregate, GENESIS),
            aggregate,
            stored.originator_version,
            stored.topic,
            stored.state,
        )
        log = log_link(log, notification_id, digest)
        heads[aggregate] = digest
        mac = row_mac(key, log) if key is not None else None
        rows.append((notification_id, aggregate, stored.originator_version, digest, log, mac))
    return rows


UNSIGNED_INDEX = (  # verification finds unsigned rows here, not by a scan
    f"CREATE INDEX IF NOT EXISTS {CHAIN_TABLE}_unsigned ON {CHAIN_TABLE} (notification_id) "
    "WHERE mac IS NULL"
)
INSERT_CHAIN_ROW = (
    f"INSERT INTO {CHAIN_TABLE} (notification_id, originator_id, originator_version, "
    "digest, log_chain, mac) VALUES (?,?,?,?,?,?)"
)


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """The native SQLite recorder, also writing each event's chain row.

    ``record_key`` (set by the application before it stores anything) signs each
    row; without it rows are stored unsigned."""

    record_key: bytes | None = None

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} ("
            "notification_id INTEGER PRIMARY KEY, "
            "originator_id TEXT NOT NULL, "
            "originator_version INTEGER NOT NULL, "
            "digest BLOB NOT NULL, "
            "log_chain BLOB NOT NULL, "
            "mac BLOB, "
            "UNIQUE (originator_id, originator_version))",
        ]

    def _create_table(self, c: SQLiteCursor) -> None:
        super()._create_table(c)
        # A chain table from before rows were signed gains the column; its old
        # rows stay unsigned (verification says how many).
        c.execute(f"PRAGMA table_info({CHAIN_TABLE})")
        if "mac" not in {row[1] for row in c.fetchall()}:
            c.execute(f"ALTER TABLE {CHAIN_TABLE} ADD COLUMN mac BLOB")
        c.execute(UNSIGNED_INDEX)

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # The events go in first: that takes the write lock, so the chain heads
        # read below cannot move until this transaction commits.
        ids = super()._insert_events(c, stored_events, **kwargs)
        assert ids is not None
        c.execute(f"SELECT log_chain FROM {CHAIN_TABLE} ORDER BY notification_id DESC LIMIT 1")
        row = c.fetchone()
        log = bytes(row[0]) if row else GENESIS
        heads = {}
        for key, version in predecessors(stored_events).items():
            if version >= 1:
                c.execute(
                    f"SELECT digest FROM {CHAIN_TABLE} "
                    "WHERE originator_id=? AND originator_version=?",
                    (key, version),
                )
                found = c.fetchone()
                if found:
                    heads[key] = bytes(found[0])
        rows = chain_rows(stored_events, ids, log, heads, self.record_key)
        c.executemany(INSERT_CHAIN_ROW, rows)
        return ids
