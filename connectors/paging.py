"""Every paging style of the connector kit, as one small paginator object each.

A paginator turns the cursor a client holds (None: the first page) into where the
next upstream read starts, and what a read returned into the cursor of the page
after it (None: the list ended). Clients keep cursors, so each style's cursor
format is fixed once written:

- `OffsetPaging`: `offset` + `limit` query parameters; the cursor is `offset:id,id,...`
  (a plain number from before carries no ids) and re-reads an overlap to resume
  after the last rows seen (UpKeep).
- `CursorPaging`: the system's own opaque cursor, handed back with each page (MaintainX).
- `PagePaging`: `page` (from 1) + `limit` query parameters; the cursor is an offset cursor as
  above, the page size chosen so that one page holds the overlap (Limble).
- `KeysetPaging`: continue after the last key seen; the cursor is a prefix and that
  key (`k:<key>` OData, `id><id>` Tryton, the bare key Maximo). Bare digits may be an
  offset cursor written before the list paged by key: read once by position.
- `PositionPaging`: a position alone; the cursor is where the next page starts
  (OData sets that cannot page by key).

The first three are the REST styles (`RestPaging`: query parameters in, the new
rows and the next cursor out). For the others, rendering the position (a `$filter`
or `oslc.where` clause, a domain) stays with the protocol, which asks the paginator
where to start (`start`) and hands it the keys it read (`next_cursor`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, unquote

from schema.errors import BadUserInput

from .mapping import dig

# Rows an offset page re-reads before its cursor, and ids of the last rows seen its cursor carries.
OVERLAP = 20
TAIL = 5
# The largest row position a cursor may hold: no list is that long, so a larger one was tampered with,
# and it must not reach a system as an offset or page number it cannot read (a 32-bit integer).
MAX_POSITION = 2**31 - 1


def not_a_cursor() -> BadUserInput:
    """The one error for a cursor a paginator did not write."""
    return BadUserInput("not a cursor of this list", field="after")


class RestPaging(Protocol):
    """A paging style of REST query parameters (`RestConnector.paging`)."""

    def params(self, cursor: str | None, limit: int, cap: int | None = None) -> dict[str, Any]:
        """The query parameters of the page at `cursor`, of `limit` rows (never more than `cap`)."""
        ...

    def cut(
        self, cursor: str | None, limit: int, ids: list[str], body: Any, cap: int | None = None
    ) -> tuple[slice, str | None]:
        """Which of the rows served (by id) belong to the page, and the cursor after them (None: the end)."""
        ...

    def valid(self, cursor: str) -> bool: ...


# -- offset + limit, resumed after the last rows seen ----------------------------------------------


@dataclass(frozen=True)
class OffsetCursor:
    """Where an offset listing resumes: a position, and the ids of the last rows seen there (newest last).

    Written `offset:id,id,...` (ids quoted); a plain number, as older cursors were, has no ids.
    """

    offset: int
    seen: tuple[str, ...] = ()

    @classmethod
    def parse(cls, cursor: str | None) -> OffsetCursor:
        offset, _, ids = (cursor or "0").partition(":")
        position = _position(offset)
        if position is None:
            raise not_a_cursor()
        return cls(position, tuple(unquote(i) for i in ids.split(",") if i))

    def __str__(self) -> str:
        if not self.seen:
            return str(self.offset)
        return f"{self.offset}:" + ",".join(quote(i, safe="") for i in self.seen)


def _resume_at(ids: list[str], seen: tuple[str, ...], default: int) -> int:
    """The index right after the newest id of `seen` still listed; `default` when none is."""
    where = {remote_id: index for index, remote_id in enumerate(ids)}
    for remote_id in reversed(seen):
        if remote_id in where:
            return where[remote_id] + 1
    return min(default, len(ids))


def _after_seen(at: OffsetCursor, start: int, size: int, limit: int, ids: list[str]) -> tuple[slice, str | None]:
    """Of `ids`, served from position `start` in a read of `size` rows: the `limit` rows right after the
    newest row `at` saw (else after its position), and the cursor after them (None: the list ended)."""
    first = _resume_at(ids, at.seen, default=at.offset - start)
    end = min(first + limit, len(ids))
    if len(ids) < size and end == len(ids):
        return slice(first, end), None
    return slice(first, end), str(OffsetCursor(start + end, tuple(ids[max(0, end - TAIL) : end])))


def _is_offset_cursor(cursor: str) -> bool:
    try:
        OffsetCursor.parse(cursor)
    except BadUserInput:
        return False
    return True


@dataclass(frozen=True)
class OffsetPaging:
    """`offset` + `limit`; a short page is the last one.

    A plain offset skips a row whenever a row before it is deleted between two pages.
    So the cursor also names the last rows seen, and the next page asks from `overlap`
    rows earlier (in the same single call) and continues right after the newest of those
    rows it finds: keyset paging while fewer than `overlap` rows before the cursor vanish
    between two pages and one of the last `TAIL` seen is still listed; past that, the plain
    offset. Only sound where the system lists in a stable order.

    `more_key`: where a page's body says whether rows follow (Oracle's `hasMore`): a full page
    that says none do is the last one, so a list of a whole number of pages ends without an
    empty read.
    """

    offset_param: str = "offset"
    limit_param: str = "limit"
    overlap: int = OVERLAP
    more_key: str | None = None

    def window(self, cursor: str | None, limit: int, cap: int | None = None) -> tuple[int, int]:
        """(first position, rows) to ask for; never more rows than `cap`."""
        at = OffsetCursor.parse(cursor)
        back = min(self.overlap, at.offset) if at.seen else 0
        size = limit + back
        return at.offset - back, size if cap is None else min(size, cap)

    def params(self, cursor: str | None, limit: int, cap: int | None = None) -> dict[str, Any]:
        start, size = self.window(cursor, limit, cap)
        return {self.offset_param: start, self.limit_param: size}

    def cut(
        self, cursor: str | None, limit: int, ids: list[str], body: Any, cap: int | None = None
    ) -> tuple[slice, str | None]:
        """Which of the rows served (by id) are new, and the cursor after them (None: the list ended)."""
        start, size = self.window(cursor, limit, cap)
        window, following = _after_seen(OffsetCursor.parse(cursor), start, size, limit, ids)
        if self.more_key and window.stop == len(ids) and dig(body, self.more_key) is False:
            return window, None
        return window, following

    def valid(self, cursor: str) -> bool:
        return _is_offset_cursor(cursor)


# -- the system's own cursor ------------------------------------------------------------------------


@dataclass(frozen=True)
class CursorPaging:
    """An opaque cursor the system hands back with each page (at `next_key` of the body)."""

    cursor_param: str = "cursor"
    limit_param: str = "limit"
    next_key: str = "nextCursor"

    def params(self, cursor: str | None, limit: int, cap: int | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {self.limit_param: limit}
        if cursor:
            params[self.cursor_param] = cursor
        return params

    def cut(
        self, cursor: str | None, limit: int, ids: list[str], body: Any, cap: int | None = None
    ) -> tuple[slice, str | None]:
        """Every row served is new; the system says where the next page starts."""
        value = dig(body, self.next_key)
        return slice(None), str(value) if value else None

    def valid(self, cursor: str) -> bool:
        return bool(cursor)


# -- page numbers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PagePaging:
    """`page` (from 1) + `limit`; a short page is the last.

    The cursor is an `OffsetCursor` (a row position and the ids of the last rows seen; a plain
    position from before carries none), and, as with `OffsetPaging`, the next read re-reads up to
    `overlap` rows before that position and continues right after the newest row seen, so a row
    deleted before the cursor between two pages skips nothing. Pages start only at multiples of their
    size, so the size is chosen for one page to hold the overlap and the rows asked for; where no size
    up to `cap` does, the page holding the cursor's row is read and the plain position holds (a short
    page when a caller changes the page size mid-list, never a skip or a repeat).
    """

    page_param: str = "page"
    limit_param: str = "limit"
    overlap: int = OVERLAP

    def _window(self, cursor: str | None, limit: int, cap: int | None) -> tuple[OffsetCursor, int, int]:
        """(cursor, page size, page number) of the read that serves `limit` rows at `cursor`."""
        at = OffsetCursor.parse(cursor)
        size = max(1, min(limit, cap or limit))
        first, last = at.offset - (min(self.overlap, at.offset) if at.seen else 0), at.offset + size - 1
        for wider in range(last - first + 1, (cap or size) + 1):
            if first // wider == last // wider:  # one page holds the overlap and the rows asked for
                return at, wider, first // wider + 1
        return at, size, at.offset // size + 1

    def params(self, cursor: str | None, limit: int, cap: int | None = None) -> dict[str, Any]:
        _, size, page = self._window(cursor, limit, cap)
        return {self.page_param: page, self.limit_param: size}

    def cut(
        self, cursor: str | None, limit: int, ids: list[str], body: Any, cap: int | None = None
    ) -> tuple[slice, str | None]:
        """Which of the rows served (by id) are new, and the cursor after them (None: the list ended)."""
        at, size, page = self._window(cursor, limit, cap)
        return _after_seen(at, (page - 1) * size, size, max(1, min(limit, cap or limit)), ids)

    def valid(self, cursor: str) -> bool:
        return _is_offset_cursor(cursor)


# -- keys and positions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """Where a page starts: after a key (`after`), or at a position (`offset`; 0 with a key)."""

    after: str | None = None
    offset: int = 0


def _position(cursor: str) -> int | None:
    """The row position a cursor of bare digits holds (None: it holds none, or one past MAX_POSITION)."""
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= len(str(MAX_POSITION))):
        return None
    position = int(cursor)
    return position if position <= MAX_POSITION else None


@dataclass(frozen=True)
class PositionPaging:
    """Pages by position: the cursor is the position the next page starts at."""

    def start(self, cursor: str | None) -> Start:
        if cursor is None:
            return Start()
        offset = _position(cursor)
        if offset is None:
            raise not_a_cursor()
        return Start(offset=offset)

    def next_cursor(self, start: Start, keys: Sequence[Any], more: bool) -> str | None:
        """After a page of `keys` read from `start`: the position after it, while `more` rows follow."""
        return str(start.offset + len(keys)) if more and keys else None

    def valid(self, cursor: str) -> bool:
        return _position(cursor) is not None


@dataclass(frozen=True)
class KeysetPaging:
    """Pages continue after the last key seen, in key order: a record deleted or added before the
    cursor neither skips nor repeats one. The cursor is `prefix` + the last key.

    `key` is the form a key must have (a regex; any text by default). With `offsets`, bare digits
    are an offset cursor written before the list paged by key: that page is read by position, and
    the cursor after it is a key again.
    """

    prefix: str = ""
    key: str = r".*"
    offsets: bool = False

    def start(self, cursor: str | None) -> Start:
        if cursor is None:
            return Start()
        if cursor.startswith(self.prefix) and re.fullmatch(self.key, cursor[len(self.prefix) :], re.DOTALL):
            return Start(after=cursor[len(self.prefix) :])
        if self.offsets and (offset := _position(cursor)) is not None:
            return Start(offset=offset)
        raise not_a_cursor()

    def after(self, key: Any) -> str:
        """The cursor of the page after the record with this key."""
        return f"{self.prefix}{key}"

    def next_cursor(self, start: Start, keys: Sequence[Any], more: bool) -> str | None:
        """After a page of `keys`: its last key, while `more` rows follow."""
        return self.after(keys[-1]) if more and keys else None

    def valid(self, cursor: str) -> bool:
        try:
            self.start(cursor)
        except BadUserInput:
            return False
        return True
