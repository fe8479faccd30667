"""The sandbox's resource definitions and the `/describe` metadata Fusion serves from them.

Documented (docs/vendors/oracle_fusion.md, [META], [CRMD]): `GET <version>/<resource>/describe` and
`GET <version>/describe` answer `{"Resources": {"<resource>": {...}}}`, each resource with its
`attributes` (`name`, `type`, `updatable`, `mandatory`, `queryable`, `title`, `maxLength`, ...), its
`collection` and `item` (actions, links) and its `children`; `q` accepts only queryable attributes.
Descriptive flexfields are a child resource (`WorkOrderDFF` of a work order, [WODFF]) whose attributes
are the context (`__FLEX_Context`, `__FLEX_Context_DisplayValue`) and the segments a customer defined.
Unverified: the type names (`string`, `integer`, `number`, `datetime`), `allowChanges` and the exact
layout of `collection`/`item`. One table says what each resource holds; the seed fills it, the write
rules say what may change, and `/describe` reports both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandboxes.oracle_fusion import rules
from sandboxes.oracle_fusion.seed import KEYS


@dataclass(frozen=True)
class Attribute:
    """One attribute of a resource as its definition has it."""

    name: str
    type: str  # the describe's type name
    title: str
    queryable: bool = True
    updatable: bool = False
    max_length: int | None = None


def _text(name: str, title: str, length: int = 240, queryable: bool = True) -> Attribute:
    return Attribute(name, "string", title, queryable, max_length=length)


def _id(name: str, title: str) -> Attribute:
    return Attribute(name, "integer", title)


def _code(name: str, title: str = "Status Code", length: int = 30) -> Attribute:
    return _text(name, title, length)


def _time(name: str, title: str) -> Attribute:
    return Attribute(name, "datetime", title)


HISTORY = (_time("CreationDate", "Creation Date"), _time("LastUpdateDate", "Last Updated Date"))
ORGANIZATION = _text("OrganizationCode", "Organization Code", 18)
ASSET = _id("AssetId", "Asset ID")
RESOURCES: dict[str, tuple[Attribute, ...]] = {
    "maintenanceWorkOrders": (
        _id("WorkOrderId", "Work Order ID"),
        _text("WorkOrderNumber", "Work Order", 120),
        _text("WorkOrderDescription", "Description"),
        _text("WorkOrderLongDescription", "Long Description", 4000, queryable=False),  # a CLOB
        _code("WorkOrderStatusCode"),
        Attribute("WorkOrderPriority", "integer", "Priority"),
        _code("WorkOrderTypeCode", "Type Code"),
        ASSET,
        _text("AssetNumber", "Asset Number", 80),
        ORGANIZATION,
        _time("PlannedStartDate", "Planned Start Date"),
        _time("PlannedCompletionDate", "Planned Completion Date"),
        _time("ActualCompletionDate", "Actual Completion Date"),
        *HISTORY,
    ),
    "installedBaseAssets": (
        ASSET,
        _text("AssetNumber", "Asset Number", 80),
        _text("Description", "Description"),
        _text("SerialNumber", "Serial Number", 80),
        _text("ItemNumber", "Item", 300),
        _code("OperatingStatusCode", "Operating Status Code"),
        _id("ParentAssetId", "Parent Asset ID"),
        ORGANIZATION,
        *HISTORY,
    ),
    "maintenanceWorkRequests": (
        _id("WorkRequestId", "Work Request ID"),
        _text("WorkRequestNumber", "Work Request", 120),
        _text("WorkRequestName", "Name"),
        _text("Description", "Description", 2000),
        _code("WorkRequestStatusCode"),
        ASSET,
        _id("WorkOrderId", "Work Order ID"),
        ORGANIZATION,
        *HISTORY,
    ),
    "itemsV2": (
        _id("ItemId", "Item ID"),
        _text("ItemNumber", "Item", 300),
        _text("ItemDescription", "Description"),
        _text("LongDescription", "Long Description", 4000, queryable=False),
        _text("PrimaryUOMValue", "Primary Unit of Measure", 25),
        ORGANIZATION,
        *HISTORY,
    ),
    "suppliers": (
        _id("SupplierId", "Supplier ID"),
        _text("Supplier", "Supplier", 360),
        _text("SupplierNumber", "Supplier Number", 30),
        _text("Status", "Status", 30),
        *HISTORY,
    ),
    "purchaseOrders": (
        _id("POHeaderId", "Purchase Order ID"),
        _text("OrderNumber", "Order", 30),
        _id("SupplierId", "Supplier ID"),
        _text("Supplier", "Supplier", 360),
        _code("StatusCode", length=25),
        _code("CurrencyCode", "Currency Code", 15),
        _text("ProcurementBU", "Procurement BU", 240),
        *HISTORY,
    ),
}
# Child resources: the purchase order's lines, and the work order's descriptive flexfield, whose two
# segments (`plantArea`, `downtimeHours`) stand for what a customer adds.
CHILDREN: dict[str, dict[str, tuple[Attribute, ...]]] = {
    "purchaseOrders": {
        "lines": (
            _id("POLineId", "Line ID"),
            Attribute("LineNumber", "number", "Line"),
            _id("ItemId", "Item ID"),
            _text("Description", "Description"),
            Attribute("Quantity", "number", "Quantity"),
            Attribute("Price", "number", "Price"),
        ),
    },
    "maintenanceWorkOrders": {
        "WorkOrderDFF": (
            _id("WorkOrderId", "Work Order ID"),
            Attribute("__FLEX_Context", "string", "Context Segment", updatable=True, max_length=80),
            Attribute("__FLEX_Context_DisplayValue", "string", "Context Segment", queryable=False),
            Attribute("plantArea", "string", "Plant Area", updatable=True, max_length=150),
            Attribute("downtimeHours", "number", "Downtime Hours", updatable=True),
        ),
    },
}


def children(resource: str) -> tuple[str, ...]:
    """The names of a resource's child resources (kept apart from its attributes in a row)."""
    return tuple(CHILDREN.get(resource, {}))


