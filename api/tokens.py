"""Signed bearer tokens (JWT, HS256).

A token names its account (``sub``) and the account's token version (``ver``,
compared in ``api.accounts``), who issued it and for whom (``iss``, ``aud``),
when it was issued (``iat``), when the session began (``auth_time``: a console
session's token is re-issued while it is used) and when it expires (``exp``).
All are required. A token is refused when it expires, when it claims to be
issued in the future, when it would live longer than a token may, or when its
session began longer ago than the longest session (``token_minutes``).

A token's signature is checked once per process: a valid token is remembered
with its claims (its bytes cannot change, so neither can the answer) and from
then on only the clock is compared with them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"
ISSUER = "lishu-loop"
AUDIENCE = "lishu-loop-api"
LEEWAY = 30  # seconds of clock difference between hosts tolerated
REMEMBERED = 10_000  # valid tokens remembered; all are forgotten when there are more
REQUIRED = ["sub", "ver", "iat", "exp", "iss", "aud", "auth_time"]


@dataclass(frozen=True)
class Claims:
    subject: str
    version: int
    issued: float
    expires: float
    auth_time: float


class Tokens:
    def __init__(
        self, secret: str | bytes, minutes: int, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.secret = secret
        self.lifetime = timedelta(minutes=minutes)
        self.clock = clock
        self._valid: dict[str, Claims] = {}

    def issue(
        self,
        username: str,
        version: int = 0,
        *,
        now: datetime | None = None,
        lifetime: timedelta | None = None,
        auth_time: float | None = None,
    ) -> tuple[str, datetime]:
        """A token for ``username`` at ``version``; it lives ``lifetime`` (at most the
        longest, and never past ``auth_time`` plus the longest session)."""
        issued = now or datetime.fromtimestamp(self.clock(), UTC)
        began = issued.timestamp() if auth_time is None else auth_time
        expires = issued + min(lifetime or self.lifetime, self.lifetime)
        expires = min(expires, datetime.fromtimestamp(began, UTC) + self.lifetime)
        claims = {
            "sub": username,
            "ver": version,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": int(issued.timestamp()),
            "auth_time": int(began),
            "exp": expires,
        }
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM), expires

    def claims(self, token: str) -> Claims | None:
        """The claims of a valid, unexpired token; None otherwise."""
        now = self.clock()
        known = self._valid.get(token)
        if known is None:
            known = self._decode(token)
            if known is None:
                return None
            if len(self._valid) >= REMEMBERED:
                self._valid.clear()
            self._valid[token] = known
        if now < known.expires and self._fresh(known, now):
            return known
        self._valid.pop(token, None)
        return None

    def subject(self, token: str) -> str | None:
        """The username a valid, unexpired token names; None otherwise."""
        found = self.claims(token)
        return None if found is None else found.subject

    def _fresh(self, claims: Claims, now: float) -> bool:
        longest = self.lifetime.total_seconds()
        return (
            claims.issued <= now + LEEWAY
            and claims.expires - claims.issued <= longest + LEEWAY
            and now - claims.auth_time <= longest
            and claims.auth_time <= claims.issued + LEEWAY
        )

    def _decode(self, token: str) -> Claims | None:
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=LEEWAY,
                options={"require": REQUIRED, "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError:
            return None
        subject, version = claims.get("sub"), claims.get("ver")
        times = [claims.get(name) for name in ("iat", "exp", "auth_time")]
        if not isinstance(subject, str) or type(version) is not int:
            return None
        if not all(isinstance(t, int | float) and not isinstance(t, bool) for t in times):
            return None
        issued, expires, began = (float(t) for t in times)  # type: ignore[arg-type]
        return Claims(subject, version, issued, expires, began)
