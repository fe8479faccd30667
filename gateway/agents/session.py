"""One agent's open socket on this process: its calls in flight and the connections it serves.

Frames the agent sends back are handed to the sink of their call (a local
caller's queue, or the relay to another process) in the order they came.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket

from . import protocol

Sink = Callable[[dict[str, Any]], None]
FINAL = frozenset({"end", "error"})


def offline(name: str) -> str:
    """The one wording of an agent being offline: status reasons, errors and events all say it."""
    return f"on-premises agent '{name}' is offline"


@dataclass(eq=False)
class AgentSession:
    websocket: WebSocket
    agent_id: str
    organization_id: str
    name: str
    key_hash: str
    holder: str  # "<process>/<socket>": who holds the agent in the store
    max_calls: int
    assigned: set[str] = field(default_factory=set)
    pending: dict[str, Sink] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, frame: dict[str, Any]) -> None:
        async with self.lock:
            await self.websocket.send_text(json.dumps(frame))

    async def start(self, frame: dict[str, Any], sink: Sink) -> None:
        """Send a call; its answer frames go to `sink`."""
        call_id = frame["id"]
        if len(self.pending) >= self.max_calls:
            message = f"agent '{self.name}' has {self.max_calls} calls in flight already"
            sink(protocol.error(call_id, protocol.BUSY, message))
            return
        self.pending[call_id] = sink
        try:
            await self.send(frame)
        except Exception:  # the socket went meanwhile
            self.pending.pop(call_id, None)
            sink(protocol.error(call_id, protocol.OFFLINE, offline(self.name)))

    def received(self, frame: dict[str, Any]) -> None:
        """An answer frame from the agent (one of a call that was cancelled is dropped)."""
        call_id = frame.get("id")
        if not isinstance(call_id, str) or (sink := self.pending.get(call_id)) is None:
            return
        if frame.get("type") in FINAL:
            del self.pending[call_id]
        sink(frame)

    def cancel(self, call_id: str) -> None:
        self.pending.pop(call_id, None)

    async def assign(self, connections: set[str]) -> None:
        self.assigned = set(connections)
        await self.send(protocol.frame("assign", connections=sorted(connections)))

    def fail_all(self) -> None:
        pending, self.pending = self.pending, {}
        for call_id, sink in pending.items():
            sink(protocol.error(call_id, protocol.OFFLINE, offline(self.name)))
