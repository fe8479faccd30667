"""A bound on request bodies, enforced while they stream in.

A declared length over the bound is answered 413 before a byte is read; a body
without one (chunked), or longer than it said, is cut off once the bytes read
pass the bound: the route reading it gets BodyTooLarge, and the client a 413.
Nothing holds more than the bound in memory.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .requestid import current_request_id


class BodyTooLarge(Exception):
    """Raised inside `receive` once a body passes the bound."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes")
        self.message = str(self)
        self.limit = limit


class BodyLimitMiddleware:
    """Refuses HTTP request bodies over `max_bytes` with 413 and a GraphQL-style error body."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await too_large_response(BodyTooLarge(self.max_bytes), send)
            return
        seen = 0
        started = False

        async def bounded_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await too_large_response(exc, send)


async def too_large_response(exc: BodyTooLarge, send: Send) -> None:
    """413 with the body every GraphQL error has (code BAD_USER_INPUT, the limit named)."""
    extensions = {
        "code": "BAD_USER_INPUT",
        "limit": "maxBodyBytes",
        "max": exc.limit,
        "requestId": current_request_id.get(),
    }
    body = json.dumps({"errors": [{"message": exc.message, "extensions": extensions}]}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
