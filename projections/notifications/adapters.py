"""Delivery beyond the inbox: a webhook and an SMS gateway, outside the event log.

* :class:`WebhookAdapter` posts each message as JSON to the county command
  centre or grid platform, signed with HMAC-SHA256 over ``timestamp.body``
  (``X-Lishu-Timestamp``, ``X-Lishu-Signature: sha256=<hex>``).
* :class:`SmsGatewayAdapter` posts ``{"msg_id", "to", "text"}`` to the intranet
  SMS gateway; :class:`LogSmsAdapter` writes the text to the log instead
  (development), the number masked.

Every request carries the delivery's key as ``Idempotency-Key`` (``msg_id`` for
the gateway): the dispatcher retries a send it cannot know finished (a crash
between the gateway's answer and recording it), and the receiver drops the
repeat. A phone number is looked up at the moment of sending, through the
``phone_of`` the composition root hands in, and is never stored; a person
without one, or forgotten, is :class:`Undeliverable`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

from projections.notifications.rules import SMS, WEBHOOK

log = logging.getLogger(__name__)

SMS_LENGTH = 300
"""Characters of a text message at most (the gateway splits longer ones)."""

PhoneOf = Callable[[str], str | None]


class TemporaryFailure(Exception):
    """The receiver could not take it now: try again later."""


class PermanentFailure(Exception):
    """The receiver refused it: trying again will not help."""


class Undeliverable(Exception):
    """No address for the recipient (no phone number, or the person was forgotten)."""


@dataclass(frozen=True)
class Outgoing:
    """One delivery of one message on one channel to one recipient."""

    delivery_id: int
    key: str
    channel: str
    recipient: str
    message_id: str
    kind: str
    priority: str
    subject_id: str
    unit: str
    to: dict[str, str | None]
    created_at: datetime
    title_zh: str
    body_zh: str
    title_en: str
    body_en: str

    def payload(self) -> dict[str, Any]:
        """The webhook's JSON: ids, codes and the words, nothing of anyone's identity
        but the pseudonymous ids messages are addressed by."""
        return {
            "id": self.key,
            "message_id": self.message_id,
            "kind": self.kind,
            "priority": self.priority,
            "subject_id": self.subject_id,
            "unit": self.unit,
            "to": self.to,
            "created_at": self.created_at.isoformat() + "Z",
            "title_zh": self.title_zh,
            "text_zh": self.body_zh,
            "title_en": self.title_en,
            "text_en": self.body_en,
        }

    @property
    def sms_text(self) -> str:
        text = f"【梨城义警】{self.title_zh}：{self.body_zh}"
        return text if len(text) <= SMS_LENGTH else text[: SMS_LENGTH - 1] + "…"


class Adapter(Protocol):
    channel: str

    def send(self, outgoing: Outgoing) -> None:
        """Deliver, or raise :class:`TemporaryFailure`, :class:`PermanentFailure` or
        :class:`Undeliverable`; any other exception counts as temporary."""


def check_answer(response: httpx.Response) -> None:
    """2xx delivered; 408, 429 and 5xx temporary; any other status permanent."""
    status = response.status_code
    if 200 <= status < 300:
        return
    detail = f"HTTP {status}: {response.text[:200]}"
    if status in (408, 429) or status >= 500:
        raise TemporaryFailure(detail)
    raise PermanentFailure(detail)


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``timestamp.body``: what a receiver checks."""
    mac = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


class _Http:
    def __init__(self, client: httpx.Client | None, timeout: float) -> None:
        self.client = client or httpx.Client(timeout=timeout)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        try:
            response = self.client.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise TemporaryFailure(f"{type(error).__name__}: {error}") from error
        check_answer(response)

    def close(self) -> None:
        self.client.close()


class WebhookAdapter(_Http):
    channel = WEBHOOK

    def __init__(
        self, url: str, secret: str, *, client: httpx.Client | None = None, timeout: float = 10.0
    ) -> None:
        super().__init__(client, timeout)
        self.url = url
        self.secret = secret.encode()

    def send(self, outgoing: Outgoing) -> None:
        body = json.dumps(outgoing.payload(), ensure_ascii=False, sort_keys=True).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Lishu-Timestamp": timestamp,
            "X-Lishu-Signature": signature(self.secret, timestamp, body),
            "Idempotency-Key": outgoing.key,
        }
        self.post(self.url, body, headers)


def _phone(phone_of: PhoneOf, outgoing: Outgoing) -> str:
    phone = phone_of(outgoing.recipient)
    if not phone:
        raise Undeliverable("no phone number: none given, or the person was forgotten")
    return phone


class SmsGatewayAdapter(_Http):
    channel = SMS

    def __init__(
        self,
        url: str,
        phone_of: PhoneOf,
        *,
        token: str | None = None,
        client: httpx.Client | None = None,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(client, timeout)
        self.url = url
        self.phone_of = phone_of
        self.token = token

    def send(self, outgoing: Outgoing) -> None:
        phone = _phone(self.phone_of, outgoing)
        body = json.dumps(
            {"msg_id": outgoing.key, "to": phone, "text": outgoing.sms_text}, ensure_ascii=False
        ).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": outgoing.key,
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        self.post(self.url, body, headers)


def masked(phone: str) -> str:
    """``139****1234``: enough for a log reader to tell numbers apart, no more."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


class LogSmsAdapter:
    """Development: the text message goes to the log, not to a phone."""

    channel = SMS

    def __init__(self, phone_of: PhoneOf, logger: logging.Logger | None = None) -> None:
        self.phone_of = phone_of
        self.log = logger or log

    def send(self, outgoing: Outgoing) -> None:
        phone = _phone(self.phone_of, outgoing)
        self.log.info(
            "短信 SMS %s -> %s (%s): %s",
            outgoing.key,
            outgoing.recipient,
            masked(phone),
            outgoing.sms_text,
        )
