"""A local imitation of Oracle Fusion Cloud's REST API for maintenance and procurement.

Written from Oracle's documentation (docs/vendors/oracle_fusion.md), never from the connector.
Documented: resources under `/fscmRestApi/resources/11.13.18.05/`; collections as `{"items", "count",
"hasMore", "limit", "offset", "links"}` with a default `limit` of 25 and at most 500 rows (a larger
`limit` is cut to it); `offset`, `limit`, `q` (RowMatch expressions from REST framework version 2,
chosen with the `REST-Framework-Version` header; only on queryable attributes), `fields`, `onlyData`,
`expand` (a child by name, or `all`: purchase order `lines`, the work order's `WorkOrderDFF`
flexfield), `totalResults` (adds `totalResults`, only when asked); `/describe` of one resource and of
the version root (`describe.py`); an item's ETag (`ETag` header of a `GET` of one item, the
`changeIndicator` of its `self` link) and 412 for a `PATCH` whose `If-Match` names an older one; HTTP
Basic login, or a bearer token of the identity domain's client credentials grant (served here at
`/oauth2/v1/token`, one hour by default); a 401 for a bad login or an unknown or expired token.
Unverified (marked so in the doc): the wording and error codes of the framework-4 JSON error body, and
several attribute names (work requests above all).

Writes: `POST` creates a work order or work request, `PATCH` changes a work order; other resources
and `DELETE` answer 405. Besides the shared control routes there are `POST /__sandbox/touch` and
`POST /__sandbox/delete` with `{"resource", "ids"}`.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from sandboxes.kit import SandboxApp, SandboxSpec, SandboxState, http_error_handler, status_phrase
from sandboxes.oracle_fusion import rules
from sandboxes.oracle_fusion.describe import RESOURCES, children, describe, queryable
from sandboxes.oracle_fusion.q import QError, row_match
from sandboxes.oracle_fusion.seed import KEYS, Dataset
from sandboxes.oracle_fusion.versions import change_indicator, etag, if_match_holds
from sandboxes.rest import dataset_routes, json_or_none, record_routes

PREFIX = "/fscmRestApi/resources/11.13.18.05"
DEMO_USER = "maint.integration"
DEFAULT_CREDENTIALS = {DEMO_USER: "fusion-demo-password"}
CLIENT_ID = "plantgate-fusion-client"
CLIENT_SECRET = "fusion-demo-client-secret"
SCOPE = "urn:opc:resource:fa:instanceid=demo urn:opc:resource:consumer::all"
TOKEN_PATH = "/oauth2/v1/token"
DEFAULT_LIMIT = 25
MAX_LIMIT = 500
DESCRIBE_TYPE = "application/vnd.oracle.adf.resource+json"  # as another ADF REST service answers a describe
ERROR_TYPE = "http://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"
CREATABLE = frozenset(rules.RULES)
NUMBERS = {"maintenanceWorkOrders": ("WorkOrderNumber", "WO"), "maintenanceWorkRequests": ("WorkRequestNumber", "WR")}


def error_body(status: int, message: str) -> dict[str, Any]:
    """Framework version 4's error body (`application/vnd.oracle.adf.error+json`)."""
    return {
        "type": ERROR_TYPE,
        "title": status_phrase(status),
        "status": str(status),
        "o:errorDetails": [{"detail": message}],
    }


def _framework(request: Request) -> int:
    raw = request.headers.get("rest-framework-version", "1")
    return int(raw) if raw.isascii() and raw.isdigit() else 1


def _error(request: Request, status: int, message: str) -> Response:
    """JSON from framework version 4, plain text before it."""
    if _framework(request) >= 4:
        return JSONResponse(
            error_body(status, message), status_code=status, media_type="application/vnd.oracle.adf.error+json"
        )
    return PlainTextResponse(message, status_code=status)


def _unauthorized() -> Response:
    return Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="fusion"'})


