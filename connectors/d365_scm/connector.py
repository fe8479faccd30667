"""Microsoft Dynamics 365 Supply Chain Management, Asset Management (Tier 3 ERP, cloud): OData v4 data entities.

Declarations on the OData kit (`connectors/odata/`): one `EntitySetStream` per unified entity
under the environment's `/data/` service, named as its `$metadata` names them — maintenance assets
(`AssetMaintenanceAssetsV3`), functional locations (locations), work orders
(`AssetMaintenanceWorkOrderTablesV2`, with their jobs expanded: a job names the asset), maintenance
requests (`AssetMaintenanceRequestsV2`), vendors (`VendorsV2`), released products (parts), purchase
orders (`PurchaseOrderHeadersV2` with their lines expanded) and the legal entity's employees (users,
`EmployeesV2`). Records are company-specific: their key is the entity's own id plus `dataAreaId`, the
legal entity the connection names (employees name it in `EmploymentLegalEntityId`). Without
`cross-company=true` a read sees only the login's default company, so every call sends it and every
read filters on the connection's company (a key in URLs names it too). No entity has a modification
time, so each is read whole (no incremental reads). Fetching many records is one multipart `$batch`
of `or`-filtered reads (40 ids each, 100 reads a call). Writes send the `@odata.etag` read as
`If-Match`: assets, vendors, work orders (their header) and maintenance requests are created (in the
connection's company) and changed; purchase orders are created header first, then each line (the
service takes no deep insert), and their header changed.

Login: OAuth 2.0 client credentials of a Microsoft Entra application registered in the environment
(scope `<environment URL>/.default`). See docs/vendors/d365_scm.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx

from schema.errors import BadUserInput
from schema.record import Record

from ..base import ConnectionConfig
from ..catalog import CLOUD, CredentialField, SystemEntry
from ..discovery import FieldCandidate
from ..http import HttpPolicy
from ..mapping import Compute, Each, EntityMap, Enum
from ..oauth import ClientCredentials
from ..odata import ODataConnector
from ..odata.client_v4 import MULTIPART, ODataV4Client
from ..odata.envelope_v4 import etag
from ..odata.query import V4, Query
from ..odata.reader import EntitySetClient
from ..odata.specs import Code, Decimal, ODate, Text
from ..odata.streams import EntitySetStream, capability
from ..odata.values import text
from ..odata.writes import Writes, item_lines, write_map
from ..writes import CREATE, To

AUTHORITY = "https://login.microsoftonline.com"
SCM = "Dynamics 365 Supply Chain Management"
CROSS_COMPANY = {"cross-company": "true"}
COMPANY_OF = {"EmployeesV2": "EmploymentLegalEntityId"}  # sets without `dataAreaId`: what names the company
NO_DATE = "1900-01-01"  # finance and operations apps write an unset date as 1900-01-01T12:00:00Z
VERSION = Compute(etag)


@dataclass(frozen=True)
class AppDate(ODate):
    """An `Edm.DateTimeOffset` where 1900-01-01 means "no date"."""

    def extract(self, raw: Any) -> Any:
        value = raw.get(self.path)
        return None if isinstance(value, str) and value.startswith(NO_DATE) else super().extract(raw)


JOBS = "WorkOrderHeader_MaintenanceWorkOrderJobs"  # a work order's lines (jobs), each on one asset
PO_LINES = "PurchaseOrderLinesV2"  # a purchase order's lines: the navigation and the lines' own entity set


def _record_map(entity: str, key: str, fields: dict[str, Any], display: str) -> EntityMap:
    """A data entity's record: keyed by its id within the company, versioned by its ETag. None of these
    entities carries a modification time, so none has `updatedAt` (each sync reads them whole)."""
    return EntityMap(entity, remote_id=key, display=Text(display), fields=fields, version=VERSION)


def _first_job(name: str) -> Compute:
    """A property of a work order's first job (lowest `LineNumber`): the header names no asset itself."""

    def read(raw: Any) -> str | None:
        jobs = [j for j in raw.get(JOBS) or () if isinstance(j, dict)]
        return text(min(jobs, key=lambda j: j.get("LineNumber") or 0).get(name)) if jobs else None

    return Compute(read)


