"""Opaque global ids and page cursors. Opaque to clients, checked when they come back.

A cursor comes back as the client sends it: its upstream part is handed to a
connector only if it is text a connector could have written (no control
characters, valid Unicode, no digits `int()` cannot read, bounded length), and
its skip count only if it is a plain, bounded integer. A replica cursor of a list sorted by a
time also carries the record's sort value, read back only as a date-time.
"""

from __future__ import annotations

import base64
import binascii
import json
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, overload

from schema.errors import BadUserInput

MAX_UPSTREAM_CURSOR = 4096  # characters
MAX_SKIP = 100_000


# One encoder for every id and cursor: `json.dumps` with separators builds a new one per call.
_compact = json.JSONEncoder(separators=(",", ":")).encode


def _encode(payload: Any) -> str:
    raw = _compact(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str) -> Any:
    padded = token + "=" * (-len(token) % 4)
    try:
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        return None


@lru_cache(maxsize=65536)  # a list read again (a frontend polling it) names the same records
def global_id(connection_id: str, entity: str, remote_id: str) -> str:
    """Stable per connection and record; usable with `node(id:)`."""
    return _encode([connection_id, entity, remote_id])


def parse_global_id(value: str) -> tuple[str, str, str]:
    parsed = _decode(value)
    if not (isinstance(parsed, list) and len(parsed) == 3 and all(isinstance(p, str) for p in parsed)):
        raise BadUserInput(f"'{value}' is not a valid id", field="id")
    return parsed[0], parsed[1], parsed[2]


def page_cursor(list_key: str, upstream: str | None, skip: int, record: str | None = None) -> str:
    """Where a list resumes: an upstream page cursor and rows to skip within it, and the record the
    cursor follows (an edge's own cursor), so `before` can name that record whatever the page size."""
    body: dict[str, Any] = {"k": list_key, "c": upstream, "s": skip}
    if record is not None:
        body["r"] = record
    return _encode(body)


def cursor_record(list_key: str, value: str, field: str = "before") -> str:
    """The record an edge cursor stands for (what `before` pages up to)."""
    parse_page_cursor(list_key, value, field)
    record = _decode(value).get("r")
    if not _plausible(record):
        raise BadUserInput(f"'{field}' must be the cursor of an edge of this list", field=field)
    return record


def sorted_cursor(list_key: str, remote_id: str, value: datetime | None) -> str:
    """A replica cursor of a list sorted by a time: the record and its sort value (null sorts last)."""
    body = {"k": list_key, "c": remote_id, "s": 0, "r": remote_id, "v": None if value is None else value.isoformat()}
    return _encode(body)


def parse_sorted_cursor(list_key: str, value: str, field: str = "after") -> tuple[str, datetime | None]:
    """The record and sort value a `sorted_cursor` stands for."""
    upstream = parse_page_cursor(list_key, value, field)[0]
    sort_value = _decode(value).get("v", "")
    try:
        if upstream is not None and (sort_value is None or isinstance(sort_value, str) and len(sort_value) <= 64):
            return upstream, None if sort_value is None else datetime.fromisoformat(sort_value)
    except ValueError:
        pass
    raise BadUserInput(
        f"'{field}' is not a cursor of this list (it must come from the same field and filter)", field=field
    )


def parse_page_cursor(list_key: str, value: str, field: str = "after") -> tuple[str | None, int]:
    parsed = _decode(value)
    if not (
        isinstance(parsed, dict)
        and parsed.get("k") == list_key
        and type(parsed.get("s")) is int  # not a bool
        and 0 <= parsed["s"] <= MAX_SKIP
        and (parsed.get("c") is None or _plausible(parsed.get("c")))
    ):
        raise BadUserInput(
            f"'{field}' is not a cursor of this list (it must come from the same field and filter)",
            field=field,
        )
    return parsed["c"], parsed["s"]


def _plausible(upstream: Any) -> bool:
    """Text a connector could have written as its cursor."""
    return (
        isinstance(upstream, str)
        and len(upstream) <= MAX_UPSTREAM_CURSOR
        and all(unicodedata.category(ch)[0] != "C" and (ch.isdecimal() or not ch.isdigit()) for ch in upstream)
    )


class LazyCursors(Sequence[str]):
    """A page's cursors, each made when first read: most reads need only the first and the last (pageInfo)."""

    def __init__(self, make: Callable[[int], str], count: int) -> None:
        self._make = make
        self._count = count
        self._made: dict[int, str] = {}

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        made = self._made.get(index)
        if made is None:
            made = self._made[index] = self._make(index)
        return made
