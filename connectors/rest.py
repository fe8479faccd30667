"""Reusable pieces for JSON REST systems: streams, paging styles, the connector.

A REST connector subclasses `RestConnector` and declares its streams, paging
style and envelope keys; hooks cover the odd parts (login, filter formats).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote, unquote

from schema.errors import BadUserInput, Conflict, NotFound, SystemAuthFailed, SystemRejected
from schema.model import CustomObject
from schema.record import Record

from .base import ConnectionConfig, Connector, ListQuery, Page
from .discovery import FieldCandidate, ObjectCandidate, graphql_name, map_object, sampled_fields
from .http import HttpPolicy, UpstreamClient, default_error_message
from .mapping import EntityMap, dig
from .remote_ids import id_problem
from .writes import CREATE, UPDATE, WriteMap


def record_path(collection: str, remote_id: str) -> str:
    """One record's URL path; the id is checked and quoted, so an id can never reach another path."""
    problem = id_problem(remote_id)
    if problem is not None:
        raise BadUserInput(f"the record id {problem}", field="id")
    return f"{collection}/{quote(remote_id, safe='')}"


@dataclass(frozen=True)
class Stream:
    """One remote resource read as one unified entity."""

    mapping: EntityMap
    path: str
    status_field: str | None = "status"
    updated_param: str | None = None
    created_param: str | None = None
    status_param: str | None = None
    ids_param: str | None = None  # set when the API fetches many ids in one call
    writes: WriteMap | None = None  # writable fields, where the system takes writes
    custom_under: str = ""  # where the system keeps its custom fields in a record, if nested

    @property
    def entity(self) -> str:
        return self.mapping.entity


# Rows an offset page re-reads before its cursor, and ids of the last rows seen its cursor carries.
OVERLAP = 20
TAIL = 5


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
        if not (offset.isascii() and offset.isdigit()):
            raise BadUserInput("not a cursor of this list", field="after")
        return cls(int(offset), tuple(unquote(i) for i in ids.split(",") if i))

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


@dataclass(frozen=True)
class OffsetPaging:
    """`offset` + `limit`; a short page is the last one.

    A plain offset skips a row whenever a row before it is deleted between two pages.
    So the cursor also names the last rows seen, and the next page asks from `overlap`
    rows earlier (in the same single call) and continues right after the newest of those
    rows it finds: keyset paging while fewer than `overlap` rows before the cursor vanish
    between two pages and one of the last `TAIL` seen is still listed; past that, the plain
    offset. Only sound where the system lists in a stable order.
    """

    offset_param: str = "offset"
    limit_param: str = "limit"
    overlap: int = OVERLAP

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
        at = OffsetCursor.parse(cursor)
        start, size = self.window(cursor, limit, cap)
        first = _resume_at(ids, at.seen, default=at.offset - start)
        end = min(first + limit, len(ids))
        if len(ids) < size and end == len(ids):
            return slice(first, end), None
        return slice(first, end), str(OffsetCursor(start + end, tuple(ids[max(0, end - TAIL) : end])))

    def valid(self, cursor: str) -> bool:
        try:
            OffsetCursor.parse(cursor)
        except BadUserInput:
            return False
        return True


@dataclass(frozen=True)
class CursorPaging:
    """An opaque cursor the system hands back with each page."""

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