def _address(raw: Any) -> str | None:
    parts = (text(raw.get(n)) for n in ("AddressStreet", "AddressZipCode", "AddressCity", "AddressCountryRegionId"))
    return ", ".join(p for p in parts if p) or None


# Service levels run 1 (most urgent) to 5; the levels are set up per company (unverified defaults).
PRIORITY = {"1": "URGENT", "2": "HIGH", "3": "MEDIUM", "4": "LOW", "5": "NONE"}


@dataclass(frozen=True)
class Level(Code):
    """`ServiceLevel`, an `Edm.Int32`, read as a priority."""

    def raw(self, raw: Any) -> str | None:
        value = raw.get(self.path)
        return None if value in (None, 0) else str(value)

    def extract(self, raw: Any) -> Any:
        value = self.raw(raw)
        return None if value is None else self.values.get(value, self.default)


@dataclass(frozen=True)
class RequestState(Code):
    """A request's lifecycle state, CONVERTED once a work order was made from it."""

    def extract(self, raw: Any) -> Any:
        return "CONVERTED" if text(raw.get("WorkOrderId")) else super().extract(raw)


@dataclass(frozen=True)
class OrderState(Enum):
    """A purchase order's status (`PurchaseOrderStatus`) while open reads its approval status."""

    def raw(self, raw: Any) -> str | None:
        status = text(raw.get("PurchaseOrderStatus"))
        return text(raw.get("DocumentApprovalStatus")) if status == "Backorder" else status

    def extract(self, raw: Any) -> Any:
        return self.values.get(self.raw(raw) or "", self.default)


ASSETS = _record_map(
    "Asset",
    "MaintenanceAssetId",
    {
        "name": Text("Name"),
        "code": Text("MaintenanceAssetId"),
        "status": Code(
            "MaintenanceAssetLifecycleStateId",
            {"Active": "OPERATIONAL", "Down": "DOWN", "Repair": "IN_REPAIR", "Ended": "RETIRED", "Scrapped": "RETIRED"},
            "UNKNOWN",
        ),
        "category": Text("MaintenanceAssetTypeId"),
        "model": Text("ModelId"),
        "serialNumber": Text("SerialID"),
        "location": Text("FunctionalLocationId"),
        "parent": Text("ParentMaintenanceAssetId"),
    },
    "Name",
)

LOCATIONS = _record_map(
    "Location",
    "FunctionalLocationId",
    {
        "name": Text("Name"),
        "code": Text("FunctionalLocationId"),
        "type": Code(
            "FunctionalLocationTypeId",
            {"Site": "SITE", "Building": "BUILDING", "Area": "AREA", "Storage": "STORAGE"},
            "OTHER",
        ),
        "parent": Text("ParentFunctionalLocationId"),
    },
    "Name",
)

WORK_ORDERS = _record_map(
    "WorkOrder",
    "WorkOrderId",
    {
        "number": Text("WorkOrderId"),
        "title": Text("Description"),
        "status": Code(
            "WorkOrderLifecycleStateId",
            {
                "Created": "OPEN",
                "Scheduled": "OPEN",
                "InProgress": "IN_PROGRESS",
                "OnHold": "ON_HOLD",
                "Completed": "COMPLETED",
                "Ended": "COMPLETED",
                "Cancelled": "CANCELLED",
            },
        ),
        "priority": Level("ServiceLevel", PRIORITY),
        "type": Code(
            "WorkOrderTypeId",
            {
                "Corrective": "CORRECTIVE",
                "Preventive": "PREVENTIVE",
                "Inspection": "INSPECTION",
                "Emergency": "EMERGENCY",
            },
            "OTHER",
        ),
        "dueDate": AppDate("ExpectedEnd"),
        "startedAt": AppDate("ActualStart"),
        "completedAt": AppDate("ActualEnd"),
        "asset": _first_job("MaintenanceAssetId"),
        "location": _first_job("MaintenanceAssetFunctionalLocationId"),
    },
    "Description",
)

