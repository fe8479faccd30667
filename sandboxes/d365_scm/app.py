"""A local imitation of a Dynamics 365 Supply Chain Management environment's OData service (`/data/`).

The instance URL is the environment's root: data entities at `/data/<EntitySet>`, one record at
`/data/<EntitySet>(<Key>='…',dataAreaId='…')`, the legal entities at `/data/LegalEntities`. The
Microsoft Entra token endpoint of the login is served too, at `/<tenant id>/oauth2/v2.0/token`
(scope: the environment's URL plus `/.default`).

From Microsoft Learn and the sources in docs/vendors/d365_scm.md: bearer tokens of the OAuth 2.0
client credentials flow; reads see the login's default company unless `cross-company=true`, which
reads every company's records (each with its `dataAreaId`); `$filter`, `$select`, `$expand` (one
level), `$orderby`, `$top`, `$skip`, `$count`; `@odata.etag` on every entity, `If-Match` honoured on
`PATCH` (answered 204) and `DELETE`; `201` with the entity on create.

Entity set, property and navigation names are an environment's `$metadata` (model.py). Unconfirmed
(marked in the doc): the error bodies' wording, the answer to a key without `dataAreaId`, the empty 401
body. No entity served has a modification time: the sandbox keeps one per record, unserved, for its
control routes (`touch`) and ETags.

Besides the shared control routes (`sandboxes.kit`): `POST /__sandbox/touch` and `POST /__sandbox/delete`
with `{"resource": "<EntitySet>", "ids": [...]}` change records as a user would.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from sandboxes.data import Record
from sandboxes.kit import SandboxApp, SandboxSpec, SandboxState, http_error_handler
from sandboxes.odata_filter import FilterError, parse_filter, parse_key
from sandboxes.odata_v4 import Page, Refused, check_props, etag, typed
from sandboxes.rest import dataset_routes

from .batch import Call, batch_response, read_batch
from .metadata import metadata_document
from .model import CREATED, ENTITIES, LINE_SETS, MODIFIED, REFERENCES
from .seed import DEFAULT_COMPANY, LEGAL_ENTITIES, Dataset, unset

TENANT = "7e1d5b9a-2c4f-4a8e-b6d3-9f0a1c2e3d4b"
CLIENT_ID = "c3a9f1e2-5b7d-4e6f-8a9b-0c1d2e3f4a5b"
CLIENT_SECRET = "sandbox-scm-client-secret"
_PATH = re.compile(r"^([A-Za-z0-9]+)(?:\((.*)\))?(/\$count)?$")


def error_body(status: int, message: str, kind: str = "Microsoft.Dynamics.Platform.Integration.Services.OData") -> Any:
    """The OData error of finance and operations apps: a generic message, the reason in `innererror`."""
    return {
        "error": {"code": "", "message": message, "innererror": {"message": message, "type": kind, "stacktrace": ""}}
    }


def refused(status: int, message: str) -> Response:
    return JSONResponse(error_body(status, message), status_code=status)


def _sort_key(value: Any) -> tuple[bool, Any]:
    """Unset values first; set ones by their own order."""
    return (value not in (None, ""), value if value not in (None, "") else 0)


class Environment:
    """The environment's data, its one Entra application and the tokens it has issued."""

    def __init__(self, data: Dataset, page_size: int, token_lifetime: int) -> None:
        self.data, self.page_size, self.token_lifetime = data, page_size, token_lifetime
        self.tokens: dict[str, float] = {}

    def token(self, tenant: str, form: dict[str, str], base: str) -> tuple[int, dict[str, Any]]:
        """The client credentials grant; Entra's own error shape (`error`, `error_description`)."""
        problem = (
            (tenant != TENANT and ("invalid_request", f"AADSTS90002: Tenant '{tenant}' not found."))
            or (form.get("client_id") != CLIENT_ID and ("unauthorized_client", "AADSTS700016: Application not found."))
            or (
                form.get("client_secret") != CLIENT_SECRET
                and ("invalid_client", "AADSTS7000215: Invalid client secret provided.")
            )
            or (
                form.get("scope") != f"{base}/.default"
                and ("invalid_scope", f"AADSTS500011: The resource {form.get('scope')} was not found.")
            )
        )
        if problem:
            error, description = problem
            return (401 if error == "invalid_client" else 400), {"error": error, "error_description": description}
        value = secrets.token_urlsafe(32)
        self.tokens[value] = time.monotonic() + self.token_lifetime
        return 200, {"token_type": "Bearer", "expires_in": self.token_lifetime, "access_token": value}

    def signed_in(self, authorization: str) -> bool:
        scheme, _, value = authorization.partition(" ")
        return scheme.lower() == "bearer" and time.monotonic() < self.tokens.get(value, 0.0)

    # -- reads ---------------------------------------------------------------------------

    def rows(self, entity: Page, params: dict[str, str]) -> list[Record]:
        """The login's default company's records, or every company's with `cross-company=true`."""
        rows = self.data.records(entity.name)
        if params.get("cross-company", "").lower() != "true" and "dataAreaId" in entity.keys:
            rows = [r for r in rows if r["dataAreaId"] == DEFAULT_COMPANY]
        if params.get("$filter"):
            predicate = parse_filter(params["$filter"], entity, version=4)
            rows = [r for r in rows if predicate(typed(entity, r))]
        for part in reversed([p.strip() for p in params.get("$orderby", "").split(",") if p.strip()]):
            name, _, direction = part.partition(" ")
            if entity.prop(name) is None:
                raise FilterError(f"Could not find a property named '{name}' on type '{entity.type_name}'.")
            rows.sort(key=lambda r: _sort_key(typed(entity, r)[name]), reverse=direction == "desc")
        return rows

    def shaped(self, entity: Page, row: Record, params: dict[str, str]) -> Record:
        select = [p.strip() for p in params.get("$select", "").split(",") if p.strip()]
        expand = [p.strip() for p in params.get("$expand", "").split(",") if p.strip()]
        for name in select + expand:
            if entity.prop(name) is None and name != entity.lines:
                raise FilterError(f"Could not find a property named '{name}' on type '{entity.type_name}'.")
        out: Record = {"@odata.etag": etag(row)}
        out.update({p.name: row.get(p.name) for p in entity.props if not select or p.name in select})
        if entity.lines and entity.lines in expand:
            out[entity.lines] = [{"@odata.etag": etag(line), **line} for line in row.get(entity.lines, [])]
        return out

    def listing(self, entity: Page, params: dict[str, str], url: str) -> Response:
        rows = self.rows(entity, params)
        skip, top = int(params.get("$skip") or 0), params.get("$top")
        window = rows[skip : skip + int(top)] if top else rows[skip:]
        start = int(params.get("$skiptoken") or 0)
        body: dict[str, Any] = {"@odata.context": f"{url}/data/$metadata#{entity.name}"}
        if params.get("$count") == "true":
            body["@odata.count"] = len(rows)
        body["value"] = [self.shaped(entity, r, params) for r in window[start : start + self.page_size]]
        if start + self.page_size < len(window):
            following = {**params, "$skiptoken": str(start + self.page_size)}
            body["@odata.nextLink"] = f"{url}/data/{entity.name}?{urlencode(following)}"
        return JSONResponse(body)

    def one(self, entity: Page, key: str) -> Record:
        """The record a full key names (`Id='…',dataAreaId='…'`); a partial key is refused."""
        try:
            values = parse_key(key, entity, version=4)
        except FilterError:
            values = {}
        if set(values) != set(entity.keys):
            raise FilterError(
                f"The key '{key}' does not name every key property of '{entity.type_name}': {', '.join(entity.keys)}."
            )
        found = self.data.get(entity.name, values[entity.keys[0]])
        if found is None or any(str(found[k]).lower() != str(values[k]).lower() for k in entity.keys[1:]):
            raise Refused(404, "", f"No {entity.type_name} with key {key}.")
        return found

    # -- writes --------------------------------------------------------------------------

    def check_references(self, body: dict[str, Any], company: str) -> None:
        for prop, target in REFERENCES:
            value = body.get(prop)
            if value and (self.data.get(target, value) or {}).get("dataAreaId") != company:
                raise Refused(400, "", f"The value '{value}' of field '{prop}' is not found in the related table.")

    def company_of(self, entity: Page, body: Any) -> str:
        """The company a create's body names (the login's default without one), its references checked."""
        check_props(entity, body)
        company = str(body.get("dataAreaId") or DEFAULT_COMPANY).lower()
        if company not in {e["LegalEntityId"].lower() for e in LEGAL_ENTITIES}:
            raise Refused(400, "", f"Company '{company}' does not exist.")
        self.check_references(body, company)
        return company

    def create(self, entity: Page, body: Any, url: str) -> Response:
        if entity.lines and entity.lines in body:
            raise Refused(400, "", f"Deep insert of '{entity.lines}' is not supported; post the lines on their own.")
        company = self.company_of(entity, body)
        key = entity.keys[0]
        taken = {r[key] for r in self.data.records(entity.name)}
        if body.get(key) in taken:
            raise Refused(400, "", f"Cannot create a record in {entity.type_name}. The record already exists.")
        number = body.get(key) or f"{entity.name[:2].upper()}-{9000 + len(taken)}"
        record = {**self.data.blank(entity.name), **CREATED.get(entity.name, {}), **body, key: number}
        record["dataAreaId"] = company
        record[MODIFIED] = self.data.now_stamp()
        self.data.insert(entity.name, record)
        return JSONResponse(
            {"@odata.context": f"{url}/data/$metadata#{entity.name}/$entity", **self.shaped(entity, record, {})},
            status_code=201,
        )

    def add_line(self, header: Page, body: Any, url: str) -> Response:
        """A line posted to its own entity set, under the header (of the same company) its body names;
        numbered after the header's last line unless the body numbers it."""
        lines = header.line_page
        assert lines is not None, header.name
        company = self.company_of(lines, body)
        key = header.keys[0]
        found = self.data.get(header.name, body.get(key))
        if found is None or found["dataAreaId"] != company:
            raise Refused(400, "", f"The value '{body.get(key)}' of field '{key}' is not found in the related table.")
        held = list(found.get(str(header.lines)) or [])
        number = body.get("LineNumber") or 1 + max((int(line["LineNumber"]) for line in held), default=0)
        line = {**unset(lines), **body, "LineNumber": number, "dataAreaId": company}
        line["LineAmount"] = round((line["OrderedPurchaseQuantity"] or 0) * (line["PurchasePrice"] or 0), 2)
        line["PurchaseOrderLineStatus"] = found.get("PurchaseOrderStatus") or "Backorder"
        self.data.patch(header.name, found[key], {str(header.lines): [*held, line]})
        return JSONResponse(
            {"@odata.context": f"{url}/data/$metadata#{lines.name}/$entity", "@odata.etag": etag(line), **line},
            status_code=201,
        )

    def change(self, entity: Page, method: str, current: Record, headers: dict[str, str], body: Any) -> Response:
        """`PATCH` or `DELETE`; an `If-Match` that is not the record's ETag is refused with 412."""
        given = headers.get("if-match")
        if given not in (None, "*", etag(current)):
            raise Refused(412, "", "The record has been modified by another user since it was read.")
        key = entity.keys[0]
        if method == "DELETE":
            self.data.remove(entity.name, [current[key]])
            return Response(status_code=204)
        check_props(entity, body)
        if body.get(key, current[key]) != current[key] or body.get(
            "dataAreaId", current.get("dataAreaId")
        ) != current.get("dataAreaId"):
            raise Refused(400, "", "Key fields cannot be changed.")
        self.check_references(body, current.get("dataAreaId") or DEFAULT_COMPANY)
        self.data.patch(entity.name, current[key], body)
        return Response(status_code=204)


