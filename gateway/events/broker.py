"""Fan-out of events to live subscribers: in-process, or across processes through Redis.

Only delivery to *connected* subscribers goes through here; durability (webhooks)
comes from the event table, so a lost broadcast never loses a webhook.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any, AsyncIterator, Protocol

log = logging.getLogger("plantgate.events")
CHANNEL = "plantgate:events"


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
    """Publishes to a Redis channel; one listener per process feeds the local subscribers."""

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self._listener: asyncio.Task[None] | None = None

    async def publish(self, message: dict[str, Any]) -> None:
        await self._ensure_listening()
        await self._redis.publish(CHANNEL, json.dumps(message, default=str))

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
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    ready.set()
                    async for raw in pubsub.listen():
                        if raw.get("type") == "message":
                            self.deliver(json.loads(raw["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - keep listening through Redis restarts
                ready.set()
                log.warning("lost the Redis event channel; reconnecting", exc_info=True)
                await asyncio.sleep(1)

    async def aclose(self) -> None:
        if self._listener:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        await self._redis.aclose()
        await super().aclose()


def make_broker(redis_url: str) -> Broker:
    return RedisBroker(redis_url) if redis_url else LocalBroker()
