"""Request rate limits per token and per organization (sliding window, requests per minute).

Counters live in Redis when `PLANTGATE_REDIS_URL` is set, so every gateway
process shares them (the `limits` library updates them atomically with Lua);
otherwise in this process. If Redis is unreachable the request is let through
and a warning logged: an outage of the limiter must not become an outage of
the API.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from schema.errors import RateLimited

from .auth import Principal, hash_secret
from .metrics import RATE_LIMITED
from .settings import Settings

log = logging.getLogger("plantgate.ratelimit")
NAMESPACE = "plantgate"


def make_storage(redis_url: str) -> Storage:
    if not redis_url:
        return MemoryStorage()
    return RedisStorage(f"async+{redis_url}", implementation="redispy", key_prefix=f"{NAMESPACE}:ratelimit",
                        socket_connect_timeout=1, socket_timeout=1)


class RateLimiter:
    """Counts one request against its token and its organization, or raises RATE_LIMITED."""

    def __init__(self, settings: Settings) -> None:
        self.storage = make_storage(settings.redis_url)
        self.strategy = SlidingWindowCounterRateLimiter(self.storage)
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
        try:
            if await self.strategy.hit(item, scope, key):
                return
            stats = await self.strategy.get_window_stats(item, scope, key)
        except Exception:  # noqa: BLE001 - fail open when the shared store is down
            log.warning("rate limiter storage unavailable; request let through", exc_info=True)
            return
        RATE_LIMITED.labels(scope=scope).inc()
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(
            f"limit of {item.amount} {what} per {item.GRANULARITY.name} per {scope} reached; retry in {retry_after} s",
            retry_after=retry_after,
            scope=scope,
        )


def _per_minute(amount: int) -> RateLimitItem | None:
    return RateLimitItemPerMinute(amount) if amount > 0 else None


def retry_after_header(exc: RateLimited) -> dict[str, str]:
    """HTTP `Retry-After` (whole seconds) for a 429."""
    return {"Retry-After": str(max(1, math.ceil(exc.retry_after or 1)))}
