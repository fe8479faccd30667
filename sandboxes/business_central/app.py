"""A local imitation of Microsoft Dynamics 365 Business Central's API v2.0 (OData v4) for one environment.

The instance URL is the environment's root: the API is at `/api/v2.0/`, companies at
`/api/v2.0/companies`, a company's pages at `/api/v2.0/companies(<id>)/<page>`, and
JSON batches at `/api/v2.0/$batch`. The Microsoft Entra token endpoint of the
online login is served too, at `/<tenant id>/oauth2/v2.0/token`.

From Microsoft Learn (cited in docs/vendors/business_central.md): bearer tokens of the
OAuth 2.0 client credentials flow (scope `https://api.businesscentral.dynamics.com/.default`)
or, on premises, Basic with a user name and web service access key; the v4 envelopes
(`value`, `@odata.context`, `@odata.nextLink`, `@odata.count`, `@odata.etag` on every
entity); `$filter`, `$select`, `$expand`, `$orderby`, `$top`, `$skip`, `$count`;
`If-Match` on `PATCH` and `DELETE`; `201` with the entity on create, `200` with it on
update, `204` on delete; deep insert of purchase order lines; JSON `$batch` (at most 100
operations); the error body `{"error": {"code", "message"}}`.

Unconfirmed (our reading, to be checked against a real environment): the server page
size (20,000 by default in Business Central; `page_size` here, 100 unless given); the
`$skiptoken` format; the error codes and wording of a missing `If-Match`, a stale ETag,
an unknown company and an expired token; the ETag's inner format.

Besides the shared control routes (`sandboxes.kit`): `POST /__sandbox/touch` and
`POST /__sandbox/delete` with `{"resource": "<page>", "ids": [...]}` change the main
company's records as a user would.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from sandboxes.data import Record
from sandboxes.kit import SandboxApp, SandboxSpec, SandboxState, http_error_handler
from sandboxes.odata_filter import FilterError, parse_filter
from sandboxes.odata_v4 import Refused, etag, typed
from sandboxes.rest import dataset_routes

from .model import PAGES, Page
from .rules import check_body
from .seed import Dataset

API = "/api/v2.0"
SCOPE = "https://api.businesscentral.dynamics.com/.default"
MAX_BATCH = 100
TENANT = "3f4b6c2e-8d1a-4e5b-9c7d-0a1b2c3d4e5f"
CLIENT_ID = "5d2c9e7a-1b3f-4c6d-8e9f-a0b1c2d3e4f5"
CLIENT_SECRET = "sandbox-client-secret"
WEB_USER = "PLANTGATE"
ACCESS_KEY = "sandbox-web-service-access-key"
_COMPANY_PATH = re.compile(r"^companies\(([^)]*)\)/([A-Za-z]+)(?:\(([^)]*)\))?(/\$count)?$")


def error_body(status: int, message: str, code: str | None = None) -> dict[str, Any]:
    """`{"error": {"code", "message"}}`; Business Central ends messages with a correlation id."""
    code = code or {401: "Authentication_InvalidCredentials", 404: "BadRequest_NotFound"}.get(status, "BadRequest")
    return {"error": {"code": code, "message": f"{message}  CorrelationId:  {uuid.uuid4()}."}}


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def refused(status: int, message: str, code: str | None = None) -> Answer:
    return Answer(status, error_body(status, message, code))


class Sandbox:
    """The environment: its data, its login and the tokens it has issued."""

    def __init__(self, data: Dataset, page_size: int, token_lifetime: int) -> None:
        self.data = data
        self.page_size = page_size
        self.token_lifetime = token_lifetime
        self.tokens: dict[str, float] = {}
        self.companies = [
            {"id": data.company_id, "systemVersion": "24.0", "name": "CRONUS USA, Inc.", "displayName": "CRONUS USA"},
            {"id": data.other_company_id, "systemVersion": "24.0", "name": "My Company", "displayName": "My Company"},
        ]

    # -- login ---------------------------------------------------------------------------

    def issue_token(self, tenant: str, form: dict[str, str]) -> Answer:
        """The Microsoft Entra token endpoint for the client credentials grant (its own error shape)."""

        def entra(status: int, error: str, description: str) -> Answer:
            return Answer(status, {"error": error, "error_description": description, "error_codes": []})

        if tenant != TENANT:
            return entra(400, "invalid_request", f"AADSTS90002: Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return entra(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
        if form.get("client_id") != CLIENT_ID:
            return entra(400, "unauthorized_client", f"AADSTS700016: Application '{form.get('client_id')}' not found.")
        if form.get("client_secret") != CLIENT_SECRET:
            return entra(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        if form.get("scope") != SCOPE:
            return entra(
                400, "invalid_scope", f"AADSTS70011: The provided value for scope {form.get('scope')} is not valid."
            )
        token = secrets.token_urlsafe(32)
        self.tokens[token] = time.monotonic() + self.token_lifetime
        return Answer(
            200,
            {
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "ext_expires_in": self.token_lifetime,
                "access_token": token,
            },
        )

    def authenticated(self, authorization: str) -> Answer | None:
        """None when the request's login holds; else the 401 answer."""
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer":
            expires = self.tokens.get(value)
            if expires is not None and time.monotonic() < expires:
                return None
            message = (
                "The token is expired." if expires is not None else "The server has rejected the client credentials."
            )
            return Answer(401, error_body(401, message), {"WWW-Authenticate": 'Bearer realm=""'})
        if scheme.lower() == "basic":
            try:
                user, _, key = base64.b64decode(value).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, key = "", ""
            if user == WEB_USER and key == ACCESS_KEY:
                return None
        return Answer(
            401,
            error_body(401, "The server has rejected the client credentials."),
            {"WWW-Authenticate": 'Basic realm=""'},
        )

    # -- API -----------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, params: dict[str, str], headers: dict[str, str], body: Any, base: str
    ) -> Answer:
        """One API call, `path` relative to `/api/v2.0/` (also each operation of a batch)."""
        if path == "companies" and method == "GET":
            rows = [{"@odata.etag": etag(c), **c} for c in self.companies]
            return Answer(200, {"@odata.context": f"{base}{API}/$metadata#companies", "value": rows})
        match = _COMPANY_PATH.match(path)
        if match is None:
            return refused(
                404, f"No HTTP resource was found that matches the request URI '{path}'.", "BadRequest_NotFound"
            )
        company, page_name, key, count = match.groups()
        page = PAGES.get(page_name)
        if page is None:
            return refused(404, f"The resource '{page_name}' was not found.", "BadRequest_NotFound")
        if company.lower() not in {c["id"] for c in self.companies}:
            return refused(
                400,
                f"Cannot process the request because the company '{company}' cannot be found.",
                "Internal_CompanyNotFound",
            )
        rows = self.rows(page) if company.lower() == self.data.company_id else []
        context = f"{base}{API}/$metadata#companies({company})/{page_name}"
        try:
            if key is None and count:
                return Answer(200, str(len(self.filtered(page, rows, params))))
            if key is None and method == "GET":
                return self.listing(page, rows, params, context, base, path)
            if key is None and method == "POST":
                return self.create(page, company, body, context)
            record_id = self.record_id(page, key or "")
            current = next((r for r in rows if r["id"] == record_id), None)
            if current is None:
                return refused(
                    404, f"The {page.type_name} does not exist. Identification fields and values: Id='{key}'"
                )
            if method == "GET":
                return Answer(200, {"@odata.context": context + "/$entity", **self.shaped(page, current, params)})
            return self.change(page, method, current, headers, body, context)
        except FilterError as exc:
            return refused(400, str(exc))
        except Refused as exc:
            return refused(exc.status, exc.message, exc.code)

    def rows(self, page: Page) -> list[Record]:
        return self.data.records(page.name)

    @staticmethod
    def record_id(page: Page, key: str) -> str:
        try:
            return str(uuid.UUID(key))
        except ValueError:
            raise Refused(
                400, "BadRequest", f"Bad Request - Error in query syntax: '{key}' is not a valid Edm.Guid."
            ) from None

    def filtered(self, page: Page, rows: list[Record], params: dict[str, str]) -> list[Record]:
        text = params.get("$filter")
        if not text:
            return rows
        predicate = parse_filter(text, page, version=4)
        return [row for row in rows if predicate(typed(page, row))]

    def ordered(self, page: Page, rows: list[Record], orderby: str) -> list[Record]:
        for part in reversed([p.strip() for p in orderby.split(",") if p.strip()]):
            name, _, direction = part.partition(" ")
            if page.prop(name) is None:
                raise FilterError(f"Could not find a property named '{name}' on type 'Microsoft.NAV.{page.type_name}'.")
            rows = sorted(
                rows,
                key=lambda r: (typed(page, r)[name] is not None, typed(page, r)[name] or 0),
                reverse=direction.strip() == "desc",
            )
        return rows

    def listing(
        self, page: Page, rows: list[Record], params: dict[str, str], context: str, base: str, path: str
    ) -> Answer:
        rows = self.filtered(page, rows, params)
        if params.get("$orderby"):
            rows = self.ordered(page, rows, params["$orderby"])
        total = len(rows)
        skip = int(params.get("$skip") or 0)
        top = params.get("$top")
        window = rows[skip : skip + int(top)] if top not in (None, "") else rows[skip:]
        start = int(params.get("$skiptoken") or 0)
        served = window[start : start + self.page_size]
        body: dict[str, Any] = {"@odata.context": context}
        if params.get("$count") == "true":
            body["@odata.count"] = total
        body["value"] = [self.shaped(page, row, params) for row in served]
        if start + self.page_size < len(window):
            following = {k: v for k, v in params.items() if k != "$skiptoken"} | {
                "$skiptoken": str(start + self.page_size)
            }
            body["@odata.nextLink"] = f"{base}{API}/{path}?{urlencode(following)}"
        return Answer(200, body)

    def shaped(self, page: Page, row: Record, params: dict[str, str]) -> Record:
        """A row as served: its ETag, the `$select`ed properties (all when none), lines when `$expand`ed."""
        select = [s.strip() for s in params.get("$select", "").split(",") if s.strip()]
        expand = [e.strip() for e in params.get("$expand", "").split(",") if e.strip()]
        for name in select:
            if page.prop(name) is None:
                raise FilterError(f"Could not find a property named '{name}' on type 'Microsoft.NAV.{page.type_name}'.")
        for name in expand:
            if name != page.lines:
                raise FilterError(f"Could not find a property named '{name}' on type 'Microsoft.NAV.{page.type_name}'.")
        out: Record = {"@odata.etag": etag(row)}
        out.update({p.name: row.get(p.name) for p in page.props if not select or p.name in select})
        if page.lines and page.line_page and page.lines in expand:
            out[page.lines] = [{"@odata.etag": etag(line), **line} for line in row.get(page.lines, [])]
        return out

    def exists(self, page_name: str, record_id: Any) -> bool:
        return self.data.get(page_name, record_id) is not None

    def create(self, page: Page, company: str, body: Any, context: str) -> Answer:
        check_body(page, body, self.exists)
        record: Record = {p.name: ("" if p.type == "Edm.String" else None) for p in page.props}
        record.update({k: v for k, v in body.items() if k != page.lines})
        record["id"] = str(uuid.uuid4())
        if isinstance(record.get("vendorId"), str):
            record["vendorId"] = record["vendorId"].lower()
        self.complete(page, record, body)
        record["lastModifiedDateTime"] = self.data.now_stamp()
        self.data.insert(page.name, record)
        served = {k: v for k, v in record.items() if k != page.lines}
        return Answer(201, {"@odata.context": context + "/$entity", "@odata.etag": etag(record), **served})

    def complete(self, page: Page, record: Record, body: dict[str, Any]) -> None:
        """What the application fills in on insert: numbers from the number series, the order's vendor and lines."""
        numbers = [r.get("number") or "" for r in self.data.records(page.name)] if page.prop("number") else []
        if page.prop("number") and not record.get("number"):
            prefix = {"vendors": "V", "employees": "E", "fixedAssets": "FA"}.get(page.name, "")
            record["number"] = (
                f"{prefix}{max((int(n.lstrip(prefix) or 0) for n in numbers if n.lstrip(prefix).isdigit()), default=0) + 10}"
            )
        elif page.prop("number") and record["number"] in numbers:
            raise Refused(
                400,
                "Internal_EntityWithSameKeyExists",
                f"The record already exists. Identification fields and values: No.='{record['number']}'",
            )
        if page.name == "vendors" and not record.get("blocked"):
            record["blocked"] = " "
        if page.name == "purchaseOrders":
            self.order_defaults(record, body)

    def order_defaults(self, record: Record, body: dict[str, Any]) -> None:
        vendor = self.data.get("vendors", record.get("vendorId") or "")
        if vendor is None:
            raise Refused(400, "BadRequest", "You must specify the vendor (vendorId or vendorNumber).")
        record.update(
            vendorNumber=vendor["number"], vendorName=vendor["displayName"], status="Draft", fullyReceived=False
        )
        record["currencyCode"] = record.get("currencyCode") or vendor["currencyCode"]
        record["orderDate"] = record.get("orderDate") or datetime.now(UTC).date().isoformat()
        lines = []
        for n, given in enumerate(body.get("purchaseOrderLines") or [], start=1):
            item = self.data.get("items", str(given.get("itemId") or "").lower())
            if item is None:
                raise Refused(400, "BadRequest", "A purchase order line needs an existing item (itemId).")
            quantity = float(given.get("quantity") or 0)
            cost = float(given.get("directUnitCost", item["unitCost"]))
            lines.append(
                {
                    "id": str(uuid.uuid4()),
                    "documentId": record["id"],
                    "sequence": n * 10000,
                    "itemId": item["id"],
                    "lineType": "Item",
                    "description": given.get("description") or item["displayName"],
                    "unitOfMeasureCode": given.get("unitOfMeasureCode") or item["baseUnitOfMeasureCode"],
                    "quantity": quantity,
                    "directUnitCost": cost,
                    "amountExcludingTax": round(quantity * cost, 2),
                    "receivedQuantity": 0.0,
                    "expectedReceiptDate": "0001-01-01",
                }
            )
        record["purchaseOrderLines"] = lines
        record["totalAmountExcludingTax"] = round(sum(line["amountExcludingTax"] for line in lines), 2)

    def change(
        self, page: Page, method: str, current: Record, headers: dict[str, str], body: Any, context: str
    ) -> Answer:
        """`PATCH` or `DELETE` of one record: `If-Match` required, a stale ETag refused with 412."""
        if method not in ("PATCH", "DELETE"):
            return refused(
                405, f"The requested resource does not support http method '{method}'.", "BadRequest_MethodNotAllowed"
            )
        given = headers.get("if-match")
        if not given:
            return refused(
                428, "Could not save the changes because the If-Match header is missing.", "Request_IfMatchRequired"
            )
        if given != "*" and given != etag(current):
            return refused(412, "Another user has already changed the record.", "Request_EntityChanged")
        if method == "DELETE":
            self.data.remove(page.name, [current["id"]])
            return Answer(204)
        check_body(page, body, self.exists)
        if page.lines in body:
            raise Refused(
                400,
                "BadRequest",
                f"The navigation property '{page.lines}' cannot be changed here; change its lines instead.",
            )
        changes = dict(body)
        if page.name == "purchaseOrders" and "vendorId" in changes:
            vendor = self.data.get("vendors", str(changes["vendorId"]).lower())
            assert vendor is not None  # check_body refused an unknown vendor
            changes.update(vendorId=vendor["id"], vendorNumber=vendor["number"], vendorName=vendor["displayName"])
        updated = self.data.patch(page.name, current["id"], changes)
        assert updated is not None
        served = {k: v for k, v in updated.items() if k != page.lines}
        return Answer(200, {"@odata.context": context + "/$entity", "@odata.etag": etag(updated), **served})

    def batch(self, body: Any, headers: dict[str, str], base: str) -> Answer:
        """JSON `$batch`: each operation answered on its own, at most `MAX_BATCH` of them."""
        requests = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(requests, list):
            return refused(400, "The batch request body must be a JSON object with 'requests'.")
        if len(requests) > MAX_BATCH:
            return refused(
                400,
                f"The current batch message contains too many parts. A maximum number of '{MAX_BATCH}' query operations and change sets are allowed in a batch message.",
                "Unknown",
            )
        responses = []
        for op in requests:
            url = str(op.get("url") or "").lstrip("/")
            if url.startswith(API.lstrip("/") + "/"):
                url = url[len(API) :]
            path, _, query = url.partition("?")
            params = dict(parse_qsl(query, keep_blank_values=True))
            op_headers = {**headers, **{k.lower(): v for k, v in (op.get("headers") or {}).items()}}
            answer = self.handle(str(op.get("method") or "GET").upper(), path, params, op_headers, op.get("body"), base)
            responses.append(
                {
                    "id": op.get("id"),
                    "status": answer.status,
                    "headers": {"content-type": "application/json"},
                    "body": answer.body,
                }
            )
        return Answer(200, {"responses": responses})


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise Refused(400, "BadRequest", "The request body is not valid JSON.") from None