def answer(env: Environment, call: Call, url: str) -> Response:
    """One call to the service root `url`: the legal entities, a line posted on its own, or an entity set."""
    match = _PATH.match(call.path)
    if match and match.group(1) == "LegalEntities" and call.method == "GET":
        return JSONResponse({"@odata.context": f"{url}/data/$metadata#LegalEntities", "value": list(LEGAL_ENTITIES)})
    entity = ENTITIES.get(match.group(1)) if match else None
    header = LINE_SETS.get(match.group(1)) if match else None
    if match is None or (entity is None and header is None):
        return refused(404, f"Resource not found for the segment '{call.path}'.")
    key, count = match.group(2), match.group(3)
    try:
        if header is not None and key is None and call.method == "POST":
            return env.add_line(header, call.body, url)
        if entity is None:
            return refused(501, f"The sandbox serves {match.group(1)} for new lines only.")
        if count:
            return PlainTextResponse(str(len(env.rows(entity, call.params))))
        if key is None and call.method == "GET":
            return env.listing(entity, call.params, url)
        if key is None and call.method == "POST":
            return env.create(entity, call.body, url)
        current = env.one(entity, key or "")
        if call.method == "GET":
            return JSONResponse(env.shaped(entity, current, call.params))
        return env.change(entity, call.method, current, call.headers, call.body)
    except ValueError as exc:
        status = exc.status if isinstance(exc, Refused) else 400
        message = exc.message if isinstance(exc, Refused) else f"The query specified in the URI is not valid. {exc}"
        return refused(status, message)


