"""The sandbox's own entity model of the SAP services it imitates, and the EDMX made from it.

A subset of the real services (see `tests/test_sap_fidelity.py`, which checks
every set, key, property type and navigation here against SAP's published
`$metadata`): the properties the connector reads and a few more. The sandbox
serializes rows, validates `$filter`/`$select`/`$expand` and generates its
`$metadata` from these declarations, so the three cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from xml.sax.saxutils import quoteattr

EXTENSION_PREFIXES = ("YY1_", "ZZ1_")  # customer fields (key user extensibility / custom fields app)


@dataclass(frozen=True)
class Prop:
    name: str
    type: str
    max_length: int | None = None
    nullable: bool = True
    filterable: bool = True
    precision: int | None = None
    scale: int | None = None
    creatable: bool = True
    updatable: bool = True
    label: str = ""

    @property
    def extension(self) -> bool:
        return self.name.startswith(EXTENSION_PREFIXES)


@dataclass(frozen=True)
class Nav:
    """A navigation property: rows of `target` whose `on` properties equal this row's."""

    name: str
    target: str
    on: tuple[str, ...]
    many: bool = True


@dataclass(frozen=True)
class EntitySet:
    """An entity set; `etag` names the property its ETag is computed from (None: no ETag)."""

    name: str
    type_name: str
    keys: tuple[str, ...]
    props: tuple[Prop, ...]
    navs: tuple[Nav, ...] = ()
    creatable: bool = True
    updatable: bool = True
    deletable: bool = True
    etag: str | None = None

    def prop(self, name: str) -> Prop | None:
        return next((p for p in self.props if p.name == name), None)

    def nav(self, name: str) -> Nav | None:
        return next((n for n in self.navs if n.name == name), None)


@dataclass(frozen=True)
class Service:
    name: str
    namespace: str
    sets: tuple[EntitySet, ...]

    def set(self, name: str) -> EntitySet | None:
        return next((s for s in self.sets if s.name == name), None)

    def qualified(self, entity_set: EntitySet) -> str:
        return f"{self.namespace}.{entity_set.type_name}"


def s(name: str, max_length: int | None = None, **kw: Any) -> Prop:
    return Prop(name, "Edm.String", max_length, **kw)


def key(name: str, max_length: int) -> Prop:
    return Prop(name, "Edm.String", max_length, nullable=False)


def date(name: str, **kw: Any) -> Prop:
    return Prop(name, "Edm.DateTime", **kw)


def stamp(name: str) -> Prop:
    return Prop(name, "Edm.DateTimeOffset")


def time(name: str) -> Prop:
    return Prop(name, "Edm.Time")


def dec(name: str, precision: int, scale: int) -> Prop:
    return Prop(name, "Edm.Decimal", precision=precision, scale=scale)


def flag(name: str) -> Prop:
    return Prop(name, "Edm.Boolean")


def computed(prop: Prop) -> Prop:
    """Set by the system: `sap:creatable="false" sap:updatable="false"`."""
    return replace(prop, creatable=False, updatable=False)


def on_create(prop: Prop) -> Prop:
    """Given when the record is made, fixed afterwards: `sap:updatable="false"`."""
    return replace(prop, updatable=False)


def custom(prop: Prop, label: str, **flags: Any) -> Prop:
    """A customer extension field (`YY1_`/`ZZ1_`): not in SAP's published metadata."""
    assert prop.extension, prop.name
    return replace(prop, label=label, **flags)


MAINTENANCE_ORDER = EntitySet(
    "MaintenanceOrder",
    "MaintenanceOrderType",
    ("MaintenanceOrder",),
    (
        on_create(key("MaintenanceOrder", 12)),
        on_create(s("MaintenanceOrderType", 4)),
        s("MaintenanceOrderDesc", 40),
        stamp("MaintOrdBasicStartDateTime"),
        stamp("MaintOrdBasicEndDateTime"),
        s("MaintenanceNotification", 12),
        on_create(s("MaintenancePlanningPlant", 4)),
        on_create(s("MaintenancePlant", 4)),
        s("MainWorkCenter", 8),
        s("Equipment", 18),
        s("FunctionalLocation", 30),
        s("MaintenanceActivityType", 3),
        s("MaintPriority", 1),
        s("MaintOrdPersonResponsible", 12),
        computed(stamp("LastChangeDateTime")),
        computed(s("CreatedByUser", 12)),
        computed(s("SystemStatusText", 40, filterable=False)),
        computed(s("UserStatusText", 40, filterable=False)),
        computed(s("TechnicalObject", 40)),
        computed(s("TechObjIsEquipOrFuncnlLoc", 20)),
        custom(s("YY1_ShiftCode_ORD", 1), "Shift"),
        custom(dec("YY1_DowntimeHours_ORD", 7, 2), "Downtime (hours)", filterable=False),
    ),
    (Nav("to_MaintenanceOrderOperation", "MaintenanceOrderOperation", ("MaintenanceOrder",)),),
    deletable=False,
    etag="LastChangeDateTime",
)

