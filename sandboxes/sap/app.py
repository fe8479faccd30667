"""A local imitation of SAP Gateway's OData v2 services for S/4HANA Cloud and ECC / on-premises.

Services are mounted under `/sap/opu/odata/sap/<SERVICE>/`, so the instance URL
is the host root. The entity model (and the `$metadata` it generates) is in
`model.py`; it imports nothing from the connector.

Known from SAP's documentation and the published `$metadata`: Basic auth; the
`d`/`results`/`__count`/`__next` envelopes; `__metadata {id, uri, type}`;
deferred and expanded navigation properties; `/Date(ms)/` values; decimals as
strings; Atom unless `$format=json` or `Accept: application/json`; the error
body `{"error": {"code", "message": {"lang", "value"}, "innererror"}}`; the
CSRF handshake (`X-CSRF-Token: Fetch` → token + session cookie; writes without
it → 403 with `X-CSRF-Token: Required`); `sap-client` on on-premises systems.

Unverified (our best guess, to be checked against a real system):
- the server page size of 100 and `__next` as the request URL plus `$skiptoken=<n>`
  (`n` = rows of the requested window already sent);
- `/Date(ms+0000)/` for `Edm.DateTimeOffset` and the error codes/messages we
  send (`/IWBEP/CM_MGW_RT/...`); a 401 with an HTML body on a failed logon;
- a missing `sap-client` logs on to a default client where the user does not
  exist (401); a wrong one is refused with 401 too;
- classic ECC exposes the same `API_*` services as S/4HANA on-premises (real ECC
  systems usually need them activated or replaced by custom services);
- rejecting `$filter` on properties annotated `sap:filterable="false"`;
- ETags as weak `datetimeoffset'…'` tags of `LastChangeDateTime`; an update or
  delete of a set with an ETag needs `If-Match` (the tag, or `*`): without it
  428, with a stale one 412;
- write answers are JSON whatever the Accept header says.

Writes (see `writes.py` for the rules): `POST /<EntitySet>` creates (201, the
entity in `{"d": ...}` with its navigations deferred, deep-inserted
`to_PurchaseOrderItem` too, as a real system answered; `Location` and `ETag`
headers); `PATCH`/`MERGE`/`PUT` on an entity changes the
given properties (204 with the new `ETag`); `DELETE` where the set is
`sap:deletable` (204). A purchase order is not removed by `DELETE`: it and its
items get the deletion code `L` (and a new `LastChangeDateTime`) and stay
listed (see docs/vendors/sap.md). What `$metadata` marks not
creatable/updatable/deletable is refused, as SAP does.

`/<EntitySet>/$count` answers the number of rows the `$filter` selects, as
plain text (SAP Gateway's framework serves it for every entity set).

Besides the shared control routes (see `sandboxes.kit`) there is
`POST /__sandbox/touch` with `{"resource": "<EntitySet>", "ids": [...]}`, which
moves those records' `LastChangeDateTime` to now, and `POST /__sandbox/delete`
with the same body, which deletes them with what hangs off them (ids are values
of the set's first key property).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from sandboxes.kit import SandboxApp, SandboxSpec, SandboxState, http_error_handler
from sandboxes.odata_filter import FilterError, Row, parse_filter, parse_key
from sandboxes.sap import rules as writes
from sandboxes.sap.model import SERVICES, EntitySet, Service, edmx
from sandboxes.sap.seed import Dataset
from sandboxes.sap.wire import atom_error, atom_feed, entity_json, etag, key_predicate

PREFIX = "/sap/opu/odata/sap"
PAGE_SIZE = 100
DEMO_USER = "PLANTGATE_DEMO"
DEMO_PASSWORD = "sap-demo-Passw0rd"
DEFAULT_CREDENTIALS = {DEMO_USER: DEMO_PASSWORD}
SYSTEM_ID = "PG1"


def error_body(status: int, message: str, code: str = "/IWBEP/CM_MGW_RT/000", target: str = "") -> dict[str, Any]:
    """SAP Gateway's error shape: code, message, and one error detail per message with the
    property it refers to (`propertyref`) and its severity (SAP Help, "Error Response")."""
    detail = {"code": code, "message": message, "propertyref": target, "severity": "error"}
    return {
        "error": {
            "code": code,
            "message": {"lang": "en", "value": message},
            "innererror": {
                "transactionid": uuid.uuid4().hex.upper(),
                "timestamp": datetime.now(UTC).strftime("%Y%m%d%H%M%S.%f")[:21],
                "errordetails": [detail] if status < 500 else [],
            },
        }
    }


class ODataError(Exception):
    def __init__(self, status: int, message: str, code: str = "/IWBEP/CM_MGW_RT/000", target: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.target = status, message, code, target


def wants_json(request: Request) -> bool:
    fmt = request.query_params.get("$format")
    if fmt:
        return fmt == "json"
    return "application/json" in request.headers.get("accept", "")


def _error_response(request: Request, error: ODataError) -> Response:
    if wants_json(request):
        return JSONResponse(error_body(error.status, error.message, error.code, error.target), status_code=error.status)
    return Response(atom_error(error.code, error.message), error.status, media_type="application/xml")


class _Sessions:
    """CSRF tokens per session cookie."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}

    def issue(self, session: str | None) -> tuple[str, str]:
        session = session or secrets.token_urlsafe(24)
        token = secrets.token_urlsafe(18)
        with self._lock:
            self._tokens[session] = token
        return session, token

    def valid(self, session: str | None, token: str | None) -> bool:
        with self._lock:
            return bool(session and token and self._tokens.get(session) == token)

    def expire(self) -> None:
        """Every token becomes stale, as after a session timeout on the server (tests use it)."""
        with self._lock:
            self._tokens.clear()


