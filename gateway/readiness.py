"""`/readyz`: can this process serve? The database answers, and Redis too when configured.

`/healthz` only says the process is up; a load balancer should route by this.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from .settings import Settings
from .store.engine import Store

log = logging.getLogger("plantgate.readiness")
TIMEOUT = 2.0


class Readiness:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.redis_url = settings.redis_url

    def _database(self) -> None:
        with self.store.read() as session:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]

    async def _redis(self) -> None:
        import redis.asyncio as redis

        client = redis.from_url(self.redis_url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
        try:
            await client.ping()
        finally:
            await client.aclose()

    async def checks(self) -> dict[str, str]:
        """Each dependency: "ok", or the kind of failure (never a connection string)."""
        probes = {"database": self.store.run(self._database)}
        if self.redis_url:
            probes["redis"] = self._redis()
        results: dict[str, str] = {}
        for name, probe in probes.items():
            try:
                await asyncio.wait_for(probe, timeout=TIMEOUT)
                results[name] = "ok"
            except Exception as exc:  # noqa: BLE001 - any failure means not ready
                log.warning("readiness check %s failed: %s", name, type(exc).__name__)
                results[name] = f"failed: {type(exc).__name__}"
        return results

    async def endpoint(self, request: Request) -> JSONResponse:
        checks = await self.checks()
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503)
