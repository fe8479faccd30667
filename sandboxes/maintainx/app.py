"""A local imitation of MaintainX's REST API v1 (https://api.getmaintainx.com/v1).

The connector is tested and benchmarked against this app over real HTTP, so it
speaks MaintainX's wire format and nothing else; it deliberately imports
nothing from the connector.

Known from MaintainX's public API material: every call carries
`Authorization: Bearer <API key>` (optionally `x-organization-id` to pick one of
the key's organizations); lists are `{"workOrders": [...], "nextCursor": "..." | null}`
(`{"assets": [...], ...}` and so on), single records `{"workOrder": {...}}`;
paging is `cursor` + `limit` (at most 200) with an opaque cursor; `expand=`
embeds related records; ids are integers; dates are ISO 8601. A work order has
`id, title, description, priority (NONE|LOW|MEDIUM|HIGH), assetId, locationId,
assignees [{type: USER|TEAM, id}], dueDate, createdAt, updatedAt, completedAt,
categories`. Resources: /workorders /assets /locations /parts /vendors
/purchaseorders /users /workrequests.

Unverified (our best guess, to be checked against a real tenant):
- the work-order status values OPEN|IN_PROGRESS|ON_HOLD|DONE; asset status
  ONLINE|OFFLINE|DO_NOT_TRACK; work-request status PENDING|APPROVED|DECLINED;
  purchase-order status REQUESTED|APPROVED|DECLINED|PARTIALLY_FULFILLED|FULFILLED|CANCELED;
  user roles ADMIN|TECHNICIAN|REQUESTER|VIEW_ONLY;
- every field name not listed above: work order `sequentialId`, `requesterId`;
  asset `barcode, serialNumber, model, manufacturer, assetTypes, status,
  locationId, parentId`; location `description, address, parentId`; part
  `partNumber, unitCost, unit, vendorIds, stock [{locationId, availableQuantity,
  minimumQuantity}]`; vendor `name, description, email, phoneNumber, address,
  website`; purchase order `number, title, status, vendorId, shipToLocationId,
  dueDate, currency, items [{partId, name, quantity, unitCost, quantityReceived}]`;
  user `firstName, lastName, email, role, deactivated`; team `name, userIds`;
  work request `title, description, status, priority, assetId, locationId,
  requesterId, workOrderId`;
- the envelope keys of the resources not named above (`locations`, `parts`,
  `vendors`, `purchaseOrders`, `users`, `teams`, `workRequests` and their
  singulars) and the extra resource `/teams`;
- the filters `updatedAtGte` / `createdAtGte` (ISO 8601, inclusive); there is
  no by-ids filter (fetch a record at a time with `GET /<resource>/{id}`) and
  no status filter;
- the error body `{"errors": [{"message": ...}]}`; 401 for a missing or unknown
  key, 403 for an organization the key cannot see, 400 for a bad `limit`,
  filter, `expand`, id or cursor, 404 for an unknown record or path;
- the default limit of 100, the ascending-id order, and the cursor itself
  (here: base64url of the resource and the last id served, so paging is stable
  while records change) - clients must treat it as opaque; a list carries no
  total count (see docs/vendors/maintainx.md);
- the `expand` names (comma-separated or repeated): `asset`, `location`,
  `requester` on work orders; `asset`, `location`, `workOrder`, `requester` on
  work requests; `location`, `parent` on assets; `parent` on locations;
  `vendor` on purchase orders. An expansion adds the related record (or null)
  under its name, beside the id field.

Writes (unverified beyond `POST /workorders` and `PATCH /workorders/{id}`):
`POST /<resource>` creates and answers `201 {"workOrder": {...}}` (the record
in the single-record envelope), `PATCH /<resource>/{id}` changes the given
fields, `DELETE /<resource>/{id}` deletes where allowed (`204`); what each
resource accepts is in `writes.py`. MaintainX has no ETag: nothing stops a
write over a newer change. Customer-specific fields live in each record's
`extraFields` object, keyed by label (unverified); `/meters` serves meters.

Besides the shared control routes (see `sandboxes.kit`) there is
`POST /__sandbox/touch` with `{"resource": ..., "ids": [...]}`, which bumps
those records' `updatedAt` to now so tests can exercise incremental reads, and
`POST /__sandbox/delete` with the same body, which deletes them.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from sandboxes.kit import SandboxApp, SandboxSpec, SandboxState, http_error_handler
from sandboxes.maintainx import rules as writes
from sandboxes.maintainx.seed import ORGANIZATION_ID, RESOURCES, Dataset, iso, now_ms, parse_ms
from sandboxes.rest import dataset_routes, json_or_none, record_routes

PREFIX = "/v1"
DEMO_API_KEY = "mx-demo-4f1c2a9e7b"
DEFAULT_LIMIT = 100
MAX_LIMIT = 200

# resource -> (list key, single-record key)
ENVELOPES = {
    "workorders": ("workOrders", "workOrder"),
    "workrequests": ("workRequests", "workRequest"),
    "assets": ("assets", "asset"),
    "locations": ("locations", "location"),
    "parts": ("parts", "part"),
    "vendors": ("vendors", "vendor"),
    "purchaseorders": ("purchaseOrders", "purchaseOrder"),
    "users": ("users", "user"),
    "teams": ("teams", "team"),
    "meters": ("meters", "meter"),
}
# resource -> expand name -> (id field, related resource)
EXPANSIONS = {
    "workorders": {
        "asset": ("assetId", "assets"),
        "location": ("locationId", "locations"),
        "requester": ("requesterId", "users"),
    },
    "workrequests": {
        "asset": ("assetId", "assets"),
        "location": ("locationId", "locations"),
        "workOrder": ("workOrderId", "workorders"),
        "requester": ("requesterId", "users"),
    },
    "assets": {"location": ("locationId", "locations"), "parent": ("parentId", "assets")},
    "locations": {"parent": ("parentId", "locations")},
    "purchaseorders": {"vendor": ("vendorId", "vendors")},
}
TIME_FILTERS = {"updatedAtGte": "updatedAt", "createdAtGte": "createdAt"}

assert set(ENVELOPES) == set(RESOURCES)


def error_body(status: int, message: str) -> dict[str, Any]:
    """MaintainX's error shape (unverified)."""
    return {"errors": [{"message": message}]}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(error_body(status, message), status_code=status)


