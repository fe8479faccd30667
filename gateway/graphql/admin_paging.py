"""Relay paging for the admin schema's lists: opaque keyset cursors on (created_at, id), forward and backward.

A list is read with `first`/`after` (forward) or `last`/`before` (backward); a cursor
names a row by its sort key, so rows added or removed between two pages shift
nothing: no row is skipped or repeated. Each list's cursors carry its kind, so a
cursor of one list is refused by another.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Optional, TypeVar

import strawberry
from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import Session

from schema.errors import BadUserInput

from ..store.engine import Store

MAX_PAGE = 200
DEFAULT_PAGE = 50

R = TypeVar("R")
N = TypeVar("N")


@strawberry.type(
    description="Where a page sits in its list: pass endCursor as `after` (startCursor as `before`) for the next page."
)
class PageInfo:
    has_next_page: bool = strawberry.field(description="More rows follow this page.")
    has_previous_page: bool = strawberry.field(description="More rows come before this page.")
    start_cursor: Optional[str] = strawberry.field(description="The first row's cursor (null on an empty page).")
    end_cursor: Optional[str] = strawberry.field(description="The last row's cursor (null on an empty page).")


FIRST = "Rows from the start (or from `after`), 1 to 200; 50 when neither first nor last is given."
AFTER = "A cursor: rows after it."
LAST = "Rows from the end (or up to `before`), 1 to 200."
BEFORE = "A cursor: rows before it."


@dataclass(frozen=True)
class Window:
    """The paging arguments of one request."""

    first: Optional[int] = None
    after: Optional[str] = None
    last: Optional[int] = None
    before: Optional[str] = None
    offset: int = 0


@dataclass
class Page(Generic[R]):
    rows: list[R]
    cursors: list[str]
    page_info: PageInfo
    total: int


@strawberry.type(description="A row of a list with its cursor.")
class Edge(Generic[N]):
    """`<Node>Edge` in the schema."""

    cursor: str = strawberry.field(description="Where this row sits in the list: pass it as `after` or `before`.")
    node: N = strawberry.field(description="The row.")


@strawberry.type(description="A page of a list, paged the Relay way (see the field for its order).")
class List(Generic[N]):
    """`<Node>List` in the schema: the page's rows, with and without their cursors, and the list's size."""

    edges: list[Edge[N]] = strawberry.field(description="The page's rows with their cursors.")
    nodes: list[N] = strawberry.field(description="The page's rows.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    total_count: int = strawberry.field(description="Rows matching the filters, on every page.")


def listing(page: Page[Any], nodes: list[N]) -> List[N]:
    """The schema's page of `nodes`, the rows of `page` as the schema shows them."""
    edges = [Edge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)]
    return List(edges=edges, nodes=nodes, page_info=page.page_info, total_count=page.total)


def encode_cursor(kind: str, created_at: datetime, key: Any) -> str:
    raw = json.dumps([kind, created_at.isoformat(), key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str, field: str) -> tuple[datetime, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        found, created_at, key = json.loads(raw)
        if found != kind or not isinstance(key, (str, int)):
            raise ValueError(found)
        return datetime.fromisoformat(created_at), key
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadUserInput(f"{field} is not a cursor of this list", field=field) from None


def _checked(window: Window) -> Window:
    if window.first is not None and window.last is not None:
        raise BadUserInput("give first or last, not both", field="last")
    for name in ("first", "last"):
        size = getattr(window, name)
        if size is not None and not 1 <= size <= MAX_PAGE:
            raise BadUserInput(f"{name} must be 1 to {MAX_PAGE}", field=name)
    if window.offset < 0:
        raise BadUserInput("offset must not be negative", field="offset")
    if window.offset and window.last is not None:
        raise BadUserInput("offset pages forward only: use last and before", field="offset")
    if window.first is None and window.last is None:
        return Window(DEFAULT_PAGE, window.after, None, window.before, window.offset)
    return window


def keyset_page(
    session: Session,
    query: Any,
    kind: str,
    columns: tuple[Any, Any],
    key_of: Callable[[Any], tuple[datetime, Any]],
    window: Window,
    descending: bool = False,
) -> Page[Any]:
    """One page of `query` (a select with its filters, unordered) in (created_at, id) order.

    `columns` are the created-at and id columns, `key_of` reads them from a result row;
    `descending` lists newest first. `totalCount` counts every row the filters keep.
    """
    window = _checked(window)
    created, key = columns

    def later(cursor: str, field: str) -> Any:
        """Rows strictly after the cursor in the list's order."""
        at, ident = decode_cursor(kind, cursor, field)
        if descending:
            return or_(created < at, and_(created == at, key < ident))
        return or_(created > at, and_(created == at, key > ident))

    def earlier(cursor: str, field: str) -> Any:
        at, ident = decode_cursor(kind, cursor, field)
        if descending:
            return or_(created > at, and_(created == at, key > ident))
        return or_(created < at, and_(created == at, key < ident))

    bounded = query
    if window.after is not None:
        bounded = bounded.where(later(window.after, "after"))
    if window.before is not None:
        bounded = bounded.where(earlier(window.before, "before"))
    forward = window.last is None
    size = window.first if forward else window.last
    assert size is not None
    reverse = descending == forward  # the SQL order that reads this page's end first
    ordered = bounded.order_by(*((created.desc(), key.desc()) if reverse else (created.asc(), key.asc())))
    if forward:
        ordered = ordered.offset(window.offset)
    found = list(session.execute(ordered.limit(size + 1)).all())
    more = len(found) > size
    found = found[:size] if forward else list(reversed(found[:size]))

    def exists(condition: Any) -> bool:
        return session.execute(query.where(condition).limit(1)).first() is not None

    if forward:
        has_next = more
        has_previous = bool(window.offset) or (window.after is not None and exists(not_(later(window.after, "after"))))
    else:
        has_previous = more
        has_next = window.before is not None and exists(not_(earlier(window.before, "before")))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = [r[0] if len(r) == 1 else tuple(r) for r in found]
    cursors = [encode_cursor(kind, *key_of(r)) for r in rows]
    info = PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
    return Page(rows=rows, cursors=cursors, page_info=info, total=total)


async def newest_first(store: Store, query: Any, kind: str, created: Any, key: Any, window: Window) -> Page[Any]:
    """A page of a log table (rows with `created_at` and `id`), newest first, read off the event loop."""

    def read() -> Page[Any]:
        with store.read() as session:
            return keyset_page(
                session, query, kind, (created, key), lambda r: (r.created_at, r.id), window, descending=True
            )

    return await store.run(read)


SINCE = "Only rows at or after this time."
UNTIL = "Only rows before this time."
# The arguments of a list with a time window, for fields declared after this module's texts.
Since = Annotated[Optional[datetime], strawberry.argument(description=SINCE)]
Until = Annotated[Optional[datetime], strawberry.argument(description=UNTIL)]
First = Annotated[Optional[int], strawberry.argument(description=FIRST)]
After = Annotated[Optional[str], strawberry.argument(description=AFTER)]
Last = Annotated[Optional[int], strawberry.argument(description=LAST)]
Before = Annotated[Optional[str], strawberry.argument(description=BEFORE)]


def between(query: Any, column: Any, since: Optional[datetime], until: Optional[datetime]) -> Any:
    """`query` kept to rows with `column` in [since, until); a time without a zone is taken as UTC."""
    since, until = _aware(since), _aware(until)
    if since is not None and until is not None and since > until:
        raise BadUserInput("since must not be later than until", field="since")
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column < until)
    return query


def _aware(value: Optional[datetime]) -> Optional[datetime]:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
