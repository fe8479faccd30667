"""Reusable pieces for JSON REST systems: streams, envelopes, the connector.

A REST connector subclasses `RestConnector` and declares its streams, paging
style (a `RestPaging`: `OffsetPaging`, `CursorPaging` or `PagePaging` from
`paging.py`, re-exported here) and
where responses carry records (`Envelope`: the connector's `list_key` /
`item_key`, or a stream's own `envelope`); hooks cover the odd parts (login,
filter formats). Filters go through the kit's planner (`base.plan_filter`): a
stream's `*_param`s say what the API filters (`filterable`), `filter_params`
renders that part as query parameters, and the rest is matched on the mapped
records.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

from schema.errors import BadUserInput, NotFound, SystemAuthFailed, SystemRejected
from schema.model import CustomObject
from schema.record import Record

from .base import ConnectionConfig, Connector, Filterable, FilterPlan, ListQuery, Page, plan_filter
from .discovery import FieldCandidate, ObjectCandidate, graphql_name, map_object, sampled_fields
from .http import HttpPolicy, UpstreamClient, default_error_message, sent_ahead
from .mapping import EntityMap, dig
from .paging import OVERLAP, TAIL, CursorPaging, OffsetCursor, OffsetPaging, PagePaging, RestPaging
from .passthrough import RawRequest, RawResponse, exchange
from .remote_ids import id_problem
from .tasks import discard
from .writes import CREATE, UPDATE, WriteMap

__all__ = [
    "OVERLAP",
    "TAIL",
    "CursorPaging",
    "Envelope",
    "ListQuery",
    "OffsetCursor",
    "OffsetPaging",
    "Page",
    "PagePaging",
    "RestConnector",
    "RestPaging",
    "Stream",
    "record_path",
]


def record_path(collection: str, remote_id: str) -> str:
    """One record's URL path; the id is checked and quoted, so an id can never reach another path."""
    problem = id_problem(remote_id)
    if problem is not None:
        raise BadUserInput(f"the record id {problem}", field="id")
    return f"{collection}/{quote(remote_id, safe='')}"


@dataclass(frozen=True)
class Envelope:
    """Where a response body carries its records, as Airbyte's record selector names a path:
    a list at `records`, one record at `record` (None: the body is the list, or the record). Paths
    are dotted."""

    records: str | None = "results"
    record: str | None = "result"

    def rows(self, body: Any) -> Any:
        return dig(body, self.records) if self.records else body

    def row(self, body: Any) -> Any:
        return dig(body, self.record) if self.record else body


@dataclass(frozen=True)
class Stream:
    """One remote resource read as one unified entity.

    `envelope` says where this resource's responses carry records, for APIs that name the
    envelope after each resource (None: the connector's `list_key` / `item_key`). `params` are
    query parameters every list and fetch-many call of the stream sends, for resources that
    share a path and are told apart by a filter (like OData's `fixed_filter`).
    """

    mapping: EntityMap
    path: str
    status_field: str | None = "status"
    updated_param: str | None = None
    created_param: str | None = None
    status_param: str | None = None
    ids_param: str | None = None  # set when the API fetches many ids in one call
    writes: WriteMap | None = None  # writable fields, where the system takes writes
    custom_under: str = ""  # where the system keeps its custom fields in a record, if nested
    envelope: Envelope | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def entity(self) -> str:
        return self.mapping.entity


