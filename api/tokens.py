"""Signed bearer tokens (JWT, HS256) with an expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"


class Tokens:
    def __init__(self, secret: str, minutes: int) -> None:
        self.secret = secret
        self.lifetime = timedelta(minutes=minutes)

    def issue(self, username: str, now: datetime | None = None) -> tuple[str, datetime]:
        issued = now or datetime.now(UTC)
        expires = issued + self.lifetime
        token = jwt.encode(
            {"sub": username, "iat": issued, "exp": expires}, self.secret, algorithm=ALGORITHM
        )
        return token, expires

    def subject(self, token: str) -> str | None:
        """The username a valid, unexpired token names; None otherwise."""
        try:
            claims = jwt.decode(
                token, self.secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
            )
        except jwt.PyJWTError:
            return None
        subject = claims.get("sub")
        return subject if isinstance(subject, str) else None
