"""The nine entities of the unified model (PRODUCT.md), declared once."""

from __future__ import annotations

from .model import Component, Embedded, EnumDef, Entity, Field, Relation

LocationType = EnumDef("LocationType", ("SITE", "BUILDING", "AREA", "STORAGE", "OTHER"))
AssetStatus = EnumDef("AssetStatus", ("OPERATIONAL", "DOWN", "IN_REPAIR", "RETIRED", "UNKNOWN"))
WorkOrderStatus = EnumDef(
    "WorkOrderStatus", ("OPEN", "IN_PROGRESS", "ON_HOLD", "COMPLETED", "CANCELLED")
)
Priority = EnumDef("Priority", ("NONE", "LOW", "MEDIUM", "HIGH", "URGENT"))
WorkOrderType = EnumDef(
    "WorkOrderType", ("CORRECTIVE", "PREVENTIVE", "INSPECTION", "EMERGENCY", "OTHER")
)
RequestStatus = EnumDef(
    "MaintenanceRequestStatus", ("OPEN", "APPROVED", "REJECTED", "CONVERTED", "CLOSED")
)
PurchaseOrderStatus = EnumDef(
    "PurchaseOrderStatus",
    (
        "DRAFT",
        "SUBMITTED",
        "APPROVED",
        "PARTIALLY_RECEIVED",
        "RECEIVED",
        "CLOSED",
        "CANCELLED",
    ),
)
IntervalUnit = EnumDef("IntervalUnit", ("HOUR", "DAY", "WEEK", "MONTH", "YEAR", "METER"))

LOCATION = Entity(
    "Location",
    "locations",
    fields=(
        Field("name", "String"),
        Field("code", "String"),
        Field("type", LocationType),
        Field("address", "String"),
    ),
    relations=(Relation("parent", "Location"),),
    status_field="type",
)

ASSET = Entity(
    "Asset",
    "assets",
    writable=True,
    fields=(
        Field("name", "String"),
        Field("code", "String", description="Asset tag or code."),
        Field("description", "String"),
        Field("status", AssetStatus),
        Field("criticality", "String"),
        Field("category", "String"),
        Field("manufacturer", "String"),
        Field("model", "String"),
        Field("serialNumber", "String"),
    ),
    relations=(Relation("location", "Location"), Relation("parent", "Asset")),
)

WORK_ORDER = Entity(
    "WorkOrder",
    "workOrders",
    writable=True,
    fields=(
        Field("number", "String"),
        Field("title", "String"),
        Field("description", "String"),
        Field("status", WorkOrderStatus),
        Field("priority", Priority),
        Field("type", WorkOrderType),
        Field("dueDate", "DateTime"),
        Field("startedAt", "DateTime"),
        Field("completedAt", "DateTime"),
        Field("estimatedHours", "Float"),
        Field("actualHours", "Float"),
    ),
    relations=(
        Relation("asset", "Asset"),
        Relation("location", "Location"),
        Relation("assignees", "User", many=True),
        Relation("requestedBy", "User"),
    ),
)

MAINTENANCE_REQUEST = Entity(
    "MaintenanceRequest",
    "maintenanceRequests",
    writable=True,
    fields=(
        Field("title", "String"),
        Field("description", "String"),
        Field("status", RequestStatus),
        Field("priority", Priority),
    ),
    relations=(
        Relation("asset", "Asset"),
        Relation("location", "Location"),
        Relation("requestedBy", "User"),
        Relation("workOrder", "WorkOrder"),
    ),
)

INTERVAL = Embedded("Interval", fields=(Field("value", "Float"), Field("unit", IntervalUnit)))

MAINTENANCE_SCHEDULE = Entity(
    "MaintenanceSchedule",
    "maintenanceSchedules",
    fields=(
        Field("name", "String"),
        Field("nextDueAt", "DateTime"),
        Field("lastPerformedAt", "DateTime"),
        Field("active", "Boolean"),
    ),
    relations=(Relation("asset", "Asset"), Relation("location", "Location")),
    components=(Component("interval", INTERVAL, many=False),),
    status_field=None,
)

STOCK_LEVEL = Embedded(
    "StockLevel",
    fields=(Field("quantity", "Float"),),
    relations=(Relation("location", "Location"),),
)

PART = Entity(
    "Part",
    "parts",
    fields=(
        Field("partNumber", "String"),
        Field("name", "String"),
        Field("description", "String"),
        Field("unitOfMeasure", "String"),
        Field("unitCost", "Float"),
        Field("quantityOnHand", "Float", read_only=True, description="Change it with adjustPartStock."),
        Field("minimumQuantity", "Float"),
    ),
    relations=(Relation("vendors", "Vendor", many=True),),
    components=(Component("stockLevels", STOCK_LEVEL, writable=False),),
    status_field=None,
)

VENDOR = Entity(
    "Vendor",
    "vendors",
    writable=True,
    fields=(
        Field("name", "String"),
        Field("code", "String"),
        Field("email", "String"),
        Field("phone", "String"),
        Field("address", "String"),
        Field("website", "String"),
        Field("active", "Boolean"),
    ),
    status_field=None,
)

PURCHASE_ORDER_LINE = Embedded(
    "PurchaseOrderLine",
    fields=(
        Field("lineNumber", "Int"),
        Field("description", "String"),
        Field("quantity", "Float"),
        Field("unitOfMeasure", "String"),
        Field("unitPrice", "Float"),
        Field("amount", "Float", read_only=True),
        Field("receivedQuantity", "Float"),
    ),
    relations=(Relation("part", "Part"),),
)

PURCHASE_ORDER = Entity(
    "PurchaseOrder",
    "purchaseOrders",
    writable=True,
    fields=(
        Field("number", "String"),
        Field("status", PurchaseOrderStatus),
        Field("orderDate", "DateTime"),
        Field("expectedDate", "DateTime"),
        Field("currency", "String"),
        Field("totalAmount", "Float", read_only=True),
    ),
    relations=(Relation("vendor", "Vendor"), Relation("shipTo", "Location")),
    components=(Component("lines", PURCHASE_ORDER_LINE),),
)

USER = Entity(
    "User",
    "users",
    fields=(
        Field("name", "String"),
        Field("email", "String"),
        Field("role", "String"),
        Field("active", "Boolean"),
    ),
    status_field=None,
)

ENTITIES: tuple[Entity, ...] = (
    LOCATION,
    ASSET,
    WORK_ORDER,
    MAINTENANCE_REQUEST,
    MAINTENANCE_SCHEDULE,
    PART,
    VENDOR,
    PURCHASE_ORDER,
    USER,
)

BY_NAME: dict[str, Entity] = {e.name: e for e in ENTITIES}


def entity(name: str) -> Entity:
    """Look an entity up by its GraphQL type name."""
    return BY_NAME[name]
