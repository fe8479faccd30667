"""Maximo's REST/JSON ("OSLC") protocol on top of `RestConnector`.

Object structures are read with `oslc.select` / `oslc.where` / `oslc.orderBy`
and `lean=1`. Lists page by key (`<key>>"last"` ordered `+<key>`) rather than by
`pageno`: a cursor then survives records changing between calls (a record
deleted or added before it neither skips nor repeats one: keyset paging) and
resuming with another page size, and `responseInfo.nextPage` only says whether
more rows exist. Keys compare as strings, in the order `+<key>` sorts them.
Fetch-many is one `<key> in [...]` query per chunk of ids. A count is one
`collectioncount=1` query with the listing's `oslc.where` (its
`responseInfo.totalCount`); Maximo counts rows, so structures whose records
span several rows (inventory per storeroom) are not counted.

Writes address a record by its `href` (looked up by key): create `POST` with a
`properties` header to get the record back, update `POST <href>` with
`x-method-override: PATCH` (`patchtype: MERGE` when child rows are sent),
delete `DELETE <href>` (IBM Maximo REST API guide, "Delete resources");
`If-Match: <_rowstamp>` lets Maximo refuse a change over a newer one (412).
Custom fields are extra attributes of an object structure (listed by
`/jsonschemas/<structure>`), selected along and filtered in `oslc.where`; any
object structure can be a custom object.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from schema.errors import BadUserInput, Conflict, NotFound, SystemRejected, SystemUnreachable
from schema.model import CustomField, CustomObject
from schema.record import Record

from ..base import TIMES, Filterable, FilterPlan, ListQuery, Page
from ..batching import chunks
from ..discovery import FieldCandidate, ObjectCandidate, graphql_name, map_object
from ..http import default_error_message
from ..mapping import dig
from ..paging import KeysetPaging, Start
from ..rest import RestConnector, Stream
from ..writes import CREATE, UPDATE, WriteMap

KEYS = KeysetPaging()  # a cursor is the last key listed, as it is
ID_CHUNK = 50  # ids per `in [...]` filter: keeps URLs short
ROW_PAGE = 1000  # rows per call where one record spans several rows
ADJUST_ATTEMPTS = 3  # a stock adjustment re-reads the balance when it changed meanwhile
STRUCTURE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,59}$")
SUBTYPES = {"DATETIME": "DateTime", "DATE": "DateTime", "YORN": "Boolean"}
JSON_TYPES = {"integer": "Int", "number": "Float", "boolean": "Boolean"}


@dataclass(frozen=True)
class ObjectStructure(Stream):
    """One object structure (`path`, e.g. mxapiwodetail) read as one unified entity.

    `updated_param` / `created_param` / `status_param` name the attributes the
    list filters compare; `grouped` merges the rows sharing a key into one raw
    record `{key: ..., "member": [rows]}` (inventory: one row per storeroom).
    """

    key: str = ""
    select: str = "*"
    order: str = ""
    site_scoped: bool = False
    grouped: bool = False
    # Attributes whose name differs between object structure versions: of each group, the first
    # one the structure's JSON schema lists is selected (the first of all when it lists none).
    variants: tuple[tuple[str, ...], ...] = ()
    # The fields an update takes, where fewer than a create's (a key Maximo lets no one change).
    update_writes: WriteMap | None = None

    @property
    def order_by(self) -> str:
        return self.order or f"+{self.key}"


def quote(value: str) -> str:
    """A string literal of `oslc.where`."""
    return json.dumps(value)


def where_time(value: datetime) -> str:
    """Whole seconds (Maximo keeps no more), rounded down so nothing is missed."""
    return quote(value.astimezone(UTC).replace(microsecond=0).isoformat())


def members(body: Any, system: str) -> list[dict[str, Any]]:
    rows = body.get("member") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        raise SystemRejected(f"{system} sent a collection without 'member'")
    return rows


def has_next_page(body: dict[str, Any]) -> bool:
    return bool(dig(body, "responseInfo.nextPage"))


def top_level(select: str) -> list[str]:
    """The attributes an `oslc.select` names at its first level (`a,b,child{c}` -> a, b, child)."""
    names, depth, start = [], 0, 0
    for i, char in enumerate(select + ","):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            names.append(select[start:i].split("{")[0].strip())
            start = i + 1
    return [n for n in names if n]


def schema_candidates(entity: str, schema: dict[str, Any], skip: set[str], writable: bool) -> list[FieldCandidate]:
    """Custom-field candidates from a `/jsonschemas/<structure>` answer: its plain attributes but `skip`."""
    found = []
    for attr, spec in (schema.get("properties") or {}).items():
        if (
            attr in skip
            or attr.startswith("_")
            or not isinstance(spec, dict)
            or spec.get("type") in ("array", "object")
        ):
            continue
        kind = SUBTYPES.get(str(spec.get("subType")).upper()) or JSON_TYPES.get(str(spec.get("type")), "String")
        searchable = spec.get("persistent", True) and spec.get("searchType") != "NONE"
        found.append(
            FieldCandidate(
                entity,
                attr,
                graphql_name(attr),
                kind,
                str(spec.get("title") or attr),
                filterable=bool(searchable) and kind not in ("DateTime", "JSON"),
                writable=writable and not read_only(spec),
            )
        )
    return found


def read_only(spec: Any) -> bool:
    """Whether a JSON-schema property says Maximo will not take a value for it."""
    return isinstance(spec, dict) and bool(spec.get("readOnly") or spec.get("readonly"))


def offered(variants: tuple[tuple[str, ...], ...], schema: dict[str, Any] | None) -> list[str]:
    """Of each group of alternative attributes, the one the schema lists (else the group's first)."""
    listed = set((schema or {}).get("properties") or {})
    return [next((a for a in group if a in listed), group[0]) for group in variants]


def where_value(value: Any) -> str:
    return str(value) if isinstance(value, (int, float)) else quote(str(value))


def after(key: str, last: str | None) -> list[str]:
    """The `oslc.where` clause of a keyset page: the keys after the last one seen (none on a first page)."""
    return [f"{key}>{quote(last)}"] if last else []


def pushable(custom: CustomField, value: Any) -> bool:
    """A custom filter `oslc.where` can compare: a plain attribute, not a boolean."""
    return "." not in custom.remote_path and not isinstance(value, bool)


class OslcConnector(RestConnector):
    """A Maximo-style system: declare `ObjectStructure`s, the rest is here."""

    streams: ClassVar[tuple[ObjectStructure, ...]] = ()
    live_paging = "keyset"  # every list, custom objects too, continues after the last key
    api_prefix = "/maximo"
    passthrough_headers = frozenset({"properties", "patchtype", "x-method-override"})  # docs/vendors/maximo.md
    object_structures: ClassVar[tuple[str, ...]] = ()  # offered as custom objects (any may be declared)

    @property
    def base_url(self) -> str:
        """People paste the UI's URL (`https://host/maximo`); the API root is the host.

        Only a path that is exactly `/maximo` is dropped: a server mounted under a
        longer path (a reverse proxy, the demo's `/sandboxes/maximo`) is kept whole.
        """
        url = super().base_url
        parts = urlsplit(url)
        return url.removesuffix("/maximo") if parts.path == "/maximo" else url

    # -- auth -------------------------------------------------------------------

    def login(self) -> tuple[str, dict[str, str]]:
        """The API root and headers for the credentials: an API key wins over user + password."""
        creds = self.config.credentials
        if (creds.get("apiKey") or "").strip():
            return "/api/os", {"apikey": creds["apiKey"].strip()}
        user, password = creds.get("username") or "", creds.get("password") or ""
        if user.strip() and password:
            token = base64.b64encode(f"{user.strip()}:{password}".encode()).decode()
            return "/oslc/os", {"maxauth": token}
        raise BadUserInput(f"{self.entry.name} needs either an API key or a username and password", field="credentials")

    async def auth_headers(self) -> dict[str, str]:
        return self.login()[1]

    def error_message(self, response: httpx.Response) -> str:
        """Maximo's `{"Error": {"message": "BMXAA... - ..."}}`."""
        try:
            message = dig(response.json(), "Error.message")
        except ValueError:
            message = None
        return message if isinstance(message, str) else default_error_message(response)

    # -- queries -------------------------------------------------------------

    @property
    def root(self) -> str:
        """`/api/os` or `/oslc/os`, whichever the credentials log in to."""
        return self.login()[0]

    async def query(
        self,
        structure: ObjectStructure,
        clauses: list[str],
        *,
        page_size: int,
        select: str | None = None,
        pageno: int = 1,
    ) -> dict[str, Any]:
        select = select or await self.resolved_selection(structure)
        return await self.collection(structure.path, clauses, select, structure.order_by, page_size, pageno)

    async def collection(
        self,
        name: str,
        clauses: list[str],
        select: str,
        order: str,
        page_size: int,
        pageno: int = 1,
        **extra: Any,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"lean": 1, "oslc.select": select, "oslc.orderBy": order, "oslc.pageSize": page_size}
        if clauses:
            params["oslc.where"] = " and ".join(clauses)
        if pageno > 1:
            params["pageno"] = pageno
        params.update(extra)
        body = await self.call("GET", f"{self.root}/{name}", params=params)
        members(body, self.entry.name)
        return body

    def selection(self, structure: ObjectStructure) -> str:
        """The structure's `oslc.select` plus the attributes of the connection's custom fields."""
        named = set(top_level(structure.select))
        custom = [f.remote_path.split(".")[0] for f in self.config.extension.sourced_for(structure.entity)]
        return ",".join([structure.select, *(a for a in dict.fromkeys(custom) if a not in named)])

    async def resolved_selection(self, structure: ObjectStructure) -> str:
        """`selection` plus the attributes of `variants` this instance's object structure offers."""
        if not structure.variants:
            return self.selection(structure)
        chosen = offered(structure.variants, await self.schema_or_none(structure.path))
        return ",".join([self.selection(structure), *chosen])

    async def schema_or_none(self, name: str) -> dict[str, Any] | None:
        """The structure's JSON schema, read once per connector; None where Maximo does not serve it."""
        cache: dict[str, Any] = self.__dict__.setdefault("_schemas", {})
        if name not in cache:
            try:
                cache[name] = await self.json_schema(name)
            except (SystemRejected, NotFound):
                cache[name] = None
        return cache[name]

    def structure(self, entity: str) -> ObjectStructure:
        found = self.stream(entity)
        assert isinstance(found, ObjectStructure), "declare ObjectStructure streams"
        return found

    def scope(self, structure: ObjectStructure) -> list[str]:
        site = (self.config.credentials.get("siteId") or "").strip()
        return [f"siteid={quote(site.upper())}"] if site and structure.site_scoped else []

    def filterable(self, stream: Stream) -> Filterable:
        """What `oslc.where` compares: the REST parameters' attributes, and plain custom attributes.

        Times and custom values are checked here again: the pushed-down bound is rounded down to
        seconds, and custom values compare as Maximo does. Times still count as exact for a
        count: Maximo keeps whole seconds, so the rounded bound matches the same records.
        """
        return replace(super().filterable(stream), custom=pushable, recheck=frozenset((*TIMES, "custom")))

    def filters(self, structure: ObjectStructure, plan: FilterPlan) -> list[str]:
        """The `oslc.where` clauses of a plan's pushed part, after the structure's site scope."""
        pushed, clauses = plan.pushed, self.scope(structure)
        for bound, attr in (
            (pushed.updated_after, structure.updated_param),
            (pushed.created_after, structure.created_param),
        ):
            if bound and attr:
                clauses.append(f"{attr}>{where_time(bound)}")
        if pushed.statuses is not None:
            clauses.append(f"{structure.status_param} in [{','.join(quote(str(r)) for r in plan.raw_statuses)}]")
        clauses += [f"{custom.remote_path}={where_value(value)}" for custom, value in pushed.custom]
        return clauses

    def records(self, structure: ObjectStructure, rows: list[dict[str, Any]]) -> list[Record]:
        if not structure.grouped:
            return [structure.mapping.map(row) for row in rows]
        groups: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(str(row.get(structure.key)), []).append(row)
        return [structure.mapping.map({structure.key: k, "member": g}) for k, g in groups.items()]

    # -- the contract -----------------------------------------------------------

    async def check(self) -> None:
        first = self.streams[0]
        await self.query(first, self.scope(first), page_size=1, select=first.key)

    async def list_page(self, entity: str, query: ListQuery, cursor: str | None, limit: int) -> Page:
        structure = self.structure(entity)
        plan = self.filter_plan(structure, query)
        if plan is None:
            return Page([], None)
        clauses = self.filters(structure, plan)
        limit = min(limit, self.max_page_size)
        start = KEYS.start(cursor)
        if structure.grouped:
            keys, next_cursor = await self._keys_page(structure, clauses, start.after, limit)
            found = await self.fetch_many(entity, keys)
        else:
            body = await self.query(structure, clauses + after(structure.key, start.after), page_size=limit)
            rows = members(body, self.entry.name)
            found = self.records(structure, rows)
            next_cursor = KEYS.next_cursor(start, [r[structure.key] for r in rows], has_next_page(body))
        found = self.with_custom_values(found)
        return Page([r for r in found if plan.residual.matches(r, structure.status_field)], next_cursor)

    async def count(self, entity: str, query: ListQuery) -> int | None:
        """`responseInfo.totalCount` of one `collectioncount=1` query with the listing's `oslc.where`.

        None for grouped structures (Maximo counts rows, not distinct keys) and where
        part of the filter is applied here.
        """
        structure = self.structure(entity)
        if structure.grouped:
            return None
        plan = self.filter_plan(structure, query)
        if plan is None:
            return 0
        if not plan.exact:
            return None
        clauses = self.filters(structure, plan)
        body = await self.collection(structure.path, clauses, structure.key, structure.order_by, 1, collectioncount=1)
        total = dig(body, "responseInfo.totalCount")
        if not isinstance(total, int) or isinstance(total, bool):
            raise SystemRejected(f"{self.entry.name} sent no totalCount for {structure.path}")
        return total

    async def _keys_page(
        self, structure: ObjectStructure, clauses: list[str], cursor: str | None, limit: int
    ) -> tuple[list[str], str | None]:
        """The next `limit` distinct keys after the key `cursor` (a record may span several rows),
        and the cursor after them."""
        keys: list[str] = []
        last, more = cursor, True
        while more and len(keys) <= limit:
            page_size = 2 * limit + 1
            body = await self.query(
                structure, clauses + after(structure.key, last), page_size=page_size, select=structure.key
            )
            rows = members(body, self.entry.name)
            for row in rows:
                if not keys or keys[-1] != str(row[structure.key]):
                    keys.append(str(row[structure.key]))
            more = bool(rows) and has_next_page(body)
            last = keys[-1] if keys else last
        return keys[:limit], KEYS.next_cursor(Start(), keys[:limit], len(keys) > limit)

    async def fetch_many(self, entity: str, remote_ids: list[str]) -> list[Record]:
        structure = self.structure(entity)
        ids = list(dict.fromkeys(str(i) for i in remote_ids))
        found = await asyncio.gather(*(self._fetch_chunk(structure, chunk) for chunk in chunks(ids, ID_CHUNK)))
        return [record for chunk in found for record in chunk]

    async def _fetch_chunk(self, structure: ObjectStructure, ids: list[str]) -> list[Record]:
        clauses = [*self.scope(structure), f"{structure.key} in [{','.join(quote(i) for i in ids)}]"]
        size = ROW_PAGE if structure.grouped else len(ids)
        rows: list[dict[str, Any]] = []
        pageno, more = 1, True
        while more:
            body = await self.query(structure, clauses, page_size=size, pageno=pageno)
            page = members(body, self.entry.name)
            rows += page
            more, pageno = bool(page) and has_next_page(body), pageno + 1
        return self.records(structure, rows)

    # -- writes -------------------------------------------------------------------

    def written_row(self, stream: Stream, body: Any) -> Any:
        return body

    def writes(self, entity: str, operation: str) -> WriteMap:
        """The entity's write map for this operation; unsupported when it has none."""
        structure = self.structure(entity)
        writes = (structure.update_writes if operation == UPDATE else None) or structure.writes
        if writes is None:
            raise self._unsupported(operation, entity)
        return writes

    def _payload(self, stream: Stream, operation: str, values: dict[str, Any]) -> Any:
        """The body by the operation's write map (an update naming a key is refused before any call)."""
        custom = self.config.extension.sourced_for(stream.entity)
        return self.write_body(stream, self.writes(stream.entity, operation).payload(operation, values, custom))

    async def write_context(
        self, structure: ObjectStructure, payload: dict[str, Any], options: Mapping[str, str] | None
    ) -> dict[str, Any]:
        """Organisational attributes a create needs (a site, an organization); none here."""
        return {}

    async def refuse_read_only(self, structure: ObjectStructure, payload: dict[str, Any]) -> None:
        """Refuse, before the write, an attribute the structure's JSON schema calls read-only; the error
        names the input field (a custom field's name where one writes that attribute)."""
        properties = (await self.schema_or_none(structure.path) or {}).get("properties") or {}
        fixed = [attr for attr in payload if read_only(properties.get(attr))]
        if fixed:
            custom = {f.remote_path.split(".")[0]: f.name for f in self.config.extension.fields_for(structure.entity)}
            raise BadUserInput(
                f"{self.entry.name} keeps {structure.path}.{fixed[0]} itself (read-only in its JSON schema)",
                field=custom.get(fixed[0], fixed[0]),
            )

    async def send(self, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
        """One write call with its own headers; the decoded body, or None when Maximo sends none."""
        auth = await self.auth_headers()
        response = await self.http.request(method, path, headers={**auth, **headers}, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise SystemUnreachable(f"{self.entry.name} sent a response that is not valid JSON") from None

    async def locate(self, structure: ObjectStructure, remote_id: str) -> dict[str, Any]:
        """A record's first row by key, with its `href` and `_rowstamp`."""
        clauses = [*self.scope(structure), f"{structure.key}={quote(remote_id)}"]
        rows = members(await self.query(structure, clauses, page_size=1, select=structure.key), self.entry.name)
        if not rows:
            raise NotFound(f"{self.entry.name} has no {structure.entity} {remote_id}")
        return rows[0]

    def record_path(self, structure: ObjectStructure, row: dict[str, Any]) -> str:
        """The row's `href` under this connection's root (an href names the server's own host)."""
        return f"{self.root}/{structure.path}/{str(row['href']).rstrip('/').rsplit('/', 1)[-1]}"

    async def guarded(
        self,
        structure: ObjectStructure,
        remote_id: str,
        row: dict[str, Any],
        headers: dict[str, str],
        if_match: str | None,
        method: str = "POST",
        **kwargs: Any,
    ) -> Any:
        """`POST <href>` (or `method`) with `If-Match`; Maximo's 412 becomes a conflict naming the current rowstamp."""
        if if_match is not None:
            headers = {**headers, "If-Match": if_match}
        params = {"lean": 1, **kwargs.pop("params", {})}
        try:
            return await self.send(method, self.record_path(structure, row), headers, params=params, **kwargs)
        except SystemRejected as exc:
            if exc.extensions.get("status") != 412:
                raise
            current = await self.locate(structure, remote_id)
            raise Conflict(
                f"{structure.entity} {remote_id} changed in {self.entry.name} since version {if_match}; read it again",
                current_version=current.get("_rowstamp"),
            ) from None

    async def create(self, entity: str, values: dict[str, Any], options: Mapping[str, str] | None = None) -> Record:
        structure = self.structure(entity)
        payload = self._payload(structure, CREATE, values)
        await self.refuse_read_only(structure, payload)
        payload = {**await self.write_context(structure, payload, options), **payload}
        headers = {"properties": await self.resolved_selection(structure)}
        body = await self.send("POST", f"{self.root}/{structure.path}", headers, params={"lean": 1}, json=payload)
        return self._mapped(structure, body)

    async def update(
        self,
        entity: str,
        remote_id: str,
        values: dict[str, Any],
        if_match: str | None,
        options: Mapping[str, str] | None = None,
    ) -> Record:
        structure = self.structure(entity)
        payload = self._payload(structure, UPDATE, values)
        await self.refuse_read_only(structure, payload)
        headers = {"x-method-override": "PATCH", "properties": await self.resolved_selection(structure)}
        if any(isinstance(v, list) for v in payload.values()):
            headers["patchtype"] = "MERGE"  # child rows: numbered ones change, new ones are added
        row = await self.locate(structure, remote_id)
        body = await self.guarded(structure, remote_id, row, headers, if_match, json=payload)
        return self._mapped(structure, body)

    async def delete(self, entity: str, remote_id: str, if_match: str | None) -> None:
        structure = self.structure(entity)
        row = await self.locate(structure, remote_id)
        await self.guarded(structure, remote_id, row, {}, if_match, method="DELETE")

    async def adjust_stock(self, part_id: str, location_id: str | None, delta: float) -> Record:
        """Set the storeroom's balance to the one just read plus `delta`, guarded by its rowstamp
        (re-read and tried again when someone else moved the balance meanwhile).

        The balance is the attribute this instance's MXAPIINVENTORY offers (`curbaltotal` or
        `curbal`, per its JSON schema). A row that comes without it is refused: a new absolute
        balance is never computed from a balance that was not read.
        """
        structure = self.structure("Part")
        clauses = [*self.scope(structure), f"{structure.key}={quote(part_id)}"]
        if location_id is not None:
            clauses.append(f"location={quote(location_id)}")
        balance = offered(structure.variants, await self.schema_or_none(structure.path))[0]
        for attempt in range(ADJUST_ATTEMPTS):
            select = f"{structure.key},location,{balance}"
            body = await self.query(structure, clauses, page_size=ROW_PAGE, select=select)
            row = self._stock_row(members(body, self.entry.name), part_id, location_id)
            current = row.get(balance)
            if not isinstance(current, (int, float)) or isinstance(current, bool):
                raise SystemRejected(
                    f"{self.entry.name} sent no current balance ({balance}) for item {part_id} in storeroom "
                    f"{row.get('location')}: the stock was not changed"
                )
            try:
                await self.guarded(
                    structure,
                    part_id,
                    row,
                    {"x-method-override": "PATCH"},
                    row.get("_rowstamp"),
                    params={"action": "wsmethod:adjustCurrentBalance"},
                    json={"newcurbal": float(current) + delta},
                )
                break
            except Conflict:
                if attempt == ADJUST_ATTEMPTS - 1:
                    raise
        return (await self.fetch_many("Part", [part_id]))[0]

    def _stock_row(self, rows: list[dict[str, Any]], part_id: str, location_id: str | None) -> dict[str, Any]:
        """The one storeroom row an adjustment names."""
        if not rows:
            where = f" in storeroom {location_id}" if location_id else ""
            raise NotFound(f"{self.entry.name} has no stock of item {part_id}{where}")
        if len(rows) > 1:
            rooms = ", ".join(str(r.get("location")) for r in rows)
            raise BadUserInput(f"item {part_id} is stocked in {rooms}: give locationId", field="locationId")
        return rows[0]

    # -- customization --------------------------------------------------------------

    async def json_schema(self, name: str) -> dict[str, Any]:
        """`/jsonschemas/<structure>`: the attributes Maximo describes for an object structure."""
        body = await self.call("GET", f"{self.root.rsplit('/os', 1)[0]}/jsonschemas/{name}")
        if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
            raise SystemRejected(f"{self.entry.name} sent no schema for {name}")
        return body

    async def discover_fields(self, entity: str) -> list[FieldCandidate]:
        structure = self.structure(entity)
        schema = await self.json_schema(structure.path)
        return schema_candidates(entity, schema, set(top_level(structure.select)), structure.writes is not None)

    async def discover_objects(self) -> list[ObjectCandidate]:
        found = []
        for name in self.object_structures:
            schema = await self.json_schema(name)
            title = str(schema.get("title") or name)
            type_name = graphql_name(title, upper=True)
            keys = schema.get("pk") or ["href"]
            fields = tuple(schema_candidates(type_name, schema, set(), writable=False))
            plural = type_name[0].lower() + type_name[1:] + "s"
            found.append(ObjectCandidate(name, type_name, plural, str(keys[-1]), title, fields))
        return found

    def object_name(self, obj: CustomObject) -> str:
        if not STRUCTURE_NAME.match(obj.remote_name):
            raise NotFound(f"'{obj.remote_name}' is not an object structure name")
        return obj.remote_name.lower()

    def object_records(self, obj: CustomObject, rows: list[dict[str, Any]]) -> list[Record]:
        return [map_object(obj, row, self.custom_value, row.get("_rowstamp")) for row in rows]

    async def list_objects(self, obj: CustomObject, cursor: str | None, limit: int) -> Page:
        """Keyed paging on the object's id attribute, as for the unified entities."""
        limit = min(limit, self.max_page_size)
        start = KEYS.start(cursor)
        body = await self.collection(
            self.object_name(obj), after(obj.id_path, start.after), "*", f"+{obj.id_path}", limit
        )
        rows = members(body, self.entry.name)
        next_cursor = KEYS.next_cursor(start, [r[obj.id_path] for r in rows], has_next_page(body))
        return Page(self.object_records(obj, rows), next_cursor)

    async def fetch_objects(self, obj: CustomObject, remote_ids: list[str]) -> list[Record]:
        name, ids = self.object_name(obj), list(dict.fromkeys(remote_ids))
        found = []
        for chunk in chunks(ids, ID_CHUNK):
            clause = f"{obj.id_path} in [{','.join(quote(i) for i in chunk)}]"
            body = await self.collection(name, [clause], "*", f"+{obj.id_path}", len(chunk))
            found += self.object_records(obj, members(body, self.entry.name))
        return found
