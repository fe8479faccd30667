"""Tryton (Tier 2 ERP, self-hosted or hosted by a partner): JSON-RPC at `<url>/<database>/rpc/`.

Declarations per entity (model, fields, mapping, writes) on top of `ModelRpcConnector`.
The hooks are the session login (`common.db.login`, then the user's preferences
as context, as Tryton's own client does), Tryton's typed JSON values, and two
per-page joins: purchase lines, and stock per location from done stock moves.
Vendors are all parties: Tryton has no supplier flag, any party can be bought from.
`remoteVersion` is Tryton's `_timestamp`, the token its concurrency check takes.
Writes live in `operations.py`, custom fields and objects in `custom.py`.

Archives are Tryton's soft delete: a model with `DeactivableMixin` has an
`active` field, and searches leave inactive records out unless the context says
`active_test: False` (Tryton server reference, "Models": `DeactivableMixin`,
`ModelStorage.search`). An archived record is not deleted, so `deletedAt` stays
null. Where the unified entity has `active` (Vendor from `party.party`, User
from `res.user`) the lists include archived records (`ARCHIVED_TOO`) and map
the flag; Location (`stock.location`) and Part (`product.product`, archived
with its template) have no such field and are listed as Tryton lists them, so
an archived one leaves the listings and the replica's reconciliation marks it
deleted. Purchases have no `active` field. Fetching by id includes archived
records, since a relation may still point at one.
"""

from __future__ import annotations

import asyncio
import base64
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from schema.errors import Conflict, SystemAuthFailed, SystemRejected

from ..catalog import CLOUD, ON_PREMISES, Capability, CredentialField, SystemEntry
from ..http import UpstreamClient
from ..jsonrpc import Domain, Model, ModelRpcConnector, Ref
from ..mapping import Compute, Date, EntityMap, Enum, Number
from ..passthrough import RawRequest, RawResponse, exchange
from .custom import TrytonCustomization
from .operations import TrytonWrites
from .wire import decode, encode_datetime
from .writes import purchase_writes, vendor_writes

READ = Capability(read=True, incremental=True)
WRITE = Capability(read=True, incremental=True, create=True, update=True, delete=True)
STOCK_TYPE = "storage"  # the only location type that holds stock

ENTRY = SystemEntry(
    key="tryton",
    deletions=(
        "Tryton archives rather than deletes: an archived party or user reads `active: false` (never "
        "`deletedAt`); archived locations and products leave Tryton's listings and are reconciled as deleted "
        "(`deletedAt`); records deleted outright (draft purchases) likewise."
    ),
    name="Tryton",
    vendor="Tryton",
    category="ERP",
    tier=2,
    hostings=(ON_PREMISES, CLOUD),
    default_base_url=None,
    credential_fields=(
        CredentialField("database", "Database", help="The Tryton database name, as in the client's login."),
        CredentialField("username", "User name", help="A Tryton user allowed to read purchases and stock."),
        CredentialField("password", "Password", "password", secret=True),
    ),
    auth_guide=(
        "Give the server's address (e.g. http://tryton.example:8000) as the instance URL, the "
        "database name, and the login of a Tryton user whose groups can read parties, products, "
        "stock and purchases (and write them, for writes through the gateway). The user's current "
        "company is the one read. Tryton has no maintenance module, so work orders, assets, requests "
        "and schedules are not available."
    ),
    capabilities={
        "Location": READ,
        "Part": Capability(read=True, incremental=True, adjust=True),
        "Vendor": WRITE,
        "PurchaseOrder": WRITE,
        "User": READ,
    },
)


def _stamps(**fields: Any) -> dict[str, Any]:
    """`last_modified_at` is Tryton's coalesce(write_date, create_date): write_date is empty until a write."""
    return {
        "created_at": Date("create_date"),
        "updated_at": Date("last_modified_at"),
        "version": "_timestamp",
        **fields,
    }


def _flag(path: str) -> Compute:
    """Booleans may come back as 0/1 (SQLite)."""
    return Compute(lambda r: None if r.get(path) is None else bool(r[path]))


def _dotted(relation: str, name: str) -> Compute:
    """A field read through a relation: `"party.name"` comes back as `"party.": {"name": ...}`."""
    return Compute(lambda r: (r.get(f"{relation}.") or {}).get(name))


