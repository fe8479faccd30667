"""SAP S/4HANA Cloud and SAP ECC / on-premises (Tier 3 ERP): the same OData v2 services.

Mostly declarations: one `EntitySetStream` per unified entity over SAP's
standard APIs (see `connectors/odata.py` for the protocol). Both systems share
this code; they differ in their catalog entry, and ECC sends `sap-client`.
The one hook is `enrich`: a page of products gets its stock from
API_MATERIAL_STOCK_SRV in batched `or` filters (one call per 40 products).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from schema.record import Record

from ..catalog import CLOUD, ON_PREMISES, Capability, CredentialField, SystemEntry
from ..mapping import Compute, Each, EntityMap, Enum, dig
from ..odata import (
    Code,
    Decimal,
    EntitySetStream,
    ODataConnector,
    ODate,
    Query,
    Text,
    chunks,
    eq_any,
    parse_decimal,
    text,
)

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
EQUIPMENT = "EAMS_EQUI"
FUNCTIONAL_LOCATION = "EAMS_FL"
CURRENT_SEGMENT = "ValidityEndDate eq datetime'9999-12-31T00:00:00'"

# -- specs particular to SAP -------------------------------------------------------


@dataclass(frozen=True)
class MainStatus(Code):
    """A status list such as `"REL MANC NMAT"`: its first code is the main status; raw keeps the list."""

    def extract(self, raw: Any) -> Any:
        codes = (text(dig(raw, self.path)) or "").split()
        return self.values.get(codes[0], self.default) if codes else None


@dataclass(frozen=True)
class FirstFlag(Enum):
    """The first set boolean among `flags` is the raw value (equipment has flags, not a status)."""

    flags: tuple[str, ...] = ()

    def raw(self, raw: Any) -> str | None:
        return next((flag for flag in self.flags if dig(raw, flag) is True), None)

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
    display=Compute(lambda r: " ".join(p for p in (text(r.get("MaintenanceOrder")), text(r.get("MaintenanceOrderDesc"))) if p)),
    fields={
        "number": "MaintenanceOrder",
        "title": Text("MaintenanceOrderDesc"),
        "status": MainStatus("SystemStatusText", ORDER_STATUS),
        "priority": Code("MaintPriority", PRIORITY),
        "type": Code("MaintenanceOrderType", ORDER_TYPE, default="OTHER"),
        "asset": Text("Equipment"),
        "location": Text("FunctionalLocation"),
        "dueDate": ODate("MaintOrdBasicEndDateTime"),
    },
    updated_at=ODate("LastChangeDateTime"),
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
            {"EquipmentIsMarkedForDeletion": "RETIRED", "EquipmentIsInactive": "RETIRED"},
            flags=("EquipmentIsMarkedForDeletion", "EquipmentIsInactive"),
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
)

PURCHASE_ORDERS = EntityMap(
    "PurchaseOrder",
    remote_id="PurchaseOrder",
    display="PurchaseOrder",
    fields={
        "number": "PurchaseOrder",
        "vendor": Text("Supplier"),
        "status": Code("PurchasingProcessingStatus", PO_STATUS),
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

# -- streams: what is read from where ---------------------------------------------------

STREAMS = (
    EntitySetStream(
        WORK_ORDERS,
        "API_MAINTENANCEORDER",
        "MaintenanceOrder",
        key="MaintenanceOrder",
        select=(
            "MaintenanceOrder", "MaintenanceOrderType", "MaintenanceOrderDesc", "MaintOrdBasicStartDateTime",
            "MaintOrdBasicEndDateTime", "Equipment", "FunctionalLocation", "MaintPriority", "SystemStatusText",
            "UserStatusText", "MaintenancePlant", "MainWorkCenter", "MaintenanceNotification", "LastChangeDateTime",
        ),
        updated_field="LastChangeDateTime",
    ),
    EntitySetStream(
        REQUESTS,
        "API_MAINTNOTIFICATION",
        "MaintenanceNotification",
        key="MaintenanceNotification",
        select=(
            "MaintenanceNotification", "NotificationText", "MaintNotificationLongText", "NotificationType",
            "NotifProcessingPhase", "MaintPriority", "TechnicalObject", "TechObjIsEquipOrFuncnlLoc",
            "FunctionalLocation", "MaintenanceOrder", "ReportedByUser", "CreationDate", "CreationTime",
            "LastChangeDateTime",
        ),
        updated_field="LastChangeDateTime",
        status_property="NotifProcessingPhase",
    ),
    EntitySetStream(
        ASSETS,
        "API_EQUIPMENT",
        "Equipment",
        key="Equipment",
        select=(
            "Equipment", "ValidityEndDate", "EquipmentName", "TechnicalObjectSortCode", "TechnicalObjectType",
            "ABCIndicator", "AssetManufacturerName", "ManufacturerPartTypeName", "ManufacturerSerialNumber",
            "FunctionalLocation", "SuperordinateEquipment", "MaintenancePlant", "EquipmentIsMarkedForDeletion",
            "EquipmentIsInactive", "CreationDate", "LastChangeDateTime",
        ),
        updated_field="LastChangeDateTime",
        fixed_filter=CURRENT_SEGMENT,
    ),
    EntitySetStream(
        LOCATIONS,
        "API_FUNCTIONALLOCATION",
        "FunctionalLocation",
        key="FunctionalLocation",
        select=(
            "FunctionalLocation", "FunctionalLocationLabelName", "FunctionalLocationName",
            "SuperiorFunctionalLocation", "MaintenancePlant", "StreetName", "HouseNumber", "PostalCode", "CityName",
            "Country", "CreationDate", "LastChangeDateTime",
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
            "PurchaseOrder", "Supplier", "PurchasingProcessingStatus", "PurchasingDocumentDeletionCode",
            "PurchaseOrderDate", "DocumentCurrency", "CompanyCode", "CreationDate", "LastChangeDateTime",
            "to_PurchaseOrderItem",
        ),
        expand=("to_PurchaseOrderItem",),
        updated_field="LastChangeDateTime",
        status_property="PurchasingProcessingStatus",
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
            "Supplier", "SupplierName", "PurchasingIsBlocked", "PostingIsBlocked", "DeletionIndicator", "CreationDate",
        ),
        status_field=None,
    ),
)

STOCK_SERVICE = "API_MATERIAL_STOCK_SRV"
STOCK_SET = "A_MatlStkInAcctMod"
STOCK_SELECT = ("Material", "Plant", "StorageLocation", "InventoryStockType", "MatlWrhsStkQtyInMatlBaseUnit")

# -- catalog -------------------------------------------------------------------------------

CAPABILITIES = {
    s.entity: Capability(read=True, incremental=s.updated_field is not None) for s in STREAMS
}
LOGIN = (
    CredentialField("username", "User", "string", help="The SAP user the gateway logs on with (Basic auth)."),
    CredentialField("password", "Password", "password", secret=True),
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
    auth_guide=(
        "Guidance: use a system user of the client you enter, with display authorizations for plant "
        "maintenance, purchasing and materials management and S_SERVICE for the OData services. "
        f"The services {SERVICES_LIST} must be activated in transaction /IWFND/MAINT_SERVICE on the "
        "SAP Gateway. The instance URL is the Gateway host, e.g. https://sapgw.example.com:44300."
    ),
)


class SapConnector(ODataConnector):
    """SAP's standard APIs read through OData v2; subclasses only carry the catalog entry."""

    streams = STREAMS

    async def enrich(self, stream: EntitySetStream, records: list[Record]) -> list[Record]:
        """Products get `quantityOnHand`: all stock of the material, summed over plants and stock types."""
        if stream.entity != "Part" or not records:
            return records

        async def stock(ids: list[str]) -> list[dict[str, Any]]:
            query = Query(filter=eq_any("Material", ids), select=STOCK_SELECT, orderby=STOCK_SELECT[:4])
            return (await self.odata.collect(STOCK_SERVICE, STOCK_SET, query)).results

        ids = chunks([r.remote_id for r in records], self.keys_per_call)
        quantity: dict[str, float] = defaultdict(float)
        for rows in await asyncio.gather(*(stock(c) for c in ids)):
            for row in rows:
                quantity[row["Material"]] += parse_decimal(row.get("MatlWrhsStkQtyInMatlBaseUnit")) or 0.0
        for record in records:
            record.values["quantityOnHand"] = quantity.get(record.remote_id, 0.0)
        return records


class S4HanaConnector(SapConnector):
    entry = S4HANA


class EccConnector(SapConnector):
    entry = ECC


CONNECTORS = (S4HanaConnector, EccConnector)