MAINTENANCE_ORDER_OPERATION = EntitySet(
    "MaintenanceOrderOperation",
    "MaintenanceOrderOperationType",
    ("MaintenanceOrder", "MaintenanceOrderOperation", "MaintenanceOrderSubOperation"),
    (
        computed(key("MaintenanceOrder", 12)),
        on_create(key("MaintenanceOrderOperation", 4)),
        on_create(key("MaintenanceOrderSubOperation", 4)),
        s("OperationControlKey", 4),
        s("WorkCenter", 8),
        s("Plant", 4),
        s("OperationDescription", 40),
        dec("MaintOrderOperationDuration", 5, 1),
        s("MaintOrdOperationDurationUnit", 3),
        dec("MaintOrdOperationWorkDuration", 7, 1),
        s("MaintOrdOpWorkDurationUnit", 3),
        computed(s("SystemStatusText", 40, filterable=False)),
    ),
    creatable=False,
)

MAINTENANCE_NOTIFICATION = EntitySet(
    "MaintenanceNotification",
    "MaintenanceNotificationType",
    ("MaintenanceNotification",),
    (
        computed(key("MaintenanceNotification", 12)),
        Prop("NotificationText", "Edm.String", 40, nullable=False),
        s("MaintPriority", 1),
        on_create(s("NotificationType", 2)),
        computed(s("NotifProcessingPhase", 1)),
        computed(s("NotifProcessingPhaseDesc", 60)),
        computed(date("CreationDate")),
        computed(time("CreationTime")),
        computed(stamp("LastChangeDateTime")),
        s("ReportedByUser", 12),
        computed(s("MaintNotificationLongText")),
        s("MaintNotifLongTextForEdit", 1333),
        date("RequiredEndDate"),
        flag("MaintenanceObjectIsDown"),
        s("TechnicalObject", 40),
        s("TechObjIsEquipOrFuncnlLoc", 20),
        s("MaintenancePlanningPlant", 4),
        computed(s("FunctionalLocation", 30)),
        s("MaintenanceOrder", 12),
    ),
    deletable=False,
    etag="LastChangeDateTime",
)

EQUIPMENT = EntitySet(
    "Equipment",
    "EquipmentType",
    ("Equipment", "ValidityEndDate"),
    (
        on_create(key("Equipment", 18)),
        computed(Prop("ValidityEndDate", "Edm.DateTime", nullable=False)),
        date("ValidityStartDate"),
        s("EquipmentName", 40),
        s("EquipmentCategory", 1),
        s("TechnicalObjectType", 10),
        dec("GrossWeight", 13, 3),
        s("GrossWeightUnit", 3),
        s("InventoryNumber", 25),
        s("AssetManufacturerName", 30),
        s("ManufacturerPartTypeName", 20),
        s("ConstructionYear", 4),
        s("ManufacturerSerialNumber", 30),
        s("MaintenancePlant", 4),
        s("ABCIndicator", 1),
        computed(s("FunctionalLocation", 30)),
        s("SuperordinateEquipment", 18),
        s("TechnicalObjectSortCode", 25),
        computed(date("CreationDate")),
        computed(stamp("LastChangeDateTime")),
        computed(flag("EquipmentIsMarkedForDeletion")),
        computed(flag("EquipmentIsInactive")),
        custom(date("ZZ1_WarrantyEnd_EQU"), "Warranty end"),
        custom(dec("ZZ1_RatedPowerKw_EQU", 9, 2), "Rated power (kW)", creatable=False, updatable=False),
    ),
    deletable=False,
    etag="LastChangeDateTime",
)

FUNCTIONAL_LOCATION = EntitySet(
    "FunctionalLocation",
    "FunctionalLocationType",
    ("FunctionalLocation",),
    (
        on_create(key("FunctionalLocation", 30)),
        computed(s("FunctionalLocationLabelName", 40)),
        s("FunctionalLocationName", 40),
        s("FunctionalLocationCategory", 1),
        s("SuperiorFunctionalLocation", 30),
        s("MaintenancePlant", 4),
        s("CityName", 40),
        s("HouseNumber", 10),
        s("PostalCode", 10),
        s("StreetName", 60),
        s("Country", 3),
        computed(stamp("LastChangeDateTime")),
        computed(flag("FuncnlLocIsMarkedForDeletion")),
        computed(date("CreationDate")),
    ),
    deletable=False,
    etag="LastChangeDateTime",
)