class _Sandbox:
    """Request handling for one app: auth, then the OData resource."""

    def __init__(self, data: Dataset, credentials: dict[str, str], sap_client: str | None) -> None:
        self.data = data
        self.credentials = credentials
        self.sap_client = sap_client
        self.sessions = _Sessions()
        self.cookie = f"SAP_SESSIONID_{SYSTEM_ID}_{sap_client or '100'}"

    # -- logon ------------------------------------------------------------------

    def user(self, request: Request) -> tuple[str, str]:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("basic "):
            return "", ""
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        return user, password

    def logged_on(self, request: Request) -> bool:
        user, password = self.user(request)
        if not user:
            return False
        if self.sap_client is not None:
            client = request.query_params.get("sap-client") or request.headers.get("sap-client")
            if client != self.sap_client:
                return False  # logged on to another client, where this user does not exist
        return self.credentials.get(user) == password

    def logon_failed(self) -> Response:
        realm = f"SAP NetWeaver Application Server [{SYSTEM_ID}/{self.sap_client or '100'}]"
        return Response(
            "<html><head><title>Logon Error Message</title></head><body>Logon failed</body></html>",
            401,
            headers={"WWW-Authenticate": f'Basic realm="{realm}"'},
            media_type="text/html",
        )

    # -- routes -------------------------------------------------------------------

    def service(self, request: Request) -> Service:
        service = SERVICES.get(request.path_params["service"])
        if service is None:
            raise ODataError(
                404,
                f"No service found for namespace '', name '{request.path_params['service']}', version '0001'",
                "/IWFND/MED/170",
            )
        return service

    async def handle(self, request: Request, body: bytes) -> Response:
        if not self.logged_on(request):
            return self.logon_failed()
        try:
            service = self.service(request)
            resource = request.path_params.get("resource")
            if request.method in ("GET", "HEAD"):
                response = self.read(request, service, resource)
                return self.with_csrf(request, response)
            return self.write(request, service, resource or "", body)
        except writes.WriteError as exc:
            return _error_response(request, ODataError(exc.status, exc.message, exc.code, exc.target))
        except (ODataError, FilterError) as exc:
            error = exc if isinstance(exc, ODataError) else ODataError(400, str(exc), "/IWBEP/CM_MGW_RT/006")
            return _error_response(request, error)

    def with_csrf(self, request: Request, response: Response) -> Response:
        if request.headers.get("x-csrf-token", "").lower() == "fetch":
            session, token = self.sessions.issue(request.cookies.get(self.cookie))
            response.headers["X-CSRF-Token"] = token
            response.set_cookie(self.cookie, session, path="/", httponly=True)
            response.set_cookie("sap-usercontext", f"sap-client={self.sap_client or '100'}", path="/")
        return response

    def read(self, request: Request, service: Service, resource: str | None) -> Response:
        if resource is None:  # the service document
            return JSONResponse({"d": {"EntitySets": [s.name for s in service.sets]}})
        if resource == "$metadata":
            return Response(edmx(service), media_type="application/xml")
        entity_set, keys, nav = self.resolve(service, resource)
        if keys is None:
            if nav == "$count":
                return PlainTextResponse(str(len(self.select_rows(request, entity_set))))
            return self.collection(request, service, entity_set, self.data.rows(entity_set.name))
        row = self.find(entity_set, keys)
        if nav is None:
            return self.single(request, service, entity_set, row)
        link = entity_set.nav(nav)
        if link is None:
            raise ODataError(404, f"Resource not found for segment '{nav}'", "/IWBEP/CM_MGW_RT/020")
        target = service.set(link.target)
        assert target is not None
        return self.collection(request, service, target, self.related(row, link.target, link.on))

    def resolve(self, service: Service, resource: str) -> tuple[EntitySet, dict[str, Any] | None, str | None]:
        head, _, nav = resource.partition("/")
        name, _, key_text = head.partition("(")
        entity_set = service.set(name)
        if entity_set is None:
            raise ODataError(404, f"Resource not found for segment '{name}'", "/IWBEP/CM_MGW_RT/020")
        keys = parse_key(key_text[:-1], entity_set) if key_text else None
        return entity_set, keys, nav or None

    def find(self, entity_set: EntitySet, keys: dict[str, Any]) -> Row:
        for row in self.data.rows(entity_set.name):
            if all(row.get(k) == v for k, v in keys.items()):
                return row
        raise ODataError(404, f"Resource not found for segment '{entity_set.type_name}'", "/IWBEP/CM_MGW_RT/020")

    def related(self, row: Row, target: str, on: tuple[str, ...]) -> list[Row]:
        return [r for r in self.data.rows(target) if all(r.get(k) == row.get(k) for k in on)]

    # -- query options ---------------------------------------------------------------

    def select_rows(self, request: Request, entity_set: EntitySet, rows: list[Row] | None = None) -> list[Row]:
        rows = self.data.rows(entity_set.name) if rows is None else rows
        text = request.query_params.get("$filter")
        if text:
            predicate = parse_filter(text, entity_set)
            rows = [r for r in rows if predicate(r)]
        return self.order(request, entity_set, rows)

    def order(self, request: Request, entity_set: EntitySet, rows: list[Row]) -> list[Row]:
        clauses = [c.split() for c in (request.query_params.get("$orderby") or "").split(",") if c.strip()]
        clauses = clauses or [[k] for k in entity_set.keys]
        for clause in reversed(clauses):
            name, direction = clause[0], (clause[1] if len(clause) > 1 else "asc")
            if entity_set.prop(name) is None or direction not in ("asc", "desc"):
                raise ODataError(400, f"Invalid $orderby '{' '.join(clause)}'", "/IWBEP/CM_MGW_RT/006")
            rows.sort(
                key=lambda r: (r.get(name) is not None, r.get(name) if r.get(name) is not None else ""),
                reverse=direction == "desc",
            )
        return rows

    def int_option(self, request: Request, name: str) -> int | None:
        raw = request.query_params.get(name)
        if raw in (None, ""):
            return None
        if not raw.isdigit():
            raise ODataError(400, f"Invalid system query option {name}={raw}", "/IWBEP/CM_MGW_RT/006")
        return int(raw)

    def select(self, request: Request, entity_set: EntitySet) -> set[str] | None:
        raw = request.query_params.get("$select")
        if not raw or raw.strip() == "*":
            return None
        names = {n.strip() for n in raw.split(",") if n.strip()}
        for name in names:
            if entity_set.prop(name) is None and entity_set.nav(name) is None:
                raise ODataError(
                    400, f"Property {name} not found in type {entity_set.type_name}", "/IWBEP/CM_MGW_RT/006"
                )
        return names

    def expand(self, request: Request, entity_set: EntitySet) -> list[str]:
        names = [n.strip() for n in (request.query_params.get("$expand") or "").split(",") if n.strip()]
        for name in names:
            if entity_set.nav(name) is None:
                raise ODataError(
                    400, f"Property {name} not found in type {entity_set.type_name}", "/IWBEP/CM_MGW_RT/006"
                )
        return names

    def entities(self, request: Request, service: Service, entity_set: EntitySet, rows: list[Row]) -> list[dict]:
        select, expand = self.select(request, entity_set), self.expand(request, entity_set)
        url = self.service_url(request, service)
        out = []
        for row in rows:
            expanded: dict[str, Any] = {}
            for name in expand:
                link = entity_set.nav(name)
                target = service.set(link.target) if link else None
                assert link is not None and target is not None
                related = [
                    entity_json(target, service.qualified(target), r, url, None, {}, {})
                    for r in self.related(row, link.target, link.on)
                ]
                expanded[name] = {"results": related} if link.many else (related[0] if related else None)
            out.append(entity_json(entity_set, service.qualified(entity_set), row, url, select, {}, expanded))
        return out

    def service_url(self, request: Request, service: Service) -> str:
        url = str(request.url.replace(query=""))  # keeps any mount prefix (the demo serves us under one)
        return f"{url[: url.index(PREFIX)]}{PREFIX}/{service.name}"

    # -- answers ----------------------------------------------------------------------

    def collection(self, request: Request, service: Service, entity_set: EntitySet, rows: list[Row]) -> Response:
        rows = self.select_rows(request, entity_set, rows)
        total = len(rows)
        skip = self.int_option(request, "$skip") or 0
        top = self.int_option(request, "$top")
        window = rows[skip:] if top is None else rows[skip : skip + top]
        sent = self.int_option(request, "$skiptoken") or 0
        page = window[sent : sent + PAGE_SIZE]
        if not wants_json(request):
            return Response(
                atom_feed(
                    entity_set,
                    service.qualified(entity_set),
                    page,
                    self.service_url(request, service),
                    self.select(request, entity_set),
                ),
                media_type="application/atom+xml",
            )
        body: dict[str, Any] = {"results": self.entities(request, service, entity_set, page)}
        if request.query_params.get("$inlinecount") == "allpages":
            body["__count"] = str(total)
        if sent + PAGE_SIZE < len(window):
            params = [(k, v) for k, v in request.query_params.multi_items() if k != "$skiptoken"]
            params.append(("$skiptoken", str(sent + PAGE_SIZE)))
            query = urlencode(params, safe="$,'()")
            body["__next"] = f"{self.service_url(request, service)}/{entity_set.name}?{query}"
        return JSONResponse({"d": body})

    def single(self, request: Request, service: Service, entity_set: EntitySet, row: Row) -> Response:
        if not wants_json(request):
            return Response(
                atom_feed(
                    entity_set,
                    service.qualified(entity_set),
                    [row],
                    self.service_url(request, service),
                    self.select(request, entity_set),
                ),
                media_type="application/atom+xml",
            )
        return JSONResponse(
            {"d": self.entities(request, service, entity_set, [row])[0]}, headers=_etag_header(entity_set, row)
        )

    # -- writes ----------------------------------------------------------------------------

    def write(self, request: Request, service: Service, resource: str, body: bytes) -> Response:
        token = request.headers.get("x-csrf-token")
        if not self.sessions.valid(request.cookies.get(self.cookie), token):
            return PlainTextResponse("CSRF token validation failed", 403, headers={"X-CSRF-Token": "Required"})
        entity_set, keys, nav = self.resolve(service, resource)
        rules = writes.Rules(self.data, self.user(request)[0])
        if request.method == "POST" and keys is None and nav is None:
            return self.create(request, service, entity_set, rules, _json_body(body))
        if keys is None or nav is not None or request.method not in ("MERGE", "PATCH", "PUT", "DELETE"):
            raise ODataError(405, f"Method {request.method} is not allowed here", "/IWBEP/CM_MGW_RT/021")
        current = self.find(entity_set, keys)
        if request.method == "DELETE":
            if not entity_set.deletable:
                raise ODataError(405, f"Entity set {entity_set.name} does not support deletion", "/IWBEP/CM_MGW_RT/021")
            self.precondition(request, entity_set, current)
            matches = {entity_set.name: keys, **{n.target: {k: current[k] for k in n.on} for n in entity_set.navs}}
            marker = writes.SOFT_DELETES.get(entity_set.name)
            if marker is not None:
                self.data.mark(matches, marker)
            else:
                self.data.delete(matches)
            return Response(status_code=204)
        self.precondition(request, entity_set, current)
        changes = writes.update(rules, entity_set, current, _json_body(body))
        row = self.data.update(entity_set.name, keys, changes)
        assert row is not None
        return Response(status_code=204, headers=_etag_header(entity_set, row))

    def precondition(self, request: Request, entity_set: EntitySet, row: Row) -> None:
        """Optimistic locking: the client's `If-Match` must be the current ETag (or `*`)."""
        current = etag(entity_set, row)
        if current is None:
            return
        given = request.headers.get("if-match")
        if given is None:
            raise ODataError(428, "Precondition required: send the entity's ETag in If-Match", "/IWBEP/CM_MGW_RT/035")
        if given.strip() != "*" and given.strip() != current:
            raise ODataError(
                412,
                "The entity was changed by another user since it was read (ETag mismatch); read it again",
                "/IWBEP/CM_MGW_RT/024",
            )

    def create(
        self, request: Request, service: Service, entity_set: EntitySet, rules: writes.Rules, body: Any
    ) -> Response:
        row, nested = writes.create(rules, service, entity_set, body)
        targets = {n.name: service.set(n.target) for n in entity_set.navs}
        self.data.insert({entity_set.name: [row], **{targets[name].name: rows for name, rows in nested.items()}})  # type: ignore[union-attr]
        url = self.service_url(request, service)
        # The answer carries the header alone: its navigations, the inserted items too, are deferred.
        entity = entity_json(entity_set, service.qualified(entity_set), row, url, None, {}, {})
        headers = {
            "Location": f"{url}/{entity_set.name}{key_predicate(entity_set, row)}",
            **_etag_header(entity_set, row),
        }
        return JSONResponse({"d": entity}, status_code=201, headers=headers)


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body or b"{}")
    except ValueError:
        raise ODataError(400, "The request body is not valid JSON", "/IWBEP/CM_MGW_RT/006") from None


