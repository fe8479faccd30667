"""The sandbox's own entity model of the SAP services it imitates, and the EDMX made from it.

A subset of the real services (see `tests/test_sap_fidelity.py`, which checks
every set, key, property type and navigation here against SAP's published
`$metadata`): the properties the connector reads and a few more. The sandbox
serializes rows, validates `$filter`/`$select`/`$expand` and generates its
`$metadata` from these declarations, so the three cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import quoteattr


@dataclass(frozen=True)
class Prop:
    name: str
    type: str
    max_length: int | None = None
    nullable: bool = True
    filterable: bool = True
    precision: int | None = None
    scale: int | None = None


@dataclass(frozen=True)
class Nav:
    """A navigation property: rows of `target` whose `on` properties equal this row's."""

    name: str
    target: str
    on: tuple[str, ...]
    many: bool = True


@dataclass(frozen=True)
class EntitySet:
    name: str
    type_name: str
    keys: tuple[str, ...]
    props: tuple[Prop, ...]
    navs: tuple[Nav, ...] = ()

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


def s(name: str, max_length: int | None = None, **kw: bool) -> Prop:
    return Prop(name, "Edm.String", max_length, **kw)


def key(name: str, max_length: int) -> Prop:
    return Prop(name, "Edm.String", max_length, nullable=False)


def date(name: str, **kw: bool) -> Prop:
    return Prop(name, "Edm.DateTime", **kw)


def stamp(name: str) -> Prop:
    return Prop(name, "Edm.DateTimeOffset")


def time(name: str) -> Prop:
    return Prop(name, "Edm.Time")


def dec(name: str, precision: int, scale: int) -> Prop:
    return Prop(name, "Edm.Decimal", precision=precision, scale=scale)


def flag(name: str) -> Prop:
    return Prop(name, "Edm.Boolean")


MAINTENANCE_ORDER = EntitySet(
    "MaintenanceOrder",
    "MaintenanceOrderType",
    ("MaintenanceOrder",),
    (
        key("MaintenanceOrder", 12),
        s("MaintenanceOrderType", 4),
        s("MaintenanceOrderDesc", 40),
        stamp("MaintOrdBasicStartDateTime"),
        stamp("MaintOrdBasicEndDateTime"),
        s("MaintenanceNotification", 12),
        s("MaintenancePlanningPlant", 4),
        s("MaintenancePlant", 4),
        s("MainWorkCenter", 8),
        s("Equipment", 18),
        s("FunctionalLocation", 30),
        s("MaintenanceActivityType", 3),
        s("MaintPriority", 1),
        s("MaintOrdPersonResponsible", 12),
        stamp("LastChangeDateTime"),
        s("CreatedByUser", 12),
        s("SystemStatusText", 40, filterable=False),
        s("UserStatusText", 40, filterable=False),
        s("TechnicalObject", 40),
        s("TechObjIsEquipOrFuncnlLoc", 20),
    ),
)

MAINTENANCE_NOTIFICATION = EntitySet(
    "MaintenanceNotification",
    "MaintenanceNotificationType",
    ("MaintenanceNotification",),
    (
        key("MaintenanceNotification", 12),
        Prop("NotificationText", "Edm.String", 40, nullable=False),
        s("MaintPriority", 1),
        s("NotificationType", 2),
        s("NotifProcessingPhase", 1),
        s("NotifProcessingPhaseDesc", 60),
        date("CreationDate"),
        time("CreationTime"),
        stamp("LastChangeDateTime"),
        s("ReportedByUser", 12),
        s("MaintNotificationLongText"),
        date("RequiredEndDate"),
        flag("MaintenanceObjectIsDown"),
        s("TechnicalObject", 40),
        s("TechObjIsEquipOrFuncnlLoc", 20),
        s("MaintenancePlanningPlant", 4),
        s("FunctionalLocation", 30),
        s("MaintenanceOrder", 12),
    ),
)

