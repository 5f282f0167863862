"""First start, killed at one of its stages: ``python -m tests.crash.first_start URL
STAGE`` builds the services as ``lishu serve`` does and seeds the demo, and the
process kills itself (SIGKILL) on reaching ``STAGE`` (one of ``api.seed.STAGES``)."""

from __future__ import annotations

import os
import signal
import sys

from api.config import ApiSettings
from api.seed import STAGES, seed_if_empty
from api.services import build_services


def main(database_url: str, stage: str) -> None:
    assert stage in STAGES, stage

    def reached(now: str) -> None:
        if now == stage:
            os.kill(os.getpid(), signal.SIGKILL)

    services = build_services(ApiSettings(database_url=database_url), start=False)
    seed_if_empty(services, reached)
    sys.exit(f"first start ended without reaching {stage}")


if __name__ == "__main__":
    main(*sys.argv[1:])
