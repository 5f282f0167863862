"""The serving process: the collector is tuned while it serves, restored after."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from api.app import GC_THRESHOLD, create_app
from tests.api.conftest import service_settings


def test_the_collector_runs_less_often_while_serving_and_as_before_after(database: str) -> None:
    before = gc.get_threshold()
    with TestClient(create_app(service_settings(database))) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_threshold() == (GC_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
