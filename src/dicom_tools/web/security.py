"""The bearer token and the request size limit, as one ASGI middleware, and the JSON errors.

Every request under a protected prefix (``/api``, ``/dicomweb``) must carry
``Authorization: Bearer <token>`` when the server has a token; the comparison is
``hmac.compare_digest`` on bytes, so its time does not depend on how much of a guess was right.
A CORS preflight (OPTIONS with ``Access-Control-Request-Method``) carries no credentials by
design (Fetch standard, 4.8): it is answered by the CORS middleware outside this one.

Sizes: a request whose Content-Length is over the limit is refused with 413 before a byte of it
is read; a body without a length (chunked) is counted as it streams and the read that crosses
the limit raises ``BodyTooLarge`` (answered 413). Nothing here buffers a body.

The documentation (``/docs``, ``/openapi.json``) holds no data and stays open.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PROTECTED = ("/api", "/dicomweb")


class BodyTooLarge(Exception):
    """The request body went over the upload limit while it was being read."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than the limit of {limit} bytes")
        self.limit = limit


def error_body(status: int, message: str) -> bytes:
    """The one JSON shape of every error answer: ``{"error": message, "status": status}``."""
    return json.dumps({"error": message, "status": status}).encode("utf-8")


async def send_error(
    send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = error_body(status, message)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def token_matches(header: bytes | None, token: str) -> bool:
    """Whether an Authorization header value is ``Bearer <token>``, in constant time."""
    if header is None:
        return False
    scheme, _, value = header.partition(b" ")
    if scheme.lower() != b"bearer":
        return False
    return hmac.compare_digest(value.strip(), token.encode("utf-8"))


def protected(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PROTECTED)


class Guard:
    """ASGI middleware: the token and the size limit on every protected request."""

    def __init__(self, app: ASGIApp, *, token: str | None, max_body: int) -> None:
        self.app = app
        self.token = token
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not protected(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if self.token is not None and not token_matches(headers.get(b"authorization"), self.token):
            await send_error(
                send,
                401,
                "a bearer token is required (Authorization: Bearer <token>)",
                [(b"www-authenticate", b'Bearer realm="dicom-tools"')],
            )
            return
        length = headers.get(b"content-length")
        if length is not None:
            try:
                size = int(length)
            except ValueError:
                await send_error(send, 400, "Content-Length is not a number")
                return
            if size > self.max_body:
                await send_error(
                    send,
                    413,
                    f"request body of {size} bytes is over the limit of {self.max_body} bytes",
                )
                return
        limit = self.max_body
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)
