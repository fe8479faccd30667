"""The access log: method, path, status, duration and GraphQL operation of each request; never a query string.

uvicorn's own access line holds the raw target, and a `GET /graphql` carries
its whole document there (a mutation's passwords too, even when it is refused
with 405), so `plantgate serve` turns uvicorn's off and writes this one.
Paths drop their query string, and a magic link's token is masked.
"""

from __future__ import annotations

import contextvars
import logging
import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .ui.redact import LINK_PATH

log = logging.getLogger("plantgate.access")


@dataclass
class AccessRecord:
    """What the application learns about a request that the log line should carry."""

    operation: str | None = None


_current: contextvars.ContextVar[AccessRecord | None] = contextvars.ContextVar("access_record", default=None)


def note_operation(name: str | None) -> None:
    """The GraphQL operation of the current request (a validated GraphQL name, so safe to log)."""
    record = _current.get()
    if record is not None and name:
        record.operation = name


def loggable_path(scope: Scope) -> str:
    """The path as sent (undecoded, so no line breaks), without a query string or a link token."""
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else scope.get("path", "")
    return LINK_PATH.sub("/connect/…", path.split("?", 1)[0])


class AccessLogMiddleware:
    """Writes one `plantgate.access` line when a request (or WebSocket session) ends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        record, started, status = AccessRecord(), time.perf_counter(), 0
        reset = _current.set(record)

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] in ("http.response.start", "websocket.http.response.start"):
                status = message["status"]
            elif message["type"] == "websocket.accept":
                status = 101
            elif message["type"] == "websocket.close" and not status:
                status = 403  # closed before the handshake: uvicorn answers 403
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            _current.reset(reset)
            write(scope, status or 500, time.perf_counter() - started, record)


def write(scope: Scope, status: int, seconds: float, record: AccessRecord) -> None:
    method = scope.get("method", "GET") if scope["type"] == "http" else "WEBSOCKET"
    fields = {"method": method, "path": loggable_path(scope), "status": status, "duration_ms": round(seconds * 1000, 1)}
    client = scope.get("client")
    if client:
        fields["client"] = client[0]
    if record.operation:
        fields["operation"] = record.operation
    text = f"{method} {fields['path']} {status} {fields['duration_ms']} ms"
    log.info(text + (f" operation={record.operation}" if record.operation else ""), extra=fields)
