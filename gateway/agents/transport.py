"""The httpx transport of a connection routed through an agent: connectors stay exactly as they are.

The request goes to the agent as one `call` frame; the answer is an httpx
response whose body streams from the agent's `chunk` frames. What can go wrong
on the way is raised as the httpx error it amounts to, so the connection's
client maps it like any other (retries, SYSTEM_UNREACHABLE, the request log).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from schema.errors import RateLimited, SystemRejected

from ..netguard import ForbiddenAddress
from . import protocol
from .hub import AgentHub, AgentOffline, Route
from .stream import CallStream

ERRORS: dict[str, type[httpx.TransportError]] = {
    protocol.UNREACHABLE: httpx.ConnectError,
    protocol.TIMEOUT: httpx.ReadTimeout,
}


def raise_for(frame: dict[str, Any], request: httpx.Request) -> None:
    """The error an `error` frame stands for."""
    kind, message = frame.get("kind"), str(frame.get("message") or "the agent failed the call")
    if kind == protocol.REFUSED_CALL:
        raise ForbiddenAddress(f"the on-premises agent refused the call: {message}")
    if kind == protocol.BUSY:
        raise RateLimited(message, retry_after=1.0)
    if kind == protocol.TOO_LARGE:
        raise SystemRejected(message)
    if kind == protocol.OFFLINE:
        raise AgentOffline(message)
    raise ERRORS.get(str(kind), httpx.ReadError)(message, request=request)


class AgentStream(httpx.AsyncByteStream):
    """An answer's body as the agent streams it, bounded."""

    def __init__(self, stream: CallStream, request: httpx.Request, timeout: float | None, max_bytes: int) -> None:
        self.stream = stream
        self.request = request
        self.timeout = timeout
        self.max_bytes = max_bytes

    async def __aiter__(self) -> AsyncIterator[bytes]:
        total = 0
        while True:
            try:
                frame = await self.stream.next(self.timeout)
            except TimeoutError:
                raise httpx.ReadTimeout("the agent's answer stalled", request=self.request) from None
            kind = frame.get("type")
            if kind == "end":
                return
            if kind == "error":
                raise_for(frame, self.request)
            data = protocol.decode(frame.get("data") or "")
            total += len(data)
            if total > self.max_bytes:
                raise SystemRejected(f"the answer is larger than the gateway's limit of {self.max_bytes} bytes")
            yield data

    async def aclose(self) -> None:
        self.stream.close()


class AgentTransport(httpx.AsyncBaseTransport):
    def __init__(self, hub: AgentHub, route: Route, max_bytes: int) -> None:
        self.hub = hub
        self.route = route
        self.max_bytes = max_bytes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        if len(body) > self.max_bytes:
            raise SystemRejected(f"the request body is larger than the agent limit of {self.max_bytes} bytes")
        timeouts = request.extensions.get("timeout") or {}
        read = timeouts.get("read")
        payload = {
            "method": request.method,
            "url": str(request.url),
            "headers": [[k, v] for k, v in request.headers.multi_items() if k.lower() != "host"],
            "body": protocol.encode(body),
            "timeout": read,
        }
        stream = await self.hub.call(self.route, payload)
        try:
            first = await stream.next(_sum(read, timeouts.get("connect")))
            if first.get("type") == "error":
                raise_for(first, request)
            status, headers = _head(first, request)
        except TimeoutError:
            stream.close()
            raise httpx.ReadTimeout("the agent did not answer in time", request=request) from None
        except BaseException:  # an error frame, a malformed one, or the caller cancelled: forget the call
            stream.close()
            raise
        return httpx.Response(
            status, headers=headers, stream=AgentStream(stream, request, read, self.max_bytes), request=request
        )


def _head(frame: dict[str, Any], request: httpx.Request) -> tuple[int, list[tuple[str, str]]]:
    """Status and headers of a `response` frame; anything else is a broken answer."""
    status, headers = frame.get("status"), frame.get("headers") or []
    if frame.get("type") != "response" or not isinstance(status, int) or not 100 <= status <= 599:
        raise httpx.RemoteProtocolError("the agent's answer did not start with a response", request=request)
    if not isinstance(headers, list) or not all(
        isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h) for h in headers
    ):
        raise httpx.RemoteProtocolError("the agent's answer has malformed headers", request=request)
    return status, [(k, v) for k, v in headers]


def _sum(read: float | None, connect: float | None) -> float | None:
    return None if read is None else read + (connect or 0.0)
