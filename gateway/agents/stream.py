"""The answer to one call through an agent, frame by frame, as the caller reads it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from . import protocol


class CallStream:
    """Frames of one call (`response`, `chunk`s, `end`, or `error`); `close` forgets the call.

    Frames wait here until the caller reads them; what waits is bounded by `max_bytes` of
    body (the largest answer the gateway takes), so an agent that sends faster than its
    caller reads cannot fill the gateway's memory: past the bound the call is cancelled
    and the caller reads a `too_large` error after the frames before it."""

    def __init__(self, call_id: str, forget: Callable[[str], None], max_bytes: int) -> None:
        self.call_id = call_id
        self._forget = forget
        self._frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._max_bytes = max_bytes
        self._waiting = 0  # body bytes queued, not read yet
        self._overflowed = False

    def put(self, frame: dict[str, Any]) -> None:
        if self._overflowed:
            return
        size = _body_bytes(frame)
        if self._waiting + size > self._max_bytes:
            self._overflowed = True
            message = f"the agent's answer is larger than the gateway's limit of {self._max_bytes} bytes"
            self._frames.put_nowait(protocol.error(self.call_id, protocol.TOO_LARGE, message))
            self.close()  # the agent stops sending
            return
        self._waiting += size
        self._frames.put_nowait(frame)

    async def next(self, timeout: float | None) -> dict[str, Any]:
        """The next frame; TimeoutError when none came within `timeout` seconds."""
        frame = await asyncio.wait_for(self._frames.get(), timeout)
        self._waiting -= _body_bytes(frame)
        return frame

    def close(self) -> None:
        self._forget(self.call_id)


def _body_bytes(frame: dict[str, Any]) -> int:
    """The body bytes a frame carries (base64: three bytes for every four characters)."""
    data = frame.get("data")
    return len(data) * 3 // 4 if isinstance(data, str) else 0