def _etag_header(entity_set: EntitySet, row: Row) -> dict[str, str]:
    tag = etag(entity_set, row)
    return {"ETag": tag} if tag else {}


CONTROL_BODY = "expected {'resource': <EntitySet>, 'ids': [...]}"


def _control_error(status: int, message: str) -> Response:
    return JSONResponse(error_body(status, message), status_code=status)


def _routes(sandbox: _Sandbox) -> list[BaseRoute]:
    async def odata(request: Request) -> Response:
        body = b"" if request.method in ("GET", "HEAD") else await request.body()
        return await sandbox.handle(request, body)

    async def target(request: Request) -> tuple[EntitySet, list[str]] | None:
        """The entity set and ids a control route's body names (None when it names none)."""
        try:
            body = await request.json()
            entity_set = next(s for svc in SERVICES.values() for s in svc.sets if s.name == body["resource"])
            return entity_set, [str(i) for i in body["ids"]]
        except (ValueError, KeyError, TypeError, StopIteration):
            return None

    async def touch(request: Request) -> Response:
        if (found := await target(request)) is None:
            return _control_error(400, CONTROL_BODY)
        entity_set, ids = found
        if entity_set.prop("LastChangeDateTime") is None:
            return _control_error(400, f"{entity_set.name} has no LastChangeDateTime")
        touched = sandbox.data.touch(entity_set.name, ids, entity_set.keys[0])
        return JSONResponse({"touched": touched})

    async def remove(request: Request) -> Response:
        """Deletes rows by their first key (and what hangs off them), as a user deleting them in SAP would."""
        if (found := await target(request)) is None:
            return _control_error(400, CONTROL_BODY)
        entity_set, ids = found
        rows = [r for r in sandbox.data.rows(entity_set.name) if r.get(entity_set.keys[0]) in ids]
        missing = set(ids) - {r[entity_set.keys[0]] for r in rows}
        if missing:
            return _control_error(404, f"Resource not found for key {min(missing)}")
        for row in rows:
            children = {n.target: {k: row[k] for k in n.on} for n in entity_set.navs}
            sandbox.data.delete({entity_set.name: {k: row[k] for k in entity_set.keys}, **children})
        return JSONResponse({"deleted": len(rows)})

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "MERGE", "DELETE"]
    return [
        Route("/__sandbox/touch", touch, methods=["POST"]),
        Route("/__sandbox/delete", remove, methods=["POST"]),
        Route(f"{PREFIX}/{{service}}/", odata, methods=methods),
        Route(f"{PREFIX}/{{service}}/{{resource:path}}", odata, methods=methods),
    ]


def create_app(
    *,
    sap_client: str | None = None,
    seed: int = 11,
    credentials: dict[str, str] | None = None,
    state: SandboxState | None = None,
) -> Starlette:
    """The sandbox app; `app.state.data` is its Dataset. `sap_client` makes it an on-premises system."""
    data = Dataset(seed)
    sandbox = _Sandbox(data, dict(DEFAULT_CREDENTIALS if credentials is None else credentials), sap_client)
    app = SandboxApp(
        _routes(sandbox),
        error_body=error_body,
        state=state,
        exception_handlers={HTTPException: http_error_handler(error_body)},
    )
    app.state.data = data
    app.state.sap_client = sap_client
    app.state.sessions = sandbox.sessions
    return app


ECC_CLIENT = "100"
LOGIN = {"username": DEMO_USER, "password": DEMO_PASSWORD}

SANDBOXES = (
    SandboxSpec("sap_s4hana", create_app, dict(LOGIN)),
    SandboxSpec("sap_ecc", partial(create_app, sap_client=ECC_CLIENT), {**LOGIN, "sapClient": ECC_CLIENT}),
)
