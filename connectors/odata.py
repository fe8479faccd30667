"""OData v2 as SAP Gateway speaks it: one client and one declarative connector base.

The wire details live here once: the `d`/`results`/`__count`/`__next` envelopes,
`/Date(ms)/` values, `Edm.Decimal` strings, `$filter` literals, the SAP error
body, the CSRF token handshake for writes, ETags sent back as `If-Match` and
the `sap-client` parameter. A connector declares `EntitySetStream`s and
mappings (and `Writes` from `odata_writes.py`); see `connectors/sap/`. Custom
fields and objects come from the service's `$metadata` (`odata_metadata.py`).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, Iterable, Mapping

import httpx

from schema.errors import BadUserInput, Conflict, NotFound, SystemAuthFailed, SystemRejected, SystemUnreachable
from schema.model import CustomField, CustomObject
from schema.record import Record

from .base import ConnectionConfig, Connector, ListQuery, Page
from .discovery import FieldCandidate, ObjectCandidate, coerce, map_object
from .http import HttpPolicy, UpstreamClient, default_error_message
from .mapping import EntityMap, Enum, Spec, dig
from .odata_metadata import SetInfo, field_candidates, object_candidate, parse_metadata
from .writes import CREATE, UPDATE

SERVICE_ROOT = "/sap/opu/odata/sap"
CSRF_HEADER = "X-CSRF-Token"
KEYS_PER_CALL = 40  # `or`-joined keys per fetch-many call, so URLs stay well below 8 KB

_DATE = re.compile(r"^/Date\((-?\d+)(?:([+-])(\d{4}))?\)/$")
_DURATION = re.compile(r"^P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")


# -- values ---------------------------------------------------------------------


def parse_date(value: Any) -> datetime | None:
    """`/Date(ms)/` or `/Date(ms+0000)/` (ms are UTC; the suffix is the offset in minutes)."""
    if value in (None, ""):
        return None
    match = _DATE.match(str(value))
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=timezone.utc)
    try:  # some services send ISO 8601 instead
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise SystemUnreachable(f"unreadable OData date {str(value)[:40]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_time(value: Any) -> timedelta | None:
    """`Edm.Time` as SAP sends it: an ISO 8601 duration such as `PT15H51M04S`."""
    match = _DURATION.match(str(value or ""))
    if not value or not match:
        return None
    days, hours, minutes, seconds = (float(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def parse_decimal(value: Any) -> float | None:
    """`Edm.Decimal` arrives as a string (`"12.500"`) to keep its precision."""
    return None if value in (None, "") else float(value)


def lenient_date(value: Any) -> datetime | None:
    """`parse_date` for customer fields: a value that is no date is null, not an error."""
    try:
        return parse_date(value)
    except SystemUnreachable:
        return None


def text(value: Any) -> str | None:
    """SAP sends empty strings, not nulls, for unset character fields."""
    return None if value in (None, "") else str(value)


def literal(value: Any) -> str:
    """A `$filter` literal: strings quoted with `'` doubled, datetimes as datetimeoffset."""
    if isinstance(value, datetime):
        moment = value.astimezone(timezone.utc).replace(microsecond=0, tzinfo=None)
        return f"datetimeoffset'{moment.isoformat()}Z'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def custom_literal(field: CustomField, value: Any) -> str:
    """A custom field's filter value; floats as `Edm.Decimal` literals (`12.5M`)."""
    if field.type == "Float" and not isinstance(value, bool):
        return f"{value}M"
    return literal(value)


def key_text(names: tuple[str, ...], raw: Mapping[str, Any]) -> str:
    """A record's key as SAP writes it in URLs: the value, or `A='1',B='2'` for a composite key."""
    if len(names) == 1:
        return str(raw.get(names[0]))
    return ",".join(f"{n}={literal(str(raw.get(n) or ''))}" for n in names)


_KEY_PART = re.compile(r"(\w+)='((?:[^']|'')*)'(?:,|$)")


