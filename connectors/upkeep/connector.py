"""UpKeep (Tier 1 CMMS, cloud): REST v2 with a session token from `POST /auth`.

Mostly declarations: one stream per resource, offset/limit paging, envelope
keys `results`/`result`. The hooks are the session login and epoch-ms filters.

Paging is offset/limit over a list kept in creation order (docs/vendors/upkeep.md),
resumed after the last rows seen (`OffsetPaging`): live paging is "keyset" while
fewer than 20 records before the cursor are deleted between two pages (and one of
the last 5 seen remains); beyond that it degrades to the plain offset. A list
carries no total, so `count` is None.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from schema.errors import NotFound, SystemAuthFailed, SystemRejected
from schema.record import Record

from ..catalog import CLOUD, Capability, CredentialField, SystemEntry
from ..mapping import Compute, Date, Each, EntityMap, Enum, Join, Number, Product, SumOfProducts
from ..rest import OffsetPaging, RestConnector, Stream, record_path
from ..writes import Lines, WriteMap, date_writer

PRIORITY = {0: "NONE", 1: "LOW", 2: "MEDIUM", 3: "HIGH"}
READ = Capability(read=True, incremental=True)
WRITE = Capability(read=True, incremental=True, create=True, update=True, delete=True)

ENTRY = SystemEntry(
    key="upkeep",
    deletions=(
        "UpKeep removes deleted records: the replica's reconciliation pass marks them `deletedAt` and leaves "
        "them out of default lists (`includeDeleted: true` shows them)."
    ),
    name="UpKeep",
    vendor="UpKeep Technologies",
    category="CMMS",
    tier=1,
    hostings=(CLOUD,),
    default_base_url="https://api.onupkeep.com",
    credential_fields=(
        CredentialField("email", "Email", "string", help="The email you sign in to UpKeep with."),
        CredentialField("password", "Password", "password", secret=True),
    ),
    auth_guide=(
        "Use the email and password of an UpKeep account with API access "
        "(an Admin or a user your administrator enabled for the API)."
    ),
    capabilities={
        "WorkOrder": WRITE,
        "MaintenanceRequest": WRITE,
        "Asset": WRITE,
        "Location": READ,
        "Part": Capability(read=True, incremental=True, adjust=True),
        "Vendor": Capability(read=True, incremental=True, create=True, update=True),  # no vendor delete in the API
        "PurchaseOrder": Capability(read=True, incremental=True, create=True, update=True),
        "User": READ,
    },
)


def _stamps(**fields: Any) -> dict[str, Any]:
    return {"created_at": Date("createdAt"), "updated_at": Date("updatedAt"), **fields}


LOCATIONS = EntityMap(
    "Location",
    remote_id="id",
    display="name",
    fields={
        "name": "name",
        "address": "address",
        "parent": "parentLocation",
    },
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
            {"active": "OPERATIONAL", "inactive": "DOWN", "maintenance": "IN_REPAIR", "retired": "RETIRED"},
            default="UNKNOWN",
        ),
        "criticality": "criticality",
        "category": "category",
        "manufacturer": "make",
        "model": "model",
        "serialNumber": "serial",
        "location": "location",
        "parent": "parentAsset",
    },
    **_stamps(),
)

WORK_ORDERS = EntityMap(
    "WorkOrder",
    remote_id="id",
    display=Join(("workOrderNo", "title"), " "),
    fields={
        "number": "workOrderNo",
        "title": "title",
        "description": "description",
        "status": Enum(
            "status",
            {"open": "OPEN", "inProgress": "IN_PROGRESS", "onHold": "ON_HOLD", "complete": "COMPLETED"},
        ),
        "priority": Enum("priority", PRIORITY),
        "type": Enum(
            "category",
            {
                "Preventive": "PREVENTIVE",
                "Inspection": "INSPECTION",
                "Emergency": "EMERGENCY",
                "Damage": "CORRECTIVE",
                "Electrical": "CORRECTIVE",
                "Mechanical": "CORRECTIVE",
            },
            default="OTHER",
        ),
        "asset": "asset",
        "location": "location",
        "assignees": Compute(lambda r: [u for u in [r.get("assignedToUser"), *(r.get("additionalUsers") or [])] if u]),
        "requestedBy": "requestedByUser",
        "dueDate": Date("dueDate"),
        "completedAt": Date("dateCompleted"),
        "estimatedHours": Number("estimatedTime"),
        "actualHours": Number("time"),
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
        "status": Enum("status", {"pending": "OPEN", "approved": "APPROVED", "declined": "REJECTED"}),
        "priority": Enum("priority", PRIORITY),
        "asset": "asset",
        "location": "location",
        "requestedBy": "requestedByUser",
        "workOrder": "workOrder",
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
        "unitCost": Number("cost"),
        "quantityOnHand": Number("quantity"),
        "minimumQuantity": Number("minimumQuantity"),
        "stockLevels": Compute(lambda r: [{"location": r.get("location"), "quantity": float(r.get("quantity") or 0)}]),
        "vendors": "vendors",
    },
    **_stamps(),
)

VENDORS = EntityMap(
    "Vendor",
    remote_id="id",
    display="businessName",
    fields={
        "name": "businessName",
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
    display="purchaseOrderNumber",
    fields={
        "number": "purchaseOrderNumber",
        "vendor": "vendor",
        "status": Enum(
            "status",
            {
                "requested": "SUBMITTED",
                "approved": "APPROVED",
                "declined": "CANCELLED",
                "cancelled": "CANCELLED",
                "partiallyFulfilled": "PARTIALLY_RECEIVED",
                "fulfilled": "RECEIVED",
            },
        ),
        "orderDate": Date("createdAt"),
        "expectedDate": Date("dueDate"),
        "currency": "currency",
        "totalAmount": SumOfProducts("partsOrdered", "quantity", "price"),
        "shipTo": "shipToLocation",
        "lines": Each(
            "partsOrdered",
            number="lineNumber",
            fields={
                "part": "part",
                "quantity": Number("quantity"),
                "unitPrice": Number("price"),
                "amount": Product("quantity", "price"),
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
        "active": "active",
    },
    **_stamps(),
)


class AssigneesWriter:
    """The first assignee is UpKeep's `assignedToUser`, the others `additionalUsers`."""

    def write(self, payload: dict[str, Any], value: list[str] | None) -> None:
        users = list(value or [])
        payload["assignedToUser"] = users[0] if users else None
        payload["additionalUsers"] = users[1:]


