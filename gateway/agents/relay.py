"""Calls for an agent whose socket another gateway process holds, through Redis.

Each process listens on a channel of its own. A caller publishes the call to
the holder's channel; the holder sends it down the socket and publishes each
answer frame to the caller's channel, in order (one publisher task per
process). Only calls and their answers travel here; who holds an agent is in
the store (registry.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from . import protocol
from .session import Sink

log = logging.getLogger("plantgate.agents")
PREFIX = "plantgate:agent-relay:"
Dispatch = Callable[[str, dict[str, Any], Sink], Awaitable[None]]


class Relay:
    def __init__(self, url: str, process: str, dispatch: Dispatch) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url, socket_connect_timeout=2.0)
        self.process = process
        self._dispatch = dispatch  # (agent id, call frame, sink): the hub's local delivery
        self._waiting: dict[str, Sink] = {}
        self._outbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._deliveries: set[asyncio.Task[None]] = set()
        self._ready = asyncio.Event()

    async def start(self) -> None:
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._publish())]
        await asyncio.wait_for(self._ready.wait(), 5)

    async def forward(self, holder: str, agent_id: str, frame: dict[str, Any], sink: Sink) -> None:
        """Send a call to the process `holder`; its answer frames come back to `sink`."""
        await self.start()
        self._waiting[frame["id"]] = sink
        envelope = {"kind": "call", "reply": self.process, "agentId": agent_id, "frame": frame}
        self._outbox.put_nowait((PREFIX + holder, json.dumps(envelope)))

    def forget(self, call_id: str) -> None:
        self._waiting.pop(call_id, None)

    def _reply_sink(self, process: str) -> Sink:
        def sink(frame: dict[str, Any]) -> None:
            self._outbox.put_nowait((PREFIX + process, json.dumps({"kind": "frame", "frame": frame})))

        return sink

    def _received(self, data: bytes) -> None:
        """One message on this process's channel; a malformed one is logged and dropped, nothing else."""
        try:
            envelope = json.loads(data)
            frame = envelope["frame"]
            if envelope["kind"] == "call":
                task = asyncio.create_task(self._deliver(envelope["agentId"], frame, envelope["reply"]))
                self._deliveries.add(task)
                task.add_done_callback(self._deliveries.discard)
                return
            sink = self._waiting.get(frame.get("id"))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            log.warning("agent relay dropped a malformed message")
            return
        if sink is not None:
            if frame.get("type") in ("end", "error"):
                self._waiting.pop(frame["id"], None)
            sink(frame)

    async def _deliver(self, agent_id: str, frame: dict[str, Any], reply: str) -> None:
        """A call for a socket here, in a task of its own: a slow socket or store holds up no other message."""
        sink = self._reply_sink(reply)
        try:
            await self._dispatch(agent_id, frame, sink)
        except Exception:
            log.warning("agent relay could not deliver call %s", frame.get("id"), exc_info=True)
            sink(protocol.error(frame.get("id"), protocol.UNREACHABLE, "the agent's gateway process failed the call"))

    async def _listen(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(PREFIX + self.process)
                    self._ready.set()
                    async for raw in pubsub.listen():
                        if raw.get("type") == "message":
                            self._received(raw["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("agent relay lost Redis; calls waiting on other processes fail", exc_info=True)
                self._fail_waiting()
                self._ready.set()
                await asyncio.sleep(1.0)

    async def _publish(self) -> None:
        while True:
            channel, message = await self._outbox.get()
            try:
                await self._redis.publish(channel, message)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("agent relay could not publish to %s", channel, exc_info=True)

    def _fail_waiting(self) -> None:
        waiting, self._waiting = self._waiting, {}
        for call_id, sink in waiting.items():
            sink(protocol.error(call_id, protocol.UNREACHABLE, "the relay to the agent's gateway process was lost"))

    async def aclose(self) -> None:
        for task in [*self._tasks, *self._deliveries]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._redis.aclose()