def _respond(answer: Answer) -> Response:
    if answer.status == 204:
        return Response(status_code=204, headers=answer.headers)
    if isinstance(answer.body, str):
        return PlainTextResponse(answer.body, status_code=answer.status, headers=answer.headers)
    return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)


def _routes(sandbox: Sandbox) -> list[Any]:
    async def token(request: Request) -> Response:
        form = await request.form()
        return _respond(sandbox.issue_token(request.path_params["tenant"], {k: str(v) for k, v in form.items()}))

    async def api(request: Request) -> Response:
        denied = sandbox.authenticated(request.headers.get("authorization", ""))
        if denied is not None:
            return _respond(denied)
        base = str(request.base_url).rstrip("/")
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            body = await _json_body(request)
        except Refused as exc:
            return _respond(refused(exc.status, exc.message, exc.code))
        path = request.path_params["path"]
        if path == "$batch" and request.method == "POST":
            return _respond(sandbox.batch(body, headers, base))
        return _respond(sandbox.handle(request.method, path, dict(request.query_params), headers, body, base))

    return [
        Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
        Route(API + "/{path:path}", api, methods=["GET", "POST", "PATCH", "DELETE"]),
        *dataset_routes(
            sandbox.data,
            tuple(PAGES),
            lambda status, message: JSONResponse(error_body(status, message), status_code=status),
            lambda resource, records: {"value": records},
            lambda i: str(i).lower(),
        ),
    ]


def create_app(
    *, seed: int = 19, page_size: int = 100, token_lifetime: int = 3599, state: SandboxState | None = None
) -> Starlette:
    """The sandbox app; `app.state.data` is its Dataset, `app.state.bc` the environment."""
    data = Dataset(seed)
    sandbox = Sandbox(data, page_size, token_lifetime)
    app = SandboxApp(
        _routes(sandbox),
        error_body=error_body,
        state=state,
        exception_handlers={HTTPException: http_error_handler(error_body)},
    )
    app.state.data = data
    app.state.bc = sandbox
    return app


def cloud_login(instance_url: str, company_id: str) -> dict[str, str]:
    """The online login against a sandbox at `instance_url` (whose token endpoint it serves)."""
    return {
        "companyId": company_id,
        "tenantId": TENANT,
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "tokenUrl": f"{instance_url.rstrip('/')}/{TENANT}/oauth2/v2.0/token",
    }


COMPANY_ID = Dataset().company_id
ON_PREMISES_LOGIN = {"companyId": COMPANY_ID, "username": WEB_USER, "webServiceAccessKey": ACCESS_KEY}
SANDBOX = SandboxSpec("business_central", create_app, dict(ON_PREMISES_LOGIN))
