"""A local imitation of UpKeep's REST API v2 (https://api.onupkeep.com/api/v2).

The connector is tested and benchmarked against this app over real HTTP, so it
speaks UpKeep's wire format and nothing else; it deliberately imports nothing
from the connector.

Known from UpKeep's documentation: `POST /auth` with email and password returns
a `sessionToken` that is sent as `Session-Token` on every call, `DELETE /auth`
logs out, lists are `{"success": true, "results": [...]}`, single records
`{"success": true, "result": {...}}`, ids are short base62 strings, and paging
is `offset` + `limit`.

Unverified (our best guess, to be checked against a real tenant):
- the error body `{"success": false, "statusCode": ..., "message": ...}` and
  its messages ("Invalid email or password", "Invalid session token");
- the filter names `updatedAtGreaterThan` / `createdAtGreaterThan` (epoch
  milliseconds, strict) and the comma-separated `status` filter;
- the limit cap of 200 and default of 100, and the (createdAt, id) order
  (new records come last; the connector's resumable offset cursor relies on
  it); a list carries no total count (see docs/vendors/upkeep.md);
- dates as ISO 8601 UTC strings with milliseconds and `Z`.

Writes: `POST /<resource>` creates (`{"success": true, "result": {...}}`),
`PATCH /<resource>/<id>` changes the given fields, `DELETE /<resource>/<id>`
deletes where UpKeep allows it; what each resource accepts is in `writes.py`.

Besides the shared control routes (see `sandboxes.kit`) there is
`POST /__sandbox/touch` with `{"resource": ..., "ids": [...]}`, which bumps
those records' `updatedAt` to now so tests can exercise incremental reads, and
`POST /__sandbox/delete` with the same body, which deletes them.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandboxes.data import iso, now_ms
from sandboxes.kit import SandboxApp, SandboxSpec, SandboxState, http_error_handler
from sandboxes.rest import dataset_routes, json_or_none, record_routes
from sandboxes.upkeep import rules as writes
from sandboxes.upkeep.seed import API_USER_ID, DEMO_EMAIL, RESOURCES, STATUS_RESOURCES, Dataset, parse_ms

PREFIX = "/api/v2"
DEFAULT_CREDENTIALS = {DEMO_EMAIL: "upkeep-demo"}
DEFAULT_LIMIT = 100
MAX_LIMIT = 200


def error_body(status: int, message: str) -> dict[str, Any]:
    """UpKeep's error shape (unverified); a 401 always reads like an expired session."""
    if status == 401:
        message = "Invalid session token"
    return {"success": False, "statusCode": status, "message": message}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(error_body(status, message), status_code=status)


class _BadRequest(Exception):
    """A query parameter that cannot be used; answered with a 400 error body."""


