"""Listing in pages: after the last key seen (keyset), or by `$top`/`$skip` windows.

A set ordered by its single key pages by keyset: the cursor is `k:<last key>`
and the next page asks `<Key> gt '<last key>'`, so a record deleted or added
before the cursor neither skips nor repeats one. Other sets page by windows:
the cursor is the offset the last page ended at. An offset cursor handed out
before a set paged by keyset still resumes there; the pages after it go by key.

A page holds at most `max_page_size` records (SAP Gateway's usual server
page), so no `__next` is followed inside it. Whether more pages follow comes
from `__count` when the server sent one; without it, from `__next` or a full page.
"""

from __future__ import annotations

from dataclasses import dataclass

from schema.errors import BadUserInput

from .envelope import Collection
from .query import literal

AFTER = "k:"  # a keyset cursor: the last key of the page before


@dataclass(frozen=True)
class Window:
    skip: int
    top: int
    after: str | None = None  # keyset: list the keys greater than this one

    @classmethod
    def at(cls, system: str, cursor: str | None, limit: int, max_page_size: int, keyset: bool = False) -> Window:
        """The page a cursor (None: the first page) and a limit ask for."""
        top = max(1, min(limit, max_page_size))
        if cursor is None:
            return cls(0, top)
        if keyset and cursor.startswith(AFTER):
            return cls(0, top, cursor[len(AFTER) :])
        if cursor.isdigit():
            return cls(int(cursor), top)
        raise BadUserInput(f"{system}: not a cursor of this list", field="after")

    def after_clause(self, key: str) -> str | None:
        """`<Key> gt '<last key>'` for a keyset page after the first."""
        return None if self.after is None else f"{key} gt {literal(self.after)}"

    def next_cursor(self, page: Collection, key: str | None = None) -> str | None:
        """The cursor of the page after `page` (after its last `key` when given, else its end offset);
        None at the end (`__count`, which counts from the cursor on, decides when sent)."""
        end = self.skip + len(page.results)
        more = end < page.count if page.count is not None else bool(page.next_url) or self.full(page)
        if not (more and page.results):
            return None
        return f"{AFTER}{page.results[-1][key]}" if key else str(end)

    def after_record(self, key_value: str) -> str:
        """The keyset cursor of a page cut short after the record with this key."""
        return f"{AFTER}{key_value}"

    def full(self, page: Collection) -> bool:
        """The page filled the window (so, without a count, there may be more)."""
        return len(page.results) >= self.top
