"""The nine entities of the unified model (PRODUCT.md), declared once."""

from __future__ import annotations

from .model import Component, Embedded, Entity, EnumDef, Field, Relation

LocationType = EnumDef(
    "LocationType", ("SITE", "BUILDING", "AREA", "STORAGE", "OTHER"), "What kind of place a location is."
)
AssetStatus = EnumDef(
    "AssetStatus", ("OPERATIONAL", "DOWN", "IN_REPAIR", "RETIRED", "UNKNOWN"), "An asset's condition, normalized."
)
WorkOrderStatus = EnumDef(
    "WorkOrderStatus",
    ("OPEN", "IN_PROGRESS", "ON_HOLD", "COMPLETED", "CANCELLED"),
    "Where a work order stands, normalized.",
)
Priority = EnumDef("Priority", ("NONE", "LOW", "MEDIUM", "HIGH", "URGENT"), "How urgent the work is, normalized.")
WorkOrderType = EnumDef(
    "WorkOrderType",
    ("CORRECTIVE", "PREVENTIVE", "INSPECTION", "EMERGENCY", "OTHER"),
    "Why the work is done, normalized.",
)
RequestStatus = EnumDef(
    "MaintenanceRequestStatus",
    ("OPEN", "APPROVED", "REJECTED", "CONVERTED", "CLOSED"),
    "Where a maintenance request stands, normalized (CONVERTED: a work order was made from it).",
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
    "Where a purchase order stands, normalized.",
)
IntervalUnit = EnumDef(
    "IntervalUnit",
    ("HOUR", "DAY", "WEEK", "MONTH", "YEAR", "METER"),
    "The unit of a schedule's interval (METER: a meter reading).",
)

LOCATION = Entity(
    "Location",
    "locations",
    "A site, building, area or storage place; locations nest (parent).",
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
    "A piece of equipment that is maintained.",
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
    "Maintenance work to do or done, on an asset or at a location.",
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
    "A request for maintenance, approved or rejected, possibly turned into a work order.",
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

INTERVAL = Embedded(
    "Interval",
    fields=(Field("value", "Float"), Field("unit", IntervalUnit)),
    description="How often a schedule recurs: every `value` `unit`s.",
)

MAINTENANCE_SCHEDULE = Entity(
    "MaintenanceSchedule",
    "maintenanceSchedules",
    "Preventive maintenance that recurs on an interval.",
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
    description="A part's quantity at one location.",
)

PART = Entity(
    "Part",
    "parts",
    "A spare part or material kept in stock.",
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
    "A supplier parts and services are bought from.",
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
    description="One line of a purchase order.",
)

PURCHASE_ORDER = Entity(
    "PurchaseOrder",
    "purchaseOrders",
    "An order placed with a vendor, with its lines.",
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
    "A person of the system: technician, requester, manager.",
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
