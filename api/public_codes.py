"""One-time codes that verify the phone number of the public report form.

The form sends a 6-digit code to the number through a :class:`CodeSender`; the
report is recorded only once the code is typed back. A code is kept only as a
keyed digest (HMAC under the installation's digest key) of the form's token,
the number and the code; it expires (10 minutes by default), allows 5 wrong
tries and is used once. Codes are kept in the process, as the form's rate
limits are.

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
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import httpx

from aggregates.errors import DomainError
from api.config import ApiSettings

log = logging.getLogger(__name__)

ATTEMPTS = 5
"""Wrong codes one form may try before it must ask for a new code."""
MAX_PENDING = 10_000
"""Codes waiting at once in one process; the oldest give way."""


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


@dataclass
class _Pending:
    digest: str
    expires: float
    tries: int = 0


class PhoneCodes:
    """The codes sent and waiting, by form token, each as a keyed digest."""

    def __init__(
        self,
        digest: Callable[[str], str],
        *,
        minutes: float = 10,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.digest = digest
        self.seconds = minutes * 60
        self.now = now
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()

    def _of(self, token: str, phone: str, code: str) -> str:
        return self.digest(f"{token}\n{phone}\n{code}")

    def issue(self, token: str, phone: str) -> str:
        """A new code for the form ``token`` and ``phone`` (an earlier one is void)."""
        code = f"{secrets.randbelow(10**6):06d}"
        with self._lock:
            now = self.now()
            for key in [k for k, p in self._pending.items() if p.expires <= now]:
                del self._pending[key]
            while len(self._pending) >= MAX_PENDING:
                del self._pending[next(iter(self._pending))]
            self._pending[token] = _Pending(self._of(token, phone, code), now + self.seconds)
        return code

    def check(self, token: str, phone: str, code: str) -> None:
        """Accept the code for ``token`` and ``phone``, else :class:`CodeRefused`.
        Accepted, it stays until :meth:`used` (a report refused for its content
        may be corrected and sent again with the same code)."""
        with self._lock:
            pending = self._pending.get(token)
            if pending is None:
                raise CodeRefused(
                    "请先获取验证码", "Ask for a code first", field="code", reason="no_code"
                )
            if pending.expires <= self.now():
                del self._pending[token]
                raise CodeRefused(
                    "验证码已过期，请重新获取",
                    "The code expired; ask for a new one",
                    field="code",
                    reason="expired",
                )
            if not hmac.compare_digest(pending.digest, self._of(token, phone, code.strip())):
                pending.tries += 1
                if pending.tries >= ATTEMPTS:
                    del self._pending[token]
                    raise CodeRefused(
                        "验证码错误次数过多，请重新获取",
                        "Too many wrong codes; ask for a new one",
                        field="code",
                        reason="too_many_tries",
                    )
                raise CodeRefused(
                    f"验证码不正确（还可再试{ATTEMPTS - pending.tries}次）",
                    f"Wrong code ({ATTEMPTS - pending.tries} tries left)",
                    field="code",
                    reason="wrong",
                )

    def used(self, token: str) -> None:
        """The report was recorded: the code is spent."""
        with self._lock:
            self._pending.pop(token, None)
