"""`/readyz`: can this process serve? The database must answer; Redis is optional.

`/healthz` only says the process is up; a load balancer should route by this.
Without Redis every process still serves (events reach its own subscribers,
rate limits count per process), so a Redis outage is reported as `degraded`
with a 200: taking the whole fleet out of rotation for it would turn a
degradation into an outage. The outages themselves are logged once by the
parts that see them (store, event broker, rate limiter), not per probe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from .settings import Settings
from .store.engine import Store

TIMEOUT = 2.0
OK = "ok"


class Readiness:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.redis_url = settings.redis_url

    def _database(self) -> None:
        with self.store.read() as session:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]  # exec runs any statement

    async def _redis(self) -> None:
        import redis.asyncio as redis

        client = redis.from_url(self.redis_url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
        try:
            await client.ping()
        finally:
            await client.aclose()

    async def checks(self) -> dict[str, str]:
        """Each dependency: "ok"; else "failed: <kind>" (required) or "degraded: <kind>" (optional)."""
        results = {"database": await _probe(self.store.run(self._database), "failed")}
        if self.redis_url:
            results["redis"] = await _probe(self._redis(), "degraded")
        return results

    async def endpoint(self, request: Request) -> JSONResponse:
        checks = await self.checks()
        if any(v.startswith("failed") for v in checks.values()):
            return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)
        return JSONResponse({"status": "ok" if all(v == OK for v in checks.values()) else "degraded", "checks": checks})


async def _probe(probe: Awaitable[None], failure: str) -> str:
    """`ok`, or `failure` with the kind of error (never a connection string)."""
    try:
        await asyncio.wait_for(probe, timeout=TIMEOUT)
        return OK
    except Exception as exc:
        return f"{failure}: {type(exc).__name__}"