def _refused(problem: str | None) -> JSONResponse | None:
    return None if problem is None else _error(400, problem)


def _listed(resource: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Records in their resource's list envelope (`{"workOrders": [...]}`)."""
    return {ENVELOPES[resource][0]: records}


class _BadRequest(Exception):
    """A query parameter that cannot be used; answered with a 400 error body."""


def encode_cursor(resource: str, last_id: int) -> str:
    raw = json.dumps({"r": resource, "after": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(resource: str, token: str) -> int:
    """The last id the previous page served; anything else is a 400."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        payload = None
    after = payload.get("after") if isinstance(payload, dict) else None
    if payload is None or payload.get("r") != resource or type(after) is not int or after < 0:
        raise _BadRequest("Invalid cursor")
    return after


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise _BadRequest(f"limit must be an integer between 1 and {MAX_LIMIT}")
    return int(raw)


def _time_bound(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_ms(raw)
    except ValueError:
        raise _BadRequest(f"{name} must be an ISO 8601 date-time") from None


def _expand_names(request: Request, resource: str) -> list[str]:
    names = [n.strip() for value in request.query_params.getlist("expand") for n in value.split(",")]
    names = list(dict.fromkeys(n for n in names if n))
    allowed = EXPANSIONS.get(resource, {})
    unknown = [n for n in names if n not in allowed]
    if unknown:
        choices = ", ".join(allowed) or "nothing"
        raise _BadRequest(f"cannot expand '{unknown[0]}' on {resource} (expandable: {choices})")
    return names


def _record_id(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit():
        raise _BadRequest("id must be an integer")
    return int(raw)


def _routes(data: Dataset, api_keys: dict[str, tuple[int, ...]]) -> list[BaseRoute]:
    def denied(request: Request) -> Response | None:
        """401 without a known bearer key, 403 for an organization the key cannot see."""
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            return _error(401, "Missing API key: send 'Authorization: Bearer <API key>'")
        organizations = api_keys.get(key)
        if organizations is None:
            return _error(401, "Invalid API key")
        organization = request.headers.get("x-organization-id")
        if organization is not None and not (
            organization.isascii() and organization.isdigit() and int(organization) in organizations
        ):
            return _error(403, f"This API key has no access to organization '{organization}'")
        return None

    def expanded(resource: str, record: dict[str, Any], names: list[str]) -> dict[str, Any]:
        for name in names:
            field, target = EXPANSIONS[resource][name]
            related = record.get(field)
            record[name] = data.get(target, related) if related is not None else None
        return record

    async def list_records(request: Request) -> Response:
        if (refusal := denied(request)) is not None:
            return refusal
        resource = request.path_params["resource"]
        if resource not in ENVELOPES:
            return _error(404, "Not found")
        try:
            limit = _limit(request)
            cursor = request.query_params.get("cursor")
            after = decode_cursor(resource, cursor) if cursor else None
            bounds = {field: _time_bound(request, name) for name, field in TIME_FILTERS.items()}
            names = _expand_names(request, resource)
        except _BadRequest as exc:
            return _error(400, str(exc))
        bounded = {field: bound for field, bound in bounds.items() if bound is not None}

        def keep(record: dict[str, Any]) -> bool:
            in_time = all(parse_ms(record[field]) >= bound for field, bound in bounded.items())
            return in_time and (after is None or record["id"] > after)

        records = data.select(resource, keep, 0, limit + 1)  # one more says whether a next page exists
        page = records[:limit]
        next_cursor = encode_cursor(resource, page[-1]["id"]) if len(records) > limit else None
        plural, _ = ENVELOPES[resource]
        rows = [expanded(resource, r, names) for r in page]
        return JSONResponse({plural: rows, "nextCursor": next_cursor})

    async def get_record(request: Request) -> Response:
        if (refusal := denied(request)) is not None:
            return refusal
        resource = request.path_params["resource"]
        if resource not in ENVELOPES:
            return _error(404, "Not found")
        try:
            record_id = _record_id(request.path_params["id"])
            names = _expand_names(request, resource)
        except _BadRequest as exc:
            return _error(400, str(exc))
        record = data.get(resource, record_id)
        if record is None:
            return _error(404, "Not found")
        _, singular = ENVELOPES[resource]
        return JSONResponse({singular: expanded(resource, record, names)})

    def exists(resource: str, record_id: Any) -> bool:
        return type(record_id) is int and data.get(resource, record_id) is not None

    def addressed(request: Request, with_id: bool) -> tuple[str, Any, Response | None]:
        """The resource (and the stored record) a write names, or the refusal."""
        if (refusal := denied(request)) is not None:
            return "", None, refusal
        resource = request.path_params["resource"]
        if resource not in ENVELOPES:
            return resource, None, _error(404, "Not found")
        if not with_id:
            return resource, None, None
        try:
            current = data.get(resource, _record_id(request.path_params["id"]))
        except _BadRequest as exc:
            return resource, None, _error(400, str(exc))
        return resource, current, None if current is not None else _error(404, "Not found")

    async def create_record(request: Request) -> Response:
        resource, _, refusal = addressed(request, with_id=False)
        body: Any = None if refusal else await json_or_none(request)  # JSON as sent: `problem` checks it
        refusal = refusal or _refused(writes.problem(resource, body, exists, creating=True))
        if refusal is not None:
            return refusal
        stamp = iso(now_ms())
        rows = data.records(resource)
        record = {**writes.NEW[resource], **writes.stored(resource, body, None)}
        record.update(id=(rows[-1]["id"] if rows else 0) + 1, createdAt=stamp, updatedAt=stamp)
        if resource == "workorders":
            record["sequentialId"] = max((r["sequentialId"] for r in rows), default=0) + 1
        if resource == "purchaseorders":
            record["number"] = f"PO-{2001 + len(rows)}"
        # A create answers the new id alone (docs/vendors/maintainx.md): clients read the record back.
        return JSONResponse({"id": data.insert(resource, record)["id"]}, status_code=201)

    async def update_record(request: Request) -> Response:
        resource, current, refusal = addressed(request, with_id=True)
        body: Any = None if refusal else await json_or_none(request)  # JSON as sent: `problem` checks it
        refusal = refusal or _refused(writes.problem(resource, body, exists, creating=False))
        if refusal is not None:
            return refusal
        _, singular = ENVELOPES[resource]
        return JSONResponse({singular: data.patch(resource, current["id"], writes.stored(resource, body, current))})

    async def delete_record(request: Request) -> Response:
        resource, current, refusal = addressed(request, with_id=True)
        if refusal is not None:
            return refusal
        if resource not in writes.DELETABLE:
            return _error(405, f"{resource} cannot be deleted through the API")
        data.remove(resource, [current["id"]])
        return Response(status_code=204)

    return [
        *dataset_routes(data, ENVELOPES, _error, _listed, record_id=int),
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
    api_keys: dict[str, tuple[int, ...]] | None = None,
    state: SandboxState | None = None,
) -> Starlette:
    """The sandbox app; `app.state.sandbox` is its SandboxState, `app.state.data` its Dataset.

    `api_keys` maps each accepted key to the organizations it may read (all of
    them see the one seeded dataset).
    """
    data = Dataset(seed)
    keys = dict({DEMO_API_KEY: (ORGANIZATION_ID,)} if api_keys is None else api_keys)
    app = SandboxApp(
        _routes(data, keys),
        error_body=error_body,
        state=state,
        exception_handlers={HTTPException: http_error_handler(error_body, not_found="Not found")},
    )
    app.state.data = data
    return app


SANDBOX = SandboxSpec("maintainx", create_app, {"apiKey": DEMO_API_KEY})