class RestConnector(Connector):
    """A JSON REST system described by class attributes."""

    streams: ClassVar[tuple[Stream, ...]] = ()
    paging: ClassVar[RestPaging] = OffsetPaging()
    api_prefix: ClassVar[str] = ""
    list_key: ClassVar[str | None] = "results"  # None: a list's body is the list
    item_key: ClassVar[str | None] = "result"
    fetch_concurrency: ClassVar[int] = 8
    update_method: ClassVar[str] = "PATCH"
    object_paths: ClassVar[tuple[str, ...]] = ()  # resources offered as custom objects
    object_envelopes: ClassVar[Mapping[str, Envelope]] = {}  # an offered resource's own envelope, by path

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

    async def call(self, method: str, path: str, headers: Mapping[str, str] | None = None, **kwargs: Any) -> Any:
        """One authenticated JSON call (with `headers` of its own, like `If-Match`), re-authenticating
        once if the session expired.

        The answer to a `DELETE` is not read (many APIs send 204 without a body): None."""
        extra = dict(headers or {})
        try:
            return await self._send(method, path, {**await self.auth_headers(), **extra}, **kwargs)
        except SystemAuthFailed:
            if not await self.on_auth_failure():
                raise
            return await self._send(method, path, {**await self.auth_headers(), **extra}, **kwargs)

    async def _send(self, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
        if method == "DELETE":
            await self.http.request(method, path, headers=headers, **kwargs)
            return None
        return await self.http.json(method, path, headers=headers, **kwargs)

    async def passthrough(self, request: RawRequest) -> RawResponse:
        """A raw call with `auth_headers`; a refused session logs in again once, as `call` does."""
        return await exchange(
            self.http, request.url(self.instance_root), request, self.auth_headers, self.on_auth_failure
        )

    def stream(self, entity: str) -> Stream:
        self.require(entity)
        return self._by_entity[entity]

    def envelope(self, stream: Stream | None = None) -> Envelope:
        """Where responses about a stream's records carry them: its own envelope, else the connector's."""
        if stream is not None and stream.envelope is not None:
            return stream.envelope
        return Envelope(self.list_key, self.item_key)

    def entity_map(self, entity: str) -> EntityMap | None:
        return self.stream(entity).mapping

    def valid_cursor(self, cursor: str) -> bool:
        return self.paging.valid(cursor)

    async def check(self) -> None:
        first = self.streams[0]
        await self.call("GET", first.path, params=self.paging.params(None, 1))

    def filterable(self, stream: Stream) -> Filterable:
        """What the API filters for a stream: the filters it names a query parameter for."""
        return Filterable(
            stream.mapping,
            stream.status_field,
            updated_after=bool(stream.updated_param),
            created_after=bool(stream.created_param),
            statuses=bool(stream.status_param),
        )

    def filter_plan(self, stream: Stream, query: ListQuery) -> FilterPlan | None:
        """The kit's planner on this stream (None: nothing can match)."""
        return plan_filter(query, self.filterable(stream))

    def filter_params(self, stream: Stream, plan: FilterPlan) -> dict[str, Any]:
        """The pushed part of a plan as query parameters, and the stream's fixed ones."""
        pushed, params = plan.pushed, dict(stream.params)
        if pushed.updated_after and stream.updated_param:
            params[stream.updated_param] = self.format_time(pushed.updated_after)
        if pushed.created_after and stream.created_param:
            params[stream.created_param] = self.format_time(pushed.created_after)
        if pushed.statuses is not None and stream.status_param:
            params[stream.status_param] = self.format_statuses(list(plan.raw_statuses))
        return params

    async def list_page(self, entity: str, query: ListQuery, cursor: str | None, limit: int) -> Page:
        stream = self.stream(entity)
        plan = self.filter_plan(stream, query)
        if plan is None:
            return Page([], None)
        limit = min(limit, self.max_page_size)
        rows, next_cursor = self._cut(stream, cursor, limit, await self._get_page(stream, plan, cursor, limit))
        return self._mapped_page(stream, plan, rows, next_cursor)

    async def read_pages(
        self, entity: str, query: ListQuery, cursor: str | None, limit: int
    ) -> AsyncGenerator[Page, None]:
        """`list_page` after `list_page`, but the next page is asked for as soon as its cursor is known,
        before this one is mapped: the system prepares it while this one is mapped and stored here.
        Still one request at a time; a failed request fails the iteration after the pages before it.
        A connector with a `list_page` of its own (Maximo's) is read through that, one page after another."""
        if type(self).list_page is not RestConnector.list_page:
            async with aclosing(super().read_pages(entity, query, cursor, limit)) as pages:
                async for page in pages:
                    yield page
            return
        stream = self.stream(entity)
        plan = self.filter_plan(stream, query)
        if plan is None:
            yield Page([], None)
            return
        limit = min(limit, self.max_page_size)
        coming: asyncio.Future[Any] = asyncio.ensure_future(self._get_page(stream, plan, cursor, limit))
        try:
            while True:
                rows, next_cursor = self._cut(stream, cursor, limit, await coming)
                if next_cursor is not None:
                    coming = await sent_ahead(self._get_page(stream, plan, next_cursor, limit))
                yield self._mapped_page(stream, plan, rows, next_cursor)
                if next_cursor is None:
                    return
                cursor = next_cursor
        finally:
            discard(coming)

    async def _get_page(self, stream: Stream, plan: FilterPlan, cursor: str | None, limit: int) -> Any:
        params = {**self.filter_params(stream, plan), **self.paging.params(cursor, limit, self.max_page_size)}
        return await self.call("GET", stream.path, params=params)

    def _cut(self, stream: Stream, cursor: str | None, limit: int, body: Any) -> tuple[list[Any], str | None]:
        """The served rows that follow the cursor, still raw, and where the next page starts."""
        envelope = self.envelope(stream)
        rows = envelope.rows(body)
        if not isinstance(rows, list):
            what = f"a list without '{envelope.records}'" if envelope.records else "an answer that is not a list"
            raise SystemRejected(f"{self.entry.name} sent {what}")
        ids = [stream.mapping.remote_id_of(row) for row in rows]
        window, next_cursor = self.paging.cut(cursor, limit, ids, body, self.max_page_size)
        return rows[window], next_cursor

    def _mapped_page(self, stream: Stream, plan: FilterPlan, rows: list[Any], next_cursor: str | None) -> Page:
        records = self.with_custom_values([stream.mapping.map(row) for row in rows])
        return Page([r for r in records if plan.residual.matches(r, stream.status_field)], next_cursor)

    def _new_rows(self, cursor: str | None, limit: int, records: list[Record], body: Any) -> Page:
        """The rows of a served page that follow the cursor, and where the next page starts."""
        window, next_cursor = self.paging.cut(cursor, limit, [r.remote_id for r in records], body, self.max_page_size)
        return Page(records[window], next_cursor)

    async def fetch_many(self, entity: str, remote_ids: list[str]) -> list[Record]:
        stream = self.stream(entity)
        if stream.ids_param:
            params = {stream.ids_param: ",".join(remote_ids), **stream.params}
            body = await self.call("GET", stream.path, params=params)
            return [stream.mapping.map(row) for row in self.envelope(stream).rows(body) or []]
        limiter = asyncio.Semaphore(self.fetch_concurrency)

        async def one(remote_id: str) -> Record | None:
            async with limiter:
                try:
                    body = await self.call("GET", record_path(stream.path, remote_id))
                except SystemRejected as exc:
                    if exc.extensions.get("status") == 404:
                        return None  # deleted upstream: the relation resolves to null
                    raise
            row = self.envelope(stream).row(body)
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
        return self.envelope(stream).row(body)

    def _payload(self, stream: Stream, operation: str, values: dict[str, Any]) -> Any:
        return self.write_body(stream, self.write_payload(operation, stream.entity, values))

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
        guard = await self.write_guard(entity, remote_id, if_match)
        body = await self._on_record("update", entity, remote_id, self.update_method, json=payload, headers=guard)
        return self._mapped(stream, body)

    async def write_guard(self, entity: str, remote_id: str, if_match: str | None) -> dict[str, str]:
        """What makes an update conditional on `ifMatch`: here the record is read and compared
        (`current_version`) and no header is sent; a system that checks an ETag itself answers the
        `If-Match` header to send with the write."""
        await self.current_version(entity, remote_id, if_match)
        return {}

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

    async def _sample(
        self, path: str, envelope: Envelope, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Up to 20 rows of a resource, read with the stream's fixed `params` (its kind of record, its shape)."""
        body = await self.call("GET", path, params={**(params or {}), **self.paging.params(None, 20)})
        return [r for r in envelope.rows(body) or [] if isinstance(r, dict)]

    async def discover_fields(self, entity: str) -> list[FieldCandidate]:
        stream = self.stream(entity)
        mapped = set(stream.mapping.paths())
        rows = await self._sample(stream.path, self.envelope(stream), stream.params)
        return sampled_fields(entity, rows, mapped, stream.custom_under, writable=stream.writes is not None)

    async def discover_objects(self) -> list[ObjectCandidate]:
        found = []
        for path in self.object_paths:
            plural = graphql_name(path.strip("/").split("/")[-1])  # resources are named in the plural
            name = graphql_name(plural.removesuffix("s") or plural, upper=True)
            fields = sampled_fields(name, await self._sample(path, self._object_envelope(path)), set())
            found.append(ObjectCandidate(path, name, plural, "id", path, tuple(fields)))
        return found

    def _object_path(self, obj: CustomObject) -> str:
        if obj.remote_name not in self.object_paths:
            raise NotFound(f"{self.entry.name} has no object '{obj.remote_name}' to serve")
        return obj.remote_name

    def _object_envelope(self, path: str) -> Envelope:
        return self.object_envelopes.get(path) or self.envelope()

    async def list_objects(self, obj: CustomObject, cursor: str | None, limit: int) -> Page:
        limit = min(limit, self.max_page_size)
        params = self.paging.params(cursor, limit, self.max_page_size)
        path = self._object_path(obj)
        body = await self.call("GET", path, params=params)
        rows = self._object_envelope(path).rows(body) or []
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
            row = self._object_envelope(path).row(body)
            if row:
                found.append(map_object(obj, row, self.custom_value))
        return found

    async def aclose(self) -> None:
        await self.http.aclose()
