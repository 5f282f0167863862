"""The HTTP service's settings: the loop's, plus keys, sessions, log-in throttling,
headers and the proxy in front.

No key is shipped: unset keys come from the installation's keys file
(``loop.storage.keys_file``). Production refuses demo mode, weak keys and keys
once shipped in the source. The service seals on a schedule and
``/api/audit/verify`` authenticates the last seal with the installation's seal
key (``loop.storage.proof_keys``, docs/deployment.md).
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field, model_validator

from aggregates.errors import DomainError
from loop.rules import places
from loop.settings import Settings
from loop.storage.keys_file import check_key


def _half_the_cores() -> int:
    return max(1, (os.cpu_count() or 2) // 2)


class ApiSettings(Settings):
    secret_key: str | None = None
    """HMAC key signing bearer tokens (HS256); at least 32 characters. Unset: the
    keys file's."""

    digest_key: str | None = None
    """HMAC key of the request digests kept for idempotent retries. Unset: the keys
    file's."""

    demo: bool = False
    """Demo mode (``make run``): the demo county and its log-ins, all with the demo
    password, seeded on first start; the console says so on every page. Off, the
    demo password logs nobody in. Production refuses it."""

    demo_year: bool = False
    """With demo mode, first start seeds a year of the demo county's history
    (``loop.demo_year``, ending at the moment it starts) instead of one day's
    branches; ``make run`` asks for it."""

    token_minutes: int = 8 * 60
    """How long a bearer token is valid, and the longest any session lasts: one duty
    shift by default."""

    console_idle_minutes: int = 30
    """A console session unused this long ends (its cookie's token expires)."""

    login_failures: int = 10
    """Wrong passwords for one account, within ``login_lock_minutes``, that lock it."""

    login_lock_minutes: int = 15
    """How long a locked account stays locked (an administrator may lift it sooner:
    ``lishu users unlock``)."""

    login_address_limit: str = "30/10 minutes"
    """Failed log-ins one client address may make (``limits`` notation) before it
    is answered 429 until the window has room again."""

    login_concurrency: int = _half_the_cores()
    """Password hashes computed at once by one process (Argon2 takes 19 MiB and a
    core's time each); the rest wait."""

    login_queue: int = 32
    """Log-ins that may wait for a hash; more are answered 503 with Retry-After."""

    max_body_bytes: int = 1024 * 1024
    """Longest request body; a longer one is refused (413) before it is read."""
    max_upload_bytes: int = 20 * 1024 * 1024
    """Longest upload of a roll to import (``api.security.UPLOADS``)."""

    allowed_hosts: list[str] = Field(default_factory=lambda: ["localhost", "127.0.0.1"])
    """Host names the service answers to (``*.example.org`` allowed; ``*`` any)."""

    forwarded_allow_ips: list[str] = Field(default_factory=list)
    """Addresses (or networks) of the proxies whose ``X-Forwarded-For`` and
    ``X-Forwarded-Proto`` are believed; none by default."""

    docs: bool | None = None
    """Serve the API's documents (``/docs``, ``/openapi.json``). Unset: on except
    in production."""

    run_projections: bool = True
    """Keep the read models caught up in this process (the embedded default). Off
    when ``lishu project`` workers do it (PostgreSQL, many API processes)."""

    projector: Literal["inline", "process"] | None = None
    """Where ``lishu serve`` keeps the read models and runs the notices' clock and
    dispatcher: ``process``, a child process it starts, watches and restarts
    (``api.workers``); ``inline``, threads of the serving process. Unset:
    ``process`` on an SQLite file, ``inline`` otherwise. ``--projector`` overrides."""

    projection_linger: float = 0.02
    """Under load, the in-process projections start a round at most this often
    (seconds), so the commands in between gather into one (a reader waiting for
    its own write cuts the wait short): fewer, larger rounds cost less."""

    wait_timeout: float = 5.0
    """Longest a query waits for the projections to reach a requested position."""

    run_notifications: bool = True
    """Run the clock and the dispatcher in this process (the embedded default). Off
    when ``lishu notify`` workers do it (several API processes on PostgreSQL)."""

    notify_interval: float = 1.0
    """Seconds between two looks of the in-process clock and dispatcher."""

    idempotency_hours: float = 7 * 24
    """How long a command's ``Idempotency-Key`` is kept with its first answer; a key
    sent again later runs as a new command (a report's key still fixes its id)."""

    county_bounds: str | None = None
    """The county's bounds: a report whose point lies outside is refused. A
    bounding box ``south,west,north,east`` in degrees (WGS84), a GeoJSON
    ``Polygon`` or ``MultiPolygon`` geometry (longitude first), or the path of a
    file holding one. Unset (the default): no point is refused for where it lies."""

    public_verification: bool | None = None
    """Whether the public report form sends a one-time code to the phone number
    and records the report only once it is typed back. Unset: on in production,
    off otherwise (the demo, development)."""

    public_code_minutes: int = Field(default=10, ge=1, le=60)
    """How long a one-time code of the public form is valid."""

    @model_validator(mode="after")
    def _bounds_are_readable(self) -> ApiSettings:
        try:
            places.bounds(self.county_bounds)
        except (OSError, ValueError, TypeError, AttributeError) as error:
            raise ValueError(f"LISHU_COUNTY_BOUNDS cannot be read: {error}") from None
        return self

    @property
    def verifies_public_phones(self) -> bool:
        """Whether the public form verifies the phone number by a one-time code."""
        if self.public_verification is None:
            return self.production
        return self.public_verification

    public_join: bool | None = None
    """Serve the public self-registration form (``/public/join``: Fuping's 注册审核,
    Gucheng's 招募队员). Unset: on except in production, where a county switches it
    on with ``LISHU_PUBLIC_JOIN=true``."""

    @model_validator(mode="after")
    def _refuse_unsafe_settings(self) -> ApiSettings:
        production = self.production
        if production and self.demo:
            raise ValueError("LISHU_DEMO is refused in production")
        given = (("LISHU_SECRET_KEY", self.secret_key), ("LISHU_DIGEST_KEY", self.digest_key))
        for name, key in given:
            if key is not None:
                try:
                    check_key(name, key, production=production)
                except DomainError as refused:
                    raise ValueError(str(refused)) from None
        return self

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def serves_public_join(self) -> bool:
        return not self.production if self.public_join is None else self.public_join

    @property
    def serves_docs(self) -> bool:
        return not self.production if self.docs is None else self.docs
