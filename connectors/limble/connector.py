"""Limble CMMS (Tier 1 CMMS, cloud): REST API v2, HTTP Basic with the API client id and secret.

Mostly declarations. Work orders (types 1, 2, 4) and work requests (type 6)
are both `/tasks`, told apart by a `types` filter on every read (the streams'
fixed `params`). Lists are bare arrays (no `list_key`) paged by `page` and
`limit` (the kit's `PagePaging`), resumed after the last rows seen: live paging
is "keyset" while fewer than 20 records before the cursor are deleted between
two pages (and one of the last 5 seen remains), the plain position beyond that;
it relies on lists coming in a stable id order. No list filters by a modified
time, so no entity is incremental: syncs read them whole and `updatedAfter` is
applied here. Dates are epoch seconds, ids integers, 0 meaning none in both.
docs/vendors/limble.md says what is documented and what is not.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from schema.record import Record

from ..catalog import CLOUD, Capability, CredentialField, SystemEntry
from ..mapping import Compute, Each, EntityMap, Enum, IdText, Join, Number, Product, Stamp, SumOfProducts
from ..rest import PagePaging, RestConnector, Stream
from ..writes import To, WriteMap, integer_id

READ = Capability(read=True)
TASKS = Capability(read=True, create=True, update=True, delete=True)
REGIONS = ", ".join(f"https://{r}-api.limblecmms.com" for r in ("ca", "au", "eu", "21cfr"))

ENTRY = SystemEntry(
    key="limble",
    name="Limble CMMS",
    vendor="Limble Solutions",
    category="CMMS",
    tier=1,
    hostings=(CLOUD,),
    default_base_url="https://api.limblecmms.com",
    credential_fields=(
        CredentialField("client_id", "Client ID", "string", help="The clientID of a Limble API key."),
        CredentialField("client_secret", "Client secret", "password", secret=True),
    ),
    auth_guide=(
        "A Limble Super User creates an API key under Settings > Configuration > API Keys and copies its "
        "client ID and client secret (the secret is shown once; 'Refresh' issues new ones). Accounts in Canada, "
        f"Australia, Europe or on 21 CFR give their region's host as the instance URL: {REGIONS}."
    ),
    deletions="Limble removes deleted tasks: the replica's reconciliation pass marks them `deletedAt`.",
    capabilities={
        "WorkOrder": TASKS,
        "MaintenanceRequest": TASKS,
        "Asset": READ,
        "Location": READ,
        "Part": READ,
        "Vendor": READ,
        "PurchaseOrder": READ,
        "User": READ,
    },
)


@dataclass(frozen=True)
class Seconds(Stamp):
    """Epoch seconds, 0 meaning no date (written back as epoch seconds)."""

    style: str = "epoch_s"


IdRef = IdText  # an integer id, 0 meaning none, as the unified model's text id
_id = integer_id("Limble")


PRIORITY = Enum("priority", {0: "LOW", 1: "MEDIUM", 2: "HIGH", 3: "URGENT"})
TASK_FIELDS = {
    "title": "name",
    "description": "description",
    "priority": PRIORITY,
    "asset": IdRef("assetID"),
    "location": IdRef("locationID"),
}
WORK_ORDERS = EntityMap(
    "WorkOrder",
    remote_id="taskID",
    display=Join(("taskID", "name")),
    fields={
        **TASK_FIELDS,
        "number": Compute(lambda r: str(r["taskID"])),
        "status": Enum("statusID", {0: "OPEN", 1: "IN_PROGRESS", 2: "COMPLETED"}),
        "type": Enum("type", {1: "PREVENTIVE", 2: "CORRECTIVE", 4: "OTHER"}),
        "assignees": Compute(lambda r: [str(r["userID"])] if r.get("userID") else []),
        "dueDate": Seconds("due"),
        "completedAt": Seconds("dateCompleted"),
    },
    created_at=Seconds("createdDate"),
    updated_at=Seconds("lastEdited"),
)
REQUESTS = replace(
    WORK_ORDERS,
    entity="MaintenanceRequest",
    display="name",
    fields={**TASK_FIELDS, "status": Enum("statusID", {0: "OPEN", 1: "APPROVED", 2: "CLOSED"})},
)
ASSETS = EntityMap(
    "Asset",
    remote_id="assetID",
    display="name",
    fields={"name": "name", "location": IdRef("locationID"), "parent": IdRef("parentAssetID")},
    created_at=Seconds("startedOn"),
    updated_at=Seconds("lastEdited"),
)
LOCATIONS = EntityMap("Location", remote_id="locationID", display="name", fields={"name": "name", "address": "address"})
PARTS = EntityMap(
    "Part",
    remote_id="partID",
    display="name",
    fields={
        "partNumber": "number",
        "name": "name",
        "unitCost": Number("price"),
        "quantityOnHand": Number("quantity"),
        "minimumQuantity": Number("minThreshold"),
        "stockLevels": Compute(lambda r: [{"location": str(r["locationID"]), "quantity": float(r["quantity"] or 0)}]),
    },
)
VENDORS = EntityMap(
    "Vendor",
    remote_id="vendorID",
    display="name",
    fields={"name": "name", "email": "email", "phone": "phone", "address": "address"},
)
PO_STATES = {0: "DRAFT", 1: "SUBMITTED", 2: "APPROVED", 3: "PARTIALLY_RECEIVED", 4: "RECEIVED", 5: "CLOSED"}
PURCHASE_ORDERS = EntityMap(
    "PurchaseOrder",
    remote_id="poID",
    display="number",
    fields={
        "number": Compute(lambda r: str(r["number"])),
        "vendor": IdRef("vendorID"),
        "status": Enum("state", PO_STATES),
        "orderDate": Seconds("date"),
        "expectedDate": Seconds("expectedDate"),
        "totalAmount": SumOfProducts("items", "qty", "rate"),
        "shipTo": IdRef("locationID"),
        "lines": Each(
            "items",
            number="lineNumber",
            fields={
                "part": IdRef("partID"),
                "quantity": Number("qty"),
                "unitPrice": Number("rate"),
                "amount": Product("qty", "rate"),
                "receivedQuantity": Number("received", default=0.0),
            },
        ),
    },
)
USERS = EntityMap(
    "User", remote_id="userID", display="email", fields={"name": Join(("firstName", "lastName")), "email": "email"}
)


def _task_writes(read: EntityMap, task_type: int, names: tuple[str, ...]) -> WriteMap:
    """Tasks take ids as integers and dates as epoch seconds; a create says which kind of task it is."""
    refs = {"asset": To("assetID", _id), "location": To("locationID", _id)}
    names = ("title", "description", "status", "priority", *names)
    return WriteMap.inverse("Limble", read, names, ("title", "location"), refs, {"type": task_type})


class LimbleConnector(RestConnector):
    entry = ENTRY
    api_prefix = "/v2"
    list_key = item_key = None  # a list is a bare JSON array, a record the bare object
    paging = PagePaging()
    live_paging = "keyset"  # within PagePaging's overlap: see the module docstring
    id_pattern = (r"[0-9]+", "whole numbers")
    streams = (
        Stream(LOCATIONS, "/locations", status_field=None, ids_param="locations"),
        Stream(
            WORK_ORDERS,
            "/tasks",
            ids_param="tasks",
            params={"types": "1,2,4"},
            writes=_task_writes(WORK_ORDERS, 2, ("type", "dueDate")),
        ),
        Stream(REQUESTS, "/tasks", ids_param="tasks", params={"types": "6"}, writes=_task_writes(REQUESTS, 6, ())),
        Stream(ASSETS, "/assets", status_field=None, ids_param="assets"),
        Stream(PARTS, "/parts", status_field=None, ids_param="parts"),
        Stream(VENDORS, "/vendors", status_field=None, ids_param="vendors"),
        Stream(PURCHASE_ORDERS, "/purchase-orders"),
        Stream(USERS, "/users", status_field=None, ids_param="users"),
    )

    async def auth_headers(self) -> dict[str, str]:
        creds = self.config.credentials
        pair = f"{creds.get('client_id', '')}:{creds.get('client_secret', '')}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}

    async def create(self, entity: str, values: dict[str, Any], options: Mapping[str, str] | None = None) -> Record:
        """Limble refuses `statusID` on a create: create the task open, then move it."""
        status = values.get("status")
        created = await super().create(entity, {k: v for k, v in values.items() if k != "status"}, options)
        if status is None or created.values.get("status") == status:
            return created
        return await self.update(entity, created.remote_id, {"status": status}, None, options)


CONNECTOR = LimbleConnector
