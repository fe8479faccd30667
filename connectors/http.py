"""The one HTTP client a connection uses: pooled, timed out, retried, mapped.

Every upstream failure leaves this module as one of the API's error codes, so
connectors never see raw httpx exceptions and callers never see vendor bodies.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from dataclasses import dataclass
from typing import Any, Callable

import httpx

from schema.errors import RateLimited, SystemAuthFailed, SystemRejected, SystemUnreachable

log = logging.getLogger("plantgate.upstream")

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts and retry bounds for upstream calls."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retries: int = 2
    backoff: float = 0.2
    max_connections: int = 10


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
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def request(
        self, method: str, url: str, *, idempotent: bool | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send a request; retry idempotent ones (reads, logins) on transport errors and 5xx."""
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT
        attempts = 1 + (self.policy.retries if idempotent else 0)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            if self.on_request:
                self.on_request()
            try:
                response = await self.client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                if last:
                    raise SystemUnreachable(
                        f"{self.system} is unreachable: {type(exc).__name__}"
                    ) from None
            else:
                if response.status_code not in RETRYABLE_STATUS or last:
                    return self.check(response)
            await asyncio.sleep(self.policy.backoff * (2**attempt) * random.uniform(0.5, 1.0))
        raise AssertionError("unreachable")  # pragma: no cover

    def check(self, response: httpx.Response) -> httpx.Response:
        """Map a final response's status to the API's error codes."""
        status = response.status_code
        if status < 400:
            return response
        message = self.error_message(response)
        if status in (401, 403):
            raise SystemAuthFailed(f"{self.system} rejected the credentials: {message}")
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
            return response.json()
        except (ValueError, json.JSONDecodeError):
            raise SystemUnreachable(f"{self.system} sent a response that is not valid JSON") from None