def key_values(names: tuple[str, ...], text: str) -> dict[str, str] | None:
    """`key_text` read back; None when it is not a key of these names."""
    if len(names) == 1:
        return {names[0]: text}
    parts = {m.group(1): m.group(2).replace("''", "'") for m in _KEY_PART.finditer(text)}
    return parts if set(parts) == set(names) else None


def eq_any(name: str, values: Iterable[Any]) -> str:
    """`A eq 'x' or A eq 'y'` (parenthesized, so it can be and-ed with other clauses)."""
    clause = " or ".join(f"{name} eq {literal(v)}" for v in values)
    return f"({clause})"


def all_of(clauses: Iterable[str | None]) -> str | None:
    parts = [c for c in clauses if c]
    return " and ".join(parts) or None


def chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# -- mapping specs for OData values -------------------------------------------------


@dataclass(frozen=True)
class Text(Spec):
    """A character field; empty means unset (relations, codes)."""

    path: str

    def extract(self, raw: Any) -> Any:
        return text(dig(raw, self.path))


@dataclass(frozen=True)
class Code(Enum):
    """A coded value (`Enum`) where an empty string means no value."""

    def extract(self, raw: Any) -> Any:
        value = text(dig(raw, self.path))
        return None if value is None else self.values.get(value, self.default)

    def raw(self, raw: Any) -> str | None:
        return text(dig(raw, self.path))


@dataclass(frozen=True)
class ODate(Spec):
    """An `Edm.DateTime`/`Edm.DateTimeOffset`, optionally plus an `Edm.Time` of the same day."""

    path: str
    time_path: str | None = None

    def extract(self, raw: Any) -> Any:
        moment = parse_date(dig(raw, self.path))
        if moment is not None and self.time_path:
            moment += parse_time(dig(raw, self.time_path)) or timedelta()
        return moment


@dataclass(frozen=True)
class Decimal(Spec):
    path: str

    def extract(self, raw: Any) -> Any:
        return parse_decimal(dig(raw, self.path))


# -- the envelope ---------------------------------------------------------------------


@dataclass
class Collection:
    """One page of an entity set as the server sent it."""

    results: list[dict[str, Any]]
    count: int | None = None
    next_url: str | None = None


def read_collection(body: Any, system: str) -> Collection:
    """`{"d": {"results": [...], "__count": "n", "__next": url}}` (or v1's bare `{"d": [...]}`)."""
    d = body.get("d") if isinstance(body, dict) else None
    if isinstance(d, list):
        return Collection(d)
    if not isinstance(d, dict) or not isinstance(d.get("results"), list):
        raise SystemUnreachable(f"{system} sent a collection without 'd.results'")
    count = d.get("__count")
    return Collection(d["results"], int(count) if count not in (None, "") else None, d.get("__next"))


def read_entity(body: Any, system: str) -> dict[str, Any]:
    d = body.get("d") if isinstance(body, dict) else None
    if not isinstance(d, dict):
        raise SystemUnreachable(f"{system} sent an entity without 'd'")
    return d


