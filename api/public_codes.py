"""One-time codes that verify the phone number of the public report form.

The form sends a 6-digit code to the number through a :class:`CodeSender`; the
report is recorded only once the code is typed back. A code is kept only as a
keyed digest (HMAC under the installation's digest key) of the form's token,
the number and the code; it expires (10 minutes by default), allows 5 wrong
tries and is used once. Codes are kept in the service's database
(``api_public_codes``), as the form's rate limits are (``api.rate_limits``), so
every API process sees the same codes and counts the same tries.

Senders: the intranet SMS gateway (``LISHU_SMS_GATEWAY_URL`` an http(s) address,
the same JSON as the alerts: ``msg_id``, ``to``, ``text``), or outside
production an outbox in memory that also writes the message to the log, the
number masked (development and the demo: no text message leaves the machine).
In production without a gateway there is no sender, and the form says so.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

import httpx
from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    or_,
    select,
)

from aggregates.errors import DomainError
from api.config import ApiSettings
from projections.store import Store

log = logging.getLogger(__name__)

ATTEMPTS = 5
"""Wrong codes one form may try before it must ask for a new code."""
MAX_PENDING = 10_000
"""Codes waiting at once; the oldest give way."""


class CodeRefused(DomainError):
    """A one-time code that is wrong, expired, used up or never sent."""

    code = "code_refused"


class VerificationUnavailable(DomainError):
    """No way to send a code (production with no SMS gateway configured)."""

    code = "verification_unavailable"


class CodeSender(Protocol):
    def send(self, phone: str, text: str) -> None:
        """Send ``text`` to ``phone`` or raise."""


def masked(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


class OutboxSender:
    """Outside production: the message kept in memory (the last 100) and written
    to the log with the number masked; nothing leaves the machine."""

    def __init__(self) -> None:
        self.sent: deque[tuple[str, str]] = deque(maxlen=100)

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))
        # a warning: no handler is set up for the service's own info lines, and the
        # person trying the form needs the code
        log.warning("验证码短信（未发出，开发用）code SMS not sent -> %s: %s", masked(phone), text)


class GatewaySender:
    """The intranet SMS gateway: ``{"msg_id", "to", "text"}`` posted as JSON."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        client: httpx.Client | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url, self.token = url, token
        self.client = client or httpx.Client(timeout=timeout)

    def send(self, phone: str, text: str) -> None:
        msg_id = f"code-{secrets.token_hex(8)}"
        headers = {"Idempotency-Key": msg_id}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        answer = self.client.post(
            self.url, json={"msg_id": msg_id, "to": phone, "text": text}, headers=headers
        )
        answer.raise_for_status()


def sender_for(settings: ApiSettings) -> CodeSender | None:
    """The sender the settings configure; None in production without a gateway."""
    gateway = settings.sms_gateway_url or ""
    if gateway.startswith(("https://", "http://")):
        return GatewaySender(gateway, settings.sms_gateway_token)
    return None if settings.production else OutboxSender()


metadata = MetaData()
codes = Table(
    "api_public_codes",
    metadata,
    Column("token", String(64), primary_key=True),
    Column("digest", String(128), nullable=False),
    Column("expires", Float, nullable=False, index=True),
    Column("tries", Integer, nullable=False),
)


def setup(store: Store) -> None:
    """Make the table of codes (at the service's start)."""
    with store.write() as conn:
        metadata.create_all(conn)


def _refused(reason: str, zh: str, en: str) -> CodeRefused:
    return CodeRefused(zh, en, field="code", reason=reason)


class PhoneCodes:
    """The codes sent and waiting, by form token, each as a keyed digest, in the
    shared database (``api_public_codes``): a code sent by one process is checked,
    its tries counted and used once by any other. The clock is the wall clock,
    which every process shares."""

    def __init__(
        self,
        digest: Callable[[str], str],
        store: Store,
        *,
        minutes: float = 10,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.digest = digest
        self.store = store
        self.seconds = minutes * 60
        self.now = now

    def _of(self, token: str, phone: str, code: str) -> str:
        return self.digest(f"{token}\n{phone}\n{code}")

    def issue(self, token: str, phone: str) -> str:
        """A new code for the form ``token`` and ``phone`` (an earlier one is void)."""
        code = f"{secrets.randbelow(10**6):06d}"
        row = {"token": token, "digest": self._of(token, phone, code), "tries": 0}
        with self.store.write() as conn:
            now = self.now()
            conn.execute(delete(codes).where(or_(codes.c.expires <= now, codes.c.token == token)))
            waiting = conn.execute(select(func.count()).select_from(codes)).scalar_one()
            if waiting >= MAX_PENDING:
                oldest = select(codes.c.token).order_by(codes.c.expires)
                oldest = oldest.limit(waiting - MAX_PENDING + 1)
                conn.execute(delete(codes).where(codes.c.token.in_(oldest.scalar_subquery())))
            conn.execute(insert(codes), row | {"expires": now + self.seconds})
        return code

    def check(self, token: str, phone: str, code: str) -> None:
        """Accept the code for ``token`` and ``phone``, else :class:`CodeRefused`.
        Accepted, it stays until :meth:`used` (a report refused for its content
        may be corrected and sent again with the same code)."""
        given, tries = self._of(token, phone, code.strip()), 0
        with self.store.write() as conn:  # the row locked: tries race in no process
            pending = conn.execute(
                select(codes).where(codes.c.token == token).with_for_update()
            ).first()
            if pending is None:
                outcome = "no_code"
            elif pending.expires <= self.now():
                conn.execute(delete(codes).where(codes.c.token == token))
                outcome = "expired"
            elif hmac.compare_digest(pending.digest, given):
                return
            elif pending.tries + 1 >= ATTEMPTS:
                conn.execute(delete(codes).where(codes.c.token == token))
                outcome = "too_many_tries"
            else:
                tries = pending.tries + 1
                conn.execute(codes.update().where(codes.c.token == token).values(tries=tries))
                outcome = "wrong"
        if outcome == "no_code":
            raise _refused("no_code", "请先获取验证码", "Ask for a code first")
        if outcome == "expired":
            raise _refused(
                "expired", "验证码已过期，请重新获取", "The code expired; ask for a new one"
            )
        if outcome == "too_many_tries":
            raise _refused(
                "too_many_tries",
                "验证码错误次数过多，请重新获取",
                "Too many wrong codes; ask for a new one",
            )
        left = ATTEMPTS - tries
        raise _refused(
            "wrong", f"验证码不正确（还可再试{left}次）", f"Wrong code ({left} tries left)"
        )

    def used(self, token: str) -> None:
        """The report was recorded: the code is spent."""
        with self.store.write() as conn:
            conn.execute(delete(codes).where(codes.c.token == token))
