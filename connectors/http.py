"""The one HTTP client a connection uses: pooled, timed out, retried, mapped.

Every upstream failure leaves this module as one of the API's error codes, so
connectors never see raw httpx exceptions and callers never see vendor bodies.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import orjson

from schema.errors import RateLimited, SystemAuthFailed, SystemRejected, SystemUnreachable

from .network import http_transport
from .tasks import discard

log = logging.getLogger("plantgate.upstream")

T = TypeVar("T")
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts, retry bounds and the concurrency cap for one connection's upstream calls.

    `transport` builds the httpx transport (the gateway's SSRF guard), `observe`
    is told (system, outcome, seconds) of every call (metrics), `record` gets
    one `UpstreamCall` per attempt (the request log; bodies only when
    `record_bodies`), and `redact` lists the connection's secrets, never
    repeated in an error message.
    """

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retries: int = 2
    backoff: float = 0.2
    max_connections: int = 10  # also the cap on concurrent calls per connection
    transport: Callable[[httpx.Limits], httpx.AsyncBaseTransport] | None = None
    observe: Callable[[str, str, float], None] | None = None
    record: Callable[[UpstreamCall], None] | None = None
    record_bodies: bool = False
    redact: tuple[str, ...] = ()


@dataclass(frozen=True)
class UpstreamCall:
    """One attempt of one upstream request, as the request log keeps it (bodies raw: the log redacts them)."""

    method: str
    url: httpx.URL | None  # None: the request could not even be built
    status: int | None  # None: no answer (unreachable)
    outcome: str  # outcome_of(status), or "unreachable"
    seconds: float
    attempt: int  # 1 for the first try
    error: str | None = None  # the transport error's type, when no answer came
    request_body: bytes | None = None
    response_body: bytes | None = None


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every (non-trivial) secret replaced, e.g. a vendor echoing a password."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text


def outcome_of(status: int) -> str:
    """A metrics label for a final upstream status."""
    if status < 400:
        return "ok"
    if status in (401, 403):
        return "auth_failed"
    if status == 429:
        return "rate_limited"
    return "error" if status >= 500 else "rejected"


