"""Listing by `$top`/`$skip` windows: the page cursor is the offset the last page ended at.

A window holds at most `max_page_size` records (SAP Gateway's usual server
page), so no `__next` is followed inside it. Whether more pages follow comes
from `__count` when the server sent one; without it, from `__next` or a full window.
"""

from __future__ import annotations

from dataclasses import dataclass

from schema.errors import SystemRejected

from .odata_envelope import Collection


@dataclass(frozen=True)
class Window:
    skip: int
    top: int

    @classmethod
    def at(cls, system: str, cursor: str | None, limit: int, max_page_size: int) -> Window:
        """The window a cursor (None: the first page) and a limit ask for."""
        if cursor is not None and not cursor.isdigit():
            raise SystemRejected(f"{system}: not a page cursor: {cursor!r}")
        return cls(int(cursor or 0), max(1, min(limit, max_page_size)))

    def next_cursor(self, page: Collection) -> str | None:
        """The cursor of the page after `page`; None at the end (`__count` decides when sent)."""
        end = self.skip + len(page.results)
        more = end < page.count if page.count is not None else bool(page.next_url) or self.full(page)
        return str(end) if more and page.results else None

    def full(self, page: Collection) -> bool:
        """The page filled the window (so, without a count, there may be more)."""
        return len(page.results) >= self.top
