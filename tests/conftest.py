"""Shared test configuration: in CI a skipped test is a failure; PostgreSQL fixtures;
the seeded demo database the API and browser tests copy."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.served import seed_demo
from tests.postgres import create_postgres_database, drop_postgres_database

POSTGRES_URL_VARIABLE = "LISHU_TEST_POSTGRES_URL"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[Any]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = (
            f"skipped in CI, where a missing dependency is a failure: {report.longrepr}"
        )
    return report


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The URL of a PostgreSQL database whose role may create databases.

    From ``LISHU_TEST_POSTGRES_URL`` (``make test`` sets it from
    ``scripts/postgres-up``); without it the test skips, which fails in CI.
    """
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        pytest.skip(
            f"no PostgreSQL server: set {POSTGRES_URL_VARIABLE} "
            "(make test starts one with scripts/postgres-up)"
        )
    return url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    url = create_postgres_database(postgres_server)
    yield url
    drop_postgres_database(postgres_server, url)


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database seeded once for the session (argon2 hashing is slow on purpose):
    a folder holding the event store, its key store and the read models."""
    folder = tmp_path_factory.mktemp("seeded")
    seed_demo(f"sqlite:///{folder}/lishu.db")
    return folder