def error_message(response: httpx.Response) -> str:
    """`{"error": {"code", "message": {"lang", "value"}}}` → the value; else the generic text."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = error.get("message")
        if isinstance(message, dict) and isinstance(message.get("value"), str):
            return message["value"]
        if isinstance(message, str):
            return message
    return default_error_message(response)


class CsrfTokenRequired(SystemAuthFailed):
    """403 with `X-CSRF-Token: Required`: the token is missing or stale, not the login."""


class ODataUpstream(UpstreamClient):
    """`UpstreamClient` that tells a stale CSRF token apart from refused credentials."""

    def check(self, response: httpx.Response) -> httpx.Response:
        if response.status_code == 403 and response.headers.get(CSRF_HEADER, "").lower() == "required":
            raise CsrfTokenRequired(f"{self.system} asked for a fresh CSRF token")
        return super().check(response)


# -- the client -----------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """The system query options of one read."""

    filter: str | None = None
    select: tuple[str, ...] = ()
    expand: tuple[str, ...] = ()
    orderby: tuple[str, ...] = ()
    top: int | None = None
    skip: int | None = None
    inlinecount: bool = False

    def params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        if self.filter:
            params["$filter"] = self.filter
        if self.select:
            params["$select"] = ",".join(self.select)
        if self.expand:
            params["$expand"] = ",".join(self.expand)
        if self.orderby:
            params["$orderby"] = ",".join(self.orderby)
        if self.top is not None:
            params["$top"] = str(self.top)
        if self.skip:
            params["$skip"] = str(self.skip)
        if self.inlinecount:
            params["$inlinecount"] = "allpages"
        return params


class ODataClient:
    """Basic-auth JSON reads of SAP Gateway services, plus the CSRF handshake for writes.

    Cookies the server sets (the session that a CSRF token belongs to) stay in
    the pooled httpx client's jar, so they go back with every later call.
    """

    def __init__(
        self,
        instance_url: str,
        *,
        system: str,
        username: str,
        password: str,
        sap_client: str | None = None,
        policy: HttpPolicy | None = None,
    ) -> None:
        self.system = system
        self.sap_client = sap_client or None
        self.http = ODataUpstream(
            instance_url.rstrip("/") + SERVICE_ROOT, system=system, policy=policy, error_message=error_message
        )
        self.http.client.auth = httpx.BasicAuth(username, password)
        self.csrf_token: str | None = None
        self._csrf_lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self.http.aclose()

    def _params(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        params = {"$format": "json", **(extra or {})}
        if self.sap_client:
            params["sap-client"] = self.sap_client
        return params

    async def get_json(self, path: str, params: Mapping[str, str] | None = None, **kwargs: Any) -> Any:
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        return await self.http.json("GET", path, params=self._params(params), headers=headers, **kwargs)

    async def collection(self, service: str, entity_set: str, query: Query = Query()) -> Collection:
        body = await self.get_json(f"/{service}/{entity_set}", query.params())
        return read_collection(body, self.system)

    async def follow(self, next_url: str) -> Collection:
        """The page `__next` points at (an absolute URL that carries its own `$skiptoken`)."""
        given = httpx.URL(next_url).params  # httpx replaces a URL's query when params are passed
        params = [*given.multi_items(), *((k, v) for k, v in self._params().items() if k not in given)]
        response = await self.http.request("GET", next_url, params=params, headers={"Accept": "application/json"})
        try:
            body = response.json()
        except ValueError:
            raise SystemUnreachable(f"{self.system} sent a response that is not valid JSON") from None
        return read_collection(body, self.system)

    async def collect(self, service: str, entity_set: str, query: Query = Query()) -> Collection:
        """Every page of a read, following `__next` until the server stops paging."""
        page = await self.collection(service, entity_set, query)
        results, count = list(page.results), page.count
        while page.next_url:
            page = await self.follow(page.next_url)
            results += page.results
        return Collection(results, count)

    async def entity(self, service: str, key_path: str, query: Query = Query()) -> dict[str, Any]:
        body = await self.get_json(f"/{service}/{key_path}", query.params())
        return read_entity(body, self.system)

    async def fetch_csrf_token(self, service: str) -> str:
        """`GET` the service root with `X-CSRF-Token: Fetch`; the answer's cookies stay in the jar."""
        response = await self.http.request(
            "GET", f"/{service}/", params=self._params(), headers={CSRF_HEADER: "Fetch", "Accept": "application/json"}
        )
        token = response.headers.get(CSRF_HEADER)
        if not token or token.lower() == "required":
            raise SystemRejected(f"{self.system} did not hand out a CSRF token")
        self.csrf_token = token
        return token

    async def metadata(self, service: str) -> bytes:
        """The service's `$metadata` (EDMX; SAP refuses `$format=json` here)."""
        params = {"sap-client": self.sap_client} if self.sap_client else {}
        response = await self.http.request("GET", f"/{service}/$metadata", params=params)
        return response.content

    async def send(
        self, method: str, service: str, path: str, json: Any = None, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """A write with the CSRF token; a stale token is fetched again once."""
        for attempt in (1, 2):
            async with self._csrf_lock:
                token = self.csrf_token or await self.fetch_csrf_token(service)
            headers = {**(headers or {}), CSRF_HEADER: token, "Accept": "application/json"}
            try:
                return await self.http.request(
                    method, f"/{service}/{path}", params=self._params(), headers=headers, json=json
                )
            except CsrfTokenRequired:
                self.csrf_token = None
                if attempt == 2:
                    raise SystemRejected(f"{self.system} refused a fresh CSRF token", status=403) from None
        raise AssertionError("unreachable")  # pragma: no cover


# -- the declarative connector ----------------------------------------------------------


@dataclass(frozen=True)
class EntitySetStream:
    """One entity set read as one unified entity.

    `key` is the property that holds the remote id (filtered on for fetch-many);
    `select` lists every property the mapping reads, `expand` the navigations.
    `writes` (an `odata_writes.Writes`) declares what creates and updates may
    set; `extra_keys` completes a composite key in URLs (e.g. the current time segment).
    """

    mapping: EntityMap
    service: str
    entity_set: str
    key: str
    select: tuple[str, ...]
    expand: tuple[str, ...] = ()
    orderby: tuple[str, ...] = ()
    updated_field: str | None = None
    status_field: str | None = "status"
    status_property: str | None = None  # a filterable property behind `status_field`
    fixed_filter: str | None = None  # always applied (e.g. only the current time segment)
    writes: Any = None
    extra_keys: str = ""

    @property
    def entity(self) -> str:
        return self.mapping.entity

    def key_path(self, remote_id: str) -> str:
        """`Set('1')`, or `Set(Key='1',Other=...)` when the key has more parts."""
        if self.extra_keys:
            return f"{self.entity_set}({self.key}={literal(remote_id)},{self.extra_keys})"
        return f"{self.entity_set}({literal(remote_id)})"

    def query(self, filter: str | None = None, extra: tuple[str, ...] = (), **options: Any) -> Query:
        return Query(
            filter=all_of([self.fixed_filter, filter]),
            select=tuple(dict.fromkeys(self.select + extra)),
            expand=self.expand,
            orderby=self.orderby or (self.key,),
            **options,
        )


class ODataConnector(Connector):
    """An OData v2 system described by its streams; pages are `$top`/`$skip` windows."""

    streams: ClassVar[tuple[EntitySetStream, ...]] = ()
    max_page_size: ClassVar[int] = 100  # SAP Gateway's usual server page: no `__next` inside a window
    keys_per_call: ClassVar[int] = KEYS_PER_CALL

    def __init__(self, config: ConnectionConfig, policy: HttpPolicy | None = None) -> None:
        super().__init__(config, policy)
        creds = config.credentials
        self.odata = ODataClient(
            self.base_url,
            system=self.entry.name,
            username=creds.get("username", ""),
            password=creds.get("password", ""),
            sap_client=creds.get("sapClient"),
            policy=self.policy,
        )
        self._by_entity = {s.entity: s for s in self.streams}
        self._metadata: dict[str, dict[str, SetInfo]] = {}

    def stream(self, entity: str) -> EntitySetStream:
        self.require(entity)
        return self._by_entity[entity]

    async def enrich(self, stream: EntitySetStream, records: list[Record]) -> list[Record]:
        """Hook: add values from other entity sets to a page (in batched calls, never one per record)."""
        return records

    async def check(self) -> None:
        first = self.streams[0]
        await self.odata.collection(first.service, first.entity_set, Query(top=1, select=(first.key,)))

    # -- reads --------------------------------------------------------------------------

    def filters(self, stream: EntitySetStream, query: ListQuery) -> tuple[str | None, ListQuery] | None:
        """The `$filter` for what the service can filter, and what is left to filter here.

        None means nothing can match (a status no raw value maps to).
        """
        clauses: list[str] = []
        rest = query
        if query.updated_after and stream.updated_field:
            clauses.append(f"{stream.updated_field} gt {literal(query.updated_after)}")
            rest = replace(rest, updated_after=None)
        spec = stream.mapping.enum_spec(stream.status_field) if stream.status_field else None
        if query.statuses is not None and stream.status_property and spec:
            raw = [r for s in query.statuses for r in spec.raw_values(s)]
            if not raw:
                return None
            clauses.append(eq_any(stream.status_property, raw))
            rest = replace(rest, statuses=None)
        pushed = [(f, v) for f, v in query.custom if f.filterable and "." not in f.remote_path]
        clauses += [f"{f.remote_path} eq {custom_literal(f, v)}" for f, v in pushed]
        rest = replace(rest, custom=tuple(c for c in query.custom if c not in pushed))
        return all_of(clauses), rest

    def custom_select(self, stream: EntitySetStream) -> tuple[str, ...]:
        """The properties the connection's custom fields read, selected along with the mapping's."""
        return tuple(f.remote_path.split(".")[0] for f in self.config.extension.fields_for(stream.entity))

    async def list_page(self, entity: str, query: ListQuery, cursor: str | None, limit: int) -> Page:
        stream = self.stream(entity)
        if cursor is not None and not cursor.isdigit():
            raise SystemRejected(f"{self.entry.name}: not a page cursor: {cursor!r}")
        pushed = self.filters(stream, query)
        if pushed is None:
            return Page([], None, 0)
        filter, residual = pushed
        skip = int(cursor or 0)
        top = max(1, min(limit, self.max_page_size))
        options = stream.query(filter, self.custom_select(stream), top=top, skip=skip, inlinecount=True)
        page = await self.odata.collection(stream.service, stream.entity_set, options)
        records = await self.enrich(stream, [stream.mapping.map(row) for row in page.results])
        records = self.with_custom_values(records)
        end = skip + len(page.results)
        more = end < page.count if page.count is not None else bool(page.next_url) or len(page.results) >= top
        kept = [r for r in records if residual.matches(r, stream.status_field)]
        total = page.count if residual == ListQuery() else None
        return Page(kept, str(end) if more and page.results else None, total)

    async def fetch_many(self, entity: str, remote_ids: list[str]) -> list[Record]:
        stream = self.stream(entity)
        wanted = list(dict.fromkeys(str(i) for i in remote_ids))
        extra = self.custom_select(stream)

        async def chunk(ids: list[str]) -> list[dict[str, Any]]:
            query = stream.query(eq_any(stream.key, ids), extra)
            return (await self.odata.collect(stream.service, stream.entity_set, query)).results

        rows = [row for part in await asyncio.gather(*(chunk(c) for c in chunks(wanted, self.keys_per_call))) for row in part]
        return await self.enrich(stream, [stream.mapping.map(row) for row in rows])

    def custom_value(self, raw: Any, custom: CustomField) -> Any:
        """`/Date(ms)/` dates and `Edm.Decimal` strings read as their declared type."""
        return coerce(dig(raw, custom.remote_path), custom.type, lenient_date)

    # -- writes ---------------------------------------------------------------------------

    def check_write(self, operation: str, entity: str, values: dict[str, Any]) -> None:
        super().check_write(operation, entity, values)
        if operation in (CREATE, UPDATE):
            self.writes(entity, operation).validate(operation, values, self.config.extension.fields_for(entity))

    def writes(self, entity: str, operation: str) -> Any:
        """The entity's `WriteMap` for this operation; unsupported when it has none."""
        stream = self.stream(entity)
        writes = stream.writes.of(operation) if stream.writes is not None else None
        if writes is None:
            raise self._unsupported(operation, entity)
        return writes

    def _payload(self, stream: EntitySetStream, operation: str, values: dict[str, Any]) -> dict[str, Any]:
        self.writes(stream.entity, operation)
        return stream.writes.payload(operation, values, self.config.extension.fields_for(stream.entity))

    async def create(self, entity: str, values: dict[str, Any]) -> Record:
        """`POST /EntitySet` (a deep insert when the payload carries navigations): one transaction."""
        stream = self.stream(entity)
        response = await self.odata.send("POST", stream.service, stream.entity_set, json=self._payload(stream, CREATE, values))
        try:
            row = read_entity(response.json(), self.entry.name)
        except ValueError:
            raise SystemUnreachable(f"{self.entry.name} sent a response that is not valid JSON") from None
        return self.with_custom_values([stream.mapping.map(row)])[0]

    async def update(self, entity: str, remote_id: str, values: dict[str, Any], if_match: str | None) -> Record:
        """`PATCH` with `If-Match` (answered 204), then the record read back."""
        stream = self.stream(entity)
        await self._on_record(stream, "PATCH", remote_id, if_match, json=self._payload(stream, UPDATE, values))
        return await self._current(stream, remote_id)

    async def delete(self, entity: str, remote_id: str, if_match: str | None) -> None:
        await self._on_record(self.stream(entity), "DELETE", remote_id, if_match)

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

    def _object_set(self, obj: CustomObject) -> tuple[str, str, tuple[str, ...]]:
        """Service, entity set and key properties of a custom object (only the connector's services)."""
        service, _, entity_set = obj.remote_name.partition("/")
        keys = tuple(k.strip() for k in obj.id_path.split(",") if k.strip())
        if service not in {s.service for s in self.streams} or not entity_set.isidentifier() or not keys:
            raise NotFound(f"{self.entry.name} has no entity set '{obj.remote_name}' to serve")
        return service, entity_set, keys

    def _object_query(self, obj: CustomObject, keys: tuple[str, ...], **options: Any) -> Query:
        paths = [f.remote_path for f in obj.fields] + ([obj.display_path] if obj.display_path else [])
        select = tuple(dict.fromkeys([*keys, *(p.split(".")[0] for p in paths)]))
        return Query(select=select, orderby=keys, **options)

    def _object_record(self, obj: CustomObject, keys: tuple[str, ...], row: dict[str, Any]) -> Record:
        record = map_object(obj, row, self.custom_value, dig(row, "__metadata.etag"))
        record.remote_id = record.values["remoteId"] = key_text(keys, row)
        return record

    async def list_objects(self, obj: CustomObject, cursor: str | None, limit: int) -> Page:
        service, entity_set, keys = self._object_set(obj)
        if cursor is not None and not cursor.isdigit():
            raise SystemRejected(f"{self.entry.name}: not a page cursor: {cursor!r}")
        skip, top = int(cursor or 0), max(1, min(limit, self.max_page_size))
        page = await self.odata.collection(service, entity_set, self._object_query(obj, keys, top=top, skip=skip, inlinecount=True))
        end = skip + len(page.results)
        more = end < page.count if page.count is not None else len(page.results) >= top
        records = [self._object_record(obj, keys, row) for row in page.results]
        return Page(records, str(end) if more and page.results else None, page.count)

    async def fetch_objects(self, obj: CustomObject, remote_ids: list[str]) -> list[Record]:
        service, entity_set, keys = self._object_set(obj)
        wanted = [v for i in dict.fromkeys(remote_ids) if (v := key_values(keys, i)) is not None]

        def match(values: dict[str, str]) -> str:
            return "(" + " and ".join(f"{k} eq {literal(v)}" for k, v in values.items()) + ")"

        async def chunk(part: list[dict[str, str]]) -> list[dict[str, Any]]:
            query = self._object_query(obj, keys, filter=" or ".join(match(v) for v in part))
            return (await self.odata.collect(service, entity_set, query)).results

        parts = await asyncio.gather(*(chunk(wanted[i : i + self.keys_per_call]) for i in range(0, len(wanted), self.keys_per_call)))
        return [self._object_record(obj, keys, row) for part in parts for row in part]

    async def aclose(self) -> None:
        await self.odata.aclose()


__all__ = [
    "CSRF_HEADER",
    "Code",
    "Collection",
    "CsrfTokenRequired",
    "Decimal",
    "EntitySetStream",
    "ODataClient",
    "ODataConnector",
    "ODate",
    "Query",
    "Text",
    "all_of",
    "eq_any",
    "error_message",
    "key_text",
    "key_values",
    "lenient_date",
    "literal",
    "parse_date",
    "parse_decimal",
    "parse_time",
    "text",
]
