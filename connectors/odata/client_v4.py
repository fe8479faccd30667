"""The OData v4 client: JSON reads and writes of one service, many reads in one `$batch`.

The service root is a URL (`…/api/v2.0` for Business Central); `prefix` is the path
every entity set sits under there (`companies(<id>)`), so a service is
read as `<root>/<prefix>/<set>`. Login is an httpx auth (Basic, or OAuth client
credentials, `connectors/oauth.py`). Reads of many sets at once go as JSON
batches of at most `BATCH_SIZE` operations (`batch=JSON`), or as multipart ones
(`MULTIPART`, `multipart.py`) for a service that takes only those; each operation's
status is mapped as a call of its own would be. With `batch=None` they go as GETs of
their own. `params` go along on every call and every batched operation (e.g.
`cross-company=true` of Dynamics 365 finance and operations apps).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from schema.errors import SystemUnreachable

from ..batching import chunks
from ..http import HttpPolicy, UpstreamClient
from ..passthrough import RawRequest, RawResponse, answer, send
from . import envelope_v4
from .batch import BATCH_SIZE, batch_answers, batch_body
from .envelope import Collection, error_message
from .multipart import multipart_answers, multipart_body
from .query import Query
from .reader import EntitySetClient

ACCEPT = {"Accept": "application/json"}
JSON = "json"  # OData JSON Format 4.01 §19 batches (Business Central)
MULTIPART = "multipart"  # multipart/mixed batches (finance and operations apps)


class ODataV4Client(EntitySetClient):
    def __init__(
        self,
        service_root: str,
        *,
        system: str,
        auth: httpx.Auth,
        prefix: str = "",
        policy: HttpPolicy | None = None,
        params: Mapping[str, str] | None = None,
        batch: str | None = JSON,
    ) -> None:
        self.system = system
        self.prefix = prefix.strip("/")
        self.batch = batch
        self.http = UpstreamClient(service_root.rstrip("/"), system=system, policy=policy, error_message=error_message)
        self.http.client.auth = auth
        self.http.client.params = httpx.QueryParams(dict(params or {}))

    async def aclose(self) -> None:
        await self.http.aclose()

    def path(self, service: str, rest: str) -> str:
        """`<prefix>/<service>/<rest>`, relative to the service root (no leading slash)."""
        return "/".join(p.strip("/") for p in (self.prefix, service, rest) if p)

    # -- reads --------------------------------------------------------------------------

    async def get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        return await self.http.json("GET", "/" + path, params=dict(params or {}), headers=ACCEPT)

    async def collection(self, service: str, entity_set: str, query: Query = Query()) -> Collection:
        body = await self.get_json(self.path(service, entity_set), query.params())
        return envelope_v4.read_collection(body, self.system)

    async def follow(self, next_url: str) -> Collection:
        """The page `@odata.nextLink` points at: an absolute URL carrying its own `$skiptoken`."""
        body = await self.http.json("GET", next_url, headers=ACCEPT)
        return envelope_v4.read_collection(body, self.system)

    async def collect_all(self, service: str, entity_set: str, queries: Iterable[Query]) -> list[dict[str, Any]]:
        """Several reads of one set in `$batch` calls (one per `BATCH_SIZE` reads); rows in query order.
        A read the server pages further is followed by its next link."""
        if self.batch is None:
            return await super().collect_all(service, entity_set, queries)
        path, always = self.path(service, entity_set), dict(self.http.client.params)
        rows: list[dict[str, Any]] = []
        for part in chunks(list(queries), BATCH_SIZE):
            for response in await self.batched([(path, {**q.params(), **always}) for q in part]):
                self.http.check(response)
                page = await self.rest_of(envelope_v4.read_collection(response.json(), self.system))
                rows += page.results
        return rows

    async def batched(self, urls: list[tuple[str, dict[str, str]]]) -> list[httpx.Response]:
        """One `$batch` call of GETs: each operation's answer, in request order."""
        if self.batch == MULTIPART:
            content, content_type = multipart_body(urls)
            headers = {**ACCEPT, "Content-Type": content_type}
            sent = await self.http.request("POST", "/$batch", content=content, headers=headers, idempotent=True)
            return multipart_answers(sent, len(urls), self.system)
        body = await self.http.json("POST", "/$batch", json=batch_body(urls), headers=ACCEPT, idempotent=True)
        return batch_answers(body, len(urls), self.system)

    async def count(self, service: str, entity_set: str, filter: str | None = None) -> int:
        """`<set>/$count` with a `$filter`: the number as plain text."""
        params = {"$filter": filter} if filter else {}
        response = await self.http.request("GET", "/" + self.path(service, f"{entity_set}/$count"), params=params)
        text = response.text.strip()
        if not text.isdigit():
            raise SystemUnreachable(f"{self.system} sent a count that is not a number: {text[:40]!r}")
        return int(text)

    async def metadata(self, service: str) -> bytes:
        response = await self.http.request("GET", "/$metadata")
        return response.content

    # -- writes -------------------------------------------------------------------------

    async def send(
        self, method: str, service: str, path: str, json: Any = None, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        sent = {**(headers or {}), **ACCEPT}
        return await self.http.request(method, "/" + self.path(service, path), headers=sent, json=json)

    def entity_of(self, response: httpx.Response) -> dict[str, Any]:
        try:
            return envelope_v4.read_entity(response.json(), self.system)
        except ValueError:
            raise SystemUnreachable(f"{self.system} sent a response that is not valid JSON") from None

    def expanded(self, entity: dict[str, Any], navigations: tuple[str, ...]) -> bool:
        return all(name in entity for name in navigations)

    async def passthrough(self, instance_root: str, request: RawRequest) -> RawResponse:
        """A raw call with the connection's login."""
        return answer(self.http, await send(self.http, request.url(instance_root), request, {}, request.query), request)
