"""The service with a fault, for tests: ``uvicorn --factory tests.crash.server:create_app``.

It is ``lishu serve``'s application on the ``LISHU_*`` settings, except that the
process kills itself (SIGKILL) right after the ``LISHU_TEST_CRASH_AFTER``-th
commit that stored a key record: the command and its key are stored, and no
answer is ever sent. Nothing of this is in the product: the fault wraps the
application's ``record_batch`` here.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from fastapi import FastAPI

from api.app import create_app as create_service
from api.config import ApiSettings
from api.services import build_services


def create_app() -> FastAPI:
    services = build_services(ApiSettings())
    app = services.loop.app
    record_batch = app.record_batch
    keyed_commits = 0
    crash_after = int(os.environ["LISHU_TEST_CRASH_AFTER"])

    def record_then_crash(batch: Any) -> Any:
        nonlocal keyed_commits
        recordings = record_batch(batch)
        if batch.keys:
            keyed_commits += 1
            if keyed_commits >= crash_after:
                os.kill(os.getpid(), signal.SIGKILL)
        return recordings

    app.record_batch = record_then_crash  # type: ignore[method-assign]
    return create_service(services=services)