EQUIPMENT = EntitySet(
    "Equipment",
    "EquipmentType",
    ("Equipment", "ValidityEndDate"),
    (
        key("Equipment", 18),
        Prop("ValidityEndDate", "Edm.DateTime", nullable=False),
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
        s("FunctionalLocation", 30),
        s("SuperordinateEquipment", 18),
        s("TechnicalObjectSortCode", 25),
        date("CreationDate"),
        stamp("LastChangeDateTime"),
        flag("EquipmentIsMarkedForDeletion"),
        flag("EquipmentIsInactive"),
    ),
)

FUNCTIONAL_LOCATION = EntitySet(
    "FunctionalLocation",
    "FunctionalLocationType",
    ("FunctionalLocation",),
    (
        key("FunctionalLocation", 30),
        s("FunctionalLocationLabelName", 40),
        s("FunctionalLocationName", 40),
        s("FunctionalLocationCategory", 1),
        s("SuperiorFunctionalLocation", 30),
        s("MaintenancePlant", 4),
        s("CityName", 40),
        s("HouseNumber", 10),
        s("PostalCode", 10),
        s("StreetName", 60),
        s("Country", 3),
        stamp("LastChangeDateTime"),
        flag("FuncnlLocIsMarkedForDeletion"),
        date("CreationDate"),
    ),
)

PURCHASE_ORDER_ITEM = EntitySet(
    "A_PurchaseOrderItem",
    "A_PurchaseOrderItemType",
    ("PurchaseOrder", "PurchaseOrderItem"),
    (
        key("PurchaseOrder", 10),
        key("PurchaseOrderItem", 5),
        s("PurchaseOrderItemText", 40),
        s("Plant", 4),
        s("StorageLocation", 4),
        dec("OrderQuantity", 13, 3),
        s("PurchaseOrderQuantityUnit", 3),
        s("DocumentCurrency", 5),
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
        s("PurchasingDocumentDeletionCode", 1),
        s("PurchasingProcessingStatus", 2),
        s("CreatedByUser", 12),
        date("CreationDate"),
        stamp("LastChangeDateTime"),
        s("Supplier", 10),
        s("PurchasingOrganization", 4),
        s("PurchasingGroup", 3),
        date("PurchaseOrderDate"),
        s("DocumentCurrency", 5),
    ),
    (Nav("to_PurchaseOrderItem", "A_PurchaseOrderItem", ("PurchaseOrder",)),),
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
        date("CreationDate"),
        s("CreatedByUser", 12),
        date("LastChangeDate"),
        stamp("LastChangeDateTime"),
        flag("IsMarkedForDeletion"),
        dec("GrossWeight", 13, 3),
        s("WeightUnit", 3),
        s("ProductGroup", 9),
        s("BaseUnit", 3),
        s("ProductManufacturerNumber", 40),
    ),
    (Nav("to_Description", "A_ProductDescription", ("Product",)),),
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
)

SUPPLIER = EntitySet(
    "A_Supplier",
    "A_SupplierType",
    ("Supplier",),
    (
        key("Supplier", 10),
        s("CreatedByUser", 12),
        date("CreationDate"),
        flag("PaymentIsBlockedForSupplier"),
        flag("PostingIsBlocked"),
        flag("PurchasingIsBlocked"),
        s("SupplierAccountGroup", 4),
        s("SupplierFullName", 220),
        s("SupplierName", 80),
        s("VATRegistration", 20),
        flag("DeletionIndicator"),
    ),
)

SERVICES: dict[str, Service] = {
    service.name: service
    for service in (
        Service("API_MAINTENANCEORDER", "cds_api_maintenanceorder", (MAINTENANCE_ORDER,)),
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
    if not prop.filterable:
        attrs += ' sap:filterable="false"'
    return f"<Property {attrs}/>"


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
        sets.append(f'<EntitySet Name="{entity_set.name}" EntityType="{service.qualified(entity_set)}"/>')
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
