"""Odoo (Tier 2 ERP, Odoo Online or self-hosted): the external JSON-RPC API at `<url>/jsonrpc`.

Declarations per entity (model, fields, mapping, writes) on top of `ModelRpcConnector`,
the plumbing Tryton shares: keyset paging by id, domains for the filters, a count
by `search_count`. The hooks are Odoo's: `common.authenticate` for the user id,
`object.execute_kw` with the database, user id and password (or API key) on every
call (`rpc.py`), Odoo's values (`values.py`), purchase lines joined per page, and
fetch-many as one `read` of many ids, which leaves out ids that no longer exist.

Work orders are maintenance requests (`maintenance.request`, the Maintenance app's
one record for corrective and preventive work), assets its equipment; vendors are
the partners bought from (`supplier_rank > 0`, set on the vendors created here). `remoteVersion` is `write_date`,
whole seconds: the connector compares `ifMatch` itself before a write.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from schema.errors import BadUserInput, NotFound, SystemAuthFailed, SystemRejected
from schema.model import CustomField
from schema.record import Record

from ..catalog import CLOUD, ON_PREMISES, Capability, CredentialField, SystemEntry
from ..discovery import FieldCandidate, coerce, graphql_name
from ..http import UpstreamClient
from ..jsonrpc import Domain, Model, ModelRpcConnector
from ..mapping import Compute, EntityMap, Enum, dig
from ..passthrough import RawRequest, RawResponse, exchange
from ..writes import To, WriteMap, enum_writer
from .rpc import PATH, rpc
from .values import Amount, Many2one, Many2oneName, NamedEnum, Text, Time, format_time, present

READ = Capability(read=True, incremental=True)

ENTRY = SystemEntry(
    key="odoo",
    name="Odoo",
    vendor="Odoo S.A.",
    category="ERP",
    tier=2,
    hostings=(CLOUD, ON_PREMISES),
    default_base_url=None,
    deletions=(
        "A record unlinked in Odoo leaves its listings and is reconciled as deleted (`deletedAt`); an archived "
        "vendor or user reads `active: false`, and archived equipment, locations and products leave the listings."
    ),
    credential_fields=(
        CredentialField("database", "Database", help="The database name (on Odoo Online, the instance's name)."),
        CredentialField("username", "Login", help="The user's login, usually an email address."),
        CredentialField(
            "password",
            "API key or password",
            "password",
            secret=True,
            help="An API key (Preferences > Account Security > New API Key) or the user's password.",
        ),
    ),
    auth_guide=(
        "Give the server's address (e.g. https://mycompany.odoo.com) as the instance URL, the database name "
        "(on Odoo Online the instance's name; shown in developer mode), and a user's login with an API key made "
        "under Preferences > Account Security (or its password where no two-factor login is set). The user's "
        "access rights decide what is read: Maintenance, Inventory and Purchase for work orders, assets, "
        "locations, parts and purchase orders. Odoo Online serves the external API on its Custom plan only."
    ),
    capabilities={
        "Location": READ,
        "Asset": READ,
        "WorkOrder": Capability(read=True, incremental=True, create=True, update=True, delete=True),
        "Part": READ,
        "Vendor": Capability(read=True, incremental=True, create=True, update=True, delete=True),
        "PurchaseOrder": READ,
        "User": READ,
    },
)

STAMPS = ("create_date", "write_date")
ARCHIVED_TOO = {"active_test": False}  # list archived partners and users: `active` is mapped


def _stamps(**fields: Any) -> dict[str, Any]:
    return {"created_at": Time("create_date"), "updated_at": Time("write_date"), **fields}


LOCATIONS = EntityMap(
    "Location",
    remote_id="id",
    display="complete_name",
    fields={
        "name": "name",
        "code": Text("barcode"),
        "type": Enum("usage", {"view": "AREA", "internal": "STORAGE"}, default="OTHER"),
        "parent": Many2one("location_id"),
    },
    **_stamps(),
)

ASSETS = EntityMap(
    "Asset",
    remote_id="id",
    display="name",
    fields={
        "name": "name",
        "code": Text("code"),
        "description": Text("note"),
        "category": Many2oneName("category_id"),
        "manufacturer": Many2oneName("partner_id"),
        "model": Text("model"),
        "serialNumber": Text("serial_no"),
    },
    **_stamps(),
)

# The Maintenance app's stages (its data file maintenance_data.xml); a database may rename or add
# stages, which read as OPEN unless they are `done` stages.
STAGES = {"New Request": "OPEN", "In Progress": "IN_PROGRESS", "Repaired": "COMPLETED", "Scrap": "CANCELLED"}
PRIORITY = Enum("priority", {"0": "NONE", "1": "LOW", "2": "MEDIUM", "3": "HIGH"})
KIND = Enum("maintenance_type", {"corrective": "CORRECTIVE", "preventive": "PREVENTIVE"}, default="OTHER")

WORK_ORDERS = EntityMap(
    "WorkOrder",
    remote_id="id",
    display="name",
    fields={
        "title": "name",
        "description": Text("description"),
        "status": NamedEnum("stage_id", STAGES, default="OPEN"),
        "priority": PRIORITY,
        "type": KIND,
        "dueDate": Time("schedule_date"),
        "completedAt": Time("close_date"),
        "estimatedHours": Amount("duration"),
        "asset": Many2one("equipment_id"),
        "assignees": Compute(lambda r: [str(r["user_id"][0])] if isinstance(r.get("user_id"), list) else []),
        "requestedBy": Many2one("owner_user_id"),
    },
    **_stamps(),
)


def _id(value: Any) -> int:
    return int(value)


WORK_ORDER_WRITES = WriteMap(
    "Odoo",
    "WorkOrder",
    {
        "title": To("name"),
        "description": To("description"),
        "priority": enum_writer(PRIORITY),
        "type": enum_writer(KIND),
        "dueDate": To("schedule_date", format_time),
        "estimatedHours": To("duration", float),
        "asset": To("equipment_id", _id),
        "requestedBy": To("owner_user_id", _id),
    },
    required=("title",),
)

PARTS = EntityMap(
    "Part",
    remote_id="id",
    display="display_name",
    fields={
        "partNumber": Text("default_code"),
        "name": "name",
        "description": Text("description_purchase"),
        "unitOfMeasure": Many2oneName("uom_id"),
        "unitCost": Amount("standard_price"),
        "quantityOnHand": Amount("qty_available"),
    },
    **_stamps(),
)

VENDORS = EntityMap(
    "Vendor",
    remote_id="id",
    display="name",
    fields={
        "name": "name",
        "code": Text("ref"),
        "email": Text("email"),
        "phone": Text("phone"),
        "website": Text("website"),
        "address": Compute(lambda r: (present(r.get("contact_address")) or "").strip() or None),
        "active": "active",
    },
    **_stamps(),
)

# A vendor made here is a partner bought from: Odoo lists as vendors the partners with a supplier rank.
VENDOR_WRITES = WriteMap(
    "Odoo",
    "Vendor",
    {
        "name": To("name"),
        "code": To("ref"),
        "email": To("email"),
        "phone": To("phone"),
        "website": To("website"),
        "active": To("active", bool),
    },
    required=("name",),
    defaults={"supplier_rank": 1},
)

PO_STATUS = {
    "draft": "DRAFT",
    "sent": "SUBMITTED",
    "to approve": "SUBMITTED",
    "purchase": "APPROVED",
    "done": "CLOSED",
    "cancel": "CANCELLED",
}


def _lines(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "lineNumber": n,
            "description": present(line.get("name")),
            "quantity": Amount("product_qty").extract(line),
            "unitOfMeasure": Many2oneName("product_uom").extract(line),
            "unitPrice": Amount("price_unit").extract(line),
            "amount": Amount("price_subtotal").extract(line),
            "receivedQuantity": Amount("qty_received").extract(line),
            "part": Many2one("product_id").extract(line),
        }
        for n, line in enumerate(row.get("order_line.") or [], start=1)
    ]


PURCHASE_ORDERS = EntityMap(
    "PurchaseOrder",
    remote_id="id",
    display="name",
    fields={
        "number": "name",
        "status": Enum("state", PO_STATUS),
        "orderDate": Time("date_order"),
        "expectedDate": Time("date_planned"),
        "currency": Many2oneName("currency_id"),
        "totalAmount": Amount("amount_total"),
        "vendor": Many2one("partner_id"),
        "lines": Compute(_lines),
    },
    **_stamps(),
)

USERS = EntityMap(
    "User",
    remote_id="id",
    display="name",
    fields={"name": "name", "email": Text("email"), "active": "active"},
    **_stamps(),
)

MODELS = (
    Model(
        LOCATIONS,
        "stock.location",
        ("name", "complete_name", "barcode", "usage", "location_id", *STAMPS),
        status_field="type",
        status_remote="usage",
    ),
    Model(
        ASSETS,
        "maintenance.equipment",
        ("name", "code", "note", "category_id", "partner_id", "model", "serial_no", *STAMPS),
    ),
    Model(
        WORK_ORDERS,
        "maintenance.request",
        (
            "name",
            "description",
            "stage_id",
            "priority",
            "maintenance_type",
            "schedule_date",
            "close_date",
            "duration",
            "equipment_id",
            "user_id",
            "owner_user_id",
            *STAMPS,
        ),
        status_field="status",
        status_remote="stage_id.name",
        writes=WORK_ORDER_WRITES,
    ),
    Model(
        PARTS,
        "product.product",
        ("default_code", "name", "display_name", "description_purchase", "uom_id", "standard_price", "qty_available")
        + STAMPS,
    ),
    Model(
        VENDORS,
        "res.partner",
        ("name", "ref", "email", "phone", "website", "contact_address", "active", *STAMPS),
        domain=(["supplier_rank", ">", 0],),
        context=ARCHIVED_TOO,
        writes=VENDOR_WRITES,
    ),
    Model(
        PURCHASE_ORDERS,
        "purchase.order",
        ("name", "state", "date_order", "date_planned", "currency_id", "amount_total", "partner_id", *STAMPS),
        status_field="status",
        status_remote="state",
    ),
    Model(USERS, "res.users", ("name", "login", "email", "active", *STAMPS), context=ARCHIVED_TOO),
)

LINE_FIELDS = [
    "order_id",
    "sequence",
    "product_id",
    "name",
    "product_qty",
    "product_uom",
    "price_unit",
    "price_subtotal",
    "qty_received",
]
# fields_get types a custom field can take, as the unified scalar they read as.
SCALARS = {"char": "String", "text": "String", "selection": "Enum", "integer": "Int", "float": "Float"}
SCALARS |= {"monetary": "Float", "boolean": "Boolean", "date": "DateTime", "datetime": "DateTime"}


class OdooConnector(ModelRpcConnector):
    entry = ENTRY
    id_pattern = (r"[0-9]{1,18}", "integers")
    models = MODELS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.http = UpstreamClient(self.base_url, system=self.entry.name, policy=self.policy)
        self._uid: int | None = None
        self._login_lock = asyncio.Lock()

    def format_time(self, value: datetime) -> Any:
        return format_time(value)

    # -- transport ----------------------------------------------------------

    async def login(self) -> int:
        """`common.authenticate`: the user id, or `false` for a wrong login, password or API key."""
        creds = self.config.credentials
        args = [creds.get("database", ""), creds.get("username", ""), creds.get("password", ""), {}]
        uid = await rpc(self.http, self.entry.name, "common", "authenticate", args, idempotent=True)
        if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
            raise SystemAuthFailed("Odoo rejected the login: wrong login, password or API key")
        return uid

    async def _user(self) -> int:
        async with self._login_lock:
            if self._uid is None:
                self._uid = await self.login()
            return self._uid

    async def execute(
        self, model: str, method: str, args: list[Any], kwargs: Mapping[str, Any], idempotent: bool = True
    ) -> Any:
        """`object.execute_kw` as the connection's user. There is no session to renew: a refused key stays
        refused, so the user id is forgotten (the next call authenticates again) and the refusal raised."""
        creds = self.config.credentials
        uid = await self._user()
        call = [creds.get("database", ""), uid, creds.get("password", ""), model, method, args, dict(kwargs)]
        try:
            return await rpc(self.http, self.entry.name, "object", "execute_kw", call, idempotent)
        except SystemAuthFailed:
            async with self._login_lock:
                self._uid = None
            raise

    async def search_read(
        self, model: Model, domain: Domain, offset: int, limit: int | None, context: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"fields": self.read_fields(model), "offset": offset, "order": "id asc"}
        if limit is not None:
            kwargs["limit"] = limit
        rows = await self.execute(model.model, "search_read", [domain], {**kwargs, "context": dict(context)})
        return _rows(rows, model.model)

    async def search_count(self, model: Model, domain: Domain, context: Mapping[str, Any]) -> int | None:
        counted = await self.execute(model.model, "search_count", [domain], {"context": dict(context)})
        if not isinstance(counted, int) or isinstance(counted, bool):
            raise SystemRejected(f"Odoo sent no count for {model.model}")
        return counted

    async def fetch_many(self, entity: str, remote_ids: list[str]) -> list[Record]:
        """One `read` of every id: ids that no longer exist are left out, archived records are read."""
        model = self.model(entity)
        ids = sorted({int(i) for i in remote_ids if i.isdigit()})
        if not ids:
            return []
        rows = await self.execute(model.model, "read", [ids], {"fields": self.read_fields(model)})
        return await self.records(model, _rows(rows, model.model))

    async def passthrough(self, request: RawRequest) -> RawResponse:
        """A raw `object.execute_kw` at `/jsonrpc`: the caller's JSON-RPC body with `args` from the model on
        (`[model, method, args, kwargs]`); the database, user id and password or key go in front here, so the
        caller never holds them (and the connection's secrets are redacted from the answer)."""
        if request.method != "POST" or request.path != PATH:
            raise BadUserInput(f"Odoo's external API is POST {PATH}", field="input.path")
        body = _json_object(request.body)
        params = body.get("params")
        if not isinstance(params, dict) or (params.get("service"), params.get("method")) != ("object", "execute_kw"):
            raise BadUserInput(
                'send {"params": {"service": "object", "method": "execute_kw", "args": [model, method, args, '
                "kwargs]}}: the login is added here",
                field="input.body",
            )
        if not isinstance(params.get("args"), list):
            raise BadUserInput("params.args must be a list", field="input.body")
        creds = self.config.credentials
        login = [creds.get("database", ""), await self._user(), creds.get("password", "")]
        sent = {**body, "params": {**params, "args": [*login, *params["args"]]}}

        async def no_headers() -> dict[str, str]:
            return {}

        return await exchange(
            self.http, request.url(self.instance_root), replace(request, body=json.dumps(sent).encode()), no_headers
        )

    # -- per-page joins -----------------------------------------------------

    async def enrich(self, model: Model, rows: list[dict[str, Any]]) -> None:
        """A page's purchase lines in one call, under `order_line.`."""
        if model.entity != "PurchaseOrder":
            return
        ids = [r["id"] for r in rows]
        kwargs = {"fields": LINE_FIELDS, "order": "order_id asc, sequence asc, id asc"}
        lines = _rows(await self.execute("purchase.order.line", "search_read", [[["order_id", "in", ids]]], kwargs), "")
        by_order: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for line in lines:
            by_order[line["order_id"][0]].append(line)
        for row in rows:
            row["order_line."] = by_order.get(row["id"], [])

    # -- writes -------------------------------------------------------------

    async def create(self, entity: str, values: dict[str, Any], options: Mapping[str, str] | None = None) -> Record:
        model = self.model(entity)
        payload = self.write_payload("create", entity, values)
        new_id = await self.execute(model.model, "create", [payload], {}, idempotent=False)
        if not isinstance(new_id, int) or isinstance(new_id, bool):
            raise SystemRejected(f"Odoo did not return the id of the new {model.model}")
        return await self._read_back(entity, str(new_id))

    async def update(
        self,
        entity: str,
        remote_id: str,
        values: dict[str, Any],
        if_match: str | None,
        options: Mapping[str, str] | None = None,
    ) -> Record:
        model = self.model(entity)
        payload = self.write_payload("update", entity, values)
        await self.current_version(entity, remote_id, if_match, must_exist=True)
        await self.execute(model.model, "write", [[int(remote_id)], payload], {}, idempotent=False)
        return await self._read_back(entity, remote_id)

    async def delete(self, entity: str, remote_id: str, if_match: str | None) -> None:
        model = self.model(entity)
        await self.current_version(entity, remote_id, if_match, must_exist=True)
        await self.execute(model.model, "unlink", [[int(remote_id)]], {}, idempotent=False)

    async def _read_back(self, entity: str, remote_id: str) -> Record:
        found = await self.fetch_many(entity, [remote_id])
        if not found:
            raise NotFound(f"Odoo has no {entity} {remote_id}")
        return found[0]

    # -- customization ------------------------------------------------------

    async def discover_fields(self, entity: str) -> list[FieldCandidate]:
        """The model's own description (`fields_get`): stored scalar fields not mapped already."""
        model = self.model(entity)
        described = await self.execute(
            model.model, "fields_get", [], {"attributes": ["string", "type", "readonly", "store", "selection"]}
        )
        mapped = {*model.fields, *model.mapping.paths()}
        found = []
        for name, info in sorted((described or {}).items()):
            kind = SCALARS.get(info.get("type"))
            if kind is None or name in mapped or not info.get("store", True):
                continue
            choices = tuple(str(c[0]) for c in info.get("selection") or []) if kind == "Enum" else ()
            writable = model.writes is not None and not info.get("readonly")
            label = str(info.get("string") or name)
            found.append(FieldCandidate(entity, name, graphql_name(name), kind, label, True, writable, choices))
        return found

    def custom_value(self, raw: Any, custom: CustomField) -> Any:
        """Odoo's `false` is an empty value, except in a boolean field."""
        value = dig(raw, custom.remote_path)
        return coerce(value if custom.type == "Boolean" else present(value), custom.type)

    async def aclose(self) -> None:
        await self.http.aclose()


def _json_object(body: bytes | None) -> dict[str, Any]:
    try:
        value = json.loads(body or b"null")
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise BadUserInput("the body must be a JSON-RPC request object", field="input.body")
    return value


def _rows(rows: Any, model: str) -> list[dict[str, Any]]:
    if not isinstance(rows, list):
        raise SystemRejected(f"Odoo sent no list for {model or 'the lines'}")
    return rows


CONNECTOR = OdooConnector
