"""The live data source: resolvers read the connection's system through its connector.

Lists page through the system; relations resolve through per-request DataLoaders,
so a nested query costs one batched upstream call per entity type and level
(or one per distinct id where the system cannot fetch many at once).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aiodataloader import DataLoader

from connectors.base import Connector, ListQuery
from schema.builder import DEFAULT_PAGE_SIZE
from schema.errors import BadUserInput
from schema.record import Record, ResultPage

from ..connections import describe
from ..store.tables import Connection
from .ids import global_id, page_cursor, parse_global_id, parse_page_cursor


class LiveSource:
    """Implements `schema.record.DataSource` for one connection and one request."""

    def __init__(self, connection: Connection, connector: Connector, max_page_size: int) -> None:
        self.connection = connection
        self.connector = connector
        self.max_page_size = max_page_size
        self._loaders: dict[str, DataLoader] = {}

    # -- lists ----------------------------------------------------------------

    async def list(
        self, entity: str, *, first: int | None, after: str | None, filter: dict[str, Any]
    ) -> ResultPage:
        first = DEFAULT_PAGE_SIZE if first is None else first
        if not 1 <= first <= self.max_page_size:
            raise BadUserInput(f"'first' must be between 1 and {self.max_page_size}", field="first")
        self.connector.require(entity)
        list_key = _list_key(entity, filter)
        upstream, skip = parse_page_cursor(list_key, after) if after else (None, 0)
        query = ListQuery(
            updated_after=filter.get("updatedAfter"),
            created_after=filter.get("createdAfter"),
            statuses=_statuses(filter),
        )
        records: list[Record] = []
        cursors: list[str] = []
        while True:
            need = first - len(records)
            page = await self.connector.list_page(
                entity, query, upstream, min(skip + need, self.connector.max_page_size)
            )
            taken = page.records[skip : skip + need]
            records += taken
            end = skip + len(taken)
            cursors += [page_cursor(list_key, upstream, skip + i + 1) for i in range(len(taken))]
            if end < len(page.records):  # stopped inside this page
                has_next, end_cursor = True, page_cursor(list_key, upstream, end)
                break
            if page.next_cursor is None:
                has_next, end_cursor = False, page_cursor(list_key, upstream, end)
                break
            upstream, skip = page.next_cursor, 0
            if len(records) >= first:  # the page ended exactly here: resume on the next one
                has_next, end_cursor = True, page_cursor(list_key, upstream, 0)
                if cursors:
                    cursors[-1] = end_cursor
                break
        loader = self._loader(entity)
        for record in records:
            loader.prime(record.remote_id, record)
        return ResultPage(records, cursors, end_cursor if records or after else None, has_next)

    # -- by id ------------------------------------------------------------------

    def _loader(self, entity: str) -> DataLoader:
        loader = self._loaders.get(entity)
        if loader is None:

            async def batch(ids: list[str]) -> list[Record | None]:
                self.connector.require(entity)
                found = {r.remote_id: r for r in await self.connector.fetch_many(entity, ids)}
                return [found.get(i) for i in ids]

            loader = self._loaders[entity] = DataLoader(batch)
        return loader

    async def load(self, entity: str, remote_id: str) -> Record | None:
        return await self._loader(entity).load(str(remote_id))

    async def load_many(self, entity: str, remote_ids: list[str]) -> list[Record | None]:
        return await self._loader(entity).load_many([str(i) for i in remote_ids])

    async def node(self, value: str) -> Record | None:
        connection_id, entity, remote_id = parse_global_id(value)
        if connection_id != self.connection.id or not self.connector.entry.supports(entity):
            return None  # another connection's ids are simply not found here
        return await self.load(entity, remote_id)

    def global_id(self, record: Record) -> str:
        return global_id(self.connection.id, record.entity, record.remote_id)

    def connection_info(self) -> dict[str, Any]:
        return describe(self.connection)


def _statuses(filter: dict[str, Any]) -> tuple[str, ...] | None:
    for key in ("status", "type"):
        if key in filter:
            return tuple(filter[key])
    return None


def _list_key(entity: str, filter: dict[str, Any]) -> str:
    """Ties a cursor to its list and filter, so it cannot be replayed elsewhere."""
    fingerprint = json.dumps(filter, sort_keys=True, default=str)
    return entity + ":" + hashlib.sha256(fingerprint.encode()).hexdigest()[:12]
