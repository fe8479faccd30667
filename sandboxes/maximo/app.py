"""A local imitation of IBM Maximo's REST/JSON API ("OSLC"), mounted under /maximo.

The connector is tested against this app over real HTTP, so it speaks Maximo's
wire format and nothing else; it imports nothing from the connector.

Known from IBM's documentation: object structures at `/maximo/oslc/os/<name>`
(and `/maximo/api/os/<name>` for API keys); auth by an `apikey` header (or
query parameter) or `maxauth: base64(user:password)`; `lean=1` for plain JSON,
else namespaced JSON (`rdfs:member`, `spi:` attributes); a collection is
`{"member": [...], "href", "responseInfo": {"href", "thisPage", "nextPage",
"pagenum", "totalCount", "totalPages"}}`; members carry only `href` unless
`oslc.select` names attributes (`*` for all, `child{a,b}` for child rows); null
attributes are left out and domain attributes come with `<attr>_description`;
`oslc.where` joins comparisons with `and` (no `or`), `in ["a","b"]` for lists;
`oslc.orderBy=+a,-b`; `oslc.pageSize` + `pageno` (1-based); `collectioncount=1`;
errors are `{"Error": {"reasonCode", "message", "statusCode"}}`; an invalid API
key is BMXAA9549E.

Unverified (our best guess, to be checked against a real instance):
- both roots accept either kind of credentials; a bad login answers 401 with
  BMXAA0021E (maxauth), BMXAA9549E (apikey) or BMXAA7901E (none);
- `>`/`<` compare strings and ISO dates (compared as instants, any offset);
  string literals are JSON strings; an `or` or a syntax error is a 400
  BMXAA2661E; an unknown object structure is a 404 BMXAA8727E;
- without `oslc.pageSize` every match comes back in one page; without
  `oslc.orderBy` records come in key order;
- INVENTORY and PERSON have no `changedate`; record hrefs are `_` + base64 of
  the key attributes joined by `/`.

Writes, as IBM documents them: `POST /os/<structure>` creates and answers
`201` with a `Location` header (and the record when the `properties` header
names attributes, `*` for all); `POST <href>` with `x-method-override: PATCH`
updates (`patchtype: MERGE` merges child rows such as `poline` by their line
number, without it the given rows replace them); `DELETE <href>` deletes and
answers `200 OK` (from 7.6.0.8 also `POST <href>` with `x-method-override: PATCH`
and the body `{"_action": "Delete"}`; "Delete resources" in IBM's REST API
guide), an undocumented `x-method-override: DELETE` is refused;
`If-Match: <_rowstamp>` makes a change fail with `412` BMXAA8229W when the
record changed since. `collectioncount=1` adds `totalCount` and `totalPages`
to `responseInfo` (the count of every match, not of the page). `GET <href>` reads one record,
`/jsonschemas/<structure>` describes a structure's attributes; `rel.attr` in a
select (`item.description` on inventory) comes back as a nested object; an
action (`?action=wsmethod:...`) needs `x-method-override: PATCH`. Unverified:
the inventory adjustment `wsmethod:adjustCurrentBalance` with `{"newcurbal": n}`
(it sets `curbal`), the schema's exact keys (`readOnly` marks computed
attributes), MXAPIORGANIZATION for sites, and the write rules in `writes.py`. This customer added `cust_` attributes to work orders and assets;
`mxapisr` (service requests) and `mxapimeter` (meters) are served too.

Besides the shared control routes (see `sandboxes.kit`) there is
`POST /__sandbox/touch` with `{"resource": "<objectstructure>", "ids": [...]}`,
which moves those records' `changedate` to now, and `POST /__sandbox/delete`
with the same body, which deletes them as a user would in Maximo, whatever the
API allows (ids are natural keys).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandboxes.kit import SandboxApp, SandboxSpec, SandboxState, status_phrase
from sandboxes.maximo import rules as writes
from sandboxes.maximo.seed import KEYS, Dataset, Record, key_of

DEMO_API_KEY = "mx-demo-7f3c9a1e5b2d4c68"
DEMO_USERS = {"MAXADMIN": "maxadmin"}
ROOTS = ("oslc", "api")

LOGIN_ERRORS = {
    "apikey": (
        "BMXAA9549E",
        "The API key token is invalid. Either the token may have expired or the token "
        "has been revoked by the administrator.",
    ),
    "maxauth": ("BMXAA0021E", "User name and password combination are not valid. Try again."),
    "none": ("BMXAA7901E", "You cannot log in at this time. Contact the system administrator."),
}
REASONS = {400: "BMXAA2661E", 401: "BMXAA7901E", 404: "BMXAA8727E", 429: "BMXAA9999E", 500: "BMXAA4211E"}


def error_body(status: int, message: str, reason: str | None = None) -> dict[str, Any]:
    """Maximo's error shape; the reason code prefixes the message as Maximo does."""
    code = reason or REASONS.get(status, "BMXAA4211E")
    return {"Error": {"reasonCode": code, "message": f"{code} - {message}", "statusCode": str(status)}}