def default_error_message(response: httpx.Response) -> str:
    """Best-effort text from a vendor error body; never the whole body."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict):
        for key in ("message", "error", "detail"):
            value = body.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return value["message"]
    return f"HTTP {response.status_code}"


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _request_of(exc: httpx.TransportError) -> httpx.Request | None:
    try:
        return exc.request
    except RuntimeError:  # raised before a request was attached
        return None


def _content(request: httpx.Request) -> bytes | None:
    try:
        return request.content
    except httpx.RequestNotRead:  # a streamed upload: not kept
        return None


class UpstreamClient:
    """A connection's pooled `httpx.AsyncClient` with the error mapping."""

    def __init__(
        self,
        base_url: str,
        *,
        system: str,
        policy: HttpPolicy | None = None,
        error_message: Callable[[httpx.Response], str] = default_error_message,
        on_request: Callable[[], None] | None = None,
    ) -> None:
        self.policy = policy or HttpPolicy()
        self.system = system
        self.error_message = error_message
        self.on_request = on_request
        timeout = httpx.Timeout(self.policy.read_timeout, connect=self.policy.connect_timeout)
        limits = httpx.Limits(max_connections=self.policy.max_connections)
        transport = self.policy.transport(limits) if self.policy.transport else http_transport(limits)
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits, transport=transport)
        # Queue here rather than in httpx's pool: a clear error instead of a pool timeout.
        self._slots = asyncio.Semaphore(self.policy.max_connections)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def request(
        self, method: str, url: str, *, idempotent: bool | None = None, checked: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """Send a request; retry idempotent ones (reads, logins) on transport errors and 5xx.

        `checked=False` hands back the final response whatever its status (passthrough), unmapped."""
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT
        attempts = 1 + (self.policy.retries if idempotent else 0)
        if _SENT.get() is not None:  # made ahead: `sent_ahead` waits until it is written
            kwargs = {**kwargs, "extensions": {**kwargs.get("extensions", {}), "trace": _trace}}
        for attempt in range(attempts):
            last = attempt == attempts - 1
            if self.on_request:
                self.on_request()
            started = time.monotonic()
            try:
                async with self._slot():
                    response = _unlinked(await self.client.request(method, url, **kwargs))
            except httpx.TransportError as exc:
                self._observe("unreachable", started)
                self._record(method, _request_of(exc), None, started, attempt, type(exc).__name__)
                if last:
                    # A write that may have reached the system must not be repeated blindly.
                    unsent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
                    raise SystemUnreachable(
                        f"{self.system} is unreachable: {type(exc).__name__}",
                        outcome=None if idempotent or unsent else "UNKNOWN",
                    ) from None
            else:
                self._observe(outcome_of(response.status_code), started)
                self._record(method, response.request, response, started, attempt)
                if response.status_code not in RETRYABLE_STATUS or last:
                    return self.check(response) if checked else response
            await asyncio.sleep(self.policy.backoff * (2**attempt) * random.uniform(0.5, 1.0))
        raise AssertionError("unreachable")  # pragma: no cover

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        """One of the connection's `max_connections` concurrent calls (no client hammers a system)."""
        try:
            if self._slots.locked():  # wait_for runs the wait as a task of its own: only when there is a wait
                await asyncio.wait_for(self._slots.acquire(), timeout=self.policy.read_timeout)
            else:
                await self._slots.acquire()  # free: taken at once, no task, no timer
        except TimeoutError:
            raise RateLimited(
                f"too many concurrent calls to {self.system} on this connection", retry_after=1.0
            ) from None
        try:
            yield
        finally:
            self._slots.release()

    def _observe(self, outcome: str, started: float) -> None:
        if self.policy.observe:
            self.policy.observe(self.system, outcome, time.monotonic() - started)

    def _record(
        self,
        method: str,
        request: httpx.Request | None,
        response: httpx.Response | None,
        started: float,
        attempt: int,
        error: str | None = None,
    ) -> None:
        if self.policy.record is None:
            return
        bodies = self.policy.record_bodies
        self.policy.record(
            UpstreamCall(
                method=method.upper(),
                url=request.url if request is not None else None,
                status=response.status_code if response is not None else None,
                outcome=outcome_of(response.status_code) if response is not None else "unreachable",
                seconds=time.monotonic() - started,
                attempt=attempt + 1,
                error=error,
                request_body=_content(request) if bodies and request is not None else None,
                response_body=response.content if bodies and response is not None else None,
            )
        )

    def check(self, response: httpx.Response) -> httpx.Response:
        """Map a final response's status to the API's error codes."""
        status = response.status_code
        if status < 400:
            return response
        message = redact(self.error_message(response), self.policy.redact)
        if status in (401, 403):
            raise SystemAuthFailed(f"{self.system} rejected the credentials: {message}", status=status)
        if status == 429:
            retry_after = retry_after_seconds(response)
            raise RateLimited(f"{self.system} is rate limiting requests", retry_after=retry_after)
        if status >= 500:
            raise SystemUnreachable(f"{self.system} answered HTTP {status}: {message}")
        raise SystemRejected(f"{self.system} rejected the request: {message}", status=status)

    async def json(self, method: str, url: str, **kwargs: Any) -> Any:
        """Request and decode JSON; an unreadable body is an upstream failure."""
        response = await self.request(method, url, **kwargs)
        try:
            return decode_json(response)
        except (ValueError, json.JSONDecodeError):
            raise SystemUnreachable(f"{self.system} sent a response that is not valid JSON") from None


# Set while a request is made ahead (`sent_ahead`): the event to set once the request is written.
_SENT: ContextVar[asyncio.Event | None] = ContextVar("plantgate_request_sent", default=None)
_WRITTEN = frozenset({"http11.send_request_body.complete", "http2.send_request_body.complete"})


async def _trace(event: str, info: dict[str, Any]) -> None:
    """httpcore's trace extension: tells `sent_ahead` when the request is on the wire."""
    if event in _WRITTEN and (sent := _SENT.get()) is not None:
        sent.set()


async def sent_ahead(call: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
    """`call` as a task, handed back once its first request is written (or once it ended): the
    system works on it while the caller goes on. A task merely scheduled would send nothing until
    the caller next waited, which a caller busy mapping a page does not do."""
    sent = asyncio.Event()
    token = _SENT.set(sent)
    try:
        task = asyncio.ensure_future(call)  # the task runs in a copy of this context, `sent` included
    finally:
        _SENT.reset(token)
    waiting = asyncio.ensure_future(sent.wait())
    try:
        await asyncio.wait((task, waiting), return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        discard(task)
        raise
    finally:
        waiting.cancel()
    return task


def _unlinked(response: httpx.Response) -> httpx.Response:
    """The response, freed by reference counting once dropped, as its body is already read.

    httpx leaves a finished response and its stream pointing at each other, so each one, body
    and request included, waited for the cycle collector; a serving process collects seldom
    (`gateway.collector`), and a sync held tens of MB of read pages that way. The read body
    stands in for the closed stream."""
    response.stream = httpx.ByteStream(response.content)
    return response


def decode_json(response: httpx.Response) -> Any:
    """A JSON body, read by orjson (several times faster than `json` on a page of records).

    What orjson refuses but the standard library reads (NaN, UTF-16, a lone surrogate)
    is read by `response.json()` as before, so no body that decoded stops decoding. One
    difference: orjson reads an integer past 64 bits as a float."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.json()
