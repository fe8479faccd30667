"""The answer to one call through an agent, frame by frame, as the caller reads it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class CallStream:
    """Frames of one call (`response`, `chunk`s, `end`, or `error`); `close` forgets the call."""

    def __init__(self, call_id: str, forget: Callable[[str], None]) -> None:
        self.call_id = call_id
        self._forget = forget
        self._frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def put(self, frame: dict[str, Any]) -> None:
        self._frames.put_nowait(frame)

    async def next(self, timeout: float | None) -> dict[str, Any]:
        """The next frame; TimeoutError when none came within `timeout` seconds."""
        return await asyncio.wait_for(self._frames.get(), timeout)

    def close(self) -> None:
        self._forget(self.call_id)
