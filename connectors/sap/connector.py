"""SAP S/4HANA Cloud and SAP ECC / on-premises (Tier 3 ERP): the same OData v2 services.

Mostly declarations: one `EntitySetStream` per unified entity over SAP's
standard APIs (see `connectors/odata/connector.py` for the protocol). Both systems share
this code; they differ in their catalog entry, and ECC sends `sap-client`.
The one hook is `enrich`: a page of products gets its stock (levels per
plant and storage location, and their sum) from API_MATERIAL_STOCK_SRV in
batched `or` filters (one call per 40 products).

Writes follow what the services' `$metadata` allows (`sap:creatable`,
`sap:updatable`, `sap:deletable`): orders, notifications and equipment are
created and changed, never deleted; purchase orders are created with their
items in one deep insert, changed (header only) and deleted; suppliers are
changed only (creating one is a business partner with roles). A purchase
order needs its company code, purchasing organization and group: write
settings (`writeDefaults`, overridable per mutation), checked before any call;
its create is read back with its items when SAP's answer defers them. Statuses and
stock are not writable here: SAP changes them through function imports and
goods movements (API_MATERIAL_DOCUMENT_SRV), which these services do not cover.

Deletion is a marker, not a removal: a purchase order with deletion code `L`
and a maintenance order with system status DLFL stay listed, CANCELLED, with
`deletedAt` at their last change (SAP keeps no deletion time). Suppliers and
equipment marked for deletion are archive flags: `active: false` / RETIRED,
no `deletedAt`. Every set is ordered by its single key, so pages go by keyset
(see docs/vendors/sap.md).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, ClassVar

from schema.record import Record

from ..base import WriteSetting
from ..batching import chunks
from ..catalog import CLOUD, ON_PREMISES, CredentialField, SystemEntry
from ..mapping import Compute, Each, EntityMap, Enum, Path, dig
from ..odata import ODataConnector
from ..odata.deletion import DeletedAt, DeletionMarker, Marked
from ..odata.query import Query, eq_any
from ..odata.specs import Code, Decimal, ODate, Text
from ..odata.streams import EntitySetStream, capability
from ..odata.values import edm_decimal, parse_decimal, text
from ..odata.writes import Blank, Flags, Writes, write_map
from ..writes import Lines, To, WriteMap, put

PRIORITY = {"1": "URGENT", "2": "HIGH", "3": "MEDIUM", "4": "LOW"}
ORDER_STATUS = {
    "CRTD": "OPEN",
    "REL": "IN_PROGRESS",
    "PCNF": "IN_PROGRESS",
    "CNF": "COMPLETED",
    "TECO": "COMPLETED",
    "CLSD": "COMPLETED",
    "DLFL": "CANCELLED",
}
ORDER_TYPE = {"PM01": "CORRECTIVE", "PM02": "PREVENTIVE", "PM03": "OTHER", "PM05": "INSPECTION"}
NOTIFICATION_PHASE = {"1": "OPEN", "2": "OPEN", "3": "CONVERTED", "4": "CLOSED"}
PO_STATUS = {"01": "DRAFT", "02": "APPROVED", "03": "SUBMITTED", "04": "SUBMITTED", "05": "APPROVED", "08": "CANCELLED"}
DELETION_FLAG = "DLFL"
PO_DELETED = DeletionMarker("PurchasingDocumentDeletionCode", "L", status="CANCELLED")  # 'S' (blocked) is no deletion
EQUIPMENT = "EAMS_EQUI"
FUNCTIONAL_LOCATION = "EAMS_FL"
IN_SERVICE = "ACTIVE"  # statusRaw of equipment neither inactive nor marked for deletion
CURRENT_SEGMENT = "ValidityEndDate eq datetime'9999-12-31T00:00:00'"
ETAG = Path("__metadata.etag")  # remoteVersion: what the client sends back as ifMatch

# -- specs particular to SAP -------------------------------------------------------


def _codes(raw: Any, path: str) -> list[str]:
    return (text(dig(raw, path)) or "").split()


@dataclass(frozen=True)
class MainStatus(Code):
    """A status list such as `"REL MANC NMAT"`: its first code is the main status, unless one of
    `overriding` (the deletion flag) stands anywhere in it; raw keeps the list."""

    overriding: tuple[str, ...] = ()

    def extract(self, raw: Any) -> Any:
        codes = _codes(raw, self.path)
        main = next((c for c in codes if c in self.overriding), codes[0] if codes else None)
        return None if main is None else self.values.get(main, self.default)


def _flagged_for_deletion(raw: Any) -> bool:
    """The order carries the system status DLFL (deletion flag): marked deleted, to be archived."""
    return DELETION_FLAG in _codes(raw, "SystemStatusText")


@dataclass(frozen=True)
class FirstFlag(Enum):
    """The first set boolean among `flags` is the raw value, `unset` when none is set (equipment has
    flags, not a status: API_EQUIPMENT offers no status text)."""

    flags: tuple[str, ...] = ()
    unset: str | None = None

    def raw(self, raw: Any) -> str | None:
        return next((flag for flag in self.flags if dig(raw, flag) is True), self.unset)

    def extract(self, raw: Any) -> Any:
        flag = self.raw(raw)
        return None if flag is None else self.values.get(flag, self.default)


def _object(kind: str, fallback: str | None = None) -> Compute:
    """A notification's technical object, when it is of `kind`."""

    def pick(raw: Any) -> str | None:
        if dig(raw, "TechObjIsEquipOrFuncnlLoc") == kind:
            return text(dig(raw, "TechnicalObject"))
        return text(dig(raw, fallback)) if fallback else None

    return Compute(pick)


