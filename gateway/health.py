"""Connection health seen by live reads: status changes and a circuit breaker.

While a system is known to be down, live reads fail fast with
SYSTEM_UNREACHABLE instead of waiting for a timeout each; one probe at a time
is let through every `breaker_probe_interval` seconds, and its success closes
the breaker and returns the connection to ACTIVE.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from schema.errors import SystemAuthFailed, SystemUnreachable

from .events.bus import EventBus
from .settings import Settings
from .status import ACTIVE, REAUTH_REQUIRED, UNREACHABLE, locked, set_status
from .store.engine import Store
from .store.tables import Connection, utcnow
from .sync import schedule

T = TypeVar("T")


class Health:
    def __init__(self, store: Store, bus: EventBus, settings: Settings) -> None:
        self.store = store
        self.bus = bus
        self.settings = settings
        self._next_probe: dict[str, float] = {}
        self._probing: set[str] = set()

    async def call(self, connection: Connection, system: str, fn: Callable[[], Awaitable[T]]) -> T:
        cid = connection.id
        if connection.status == REAUTH_REQUIRED:
            raise SystemAuthFailed(f"{system} rejected the stored credentials; re-authorize the connection")
        known_down = connection.status == UNREACHABLE or cid in self._next_probe
        if known_down:
            wait = self._next_probe.get(cid, 0.0) - time.monotonic()
            if cid in self._probing or wait > 0:
                raise SystemUnreachable(
                    f"{system} is unreachable; the next check is in {max(wait, 0):.0f} s", retryAfter=max(wait, 0)
                )
            self._probing.add(cid)
        try:
            result = await fn()
        except SystemUnreachable as exc:
            self._next_probe[cid] = time.monotonic() + self.settings.breaker_probe_interval
            await self._mark(cid, UNREACHABLE, exc.message)
            raise
        except SystemAuthFailed as exc:
            await self._mark(cid, REAUTH_REQUIRED, exc.message)
            raise
        finally:
            self._probing.discard(cid)
        if known_down:
            self._next_probe.pop(cid, None)
            await self._mark(cid, ACTIVE, "the system answered again")
        return result

    async def _mark(self, connection_id: str, status: str, reason: str) -> None:
        def write() -> list:
            with self.store.write() as session:
                connection = locked(session, connection_id)
                if connection is None:
                    return []
                events = set_status(session, self.bus, connection, status, reason)
                if status == UNREACHABLE:
                    # Let a sync probe the system soon, so recovery is noticed without traffic.
                    row = schedule.ensure(session, connection_id)
                    soon = utcnow() + timedelta(seconds=self.settings.backoff_base)
                    if row.next_run_at is None or row.next_run_at.replace(tzinfo=soon.tzinfo) > soon:
                        row.next_run_at = soon
                        session.add(row)
                return events

        await self.bus.publish(*await self.store.run(write))