def _first(path: str, key: str) -> Compute:
    return Compute(lambda r: next((i.get(key) for i in r.get(path) or [] if i.get(key)), None))


LOCATIONS = EntityMap(
    "Location",
    remote_id="id",
    display="name",
    fields={
        "name": "name",
        "code": "code",
        "type": Enum("type", {"warehouse": "SITE", "storage": "STORAGE", "view": "AREA"}, default="OTHER"),
        "address": _dotted("address", "full_address"),
        "parent": Ref("parent"),
    },
    **_stamps(),
)


def _stock_levels(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"location": str(s["location"]), "quantity": s["quantity"]} for s in row.get("quantity_by_location", [])]


def _vendors(row: Mapping[str, Any]) -> list[str]:
    suppliers = [
        *(row.get("product_suppliers.") or []),
        *((row.get("template.") or {}).get("product_suppliers.") or []),
    ]
    return list(dict.fromkeys(str(s["party"]) for s in suppliers if s.get("party")))


PARTS = EntityMap(
    "Part",
    remote_id="id",
    display=Compute(lambda r: f"[{r['code']}] {r['name']}" if r.get("code") else r.get("name")),
    fields={
        "partNumber": "code",
        "name": "name",
        "description": "description",
        "unitOfMeasure": _dotted("default_uom", "name"),
        "unitCost": Number("cost_price"),
        "quantityOnHand": Compute(
            lambda r: sum(s["quantity"] for s in r["quantity_by_location"]) if "quantity_by_location" in r else None
        ),
        "stockLevels": Compute(_stock_levels),
        "vendors": Compute(_vendors),
    },
    **_stamps(),
)

VENDORS = EntityMap(
    "Vendor",
    remote_id="id",
    display="name",
    fields={
        "name": "name",
        "code": "code",
        "email": Compute(lambda r: r.get("email") or None),
        "phone": Compute(lambda r: r.get("phone") or None),
        "website": Compute(lambda r: r.get("website") or None),
        "address": _first("addresses.", "full_address"),
        "active": _flag("active"),
    },
    **_stamps(),
)

PO_STATUS = {
    "draft": "DRAFT",
    "quotation": "SUBMITTED",
    "confirmed": "APPROVED",
    "processing": "APPROVED",
    "done": "CLOSED",
    "cancelled": "CANCELLED",
}


def _lines(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "lineNumber": n,
            "description": line.get("description"),
            "quantity": Number("quantity").extract(line),
            "unitOfMeasure": (line.get("unit.") or {}).get("name"),
            "unitPrice": Number("unit_price").extract(line),
            "amount": Number("amount").extract(line),
            "receivedQuantity": None,  # Tryton tracks moves, not a received quantity per line
            "part": None if line.get("product") is None else str(line["product"]),
        }
        for n, line in enumerate(row.get("lines.") or [], start=1)
    ]


PURCHASE_ORDERS = EntityMap(
    "PurchaseOrder",
    remote_id="id",
    display=Compute(lambda r: r.get("number") or r.get("reference")),
    fields={
        "number": Compute(lambda r: r.get("number") or r.get("reference")),
        "status": Enum("state", PO_STATUS),
        "orderDate": Date("purchase_date"),
        "expectedDate": Date("delivery_date"),
        "currency": _dotted("currency", "code"),
        "totalAmount": Number("total_amount"),
        "vendor": Ref("party"),
        "shipTo": Ref("warehouse"),
        "lines": Compute(_lines),
    },
    **_stamps(),
)

USERS = EntityMap(
    "User",
    remote_id="id",
    display=Compute(lambda r: r.get("name") or r.get("login")),
    fields={
        "name": "name",
        "email": "email",
        "active": _flag("active"),
    },
    **_stamps(),
)

STAMPS = ("create_date", "last_modified_at", "_timestamp")
ARCHIVED_TOO = {"active_test": False}  # list inactive parties and users: `active` is mapped

