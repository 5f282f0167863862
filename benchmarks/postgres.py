"""A scratch PostgreSQL database for a benchmark run, dropped afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import psycopg

from loop.bootstrap import postgres_conninfo


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A fresh database on the server ``server_url`` names (its role needs
    CREATEDB); yields its URL."""
    name = f"lishu_bench_{uuid4().hex[:12]}"
    admin = postgres_conninfo(server_url)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'")
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