def _root(request: Request, route: str) -> str:
    """The environment's URL as the client addressed it (also where the sandbox is mounted under a prefix)."""
    url = str(request.url.replace(query=""))
    return url[: url.rindex(route)]


def _routes(env: Environment) -> list[Any]:
    async def token(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        status, body = env.token(
            request.path_params["tenant"], form, _root(request, f"/{request.path_params['tenant']}/")
        )
        return JSONResponse(body, status_code=status)

    async def data(request: Request) -> Response:
        if not env.signed_in(request.headers.get("authorization", "")):
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        try:
            body = await request.json() if request.method in ("POST", "PATCH") else None
        except ValueError as exc:
            return refused(400, f"The request body is not valid JSON. {exc}")
        headers = {k.lower(): v for k, v in request.headers.items()}
        call = Call(request.method, request.path_params["path"], dict(request.query_params), headers, body)
        return answer(env, call, _root(request, "/data/"))

    async def metadata(request: Request) -> Response:
        if not env.signed_in(request.headers.get("authorization", "")):
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return Response(metadata_document(ENTITIES.values()), media_type="application/xml")

    async def batch(request: Request) -> Response:
        """`$batch` of GETs (multipart/mixed): each answered as a call of its own, in order."""
        if not env.signed_in(request.headers.get("authorization", "")):
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        url = _root(request, "/data/$batch")
        try:
            calls = read_batch(await request.body(), request.headers.get("content-type", ""))
        except ValueError as exc:
            return refused(400, str(exc))
        return batch_response([answer(env, call, url) for call in calls])

    return [
        Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
        Route("/data/$batch", batch, methods=["POST"]),
        Route("/data/$metadata", metadata, methods=["GET"]),
        Route("/data/{path:path}", data, methods=["GET", "POST", "PATCH", "DELETE"]),
        *dataset_routes(
            env.data,
            tuple(ENTITIES),
            lambda status, message: JSONResponse(error_body(status, message), status_code=status),
            lambda resource, records: {"value": records},
        ),
    ]


def create_app(
    *, seed: int = 23, page_size: int = 100, token_lifetime: int = 3599, state: SandboxState | None = None
) -> Starlette:
    """The sandbox app; `app.state.data` is its Dataset, `app.state.env` the environment."""
    data = Dataset(seed)
    env = Environment(data, page_size, token_lifetime)
    app = SandboxApp(
        _routes(env),
        error_body=error_body,
        state=state,
        exception_handlers={HTTPException: http_error_handler(error_body)},
    )
    app.state.data = data
    app.state.env = env
    return app


def login(data_area: str = DEFAULT_COMPANY) -> dict[str, str]:
    """The connection's login: the token endpoint is a path on the sandbox's own host."""
    return {
        "dataAreaId": data_area,
        "tenantId": TENANT,
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "tokenUrl": f"/{TENANT}/oauth2/v2.0/token",
    }


SANDBOX = SandboxSpec("d365_scm", create_app, login())