REQUESTS = _record_map(
    "MaintenanceRequest",
    "RequestId",
    {
        "title": Text("Description"),
        "status": RequestState(
            "RequestLifecycleStateId",
            {
                "New": "OPEN",
                "InProgress": "APPROVED",
                "Approved": "APPROVED",
                "Rejected": "REJECTED",
                "Closed": "CLOSED",
            },
            "OPEN",
        ),
        "priority": Level("WorkOrderPriority", PRIORITY),
        "asset": Text("MaintenanceAssetId"),
        "location": Text("FunctionalLocationId"),
        "workOrder": Text("WorkOrderId"),
    },
    "Description",
)

VENDORS = _record_map(
    "Vendor",
    "VendorAccountNumber",
    {
        "name": Text("VendorOrganizationName"),
        "code": Text("VendorAccountNumber"),
        "email": Text("PrimaryEmailAddress"),
        "phone": Text("PrimaryPhoneNumber"),
        "website": Text("PrimaryURL"),
        "address": Compute(_address),
        "active": Compute(lambda raw: raw.get("OnHoldStatus") in ("No", "Never")),  # "All" and the rest: on hold
    },
    "VendorOrganizationName",
)

PARTS = _record_map(
    "Part",
    "ItemNumber",
    {
        "partNumber": Text("ItemNumber"),
        "name": Text("SearchName"),
        "unitOfMeasure": Text("InventoryUnitSymbol"),
        "unitCost": Decimal("PurchasePrice"),
    },
    "SearchName",
)

PURCHASE_ORDERS = _record_map(
    "PurchaseOrder",
    "PurchaseOrderNumber",
    {
        "number": Text("PurchaseOrderNumber"),
        "vendor": Text("OrderVendorAccountNumber"),
        "status": OrderState(
            "PurchaseOrderStatus",
            {
                "Draft": "DRAFT",
                "InReview": "SUBMITTED",
                "Approved": "APPROVED",
                "Confirmed": "APPROVED",
                "Rejected": "CANCELLED",
                "Received": "RECEIVED",
                "Invoiced": "CLOSED",
                "Canceled": "CANCELLED",
            },
        ),
        "orderDate": AppDate("AccountingDate"),
        "expectedDate": AppDate("RequestedDeliveryDate"),
        "currency": Text("CurrencyCode"),
        "lines": Each(
            PO_LINES,
            {
                "lineNumber": "LineNumber",
                "part": Text("ItemNumber"),
                "description": Text("LineDescription"),
                "quantity": Decimal("OrderedPurchaseQuantity"),
                "unitOfMeasure": Text("PurchaseUnitSymbol"),
                "unitPrice": Decimal("PurchasePrice"),
                "amount": Decimal("LineAmount"),
            },
        ),
    },
    "PurchaseOrderNumber",
)

ENDLESS = "2154-12-31"  # the service's maximum date: an employment without an end


def _employed(raw: Any) -> bool:
    """Whether the employment has not ended: no end date, the maximum date, or one still ahead."""
    end = AppDate("EmploymentEndDate").extract(raw)
    return end is None or end.date().isoformat() >= ENDLESS or end > datetime.now(UTC)


USERS = _record_map(
    "User",
    "PersonnelNumber",
    {
        "name": Text("Name"),
        "email": Text("PrimaryContactEmail"),
        "role": Text("TitleId"),
        "active": Compute(_employed),
    },
    "Name",
)

# -- writes: what the data entities take ---------------------------------------------------------