def basic_pair(header: str | None) -> tuple[str, str] | None:
    """(user, password) of a Basic `Authorization` header, or None."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(token, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


@dataclass
class Login:
    """Who may call: Basic users, and bearer tokens the identity domain's token endpoint issued."""

    users: dict[str, str]
    token_lifetime: int
    tokens: dict[str, float] = field(default_factory=dict)  # token -> when it expires (monotonic)

    def admits(self, header: str | None) -> bool:
        scheme, _, value = (header or "").partition(" ")
        if scheme.lower() == "bearer":
            return time.monotonic() < self.tokens.get(value, 0.0)
        pair = basic_pair(header)
        return pair is not None and bool(pair[1]) and self.users.get(pair[0]) == pair[1]

    def issue(self, form: dict[str, str], header: str | None) -> Response:
        """The client credentials grant (RFC 6749 §4.4): the client in the form or as Basic."""
        client = basic_pair(header) or (form.get("client_id", ""), form.get("client_secret", ""))
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "The grant type is not supported.")
        if client != (CLIENT_ID, CLIENT_SECRET):
            return _oauth_error(401, "invalid_client", "Client authentication failed.")
        if form.get("scope") != SCOPE:
            return _oauth_error(400, "invalid_scope", "The requested scope is invalid.")
        token = secrets.token_urlsafe(32)
        self.tokens[token] = time.monotonic() + self.token_lifetime
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime})


def _oauth_error(status: int, code: str, description: str) -> Response:
    return JSONResponse({"error": code, "error_description": description}, status_code=status)


class _BadRequest(Exception):
    """A query parameter the service cannot use: a 400."""


def _whole(raw: str, name: str) -> int:
    if not (raw.isascii() and raw.isdigit()):
        raise _BadRequest(f"The value {raw} of the URL parameter {name} is not valid.")
    return int(raw)


def _record_id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()):
        raise HTTPException(404)
    return int(raw)


def _shaped(record: dict[str, Any], request: Request, resource: str) -> dict[str, Any]:
    """A row as the query asks: only `fields`, a child (`lines`, `WorkOrderDFF`) only when expanded (by
    name or `all`), links unless `onlyData`."""
    query, framework = request.query_params, _framework(request)
    indicator = change_indicator(record)
    kids = {name: record.pop(name, None) or [] for name in children(resource)}
    if "fields" in query:
        wanted = {f.strip() for f in query["fields"].split(",") if f.strip()}
        record = {k: v for k, v in record.items() if k in wanted}
    expanded = set(query.get("expand", "").split(","))
    for name, rows in kids.items():
        if name in expanded or "all" in expanded:
            child = {"items": rows, "count": len(rows), "hasMore": False, "limit": DEFAULT_LIMIT, "offset": 0}
            record[name] = child if framework >= 3 else rows
    if query.get("onlyData") != "true":
        href = f"{request.base_url}{PREFIX.lstrip('/')}/{resource}/{record.get(KEYS[resource], '')}"
        properties = {"changeIndicator": indicator}
        record["links"] = [{"rel": "self", "href": href, "name": resource, "kind": "item", "properties": properties}]
    return record


