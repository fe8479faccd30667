"""APScheduler inside the gateway: a tick claims due syncs (and webhook deliveries) and runs them.

Due times, backoff and leases live in the database (`schedule.py`), so any
number of gateway processes share the work and a restarted one picks up where
a crashed one stopped. A tick that fails (the database is down) is logged
once, and so is the first one that works again; the ticks go on meanwhile,
so the syncs resume by themselves.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from ..outage import OutageLog
from ..services import Services
from ..store.engine import DatabaseUnavailable
from . import schedule
from .runner import SyncRunner

log = logging.getLogger("plantgate.scheduler")


def process_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class SyncScheduler:
    """Claims due connections each tick and syncs them, a bounded number at a time."""

    def __init__(self, services: Services, concurrency: int = 8) -> None:
        self.services = services
        self.owner = process_id()
        self.runner = SyncRunner(services, self.owner)
        self.concurrency = concurrency
        self.running: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._scheduler = AsyncIOScheduler()
        self._extra: list[Callable[[], Awaitable[None]]] = []
        self.outage = OutageLog(
            log,
            "database for the scheduler",
            "syncs and webhook deliveries wait",
            "syncs and webhook deliveries resume",
        )

    def also_every_tick(self, job: Callable[[], Awaitable[None]]) -> None:
        self._extra.append(job)

    def also_every(self, seconds: float, job: Callable[[], Awaitable[None]]) -> None:
        """A job of its own, at start and then every `seconds` (one run at a time; it logs its own failures)."""
        self._scheduler.add_job(
            job, "interval", seconds=seconds, max_instances=1, coalesce=True, next_run_time=datetime.now(UTC)
        )

    def start(self) -> None:
        self.services.store.run_sync(lambda session: schedule.ensure_all(session))
        self._scheduler.add_job(
            self.tick, "interval", seconds=self.services.settings.sync_tick, max_instances=1, coalesce=True
        )
        self._scheduler.start()

    async def tick(self) -> None:
        """One round; its failure is logged here (APScheduler's own job errors are silenced in app.py)."""
        started = time.monotonic()
        try:
            await self._round()
        except DatabaseUnavailable as exc:
            self.outage.failed(exc, started)
            return
        except Exception:
            log.exception("scheduler tick failed")
            return
        self.outage.answered(started)

    async def _round(self) -> None:
        free = self.concurrency - len(self.running)
        if free > 0:
            settings = self.services.settings
            claimed = await self.services.store.run(self._claim, free, settings.lease_ttl)
            for connection_id in claimed:
                self._spawn(connection_id)
        for job in self._extra:
            await job()

    def _claim(self, limit: int, ttl: float) -> list[str]:
        with self.services.store.write() as session:
            return schedule.claim_due(session, self.owner, ttl, limit)

    def _spawn(self, connection_id: str) -> None:
        self.running.add(connection_id)

        async def run() -> None:
            try:
                await self.runner.run(connection_id)
            except DatabaseUnavailable as exc:  # mid-run: the lease expires and a later tick retries
                self.outage.failed(exc)
            except Exception:
                log.exception("sync task of %s crashed", connection_id)
            finally:
                self.running.discard(connection_id)

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        self._scheduler.shutdown(wait=False)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
