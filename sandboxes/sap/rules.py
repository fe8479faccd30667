"""What the SAP sandbox accepts on create, update and delete, and what SAP fills in itself.

Generic rules come from the model, i.e. from the same flags `$metadata`
publishes: unknown properties, properties that are not creatable/updatable,
Edm types and lengths. Per entity set: required properties, references that
must exist, and the values SAP derives (numbers, initial status, the plant and
location from the technical object, texts from the material). A deep insert
(a purchase order with `to_PurchaseOrderItem`) is checked as a whole before
anything is stored, so it is one transaction.

A purchase order without its company code, purchasing organization or
purchasing group is refused ("Enter a value for 'CompanyCode'", as a real
system answered; see docs/vendors/sap.md).

Unverified (our best guess): the other message texts and `/IWBEP/` codes; that
Edm.DateTime values must be `/Date(ms)/` and Edm.Decimal values strings (the
JSON format SAP itself writes); the plant and currency of a purchase order
taken from the API user's parameters (WRK) when the request has none.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from .model import EntitySet, Prop, Service
from .seed import END_OF_TIME, NOTIFICATION_PHASES, Dataset

Row = dict[str, Any]
BAD_VALUE = "/IWBEP/CM_MGW_RT/006"
BUSINESS = "/IWBEP/CM_MGW_RT/022"  # a business check of the application failed
USER_DEFAULTS = {"Plant": "1010", "DocumentCurrency": "EUR"}
PO_ORGANIZATION = ("CompanyCode", "PurchasingOrganization", "PurchasingGroup")  # no default: SAP needs them given
ORDER_TYPES = ("PM01", "PM02", "PM03", "PM05")
NOTIFICATION_TYPES = ("M1", "M2", "M3")
PRIORITIES = ("", "1", "2", "3", "4")
EQUIPMENT_CATEGORIES = ("M", "S", "Q", "P")
_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")
_TIME = re.compile(r"^PT(\d{1,2})H(\d{1,2})M(\d{1,2})S$")


class WriteError(Exception):
    """A refused write, answered with SAP's error body."""

    def __init__(self, status: int, message: str, code: str = BAD_VALUE, target: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.target = status, message, code, target


# -- values -------------------------------------------------------------------------


def parse_value(prop: Prop, value: Any) -> Any:
    """An OData JSON value as the row holds it; WriteError if it does not fit the property."""
    if value is None:
        if not prop.nullable:
            raise WriteError(400, f"Property {prop.name} must not be null")
        return None
    try:
        return _PARSERS[prop.type](prop, value)
    except (ValueError, TypeError, InvalidOperation, KeyError):
        raise WriteError(
            400, f"Invalid value '{str(value)[:40]}' for property {prop.name} (type {prop.type})"
        ) from None


def _string(prop: Prop, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError
    if prop.max_length is not None and len(value) > prop.max_length:
        raise WriteError(400, f"Value of property {prop.name} is longer than {prop.max_length} characters")
    return value


def _moment(prop: Prop, value: Any) -> datetime:
    match = _DATE.match(value)
    if not match:
        raise ValueError
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(match.group(1)))


def _decimal(prop: Prop, value: Any) -> Decimal:
    if not isinstance(value, str):
        raise TypeError
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError
    if prop.precision is not None and abs(number) >= Decimal(10) ** (prop.precision - (prop.scale or 0)):
        raise WriteError(400, f"Value of property {prop.name} exceeds its precision {prop.precision}")
    return number


def _boolean(prop: Prop, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError
    return value


def _time(prop: Prop, value: Any) -> timedelta:
    hours, minutes, seconds = (int(g) for g in _TIME.match(value).groups())  # type: ignore[union-attr]
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


_PARSERS: dict[str, Callable[[Prop, Any], Any]] = {
    "Edm.String": _string,
    "Edm.DateTime": _moment,
    "Edm.DateTimeOffset": _moment,
    "Edm.Decimal": _decimal,
    "Edm.Boolean": _boolean,
    "Edm.Time": _time,
}


def read_body(entity_set: EntitySet, body: Any, creating: bool) -> Row:
    """The properties of a request body, checked against the set's metadata (navigations left out)."""
    if not isinstance(body, dict):
        raise WriteError(400, "The request body must be a JSON object")
    row: Row = {}
    for name, value in body.items():
        if name == "__metadata" or entity_set.nav(name) is not None:
            continue
        prop = entity_set.prop(name)
        if prop is None:
            raise WriteError(400, f"Property '{name}' is invalid")
        if creating and not prop.creatable:
            raise WriteError(400, f"Property {name} cannot be set")
        if not creating and (not prop.updatable or name in entity_set.keys):
            raise WriteError(400, f"Property {name} cannot be changed")
        row[name] = parse_value(prop, value)
    return row


def blank_row(entity_set: EntitySet) -> Row:
    """What SAP stores for properties nobody set: empty strings, false, null."""
    initial = {"Edm.String": "", "Edm.Boolean": False}
    return {p.name: initial.get(p.type) for p in entity_set.props}


# -- the rules of each entity set ------------------------------------------------------


class Rules:
    """Checks and derivations against the sandbox's data, for one logged-on user."""

    def __init__(self, data: Dataset, user: str) -> None:
        self.data = data
        self.user = user[:12]

    def row(self, entity_set: str, **keys: Any) -> Row | None:
        return next((r for r in self.data.rows(entity_set) if all(r.get(k) == v for k, v in keys.items())), None)

    def exists(self, value: Any, entity_set: str, key: str, what: str, **extra: Any) -> Row | None:
        """The referenced record, or a 400 naming it; None when the reference is empty."""
        if not value:
            return None
        found = self.row(entity_set, **{key: value}, **extra)
        if found is None:
            raise WriteError(400, f"{what} {value} does not exist", BUSINESS)
        return found

    def one_of(self, row: Row, name: str, allowed: tuple[str, ...], what: str) -> None:
        if name in row and row[name] not in allowed:
            raise WriteError(400, f"{what} {row[name]} is not defined", BUSINESS)

    def required(self, row: Row, *names: str) -> None:
        for name in names:
            if row.get(name) in (None, ""):
                raise WriteError(400, f"Property {name} is required", BUSINESS, target=name)

    def entered(self, row: Row, *names: str) -> None:
        """Organisational units a purchase order cannot do without, refused as SAP words it."""
        for name in names:
            if row.get(name) in (None, ""):
                raise WriteError(400, f"Enter a value for '{name}'", BUSINESS, target=name)

    # -- maintenance orders -------------------------------------------------------------

    def order(self, row: Row, current: Row | None) -> None:
        merged = {**(current or {}), **row}
        self.one_of(row, "MaintenanceOrderType", ORDER_TYPES, "Order type")
        self.one_of(row, "MaintPriority", PRIORITIES, "Priority")
        unit = self.exists(row.get("Equipment"), "Equipment", "Equipment", "Equipment", ValidityEndDate=END_OF_TIME)
        self.exists(row.get("FunctionalLocation"), "FunctionalLocation", "FunctionalLocation", "Functional location")
        if not merged.get("Equipment") and not merged.get("FunctionalLocation"):
            raise WriteError(400, "Enter a reference object (equipment or functional location)", BUSINESS)
        if unit is not None and not row.get("FunctionalLocation"):
            row["FunctionalLocation"] = unit["FunctionalLocation"]
        if "Equipment" in row or "FunctionalLocation" in row:
            on_equipment = bool(merged.get("Equipment"))
            row["TechnicalObject"] = merged["Equipment"] if on_equipment else row.get("FunctionalLocation")
            row["TechObjIsEquipOrFuncnlLoc"] = "EAMS_EQUI" if on_equipment else "EAMS_FL"
        if current is None:
            self.required(row, "MaintenanceOrderType", "MaintenanceOrderDesc")
            plant = (row.get("FunctionalLocation") or merged.get("FunctionalLocation") or "")[:4]
            row.setdefault("MaintenancePlanningPlant", plant)
            row.setdefault("MaintenancePlant", plant)
            row.update(
                MaintenanceOrder=row.get("MaintenanceOrder")
                or self.data.next_number("MaintenanceOrder", "MaintenanceOrder"),
                SystemStatusText="CRTD MANC",
                CreatedByUser=self.user,
            )

    # -- notifications --------------------------------------------------------------------

    def notification(self, row: Row, current: Row | None) -> None:
        self.one_of(row, "NotificationType", NOTIFICATION_TYPES, "Notification type")
        self.one_of(row, "MaintPriority", PRIORITIES, "Priority")
        self.exists(row.get("MaintenanceOrder"), "MaintenanceOrder", "MaintenanceOrder", "Order")
        if row.get("TechnicalObject"):
            kind = row.get("TechObjIsEquipOrFuncnlLoc") or (current or {}).get("TechObjIsEquipOrFuncnlLoc")
            if kind == "EAMS_EQUI":
                unit = self.exists(
                    row["TechnicalObject"], "Equipment", "Equipment", "Equipment", ValidityEndDate=END_OF_TIME
                )
                row["FunctionalLocation"] = unit["FunctionalLocation"] if unit else ""
            elif kind == "EAMS_FL":
                self.exists(row["TechnicalObject"], "FunctionalLocation", "FunctionalLocation", "Functional location")
                row["FunctionalLocation"] = row["TechnicalObject"]
            else:
                raise WriteError(400, "Enter the type of the technical object (EAMS_EQUI or EAMS_FL)", BUSINESS)
            row.setdefault("MaintenancePlanningPlant", row["FunctionalLocation"][:4])
        if "MaintNotifLongTextForEdit" in row:
            row["MaintNotificationLongText"] = row["MaintNotifLongTextForEdit"] or ""
        if current is None:
            self.required(row, "NotificationType", "NotificationText")
            now = self.data.stamp()
            day = now.replace(hour=0, minute=0, second=0, microsecond=0)
            row.update(
                MaintenanceNotification=self.data.next_number("MaintenanceNotification", "MaintenanceNotification"),
                NotifProcessingPhase="1",
                NotifProcessingPhaseDesc=NOTIFICATION_PHASES["1"],
                CreationDate=day,
                CreationTime=timedelta(seconds=(now - day).seconds),
            )
            row["ReportedByUser"] = row.get("ReportedByUser") or self.user

    # -- equipment -----------------------------------------------------------------------

    def equipment(self, row: Row, current: Row | None) -> None:
        self.one_of(row, "EquipmentCategory", EQUIPMENT_CATEGORIES, "Equipment category")
        self.exists(
            row.get("SuperordinateEquipment"), "Equipment", "Equipment", "Equipment", ValidityEndDate=END_OF_TIME
        )
        if current is None:
            self.required(row, "EquipmentCategory", "EquipmentName")
            today = self.data.stamp().replace(hour=0, minute=0, second=0, microsecond=0)
            row.update(
                Equipment=row.get("Equipment") or self.data.next_number("Equipment", "Equipment"),
                ValidityEndDate=END_OF_TIME,
                CreationDate=today,
            )
            row["ValidityStartDate"] = row.get("ValidityStartDate") or today

    # -- purchase orders ------------------------------------------------------------------

    def purchase_order(self, row: Row, current: Row | None) -> None:
        supplier = self.exists(row.get("Supplier"), "A_Supplier", "Supplier", "Supplier")
        if supplier is not None and supplier["PurchasingIsBlocked"]:
            raise WriteError(400, f"Supplier {supplier['Supplier']} is blocked for purchasing", BUSINESS)
        if current is None:
            self.required(row, "PurchaseOrderType", "Supplier")
            self.entered(row, *PO_ORGANIZATION)
            row["DocumentCurrency"] = row.get("DocumentCurrency") or USER_DEFAULTS["DocumentCurrency"]
            today = self.data.stamp().replace(hour=0, minute=0, second=0, microsecond=0)
            row.update(
                PurchaseOrder=self.data.next_number("A_PurchaseOrder", "PurchaseOrder"),
                PurchasingProcessingStatus="01",
                CreatedByUser=self.user,
                CreationDate=today,
            )
            row["PurchaseOrderDate"] = row.get("PurchaseOrderDate") or today

    def purchase_order_items(self, header: Row, items: list[Row]) -> None:
        if not items:
            raise WriteError(400, "Purchase order contains no items", BUSINESS)
        numbers = set()
        for n, item in enumerate(items, 1):
            self.required(item, "Material", "OrderQuantity", "NetPriceAmount")
            product = self.exists(item["Material"], "A_Product", "Product", "Material")
            assert product is not None
            if item["OrderQuantity"] <= 0:
                raise WriteError(400, f"Item {n}: enter an order quantity greater than zero", BUSINESS)
            item["PurchaseOrderItem"] = item.get("PurchaseOrderItem") or f"{n * 10:05d}"
            if item["PurchaseOrderItem"] in numbers:
                raise WriteError(400, f"Item {item['PurchaseOrderItem']} is given twice", BUSINESS)
            numbers.add(item["PurchaseOrderItem"])
            description = self.row("A_ProductDescription", Product=product["Product"], Language="EN") or {}
            item["PurchaseOrderItemText"] = item.get("PurchaseOrderItemText") or description.get(
                "ProductDescription", ""
            )
            item["PurchaseOrderQuantityUnit"] = item.get("PurchaseOrderQuantityUnit") or product["BaseUnit"]
            item["Plant"] = item.get("Plant") or USER_DEFAULTS["Plant"]
            item["NetPriceQuantity"] = item.get("NetPriceQuantity") or Decimal(1)
            item.update(PurchaseOrder=header["PurchaseOrder"], DocumentCurrency=header["DocumentCurrency"])

    def supplier(self, row: Row, current: Row | None) -> None:
        """Suppliers are changed here, never created (that is a business partner's role)."""


SET_RULES: dict[str, Callable[[Rules, Row, Row | None], None]] = {
    "MaintenanceOrder": Rules.order,
    "MaintenanceNotification": Rules.notification,
    "Equipment": Rules.equipment,
    "A_PurchaseOrder": Rules.purchase_order,
    "A_Supplier": Rules.supplier,
}
DEEP_INSERTS = {("A_PurchaseOrder", "to_PurchaseOrderItem"): Rules.purchase_order_items}
# A DELETE that SAP answers by marking the record (and its items) deleted: it stays listed.
SOFT_DELETES: dict[str, Row] = {"A_PurchaseOrder": {"PurchasingDocumentDeletionCode": "L"}}


def nested_rows(body: Any, nav: str) -> list[Any] | None:
    """A deep-insert navigation: `{"results": [...]}` as SAP writes it, or a bare list."""
    value = body.get(nav) if isinstance(body, dict) else None
    if isinstance(value, dict):
        value = value.get("results")
    if value is None:
        return None
    if not isinstance(value, list):
        raise WriteError(400, f"Navigation property {nav} must hold a list of entities")
    return value


def create(rules: Rules, service: Service, entity_set: EntitySet, body: Any) -> tuple[Row, dict[str, list[Row]]]:
    """The new row and the rows of its deep-inserted navigations, checked and completed (not stored)."""
    check = SET_RULES.get(entity_set.name)
    if not entity_set.creatable or check is None:
        raise WriteError(405, f"Entity set {entity_set.name} does not support creation", "/IWBEP/CM_MGW_RT/021")
    row = read_body(entity_set, body, creating=True)
    check(rules, row, None)
    nested: dict[str, list[Row]] = {}
    for nav in entity_set.navs:
        given = nested_rows(body, nav.name)
        deep = DEEP_INSERTS.get((entity_set.name, nav.name))
        if deep is None:
            if given is not None:
                raise WriteError(400, f"Deep insert via {nav.name} is not supported")
            continue
        target = service.set(nav.target)
        assert target is not None
        items = [read_body(target, item, creating=True) for item in given or []]
        deep(rules, row, items)
        nested[nav.name] = [{**blank_row(target), **item} for item in items]
    if entity_set.prop("LastChangeDateTime") is not None:
        row["LastChangeDateTime"] = rules.data.stamp()
    return {**blank_row(entity_set), **row}, nested


def update(rules: Rules, entity_set: EntitySet, current: Row, body: Any) -> Row:
    """The changes a PATCH/MERGE makes (derived values included), checked (not stored)."""
    check = SET_RULES.get(entity_set.name)
    if not entity_set.updatable or check is None:
        raise WriteError(405, f"Entity set {entity_set.name} does not support updates", "/IWBEP/CM_MGW_RT/021")
    if any(nested_rows(body, nav.name) is not None for nav in entity_set.navs):
        raise WriteError(400, "Deep update is not supported; change the items one by one")
    changes = read_body(entity_set, body, creating=False)
    check(rules, changes, current)
    return changes