def _address(raw: Any) -> str | None:
    def words(*names: str) -> str:
        return " ".join(v for n in names if (v := text(dig(raw, n))))

    parts = [words("StreetName", "HouseNumber"), words("PostalCode", "CityName"), words("Country")]
    return ", ".join(p for p in parts if p) or None


def _description(raw: Any, language: str = "EN") -> str | None:
    rows = dig(raw, "to_Description.results") or []
    chosen = next((r for r in rows if r.get("Language") == language), rows[0] if rows else None)
    return text(chosen.get("ProductDescription")) if chosen else None


def _unit_price(item: Any) -> float | None:
    price, per = parse_decimal(item.get("NetPriceAmount")), parse_decimal(item.get("NetPriceQuantity"))
    return None if price is None else round(price / (per or 1), 6)


def _amount(item: Any) -> float | None:
    price, quantity = _unit_price(item), parse_decimal(item.get("OrderQuantity"))
    return None if price is None or quantity is None else round(price * quantity, 2)


def _total(raw: Any) -> float | None:
    items = dig(raw, "to_PurchaseOrderItem.results")
    if items is None:
        return None
    return round(sum(_amount(i) or 0.0 for i in items), 2)


# -- mappings ---------------------------------------------------------------------------

WORK_ORDERS = EntityMap(
    "WorkOrder",
    remote_id="MaintenanceOrder",
    display=Compute(
        lambda r: " ".join(p for p in (text(r.get("MaintenanceOrder")), text(r.get("MaintenanceOrderDesc"))) if p)
    ),
    fields={
        "number": "MaintenanceOrder",
        "title": Text("MaintenanceOrderDesc"),
        "status": MainStatus("SystemStatusText", ORDER_STATUS, overriding=(DELETION_FLAG,)),
        "priority": Code("MaintPriority", PRIORITY),
        "type": Code("MaintenanceOrderType", ORDER_TYPE, default="OTHER"),
        "asset": Text("Equipment"),
        "location": Text("FunctionalLocation"),
        "dueDate": ODate("MaintOrdBasicEndDateTime"),
        "deletedAt": DeletedAt(_flagged_for_deletion, ODate("LastChangeDateTime")),
    },
    updated_at=ODate("LastChangeDateTime"),
    version=ETAG,
)

REQUESTS = EntityMap(
    "MaintenanceRequest",
    remote_id="MaintenanceNotification",
    display=Text("NotificationText"),
    fields={
        "title": Text("NotificationText"),
        "description": Text("MaintNotificationLongText"),
        "status": Code("NotifProcessingPhase", NOTIFICATION_PHASE),
        "priority": Code("MaintPriority", PRIORITY),
        "asset": _object(EQUIPMENT),
        "location": _object(FUNCTIONAL_LOCATION, fallback="FunctionalLocation"),
        "workOrder": Text("MaintenanceOrder"),
    },
    created_at=ODate("CreationDate", "CreationTime"),
    updated_at=ODate("LastChangeDateTime"),
    version=ETAG,
)

