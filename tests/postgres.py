"""Throwaway PostgreSQL databases for tests (fixtures in tests/conftest.py)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4


def create_postgres_database(server_url: str, template: str = "template0") -> str:
    """Create an empty database (or a copy of ``template``, which must have no
    open connections) on the server; return its URL."""
    import psycopg

    from loop.bootstrap import postgres_conninfo

    name = f"lishu_test_{uuid4().hex[:12]}"
    with psycopg.connect(postgres_conninfo(server_url), autocommit=True) as admin:
        encoding = " ENCODING 'UTF8' LOCALE 'C'" if template == "template0" else ""
        admin.execute(f'CREATE DATABASE {name} TEMPLATE "{template}"{encoding}')
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def drop_postgres_database(server_url: str, database_url: str) -> None:
    """Drop a database made by ``create_postgres_database``, closing its connections."""
    import psycopg

    from loop.bootstrap import postgres_conninfo

    name = urlsplit(database_url).path.lstrip("/")
    assert name.startswith("lishu_test_"), name
    with psycopg.connect(postgres_conninfo(server_url), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
