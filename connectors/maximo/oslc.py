"""Maximo's REST/JSON ("OSLC") protocol on top of `RestConnector`.

Object structures are read with `oslc.select` / `oslc.where` / `oslc.orderBy`
and `lean=1`. Lists page by key (`<key>>"last"` ordered `+<key>`) rather than by
`pageno`: a cursor then survives records changing between calls and resuming
with another page size, and `responseInfo.nextPage` only says whether more
rows exist. Keys compare as strings, in the order `+<key>` sorts them.
Fetch-many is one `<key> in [...]` query per chunk of ids.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from schema.errors import BadUserInput, SystemRejected
from schema.record import Record

from ..base import ListQuery, Page
from ..http import default_error_message
from ..mapping import dig
from ..rest import RestConnector, Stream

ID_CHUNK = 50  # ids per `in [...]` filter: keeps URLs short
ROW_PAGE = 1000  # rows per call where one record spans several rows


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

    @property
    def order_by(self) -> str:
        return self.order or f"+{self.key}"


def quote(value: str) -> str:
    """A string literal of `oslc.where`."""
    return json.dumps(value)


def where_time(value: datetime) -> str:
    """Whole seconds (Maximo keeps no more), rounded down so nothing is missed."""
    return quote(value.astimezone(timezone.utc).replace(microsecond=0).isoformat())


def members(body: Any, system: str) -> list[dict[str, Any]]:
    rows = body.get("member") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        raise SystemRejected(f"{system} sent a collection without 'member'")
    return rows


def has_next_page(body: dict[str, Any]) -> bool:
    return bool(dig(body, "responseInfo.nextPage"))


class OslcConnector(RestConnector):
    """A Maximo-style system: declare `ObjectStructure`s, the rest is here."""

    streams: ClassVar[tuple[ObjectStructure, ...]] = ()
    api_prefix = "/maximo"

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
        raise BadUserInput(
            f"{self.entry.name} needs either an API key or a username and password", field="credentials"
        )

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

    async def query(
        self, structure: ObjectStructure, clauses: list[str], *, page_size: int,
        select: str | None = None, pageno: int = 1,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "lean": 1,
            "oslc.select": select or structure.select,
            "oslc.orderBy": structure.order_by,
            "oslc.pageSize": page_size,
        }
        if clauses:
            params["oslc.where"] = " and ".join(clauses)
        if pageno > 1:
            params["pageno"] = pageno
        body = await self.call("GET", f"{self.login()[0]}/{structure.path}", params=params)
        members(body, self.entry.name)
        return body

    def structure(self, entity: str) -> ObjectStructure:
        found = self.stream(entity)
        assert isinstance(found, ObjectStructure), "declare ObjectStructure streams"
        return found

    def scope(self, structure: ObjectStructure) -> list[str]:
        site = (self.config.credentials.get("siteId") or "").strip()
        return [f"siteid={quote(site.upper())}"] if site and structure.site_scoped else []

    def filters(self, structure: ObjectStructure, query: ListQuery) -> tuple[list[str], ListQuery]:
        """`oslc.where` clauses for a list query, and what is left to check here.

        Times are compared here again: the pushed-down bound is rounded to seconds.
        `statuses=()` in the rest means nothing can match.
        """
        clauses = self.scope(structure)
        mapping = structure.mapping
        bounds = ((query.updated_after, structure.updated_param, mapping.updated_at),
                  (query.created_after, structure.created_param, mapping.created_at))
        for bound, attr, mapped in bounds:
            if bound and attr:
                clauses.append(f"{attr}>{where_time(bound)}")
            elif bound and mapped is None:
                return clauses, ListQuery(statuses=())  # no such time on these records
        rest = query
        spec = mapping.enum_spec(structure.status_field) if structure.status_field else None
        if query.statuses is not None and structure.status_param and spec:
            raw = [r for s in query.statuses for r in spec.raw_values(s)]
            if not raw:
                return clauses, ListQuery(statuses=())
            clauses.append(f"{structure.status_param} in [{','.join(quote(str(r)) for r in raw)}]")
            rest = ListQuery(query.updated_after, query.created_after, None)
        return clauses, rest

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
        clauses, residual = self.filters(structure, query)
        if residual.statuses == ():
            return Page([], None)
        limit = min(limit, self.max_page_size)
        if structure.grouped:
            keys, next_cursor = await self._keys_page(structure, clauses, cursor, limit)
            found = await self.fetch_many(entity, keys)
        else:
            after = [f"{structure.key}>{quote(cursor)}"] if cursor else []
            body = await self.query(structure, clauses + after, page_size=limit)
            rows = members(body, self.entry.name)
            found = self.records(structure, rows)
            next_cursor = str(rows[-1][structure.key]) if rows and has_next_page(body) else None
        return Page([r for r in found if residual.matches(r, structure.status_field)], next_cursor)

    async def _keys_page(
        self, structure: ObjectStructure, clauses: list[str], cursor: str | None, limit: int
    ) -> tuple[list[str], str | None]:
        """The next `limit` distinct keys after `cursor` (a record may span several rows)."""
        keys: list[str] = []
        last, more = cursor, True
        while more and len(keys) <= limit:
            after = [f"{structure.key}>{quote(last)}"] if last else []
            body = await self.query(structure, clauses + after, page_size=2 * limit + 1, select=structure.key)
            rows = members(body, self.entry.name)
            for row in rows:
                if not keys or keys[-1] != str(row[structure.key]):
                    keys.append(str(row[structure.key]))
            more = bool(rows) and has_next_page(body)
            last = keys[-1] if keys else last
        return keys[:limit], (keys[limit - 1] if len(keys) > limit else None)

    async def fetch_many(self, entity: str, remote_ids: list[str]) -> list[Record]:
        structure = self.structure(entity)
        ids = list(dict.fromkeys(str(i) for i in remote_ids))
        chunks = [ids[i : i + ID_CHUNK] for i in range(0, len(ids), ID_CHUNK)]
        found = await asyncio.gather(*(self._fetch_chunk(structure, chunk) for chunk in chunks))
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