ASSETS = EntityMap(
    "Asset",
    remote_id="Equipment",
    display=Text("EquipmentName"),
    fields={
        "name": Text("EquipmentName"),
        "code": Text("TechnicalObjectSortCode"),
        "status": FirstFlag(
            "EquipmentIsMarkedForDeletion",
            {"EquipmentIsMarkedForDeletion": "RETIRED", "EquipmentIsInactive": "RETIRED", IN_SERVICE: "OPERATIONAL"},
            flags=("EquipmentIsMarkedForDeletion", "EquipmentIsInactive"),
            unset=IN_SERVICE,
        ),
        "criticality": Text("ABCIndicator"),
        "category": Text("TechnicalObjectType"),
        "manufacturer": Text("AssetManufacturerName"),
        "model": Text("ManufacturerPartTypeName"),
        "serialNumber": Text("ManufacturerSerialNumber"),
        "location": Text("FunctionalLocation"),
        "parent": Text("SuperordinateEquipment"),
    },
    created_at=ODate("CreationDate"),
    updated_at=ODate("LastChangeDateTime"),
    version=ETAG,
)

LOCATIONS = EntityMap(
    "Location",
    remote_id="FunctionalLocation",
    display=Text("FunctionalLocationName"),
    fields={
        "name": Text("FunctionalLocationName"),
        "code": Text("FunctionalLocationLabelName"),
        "address": Compute(_address),
        "parent": Text("SuperiorFunctionalLocation"),
    },
    created_at=ODate("CreationDate"),
    updated_at=ODate("LastChangeDateTime"),
    version=ETAG,
)

PURCHASE_ORDERS = EntityMap(
    "PurchaseOrder",
    remote_id="PurchaseOrder",
    display="PurchaseOrder",
    fields={
        "number": "PurchaseOrder",
        "vendor": Text("Supplier"),
        "status": Marked("PurchasingProcessingStatus", PO_STATUS, marker=PO_DELETED),
        "deletedAt": DeletedAt(PO_DELETED.marks, ODate("LastChangeDateTime")),
        "orderDate": ODate("PurchaseOrderDate"),
        "currency": Text("DocumentCurrency"),
        "totalAmount": Compute(_total),
        "lines": Each(
            "to_PurchaseOrderItem.results",
            {
                "lineNumber": Compute(lambda i: int(i["PurchaseOrderItem"])),
                "part": Text("Material"),
                "description": Text("PurchaseOrderItemText"),
                "quantity": Decimal("OrderQuantity"),
                "unitOfMeasure": Text("PurchaseOrderQuantityUnit"),
                "unitPrice": Compute(_unit_price),
                "amount": Compute(_amount),
            },
        ),
    },
    created_at=ODate("CreationDate"),
    updated_at=ODate("LastChangeDateTime"),
    version=ETAG,
)

PARTS = EntityMap(
    "Part",
    remote_id="Product",
    display=Compute(lambda r: _description(r) or r.get("Product")),
    fields={
        "partNumber": "Product",
        "name": Compute(_description),
        "unitOfMeasure": Text("BaseUnit"),
    },
    created_at=ODate("CreationDate"),
    updated_at=ODate("LastChangeDateTime"),
    version=ETAG,
)

VENDORS = EntityMap(
    "Vendor",
    remote_id="Supplier",
    display=Text("SupplierName"),
    fields={
        "name": Text("SupplierName"),
        "code": "Supplier",
        "active": Compute(
            lambda r: not any(r.get(f) for f in ("PurchasingIsBlocked", "PostingIsBlocked", "DeletionIndicator"))
        ),
    },
    created_at=ODate("CreationDate"),
)

# -- writes: what the services take (`sap:creatable` / `sap:updatable` in their $metadata) --

SAP = "SAP"


@dataclass(frozen=True)
class TechnicalObject:
    """A notification's asset or location: both go to one pair of fields, the asset winning."""

    kind: str
    primary: bool
    paths: tuple[str, ...] = ("TechnicalObject", "TechObjIsEquipOrFuncnlLoc")

    def write(self, payload: dict[str, Any], value: Any) -> None:
        if value is None or (not self.primary and payload.get("TechnicalObject")):
            return
        put(payload, "TechnicalObject", value)
        put(payload, "TechObjIsEquipOrFuncnlLoc", self.kind)


