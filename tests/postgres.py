"""Throwaway PostgreSQL databases for tests (fixtures in tests/conftest.py)."""

from __future__ import annotations

from urllib.parse import urlsplit


def create_postgres_database(server_url: str, template: str = "template0") -> str:
    """Create an empty database with its key database (or copies of ``template``
    and its keys, which must have no open connections); return its URL."""
    from benchmarks.postgres import create_database

    return create_database(server_url, "lishu_test", template)


def drop_postgres_database(server_url: str, database_url: str) -> None:
    """Drop a database made by ``create_postgres_database``, closing its connections."""
    from benchmarks.postgres import drop_database

    assert urlsplit(database_url).path.lstrip("/").startswith("lishu_test_"), database_url
    drop_database(server_url, database_url)
