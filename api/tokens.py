"""Signed bearer tokens (JWT, HS256) with an expiry.

A token's signature is checked once per process: a valid token is remembered
with its expiry (its bytes cannot change, so neither can the answer) and from
then on only the expiry is compared with the clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"
REMEMBERED = 10_000  # valid tokens remembered; all are forgotten when there are more


class Tokens:
    def __init__(
        self, secret: str, minutes: int, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.secret = secret
        self.lifetime = timedelta(minutes=minutes)
        self.clock = clock
        self._valid: dict[str, tuple[str, float]] = {}

    def issue(self, username: str, now: datetime | None = None) -> tuple[str, datetime]:
        issued = now or datetime.now(UTC)
        expires = issued + self.lifetime
        token = jwt.encode(
            {"sub": username, "iat": issued, "exp": expires}, self.secret, algorithm=ALGORITHM
        )
        return token, expires

    def subject(self, token: str) -> str | None:
        """The username a valid, unexpired token names; None otherwise."""
        known = self._valid.get(token)
        if known is not None:
            if self.clock() < known[1]:
                return known[0]
            self._valid.pop(token, None)
            return None
        try:
            claims = jwt.decode(
                token, self.secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
            )
        except jwt.PyJWTError:
            return None
        subject, expires = claims.get("sub"), claims.get("exp")
        if not isinstance(subject, str):
            return None
        if isinstance(expires, int | float):
            if len(self._valid) >= REMEMBERED:
                self._valid.clear()
            self._valid[token] = (subject, float(expires))
        return subject