def queryable(resource: str) -> frozenset[str]:
    """The attributes `q` may name on this resource."""
    return frozenset(a.name for a in RESOURCES[resource] if a.queryable)


def _attribute(attribute: Attribute, writable: bool, mandatory: bool) -> dict[str, Any]:
    described: dict[str, Any] = {
        "name": attribute.name,
        "type": attribute.type,
        "updatable": writable,
        "mandatory": mandatory,
        "queryable": attribute.queryable,
        "allowChanges": "always" if writable else "never",
        "title": attribute.title,
        "annotations": {"description": attribute.title},
    }
    if attribute.max_length is not None:
        described["maxLength"] = str(attribute.max_length)
    return described


def _actions(methods: tuple[str, ...]) -> list[dict[str, Any]]:
    names = {"GET": "get", "POST": "create", "PATCH": "update", "DELETE": "delete"}
    return [{"name": names[m], "method": m} for m in methods]


def _described(base: str, name: str, attributes: tuple[Attribute, ...], writes: dict[str, Any], key: str) -> dict:
    required = set(rules.REQUIRED.get(name, ()))
    changes = ("GET", "PATCH") if name in rules.UPDATABLE else ("GET",)
    return {
        "title": name,
        "attributes": [
            _attribute(a, a.updatable or a.name in writes, a.name == key or a.name in required) for a in attributes
        ],
        "collection": {"rangeSize": 25, "actions": _actions(("GET", "POST") if writes else ("GET",))},
        "item": {"actions": _actions(changes)},
        "links": [{"rel": "self", "href": f"{base}/describe", "name": "self", "kind": "describe"}],
    }


def describe(resource: str, base: str) -> dict[str, Any]:
    """One resource's metadata, its children's nested under `children` (`base`: the resource's URL)."""
    writes = rules.RULES.get(resource, {})
    found = _described(base, resource, RESOURCES[resource], writes, KEYS[resource])
    found["children"] = {
        child: _described(f"{base}/child/{child}", child, attributes, {}, attributes[0].name)
        for child, attributes in CHILDREN.get(resource, {}).items()
    }
    return found