MODELS = (
    Model(
        LOCATIONS,
        "stock.location",
        ("name", "code", "type", "parent", "address.full_address", *STAMPS),
        status_field="type",
        status_remote="type",
    ),
    Model(
        PARTS,
        "product.product",
        (
            "code",
            "name",
            "description",
            "default_uom.name",
            "cost_price",
            "product_suppliers.party",
            "template.product_suppliers.party",
            *STAMPS,
        ),
    ),
    Model(
        VENDORS,
        "party.party",
        ("name", "code", "email", "phone", "website", "addresses.full_address", "active", *STAMPS),
        context=ARCHIVED_TOO,
        writes=vendor_writes(VENDORS),
    ),
    Model(
        PURCHASE_ORDERS,
        "purchase.purchase",
        (
            "number",
            "reference",
            "state",
            "purchase_date",
            "delivery_date",
            "currency.code",
            "total_amount",
            "party",
            "warehouse",
            *STAMPS,
        ),
        status_field="status",
        status_remote="state",
        writes=purchase_writes(PURCHASE_ORDERS),
    ),
    Model(
        USERS, "res.user", ("name", "login", "email", "active", *STAMPS), domain=(["id", ">", 0],), context=ARCHIVED_TOO
    ),  # id 0 is Tryton's internal root
)

LINE_FIELDS = ["purchase", "sequence", "product", "description", "quantity", "unit.name", "unit_price", "amount"]
MOVE_FIELDS = ["product", "from_location", "to_location", "internal_quantity", "from_location.type", "to_location.type"]


def _error_text(error: Any) -> str:
    """Tryton errors are `[name, args]`; a UserError's args start with its message."""
    if isinstance(error, list) and error:
        if error[0] == "ConcurrencyException" and len(error) > 1:
            return str(error[1])  # [name, message]
        args = error[1] if len(error) > 1 else None
        if isinstance(args, list) and args and isinstance(args[0], str):
            return args[0]
        return str(error[0])
    return str(error)