class RestConnector(Connector):
    """A JSON REST system described by class attributes."""

    streams: ClassVar[tuple[Stream, ...]] = ()
    paging: ClassVar[OffsetPaging | CursorPaging] = OffsetPaging()
    api_prefix: ClassVar[str] = ""
    list_key: ClassVar[str] = "results"
    item_key: ClassVar[str | None] = "result"
    fetch_concurrency: ClassVar[int] = 8
    update_method: ClassVar[str] = "PATCH"
    object_paths: ClassVar[tuple[str, ...]] = ()  # resources offered as custom objects

    def __init__(self, config: ConnectionConfig, policy: HttpPolicy | None = None) -> None:
        super().__init__(config, policy)
        self.http = UpstreamClient(
            self.base_url + self.api_prefix,
            system=self.entry.name,
            policy=self.policy,
            error_message=self.error_message,
        )
        self._by_entity = {s.entity: s for s in self.streams}

    # -- hooks --------------------------------------------------------------

    def error_message(self, response: Any) -> str:
        return default_error_message(response)

    async def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate a call (log in first where needed)."""
        return {}

    async def on_auth_failure(self) -> bool:
        """Called once when a call is rejected as unauthorized; True = retry it."""
        return False

    def format_time(self, value: datetime) -> Any:
        return value.isoformat()

    def format_statuses(self, raw_values: list[Any]) -> Any:
        return ",".join(str(v) for v in raw_values)

    # -- protocol -----------------------------------------------------------

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One authenticated JSON call, re-authenticating once if the session expired."""
        headers = await self.auth_headers()
        try:
            return await self.http.json(method, path, headers=headers, **kwargs)
        except SystemAuthFailed:
            if not await self.on_auth_failure():
                raise
            return await self.http.json(method, path, headers=await self.auth_headers(), **kwargs)

    def stream(self, entity: str) -> Stream:
        self.require(entity)
        return self._by_entity[entity]

    def entity_map(self, entity: str) -> EntityMap | None:
        return self.stream(entity).mapping

    def valid_cursor(self, cursor: str) -> bool:
        return self.paging.valid(cursor)

    async def check(self) -> None:
        first = self.streams[0]
        await self.call("GET", first.path, params=self.paging.params(None, 1))

    def list_params(self, stream: Stream, query: ListQuery) -> tuple[dict[str, Any], ListQuery]:
        """Query parameters for the filters the API takes, and what is left to filter here."""
        params: dict[str, Any] = {}
        rest = query
        if query.updated_after and stream.updated_param:
            params[stream.updated_param] = self.format_time(query.updated_after)
            rest = replace(rest, updated_after=None)
        if query.created_after and stream.created_param:
            params[stream.created_param] = self.format_time(query.created_after)
            rest = replace(rest, created_after=None)
        spec = stream.mapping.enum_spec(stream.status_field) if stream.status_field else None
        if query.statuses is not None and stream.status_param and spec:
            raw = [r for s in query.statuses for r in spec.raw_values(s)]
            if not raw:
                return params, ListQuery(statuses=())  # nothing can match
            params[stream.status_param] = self.format_statuses(raw)
            rest = replace(rest, statuses=None)
        return params, rest

    async def list_page(self, entity: str, query: ListQuery, cursor: str | None, limit: int) -> Page:
        stream = self.stream(entity)
        params, residual = self.list_params(stream, query)
        if residual.statuses == ():
            return Page([], None)
        limit = min(limit, self.max_page_size)
        params.update(self.paging.params(cursor, limit, self.max_page_size))
        body = await self.call("GET", stream.path, params=params)
        rows = dig(body, self.list_key)
        if not isinstance(rows, list):
            raise SystemRejected(f"{self.entry.name} sent a list without '{self.list_key}'")
        page = self._new_rows(cursor, limit, [stream.mapping.map(row) for row in rows], body)
        records = self.with_custom_values(page.records)
        return Page([r for r in records if residual.matches(r, stream.status_field)], page.next_cursor)

    def _new_rows(self, cursor: str | None, limit: int, records: list[Record], body: Any) -> Page:
        """The rows of a served page that follow the cursor, and where the next page starts."""
        window, next_cursor = self.paging.cut(cursor, limit, [r.remote_id for r in records], body, self.max_page_size)
        return Page(records[window], next_cursor)

    async def fetch_many(self, entity: str, remote_ids: list[str]) -> list[Record]:
        stream = self.stream(entity)
        if stream.ids_param:
            body = await self.call("GET", stream.path, params={stream.ids_param: ",".join(remote_ids)})
            return [stream.mapping.map(row) for row in dig(body, self.list_key) or []]
        limiter = asyncio.Semaphore(self.fetch_concurrency)

        async def one(remote_id: str) -> Record | None:
            async with limiter:
                try:
                    body = await self.call("GET", record_path(stream.path, remote_id))
                except SystemRejected as exc:
                    if exc.extensions.get("status") == 404:
                        return None  # deleted upstream: the relation resolves to null
                    raise
            row = dig(body, self.item_key) if self.item_key else body
            return stream.mapping.map(row) if row else None

        found = await asyncio.gather(*(one(i) for i in remote_ids))
        return [r for r in found if r is not None]

    # -- writes -------------------------------------------------------------

    def write_map(self, entity: str) -> WriteMap | None:
        return self.stream(entity).writes

    def write_body(self, stream: Stream, payload: dict[str, Any]) -> Any:
        """The request body around a payload (some APIs want an envelope)."""
        return payload

    def written_row(self, stream: Stream, body: Any) -> Any:
        """The record in a write's response body."""
        return dig(body, self.item_key) if self.item_key else body

    def _payload(self, stream: Stream, operation: str, values: dict[str, Any]) -> Any:
        writes = stream.writes
        if writes is None:
            raise self._unsupported(operation, stream.entity)
        custom = self.config.extension.fields_for(stream.entity)
        return self.write_body(stream, writes.payload(operation, values, custom))

    def _mapped(self, stream: Stream, body: Any) -> Record:
        row = self.written_row(stream, body)
        if not isinstance(row, dict):
            raise SystemRejected(f"{self.entry.name} did not return the written record")
        return self.with_custom_values([stream.mapping.map(row)])[0]

    async def create(self, entity: str, values: dict[str, Any], options: Mapping[str, str] | None = None) -> Record:
        stream = self.stream(entity)
        body = await self.call("POST", stream.path, json=self._payload(stream, CREATE, values))
        return await self._created(stream, body)

    async def _created(self, stream: Stream, body: Any) -> Record:
        """The new record: inline where the answer carries it, else read back by the id it names
        (some systems answer a create with `{"id": ...}` alone), so the caller sees what the system holds."""
        if isinstance(self.written_row(stream, body), dict):
            return self._mapped(stream, body)
        new_id = body.get("id") if isinstance(body, dict) else None
        if new_id is None:
            raise SystemRejected(f"{self.entry.name} did not return the written record")
        found = await self.fetch_many(stream.entity, [str(new_id)])
        if not found:
            raise SystemRejected(f"{self.entry.name} created {stream.entity} {new_id} but cannot read it back")
        return found[0]

    async def current_version(self, entity: str, remote_id: str, if_match: str | None) -> None:
        """Optimistic concurrency where the API has none: compare before writing."""
        if if_match is None:
            return
        found = await self.fetch_many(entity, [remote_id])
        if not found:
            raise NotFound(f"{self.entry.name} has no {entity} {remote_id}")
        current = found[0].values.get("remoteVersion")
        if current != if_match:
            raise Conflict(
                f"{entity} {remote_id} changed in {self.entry.name} since version {if_match}; read it again",
                current_version=current,
            )

    async def update(
        self,
        entity: str,
        remote_id: str,
        values: dict[str, Any],
        if_match: str | None,
        options: Mapping[str, str] | None = None,
    ) -> Record:
        stream = self.stream(entity)
        payload = self._payload(stream, UPDATE, values)
        await self.current_version(entity, remote_id, if_match)
        body = await self._on_record("update", entity, remote_id, self.update_method, json=payload)
        return self._mapped(stream, body)

    async def delete(self, entity: str, remote_id: str, if_match: str | None) -> None:
        await self.current_version(entity, remote_id, if_match)
        await self._on_record("delete", entity, remote_id, "DELETE")

    async def _on_record(self, operation: str, entity: str, remote_id: str, method: str, **kwargs: Any) -> Any:
        stream = self.stream(entity)
        try:
            return await self.call(method, record_path(stream.path, remote_id), **kwargs)
        except SystemRejected as exc:
            if exc.extensions.get("status") == 404:
                raise NotFound(f"{self.entry.name} has no {entity} {remote_id}") from None
            raise

    # -- customization --------------------------------------------------------

    async def _sample(self, path: str) -> list[dict[str, Any]]:
        body = await self.call("GET", path, params=self.paging.params(None, 20))
        return [r for r in dig(body, self.list_key) or [] if isinstance(r, dict)]

    async def discover_fields(self, entity: str) -> list[FieldCandidate]:
        stream = self.stream(entity)
        specs = stream.mapping.fields.values()
        mapped = {spec if isinstance(spec, str) else getattr(spec, "path", None) for spec in specs} - {None}
        rows = await self._sample(stream.path)
        return sampled_fields(entity, rows, mapped, stream.custom_under, writable=stream.writes is not None)

    async def discover_objects(self) -> list[ObjectCandidate]:
        found = []
        for path in self.object_paths:
            plural = graphql_name(path.strip("/").split("/")[-1])  # resources are named in the plural
            name = graphql_name(plural.removesuffix("s") or plural, upper=True)
            fields = sampled_fields(name, await self._sample(path), set())
            found.append(ObjectCandidate(path, name, plural, "id", path, tuple(fields)))
        return found

    def _object_path(self, obj: CustomObject) -> str:
        if obj.remote_name not in self.object_paths:
            raise NotFound(f"{self.entry.name} has no object '{obj.remote_name}' to serve")
        return obj.remote_name

    async def list_objects(self, obj: CustomObject, cursor: str | None, limit: int) -> Page:
        limit = min(limit, self.max_page_size)
        params = self.paging.params(cursor, limit, self.max_page_size)
        body = await self.call("GET", self._object_path(obj), params=params)
        rows = dig(body, self.list_key) or []
        return self._new_rows(cursor, limit, [map_object(obj, row, self.custom_value) for row in rows], body)

    async def fetch_objects(self, obj: CustomObject, remote_ids: list[str]) -> list[Record]:
        path = self._object_path(obj)
        found = []
        for remote_id in remote_ids:
            try:
                body = await self.call("GET", record_path(path, remote_id))
            except SystemRejected as exc:
                if exc.extensions.get("status") == 404:
                    continue
                raise
            row = dig(body, self.item_key) if self.item_key else body
            if row:
                found.append(map_object(obj, row, self.custom_value))
        return found

    async def aclose(self) -> None:
        await self.http.aclose()
