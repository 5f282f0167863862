"""What every answer carries and every request must fit, as ASGI middleware.

* Only the configured host names are answered (Starlette's
  ``TrustedHostMiddleware``), and only the configured proxies' forwarded
  headers are believed (uvicorn's ``ProxyHeadersMiddleware``): behind them the
  client's address and scheme are the proxy's word, so the session cookie is
  ``Secure`` whenever the client came over https.
* A request body longer than ``max_body_bytes`` is refused with 413: at once
  when its ``Content-Length`` says so (nothing of it read), else as soon as the
  bytes read pass the limit.
* Security headers: a Content-Security-Policy that lets a page load scripts,
  styles and images from this site only and be framed by none; ``nosniff``; a
  same-origin referrer; ``Cache-Control: no-store`` on every answer but the
  static files (pages and answers name people); HSTS when served over https.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.config import ApiSettings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
HSTS = "max-age=31536000"
STATIC = "/static/"


class SecurityHeaders:
    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [
            (b"content-security-policy", CSP.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
        ]
        if scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", HSTS.encode()))
        if not str(scope.get("path", "")).startswith(STATIC):
            extra.append((b"cache-control", b"no-store"))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                given = {name.lower() for name, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers += [(name, value) for name, value in extra if name not in given]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def too_large(limit: int) -> StarletteHTTPException:
    return StarletteHTTPException(413, f"the request body is longer than {limit} bytes")


class BodyLimit:
    def __init__(
        self, app: App, limit: int, uploads: tuple[str, ...] = (), upload_limit: int = 0
    ) -> None:
        self.app = app
        self.limit = limit
        self.uploads = uploads
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path", "").startswith(self.uploads) and self.uploads:
            bounded = BodyLimit(self.app, self.upload_limit)
            await bounded(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise too_large(self.limit)
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "code": "body_too_large",
                "message_zh": f"请求体超过 {self.limit} 字节",
                "message_en": f"The request body is longer than {self.limit} bytes",
                "details": {"limit": self.limit},
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


UPLOADS = ("/api/admin/accounts/imports", "/admin/imports")
"""Where a county's roll is uploaded: bodies up to ``max_upload_bytes``."""


def install(app: FastAPI, settings: ApiSettings) -> None:
    """Outermost first: the proxy's word, the headers (so refusals below carry them
    too), the host check, the body limit. The last added runs first."""
    app.add_middleware(
        BodyLimit,
        limit=settings.max_body_bytes,
        uploads=UPLOADS,
        upload_limit=settings.max_upload_bytes,
    )
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(SecurityHeaders)
    if settings.forwarded_allow_ips:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