def _writes(read: EntityMap, fields: tuple[str, ...], required: tuple[str, ...], **extra: Any) -> Writes:
    """Created (in the connection's company) and changed with the same fields; the id is the system's."""
    return Writes(
        create=write_map(SCM, read, fields, required, extra, dialect=V4),
        update=write_map(SCM, read, fields, extra=extra, dialect=V4),
    )


ON_HOLD = To("OnHoldStatus", lambda active: "No" if active else "All")
ASSET_WRITES = _writes(ASSETS, ("name", "category", "model", "serialNumber", "location"), ("name", "category"))
VENDOR_WRITES = _writes(VENDORS, ("name", "email", "phone", "website"), ("name",), active=ON_HOLD)
WORK_ORDER_WRITES = _writes(WORK_ORDERS, ("title", "type", "dueDate"), ("title",))  # the asset is on its jobs
REQUEST_WRITES = _writes(REQUESTS, ("title", "asset", "location"), ("title",))
# Lines are posted to their own entity set once the header exists (see `create`).
ORDER_LINES = item_lines(
    PO_LINES, "ItemNumber", "LineDescription", "OrderedPurchaseQuantity", "PurchaseUnitSymbol", "PurchasePrice"
)
PO_HEADER = ("vendor", "orderDate", "expectedDate", "currency")
PURCHASE_ORDER_WRITES = Writes(
    create=write_map(SCM, PURCHASE_ORDERS, PO_HEADER, ("vendor",), {"lines": ORDER_LINES}, dialect=V4),
    update=write_map(SCM, PURCHASE_ORDERS, PO_HEADER, dialect=V4),
)


def _stream(mapping: EntityMap, entity_set: str, select: tuple[str, ...], **options: Any) -> EntitySetStream:
    """A data entity keyed by `mapping.remote_id` (and `dataAreaId`, the company), ordered by that id."""
    key = mapping.remote_id
    assert isinstance(key, str), key
    return EntitySetStream(
        mapping,
        "",
        entity_set,
        key=key,
        select=(*select, COMPANY_OF.get(entity_set, "dataAreaId")),
        status_field=options.pop("status_field", None),
        dialect=V4,
        **options,
    )


STREAMS: tuple[EntitySetStream, ...] = (
    _stream(
        ASSETS,
        "AssetMaintenanceAssetsV3",
        (
            "Name",
            "MaintenanceAssetTypeId",
            "MaintenanceAssetLifecycleStateId",
            "ModelId",
            "SerialID",
            "FunctionalLocationId",
            "ParentMaintenanceAssetId",
        ),
        status_field="status",
        status_property="MaintenanceAssetLifecycleStateId",
        writes=ASSET_WRITES,
    ),
    _stream(
        LOCATIONS,
        "AssetMaintenanceFunctionalLocations",
        ("Name", "FunctionalLocationTypeId", "ParentFunctionalLocationId"),
        status_field="type",
        status_property="FunctionalLocationTypeId",
    ),
    _stream(
        WORK_ORDERS,
        "AssetMaintenanceWorkOrderTablesV2",
        (
            "Description",
            "WorkOrderTypeId",
            "WorkOrderLifecycleStateId",
            "ServiceLevel",
            "ExpectedEnd",
            "ActualStart",
            "ActualEnd",
        ),
        expand=(JOBS,),
        status_field="status",
        status_property="WorkOrderLifecycleStateId",
        writes=WORK_ORDER_WRITES,
    ),
    _stream(
        REQUESTS,
        "AssetMaintenanceRequestsV2",
        (
            "Description",
            "RequestLifecycleStateId",
            "WorkOrderPriority",
            "MaintenanceAssetId",
            "FunctionalLocationId",
            "WorkOrderId",
        ),
        status_field="status",
        writes=REQUEST_WRITES,
    ),
    _stream(
        VENDORS,
        "VendorsV2",
        (
            "VendorOrganizationName",
            "PrimaryEmailAddress",
            "PrimaryPhoneNumber",
            "PrimaryURL",
            "AddressStreet",
            "AddressZipCode",
            "AddressCity",
            "AddressCountryRegionId",
            "OnHoldStatus",
        ),
        writes=VENDOR_WRITES,
    ),
    _stream(
        PARTS,
        "ReleasedProductsV2",
        ("SearchName", "InventoryUnitSymbol", "PurchasePrice"),
    ),
    _stream(USERS, "EmployeesV2", ("Name", "PrimaryContactEmail", "TitleId", "EmploymentEndDate")),
    _stream(
        PURCHASE_ORDERS,
        "PurchaseOrderHeadersV2",
        (
            "OrderVendorAccountNumber",
            "PurchaseOrderStatus",
            "DocumentApprovalStatus",
            "AccountingDate",
            "RequestedDeliveryDate",
            "CurrencyCode",
        ),
        expand=(PO_LINES,),
        status_field="status",
        writes=PURCHASE_ORDER_WRITES,
    ),
)

