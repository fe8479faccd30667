"""Replica pages kept in memory, so a list read again and again (a frontend polling it) costs a lookup.

A page is served again only to the same connector (whose custom fields its
records carry) and while the entity's replica version has not moved since it
was read (see `replica_version.py`). Bounded: least recently used pages go first.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from schema.record import Record

from .lru import Lru

PAGES = 256  # ~100 records each: a few tens of MB at most


@dataclass(frozen=True)
class CachedPage:
    """What a replica list read returns, but for the window (read fresh every time)."""

    owner: object  # the connector it was read for
    version: int
    records: list[Record]
    cursors: Sequence[str]
    end_cursor: str | None
    has_next_page: bool
    has_previous_page: bool


class PageCache:
    """Pages by request key; shared by the event loop and the store's worker threads."""

    def __init__(self, size: int = PAGES) -> None:
        self._pages: Lru[CachedPage] = Lru(size)

    def get(self, key: Hashable, owner: object, version: int) -> CachedPage | None:
        page = self._pages.get(key)
        return page if page is not None and page.owner is owner and page.version == version else None

    def put(self, key: Hashable, page: CachedPage) -> None:
        self._pages.put(key, page)
