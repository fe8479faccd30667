"""MaintainX (Tier 1 CMMS, cloud): REST v1 with a bearer API key.

Mostly declarations: one stream per resource, opaque-cursor paging (MaintainX's
own `nextCursor`, so live paging is "cursor"; a list carries no total, so `count`
is None: docs/vendors/maintainx.md). The hooks
are the bearer header (plus the optional organization), the `{"errors": [...]}`
message, inclusive time filters re-checked locally, and one call per id
(MaintainX has no by-ids filter). Each stream declares its envelope, named after
its resource.

Writes: create, update and delete per the capability matrix below; ids are
integers on the wire, so relation inputs are checked to be integers before
any call. MaintainX has no ETag: `ifMatch` is compared with the record's
`updatedAt` just before writing. Custom fields are the records' `extraFields`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx

from schema.errors import BadUserInput, SystemAuthFailed
from schema.record import Record

from ..base import TIMES, Filterable, FilterPlan, ListQuery
from ..catalog import CLOUD, Capability, CredentialField, SystemEntry
from ..http import default_error_message
from ..mapping import Compute, Date, Each, EntityMap, Enum, Join, Number, Product, SumOfProducts
from ..rest import CursorPaging, Envelope, RestConnector, Stream
from ..writes import Lines, To, WriteMap, integer_id

PRIORITY = {"NONE": "NONE", "LOW": "LOW", "MEDIUM": "MEDIUM", "HIGH": "HIGH"}
# Work-order categories are free text in MaintainX; the first of its (unverified) defaults that
# names a kind of work sets `type`, any other category gives OTHER, none gives null.
WORK_TYPES = {
    "Preventive": "PREVENTIVE",
    "Inspection": "INSPECTION",
    "Mechanical": "CORRECTIVE",
    "Electrical": "CORRECTIVE",
    "Damage": "CORRECTIVE",
    "Refrigeration": "CORRECTIVE",
}
READ = Capability(read=True, incremental=True)
WRITE = Capability(read=True, incremental=True, create=True, update=True, delete=True)

ENTRY = SystemEntry(
    key="maintainx",
    deletions=(
        "MaintainX removes deleted records: the replica's reconciliation pass marks them `deletedAt` and "
        "leaves them out of default lists (`includeDeleted: true` shows them)."
    ),
    name="MaintainX",
    vendor="MaintainX",
    category="CMMS",
    tier=1,
    hostings=(CLOUD,),
    default_base_url="https://api.getmaintainx.com",
    credential_fields=(
        CredentialField(
            "apiKey",
            "API key",
            "password",
            secret=True,
            help="A MaintainX REST API key (Settings → Integrations → New Key).",
        ),
        CredentialField(
            "organizationId",
            "Organization ID",
            "number",
            required=False,
            help="Only for keys that reach several organizations: the one to read.",
        ),
    ),
    auth_guide=(
        "In MaintainX, an administrator opens Settings → Integrations → New Key, generates a REST "
        "API key and pastes it here. Fill in the organization ID only if the key reaches several "
        "organizations."
    ),
    capabilities={
        "WorkOrder": WRITE,
        "MaintenanceRequest": Capability(read=True, incremental=True, create=True, delete=True),  # decided in the app
        "Asset": WRITE,
        "Location": READ,
        "Part": READ,
        "Vendor": WRITE,
        "PurchaseOrder": Capability(read=True, incremental=True, create=True, update=True),
        "User": READ,
    },
)


def _stamps(**fields: Any) -> dict[str, Any]:
    return {"created_at": Date("createdAt"), "updated_at": Date("updatedAt"), **fields}


def _work_type(r: dict) -> str | None:
    categories = r.get("categories") or []
    if not categories:
        return None
    return next((WORK_TYPES[c] for c in categories if c in WORK_TYPES), "OTHER")


def _joined(r: dict) -> str | None:
    return ", ".join(r.get("categories") or []) or None


def _number(r: dict) -> str | None:
    return None if r.get("sequentialId") is None else str(r["sequentialId"])


def _users(r: dict) -> list[Any]:
    """Assignees that are users (teams have no unified entity)."""
    return [a["id"] for a in r.get("assignees") or [] if a.get("type") == "USER"]


def _stock_total(r: dict, key: str) -> float | None:
    stock = r.get("stock") or []
    return float(sum(s.get(key) or 0 for s in stock)) if stock else None


LOCATIONS = EntityMap(
    "Location",
    remote_id="id",
    display="name",
    fields={"name": "name", "address": "address", "parent": "parentId"},
    **_stamps(),
)

ASSETS = EntityMap(
    "Asset",
    remote_id="id",
    display="name",
    fields={
        "name": "name",
        "code": "barcode",
        "description": "description",
        "status": Enum(
            "status",
            {"ONLINE": "OPERATIONAL", "OFFLINE": "DOWN", "DO_NOT_TRACK": "UNKNOWN"},
            default="UNKNOWN",
        ),
        "category": Compute(lambda r: (r.get("assetTypes") or [None])[0]),
        "manufacturer": "manufacturer",
        "model": "model",
        "serialNumber": "serialNumber",
        "location": "locationId",
        "parent": "parentId",
    },
    **_stamps(),
)

WORK_ORDERS = EntityMap(
    "WorkOrder",
    remote_id="id",
    display=Compute(lambda r: f"#{_number(r)} {r.get('title')}" if _number(r) else r.get("title")),
    fields={
        "number": Compute(_number),
        "title": "title",
        "description": "description",
        "status": Enum(
            "status",
            {"OPEN": "OPEN", "IN_PROGRESS": "IN_PROGRESS", "ON_HOLD": "ON_HOLD", "DONE": "COMPLETED"},
        ),
        "priority": Enum("priority", PRIORITY),
        "type": Compute(_work_type),
        "typeRaw": Compute(_joined),
        "asset": "assetId",
        "location": "locationId",
        "assignees": Compute(_users),
        "requestedBy": "requesterId",
        "dueDate": Date("dueDate"),
        "completedAt": Date("completedAt"),
    },
    **_stamps(),
)

REQUESTS = EntityMap(
    "MaintenanceRequest",
    remote_id="id",
    display="title",
    fields={
        "title": "title",
        "description": "description",
        "status": Enum("status", {"PENDING": "OPEN", "APPROVED": "APPROVED", "DECLINED": "REJECTED"}),
        "priority": Enum("priority", PRIORITY),
        "asset": "assetId",
        "location": "locationId",
        "requestedBy": "requesterId",
        "workOrder": "workOrderId",
    },
    **_stamps(),
)

PARTS = EntityMap(
    "Part",
    remote_id="id",
    display="name",
    fields={
        "partNumber": "partNumber",
        "name": "name",
        "description": "description",
        "unitOfMeasure": "unit",
        "unitCost": Number("unitCost"),
        "quantityOnHand": Compute(lambda r: _stock_total(r, "availableQuantity")),
        "minimumQuantity": Compute(lambda r: _stock_total(r, "minimumQuantity")),
        "stockLevels": Compute(
            lambda r: [
                {"location": s.get("locationId"), "quantity": float(s.get("availableQuantity") or 0)}
                for s in r.get("stock") or []
            ]
        ),
        "vendors": "vendorIds",
    },
    **_stamps(),
)

VENDORS = EntityMap(
    "Vendor",
    remote_id="id",
    display="name",
    fields={
        "name": "name",
        "email": "email",
        "phone": "phoneNumber",
        "address": "address",
        "website": "website",
    },
    **_stamps(),
)

PURCHASE_ORDERS = EntityMap(
    "PurchaseOrder",
    remote_id="id",
    display="number",
    fields={
        "number": "number",
        "vendor": "vendorId",
        "status": Enum(
            "status",
            {
                "REQUESTED": "SUBMITTED",
                "APPROVED": "APPROVED",
                "DECLINED": "CANCELLED",
                "CANCELED": "CANCELLED",
                "PARTIALLY_FULFILLED": "PARTIALLY_RECEIVED",
                "FULFILLED": "RECEIVED",
            },
        ),
        "expectedDate": Date("dueDate"),
        "currency": "currency",
        "totalAmount": SumOfProducts("items", "quantity", "unitCost"),
        "shipTo": "shipToLocationId",
        "lines": Each(
            "items",
            number="lineNumber",
            fields={
                "part": "partId",
                "description": "name",
                "quantity": Number("quantity"),
                "unitPrice": Number("unitCost"),
                "amount": Product("quantity", "unitCost"),
                "receivedQuantity": Number("quantityReceived", default=0.0),
            },
        ),
    },
    **_stamps(),
)

USERS = EntityMap(
    "User",
    remote_id="id",
    display="email",
    fields={
        "name": Join(("firstName", "lastName")),
        "email": "email",
        "role": "role",
        "active": Compute(lambda r: None if r.get("deactivated") is None else not r["deactivated"]),
    },
    **_stamps(),
)


_id = integer_id("MaintainX", "integers")  # a MaintainX id from a remote id given as text


def _ref(path: str) -> To:
    return To(path, _id)


# A work order's kind is its first category MaintainX knows; EMERGENCY has none.
CATEGORY_OF = {"PREVENTIVE": "Preventive", "INSPECTION": "Inspection", "CORRECTIVE": "Mechanical", "OTHER": "Other"}


def _categories(value: str) -> list[str]:
    if value not in CATEGORY_OF:
        raise BadUserInput(f"MaintainX has no work-order category for {value}", field="type")
    return [CATEGORY_OF[value]]


def _writes(read: EntityMap, names: tuple[str, ...], required: tuple[str, ...], **extra: Any) -> WriteMap:
    return WriteMap.inverse("MaintainX", read, names, required, extra)


WORK_ORDER_WRITES = _writes(
    WORK_ORDERS,
    ("title", "description", "status", "priority", "dueDate"),
    ("title",),
    type=To("categories", _categories),
    asset=_ref("assetId"),
    location=_ref("locationId"),
    requestedBy=_ref("requesterId"),
    assignees=To("assignees", lambda ids: [{"type": "USER", "id": _id(i)} for i in ids]),
)
REQUEST_WRITES = _writes(
    REQUESTS,
    ("title", "description", "priority"),
    ("title",),
    asset=_ref("assetId"),
    location=_ref("locationId"),
    requestedBy=_ref("requesterId"),
)
ASSET_WRITES = _writes(
    ASSETS,
    ("name", "code", "description", "status", "manufacturer", "model", "serialNumber"),
    ("name",),
    category=To("assetTypes", lambda c: [c]),
    location=_ref("locationId"),
    parent=_ref("parentId"),
)
VENDOR_WRITES = _writes(VENDORS, ("name", "email", "phone", "address", "website"), ("name",))
PURCHASE_ORDER_WRITES = _writes(
    PURCHASE_ORDERS,
    ("status", "expectedDate", "currency"),
    ("vendor", "lines"),
    vendor=_ref("vendorId"),
    shipTo=_ref("shipToLocationId"),
    lines=Lines(
        "items",
        {
            "part": _ref("partId"),
            "description": "name",
            "quantity": "quantity",
            "unitPrice": "unitCost",
            "receivedQuantity": "quantityReceived",
        },
        required=("part", "quantity", "unitPrice"),
    ),
)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _stream(
    mapping: EntityMap,
    path: str,
    envelope: Envelope,
    status_field: str | None = "status",
    writes: WriteMap | None = None,
) -> Stream:
    """MaintainX filters every resource by time (inclusive `…Gte`), none by status, ids or extra fields;
    it names each envelope after its resource (`{"workOrders": [...]}`, `{"workOrder": {...}}`)."""
    return Stream(
        mapping,
        path,
        status_field=status_field,
        updated_param="updatedAtGte",
        created_param="createdAtGte",
        writes=writes,
        custom_under="extraFields",
        envelope=envelope,
    )


class MaintainXConnector(RestConnector):
    entry = ENTRY
    id_pattern = (r"[0-9]{1,18}", "integers")
    api_prefix = "/v1"
    paging = CursorPaging("cursor", "limit", "nextCursor")
    live_paging = "cursor"
    streams = (
        _stream(WORK_ORDERS, "/workorders", Envelope("workOrders", "workOrder"), writes=WORK_ORDER_WRITES),
        _stream(ASSETS, "/assets", Envelope("assets", "asset"), writes=ASSET_WRITES),
        _stream(LOCATIONS, "/locations", Envelope("locations", "location"), status_field="type"),
        _stream(REQUESTS, "/workrequests", Envelope("workRequests", "workRequest"), writes=REQUEST_WRITES),
        _stream(PARTS, "/parts", Envelope("parts", "part"), status_field=None),
        _stream(VENDORS, "/vendors", Envelope("vendors", "vendor"), status_field=None, writes=VENDOR_WRITES),
        _stream(
            PURCHASE_ORDERS,
            "/purchaseorders",
            Envelope("purchaseOrders", "purchaseOrder"),
            writes=PURCHASE_ORDER_WRITES,
        ),
        _stream(USERS, "/users", Envelope("users", "user"), status_field=None),
    )
    object_paths = ("/meters",)
    object_envelopes = {"/meters": Envelope("meters", "meter")}

    async def auth_headers(self) -> dict[str, str]:
        creds = self.config.credentials
        key = str(creds.get("apiKey") or "").strip()  # pasted keys often carry a newline
        if not key:
            raise SystemAuthFailed("MaintainX needs an API key")
        headers = {"Authorization": f"Bearer {key}"}
        organization = str(creds.get("organizationId") or "").strip()
        if organization:
            headers["x-organization-id"] = organization
        return headers

    def error_message(self, response: httpx.Response) -> str:
        """`{"errors": [{"message": ...}, ...]}`, else whatever the generic reader finds."""
        try:
            body = response.json()
        except ValueError:
            body = None
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, list):
            messages = [e.get("message") for e in errors if isinstance(e, dict)]
            if texts := [m for m in messages if isinstance(m, str)]:
                return "; ".join(texts)
        return default_error_message(response)

    def format_time(self, value: datetime) -> Any:
        return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def filterable(self, stream: Stream) -> Filterable:
        """The `…Gte` filters are inclusive (and millisecond-precise); the unified ones are strict,
        so the bounds pushed down are checked again here."""
        return replace(super().filterable(stream), recheck=frozenset(TIMES))

    def filter_plan(self, stream: Stream, query: ListQuery) -> FilterPlan | None:
        """Bounds in UTC (a bound without offset is UTC), so the re-check compares like with like."""
        query = replace(query, updated_after=_utc(query.updated_after), created_after=_utc(query.created_after))
        return super().filter_plan(stream, query)

    async def fetch_many(self, entity: str, remote_ids: list[str]) -> list[Record]:
        """One `GET /<resource>/{id}` per distinct id; ids that are not integers cannot exist."""
        self.require(entity)
        wanted = [i for i in dict.fromkeys(remote_ids) if i.isascii() and i.isdigit()]
        return await super().fetch_many(entity, wanted) if wanted else []


CONNECTOR = MaintainXConnector
