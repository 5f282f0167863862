"""The HTTP service's settings: the loop's, plus secrets and token lifetime.

Outside development the service refuses to start with the shipped token key. It
needs no seal key: seals are made and checked against it on the sealing host
(``lishu seal``, ``lishu verify --against``), kept off the API nodes.
"""

from __future__ import annotations

from pydantic import model_validator

from loop.settings import Settings

DEVELOPMENT_SECRET = "lishu-development-secret-key-change-me"


class ApiSettings(Settings):
    environment: str = "development"
    """``development`` (the default: shipped secrets allowed, demo data seeded on
    first start) or ``production`` (own secrets required, no demo data)."""

    secret_key: str = DEVELOPMENT_SECRET
    """HMAC key signing bearer tokens (HS256); at least 32 characters."""

    token_minutes: int = 8 * 60
    """How long a bearer token is valid: one duty shift by default."""

    seed_demo: bool | None = None
    """Seed the demo county on first start with an empty database; by default
    only in development."""

    run_projections: bool = True
    """Keep the read models caught up in this process (the embedded default). Off
    when ``lishu project`` workers do it (PostgreSQL, many API processes)."""

    projection_linger: float = 0.02
    """Under load, the in-process projections start a round at most this often
    (seconds), so the commands in between gather into one (a reader waiting for
    its own write cuts the wait short): fewer, larger rounds cost less."""

    wait_timeout: float = 5.0
    """Longest a query waits for the projections to reach a requested position."""

    idempotency_hours: float = 7 * 24
    """How long a command's ``Idempotency-Key`` is kept with its first answer; a key
    sent again later runs as a new command (a report's key still fixes its id)."""

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> ApiSettings:
        if len(self.secret_key) < 32:
            raise ValueError("LISHU_SECRET_KEY must be at least 32 characters")
        if self.environment != "development" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError("set LISHU_SECRET_KEY: the development key is refused here")
        return self

    @property
    def seeds_demo(self) -> bool:
        return self.environment == "development" if self.seed_demo is None else self.seed_demo