ORDER_FIELDS = ("title", "priority", "asset", "location", "dueDate")
WORK_ORDER_WRITES = Writes(  # the order type is fixed once the order exists
    create=write_map(SAP, WORK_ORDERS, (*ORDER_FIELDS, "type"), ("title",), defaults={"MaintenanceOrderType": "PM01"}),
    update=write_map(SAP, WORK_ORDERS, ORDER_FIELDS),
)
REQUEST_EXTRA = {  # the long text is written through its edit field; the object through TechnicalObject
    "description": Blank("MaintNotifLongTextForEdit"),
    "asset": TechnicalObject(EQUIPMENT, primary=True),
    "location": TechnicalObject(FUNCTIONAL_LOCATION, primary=False),
}
REQUEST_WRITES = Writes(
    create=write_map(
        SAP,
        REQUESTS,
        ("title", "priority", "workOrder"),
        ("title",),
        REQUEST_EXTRA,
        defaults={"NotificationType": "M1"},
    ),
    update=write_map(SAP, REQUESTS, ("title", "priority", "workOrder"), extra=REQUEST_EXTRA),
)
ASSET_FIELDS = ("name", "code", "criticality", "category", "manufacturer", "model", "serialNumber", "parent")
ASSET_WRITES = Writes(  # installing at a location is a function import (InstallEquipment), not a field
    create=write_map(SAP, ASSETS, ASSET_FIELDS, ("name",), defaults={"EquipmentCategory": "M"}),
    update=write_map(SAP, ASSETS, ASSET_FIELDS),
)
VENDOR_WRITES = Writes(  # names belong to the business partner; A_Supplier takes the blocks
    update=WriteMap(SAP, "Vendor", {"active": Flags(("PurchasingIsBlocked", "PostingIsBlocked"), negate=True)}),
)
PO_LINES = Lines(
    "to_PurchaseOrderItem.results",
    {
        "lineNumber": To("PurchaseOrderItem", lambda n: f"{int(n):05d}"),
        "part": Blank("Material"),
        "description": Blank("PurchaseOrderItemText"),
        "quantity": To("OrderQuantity", edm_decimal),
        "unitOfMeasure": Blank("PurchaseOrderQuantityUnit"),
        "unitPrice": To("NetPriceAmount", edm_decimal),  # per one unit: the price unit stays 1
    },
    required=("part", "quantity", "unitPrice"),
)
PO_HEADER = ("vendor", "orderDate", "currency")
PO_CONTEXT = {  # write setting -> the A_PurchaseOrder property it fills; SAP refuses a create without them
    "companyCode": "CompanyCode",
    "purchasingOrganization": "PurchasingOrganization",
    "purchasingGroup": "PurchasingGroup",
}
WRITE_SETTINGS = (
    WriteSetting(
        "companyCode", "Company code", "The company code purchase orders are created in (BUKRS).", ("PurchaseOrder",)
    ),
    WriteSetting(
        "purchasingOrganization", "Purchasing organization", "The purchasing organization (EKORG).", ("PurchaseOrder",)
    ),
    WriteSetting(
        "purchasingGroup", "Purchasing group", "The purchasing group, i.e. the buyers (EKGRP).", ("PurchaseOrder",)
    ),
)
PURCHASE_ORDER_WRITES = Writes(  # items only in the deep insert: OData v2 has no deep update
    create=write_map(
        SAP, PURCHASE_ORDERS, PO_HEADER, ("vendor", "lines"), {"lines": PO_LINES}, defaults={"PurchaseOrderType": "NB"}
    ),
    update=write_map(SAP, PURCHASE_ORDERS, PO_HEADER),
    delete=True,
    settings=tuple(PO_CONTEXT.items()),
)

# -- streams: what is read from where ---------------------------------------------------

