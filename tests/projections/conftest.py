"""The ``world`` fixture: an application and read models over it, closed after the
test; ``views_url``: the read models' database, an SQLite file or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.projections.helpers import World


@pytest.fixture
def world() -> Iterator[World]:
    w = World()
    yield w
    w.views.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def views_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The read models' database: an SQLite file, or a PostgreSQL database."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite:///{tmp_path / 'views.db'}"
