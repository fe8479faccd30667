"""`ODataConnector`: the declarations of an OData system (v2 or v4) turned into the connector contract."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from schema.errors import BadUserInput, Conflict, NotFound, SystemRejected
from schema.model import CustomField, CustomObject
from schema.record import Record

from ..base import ConnectionConfig, Connector, ListQuery, Page, plan_filter
from ..batching import chunks
from ..discovery import FieldCandidate, ObjectCandidate, coerce
from ..http import HttpPolicy
from ..mapping import EntityMap, dig
from ..paging import KeysetPaging, PositionPaging
from ..passthrough import RawRequest, RawResponse
from ..writes import CREATE, UPDATE, put
from .client import ODataClient
from .metadata import SetInfo, field_candidates, object_candidate, parse_metadata
from .objects import ObjectSet
from .pushdown import clause, filterable
from .query import KEYS_PER_CALL, Query, all_of
from .reader import EntitySetClient
from .streams import EntitySetStream
from .values import lenient_date

# Pages of a set ordered by its single key continue after the last key (`k:<key>`; an offset
# cursor from before still resumes there); other sets and custom objects page by `$skip` (the cursor
# is the offset the last page ended at). A page holds at most `max_page_size` records (SAP Gateway's
# usual server page), so no `__next` is followed inside it.
KEYSET = KeysetPaging("k:", offsets=True)
POSITIONS = PositionPaging()


class ODataConnector(Connector):
    """An OData system described by its streams; pages go by key where a set allows it."""

    streams: ClassVar[tuple[EntitySetStream, ...]] = ()
    max_page_size: ClassVar[int] = 100  # SAP Gateway's usual server page: no `__next` inside a window
    keys_per_call: ClassVar[int] = KEYS_PER_CALL

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Live paging is keyset only where every stream pages by key (custom objects page by windows)."""
        super().__init_subclass__(**kwargs)
        if cls.streams:
            cls.live_paging = "keyset" if all(s.keyset for s in cls.streams) else "offset"

    def __init__(self, config: ConnectionConfig, policy: HttpPolicy | None = None) -> None:
        super().__init__(config, policy)
        self.odata = self.open_client()
        self._by_entity = {s.entity: s for s in self.streams}
        self._metadata: dict[str, dict[str, SetInfo]] = {}

    def open_client(self) -> EntitySetClient:
        """The connection's client: SAP Gateway's OData v2 with Basic auth (and `sap-client`)."""
        creds = self.config.credentials
        return ODataClient(
            self.base_url,
            system=self.entry.name,
            username=creds.get("username", ""),
            password=creds.get("password", ""),
            sap_client=creds.get("sapClient"),
            policy=self.policy,
        )

    async def passthrough(self, request: RawRequest) -> RawResponse:
        return await self.odata.passthrough(self.instance_root, request)

    def stream(self, entity: str) -> EntitySetStream:
        self.require(entity)
        return self._by_entity[entity]

    def entity_map(self, entity: str) -> EntityMap | None:
        return self.stream(entity).mapping

    async def enrich(self, stream: EntitySetStream, records: list[Record]) -> list[Record]:
        """Hook: add values from other entity sets to a page (in batched calls, never one per record)."""
        return records

    async def check(self) -> None:
        first = self.streams[0]
        await self.odata.collection(first.service, first.entity_set, Query(top=1, select=(first.key,)))

    # -- reads --------------------------------------------------------------------------

    def custom_select(self, stream: EntitySetStream) -> tuple[str, ...]:
        """The properties the connection's custom fields read, selected along with the mapping's."""
        return tuple(f.remote_path.split(".")[0] for f in self.config.extension.sourced_for(stream.entity))

    async def list_page(self, entity: str, query: ListQuery, cursor: str | None, limit: int) -> Page:
        """One page by keyset where the set allows it (else a window); `total` on a first page
        whose whole filter the service applied (later keyset pages count only what is left).

        When part of the filter is applied here, a full server page is read (never a `$top` shrunk to
        what is still missing, which costs a call per few records) and the page ends after the
        `limit`-th kept record."""
        stream = self.stream(entity)
        plan = plan_filter(query, filterable(stream))
        if plan is None:
            return Page([], None, 0)
        top = self.top(self.max_page_size if plan.screened else limit)
        paging: KeysetPaging | PositionPaging = KEYSET if stream.keyset else POSITIONS
        start = paging.start(cursor)
        after = f"{stream.key} gt {stream.key_literal(start.after)}" if start.after is not None else None
        options = stream.query(
            all_of([clause(stream, plan), after]),
            self.custom_select(stream),
            top=top,
            skip=start.offset,
            inlinecount=True,
        )
        page = await self.odata.collection(stream.service, stream.entity_set, options)
        records = await self.enrich(stream, [stream.mapping.map(row) for row in page.results])
        records = self.with_custom_values(records)
        kept = [r for r in records if plan.residual.matches(r, stream.status_field)]
        total = None if plan.screened or after is not None else page.count
        next_cursor = paging.next_cursor(
            start, [row.get(stream.key) for row in page.results], page.more(start.offset, top)
        )
        if stream.keyset and len(kept) > limit:
            kept, next_cursor = kept[:limit], KEYSET.after(kept[limit - 1].remote_id)
        return Page(kept, next_cursor, total)

    def top(self, limit: int) -> int:
        """`$top` of a page: at least one row, at most the server's page."""
        return max(1, min(limit, self.max_page_size))

    async def count(self, entity: str, query: ListQuery) -> int | None:
        """`/$count` with the same `$filter` as `list_page`; None when part of the filter is applied here."""
        stream = self._by_entity.get(entity)
        if stream is None:  # a custom object: not counted
            return None
        plan = plan_filter(query, filterable(stream))
        if plan is None:
            return 0
        if not plan.exact:
            return None
        return await self.odata.count(stream.service, stream.entity_set, stream.query(clause(stream, plan)).filter)

    async def fetch_many(self, entity: str, remote_ids: list[str]) -> list[Record]:
        stream = self.stream(entity)
        wanted = list(dict.fromkeys(str(i) for i in remote_ids if stream.may_exist(i)))
        if not wanted:
            return []
        extra = self.custom_select(stream)
        queries = [stream.query(stream.with_keys(ids), extra) for ids in chunks(wanted, self.keys_per_call)]
        rows = await self.odata.collect_all(stream.service, stream.entity_set, queries)
        return await self.enrich(stream, [stream.mapping.map(row) for row in rows])

    def custom_value(self, raw: Any, custom: CustomField) -> Any:
        """`/Date(ms)/` dates and `Edm.Decimal` strings read as their declared type."""
        return coerce(dig(raw, custom.remote_path), custom.type, lenient_date)

    # -- writes ---------------------------------------------------------------------------

    def check_write(self, operation: str, entity: str, values: dict[str, Any]) -> None:
        super().check_write(operation, entity, values)
        if operation in (CREATE, UPDATE):
            self.writes(entity, operation).validate(operation, values, self.config.extension.sourced_for(entity))

    def writes(self, entity: str, operation: str) -> Any:
        """The entity's `WriteMap` for this operation; unsupported when it has none."""
        stream = self.stream(entity)
        writes = stream.writes.of(operation) if stream.writes is not None else None
        if writes is None:
            raise self._unsupported(operation, entity)
        return writes

    def _payload(self, stream: EntitySetStream, operation: str, values: dict[str, Any]) -> dict[str, Any]:
        self.writes(stream.entity, operation)
        return stream.writes.payload(operation, values, self.config.extension.sourced_for(stream.entity))

    async def create(self, entity: str, values: dict[str, Any], options: Mapping[str, str] | None = None) -> Record:
        """`POST /EntitySet` (a deep insert when the payload carries navigations): one transaction.

        The stream's write settings go along (a missing one is refused before any call). When the answer
        leaves a navigation the mapping reads deferred, the record is read back, so what is returned
        (and replicated) is what the system holds."""
        stream = self.stream(entity)
        body = self._payload(stream, CREATE, values)
        for name, path in stream.writes.settings:
            put(body, path, self.required_option(name, options, entity))
        response = await self.odata.send("POST", stream.service, stream.entity_set, json=body)
        row = self.odata.entity_of(response)
        if not self.odata.expanded(row, stream.expand):
            return await self._current(stream, str(row.get(stream.key)))
        return self.with_custom_values([stream.mapping.map(row)])[0]

    async def update(
        self,
        entity: str,
        remote_id: str,
        values: dict[str, Any],
        if_match: str | None,
        options: Mapping[str, str] | None = None,
    ) -> Record:
        """`PATCH` with `If-Match` (answered 204), then the record read back."""
        stream = self.stream(entity)
        await self._on_record(stream, "PATCH", remote_id, if_match, json=self._payload(stream, UPDATE, values))
        return await self._current(stream, remote_id)

    async def delete(self, entity: str, remote_id: str, if_match: str | None) -> Record | None:
        """`DELETE` with `If-Match`; where the system only marks the record (a deletion marker), the
        record is read back as it now stands (status and `deletedAt`) for whoever keeps a copy."""
        stream = self.stream(entity)
        await self._on_record(stream, "DELETE", remote_id, if_match)
        return await self._current(stream, remote_id) if stream.deletion is not None else None

    async def _current(self, stream: EntitySetStream, remote_id: str) -> Record:
        found = self.with_custom_values(await self.fetch_many(stream.entity, [remote_id]))
        if not found:
            raise NotFound(f"{self.entry.name} has no {stream.entity} {remote_id}")
        return found[0]

    async def _on_record(
        self, stream: EntitySetStream, method: str, remote_id: str, if_match: str | None, json: Any = None
    ) -> None:
        """A write to one entity; the ETag the client read goes as `If-Match` (`*`: it read none)."""
        if if_match is not None and stream.mapping.version is None:
            raise BadUserInput(
                f"{self.entry.name} keeps no version of {stream.entity} records: leave ifMatch out", field="ifMatch"
            )
        headers = {"If-Match": if_match or "*"}
        try:
            await self.odata.send(method, stream.service, stream.key_path(remote_id), json=json, headers=headers)
        except SystemRejected as exc:
            status = exc.extensions.get("status")
            if status == 404:
                raise NotFound(f"{self.entry.name} has no {stream.entity} {remote_id}") from None
            if status == 412:
                current = await self._current(stream, remote_id)
                raise Conflict(
                    f"{stream.entity} {remote_id} changed in {self.entry.name} since version {if_match}; read it again",
                    current_version=current.values.get("remoteVersion"),
                ) from None
            raise

    # -- customization -----------------------------------------------------------------------

    async def service_sets(self, service: str) -> dict[str, SetInfo]:
        """A service's entity sets from its `$metadata` (read once per connector)."""
        if service not in self._metadata:
            self._metadata[service] = parse_metadata(await self.odata.metadata(service), self.entry.name)
        return self._metadata[service]

    async def discover_fields(self, entity: str) -> list[FieldCandidate]:
        stream = self.stream(entity)
        info = (await self.service_sets(stream.service)).get(stream.entity_set)
        if info is None:
            return []
        specs = [*stream.mapping.fields.values(), stream.mapping.created_at, stream.mapping.updated_at]
        read = {stream.key, *(p for spec in specs if isinstance(p := getattr(spec, "path", None), str))}
        writable = stream.writes is not None and stream.writes.update is not None
        return field_candidates(entity, info, read, writable)

    async def discover_objects(self) -> list[ObjectCandidate]:
        mapped = {(s.service, s.entity_set) for s in self.streams}
        found = []
        for service in dict.fromkeys(s.service for s in self.streams):
            for info in (await self.service_sets(service)).values():
                if (service, info.name) not in mapped:
                    found.append(object_candidate(service, info))
        return found

    def _object_set(self, obj: CustomObject) -> ObjectSet:
        return ObjectSet.of(obj, (s.service for s in self.streams), self.entry.name)

    async def list_objects(self, obj: CustomObject, cursor: str | None, limit: int) -> Page:
        found = self._object_set(obj)
        start, top = POSITIONS.start(cursor), self.top(limit)
        query = found.query(top=top, skip=start.offset, inlinecount=True)
        page = await self.odata.collection(found.service, found.entity_set, query)
        records = [found.record(row, self.custom_value) for row in page.results]
        return Page(records, POSITIONS.next_cursor(start, page.results, page.more(start.offset, top)), page.count)

    async def fetch_objects(self, obj: CustomObject, remote_ids: list[str]) -> list[Record]:
        found = self._object_set(obj)
        queries = found.fetch_queries(remote_ids, self.keys_per_call)
        rows = await self.odata.collect_all(found.service, found.entity_set, queries)
        return [found.record(row, self.custom_value) for row in rows]

    async def aclose(self) -> None:
        await self.odata.aclose()
