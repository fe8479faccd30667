"""The data source of one connection and one request: live through the connector, or the replica.

Live lists page through the system; relations resolve through per-request
DataLoaders, so a nested query costs one batched upstream call per entity type
and level (or one per distinct id where the system cannot fetch many at once).
Replica reads page over the synced copy with the same cursors and filters.
"""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import json
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from typing import Any

from aiodataloader import DataLoader
from sqlmodel import Session, select

from connectors.base import Connector, ListQuery, Page
from connectors.selection import mapping_only
from schema.entities import BY_NAME
from schema.errors import BadUserInput
from schema.record import DEFAULT_PAGE_SIZE, Record, ResultPage

from . import replica, replica_version
from .answers import Trail
from .connections import describe
from .events.bus import EventBus
from .health import Health
from .ids import (
    LazyCursors,
    cursor_record,
    global_id,
    page_cursor,
    parse_global_id,
    parse_page_cursor,
    parse_sorted_cursor,
    sorted_cursor,
)
from .replica_cache import CachedPage, PageCache
from .requestlog.kinds import WRITE, calling
from .store.engine import Store
from .store.sync_tables import SyncSchedule, SyncState
from .store.tables import Connection
from .writes import Writer

LIVE, REPLICA = "LIVE", "REPLICA"
TIME_FIELDS = {"updatedAfter": "updatedAt", "createdAfter": "createdAt"}  # the time filters and what they read


