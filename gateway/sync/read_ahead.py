"""Pages read ahead of a sync's commits, bounded by their size rather than their number.

The reader prepares each page as the replica stores it and queues it; each
transaction takes every page queued meanwhile, with the cursor after the last.
What a crash loses is still only what was not committed. The bound is the
queued pages' JSON text, so the memory a sync holds does not depend on how
much a system puts in a record (a page of 200 work orders is about 300 KB).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from .. import replica

# JSON text queued ahead of the commits; a larger page still goes, alone. SQLite's writes are this
# process's own work, so pages read further ahead only wait; a database server works meanwhile, and
# reading ahead keeps it busy. About one and three pages of 200 work orders (plus the page the reader
# holds while it waits): each page held cost 2.5-4.5 MiB of peak RSS, and at 100,000 records SQLite
# ran as fast with 256 KiB as with 512 KiB, 5 MiB lower (BENCHMARKS.md).
READ_AHEAD_BYTES = {"sqlite": 256 * 1024}
SERVER_READ_AHEAD_BYTES = 1024 * 1024


def budget(dialect: str) -> int:
    return READ_AHEAD_BYTES.get(dialect, SERVER_READ_AHEAD_BYTES)


@dataclass
class ReadPage:
    """A page as the reader hands it to the commits: its rows prepared, and where the next one starts."""

    rows: replica.PageRows
    read: int  # records in the page as read (a remote id twice counts twice)
    next_cursor: str | None
    size: int = 0  # its rows' JSON text, in characters

    @classmethod
    def of(cls, rows: replica.PageRows, read: int, next_cursor: str | None) -> ReadPage:
        return cls(rows, read, next_cursor, sum(len(row[2]) + len(row[3]) for row in rows.rows.values()))


class ReadAhead:
    """The pages between the reader and the commits; a failure is queued after the pages before it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.queued = 0
        self._pages: asyncio.Queue[ReadPage | Exception] = asyncio.Queue()
        self._room = asyncio.Event()

    async def put(self, page: ReadPage) -> None:
        """Queue a page once there is room for it (at once when nothing is queued)."""
        while self.queued and self.queued + page.size > self.limit:
            self._room.clear()
            await self._room.wait()
        self.queued += page.size
        self._pages.put_nowait(page)

    def fail(self, exc: Exception) -> None:
        self._pages.put_nowait(exc)

    async def take(self) -> list[ReadPage]:
        """The next page, and every page read meanwhile: one transaction for what is there, so a slow
        database commits in larger steps while a slow system still has each page committed on arrival."""
        first = await self._pages.get()
        if isinstance(first, Exception):
            raise first
        batch = [first]
        while batch[-1].next_cursor is not None and not self._pages.empty():
            item = self._pages.get_nowait()
            if isinstance(item, Exception):  # commit what came before it; the next take raises it
                self._pages.put_nowait(item)
                break
            batch.append(item)
        self.queued -= sum(page.size for page in batch)
        self._room.set()
        return batch
