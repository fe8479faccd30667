"""OData v2 as SAP Gateway speaks it: one client and one declarative connector base.

The wire details live here once: the `d`/`results`/`__count`/`__next` envelopes,
`/Date(ms)/` values, `Edm.Decimal` strings, `$filter` literals, the SAP error
body, the CSRF token handshake for writes and the `sap-client` parameter. A
connector declares `EntitySetStream`s and mappings; see `connectors/sap/`.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, Iterable, Mapping

import httpx

from schema.errors import SystemAuthFailed, SystemRejected, SystemUnreachable
from schema.record import Record

from .base import ConnectionConfig, Connector, ListQuery, Page
from .http import HttpPolicy, UpstreamClient, default_error_message
from .mapping import EntityMap, Enum, Spec, dig

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

    async def send(self, method: str, service: str, path: str, json: Any = None) -> httpx.Response:
        """A write with the CSRF token; a stale token is fetched again once."""
        for attempt in (1, 2):
            async with self._csrf_lock:
                token = self.csrf_token or await self.fetch_csrf_token(service)
            headers = {CSRF_HEADER: token, "Accept": "application/json"}
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

    @property
    def entity(self) -> str:
        return self.mapping.entity

    def query(self, filter: str | None = None, **options: Any) -> Query:
        return Query(
            filter=all_of([self.fixed_filter, filter]),
            select=self.select,
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

    def stream(self, entity: str) -> EntitySetStream:
        self.require(entity)
        return self._by_entity[entity]

    async def enrich(self, stream: EntitySetStream, records: list[Record]) -> list[Record]:
        """Hook: add values from other entity sets to a page (in batched calls, never one per record)."""
        return records

    async def check(self) -> None:
        first = self.streams[0]
        await self.odata.collection(first.service, first.entity_set, Query(top=1, select=(first.key,)))

    def filters(self, stream: EntitySetStream, query: ListQuery) -> tuple[str | None, ListQuery] | None:
        """The `$filter` for what the service can filter, and what is left to filter here.

        None means nothing can match (a status no raw value maps to).
        """
        clauses: list[str] = []
        rest = query
        if query.updated_after and stream.updated_field:
            clauses.append(f"{stream.updated_field} gt {literal(query.updated_after)}")
            rest = ListQuery(None, rest.created_after, rest.statuses)
        spec = stream.mapping.enum_spec(stream.status_field) if stream.status_field else None
        if query.statuses is not None and stream.status_property and spec:
            raw = [r for s in query.statuses for r in spec.raw_values(s)]
            if not raw:
                return None
            clauses.append(eq_any(stream.status_property, raw))
            rest = ListQuery(rest.updated_after, rest.created_after, None)
        return all_of(clauses), rest

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
        page = await self.odata.collection(
            stream.service, stream.entity_set, stream.query(filter, top=top, skip=skip, inlinecount=True)
        )
        records = await self.enrich(stream, [stream.mapping.map(row) for row in page.results])
        end = skip + len(page.results)
        more = end < page.count if page.count is not None else bool(page.next_url) or len(page.results) >= top
        kept = [r for r in records if residual.matches(r, stream.status_field)]
        total = page.count if residual == ListQuery() else None
        return Page(kept, str(end) if more and page.results else None, total)

    async def fetch_many(self, entity: str, remote_ids: list[str]) -> list[Record]:
        stream = self.stream(entity)
        wanted = list(dict.fromkeys(str(i) for i in remote_ids))

        async def chunk(ids: list[str]) -> list[dict[str, Any]]:
            page = await self.odata.collect(stream.service, stream.entity_set, stream.query(eq_any(stream.key, ids)))
            return page.results

        rows = [row for part in await asyncio.gather(*(chunk(c) for c in chunks(wanted, self.keys_per_call))) for row in part]
        return await self.enrich(stream, [stream.mapping.map(row) for row in rows])

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
    "literal",
    "parse_date",
    "parse_decimal",
    "parse_time",
    "text",
]
