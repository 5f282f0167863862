"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from loop.services.incidents import IncidentFlow
from loop.storage.group_commit import GroupCommitter


@pytest.fixture
def committer(flow: IncidentFlow) -> Iterator[GroupCommitter]:
    """A group-commit writer over the test's own ``flow`` (each test module says
    which store that is)."""
    group = GroupCommitter(flow.app)
    yield group
    group.close()