def _routes(data: Dataset, login: Login) -> list[BaseRoute]:
    def denied(request: Request) -> Response | None:
        if not login.admits(request.headers.get("authorization")):
            return _unauthorized()
        resource = request.path_params.get("resource")  # none on the version root's describe
        if resource is not None and resource not in KEYS:
            return _error(request, 404, "Not Found")
        return None

    async def describe_resources(request: Request) -> Response:
        """`<version>/describe` (every resource) or `<version>/<resource>/describe` (one)."""
        one = request.path_params.get("resource")
        if (refusal := denied(request)) is not None:
            return refusal
        root = f"{str(request.base_url).rstrip('/')}{PREFIX}"
        named = (one,) if one else tuple(RESOURCES)
        body = {"Resources": {name: describe(name, f"{root}/{name}") for name in named}}
        return JSONResponse(body, media_type=DESCRIBE_TYPE)

    async def list_records(request: Request) -> Response:
        if (refusal := denied(request)) is not None:
            return refusal
        resource, query = request.path_params["resource"], request.query_params
        try:
            offset = _whole(query["offset"], "offset") if "offset" in query else 0
            limit = min(_whole(query["limit"], "limit"), MAX_LIMIT) if "limit" in query else DEFAULT_LIMIT
            keep = row_match(query["q"], queryable(resource)) if query.get("q") else (lambda r: True)
        except _BadRequest as exc:
            return _error(request, 400, str(exc))
        except QError as exc:
            return _error(request, 400, f"URL request parameter q with value {query['q']} is not valid: {exc}.")
        rows = data.select(resource, keep, offset, limit + 1)
        items = [_shaped(r, request, resource) for r in rows[:limit]]
        body: dict[str, Any] = {"items": items, "count": len(items), "hasMore": len(rows) > limit, "limit": limit}
        body["offset"] = offset
        if query.get("totalResults") == "true":
            body["totalResults"] = len(data.select(resource, keep))
        return JSONResponse(body)

    async def get_record(request: Request) -> Response:
        if (refusal := denied(request)) is not None:
            return refusal
        resource = request.path_params["resource"]
        record = data.get(resource, _record_id(request.path_params["id"]))
        if record is None:
            return _error(request, 404, "Not Found")
        tag = etag(record)  # of the whole item, before the query shapes it
        return JSONResponse(_shaped(record, request, resource), headers={"ETag": tag})

    def exists(resource: str, record_id: Any) -> bool:
        return (
            isinstance(record_id, int) and not isinstance(record_id, bool) and data.get(resource, record_id) is not None
        )

    def unwritable(request: Request, allowed: frozenset[str]) -> Response | None:
        """A refused login, an unknown resource, or one this method does not write (405)."""
        refusal = denied(request)
        if refusal is None and request.path_params["resource"] not in allowed:
            return _error(request, 405, "Method Not Allowed")
        return refusal

    async def create_record(request: Request) -> Response:
        if (refusal := unwritable(request, CREATABLE)) is not None:
            return refusal
        resource = request.path_params["resource"]
        body = await json_or_none(request)
        if (wrong := rules.problem(resource, body, exists, creating=True)) is not None:
            return _error(request, 400, wrong)
        new_id, now = data.next_id(resource), data.now_stamp()
        record = {
            KEYS[resource]: new_id,
            **rules.DEFAULTS[resource],
            **body,
            "CreationDate": now,
            "LastUpdateDate": now,
        }
        number, prefix = NUMBERS[resource]
        record[number] = f"{prefix}{new_id}"
        made = data.insert(resource, record)
        tag = etag(made)
        return JSONResponse(_shaped(made, request, resource), status_code=201, headers={"ETag": tag})

    async def update_record(request: Request) -> Response:
        if (refusal := unwritable(request, rules.UPDATABLE)) is not None:
            return refusal
        resource = request.path_params["resource"]
        record_id = _record_id(request.path_params["id"])
        current = data.get(resource, record_id)
        if current is None:
            return _error(request, 404, "Not Found")
        if not if_match_holds(request.headers.get("if-match"), current):
            return _error(request, 412, "The resource item changed since the version named in If-Match.")
        body = await json_or_none(request)
        if (wrong := rules.problem(resource, body, exists, creating=False)) is not None:
            return _error(request, 400, wrong)
        changed = data.patch(resource, record_id, body) or {}
        tag = etag(changed)
        return JSONResponse(_shaped(changed, request, resource), headers={"ETag": tag})

    async def delete_record(request: Request) -> Response:
        return unwritable(request, frozenset()) or _error(request, 405, "Method Not Allowed")

    def plain(status: int, message: str) -> Response:
        return JSONResponse(error_body(status, message), status_code=status)

    async def token(request: Request) -> Response:
        form = await request.form()
        return login.issue({k: str(v) for k, v in form.items()}, request.headers.get("authorization"))

    return [
        Route(TOKEN_PATH, token, methods=["POST"]),
        *dataset_routes(data, tuple(KEYS), plain, lambda resource, records: {"items": records}, record_id=int),
        Route(f"{PREFIX}/describe", describe_resources, methods=["GET"]),
        Route(f"{PREFIX}/{{resource}}/describe", describe_resources, methods=["GET"]),
        *record_routes(
            PREFIX,
            list_records=list_records,
            create_record=create_record,
            get_record=get_record,
            update_record=update_record,
            delete_record=delete_record,
        ),
    ]


def create_app(
    *,
    seed: int = 11,
    credentials: dict[str, str] | None = None,
    token_lifetime: int = 3600,
    state: SandboxState | None = None,
) -> Starlette:
    """The sandbox app; `app.state.sandbox` is its SandboxState, `app.state.data` its Dataset,
    `app.state.login` who may call (the tokens it issued)."""
    data = Dataset(seed)
    login = Login(dict(DEFAULT_CREDENTIALS if credentials is None else credentials), token_lifetime)
    app = SandboxApp(
        _routes(data, login),
        error_body=error_body,
        state=state,
        exception_handlers={HTTPException: http_error_handler(error_body)},
    )
    app.state.data = data
    app.state.login = login
    return app


def oauth_login(instance_url: str) -> dict[str, str]:
    """The OAuth credentials of a sandbox at `instance_url` (whose token endpoint it serves)."""
    token_url = instance_url.rstrip("/") + TOKEN_PATH
    return {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "tokenUrl": token_url, "scope": SCOPE}


SANDBOX = SandboxSpec("oracle_fusion", create_app, {"username": DEMO_USER, "password": DEFAULT_CREDENTIALS[DEMO_USER]})