def _writes(read: EntityMap, names: tuple[str, ...], required: tuple[str, ...], **extra: Any) -> WriteMap:
    return WriteMap.inverse("UpKeep", read, names, required, extra)


# UpKeep takes dates as epoch milliseconds on writes, though it reads them back as ISO.
WORK_ORDER_WRITES = _writes(
    WORK_ORDERS,
    (
        "title",
        "description",
        "status",
        "priority",
        "type",
        "asset",
        "location",
        "requestedBy",
        "estimatedHours",
        "actualHours",
    ),
    ("title",),
    dueDate=date_writer("dueDate", "epoch_ms"),
    assignees=AssigneesWriter(),
)
REQUEST_WRITES = _writes(
    REQUESTS,
    ("title", "description", "status", "priority", "asset", "location", "requestedBy", "workOrder"),
    ("title",),
)
ASSET_WRITES = _writes(
    ASSETS,
    (
        "name",
        "code",
        "description",
        "status",
        "criticality",
        "category",
        "manufacturer",
        "model",
        "serialNumber",
        "location",
        "parent",
    ),
    ("name",),
)
VENDOR_WRITES = _writes(VENDORS, ("name", "email", "phone", "address", "website"), ("name",))
PURCHASE_ORDER_WRITES = _writes(
    PURCHASE_ORDERS,
    ("vendor", "status", "currency", "shipTo"),
    ("vendor", "lines"),
    expectedDate=date_writer("dueDate", "epoch_ms"),
    lines=Lines(
        "partsOrdered",
        {"part": "part", "quantity": "quantity", "unitPrice": "price", "receivedQuantity": "quantityReceived"},
        required=("part", "quantity", "unitPrice"),
    ),
)