ENTRY = SystemEntry(
    key="d365_scm",
    name="Microsoft Dynamics 365 Supply Chain Management",
    vendor="Microsoft",
    category="ERP",
    tier=3,
    hostings=(CLOUD,),
    credential_fields=(
        CredentialField(
            "dataAreaId",
            "Company (dataAreaId)",
            "string",
            help="The legal entity to read and write, e.g. usmf; an unknown one is refused with the list.",
        ),
        CredentialField("tenantId", "Tenant id", "string", help="The Microsoft Entra tenant of the environment."),
        CredentialField("clientId", "Client id", "string", help="The Entra application's client id."),
        CredentialField("clientSecret", "Client secret", "password", secret=True),
        CredentialField(
            "tokenUrl",
            "Token endpoint",
            "string",
            required=False,
            help=f"Rarely needed: defaults to {AUTHORITY}/<tenant id>/oauth2/v2.0/token; a path is on the instance's host.",
        ),
    ),
    capabilities={s.entity: capability(s) for s in STREAMS},
    deletions=(
        "Nothing is deleted through the connector. Records deleted in Supply Chain Management are gone "
        "and reconciled as deleted (every entity is read whole each sync: none has a change time); a vendor "
        "on hold and an employee whose employment ended read `active: false` without `deletedAt`."
    ),
    auth_guide=(
        "Register an application in Microsoft Entra ID (single tenant) and create a client secret. In "
        "Supply Chain Management, open System administration → Setup → Microsoft Entra applications and add "
        "the client id, mapped to a user whose roles cover Asset Management, vendors, purchasing and workers. Enter the "
        "tenant id, client id and secret; the instance URL is the environment's URL, e.g. "
        "https://contoso.operations.dynamics.com (the token's scope is that URL plus /.default). The company "
        "is the legal entity's dataAreaId (e.g. usmf): a company the environment lacks is refused with the list."
    ),
)


def in_company(stream: EntitySetStream, area: str) -> EntitySetStream:
    """A stream kept to one company: `dataAreaId` in its keys and filters, or for a set shared by every
    company (employees), the legal entity its records name (upper case, as `LegalEntities` names it)."""
    shared = COMPANY_OF.get(stream.entity_set)
    if shared is not None:
        return replace(stream, fixed_filter=f"{shared} eq {V4.literal(area.upper())}")
    return replace(
        stream, extra_keys=f"dataAreaId={V4.literal(area)}", fixed_filter=f"dataAreaId eq {V4.literal(area)}"
    )


