"""JSON nesting bounds: a deeply nested value is refused with a message, never a RecursionError.

Used for request bodies, GET parameters and argument values here, and reusable by
any other reader of client JSON (the WebSocket handler: `loads_bounded`).
"""

from __future__ import annotations

import json
from typing import Any


class TooDeep(ValueError):
    """Client JSON nested more than the limit allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON nested more than {limit} levels deep")
        self.limit = limit


def depth_exceeds(value: Any, limit: int, start: int = 0) -> bool:
    """Whether objects and lists in `value` nest more than `limit` levels (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, start)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth + 1 > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def loads_bounded(text: str | bytes, limit: int) -> Any:
    """`json.loads`, raising TooDeep past `limit` levels (and ValueError for text that is not JSON)."""
    try:
        value = json.loads(text)
    except RecursionError:  # the decoder's own guard, far deeper than any limit
        raise TooDeep(limit) from None
    if depth_exceeds(value, limit):
        raise TooDeep(limit)
    return value