def _stream(
    mapping: EntityMap, path: str, status_field: str | None = "status", writes: WriteMap | None = None
) -> Stream:
    """UpKeep filters every resource by time, and by status where it has one."""
    return Stream(
        mapping,
        path,
        status_field=status_field,
        updated_param="updatedAtGreaterThan",
        created_param="createdAtGreaterThan",
        status_param="status" if status_field == "status" else None,
        writes=writes,
        custom_under="customFields",
    )


class UpKeepConnector(RestConnector):
    entry = ENTRY
    api_prefix = "/api/v2"
    paging = OffsetPaging("offset", "limit")
    live_paging = "keyset"  # within OffsetPaging's overlap: see the module docstring
    list_key = "results"
    item_key = "result"
    streams = (
        _stream(WORK_ORDERS, "/work-orders", writes=WORK_ORDER_WRITES),
        _stream(ASSETS, "/assets", writes=ASSET_WRITES),
        _stream(LOCATIONS, "/locations", status_field="type"),
        _stream(REQUESTS, "/requests", writes=REQUEST_WRITES),
        _stream(PARTS, "/parts", status_field=None),
        _stream(VENDORS, "/vendors", status_field=None, writes=VENDOR_WRITES),
        _stream(PURCHASE_ORDERS, "/purchase-orders", writes=PURCHASE_ORDER_WRITES),
        _stream(USERS, "/users", status_field=None),
    )
    object_paths = ("/meters", "/teams")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session: str | None = None
        self._login_lock = asyncio.Lock()

    def format_time(self, value: datetime) -> Any:
        return int(value.timestamp() * 1000)

    async def login(self) -> str:
        """`POST /auth` with email and password; UpKeep answers 400 on a bad login."""
        creds = self.config.credentials
        body = {"email": creds.get("email"), "password": creds.get("password")}
        try:
            answer = await self.http.json("POST", "/auth", json=body, idempotent=True)
        except SystemRejected as exc:
            raise SystemAuthFailed(f"UpKeep rejected the login: {exc.message.split(': ', 1)[-1]}") from None
        token = (answer.get("result") or {}).get("sessionToken") if isinstance(answer, dict) else None
        if not token:
            raise SystemAuthFailed("UpKeep did not return a session token")
        return token

    async def auth_headers(self) -> dict[str, str]:
        async with self._login_lock:
            if self._session is None:
                self._session = await self.login()
        return {"Session-Token": self._session}

    async def adjust_stock(self, part_id: str, location_id: str | None, delta: float) -> Record:
        """UpKeep keeps one quantity per part (at its location): read it, then write the new total."""
        stream = self.stream("Part")
        found = await self.fetch_many("Part", [part_id])
        if not found:
            raise NotFound(f"UpKeep has no Part {part_id}")
        part = found[0]
        if location_id is not None and location_id != part.remote_data.get("location"):
            raise SystemRejected(f"UpKeep keeps part {part_id} at one location only, not {location_id}")
        quantity = (part.remote_data.get("quantity") or 0) + delta
        if quantity < 0:
            raise SystemRejected(f"UpKeep cannot take stock below zero (on hand {part.remote_data.get('quantity')})")
        body = await self.call("PATCH", record_path(stream.path, part_id), json={"quantity": quantity})
        return self._mapped(stream, body)

    async def on_auth_failure(self) -> bool:
        """A session may expire: log in again once, then give up."""
        async with self._login_lock:
            self._session = None
        return True


CONNECTOR = UpKeepConnector
