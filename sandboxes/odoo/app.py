"""A local imitation of Odoo's external JSON-RPC API (`POST /jsonrpc`).

Written from Odoo's documentation (docs/vendors/odoo.md), never from the
connector, which it does not import. Documented: the JSON-RPC 2.0 envelope with
`{"service", "method", "args"}`, `common.version`, `common.authenticate(db,
login, password, {})` answering the user id or `false`, `object.execute_kw(db,
uid, password, model, method, args, kwargs)` with `search_read`, `search_count`,
`read`, `create`, `write`, `unlink` and `fields_get`; API keys in place of
passwords; `false` for empty fields and `[id, name]` for a many2one; `active`
and `active_test`. Errors answer HTTP 200 with `error: {code: 200, message:
"Odoo Server Error", data: {name, message, arguments, debug, context}}`, the
exception's qualified name in `data.name` (the exact texts are unverified).

Writes: maintenance requests and partners (`schema.WRITABLE`); a record another one
refers to cannot be unlinked. Besides the shared control
routes there are `POST /__sandbox/touch` and `POST /__sandbox/delete` with
`{"resource": <model>, "ids": [...]}`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandboxes.kit import SandboxApp, SandboxSpec, SandboxState, http_error_handler
from sandboxes.odoo.domain import DomainError, compile_domain
from sandboxes.odoo.schema import COMPUTED, MODELS, WRITABLE, F
from sandboxes.odoo.seed import (
    DEMO_API_KEY,
    DEMO_DATABASE,
    DEMO_LOGIN,
    DEMO_PASSWORD,
    EXPIRED_API_KEY,
    Dataset,
)
from sandboxes.rest import dataset_routes, json_or_none

VERSION = {
    "server_version": "17.0",
    "server_version_info": [17, 0, 0, "final", 0, ""],
    "server_serie": "17.0",
    "protocol_version": 1,
}


class OdooError(Exception):
    """An exception Odoo's dispatcher turns into a JSON-RPC error: its qualified name and message."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name, self.message = name, message


def access_denied() -> OdooError:
    return OdooError("odoo.exceptions.AccessDenied", "Access Denied")


def value_error(message: str) -> OdooError:
    return OdooError("builtins.ValueError", message)


def error_body(status: int, message: str, name: str = "werkzeug.exceptions.HTTPException") -> dict[str, Any]:
    """Odoo's JSON-RPC error object (the HTTP status is carried as `code` only by the control faults)."""
    return {
        "jsonrpc": "2.0",
        "id": None,
        "error": {
            "code": 200 if name != "werkzeug.exceptions.HTTPException" else status,
            "message": "Odoo Server Error",
            "data": {"name": name, "debug": "", "message": message, "arguments": [message], "context": {}},
        },
    }