PURCHASE_ORDER_ITEM = EntitySet(
    "A_PurchaseOrderItem",
    "A_PurchaseOrderItemType",
    ("PurchaseOrder", "PurchaseOrderItem"),
    (
        key("PurchaseOrder", 10),
        key("PurchaseOrderItem", 5),
        computed(s("PurchasingDocumentDeletionCode", 1)),
        s("PurchaseOrderItemText", 40),
        s("Plant", 4),
        s("StorageLocation", 4),
        dec("OrderQuantity", 13, 3),
        s("PurchaseOrderQuantityUnit", 3),
        computed(s("DocumentCurrency", 5)),
        dec("NetPriceAmount", 12, 3),
        dec("NetPriceQuantity", 5, 0),
        flag("IsCompletelyDelivered"),
        s("Material", 40),
    ),
)

PURCHASE_ORDER = EntitySet(
    "A_PurchaseOrder",
    "A_PurchaseOrderType",
    ("PurchaseOrder",),
    (
        key("PurchaseOrder", 10),
        s("CompanyCode", 4),
        s("PurchaseOrderType", 4),
        computed(s("PurchasingDocumentDeletionCode", 1)),
        computed(s("PurchasingProcessingStatus", 2)),
        computed(s("CreatedByUser", 12)),
        computed(date("CreationDate")),
        computed(stamp("LastChangeDateTime")),
        s("Supplier", 10),
        s("PurchasingOrganization", 4),
        s("PurchasingGroup", 3),
        date("PurchaseOrderDate"),
        s("DocumentCurrency", 5),
    ),
    (Nav("to_PurchaseOrderItem", "A_PurchaseOrderItem", ("PurchaseOrder",)),),
    etag="LastChangeDateTime",
)

PRODUCT_DESCRIPTION = EntitySet(
    "A_ProductDescription",
    "A_ProductDescriptionType",
    ("Product", "Language"),
    (key("Product", 40), key("Language", 2), s("ProductDescription", 40)),
)

PRODUCT = EntitySet(
    "A_Product",
    "A_ProductType",
    ("Product",),
    (
        key("Product", 40),
        s("ProductType", 4),
        computed(date("CreationDate")),
        computed(s("CreatedByUser", 12)),
        computed(date("LastChangeDate")),
        computed(stamp("LastChangeDateTime")),
        flag("IsMarkedForDeletion"),
        dec("GrossWeight", 13, 3),
        s("WeightUnit", 3),
        s("ProductGroup", 9),
        s("BaseUnit", 3),
        s("ProductManufacturerNumber", 40),
    ),
    (Nav("to_Description", "A_ProductDescription", ("Product",)),),
    deletable=False,
    etag="LastChangeDateTime",
)

STOCK_KEYS = (
    ("Material", 40),
    ("Plant", 4),
    ("StorageLocation", 4),
    ("Batch", 10),
    ("Supplier", 10),
    ("Customer", 10),
    ("WBSElementInternalID", 8),
    ("SDDocument", 10),
    ("SDDocumentItem", 6),
    ("InventorySpecialStockType", 1),
    ("InventoryStockType", 2),
)

MATERIAL_STOCK = EntitySet(
    "A_MatlStkInAcctMod",
    "A_MatlStkInAcctModType",
    tuple(name for name, _ in STOCK_KEYS),
    (
        *(key(name, length) for name, length in STOCK_KEYS),
        s("MaterialBaseUnit", 3),
        dec("MatlWrhsStkQtyInMatlBaseUnit", 31, 14),
    ),
    creatable=False,
    updatable=False,
    deletable=False,
)

SUPPLIER = EntitySet(
    "A_Supplier",
    "A_SupplierType",
    ("Supplier",),
    (
        key("Supplier", 10),
        computed(s("CreatedByUser", 12)),
        computed(date("CreationDate")),
        flag("PaymentIsBlockedForSupplier"),
        flag("PostingIsBlocked"),
        flag("PurchasingIsBlocked"),
        s("SupplierAccountGroup", 4),
        computed(s("SupplierFullName", 220)),
        computed(s("SupplierName", 80)),
        s("VATRegistration", 20),
        flag("DeletionIndicator"),
    ),
    creatable=False,
    deletable=False,
)

