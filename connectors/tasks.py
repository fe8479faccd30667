"""Work started ahead of need (a page requested, a reader running), dropped when no longer wanted."""

from __future__ import annotations

import asyncio
from typing import Any


def discard(task: asyncio.Future[Any]) -> None:
    """Cancel work no one will wait for; whatever it raised, or raises while cancelled, is not news."""
    task.cancel()
    task.add_done_callback(lambda done: done.cancelled() or done.exception())