class SupplyChainConnector(ODataConnector):
    """The data entities of one legal entity (`dataAreaId`) of a finance and operations environment."""

    entry = ENTRY
    streams = STREAMS

    def __init__(self, config: ConnectionConfig, policy: HttpPolicy | None = None) -> None:
        self.data_area = config.credentials.get("dataAreaId", "").strip().lower()
        self.company = {"dataAreaId": self.data_area}  # named in every create's body
        self.streams = tuple(in_company(s, self.data_area) for s in STREAMS)  # type: ignore[misc]
        super().__init__(config, policy)

    def open_client(self) -> EntitySetClient:
        return ODataV4Client(
            self.base_url + "/data",
            system=self.entry.name,
            auth=self.auth(self.config.credentials),
            policy=self.policy,
            params=CROSS_COMPANY,
            batch=MULTIPART,
        )

    def auth(self, creds: dict[str, str]) -> httpx.Auth:
        """OAuth client credentials for the environment's own resource (`<instance URL>/.default`)."""
        for name in ("tenantId", "clientId", "clientSecret"):
            if not creds.get(name, "").strip() and not (name == "tenantId" and creds.get("tokenUrl")):
                raise BadUserInput(f"{SCM} needs {name}", field=name)
        token_url = creds.get("tokenUrl") or f"{AUTHORITY}/{creds['tenantId'].strip()}/oauth2/v2.0/token"
        if token_url.startswith("/"):  # a path on the instance's own host (as the sandbox serves it)
            token_url = self.base_url.rstrip("/") + token_url
        scope = self.base_url.rstrip("/") + "/.default"
        return ClientCredentials(token_url, creds["clientId"], creds["clientSecret"], scope, system=self.entry.name)

    def _payload(self, stream: EntitySetStream, operation: str, values: dict[str, Any]) -> dict[str, Any]:
        """A create names the company it creates in; without it the service uses the login's default."""
        body = super()._payload(stream, operation, values)
        return {**body, **self.company} if operation == CREATE else body

    async def create(self, entity: str, values: dict[str, Any], options: Mapping[str, str] | None = None) -> Record:
        """The service takes no deep insert: a purchase order's header is posted, then each line to
        `PurchaseOrderLinesV2` under its number; a refused line deletes the header again."""
        stream = self.stream(entity)
        if PO_LINES not in stream.expand:
            return await super().create(entity, values, options)
        body = self._payload(stream, CREATE, values)
        lines = body.pop(PO_LINES, [])
        made = self.odata.entity_of(await self.odata.send("POST", stream.service, stream.entity_set, json=body))
        number = str(made.get(stream.key))
        try:
            for line in lines:
                await self.odata.send(
                    "POST", stream.service, PO_LINES, json={**line, stream.key: number, **self.company}
                )
        except Exception:
            with suppress(Exception):  # the line's refusal is what the caller needs to see
                await self.odata.send("DELETE", stream.service, stream.key_path(number), headers={"If-Match": "*"})
            raise
        return await self._current(stream, number)

    async def check(self) -> None:
        """The company must be one of the environment's legal entities; if not, the error lists them."""
        assert isinstance(self.odata, ODataV4Client)
        body = await self.odata.get_json("LegalEntities", Query(select=("LegalEntityId", "Name")).params())
        rows = body.get("value", []) if isinstance(body, dict) else []
        companies = {str(r.get("LegalEntityId")).lower(): str(r.get("Name")) for r in rows if isinstance(r, dict)}
        if self.data_area not in companies:
            listed = "; ".join(f"{name} ({area})" for area, name in companies.items()) or "none"
            raise BadUserInput(
                f"dataAreaId must be one of this environment's legal entities: {listed}", field="dataAreaId"
            )

    async def discover_fields(self, entity: str) -> list[FieldCandidate]:
        """The entity's properties the mapping does not read, from `/data/$metadata` (read once: it describes
        every public entity, so it is large). Read-only: custom values are written as OData v2 JSON."""
        company = {"dataAreaId", *COMPANY_OF.values()}  # part of every key, pinned by the connection
        return [
            replace(c, writable=False) for c in await super().discover_fields(entity) if c.remote_path not in company
        ]

    async def discover_objects(self) -> list[Any]:
        """None offered: the service has thousands of entity sets, and a custom object would not be kept to
        the connection's company."""
        return []


CONNECTOR = SupplyChainConnector
