"""A local imitation of Fiix CMMS's API (`POST https://<tenant>.macmms.com/api/?...`).

Written from Fiix's developer documentation and its official clients (cited in
docs/vendors/fiix.md), never from the connector. Every call is a `POST` to `/api/`
with `service=cmms`, `appKey`, `accessKey`, `signatureMethod=HmacSHA256`,
`signatureVersion=1` and a millisecond `timestamp` in the URL, and the lowercase
hex HMAC-SHA256 of the URL without its scheme (keyed by the secret key) in the
`Authorization` header; the body is one JSON request object named by `_maCn`
(`FindRequest`, `FindByIdRequest`, `AddRequest`, `ChangeRequest`, `RemoveRequest`,
`BatchRequest`, `RpcRequest`) and the answer the matching response object.
Application errors come back with HTTP 200 and an `error` object, as the official
client reads them; throttling is error code 1100 with the wait to keep in
`error.object.P_CLIENT_AUTO_RETRY_WAIT_ADVISORY_MS` (off unless `per_second` is given).

Unverified (our best guess): the error codes and messages for an unknown key
(7001), a bad signature (7002), a timestamp outside five minutes (7003), a bad
request (7400) and a missing record (7404); the 100-object cap on `maxObjects`;
`RemoveResponse.count`; a `FindByIdResponse` with a null object for a missing id.

Besides the shared control routes (see `sandboxes.kit`), `POST /__sandbox/touch`
and `POST /__sandbox/delete` with `{"resource": <class>, "ids": [...]}` change
records as a user would (touching bumps the class's modification stamp).
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandboxes.data import now_ms
from sandboxes.fiix import rules
from sandboxes.fiix.ql import QlError, predicate
from sandboxes.fiix.seed import CLASSES, CREATED, STAMPS, Dataset
from sandboxes.kit import SandboxApp, SandboxSpec, SandboxState, http_error_handler
from sandboxes.rest import dataset_routes

DEMO_KEYS = {"app_key": "macmmsackp-demo-plantgate", "access_key": "macmmsaakp-demo-plantgate"}
DEMO_SECRET = "fiix-demo-secret-key"
WINDOW_MS = 5 * 60 * 1000
MAX_OBJECTS = 100
WAIT_ADVISORY = "P_CLIENT_AUTO_RETRY_WAIT_ADVISORY_MS"
UNKNOWN_KEY, BAD_SIGNATURE, EXPIRED, BAD_REQUEST, NOT_FOUND, THROTTLED = 7001, 7002, 7003, 7400, 7404, 1100
Answer = dict[str, Any]


class FiixError(Exception):
    """An application error, answered as `{"error": {...}}` in the response object."""

    def __init__(self, code: int, message: str, leg: str = "SERVER_REQUEST_PROCESS", **extra: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.leg, self.extra = code, message, leg, extra

    def body(self) -> dict[str, Any]:
        return {"leg": self.leg, "code": self.code, "message": self.message, "object": self.extra}


def error_body(status: int, message: str) -> dict[str, Any]:
    """The error object (for the kit's faults, sent with their own HTTP status)."""
    return {"error": {"leg": "SERVER_REQUEST_RECEIVE", "code": status, "message": message}}


def _response_name(request: Any) -> str:
    name = request.get("_maCn") if isinstance(request, dict) else None
    return str(name).replace("Request", "Response") if isinstance(name, str) else "Response"


def signed_message(request: Request) -> str:
    """The URL without its scheme, as the client signed it: host, full path, raw query."""
    scope = request.scope
    path, root = scope["path"], scope.get("root_path", "")
    full = path if not root or path.startswith(root) else root + path
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{request.headers.get('host', '')}{full}?{query}"


class Tenant:
    """One tenant's API: authentication, then the request classes over the seeded tables."""

    def __init__(
        self, data: Dataset, keys: dict[tuple[str, str], str], window_ms: int, per_second: int | None = None
    ) -> None:
        self.data, self.keys, self.window_ms = data, keys, window_ms
        self.per_second, self.calls = per_second, collections.deque[int]()
        self.handlers: dict[str, Callable[[Answer], Answer]] = {
            "FindRequest": self.find,
            "FindByIdRequest": self.find_by_id,
            "AddRequest": self.add,
            "ChangeRequest": self.change,
            "RemoveRequest": self.remove,
            "BatchRequest": self.batch,
            "RpcRequest": self.rpc,
        }

    def authenticate(self, request: Request) -> None:
        params = request.query_params
        if params.get("service") != "cmms":
            raise FiixError(BAD_REQUEST, "service must be cmms", "SERVER_REQUEST_RECEIVE")
        secret = self.keys.get((params.get("appKey", ""), params.get("accessKey", "")))
        if secret is None:
            raise FiixError(UNKNOWN_KEY, "Unknown application key or access key", "SERVER_REQUEST_RECEIVE")
        if params.get("signatureMethod") != "HmacSHA256" or params.get("signatureVersion") != "1":
            raise FiixError(BAD_SIGNATURE, "Unsupported signature method or version", "SERVER_REQUEST_RECEIVE")
        expected = hmac.new(secret.encode(), signed_message(request).encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("authorization", "")):
            raise FiixError(BAD_SIGNATURE, "The request signature does not match", "SERVER_REQUEST_RECEIVE")
        stamp = params.get("timestamp", "")
        if not stamp.isdigit() or abs(now_ms() - int(stamp)) > self.window_ms:
            raise FiixError(EXPIRED, "The request timestamp has expired", "SERVER_REQUEST_RECEIVE")
        self.throttle()

    def throttle(self) -> None:
        """Past `per_second` calls in the last second: error 1100 with the wait the client should keep."""
        now = now_ms()
        while self.calls and self.calls[0] <= now - 1000:
            self.calls.popleft()
        if self.per_second is not None and len(self.calls) >= self.per_second:
            wait = self.calls[0] + 1000 - now
            raise FiixError(THROTTLED, "Too many requests", "SERVER_REQUEST_RECEIVE", **{WAIT_ADVISORY: wait})
        self.calls.append(now)

    def answer(self, body: Any) -> Answer:
        if not isinstance(body, dict) or body.get("_maCn") not in self.handlers:
            raise FiixError(BAD_REQUEST, f"Unknown request class {body.get('_maCn') if isinstance(body, dict) else ''}")
        return {"_maCn": _response_name(body), **self.handlers[body["_maCn"]](body)}

    # -- helpers ------------------------------------------------------------

    def table(self, request: Answer) -> tuple[str, set[str]]:
        """The class a request names and its fields."""
        cls = request.get("className")
        if cls not in CLASSES:
            raise FiixError(BAD_REQUEST, f"Unknown class {cls}")
        return cls, self.data.fields(cls)

    def project(self, cls: str, fields: set[str], request: Answer, row: Answer | None) -> Answer | None:
        """The row with the requested `fields` only (all of them when none are named)."""
        if row is None:
            return None
        wanted = [f.strip() for f in str(request.get("fields") or "").split(",") if f.strip()]
        unknown = [f for f in wanted if f not in fields]
        if unknown:
            raise FiixError(BAD_REQUEST, f"Unknown field {unknown[0]} of {cls}")
        return {"className": cls, **({f: row.get(f) for f in wanted} if wanted else row)}

    def exists(self, resource: str, record_id: Any) -> bool:
        """References: `site` and `location` are assets that are sites or locations."""
        cls = "Asset" if resource in ("site", "location") else resource
        row = self.data.get(cls, record_id)
        if row is None or resource == cls:
            return row is not None
        return bool(row["bolIsSite"]) if resource == "site" else row["intSuperCategorySysCode"] == 1

    def _record(self, cls: str, request: Answer) -> Answer:
        record_id = request.get("id")
        row = self.data.get(cls, record_id) if isinstance(record_id, int) else None
        if row is None:
            raise FiixError(NOT_FOUND, f"{cls} {record_id} does not exist")
        return row

    # -- request classes ----------------------------------------------------

    def find(self, request: Answer) -> Answer:
        cls, fields = self.table(request)
        try:
            keep = predicate(request.get("filters"), fields)
        except QlError as exc:
            raise FiixError(BAD_REQUEST, str(exc)) from None
        start, limit = request.get("startIndex") or 0, request.get("maxObjects") or MAX_OBJECTS
        if not isinstance(start, int) or not isinstance(limit, int) or start < 0 or limit < 1:
            raise FiixError(BAD_REQUEST, "startIndex and maxObjects must be non-negative integers")
        rows = self.data.select(cls, keep)
        order = str(request.get("orderBy") or "id").split()
        if order[0] not in fields:
            raise FiixError(BAD_REQUEST, f"Unknown field {order[0]} of {cls}")
        descending = len(order) > 1 and order[1].upper() == "DESC"
        rows.sort(key=lambda r: (r.get(order[0]) is None, r.get(order[0]) or 0, r["id"]), reverse=descending)
        page = rows[start : start + min(limit, MAX_OBJECTS)]
        return {"objects": [self.project(cls, fields, request, r) for r in page], "totalObjects": len(rows)}

    def find_by_id(self, request: Answer) -> Answer:
        cls, fields = self.table(request)
        record_id = request.get("id")
        row = self.data.get(cls, record_id) if isinstance(record_id, int) else None
        return {"object": self.project(cls, fields, request, row)}

    def add(self, request: Answer) -> Answer:
        cls, fields = self.table(request)
        body = request.get("object")
        wrong = rules.problem(cls, body, self.exists, adding=True)
        if wrong:
            raise FiixError(BAD_REQUEST, wrong)
        assert isinstance(body, dict)
        record: Answer = dict.fromkeys(fields) | rules.DEFAULTS.get(cls, {}) | body
        record["id"] = self.data.next_id(cls)
        if cls == "Asset":
            category = self.data.get("AssetCategory", body["intCategoryID"]) or {}
            record["intSuperCategorySysCode"], record["bolIsSite"] = category.get("intSysCode"), 0
        if cls in STAMPS:
            record[STAMPS[cls]] = record[CREATED[cls]] = now_ms()
        if cls == "WorkOrder":
            record["strCode"] = body.get("strCode") or f"WO{self.data.count(cls) + 1:05d}"
        return {"object": self.project(cls, fields, request, self.data.insert(cls, record))}

    def change(self, request: Answer) -> Answer:
        cls, fields = self.table(request)
        body = request.get("object")
        if not isinstance(body, dict):
            raise FiixError(BAD_REQUEST, "a ChangeRequest needs an object")
        row = self._record(cls, body)
        names = [f.strip() for f in str(request.get("changeFields") or "").split(",") if f.strip()]
        changes = {name: body.get(name) for name in names or [k for k in body if k != "id"]}
        wrong = rules.problem(cls, changes, self.exists, adding=False)
        if wrong:
            raise FiixError(BAD_REQUEST, wrong)
        return {"object": self.project(cls, fields, request, self.data.patch(cls, row["id"], changes))}

    def remove(self, request: Answer) -> Answer:
        cls, _ = self.table(request)
        row = self._record(cls, request)
        if cls not in rules.REMOVABLE:
            raise FiixError(BAD_REQUEST, f"{cls} cannot be removed through the API")
        self.data.remove(cls, [row["id"]])
        return {"count": 1}

    def batch(self, request: Answer) -> Answer:
        requests = request.get("requests")
        if not isinstance(requests, list) or any(
            isinstance(r, dict) and r.get("_maCn") == "BatchRequest" for r in requests
        ):
            raise FiixError(BAD_REQUEST, "a BatchRequest holds a list of requests (no batches)")
        return {"responses": [_answered(self, one) for one in requests]}

    def rpc(self, request: Answer) -> Answer:
        if request.get("name") != "Ping":
            raise FiixError(BAD_REQUEST, f"Unknown RPC {request.get('name')}")
        return {}


def _answered(tenant: Tenant, request: Any) -> Answer:
    """A response object; an application error is the response's `error`."""
    try:
        return tenant.answer(request)
    except FiixError as exc:
        return {"_maCn": _response_name(request), "error": exc.body()}


def _routes(tenant: Tenant) -> list[BaseRoute]:
    async def api(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        try:
            tenant.authenticate(request)
        except FiixError as exc:
            return JSONResponse({"_maCn": _response_name(body), "error": exc.body()})
        return JSONResponse(_answered(tenant, body))

    def refused(status: int, message: str) -> Response:
        return JSONResponse(error_body(status, message), status_code=status)

    return [
        *dataset_routes(tenant.data, CLASSES, refused, lambda cls, rows: {"objects": rows}, record_id=int),
        Route("/api/", api, methods=["POST"]),
        Route("/api", api, methods=["POST"]),
    ]


def create_app(
    *,
    seed: int = 7,
    secret: str = DEMO_SECRET,
    window_ms: int = WINDOW_MS,
    per_second: int | None = None,
    state: SandboxState | None = None,
) -> Starlette:
    """The sandbox app (throttling past `per_second` calls a second, if given); `app.state.data` is its Dataset."""
    data = Dataset(seed)
    tenant = Tenant(data, {(DEMO_KEYS["app_key"], DEMO_KEYS["access_key"]): secret}, window_ms, per_second)
    app = SandboxApp(
        _routes(tenant),
        error_body=error_body,
        state=state,
        exception_handlers={HTTPException: http_error_handler(error_body)},
    )
    app.state.data = data
    return app


SANDBOX = SandboxSpec("fiix", create_app, {**DEMO_KEYS, "secret_key": DEMO_SECRET})
