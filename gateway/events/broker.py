"""Fan-out of events to live subscribers: in-process, or across processes through Redis.

Only delivery to *connected* subscribers goes through here; durability (webhooks)
comes from the event table, so a lost broadcast never loses a webhook. For the
same reason Redis being down is no error for a publisher: its own process's
subscribers still get the event, the others miss it (logged once per outage).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

from ..outage import OutageLog

log = logging.getLogger("plantgate.events")
CHANNEL = "plantgate:events"
TIMEOUT = 2.0  # seconds to reach Redis before publishing goes local-only
RECONNECT = 1.0  # seconds between attempts to subscribe again


class Broker(Protocol):
    async def publish(self, message: dict[str, Any]) -> None: ...

    def subscribe(self) -> AsyncIterator[dict[str, Any]]: ...

    async def aclose(self) -> None: ...


class LocalBroker:
    """Every subscriber gets its own queue; a slow one drops its oldest messages."""

    def __init__(self, queue_size: int = 1000) -> None:
        self.queue_size = queue_size
        self._queues: set[asyncio.Queue[dict[str, Any]]] = set()

    async def publish(self, message: dict[str, Any]) -> None:
        self.deliver(message)

    def deliver(self, message: dict[str, Any]) -> None:
        for queue in list(self._queues):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(message)

    async def subscribe(self) -> AsyncIterator[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self.queue_size)
        self._queues.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.discard(queue)

    async def aclose(self) -> None:
        self._queues.clear()


class RedisBroker(LocalBroker):
    """Delivers to this process's subscribers at once and broadcasts through a Redis channel to the others.

    One listener per process feeds the local subscribers from the channel, skipping
    the messages this process sent (they carry its origin), so local delivery never
    depends on Redis.
    """

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis.asyncio as redis

        self._redis = redis.from_url(url, socket_connect_timeout=TIMEOUT)
        self._listener: asyncio.Task[None] | None = None
        self.origin = uuid.uuid4().hex
        self.outage = OutageLog(
            log,
            "Redis for events",
            "events reach this process's subscribers only",
            "broadcasting to every process again",
        )

    async def publish(self, message: dict[str, Any]) -> None:
        self.deliver(message)
        started = time.monotonic()
        try:
            await self._ensure_listening()
            wire = json.dumps({"origin": self.origin, "message": message}, default=str)
            await asyncio.wait_for(self._redis.publish(CHANNEL, wire), TIMEOUT)
        except Exception as exc:
            self.outage.failed(exc, started)
            return
        self.outage.answered(started)

    async def subscribe(self) -> AsyncIterator[dict[str, Any]]:
        await self._ensure_listening()
        async for message in super().subscribe():
            yield message

    async def _ensure_listening(self) -> None:
        if self._listener is None or self._listener.done():
            ready = asyncio.Event()
            self._listener = asyncio.create_task(self._listen(ready))
            await ready.wait()

    async def _listen(self, ready: asyncio.Event) -> None:
        while True:
            started = time.monotonic()
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self.outage.answered(started)
                    ready.set()
                    async for raw in pubsub.listen():
                        if raw.get("type") == "message":
                            self._received(raw["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                ready.set()
                self.outage.failed(exc)  # now: the channel was lost just now, however long it had been up
                await asyncio.sleep(RECONNECT)

    def _received(self, data: bytes) -> None:
        envelope = json.loads(data)
        if envelope.get("origin") != self.origin:  # this process's own were delivered when published
            self.deliver(envelope.get("message", envelope))  # a bare message: from a process of an older release

    async def aclose(self) -> None:
        if self._listener:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        await self._redis.aclose()
        await super().aclose()


async def listen(broker: Broker, kind: str, handle: Callable[[dict[str, Any]], Awaitable[None]], what: str) -> None:
    """Hand every message of type `kind` to `handle` while the task runs; a failure subscribes again."""
    while True:
        try:
            async for message in broker.subscribe():
                if message.get("type") == kind:
                    await handle(message)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("%s listener failed; restarting", what, exc_info=True)
            await asyncio.sleep(RECONNECT)


def make_broker(redis_url: str) -> Broker:
    return RedisBroker(redis_url) if redis_url else LocalBroker()