class Accounts:
    """Who may log in: a user's password, and API keys (one expired)."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.passwords = {DEMO_LOGIN: DEMO_PASSWORD}
        self.keys = {DEMO_API_KEY: (DEMO_LOGIN, None), EXPIRED_API_KEY: (DEMO_LOGIN, datetime(2025, 1, 1, tzinfo=UTC))}

    def check_database(self, database: Any) -> None:
        if database != self.database:
            raise OdooError(
                "psycopg2.OperationalError",
                f'connection to server failed: FATAL:  database "{database}" does not exist',
            )

    def valid(self, login: Any, password: Any) -> bool:
        if isinstance(password, str) and password and self.passwords.get(login) == password:
            return True
        owner, expires = self.keys.get(password, (None, None)) if isinstance(password, str) else (None, None)
        return owner == login and (expires is None or expires > datetime.now(UTC))


def computed(model: str, values: dict[str, Any]) -> dict[str, Any]:
    """Values with the fields Odoo computes from them set again (`COMPUTED`)."""
    derived = {name: values[source] for (of, name), source in COMPUTED.items() if of == model and source in values}
    return {**values, **derived}


def _points_at(fields: list[str], ids: set[int]) -> Callable[[dict[str, Any]], bool]:
    return lambda r: any(r.get(n) in ids for n in fields)


def _sort_key(name: str) -> Callable[[dict[str, Any]], tuple[bool, Any]]:
    """Empty (`false`) values last, as PostgreSQL sorts NULLs ascending."""
    return lambda r: (r.get(name) is False, r.get(name) if r.get(name) is not False else 0)


class Models:
    """The model methods `execute_kw` runs over the dataset."""

    def __init__(self, data: Dataset) -> None:
        self.data = data
        self.calls: list[tuple[str, str, list[Any]]] = []  # (model, method, args) of each execute_kw, for tests

    def model(self, name: Any) -> Any:
        if name not in MODELS or not isinstance(name, str):
            raise OdooError("builtins.KeyError", repr(name))
        return MODELS[name]

    def field_of(self, model: str, path: str) -> F | None:
        """The field at the end of a dotted path, through many2ones."""
        first, _, rest = path.partition(".")
        described = self.model(model).fields.get(first)
        if described is None or not rest:
            return described
        return self.field_of(described.relation, rest) if described.relation else None

    def resolve(self, model: str, record: dict[str, Any], path: str) -> Any:
        first, _, rest = path.partition(".")
        value = record.get(first, False)
        if not rest:
            return value
        related = self.data.get(self.model(model).fields[first].relation or "", value) if value else None
        return self.resolve(self.model(model).fields[first].relation or "", related, rest) if related else False

    def display(self, model: str, record_id: Any) -> Any:
        target = self.data.get(model, record_id) if record_id else None
        if target is None:
            return False
        return [record_id, target.get(self.model(model).display) or target.get("name") or f"{model},{record_id}"]

    def render(self, model: str, record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        out = {"id": record["id"]}
        for name in fields:
            described = self.model(model).fields[name]
            value = record.get(name, False)
            if name == "display_name":
                value = record.get("display_name") or record.get(self.model(model).display) or record.get("name")
            elif described.type == "many2one":
                value = self.display(described.relation or "", value)
            out[name] = value
        return out

    def fields(self, model: str, wanted: Any) -> list[str]:
        names = wanted or list(self.model(model).fields)
        if not isinstance(names, list):
            raise value_error("fields must be a list of field names")
        unknown = [n for n in names if n not in self.model(model).fields]
        if unknown:
            raise value_error(f"Invalid field {unknown[0]!r} on model {model!r}")
        return names

    def matching(self, model: str, domain: Any, context: Any) -> Callable[[dict[str, Any]], bool]:
        check = compile_domain(
            domain, lambda r, p: self.resolve(model, r, p), lambda p: self.field_of(model, p) is not None, model
        )
        active_test = not isinstance(context, dict) or context.get("active_test", True) is not False
        archivable = self.model(model).archivable and active_test
        return lambda r: (not archivable or r.get("active", True) is True) and check(r)

    def ordered(self, model: str, rows: list[dict[str, Any]], order: Any) -> list[dict[str, Any]]:
        keys = []
        for part in reversed(str(order or "id").split(",")):
            name, _, direction = part.strip().partition(" ")
            if name not in self.model(model).fields:
                raise value_error(f"Invalid field {name!r} on model {model!r}")
            keys.append((name, direction.strip().lower() == "desc"))
        for name, descending in keys:
            rows.sort(key=_sort_key(name), reverse=descending)
        return rows

    def search(self, model: str, domain: Any, kwargs: dict[str, Any]) -> list[dict[str, Any]]:
        keep = self.matching(model, domain, kwargs.get("context"))
        rows = self.ordered(model, self.data.select(model, keep), kwargs.get("order"))
        offset, limit = kwargs.get("offset") or 0, kwargs.get("limit")
        if not isinstance(offset, int) or (limit not in (None, False) and not isinstance(limit, int)):
            raise value_error("offset and limit must be integers")
        return rows[offset : offset + limit] if limit else rows[offset:]

    def call(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        self.model(model)
        self.calls.append((model, method, copy.deepcopy(args)))
        if method == "search_read":
            domain = args[0] if args else kwargs.get("domain", [])
            names = self.fields(model, kwargs.get("fields") or (args[1] if len(args) > 1 else None))
            return [self.render(model, r, names) for r in self.search(model, domain, kwargs)]
        if method == "search_count":
            domain = args[0] if args else kwargs.get("domain", [])
            return len(self.data.select(model, self.matching(model, domain, kwargs.get("context"))))
        if method == "read":
            names = self.fields(model, kwargs.get("fields") or (args[1] if len(args) > 1 else None))
            ids = args[0] if args else []
            found = (self.data.get(model, i) for i in ([ids] if isinstance(ids, int) else ids))
            return [self.render(model, r, names) for r in found if r is not None]
        if method == "fields_get":
            return self.describe(model, kwargs.get("attributes"))
        if method in ("create", "write", "unlink"):
            return self.write(model, method, args)
        raise OdooError("builtins.AttributeError", f"The method '{method}' does not exist on the model '{model}'")

    def describe(self, model: str, attributes: Any) -> dict[str, Any]:
        described = {}
        for name, f in self.model(model).fields.items():
            full = {"type": f.type, "string": f.string, "readonly": f.readonly, "required": f.required, "store": True}
            if f.relation:
                full["relation"] = f.relation
            if f.selection:
                full["selection"] = [list(s) for s in f.selection]
            described[name] = {k: v for k, v in full.items() if not attributes or k in attributes}
        return described

    def checked(self, model: str, values: Any, creating: bool) -> dict[str, Any]:
        if not isinstance(values, dict):
            raise value_error("values must be a dictionary")
        for name, value in values.items():
            f = self.model(model).fields.get(name)
            if f is None:
                raise value_error(f"Invalid field {name!r} on model {model!r}")
            if f.readonly:
                raise value_error(f"Field {name!r} on model {model!r} is read-only")
            if f.type == "many2one" and value not in (False, None) and not self._exists(f, value):
                raise OdooError(
                    "odoo.exceptions.ValidationError", f"The record {f.relation}({value!r},) does not exist"
                )
            if f.type == "selection" and value not in (False, *[s[0] for s in f.selection]):
                raise value_error(f"Wrong value for {model}.{name}: {value!r}")
            if f.type == "float" and value is not False and not isinstance(value, (int, float)):
                raise value_error(f"Wrong value for {model}.{name}: {value!r}")
        if creating:
            for name, f in self.model(model).fields.items():
                if f.required and values.get(name) in (None, False, ""):
                    raise OdooError(
                        "odoo.exceptions.ValidationError",
                        f"The operation cannot be completed: Missing required fields on {model}: {f.string}",
                    )
        return {k: (False if v is None else v) for k, v in values.items()}

    def _exists(self, f: F, value: Any) -> bool:
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and self.data.get(f.relation or "", value) is not None
        )

    def write(self, model: str, method: str, args: list[Any]) -> Any:
        if model not in WRITABLE:
            raise OdooError("odoo.exceptions.AccessError", f"You are not allowed to modify '{model}' records.")
        now = self.data.now_stamp()
        if method == "create":
            batch = args[0] if args and isinstance(args[0], list) else [args[0] if args else None]
            made = []
            for values in batch:
                record = {**copy.deepcopy(self.model(model).defaults), **self.checked(model, values, True)}
                new = {"id": self.data.next_id(model), **computed(model, record), "create_date": now, "write_date": now}
                made.append(self.data.insert(model, new)["id"])
            return made if args and isinstance(args[0], list) else made[0]
        ids = args[0] if args else None
        ids = [ids] if isinstance(ids, int) else ids
        if not isinstance(ids, list) or any(self.data.get(model, i) is None for i in ids):
            raise OdooError(
                "odoo.exceptions.MissingError",
                f"Record does not exist or has been deleted.\n(Record: {model}({ids!r}), User: 3)",
            )
        if method == "write":
            changes = self.checked(model, args[1] if len(args) > 1 else None, False)
            for record_id in ids:
                self.data.patch(model, record_id, computed(model, changes))
        else:
            if self.referenced(model, ids):
                raise OdooError(
                    "odoo.exceptions.UserError",
                    "The operation cannot be completed: another model requires the record being deleted. "
                    "If possible, archive it instead.",
                )
            self.data.remove(model, ids)
        return True

    def referenced(self, model: str, ids: list[int]) -> bool:
        """Whether a many2one of any record points at one of `ids` (Odoo's foreign keys restrict the delete)."""
        wanted = set(ids)
        for other, described in MODELS.items():
            pointing = [n for n, f in described.fields.items() if f.type == "many2one" and f.relation == model]
            if pointing and self.data.select(other, _points_at(pointing, wanted), 0, 1):
                return True
        return False


def _routes(data: Dataset, accounts: Accounts, models: Models) -> list[BaseRoute]:

    def common(method: Any, args: list[Any]) -> Any:
        if method == "version":
            return VERSION
        if method in ("authenticate", "login"):
            database, login, password = (list(args) + [None] * 3)[:3]
            accounts.check_database(database)
            if not accounts.valid(login, password):
                return False
            user = next((u for u in data.records("res.users") if u["login"] == login and u["active"]), None)
            return user["id"] if user else False
        raise OdooError("builtins.KeyError", repr(method))

    def execute_kw(args: list[Any]) -> Any:
        if len(args) < 6:
            raise OdooError("builtins.TypeError", "execute_kw() missing required positional arguments")
        database, uid, password, model, method, margs = args[:6]
        kwargs = args[6] if len(args) > 6 and isinstance(args[6], dict) else {}
        accounts.check_database(database)
        user = data.get("res.users", uid) if isinstance(uid, int) else None
        if user is None or not user["active"] or not accounts.valid(user["login"], password):
            raise access_denied()
        if not isinstance(margs, list):
            raise OdooError("builtins.TypeError", "args must be a list")
        try:
            return models.call(model, method, margs, kwargs)
        except DomainError as exc:
            raise value_error(str(exc)) from None

    async def jsonrpc(request: Request) -> Response:
        body = await json_or_none(request)
        rpc_id = body.get("id") if isinstance(body, dict) else None
        params = body.get("params") if isinstance(body, dict) else None
        try:
            if not isinstance(params, dict) or not isinstance(params.get("args", []), list):
                raise OdooError("werkzeug.exceptions.BadRequest", "Invalid JSON-RPC request")
            service, method, args = params.get("service"), params.get("method"), params.get("args", [])
            if service == "common":
                result = common(method, args)
            elif service == "object" and method == "execute_kw":
                result = execute_kw(args)
            else:
                raise OdooError("builtins.KeyError", repr(service if service != "object" else method))
        except OdooError as exc:
            answer = error_body(200, exc.message, exc.name)
            return JSONResponse({**answer, "id": rpc_id})
        return JSONResponse({"jsonrpc": "2.0", "id": rpc_id, "result": result})

    return [
        *dataset_routes(data, tuple(MODELS), _control_error, lambda resource, records: records, record_id=int),
        Route("/jsonrpc", jsonrpc, methods=["POST"]),
    ]


def _control_error(status: int, message: str) -> JSONResponse:
    return JSONResponse(error_body(status, message), status_code=status)


def create_app(*, seed: int = 7, database: str = DEMO_DATABASE, state: SandboxState | None = None) -> Starlette:
    """The sandbox app; `app.state.sandbox` is its SandboxState, `app.state.data` its Dataset and
    `app.state.calls` the `(model, method, args)` of every `execute_kw` it ran, `app.state.accounts` its logins."""
    data = Dataset(seed)
    models, accounts = Models(data), Accounts(database)
    app = SandboxApp(
        _routes(data, accounts, models),
        error_body=error_body,
        state=state,
        exception_handlers={HTTPException: http_error_handler(error_body)},
    )
    app.state.data = data
    app.state.calls = models.calls
    app.state.accounts = accounts
    return app


SANDBOX = SandboxSpec("odoo", create_app, {"database": DEMO_DATABASE, "username": DEMO_LOGIN, "password": DEMO_API_KEY})