def _int_param(request: Request, name: str, default: int | None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise _BadRequest(f"{name} must be an integer") from None


class _Sessions:
    """Issued session tokens and the user each belongs to."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}

    def issue(self, user_id: str) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = user_id
        return token

    def user(self, token: str | None) -> str | None:
        with self._lock:
            return self._tokens.get(token) if token else None

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)


def _routes(data: Dataset, credentials: dict[str, str], sessions: _Sessions) -> list[BaseRoute]:
    async def login(request: Request) -> Response:
        body = await json_or_none(request)
        email = body.get("email") if isinstance(body, dict) else None
        password = body.get("password") if isinstance(body, dict) else None
        if not isinstance(email, str) or not isinstance(password, str) or not email or not password:
            return _error(400, "email and password are required")
        if credentials.get(email) != password:
            return _error(400, "Invalid email or password")
        user = next((u for u in data.records("users") if u["email"] == email), None)
        user_id = user["id"] if user else API_USER_ID
        result = {"sessionToken": sessions.issue(user_id), "userId": user_id}
        return JSONResponse({"success": True, "result": result})

    async def logout(request: Request) -> Response:
        token = request.headers.get("session-token")
        if sessions.user(token) is None:
            return _error(401, "Invalid session token")
        sessions.revoke(token or "")
        return JSONResponse({"success": True})

    def denied(request: Request) -> Response | None:
        """UpKeep's answer when the session is unknown or the resource does not exist."""
        if sessions.user(request.headers.get("session-token")) is None:
            return _error(401, "Invalid session token")
        if request.path_params["resource"] not in RESOURCES:
            return _error(404, "Not found")
        return None

    async def list_records(request: Request) -> Response:
        if (refusal := denied(request)) is not None:
            return refusal
        resource = request.path_params["resource"]
        try:
            offset = _int_param(request, "offset", 0)
            limit = _int_param(request, "limit", DEFAULT_LIMIT)
            updated_after = _int_param(request, "updatedAtGreaterThan", None)
            created_after = _int_param(request, "createdAtGreaterThan", None)
        except _BadRequest as exc:
            return _error(400, str(exc))
        assert offset is not None and limit is not None
        if offset < 0:
            return _error(400, "offset must not be negative")
        if limit < 1 or limit > MAX_LIMIT:
            return _error(400, f"limit must be between 1 and {MAX_LIMIT}")
        statuses = request.query_params.get("status") if resource in STATUS_RESOURCES else None
        wanted = {s.strip() for s in statuses.split(",") if s.strip()} if statuses else None

        def keep(record: dict[str, Any]) -> bool:
            return (
                (updated_after is None or parse_ms(record["updatedAt"]) > updated_after)
                and (created_after is None or parse_ms(record["createdAt"]) > created_after)
                and (wanted is None or record["status"] in wanted)
            )

        return JSONResponse({"success": True, "results": data.select(resource, keep, offset, limit)})

    async def get_record(request: Request) -> Response:
        if (refusal := denied(request)) is not None:
            return refusal
        resource = request.path_params["resource"]
        record = data.get(resource, request.path_params["id"])
        if record is None:
            return _error(404, "Not found")
        return JSONResponse({"success": True, "result": record})

    def exists(resource: str, record_id: Any) -> bool:
        return isinstance(record_id, str) and data.get(resource, record_id) is not None

    async def create_record(request: Request) -> Response:
        if (refusal := denied(request)) is not None:
            return refusal
        resource = request.path_params["resource"]
        body = await json_or_none(request)
        error = writes.problem(resource, body, exists, creating=True)
        if error:
            return _error(400, error)
        stamp = iso(now_ms())
        record = {**writes.DEFAULTS.get(resource, {}), **writes.stored(resource, body, None)}
        record.update(id=secrets.token_urlsafe(7)[:9], createdAt=stamp, updatedAt=stamp)
        if resource == "work-orders":
            record["workOrderNo"] = f"WO-{data.count(resource) + 1:05d}"
        if resource == "purchase-orders":
            record["purchaseOrderNumber"] = f"PO-{10001 + data.count(resource)}"
        return JSONResponse({"success": True, "result": data.insert(resource, record)})

    async def update_record(request: Request) -> Response:
        if (refusal := denied(request)) is not None:
            return refusal
        resource, record_id = request.path_params["resource"], request.path_params["id"]
        current = data.get(resource, record_id)
        if current is None:
            return _error(404, "Not found")
        body = await json_or_none(request)
        error = writes.problem(resource, body, exists, creating=False)
        if error:
            return _error(400, error)
        return JSONResponse(
            {"success": True, "result": data.patch(resource, record_id, writes.stored(resource, body, current))}
        )

    async def delete_record(request: Request) -> Response:
        if (refusal := denied(request)) is not None:
            return refusal
        resource, record_id = request.path_params["resource"], request.path_params["id"]
        if data.get(resource, record_id) is None:
            return _error(404, "Not found")
        if resource not in writes.DELETABLE:
            return _error(405, f"{resource} cannot be deleted")
        data.remove(resource, [record_id])
        return JSONResponse({"success": True, "result": {"id": record_id}})

    return [
        *dataset_routes(data, RESOURCES, _error, lambda resource, records: {"success": True, "results": records}),
        Route(f"{PREFIX}/auth", login, methods=["POST"]),
        Route(f"{PREFIX}/auth", logout, methods=["DELETE"]),
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
    seed: int = 7,
    credentials: dict[str, str] | None = None,
    state: SandboxState | None = None,
) -> Starlette:
    """The sandbox app; `app.state.sandbox` is its SandboxState, `app.state.data` its Dataset."""
    data = Dataset(seed)
    sessions = _Sessions()
    creds = dict(DEFAULT_CREDENTIALS if credentials is None else credentials)
    app = SandboxApp(
        _routes(data, creds, sessions),
        error_body=error_body,
        state=state,
        exception_handlers={HTTPException: http_error_handler(error_body, not_found="Not found")},
    )
    app.state.data = data
    app.state.sessions = sessions
    return app


SANDBOX = SandboxSpec("upkeep", create_app, {"email": DEMO_EMAIL, "password": DEFAULT_CREDENTIALS[DEMO_EMAIL]})