class ConnectionSource:
    """Implements `schema.record.DataSource` for one connection and one request."""

    def __init__(
        self,
        connection: Connection,
        connector: Connector,
        store: Store,
        health: Health,
        bus: EventBus,
        max_page_size: int,
        pages: PageCache | None = None,
    ) -> None:
        self.connection = connection
        self.pages = pages if pages is not None else PageCache()
        self.trail = Trail()  # what this request read (see answers.py)
        self.bus = bus
        self.connector = connector
        self.store = store
        self.health = health
        self.max_page_size = max_page_size
        self._loaders: dict[tuple[str, str], DataLoader] = {}
        # Records a list already holds, by loader: handed to the loader when first asked for (few are).
        self._primed: dict[tuple[str, str], dict[str, Record]] = {}

    async def _upstream(self, fn: Any, *args: Any) -> Any:
        """Every live call goes through the connection's health (breaker, status)."""
        return await self.health.call(self.connection, self.connector.entry.name, lambda: fn(*args))

    # -- lists ----------------------------------------------------------------

    async def list(
        self,
        entity: str,
        *,
        first: int | None,
        after: str | None,
        filter: dict[str, Any],
        source: str = LIVE,
        last: int | None = None,
        before: str | None = None,
        order: dict[str, str] | None = None,
        fields: frozenset[str] | None = None,
    ) -> ResultPage:
        """A page forward (`first`/`after`) or backward (`last`/`before`), live or from the replica.

        `order` ({field, direction}, from `orderBy`) sorts replica lists by an indexed column;
        live, only by what the connector declares in `live_order` (else the system's own order).
        `fields` (what the query reads of each record): a live list maps only those, and what
        its filter reads (see connectors/selection.py)."""
        backward = last is not None or before is not None
        if backward and (first is not None or after is not None):
            raise BadUserInput("page forward (first/after) or backward (last/before), not both", field="last")
        size = _page_size(last if backward else first, "last" if backward else "first", self.max_page_size)
        self._require(entity)
        filter = {k: _aware(v) for k, v in filter.items()}
        list_key = _list_key(self.connection.id, entity, filter, source, order)
        custom = self._custom_filter(entity, filter)
        if source == REPLICA and (custom or self.extension.object(entity)):
            raise BadUserInput(
                "custom objects, and filters on custom or remapped fields, are read live (the system filters them)",
                field="source",
            )
        if order and source != REPLICA:
            self._check_live_order(entity, order)
        query = ListQuery(
            updated_after=filter.get("updatedAfter"),
            created_after=filter.get("createdAfter"),
            statuses=_statuses(entity, filter),
            custom=custom,
            include_deleted=bool(filter.get("includeDeleted")),
            order_by=(order["field"], order["direction"]) if order and source != REPLICA else None,
        )
        if self.extension.object(entity) is None:
            self.connector.check_query(entity, query)  # live and replica alike: records without the time
        if source == REPLICA:
            page = await self.store.read_now(
                self._replica_page, entity, size, before if backward else after, filter, list_key, backward, order
            )
            page.counter = lambda: self._count(self.store.run(self._replica_count, entity, filter))
            self._prime(entity, REPLICA, page.records)
            return page
        self.trail.other = True
        with self._mapping_only(entity, fields, filter, order):
            if backward:
                page = await self._live_backward(entity, query, list_key, size, before)
            else:
                page = await self._live_forward(entity, query, list_key, size, after)
        self._prime(entity, LIVE, page.records)
        page.counter = lambda: self._live_count(entity, query)
        return page

    def _mapping_only(
        self, entity: str, fields: frozenset[str] | None, filter: dict[str, Any], order: dict[str, str] | None
    ) -> AbstractContextManager[None]:
        """Records of this list mapped for the query's fields and the filter's (remapped fields whole,
        so that `unmapped` keeps the system's value); every field without `fields`."""
        if fields is None or self.extension.object(entity) is not None:
            return nullcontext()
        read = {*filter, *(TIME_FIELDS[f] for f in filter if f in TIME_FIELDS), *([order["field"]] if order else [])}
        remapped = {f.name for f in self.extension.mappings_for(entity)}
        return mapping_only(entity, frozenset(fields | read | remapped))

    def _count(self, counting: Awaitable[int]) -> Awaitable[int]:
        """A replica count: read after the list's version, so not part of what an answer is kept under."""
        self.trail.other = True
        return counting

    async def _live_forward(
        self, entity: str, query: ListQuery, list_key: str, first: int, after: str | None
    ) -> ResultPage:
        upstream, skip = parse_page_cursor(list_key, after) if after else (None, 0)
        records: list[Record] = []
        # Where each row's cursor points (upstream page, rows to skip, record): encoded only when read.
        marks: list[tuple[str | None, int, str | None]] = []
        while True:
            need = first - len(records)
            limit = min(skip + need, self.connector.max_page_size)
            page = await self._upstream(self._list_page, entity, query, upstream, limit)
            taken = page.records[skip : skip + need]
            records += taken
            end = skip + len(taken)
            marks += [(upstream, skip + i + 1, r.remote_id) for i, r in enumerate(taken)]
            if end < len(page.records):  # stopped inside this page
                has_next, end_mark = True, marks[-1] if marks else (upstream, end, None)
                break
            if page.next_cursor is None:
                has_next, end_mark = False, marks[-1] if marks else (upstream, end, None)
                break
            upstream, skip = page.next_cursor, 0
            if len(records) >= first:  # the page ended exactly here: resume on the next one
                has_next, end_mark = True, (upstream, 0, records[-1].remote_id)
                marks[-1] = end_mark
                break
        cursors = LazyCursors(lambda i: page_cursor(list_key, *marks[i]), len(marks))
        end_cursor = page_cursor(list_key, *end_mark) if records or after else None
        return ResultPage(records, cursors, end_cursor, has_next, has_previous_page=after is not None)

    async def _live_backward(
        self, entity: str, query: ListQuery, list_key: str, last: int, before: str | None
    ) -> ResultPage:
        """Systems page forward only: read from the start up to `before` (or the end), keep the last `last`.

        Costs every page before the cursor; the replica pages backward by key at the cost of one query.
        """
        stop_at = cursor_record(list_key, before) if before else None
        window: deque[tuple[Record, str]] = deque(maxlen=last + 1)
        upstream: str | None = None
        found = False
        while not found:
            page = await self._upstream(self._list_page, entity, query, upstream, self.connector.max_page_size)
            for i, record in enumerate(page.records):
                if record.remote_id == stop_at:
                    found = True
                    break
                window.append((record, page_cursor(list_key, upstream, i + 1, record.remote_id)))
            if page.next_cursor is None:
                break
            upstream = page.next_cursor
        if stop_at is not None and not found:
            raise BadUserInput("'before' names a record this list no longer holds", field="before")
        has_previous = len(window) > last
        kept = list(window)[-last:]
        records, cursors = [r for r, _ in kept], [c for _, c in kept]
        return ResultPage(
            records,
            cursors,
            cursors[-1] if cursors else None,
            has_next_page=before is not None,
            has_previous_page=has_previous,
        )

    def _check_live_order(self, entity: str, order: dict[str, str]) -> None:
        """Refuse, before any upstream call, an order the system cannot list in."""
        if order["field"] in self.connector.live_order and self.extension.object(entity) is None:
            return
        name = self.connector.entry.name
        raise BadUserInput(
            f"{name} cannot list {entity} records sorted by {order['field']}: read them with source: REPLICA "
            f"(sorted by {', '.join(replica.ORDER_COLUMNS)}) or leave out orderBy for {name}'s own order",
            field="orderBy",
            system=self.connector.entry.key,
        )

    async def _live_count(self, entity: str, query: ListQuery) -> int | None:
        if self.extension.object(entity) is not None:
            return None
        return await self._upstream(self.connector.count, entity, query)

    def _replica_count(self, entity: str, filter: dict[str, Any]) -> int:
        with self.store.read() as session:
            return replica.count_listed(session, self.connection.id, entity, filter, _status_field(entity))

    # -- custom fields and objects ----------------------------------------------

    @property
    def extension(self) -> Any:
        return self.connector.config.extension

    def _require(self, entity: str) -> None:
        if self.extension.object(entity) is None:
            self.connector.require(entity)

    def _custom_filter(self, entity: str, filter: dict[str, Any]) -> tuple[tuple[Any, Any], ...]:
        return tuple((f, filter[f.name]) for f in self.extension.sourced_for(entity) if f.name in filter)

    async def _list_page(self, entity: str, query: ListQuery, cursor: str | None, limit: int) -> Page:
        obj = self.extension.object(entity)
        if obj is not None:
            return await self.connector.list_objects(obj, cursor, limit)
        page = await self.connector.list_page(entity, query, cursor, limit)
        page.records = self.connector.with_custom_values(page.records)
        return page

    async def _fetch_many(self, entity: str, ids: builtins.list[str]) -> builtins.list[Record]:
        obj = self.extension.object(entity)
        if obj is not None:
            return await self.connector.fetch_objects(obj, ids)
        return self.connector.with_custom_values(await self.connector.fetch_many(entity, ids))

    # -- writes -------------------------------------------------------------------

    async def write(
        self,
        operation: str,
        entity: str,
        id: str | None,
        values: dict[str, Any],
        *,
        if_match: str | None = None,
        idempotency_key: str | None = None,
        write_options: dict[str, Any] | None = None,
    ) -> tuple[Record, bool]:
        self.trail.other = True
        writer = Writer(self.connection, self.connector, self.store, self._upstream)
        with calling(WRITE):
            record, replayed = await writer.write(
                operation, entity, id, values, if_match, idempotency_key, write_options
            )
        if operation != "delete":
            self._prime(entity, LIVE, [record])
        return record, replayed

    def _replica_page(
        self,
        entity: str,
        size: int,
        cursor: str | None,
        filter: dict[str, Any],
        list_key: str,
        backward: bool,
        order: dict[str, str] | None,
    ) -> ResultPage:
        """A replica page, from memory while the entity's replica version has not moved; its window read fresh."""
        key = (
            self.connection.id,
            entity,
            json.dumps([filter, order], sort_keys=True, default=str),
            size,
            cursor,
            backward,
        )
        with self.store.read() as session:
            # Version and window first: the page read after them is at least as new, so it may be kept under them.
            stamp = replica_version.stamps(session, self.connection.id, [entity])[entity]
            version, synced_at, history_start = stamp
            page = self.pages.get(key, self.connector, version)
            if page is None:
                page = self._read_page(session, entity, size, cursor, filter, list_key, backward, order, version)
                self.pages.put(key, page)
        self.trail.replica(entity, stamp)
        return ResultPage(
            page.records,
            page.cursors,
            page.end_cursor,
            page.has_next_page,
            synced_at=synced_at,
            history_start=history_start,
            has_previous_page=page.has_previous_page,
        )

    def _read_page(
        self,
        session: Session,
        entity: str,
        size: int,
        cursor: str | None,
        filter: dict[str, Any],
        list_key: str,
        backward: bool,
        order: dict[str, str] | None,
        version: int,
    ) -> CachedPage:
        """Keyset paging by remote id, or by (sort value, remote id) when `order` names a time."""
        column = replica.ORDER_COLUMNS[order["field"]] if order else None
        descending = bool(order and order["direction"] == "DESC")
        field = "before" if backward else "after"
        anchor: tuple[datetime | None, str] | None = None
        if cursor and column:
            anchor_id, value = parse_sorted_cursor(list_key, cursor, field)
            anchor = (value, anchor_id)
        elif cursor:
            after_id = parse_page_cursor(list_key, cursor, field)[0]
            anchor = None if after_id is None else (None, after_id)
        rows, more = replica.sorted_page(
            session,
            self.connection.id,
            entity,
            size,
            anchor,
            filter,
            _status_field(entity),
            column,
            descending,
            backward,
        )
        records = self.connector.with_custom_values([record for record, _ in rows])
        cursors: Sequence[str]
        if column:
            sorted_rows = rows
            cursors = LazyCursors(
                lambda i: sorted_cursor(list_key, sorted_rows[i][0].remote_id, sorted_rows[i][1]), len(rows)
            )
        else:
            cursors = LazyCursors(
                lambda i: page_cursor(list_key, records[i].remote_id, 0, records[i].remote_id), len(records)
            )
        anchored = anchor is not None
        has_next, has_previous = (anchored, more) if backward else (more, anchored)
        return CachedPage(
            self.connector, version, records, cursors, cursors[-1] if cursors else None, has_next, has_previous
        )

    # -- by id ------------------------------------------------------------------

    def finish(self) -> None:
        """The request is answered: let go of the records kept for its DataLoaders. Its context is
        in reference cycles (graphql-core's executor; each loader's batch function and this source),
        so what they hold would otherwise wait, often for a full collection, for the garbage collector."""
        self._primed.clear()
        self._loaders.clear()

    def _prime(self, entity: str, origin: str, records: builtins.list[Record]) -> None:
        primed = self._primed.setdefault((entity, origin), {})
        for record in records:
            primed.setdefault(record.remote_id, record)

    def _load(self, loader: DataLoader, entity: str, origin: str, remote_id: str) -> Awaitable[Record | None]:
        """`loader.load`, primed first with the record a list read (the loader keeps what it had already)."""
        record = self._primed.get((entity, origin), {}).pop(remote_id, None)
        if record is not None:
            loader.prime(remote_id, record.complete())  # a list may have mapped only the fields it read
        return loader.load(remote_id)

    def _loader(self, entity: str, origin: str) -> DataLoader:
        loader = self._loaders.get((entity, origin))
        if loader is None:

            async def batch(ids: list[str]) -> list[Record | None]:
                self._require(entity)
                if origin == REPLICA and self.extension.object(entity) is None:
                    found_list = await self.store.run(self._replica_many, entity, ids)
                else:
                    found_list = await self._upstream(self._fetch_many, entity, ids)
                found = {r.remote_id: r for r in found_list}
                return [found.get(i) for i in ids]

            loader = self._loaders[(entity, origin)] = DataLoader(batch)
        return loader

    def _replica_many(self, entity: str, ids: builtins.list[str]) -> builtins.list[Record]:
        with self.store.read() as session:
            return self.connector.with_custom_values(replica.get_many(session, self.connection.id, entity, ids))

    async def load(self, entity: str, remote_id: str, origin: str = LIVE, argument: str = "remoteId") -> Record | None:
        self.trail.other = True
        self.connector.check_id(entity, str(remote_id), argument)  # before any upstream call or query
        return await self._load(self._loader(entity, origin), entity, origin, str(remote_id))

    async def load_many(
        self, entity: str, remote_ids: builtins.list[str], origin: str = LIVE
    ) -> builtins.list[Record | None]:
        self.trail.other = True
        loader = self._loader(entity, origin)
        return await asyncio.gather(*(self._load(loader, entity, origin, str(i)) for i in remote_ids))

    async def node(self, value: str) -> Record | None:
        self.trail.other = True
        connection_id, entity, remote_id = parse_global_id(value)
        known = self.connector.entry.supports(entity) or self.extension.object(entity) is not None
        if connection_id != self.connection.id or not known:
            return None  # another connection's ids are simply not found here
        return await self.load(entity, remote_id, argument="id")

    def global_id(self, record: Record) -> str:
        return global_id(self.connection.id, record.entity, record.remote_id)

    def events(self, types: frozenset[str]) -> AsyncIterator[dict[str, Any]]:
        """This connection's live events (a token sees its own connection only)."""
        self.trail.other = True
        return self.bus.subscribe(self.connection.organization_id, self.connection.id, types)

    async def connection_info(self) -> dict[str, Any]:
        self.trail.other = True
        return {
            **describe(self.connection),
            "sync_status": await self.store.run(sync_status, self.store, self.connection.id),
        }


