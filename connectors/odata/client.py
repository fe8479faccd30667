"""The OData v2 client: Basic-auth JSON reads of SAP Gateway services and CSRF-protected writes.

Every read of data carries `$format=json` (not `$count` and `$metadata`, which are no
JSON) and, on premises, `sap-client`. Writes need
the CSRF token the service hands out on a `GET` with `X-CSRF-Token: Fetch`;
the token belongs to the session cookie set with it, which the pooled httpx
client keeps in its jar. A 403 answered with `X-CSRF-Token: Required` means a
missing or stale token, not refused credentials: the token is fetched again once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from schema.errors import SystemAuthFailed, SystemRejected, SystemUnreachable

from ..http import HttpPolicy, UpstreamClient
from ..passthrough import RawRequest, RawResponse, answer, send
from .envelope import Collection, error_message, inline, read_collection, read_entity
from .query import Query
from .reader import EntitySetClient

SERVICE_ROOT = "/sap/opu/odata/sap"
CSRF_HEADER = "X-CSRF-Token"


class CsrfTokenRequired(SystemAuthFailed):
    """403 with `X-CSRF-Token: Required`: the token is missing or stale, not the login."""


class ODataUpstream(UpstreamClient):
    """`UpstreamClient` that tells a stale CSRF token apart from refused credentials."""

    def check(self, response: httpx.Response) -> httpx.Response:
        if csrf_required(response):
            raise CsrfTokenRequired(f"{self.system} asked for a fresh CSRF token")
        return super().check(response)


class ODataClient(EntitySetClient):
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

    def _params(self, extra: Mapping[str, str] | None = None, json: bool = True) -> dict[str, str]:
        params = {**({"$format": "json"} if json else {}), **(extra or {})}
        if self.sap_client:
            params["sap-client"] = self.sap_client
        return params

    # -- reads --------------------------------------------------------------------------

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
        body = await self.http.json("GET", next_url, params=params, headers={"Accept": "application/json"})
        return read_collection(body, self.system)

    async def entity(self, service: str, key_path: str, query: Query = Query()) -> dict[str, Any]:
        body = await self.get_json(f"/{service}/{key_path}", query.params())
        return read_entity(body, self.system)

    async def count(self, service: str, entity_set: str, filter: str | None = None) -> int:
        """`/EntitySet/$count` with a `$filter`: the number as plain text (no `$format`: it is no JSON)."""
        params = self._params({"$filter": filter} if filter else None, json=False)
        response = await self.http.request("GET", f"/{service}/{entity_set}/$count", params=params)
        text = response.text.strip()
        if not text.isdigit():
            raise SystemUnreachable(f"{self.system} sent a count that is not a number: {text[:40]!r}")
        return int(text)

    async def metadata(self, service: str) -> bytes:
        """The service's `$metadata` (EDMX; SAP refuses `$format=json` here)."""
        response = await self.http.request("GET", f"/{service}/$metadata", params=self._params(json=False))
        return response.content

    # -- writes -------------------------------------------------------------------------

    def entity_of(self, response: httpx.Response) -> dict[str, Any]:
        try:
            return read_entity(response.json(), self.system)
        except ValueError:
            raise SystemUnreachable(f"{self.system} sent a response that is not valid JSON") from None

    def expanded(self, entity: dict[str, Any], navigations: tuple[str, ...]) -> bool:
        return inline(entity, navigations)

    async def fetch_csrf_token(self, where: str) -> str:
        """`GET` a service root (`/<service>/`, or an absolute URL) with `X-CSRF-Token: Fetch`; the answer's
        cookies stay in the jar."""
        url = where if "://" in where else f"/{where}/"
        response = await self.http.request(
            "GET", url, params=self._params(), headers={CSRF_HEADER: "Fetch", "Accept": "application/json"}
        )
        token = response.headers.get(CSRF_HEADER)
        if not token or token.lower() == "required":
            raise SystemRejected(f"{self.system} did not hand out a CSRF token")
        self.csrf_token = token
        return token

    async def with_csrf(self, where: str, attempt: Callable[[str], Awaitable[httpx.Response]]) -> httpx.Response:
        """`attempt(token)` with the session's CSRF token (fetched at `where` when there is none yet); a stale
        token (`CsrfTokenRequired`) is fetched again once."""
        for tries in (1, 2):
            async with self._csrf_lock:
                token = self.csrf_token or await self.fetch_csrf_token(where)
            try:
                return await attempt(token)
            except CsrfTokenRequired:
                self.csrf_token = None
                if tries == 2:
                    raise SystemRejected(f"{self.system} refused a fresh CSRF token", status=403) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def send(
        self, method: str, service: str, path: str, json: Any = None, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """A write with the CSRF token; a stale token is fetched again once."""

        async def attempt(token: str) -> httpx.Response:
            sent = {**(headers or {}), CSRF_HEADER: token, "Accept": "application/json"}
            return await self.http.request(method, f"/{service}/{path}", params=self._params(), headers=sent, json=json)

        return await self.with_csrf(service, attempt)

    async def passthrough(self, instance_root: str, request: RawRequest) -> RawResponse:
        """A raw call with the Basic login (and `sap-client`); anything but a read carries the CSRF token,
        fetched from the service the path names, as every write of the connector does."""
        url = request.url(instance_root)
        params = request.query
        if self.sap_client and "sap-client" not in {name for name, _ in params}:
            params = (*params, ("sap-client", self.sap_client))
        if request.idempotent:
            return answer(self.http, await send(self.http, url, request, {}, params), request)

        async def attempt(token: str) -> httpx.Response:
            response = await send(self.http, url, request, {CSRF_HEADER: token}, params)
            if csrf_required(response):
                raise CsrfTokenRequired(f"{self.system} asked for a fresh CSRF token")
            return response

        return answer(self.http, await self.with_csrf(instance_root + service_root_of(request.path), attempt), request)


def csrf_required(response: httpx.Response) -> bool:
    """403 with `X-CSRF-Token: Required`: a missing or stale token, not refused credentials."""
    return response.status_code == 403 and response.headers.get(CSRF_HEADER, "").lower() == "required"


def service_root_of(path: str) -> str:
    """Where a CSRF token for a raw write to `path` is fetched: the root of the OData service it names
    (`/sap/opu/odata/sap/<SERVICE>/`), else the path itself."""
    prefix = SERVICE_ROOT + "/"
    if path.startswith(prefix) and path[len(prefix) :].strip("/"):
        return prefix + path[len(prefix) :].split("/", 1)[0] + "/"
    return path