def _error(status: int, message: str, reason: str | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message, reason), status_code=status)


class QueryError(ValueError):
    """A query parameter Maximo would refuse (answered with a 400)."""


# -- oslc.where -------------------------------------------------------------

TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?(?![\w-]))|(?P<op>!=|>=|<=|=|>|<)'
    r"|(?P<punct>[\[\],])|(?P<word>[A-Za-z_][\w.]*))"
)
Clause = tuple[str, str, Any]
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T")


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            if text[pos:].strip() == "":
                break
            raise QueryError(f"oslc.where is not valid near '{text[pos : pos + 20]}'")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def parse_where(text: str) -> list[Clause]:
    """`a="x" and b>1 and c in ["p","q"]` as (attr, op, value) triples."""
    tokens, clauses = _tokens(text), []
    pos = 0

    def take(kind: str | None = None) -> str:
        nonlocal pos
        if pos >= len(tokens) or (kind and tokens[pos][0] != kind):
            raise QueryError("oslc.where ends early or is not valid")
        pos += 1
        return tokens[pos - 1][1]

    def value() -> Any:
        kind, text_value = tokens[pos] if pos < len(tokens) else ("", "")
        take()
        if kind == "str":
            return json.loads(text_value)
        if kind == "num":
            return float(text_value)
        raise QueryError(f"oslc.where has no value where '{text_value}' is")

    while True:
        attr = take("word").lower()
        if pos < len(tokens) and tokens[pos] == ("word", "in"):
            take()
            take("punct")
            values = [value()]
            while pos < len(tokens) and tokens[pos][1] == ",":
                take()
                values.append(value())
            if take("punct") != "]":
                raise QueryError("oslc.where list is not closed")
            clauses.append((attr, "in", values))
        else:
            clauses.append((attr, take("op"), value()))
        if pos == len(tokens):
            return clauses
        joiner = take("word").lower()
        if joiner != "and":
            raise QueryError(f"oslc.where supports only 'and', not '{joiner}'")


def _comparable(value: Any, other: Any) -> tuple[Any, Any]:
    """Both sides as numbers, instants or strings, whichever they both are."""
    if isinstance(other, float) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value), other
    if isinstance(value, str) and isinstance(other, str) and ISO_DATE.match(value) and ISO_DATE.match(other):
        try:
            return datetime.fromisoformat(value), datetime.fromisoformat(other.replace("Z", "+00:00"))
        except ValueError:
            return value, other
    return str(value), str(other)


def matches(record: Record, clause: Clause) -> bool:
    attr, op, wanted = clause
    value = record.get(attr)
    if op == "in":
        return value is not None and any(_equal(value, w) for w in wanted)
    if value is None:
        return op == "!="
    left, right = _comparable(value, wanted)
    try:
        return {
            "=": left == right,
            "!=": left != right,
            ">": left > right,
            ">=": left >= right,
            "<": left < right,
            "<=": left <= right,
        }[op]
    except TypeError:
        raise QueryError(f"{attr} cannot be compared with {wanted!r}") from None


def _sort_value(value: Any) -> Any:
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and ISO_DATE.match(value):
        return datetime.fromisoformat(value)
    return str(value)


def _equal(value: Any, wanted: Any) -> bool:
    left, right = _comparable(value, wanted)
    return left == right


# -- oslc.select / oslc.orderBy ---------------------------------------------

Select = dict[str, "Select | None"]  # attribute -> child selection (None for a plain attribute)


