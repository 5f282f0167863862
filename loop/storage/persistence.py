"""Where the events, the keys and the read models live, from a database URL.

The eventsourcing environment for an SQLite file (the library's native
recorder), PostgreSQL or memory; the payload cipher; the key store's place
apart from the events; and the lock that orders table creation on PostgreSQL.
"""

from __future__ import annotations

import binascii
import os
from base64 import b64decode
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit, urlunsplit

from eventsourcing.utils import get_topic

from loop.errors import InvalidInput
from loop.settings import Settings
from loop.storage.command_keys import KeyedSQLiteApplicationRecorder
from loop.storage.command_keys_postgres import KeyedPostgresApplicationRecorder
from loop.storage.keys import KeyStore, open_key_store


def persistence_env(database_url: str) -> dict[str, str]:
    """The eventsourcing environment for a database URL.

    SQLite uses the library's native recorder (``eventsourcing.sqlite``), measured
    2-4x faster than the SQLAlchemy recorder for the same file (docs/operations.md).
    """
    url = urlsplit(database_url)
    if url.scheme == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if url.scheme == "sqlite":
        path = unquote(url.path[1:] if url.path.startswith("/") else url.path)
        if not path:
            raise InvalidInput(
                "SQLite 地址缺少文件名", "the SQLite URL names no file", field="database_url"
            )
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": get_topic(KeyedSQLiteApplicationRecorder),
        }
    if url.scheme.startswith("postgresql"):
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.path.lstrip("/"),
            "POSTGRES_HOST": url.hostname or "localhost",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or ""),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "APPLICATION_RECORDER_TOPIC": get_topic(KeyedPostgresApplicationRecorder),
        }
    raise InvalidInput(
        f"不支持的数据库地址：{url.scheme}",
        f"unsupported database URL scheme: {url.scheme}",
        field="database_url",
    )


def sqlite_path(database_url: str) -> str:
    """The file behind an ``sqlite:///`` URL."""
    env = persistence_env(database_url)
    if "SQLITE_DBNAME" not in env:
        raise InvalidInput(
            "需要 SQLite 文件数据库地址", "an SQLite file URL is needed", field="database_url"
        )
    return env["SQLITE_DBNAME"]


def postgres_conninfo(database_url: str) -> str:
    """A libpq connection string for a ``postgresql+psycopg://`` URL (what the
    chain reader and test fixtures connect with)."""
    from psycopg.conninfo import make_conninfo

    env = persistence_env(database_url)
    if "POSTGRES_DBNAME" not in env:
        raise InvalidInput(
            "需要 PostgreSQL 数据库地址", "a PostgreSQL URL is needed", field="database_url"
        )
    return make_conninfo(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
    )


def cipher_env(cipher_key: str | None) -> dict[str, str]:
    """Compress and encrypt stored payloads when a key is set; refuse a bad key."""
    if not cipher_key:
        return {}
    try:
        size = len(b64decode(cipher_key.encode(), validate=True))
    except (binascii.Error, ValueError):
        size = -1
    if size not in (16, 24, 32):
        raise InvalidInput(
            "加密密钥无效：须为 16、24 或 32 字节的 base64 编码",
            "invalid cipher key: it must be 16, 24 or 32 bytes, base64-encoded",
            field="cipher_key",
        )
    return {
        "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
        "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
        "CIPHER_KEY": cipher_key,
    }


def application_env(settings: Settings) -> dict[str, str]:
    """The whole eventsourcing environment the settings describe."""
    env = persistence_env(settings.database_url)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        env |= {
            "POSTGRES_POOL_SIZE": str(settings.postgres_pool_size),
            "POSTGRES_MAX_OVERFLOW": str(settings.postgres_max_overflow),
            "POSTGRES_CONNECT_TIMEOUT": str(settings.postgres_connect_timeout),
        }
    if settings.aggregate_cache_size > 0:
        env["AGGREGATE_CACHE_MAXSIZE"] = str(settings.aggregate_cache_size)
    return env | cipher_env(settings.cipher_key)


SCHEMA_LOCK = 0x6C69_7368_7501
"""The PostgreSQL advisory lock held while a process creates (or checks) its tables."""


@contextmanager
def schema_lock(database_url: str, connect_timeout: int = 30) -> Iterator[None]:
    """One process at a time through table creation on a PostgreSQL event store.

    The library creates its tables, types and insert function at every start
    (``CREATE ... IF NOT EXISTS``, ``CREATE OR REPLACE FUNCTION``): two processes
    doing so at once fail with "tuple concurrently updated" or a duplicate key,
    whether the database is new or not. An advisory lock on a connection of its
    own orders them; it goes with the connection if the process dies."""
    if "POSTGRES_DBNAME" not in persistence_env(database_url):
        yield
        return
    import psycopg

    conninfo = postgres_conninfo(database_url)
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=connect_timeout) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))


def keys_database_url(database_url: str) -> str:
    """The default key database beside a PostgreSQL event store: ``<name>_keys`` on
    the same server. A database of its own, so an events backup (``pg_dump`` of
    the events database) never holds the keys; it must exist (``createdb``)."""
    url = urlsplit(database_url)
    return urlunsplit(url._replace(path=f"{url.path.rstrip('/')}_keys"))


def key_store_url(settings: Settings) -> str:
    """The key store's URL: as set, or derived from the event store's URL.

    It may never name the events database itself: the keys must live apart.
    """
    events = persistence_env(settings.database_url)
    url = settings.key_store_url
    if not url:
        if "SQLITE_DBNAME" in events:
            stem, _ = os.path.splitext(events["SQLITE_DBNAME"])
            return f"sqlite:///{stem}-keys.db"
        if events["PERSISTENCE_MODULE"] == "eventsourcing.popo":
            return "memory://"
        return keys_database_url(settings.database_url)
    keys = urlsplit(url)
    if keys.scheme == "sqlite" and "SQLITE_DBNAME" in events:
        same = os.path.abspath(unquote(keys.path[1:])) == os.path.abspath(events["SQLITE_DBNAME"])
    else:
        same = url == settings.database_url and keys.scheme != "memory"
    if same:
        raise InvalidInput(
            "密钥库不能与事件库是同一个数据库",
            "the key store must not be the events database",
            field="key_store_url",
        )
    return url


def build_key_store(settings: Settings) -> KeyStore:
    """The per-person key store named by the settings (see ``loop.storage.keys``)."""
    return open_key_store(key_store_url(settings))