SERVICES: dict[str, Service] = {
    service.name: service
    for service in (
        Service("API_MAINTENANCEORDER", "cds_api_maintenanceorder", (MAINTENANCE_ORDER, MAINTENANCE_ORDER_OPERATION)),
        Service("API_MAINTNOTIFICATION", "cds_api_maintnotification", (MAINTENANCE_NOTIFICATION,)),
        Service("API_EQUIPMENT", "cds_api_equipment", (EQUIPMENT,)),
        Service("API_FUNCTIONALLOCATION", "cds_api_functionallocation", (FUNCTIONAL_LOCATION,)),
        Service(
            "API_PURCHASEORDER_PROCESS_SRV",
            "API_PURCHASEORDER_PROCESS_SRV",
            (PURCHASE_ORDER, PURCHASE_ORDER_ITEM),
        ),
        Service("API_PRODUCT_SRV", "API_PRODUCT_SRV", (PRODUCT, PRODUCT_DESCRIPTION)),
        Service("API_MATERIAL_STOCK_SRV", "API_MATERIAL_STOCK_SRV", (MATERIAL_STOCK,)),
        Service("API_BUSINESS_PARTNER", "API_BUSINESS_PARTNER", (SUPPLIER,)),
    )
}

EDMX_NS = "http://schemas.microsoft.com/ado/2007/06/edmx"
METADATA_NS = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
SAP_NS = "http://www.sap.com/Protocols/SAPData"
EDM_NS = "http://schemas.microsoft.com/ado/2008/09/edm"


def _property(prop: Prop) -> str:
    attrs = f"Name={quoteattr(prop.name)} Type={quoteattr(prop.type)}"
    if not prop.nullable:
        attrs += ' Nullable="false"'
    if prop.max_length is not None:
        attrs += f' MaxLength="{prop.max_length}"'
    if prop.precision is not None:
        attrs += f' Precision="{prop.precision}" Scale="{prop.scale}"'
    if prop.label:
        attrs += f" sap:label={quoteattr(prop.label)}"
    attrs += _sap_flags(creatable=prop.creatable, updatable=prop.updatable, filterable=prop.filterable)
    return f"<Property {attrs}/>"


def _sap_flags(**flags: bool) -> str:
    """SAP annotates only what is *not* allowed (the default of each flag is true)."""
    return "".join(f' sap:{name}="false"' for name, allowed in flags.items() if not allowed)


def _association(source: EntitySet, nav: Nav) -> str:
    return f"assoc_{source.type_name}_{nav.name}"


def edmx(service: Service) -> str:
    """The service's `$metadata` document (EDMX 1.0, OData 2.0) with SAP's annotations namespace."""
    ns = service.namespace
    types, associations, sets, assoc_sets = [], [], [], []
    for entity_set in service.sets:
        body = ["<Key>", *(f"<PropertyRef Name={quoteattr(k)}/>" for k in entity_set.keys), "</Key>"]
        body += [_property(p) for p in entity_set.props]
        for nav in entity_set.navs:
            name = _association(entity_set, nav)
            target = service.set(nav.target)
            assert target is not None, nav.target
            body.append(
                f'<NavigationProperty Name="{nav.name}" Relationship="{ns}.{name}" '
                f'FromRole="FromRole_{name}" ToRole="ToRole_{name}"/>'
            )
            associations.append(
                f'<Association Name="{name}"><End Type="{service.qualified(entity_set)}" Multiplicity="1" '
                f'Role="FromRole_{name}"/><End Type="{service.qualified(target)}" '
                f'Multiplicity="{"*" if nav.many else "0..1"}" Role="ToRole_{name}"/></Association>'
            )
            assoc_sets.append(
                f'<AssociationSet Name="{name}" Association="{ns}.{name}">'
                f'<End EntitySet="{entity_set.name}" Role="FromRole_{name}"/>'
                f'<End EntitySet="{target.name}" Role="ToRole_{name}"/></AssociationSet>'
            )
        types.append(f'<EntityType Name="{entity_set.type_name}">{"".join(body)}</EntityType>')
        flags = _sap_flags(
            creatable=entity_set.creatable, updatable=entity_set.updatable, deletable=entity_set.deletable
        )
        sets.append(f'<EntitySet Name="{entity_set.name}" EntityType="{service.qualified(entity_set)}"{flags}/>')
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<edmx:Edmx Version="1.0" xmlns:edmx="{EDMX_NS}" xmlns:m="{METADATA_NS}" xmlns:sap="{SAP_NS}">'
        '<edmx:DataServices m:DataServiceVersion="2.0">'
        f'<Schema Namespace="{ns}" xml:lang="en" sap:schema-version="1" xmlns="{EDM_NS}">'
        + "".join(types)
        + "".join(associations)
        + f'<EntityContainer Name="{ns}_Entities" m:IsDefaultEntityContainer="true" '
        'sap:supported-formats="atom json xlsx">'
        + "".join(sets)
        + "".join(assoc_sets)
        + "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>"
    )