def parse_select(text: str) -> Select:
    """`a,b,child{c,d}` as a tree; `*` selects every attribute at its level."""
    selected: Select = {}
    depth, start = 0, 0
    for i, char in enumerate(text + ","):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            raise QueryError("oslc.select has an unbalanced '}'")
        if char == "," and depth == 0:
            part = text[start:i].strip()
            start = i + 1
            if "{" in part:
                name, inner = part.split("{", 1)
                selected[name.strip().lower()] = parse_select(inner.rstrip("}"))
            elif part:
                selected[part.lower()] = None
    if depth:
        raise QueryError("oslc.select has an unbalanced '{'")
    return selected


def project(record: Record, select: Select) -> Record:
    """The selected attributes that have values, each with its `_description` if any."""
    every = "*" in select
    out: Record = {}
    for attr, value in record.items():
        base = attr.removesuffix("_description")
        if isinstance(value, list):
            if attr in select:  # child rows only when named: `child` or `child{a,b}`
                out[attr] = [project(row, select[attr] or {"*": None}) for row in value]
        elif every or attr in select or base in select or attr == "_rowstamp":
            out[attr] = value
    return out


def sorter(spec: str) -> Callable[[list[Record]], list[Record]]:
    """A sort for `+a,-b`; missing values sort last, as databases put nulls."""
    terms = [
        (t.strip()[1:] if t.strip()[:1] in "+-" else t.strip(), t.strip().startswith("-"))
        for t in spec.split(",")
        if t.strip()
    ]

    def sort(rows: list[Record]) -> list[Record]:
        for attr, descending in reversed(terms):
            present = [r for r in rows if r.get(attr.lower()) is not None]
            absent = [r for r in rows if r.get(attr.lower()) is None]
            present.sort(key=lambda r: _sort_value(r[attr.lower()]), reverse=descending)
            rows = present + absent
        return rows

    return sort


# -- the app ------------------------------------------------------------------


def _href_id(structure: str, record: Record) -> str:
    key = "/".join(str(record.get(k, "~NULL~")) for k in KEYS[structure])
    return "_" + base64.urlsafe_b64encode(key.encode()).decode().replace("=", "-")


def _namespaced(value: Any) -> Any:
    """The non-lean format: `spi:` attributes, `rdf:about` hrefs, `rdfs:member`."""
    names = {"member": "rdfs:member", "href": "rdf:about", "responseInfo": "oslc:responseInfo"}
    if isinstance(value, list):
        return [_namespaced(v) for v in value]
    if isinstance(value, dict):
        return {names.get(k, k if k.startswith("_") else f"spi:{k}"): _namespaced(v) for k, v in value.items()}
    return value


def _int(request: Request, name: str, default: int | None) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise QueryError(f"{name} must be a positive integer")
    return int(raw)


def _login_error(kind: str) -> JSONResponse:
    reason, message = LOGIN_ERRORS[kind]
    return _error(401, message, reason)


class _Auth:
    """Who may call: API keys and native (maxauth) users."""

    def __init__(self, api_keys: set[str], users: dict[str, str]) -> None:
        self.api_keys = api_keys
        self.users = users

    def failure(self, request: Request) -> JSONResponse | None:
        key = request.headers.get("apikey") or request.query_params.get("apikey")
        if key is not None:
            return None if key in self.api_keys else _login_error("apikey")
        maxauth = request.headers.get("maxauth")
        if maxauth is not None:
            try:
                user, _, password = base64.b64decode(maxauth, validate=True).decode().partition(":")
            except ValueError:
                user, password = "", ""
            ok = user.upper() in self.users and self.users[user.upper()] == password
            return None if ok else _login_error("maxauth")
        return _login_error("none")