def sync_status(store: Store, connection_id: str) -> list[dict[str, Any]]:
    """Per entity: state, last started/succeeded, last error, next run, records synced."""
    with store.read() as session:
        plan = session.get(SyncSchedule, connection_id)
        states = session.exec(
            select(SyncState).where(SyncState.connection_id == connection_id).order_by(SyncState.entity)
        )
        return [
            {
                "entity": s.entity,
                "state": s.state,
                "mode": s.mode,
                "last_started_at": s.last_started_at,
                "last_succeeded_at": s.last_succeeded_at,
                "last_error": s.last_error,
                "next_run_at": plan.next_run_at if plan else None,
                "records_synced": s.records_synced,
                "retry_at": s.retry_at if s.state in ("FAILED", "UNAVAILABLE") else None,
                "history_start": s.history_start,
                "reconciled_at": s.reconciled_at,
            }
            for s in states
        ]


def _page_size(value: int | None, field: str, largest: int) -> int:
    size = DEFAULT_PAGE_SIZE if value is None else value
    if not 1 <= size <= largest:
        raise BadUserInput(f"'{field}' must be between 1 and {largest}", field=field)
    return size


def _aware(value: Any) -> Any:
    """A date-time filter without a zone means UTC (never a naive comparison downstream)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _status_field(entity: str) -> str | None:
    return BY_NAME[entity].status_field if entity in BY_NAME else None


def _statuses(entity: str, filter: dict[str, Any]) -> tuple[str, ...] | None:
    key = _status_field(entity)
    return tuple(filter[key]) if key and key in filter else None


def _list_key(
    connection_id: str, entity: str, filter: dict[str, Any], source: str, order: dict[str, str] | None = None
) -> str:
    """Ties a cursor to its connection, list, filter, order and source, so it cannot be replayed elsewhere."""
    fingerprint = json.dumps([connection_id, filter, *([order] if order else [])], sort_keys=True, default=str)
    return f"{source}:{entity}:" + hashlib.sha256(fingerprint.encode()).hexdigest()[:12]