STREAMS = (
    EntitySetStream(
        WORK_ORDERS,
        "API_MAINTENANCEORDER",
        "MaintenanceOrder",
        key="MaintenanceOrder",
        select=(
            "MaintenanceOrder",
            "MaintenanceOrderType",
            "MaintenanceOrderDesc",
            "MaintOrdBasicStartDateTime",
            "MaintOrdBasicEndDateTime",
            "Equipment",
            "FunctionalLocation",
            "MaintPriority",
            "SystemStatusText",
            "UserStatusText",
            "MaintenancePlant",
            "MainWorkCenter",
            "MaintenanceNotification",
            "LastChangeDateTime",
        ),
        updated_field="LastChangeDateTime",
        writes=WORK_ORDER_WRITES,
    ),
    EntitySetStream(
        REQUESTS,
        "API_MAINTNOTIFICATION",
        "MaintenanceNotification",
        key="MaintenanceNotification",
        select=(
            "MaintenanceNotification",
            "NotificationText",
            "MaintNotificationLongText",
            "NotificationType",
            "NotifProcessingPhase",
            "MaintPriority",
            "TechnicalObject",
            "TechObjIsEquipOrFuncnlLoc",
            "FunctionalLocation",
            "MaintenanceOrder",
            "ReportedByUser",
            "CreationDate",
            "CreationTime",
            "LastChangeDateTime",
        ),
        updated_field="LastChangeDateTime",
        status_property="NotifProcessingPhase",
        writes=REQUEST_WRITES,
    ),
    EntitySetStream(
        ASSETS,
        "API_EQUIPMENT",
        "Equipment",
        key="Equipment",
        select=(
            "Equipment",
            "ValidityEndDate",
            "EquipmentName",
            "TechnicalObjectSortCode",
            "TechnicalObjectType",
            "ABCIndicator",
            "AssetManufacturerName",
            "ManufacturerPartTypeName",
            "ManufacturerSerialNumber",
            "FunctionalLocation",
            "SuperordinateEquipment",
            "MaintenancePlant",
            "EquipmentIsMarkedForDeletion",
            "EquipmentIsInactive",
            "CreationDate",
            "LastChangeDateTime",
        ),
        updated_field="LastChangeDateTime",
        fixed_filter=CURRENT_SEGMENT,
        writes=ASSET_WRITES,
        extra_keys="ValidityEndDate=datetime'9999-12-31T00:00:00'",
    ),
    EntitySetStream(
        LOCATIONS,
        "API_FUNCTIONALLOCATION",
        "FunctionalLocation",
        key="FunctionalLocation",
        select=(
            "FunctionalLocation",
            "FunctionalLocationLabelName",
            "FunctionalLocationName",
            "SuperiorFunctionalLocation",
            "MaintenancePlant",
            "StreetName",
            "HouseNumber",
            "PostalCode",
            "CityName",
            "Country",
            "CreationDate",
            "LastChangeDateTime",
        ),
        updated_field="LastChangeDateTime",
        status_field="type",
    ),
    EntitySetStream(
        PURCHASE_ORDERS,
        "API_PURCHASEORDER_PROCESS_SRV",
        "A_PurchaseOrder",
        key="PurchaseOrder",
        select=(
            "PurchaseOrder",
            "Supplier",
            "PurchasingProcessingStatus",
            "PurchasingDocumentDeletionCode",
            "PurchaseOrderDate",
            "DocumentCurrency",
            "CompanyCode",
            "CreationDate",
            "LastChangeDateTime",
            "to_PurchaseOrderItem",
        ),
        expand=("to_PurchaseOrderItem",),
        updated_field="LastChangeDateTime",
        status_property="PurchasingProcessingStatus",
        writes=PURCHASE_ORDER_WRITES,
        deletion=PO_DELETED,
    ),
    EntitySetStream(
        PARTS,
        "API_PRODUCT_SRV",
        "A_Product",
        key="Product",
        select=("Product", "ProductType", "BaseUnit", "CreationDate", "LastChangeDateTime", "to_Description"),
        expand=("to_Description",),
        updated_field="LastChangeDateTime",
        status_field=None,
    ),
    EntitySetStream(
        VENDORS,
        "API_BUSINESS_PARTNER",
        "A_Supplier",
        key="Supplier",
        select=(
            "Supplier",
            "SupplierName",
            "PurchasingIsBlocked",
            "PostingIsBlocked",
            "DeletionIndicator",
            "CreationDate",
        ),
        status_field=None,
        writes=VENDOR_WRITES,
    ),
)

STOCK_SERVICE = "API_MATERIAL_STOCK_SRV"
STOCK_SET = "A_MatlStkInAcctMod"
STOCK_SELECT = ("Material", "Plant", "StorageLocation", "InventoryStockType", "MatlWrhsStkQtyInMatlBaseUnit")
CHOICE_SAMPLE = 100  # recent purchase orders (one server page) whose organisational values a picker offers

# -- catalog -------------------------------------------------------------------------------


CAPABILITIES = {s.entity: capability(s) for s in STREAMS}  # stock is a goods movement: not adjustable here
PO_STREAM = next(s for s in STREAMS if s.entity == "PurchaseOrder")
LOGIN = (
    CredentialField("username", "User", "string", help="The SAP user the gateway logs on with (Basic auth)."),
    CredentialField("password", "Password", "password", secret=True),
)
DELETIONS = (
    "A purchase order with deletion code `L` and a maintenance order flagged `DLFL` read `CANCELLED` with"
    " `deletedAt` (their last change) and are left out of default lists; a supplier with the deletion "
    "indicator reads `active: false`; records removed are reconciled as deleted."
)
SERVICES_LIST = ", ".join(sorted({s.service for s in STREAMS} | {STOCK_SERVICE}))