class TrytonConnector(TrytonWrites, TrytonCustomization, ModelRpcConnector):
    entry = ENTRY
    id_pattern = (r"[0-9]{1,18}", "integers")
    models = MODELS
    updated_field = "last_modified_at"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.http = UpstreamClient(self.base_url, system=self.entry.name, policy=self.policy)
        self._session: str | None = None
        self._context: dict[str, Any] = {}
        self._login_lock = asyncio.Lock()
        self._described: dict[str, dict[str, dict[str, Any]]] = {}

    @property
    def rpc_path(self) -> str:
        return f"/{self.config.credentials.get('database', '')}/rpc/"

    def format_time(self, value: datetime) -> Any:
        return encode_datetime(value)

    # -- transport ----------------------------------------------------------

    async def _post(self, method: str, params: list[Any], session: str | None, idempotent: bool = True) -> Any:
        """One JSON-RPC call; application errors come back as HTTP 200 with `error`."""
        headers = {"Authorization": session} if session else {}
        body = {"id": 1, "method": method, "params": params}
        answer = await self.http.json("POST", self.rpc_path, json=body, headers=headers, idempotent=idempotent)
        if not isinstance(answer, dict):
            raise SystemRejected("Tryton sent an answer that is not a JSON-RPC response")
        error = answer.get("error")
        if error is not None:
            if isinstance(error, list) and error and error[0] == "ConcurrencyException":
                raise Conflict(f"Tryton refused the write: {_error_text(error)}")
            raise SystemRejected(f"Tryton rejected the request: {_error_text(error)}")
        if "result" not in answer:
            raise SystemRejected("Tryton sent an answer without a result")
        return decode(answer["result"])

    async def login(self) -> tuple[str, dict[str, Any]]:
        """`common.db.login` (401 on a bad login), then the user's preferences as context."""
        creds = self.config.credentials
        username = creds.get("username", "")
        try:
            result = await self._post(
                "common.db.login", [username, {"password": creds.get("password", "")}, "en"], None
            )
        except SystemRejected as exc:
            raise SystemAuthFailed(f"Tryton rejected the login: {exc.message.split(': ', 1)[-1]}") from None
        if not isinstance(result, list) or len(result) < 2 or not result[1]:
            raise SystemAuthFailed("Tryton did not open a session")
        token = base64.b64encode(f"{username}:{result[0]}:{result[1]}".encode()).decode()
        session = f"Session {token}"
        context = await self._post("model.res.user.get_preferences", [True, {}], session)
        return session, context if isinstance(context, dict) else {}

    async def _auth(self) -> tuple[str, dict[str, Any]]:
        async with self._login_lock:
            if self._session is None:
                self._session, self._context = await self.login()
            return self._session, self._context

    async def _expire(self, session: str) -> bool:
        """Forget a session Tryton refused (unless another call already replaced it): the next call logs in."""
        async with self._login_lock:
            if self._session == session:
                self._session = None
        return True

    async def call(self, method: str, args: list[Any], context: Mapping[str, Any], idempotent: bool = True) -> Any:
        """An authenticated call; an expired session (401/403) logs in again once (Tryton ran nothing then)."""
        session, prefs = await self._auth()
        try:
            return await self._post(method, [*args, {**prefs, **context}], session, idempotent)
        except SystemAuthFailed:
            await self._expire(session)
            session, prefs = await self._auth()
            return await self._post(method, [*args, {**prefs, **context}], session, idempotent)

    async def passthrough(self, request: RawRequest) -> RawResponse:
        """A raw JSON-RPC call (`POST /<database>/` with the caller's `{"method", "params"}`) in the session,
        logging in first or again once, as `call` does."""
        used: list[str] = []

        async def auth() -> dict[str, str]:
            used.append((await self._auth())[0])
            return {"Authorization": used[-1]}

        async def renew() -> bool:
            return await self._expire(used[-1])

        return await exchange(self.http, request.url(self.instance_root), request, auth, renew)

    async def search_read(
        self, model: Model, domain: Domain, offset: int, limit: int | None, context: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        return await self._search_read(model.model, domain, offset, limit, self.read_fields(model), context)

    async def search_count(self, model: Model, domain: Domain, context: Mapping[str, Any]) -> int | None:
        counted = await self.call(f"model.{model.model}.search_count", [domain], context)
        if not isinstance(counted, int) or isinstance(counted, bool):
            raise SystemRejected(f"Tryton sent no count for {model.model}")
        return counted

    async def _search_read(
        self,
        model: str,
        domain: Domain,
        offset: int,
        limit: int | None,
        fields: list[str],
        context: Mapping[str, Any],
        order: Any = None,
    ) -> list[dict[str, Any]]:
        rows = await self.call(
            f"model.{model}.search_read", [domain, offset, limit, order or [["id", "ASC"]], fields], context
        )
        if not isinstance(rows, list):
            raise SystemRejected(f"Tryton sent no list for {model}")
        return rows

    # -- per-page joins -----------------------------------------------------

    async def enrich(self, model: Model, rows: list[dict[str, Any]]) -> None:
        if model.entity == "PurchaseOrder":
            await self._join_lines(rows)
        elif model.entity == "Part":
            await self._join_stock(rows)

    async def _join_lines(self, rows: list[dict[str, Any]]) -> None:
        """The page's purchase lines in one call, under `lines.` as Tryton names nested reads."""
        ids = [r["id"] for r in rows]
        lines = await self._search_read(
            "purchase.line",
            [["purchase", "in", ids], ["type", "=", "line"]],
            0,
            None,
            LINE_FIELDS,
            {},
            order=[["purchase", "ASC"], ["sequence", "ASC"], ["id", "ASC"]],
        )
        by_purchase: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for line in lines:
            by_purchase[line["purchase"]].append(line)
        for row in rows:
            row["lines."] = by_purchase.get(row["id"], [])

    async def _join_stock(self, rows: list[dict[str, Any]]) -> None:
        """Stock per storage location from the page's done moves, in one call."""
        ids = [r["id"] for r in rows]
        moves = await self._search_read(
            "stock.move",
            [
                ["product", "in", ids],
                ["state", "=", "done"],
                ["OR", [["from_location.type", "=", STOCK_TYPE]], [["to_location.type", "=", STOCK_TYPE]]],
            ],
            0,
            None,
            MOVE_FIELDS,
            {},
        )
        stock: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        for move in moves:
            quantity = float(move.get("internal_quantity") or 0)
            if (move.get("to_location.") or {}).get("type") == STOCK_TYPE:
                stock[move["product"]][move["to_location"]] += quantity
            if (move.get("from_location.") or {}).get("type") == STOCK_TYPE:
                stock[move["product"]][move["from_location"]] -= quantity
        for row in rows:
            levels = stock.get(row["id"], {})
            row["quantity_by_location"] = [
                {"location": loc, "quantity": round(qty, 6)} for loc, qty in sorted(levels.items()) if qty
            ]

    async def aclose(self) -> None:
        await self.http.aclose()


CONNECTOR = TrytonConnector
