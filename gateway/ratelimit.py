"""Request rate limits per token and per organization (sliding window, requests per minute).

Counters live in Redis when `PLANTGATE_REDIS_URL` is set, so every gateway
process shares them (the `limits` library updates them atomically with Lua);
otherwise in this process. If Redis fails, this process counts on its own
until Redis answers again (tried again every `SHARED_RETRY` seconds): limits
still hold, per process, and an outage of the limiter never becomes an outage
of the API. Each outage is logged once, and so is the return.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.util import WindowStats

from schema.errors import RateLimited

from .auth import Principal, hash_secret
from .metrics import RATE_LIMITED
from .outage import OutageLog
from .settings import Settings

log = logging.getLogger("plantgate.ratelimit")
NAMESPACE = "plantgate"
SHARED_RETRY = 5.0  # seconds between attempts to use Redis again after it failed


def make_storage(redis_url: str) -> Storage:
    if not redis_url:
        return MemoryStorage()
    return RedisStorage(
        f"async+{redis_url}",
        implementation="redispy",
        key_prefix=f"{NAMESPACE}:ratelimit",
        socket_connect_timeout=1,
        socket_timeout=1,
    )


class RateLimiter:
    """Counts one request against its token and its organization, or raises RATE_LIMITED."""

    def __init__(self, settings: Settings) -> None:
        self.local = SlidingWindowCounterRateLimiter(MemoryStorage())
        self.shared = SlidingWindowCounterRateLimiter(make_storage(settings.redis_url)) if settings.redis_url else None
        self.outage = OutageLog(
            log, "Redis for rate limits", "counting per process until it is back", "counting in Redis again"
        )
        self._shared_retry_at = 0.0
        self.per_token = _per_minute(settings.rate_limit_per_token)
        self.per_org = _per_minute(settings.rate_limit_per_org)

    async def hit(self, principal: Principal, token: str) -> None:
        """Called once per request after the token resolved (the token itself is never a key)."""
        await self.count("token", self.per_token, hash_secret(token)[:32])
        await self.count("organization", self.per_org, principal.organization_id)

    async def count(self, scope: str, item: RateLimitItem | None, key: str, what: str = "requests") -> None:
        """One more `what` against `key`'s window, or RATE_LIMITED with when to retry."""
        if item is None:
            return
        stats = await self._hit(item, scope, key)
        if stats is None:
            return
        RATE_LIMITED.labels(scope=scope).inc()
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(
            f"limit of {item.amount} {what} per {item.GRANULARITY.name} per {scope} reached; retry in {retry_after} s",
            retry_after=retry_after,
            scope=scope,
        )

    async def _hit(self, item: RateLimitItem, scope: str, key: str) -> WindowStats | None:
        """Count in Redis if it is usable, else in this process; the window's stats when over the limit."""
        if self.shared is None or time.monotonic() < self._shared_retry_at:
            return await _counted(self.local, item, scope, key)
        started = time.monotonic()
        try:
            stats = await _counted(self.shared, item, scope, key)
        except Exception as exc:
            self.outage.failed(exc, started)
            self._shared_retry_at = time.monotonic() + SHARED_RETRY
            return await _counted(self.local, item, scope, key)
        self.outage.answered(started)
        return stats


async def _counted(
    strategy: SlidingWindowCounterRateLimiter, item: RateLimitItem, scope: str, key: str
) -> WindowStats | None:
    if await strategy.hit(item, scope, key):
        return None
    return await strategy.get_window_stats(item, scope, key)


def _per_minute(amount: int) -> RateLimitItem | None:
    return RateLimitItemPerMinute(amount) if amount > 0 else None


def retry_after_header(exc: Any) -> dict[str, str]:
    """HTTP `Retry-After` (whole seconds) for a 429 or 503: the error's `retry_after`."""
    return {"Retry-After": str(max(1, math.ceil(exc.retry_after or 1)))}