def _collection(data: Dataset, request: Request, structure: str) -> dict[str, Any]:
    params = request.query_params
    rows = data.view(structure)
    for clause in parse_where(params["oslc.where"]) if params.get("oslc.where") else []:
        rows = [r for r in rows if matches(r, clause)]
    if params.get("oslc.orderBy"):
        rows = sorter(params["oslc.orderBy"])(rows)
    size = _int(request, "oslc.pageSize", None)
    page = _int(request, "pageno", 1) or 1
    total_pages = max(1, -(-len(rows) // size)) if size else 1
    chosen = rows[(page - 1) * size : page * size] if size else rows
    select = parse_select(params["oslc.select"]) if params.get("oslc.select") else None
    base = f"{str(request.base_url).rstrip('/')}{request.url.path}"

    def page_href(number: int) -> str:
        return f"{base}?{urlencode({**params, 'pageno': number})}"

    members = []
    for row in chosen:
        member = {"href": f"{base}/{_href_id(structure, row)}"}
        found = {**project(row, select), **related(data, structure, row, select)} if select else {}
        members.append({**member, **found})
    info: dict[str, Any] = {"href": str(request.url), "thisPage": {"href": page_href(page)}, "pagenum": page}
    if page < total_pages:
        info["nextPage"] = {"href": page_href(page + 1)}
    if page > 1:
        info["previousPage"] = {"href": page_href(page - 1)}
    if params.get("collectioncount") == "1":
        info.update(totalCount=len(rows), totalPages=total_pages)
    return {"member": members, "href": base, "responseInfo": info}


RELATIONS = {("mxapiinventory", "item"): ("mxapiitem", "itemnum")}  # (structure, relation) -> (target, key)


def related(data: Dataset, structure: str, record: Record, select: Select) -> Record:
    """Dot-notation attributes of related objects (`item.description`) as one nested object per relation."""
    out: Record = {}
    for name in (n for n in select if "." in n):
        relation, attr = name.split(".", 1)
        target = RELATIONS.get((structure, relation))
        if target is None:
            continue
        found = next((r for r in data.view(target[0]) if r.get(target[1]) == record.get(target[1])), None)
        if found is not None and found.get(attr) is not None:
            out.setdefault(relation, {})[attr] = found[attr]
    return out


def _json(request: Request, body: Any, status: int = 200) -> JSONResponse:
    """Plain JSON with `lean=1`, else Maximo's namespaced form."""
    lean = request.query_params.get("lean") == "1"
    return JSONResponse(body if lean else _namespaced(body), status_code=status)


async def _body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise writes.Refused("BMXAA2661E", "The request body is not valid JSON.") from None


def _written(request: Request, record: Record, href: str, status: int) -> Response:
    """The answer to a write: the record when the `properties` header asks for it, else no body."""
    headers = {"Location": href} if status == 201 else {}
    properties = request.headers.get("properties")
    if not properties:
        return Response(status_code=204 if status == 200 else status, headers=headers)
    response = _json(request, {"href": href, **project(record, parse_select(properties))}, status)
    response.headers.update(headers)
    return response


SCHEMA_TITLES = {"mxapimeter": "Meter", "mxapisr": "Service Request", "mxapiwodetail": "Work Order"}


def _schema(structure: str, rows: list[Record]) -> dict[str, Any]:
    """`/jsonschemas/<os>`: the structure's attributes with JSON types and Maximo's subType."""
    properties: dict[str, Any] = {}
    for row in rows:
        for attr, value in row.items():
            if attr.startswith("_") or attr.endswith("_description") or attr in properties:
                continue
            if isinstance(value, list):
                properties[attr] = {"type": "array", "objectName": attr.upper(), "items": {"type": "object"}}
                continue
            kind, sub = (
                ("boolean", "YORN")
                if isinstance(value, bool)
                else ("integer", "INTEGER")
                if isinstance(value, int)
                else ("number", "DECIMAL")
                if isinstance(value, float)
                else ("string", "DATETIME")
                if ISO_DATE.match(str(value))
                else ("string", "ALN")
            )
            properties[attr] = {
                "type": kind,
                "subType": sub,
                "title": attr.replace("_", " ").title(),
                "persistent": True,
                "searchType": "EXACT",
            }
            if attr in writes.READ_ONLY.get(structure, ()):
                properties[attr]["readOnly"] = True
    return {
        "resource": structure.upper(),
        "title": SCHEMA_TITLES.get(structure, structure.upper()),
        "type": "object",
        "pk": list(KEYS[structure]),
        "properties": dict(sorted(properties.items())),
    }


def _routes(data: Dataset, auth: _Auth) -> list[BaseRoute]:
    def gate(request: Request) -> tuple[str, JSONResponse | None]:
        """The object structure a call names, or the refusal (unknown root, login, structure)."""
        structure = request.path_params["structure"].lower()
        if request.path_params["root"] not in ROOTS:
            return structure, _error(404, f"The resource {request.url.path} is not found.")
        failure = auth.failure(request)
        if failure is not None:
            return structure, failure
        if structure not in data.structures():
            return structure, _error(404, f"The object structure {structure.upper()} is not found.")
        return structure, None

    async def list_records(request: Request) -> Response:
        structure, refusal = gate(request)
        if refusal is not None:
            return refusal
        try:
            body = _collection(data, request, structure)
        except QueryError as exc:
            return _error(400, str(exc))
        return _json(request, body)

    def located(structure: str, href_id: str) -> Record | None:
        return next((r for r in data.view(structure) if _href_id(structure, r) == href_id), None)

    def exists(structure: str, value: Any) -> bool:
        return any(key_of(structure, r) == str(value) for r in data.view(structure))

    def next_key(structure: str) -> Callable[[str], str]:
        def make(attr: str) -> str:
            numbers = [int(r[attr]) for r in data.view(structure) if str(r.get(attr, "")).isdigit()]
            return str(max(numbers, default=1000) + 1)

        return make

    def target(request: Request) -> tuple[str, Record | None, JSONResponse | None]:
        """The record an href names (the stored one), or the refusal."""
        structure, refusal = gate(request)
        record = None if refusal is not None else located(structure, request.path_params["id"])
        if refusal is None and record is None:
            refusal = _error(404, f"The record {request.url.path} is not found.", "BMXAA8727E")
        return structure, record, refusal

    async def get_record(request: Request) -> Response:
        structure, record, refusal = target(request)
        if refusal is not None or record is None:
            return refusal or Response(status_code=404)
        select = parse_select(request.query_params.get("oslc.select") or "*")
        found = {**project(record, select), **related(data, structure, record, select)}
        return _json(request, {"href": str(request.url).split("?")[0], **found})

    async def create_record(request: Request) -> Response:
        structure, refusal = gate(request)
        if refusal is not None:
            return refusal
        if request.headers.get("x-method-override"):
            return _error(400, "This operation on a collection is not supported here.", "BMXAA9365E")
        try:
            body = await _body(request)
            writes.check(structure, body, exists, creating=True)
            record = writes.stored(structure, body, None, next_key(structure))
            if exists(structure, key_of(structure, record)):
                keys = ", ".join(f"{k.title()}={record.get(k)}" for k in KEYS[structure])
                raise writes.Refused(
                    "BMXAA4129E",
                    f"Record already exists for {keys}. Ensure that the key value for the given record is unique.",
                )
        except writes.Refused as exc:
            return _error(400, exc.message, exc.reason)
        saved = data.add(structure, record)
        href = f"{str(request.url).split('?')[0]}/{_href_id(structure, saved)}"
        return _written(request, saved, href, 201)

    async def change_record(request: Request) -> Response:
        """`DELETE <href>`, or `POST <href>` with `x-method-override: PATCH` (an update, or a
        delete when the body is `{"_action": "Delete"}`) or with an `action=wsmethod:...`."""
        structure, current, refusal = target(request)
        if refusal is not None or current is None:
            return refusal or Response(status_code=404)
        override = "DELETE" if request.method == "DELETE" else (request.headers.get("x-method-override") or "").upper()
        if_match = request.headers.get("if-match")
        if if_match is not None and if_match.strip('"') != current.get("_rowstamp"):
            return _error(
                412, "Record has been updated by another user. Refresh the record and try again.", "BMXAA8229W"
            )
        href = str(request.url).split("?")[0]
        try:
            if request.query_params.get("action") and override != "PATCH":
                raise writes.Refused("BMXAA9365E", "An action on a record needs x-method-override: PATCH.")
            if request.query_params.get("action"):
                return _written(
                    request,
                    adjusted(structure, current, request.query_params["action"], await _body(request)),
                    href,
                    200,
                )
            if override == "PATCH":
                body = await _body(request)
                if isinstance(body, dict) and str(body.get("_action", "")).lower() == "delete":
                    return delete(structure, current)
                writes.check(structure, body, exists, creating=False)
                writes.refuse_change(structure, current)
                moved = [k for k in KEYS[structure] if k in body and str(body[k]) != str(current.get(k))]
                if moved:
                    raise writes.Refused("BMXAA4190E", f"{moved[0].upper()} is a key and cannot be changed.")
                merge = (request.headers.get("patchtype") or "").upper() == "MERGE"
                changes = writes.stored(structure, body, current, next_key(structure), merge)
                return _written(request, data.change(structure, current, changes), href, 200)
            if request.method == "DELETE":
                return delete(structure, current)
        except writes.Refused as exc:
            return _error(400, exc.message, exc.reason)
        return _error(400, "A POST on a record needs x-method-override PATCH, or an action.", "BMXAA9365E")

    def delete(structure: str, current: Record) -> Response:
        """Maximo answers a delete with 200 OK."""
        writes.refuse_delete(structure, current)
        data.drop(structure, current)
        return Response(status_code=200)

    def adjusted(structure: str, current: Record, action: str, body: Any) -> Record:
        """`wsmethod:adjustCurrentBalance` on an inventory row: `{"newcurbal": n}` sets its balance (`curbal`)."""
        if structure != "mxapiinventory" or action.lower() != "wsmethod:adjustcurrentbalance":
            raise writes.Refused("BMXAA9365E", f"The action {action} is not supported on {structure.upper()}.")
        balance = body.get("newcurbal") if isinstance(body, dict) else None
        if not isinstance(balance, (int, float)) or isinstance(balance, bool):
            raise writes.Refused("BMXAA4195E", "A value is required for the NEWCURBAL field on the INVENTORY object.")
        if balance < 0:
            raise writes.Refused(
                "BMXAA1861E",
                f"The current balance of item {current['itemnum']} in storeroom "
                f"{current['location']} cannot be negative.",
            )
        return data.change(structure, current, {"curbal": float(balance)})

    async def json_schema(request: Request) -> Response:
        structure, refusal = gate(request)
        return refusal if refusal is not None else JSONResponse(_schema(structure, data.view(structure)))

    def remove(structure: str, ids: list[str]) -> list[Record]:
        """Deletes the records with these keys (every storeroom row of an item); KeyError first."""
        rows = [r for r in data.view(structure) if key_of(structure, r) in ids]
        missing = set(ids) - {key_of(structure, r) for r in rows}
        if missing:
            raise KeyError(min(missing))
        for record in rows:
            data.drop(structure, record)
        return [dict(r) for r in rows]

    def change(apply: Callable[[str, list[str]], list[Record]]) -> Callable[[Request], Awaitable[Response]]:
        """A control route changing records named by `{"resource": "<objectstructure>", "ids": [...]}`."""

        async def handle(request: Request) -> Response:
            try:
                body = await request.json()
                structure, ids = body["resource"], body["ids"]
                if structure not in data.structures() or not isinstance(ids, list):
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                return _error(400, f"expected {{'resource': one of {list(data.structures())}, 'ids': [...]}}")
            try:
                records = apply(structure, [str(i) for i in ids])
            except ValueError as exc:
                return _error(400, str(exc))
            except KeyError as exc:
                return _error(404, f"Record {exc.args[0]} is not found.")
            return JSONResponse({"member": records})

        return handle

    return [
        Route("/__sandbox/touch", change(data.touch), methods=["POST"]),
        Route("/__sandbox/delete", change(remove), methods=["POST"]),
        Route("/maximo/{root}/os/{structure}", list_records, methods=["GET"]),
        Route("/maximo/{root}/os/{structure}", create_record, methods=["POST"]),
        Route("/maximo/{root}/os/{structure}/{id}", get_record, methods=["GET"]),
        Route("/maximo/{root}/os/{structure}/{id}", change_record, methods=["POST", "DELETE"]),
        Route("/maximo/{root}/jsonschemas/{structure}", json_schema, methods=["GET"]),
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong methods answer in Maximo's error shape too."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return _error(status, f"The resource {request.url.path} is not found." if status == 404 else status_phrase(status))


def create_app(
    *,
    seed: int = 11,
    api_keys: set[str] | None = None,
    users: dict[str, str] | None = None,
    state: SandboxState | None = None,
) -> Starlette:
    """The sandbox app; `app.state.sandbox` is its SandboxState, `app.state.data` its Dataset."""
    data = Dataset(seed)
    auth = _Auth({DEMO_API_KEY} if api_keys is None else set(api_keys), dict(DEMO_USERS if users is None else users))
    app = SandboxApp(
        _routes(data, auth),
        error_body=error_body,
        state=state,
        exception_handlers={HTTPException: _http_error},
    )
    app.state.data = data
    return app


SANDBOX = SandboxSpec("maximo", create_app, {"apiKey": DEMO_API_KEY})