S4HANA = SystemEntry(
    key="sap_s4hana",
    name="SAP S/4HANA",
    vendor="SAP",
    category="ERP",
    tier=3,
    hostings=(CLOUD,),
    credential_fields=LOGIN,
    capabilities=CAPABILITIES,
    deletions=DELETIONS,
    auth_guide=(
        "Guidance: an administrator creates a communication user (app Maintain Communication Users), "
        "a communication system for Plantgate that lets this user in with Basic authentication, and "
        f"communication arrangements for the scenarios that expose {SERVICES_LIST} (e.g. SAP_COM_0053 "
        "purchase orders, SAP_COM_0009 products, SAP_COM_0008 business partners, and the Enterprise "
        "Asset Management scenarios for maintenance orders, notifications and technical objects). "
        "The instance URL is the API host, e.g. https://my123456-api.s4hana.cloud.sap."
    ),
)

ECC = SystemEntry(
    key="sap_ecc",
    name="SAP ECC",
    vendor="SAP",
    category="ERP",
    tier=3,
    hostings=(ON_PREMISES,),
    credential_fields=(
        *LOGIN,
        CredentialField("sapClient", "Client", "string", help="The three-digit SAP client, e.g. 100."),
    ),
    capabilities=CAPABILITIES,
    deletions=DELETIONS,
    auth_guide=(
        "Guidance: use a system user of the client you enter, with display authorizations for plant "
        "maintenance, purchasing and materials management (change authorizations too for what the "
        "gateway should write) and S_SERVICE for the OData services. "
        f"The services {SERVICES_LIST} must be activated in transaction /IWFND/MAINT_SERVICE on the "
        "SAP Gateway. The instance URL is the Gateway host, e.g. https://sapgw.example.com:44300."
    ),
)


class SapConnector(ODataConnector):
    """SAP's standard APIs read through OData v2; subclasses only carry the catalog entry."""

    streams = STREAMS
    write_settings = WRITE_SETTINGS
    enriched: ClassVar[dict[str, frozenset[str]]] = {
        "Part": frozenset({"quantityOnHand", "stockLevels", "stockLevels.location", "stockLevels.quantity"})
    }

    async def enrich(self, stream: EntitySetStream, records: list[Record]) -> list[Record]:
        """Products get `stockLevels` per plant and storage location (stock types summed) and
        `quantityOnHand`, their sum, from the same batched stock calls."""
        if stream.entity != "Part" or not records:
            return records

        ids = chunks([r.remote_id for r in records], self.keys_per_call)
        queries = [Query(filter=eq_any("Material", c), select=STOCK_SELECT, orderby=STOCK_SELECT[:4]) for c in ids]
        stock: dict[str, dict[tuple[str, str], float]] = defaultdict(lambda: defaultdict(float))
        for row in await self.odata.collect_all(STOCK_SERVICE, STOCK_SET, queries):
            place = (row.get("Plant") or "", row.get("StorageLocation") or "")
            stock[row["Material"]][place] += parse_decimal(row.get("MatlWrhsStkQtyInMatlBaseUnit")) or 0.0
        for record in records:
            places = stock.get(record.remote_id, {})
            record.values["stockLevels"] = [
                {"location": plant or None, "quantity": quantity} for (plant, _), quantity in sorted(places.items())
            ]
            record.values["quantityOnHand"] = sum(places.values())
        return records

    async def write_setting_choices(self, name: str) -> list[tuple[str, str]]:
        """The values recent purchase orders use: these services expose no value help for the
        organisational units (no company code or purchasing organization set in their `$metadata`)."""
        prop = PO_CONTEXT.get(name)
        if prop is None:
            return []
        query = Query(select=(prop,), orderby=("PurchaseOrder desc",), top=CHOICE_SAMPLE)
        page = await self.odata.collection(PO_STREAM.service, PO_STREAM.entity_set, query)
        values = sorted({v for row in page.results if (v := text(row.get(prop)))})
        return [(value, value) for value in values]


class S4HanaConnector(SapConnector):
    entry = S4HANA


class EccConnector(SapConnector):
    entry = ECC


CONNECTORS = (S4HanaConnector, EccConnector)
