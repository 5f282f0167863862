"""The ``world`` fixture: an application and read models over it, closed after the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.projections.helpers import World


@pytest.fixture
def world() -> Iterator[World]:
    w = World()
    yield w
    w.views.close()
