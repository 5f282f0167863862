"""Scratch PostgreSQL databases for benchmark and test runs, dropped afterwards.

Each comes with its key database (``<name>_keys``), where the composition root
keeps personal-data keys apart from the events by default.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import psycopg
from psycopg import errors

from loop.storage.persistence import keys_database_url, postgres_conninfo


def _name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def create_database(server_url: str, prefix: str, template: str = "template0") -> str:
    """Create an empty database and its key database (or copies of ``template``
    and its key database, which must have no open connections); return its URL."""
    name = f"{prefix}_{uuid4().hex[:12]}"
    url = urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    fresh = template == "template0"
    keys_template = template if fresh else f"{template}_keys"
    encoding = " ENCODING 'UTF8' LOCALE 'C'" if fresh else ""  # whatever the server's locale
    with psycopg.connect(postgres_conninfo(server_url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE {name} TEMPLATE "{template}"{encoding}')
        keys = _name(keys_database_url(url))
        admin.execute(f'CREATE DATABASE {keys} TEMPLATE "{keys_template}"{encoding}')
    return url


def drop_database(server_url: str, database_url: str, attempts: int = 40) -> None:
    """Drop a database made by :func:`create_database` and its key database.

    ``WITH (FORCE)`` ends our own connections, but may not end a server process of
    another role that is briefly in the database (an autovacuum worker on a new
    database): then it is tried again a moment later."""
    for url in (database_url, keys_database_url(database_url)):
        for attempt in range(attempts):
            try:  # a connection of its own each time: a refused drop may break it
                with psycopg.connect(postgres_conninfo(server_url), autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {_name(url)} WITH (FORCE)")
                break
            except (errors.InsufficientPrivilege, errors.ObjectInUse):
                if attempt == attempts - 1:
                    raise
                time.sleep(0.25)


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A fresh database on the server ``server_url`` names (its role needs
    CREATEDB); yields its URL."""
    url = create_database(server_url, "lishu_bench")
    try:
        yield url
    finally:
        drop_database(server_url, url)
