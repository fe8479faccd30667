"""A local imitation of Limble CMMS's REST API v2 (https://api.limblecmms.com/v2).

Written from Limble's documentation (docs/vendors/limble.md), never from the
connector, which it does not import. Documented: HTTP Basic with the client id
and secret on every call, the regional hosts, the resources. Observed in public
client code (unverified): lists are bare JSON arrays paged by `page` (from 1)
and `limit`, filtered by comma-separated ids named after a resource
(`locations=`, `assets=`, ...), dates in epoch seconds, task `type` codes.
Our guesses, marked so in the doc: the error body `{"status", "message"}`, the
`types=` filter, a `limit` cap of 500 (no `limit`: the whole list), a single
record as a bare object.

Writes: tasks only (`rules.py`). Besides the shared control routes there are
`POST /__sandbox/touch` and `POST /__sandbox/delete` with `{"resource", "ids"}`.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from sandboxes.kit import SandboxApp, SandboxSpec, SandboxState, http_error_handler
from sandboxes.limble import rules
from sandboxes.limble.seed import KEYS, Dataset
from sandboxes.rest import dataset_routes, json_or_none, record_routes

PREFIX = "/v2"
DEMO_CLIENT_ID = "LIMBLEDEMOCLIENT01"
DEFAULT_CREDENTIALS = {DEMO_CLIENT_ID: "limble-demo-secret"}
MAX_LIMIT = 500
ID_FILTERS = ("locations", "assets", "tasks", "parts", "vendors", "users")
WRITABLE = "tasks"


def error_body(status: int, message: str) -> dict[str, Any]:
    """The error shape (unverified): the status again and a message."""
    return {"status": status, "message": message}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(error_body(status, message), status_code=status)


class _BadRequest(Exception):
    """A query parameter Limble cannot use: a 400."""


def _whole(raw: str, name: str, low: int) -> int:
    if not (raw.isascii() and raw.isdigit()) or int(raw) < low:
        raise _BadRequest(f"{name} must be a whole number of at least {low}")
    return int(raw)


def _ids(raw: str, name: str) -> set[int]:
    return {_whole(part, name, 0) for part in raw.split(",") if part}


def client_of(header: str | None, credentials: dict[str, str]) -> str | None:
    """The client id a Basic `Authorization` header proves, or None."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(token, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id if credentials.get(client_id) == secret and secret else None


def _record_id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()):
        raise HTTPException(404)
    return int(raw)


def _selection(request: Request, resource: str) -> tuple[Any, int, int | None]:
    """(which records, first position, how many) from the list's query parameters."""
    query = request.query_params
    limit = _whole(query["limit"], "limit", 1) if "limit" in query else None
    if limit is not None and limit > MAX_LIMIT:
        raise _BadRequest(f"limit must not exceed {MAX_LIMIT}")
    page = _whole(query["page"], "page", 1) if "page" in query else 1
    wanted = {KEYS[name]: _ids(query[name], name) for name in ID_FILTERS if name in query}
    if resource == "tasks" and "types" in query:
        wanted["type"] = _ids(query["types"], "types")

    def keep(record: dict[str, Any]) -> bool:
        return all(record.get(field) in ids for field, ids in wanted.items() if field in record)

    return keep, (page - 1) * (limit or 0), limit


def _routes(data: Dataset, credentials: dict[str, str]) -> list[BaseRoute]:
    def denied(request: Request) -> Response | None:
        if client_of(request.headers.get("authorization"), credentials) is None:
            return _error(401, "Unauthorized: check the client id and client secret")
        if request.path_params["resource"] not in KEYS:
            return _error(404, "Not Found")
        return None

    def writable(request: Request) -> Response | None:
        refusal = denied(request)
        if refusal is None and request.path_params["resource"] != WRITABLE:
            return _error(405, "Method Not Allowed")
        return refusal

    async def list_records(request: Request) -> Response:
        if (refusal := denied(request)) is not None:
            return refusal
        resource = request.path_params["resource"]
        try:
            keep, start, count = _selection(request, resource)
        except _BadRequest as exc:
            return _error(400, str(exc))
        return JSONResponse(data.select(resource, keep, start, count))

    async def get_record(request: Request) -> Response:
        if (refusal := denied(request)) is not None:
            return refusal
        record = data.get(request.path_params["resource"], _record_id(request.path_params["id"]))
        return _error(404, "Not Found") if record is None else JSONResponse(record)

    def exists(resource: str, record_id: Any) -> bool:
        return type(record_id) is int and data.get(resource, record_id) is not None

    def stored(body: dict[str, Any]) -> dict[str, Any]:
        """Ids left out are 0 in Limble, as are missing dates."""
        return {k: 0 if v is None and (k.endswith("ID") or k == "due") else v for k, v in body.items()}

    async def create_record(request: Request) -> Response:
        if (refusal := writable(request)) is not None:
            return refusal
        body = await json_or_none(request)
        if (wrong := rules.problem(body, exists, creating=True)) is not None:
            return _error(400, wrong)
        now = data.now_stamp()
        task = {"taskID": data.next_id("tasks"), **rules.DEFAULTS, **stored(body), "createdDate": now}
        return JSONResponse(data.insert("tasks", {**task, "lastEdited": now}), status_code=201)

    async def update_record(request: Request) -> Response:
        if (refusal := writable(request)) is not None:
            return refusal
        task_id = _record_id(request.path_params["id"])
        current = data.get("tasks", task_id)
        if current is None:
            return _error(404, "Not Found")
        body = await json_or_none(request)
        if (wrong := rules.problem(body, exists, creating=False)) is not None:
            return _error(400, wrong)
        changes = stored(body)
        if "statusID" in changes:
            changes["dateCompleted"] = data.now_stamp() if changes["statusID"] == 2 else 0
        return JSONResponse(data.patch("tasks", task_id, changes))

    async def delete_record(request: Request) -> Response:
        if (refusal := writable(request)) is not None:
            return refusal
        task_id = _record_id(request.path_params["id"])
        if data.get("tasks", task_id) is None:
            return _error(404, "Not Found")
        data.remove("tasks", [task_id])
        return Response(status_code=204)

    return [
        *dataset_routes(data, tuple(KEYS), _error, lambda resource, records: records, record_id=int),
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
    *, seed: int = 7, credentials: dict[str, str] | None = None, state: SandboxState | None = None
) -> Starlette:
    """The sandbox app; `app.state.sandbox` is its SandboxState, `app.state.data` its Dataset."""
    data = Dataset(seed)
    creds = dict(DEFAULT_CREDENTIALS if credentials is None else credentials)
    app = SandboxApp(
        _routes(data, creds),
        error_body=error_body,
        state=state,
        exception_handlers={HTTPException: http_error_handler(error_body)},
    )
    app.state.data = data
    return app


SANDBOX = SandboxSpec(
    "limble", create_app, {"client_id": DEMO_CLIENT_ID, "client_secret": DEFAULT_CREDENTIALS[DEMO_CLIENT_ID]}
)
