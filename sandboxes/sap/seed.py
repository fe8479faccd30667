"""Deterministic seed data for the SAP sandbox: one plant maintenance and purchasing client.

Three plants, each a functional-location hierarchy (plant → area → system);
equipment installed in those locations (a few with a superior equipment and
an expired time segment), maintenance orders and notifications on them,
spare parts with stock, suppliers and purchase orders with items. Rows hold
Python values (str, bool, datetime, timedelta, Decimal); the sandbox turns
them into OData JSON. Everything comes from one `random.Random(seed)`;
`customize` then adds this client's extension fields and the order operations,
derived from the rows alone, so the standard data stays as it was.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

Row = dict[str, Any]

WINDOW_START = datetime(2025, 1, 1, tzinfo=UTC)
WINDOW_DAYS = 600
END_OF_TIME = datetime(9999, 12, 31, tzinfo=UTC)  # ValidityEndDate of the current segment

PLANTS = {
    "1010": ("Hamburg", "Alsterufer", "20354"),
    "1020": ("Berlin", "Spreeweg", "10557"),
    "1710": ("Palo Alto", "Hillview Ave", "94304"),
}
AREAS = {"SP": "Spinning", "PK": "Packaging", "UT": "Utilities"}
SYSTEMS = {"PMP": "Pump station", "CMP": "Compressor line", "CNV": "Conveyor line", "HVC": "HVAC"}
EQUIPMENT_KINDS = [
    ("PUMP", "Centrifugal pump", "KSB", "Etanorm"),
    ("MOTOR", "Electric motor", "Siemens", "1LE1"),
    ("COMPR", "Screw compressor", "Atlas Copco", "GA 30"),
    ("VALVE", "Control valve", "Samson", "3241"),
    ("FAN", "Exhaust fan", "ebm-papst", "K3G"),
    ("GEARBOX", "Gearbox", "SEW", "R47"),
]
ORDER_TYPES = ("PM01", "PM01", "PM02", "PM02", "PM03", "PM05")
ORDER_STATUSES = (
    "CRTD MANC NMAT",
    "REL NMAT PRC",
    "REL PRC SETC",
    "PCNF PRC",
    "TECO PRC",
    "CLSD PRC",
    "CRTD DLFL NMAT",
)
ORDER_WORDS = (
    "Replace seal on",
    "Inspect",
    "Lubricate",
    "Repair leak on",
    "Calibrate",
    "Overhaul",
    "Check vibration of",
)
NOTIFICATION_PHASES = {"1": "Outstanding", "2": "Postponed", "3": "In Process", "4": "Completed"}
PART_NAMES = (
    "Mechanical seal",
    "Ball bearing",
    "V-belt",
    "Filter cartridge",
    "O-ring kit",
    "Coupling",
    "Gasket",
    "Fuse",
    "Contactor",
    "Impeller",
)
SUPPLIER_NAMES = (
    "Industrial Supply",
    "Bearing House",
    "Seal Tech",
    "Motor Works",
    "Valve Center",
    "Fluid Systems",
    "Electro Parts",
    "Drive Solutions",
)
CITIES = ("GmbH", "AG", "Inc.", "Ltd.", "KG")
OPERATION_STEPS = ("Isolate and lock out", "Carry out the work", "Test run and hand back")


def customize(tables: dict[str, list[Row]]) -> None:
    """Customer extension fields (`YY1_`/`ZZ1_`) and maintenance order operations.

    Computed from each row, never from the random stream: adding them leaves
    every standard value of the seed unchanged.
    """
    operations = []
    for n, order in enumerate(tables["MaintenanceOrder"]):
        hour = order["MaintOrdBasicStartDateTime"].hour
        order["YY1_ShiftCode_ORD"] = "N" if hour < 6 or hour >= 22 else ("E" if hour < 14 else "L")
        order["YY1_DowntimeHours_ORD"] = Decimal((n * 13) % 240) / 4
        for step in range(n % len(OPERATION_STEPS) + 1):
            hours = Decimal(1 + (n + step) % 8)
            operations.append(
                {
                    "MaintenanceOrder": order["MaintenanceOrder"],
                    "MaintenanceOrderOperation": f"{(step + 1) * 10:04d}",
                    "MaintenanceOrderSubOperation": "",
                    "OperationControlKey": "PM01",
                    "WorkCenter": order["MainWorkCenter"],
                    "Plant": order["MaintenancePlant"],
                    "OperationDescription": OPERATION_STEPS[step],
                    "MaintOrderOperationDuration": hours,
                    "MaintOrdOperationDurationUnit": "H",
                    "MaintOrdOperationWorkDuration": hours * (1 + step % 2),
                    "MaintOrdOpWorkDurationUnit": "H",
                    "SystemStatusText": order["SystemStatusText"].split()[0],
                }
            )
    tables["MaintenanceOrderOperation"] = operations
    for n, unit in enumerate(tables["Equipment"]):
        unit["ZZ1_WarrantyEnd_EQU"] = unit["CreationDate"] + timedelta(days=730) if n % 4 else None
        unit["ZZ1_RatedPowerKw_EQU"] = Decimal(5 + n % 40) + Decimal(n % 4) / 4


def _moment(rng: random.Random, start_day: int = 0, span: int = WINDOW_DAYS) -> datetime:
    return WINDOW_START + timedelta(days=rng.randint(start_day, start_day + span - 1), seconds=rng.randint(0, 86_399))


def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _blank(row: Row, *names: str) -> Row:
    for name in names:
        row.setdefault(name, "")
    return row


@dataclass(frozen=True)
class _TechnicalObject:
    """What an order or notification is about: a piece of equipment (at its location) or a location only."""

    equipment: Row | None
    location: str

    @classmethod
    def pick(cls, rng: random.Random, equipment: list[Row], locations: list[str], share: float) -> _TechnicalObject:
        """Equipment for `share` of the picks, else a location (three draws, always in this order)."""
        on_equipment = rng.random() < share
        unit = rng.choice(equipment)
        return cls(unit, unit["FunctionalLocation"]) if on_equipment else cls(None, rng.choice(locations))

    @property
    def name(self) -> str:
        return self.equipment["EquipmentName"] if self.equipment is not None else self.location

    def fields(self) -> Row:
        if self.equipment is not None:
            return {"TechnicalObject": self.equipment["Equipment"], "TechObjIsEquipOrFuncnlLoc": "EAMS_EQUI"}
        return {"TechnicalObject": self.location, "TechObjIsEquipOrFuncnlLoc": "EAMS_FL"}


class Dataset:
    """The rows of every entity set, in key order.

    `touch` serves tests (incremental reads); `insert`, `update`, `mark` and
    `delete` serve the API's own writes, each under one lock (a deep insert is one transaction).
    """

    def __init__(self, seed: int = 11) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        rng = random.Random(seed)
        self.tables: dict[str, list[Row]] = {}
        self.tables["FunctionalLocation"] = self._locations(rng)
        self.tables["Equipment"] = self._equipment(rng)
        self.tables["A_Supplier"] = self._suppliers(rng)
        self.tables["A_Product"], self.tables["A_ProductDescription"] = self._products(rng)
        self.tables["A_MatlStkInAcctMod"] = self._stock(rng)
        self.tables["MaintenanceOrder"] = self._orders(rng)
        self.tables["MaintenanceNotification"] = self._notifications(rng)
        self.tables["A_PurchaseOrder"], self.tables["A_PurchaseOrderItem"] = self._purchase_orders(rng)
        customize(self.tables)
        self._last_stamp = WINDOW_START

    # -- reads and the one mutation ---------------------------------------------

    def rows(self, entity_set: str) -> list[Row]:
        """A copy of a table (rows are copied too)."""
        with self._lock:
            return [dict(r) for r in self.tables[entity_set]]

    def current_equipment(self) -> list[Row]:
        return [r for r in self.rows("Equipment") if r["ValidityEndDate"] == END_OF_TIME]

    def stamp(self) -> datetime:
        """Now at millisecond precision, and later than any stamp given before.

        Written records need distinct stamps: their ETag is made from them.
        """
        with self._lock:
            now = datetime.now(UTC)
            now = now.replace(microsecond=now.microsecond // 1000 * 1000)
            self._last_stamp = max(now, self._last_stamp + timedelta(milliseconds=1))
            return self._last_stamp

    def next_number(self, entity_set: str, key: str) -> str:
        """The next number of an internally numbered object (highest so far + 1)."""
        with self._lock:
            return str(max(int(r[key]) for r in self.tables[entity_set] if r[key].isdigit()) + 1)

    def insert(self, rows: dict[str, list[Row]]) -> None:
        """New rows of one or more entity sets, all at once."""
        with self._lock:
            for entity_set, new in rows.items():
                self.tables[entity_set].extend(dict(r) for r in new)

    def update(self, entity_set: str, keys: dict[str, Any], changes: Row) -> Row | None:
        """A write through the API: new values and a new `LastChangeDateTime`; the row after it."""
        stamp = self.stamp()
        with self._lock:
            for row in self.tables[entity_set]:
                if all(row.get(k) == v for k, v in keys.items()):
                    row.update(changes)
                    if "LastChangeDateTime" in row:
                        row["LastChangeDateTime"] = stamp
                    return dict(row)
        return None

    def mark(self, matches: dict[str, dict[str, Any]], changes: Row) -> int:
        """A deletion SAP records as a marker: `changes` on every matching row, per entity set
        (rows with a `LastChangeDateTime` get a new one)."""
        stamp = self.stamp()
        marked = 0
        with self._lock:
            for entity_set, values in matches.items():
                for row in self.tables[entity_set]:
                    if all(row.get(k) == v for k, v in values.items()):
                        row.update(changes)
                        if "LastChangeDateTime" in row:
                            row["LastChangeDateTime"] = stamp
                        marked += 1
        return marked

    def delete(self, matches: dict[str, dict[str, Any]]) -> int:
        """Removes, per entity set, the rows whose properties equal the given values."""
        removed = 0
        with self._lock:
            for entity_set, values in matches.items():
                kept = [r for r in self.tables[entity_set] if any(r.get(k) != v for k, v in values.items())]
                removed += len(self.tables[entity_set]) - len(kept)
                self.tables[entity_set] = kept
        return removed

    def touch(self, entity_set: str, ids: list[str], key: str) -> int:
        """Moves `LastChangeDateTime` of the rows whose `key` is in `ids` to now (seconds precision)."""
        now = datetime.now(UTC).replace(microsecond=0)
        with self._lock:
            rows = [r for r in self.tables[entity_set] if r.get(key) in set(ids)]
            for row in rows:
                row["LastChangeDateTime"] = now
        return len(rows)

    # -- generation -------------------------------------------------------------

    def _locations(self, rng: random.Random) -> list[Row]:
        rows: list[Row] = []

        def add(code: str, name: str, parent: str, plant: str, category: str) -> None:
            city, street, postal = PLANTS[plant]
            created = _moment(rng, 0, 60)
            rows.append(
                {
                    "FunctionalLocation": code,
                    "FunctionalLocationLabelName": code,
                    "FunctionalLocationName": name,
                    "FunctionalLocationCategory": category,
                    "SuperiorFunctionalLocation": parent,
                    "MaintenancePlant": plant,
                    "CityName": city,
                    "StreetName": street,
                    "HouseNumber": str(rng.randint(1, 120)),
                    "PostalCode": postal,
                    "Country": "US" if plant == "1710" else "DE",
                    "CreationDate": _day(created),
                    "LastChangeDateTime": created + timedelta(days=rng.randint(0, 400)),
                    "FuncnlLocIsMarkedForDeletion": False,
                }
            )

        for plant, (city, _, _) in PLANTS.items():
            add(plant, f"Plant {city}", "", plant, "A")
            for area, area_name in AREAS.items():
                add(f"{plant}-{area}", f"{area_name} {city}", plant, plant, "M")
                for system, system_name in SYSTEMS.items():
                    add(f"{plant}-{area}-{system}", f"{system_name} {area_name}", f"{plant}-{area}", plant, "M")
        return sorted(rows, key=lambda r: r["FunctionalLocation"])

    def _equipment(self, rng: random.Random) -> list[Row]:
        systems = [r for r in self.tables["FunctionalLocation"] if r["FunctionalLocation"].count("-") == 2]
        rows: list[Row] = []
        for n in range(180):
            number = str(10_000_000 + n)
            location = rng.choice(systems)
            kind, label, maker, model = rng.choice(EQUIPMENT_KINDS)
            created = _moment(rng, 0, 200)
            parent = rows[-1]["Equipment"] if rows and n % 7 == 0 else ""
            row = {
                "Equipment": number,
                "ValidityEndDate": END_OF_TIME,
                "ValidityStartDate": _day(created),
                "EquipmentName": f"{label} {location['FunctionalLocation']}-{n % 9 + 1}",
                "EquipmentCategory": "M",
                "TechnicalObjectType": kind,
                "GrossWeight": Decimal(rng.randint(50, 900_000)) / 1000,
                "GrossWeightUnit": "KG",
                "InventoryNumber": f"INV-{n:05d}" if rng.random() < 0.6 else "",
                "AssetManufacturerName": maker,
                "ManufacturerPartTypeName": model,
                "ConstructionYear": str(rng.randint(2005, 2024)),
                "ManufacturerSerialNumber": f"SN{rng.randint(10**7, 10**8 - 1)}",
                "MaintenancePlant": location["MaintenancePlant"],
                "ABCIndicator": rng.choice("ABC"),
                "FunctionalLocation": location["FunctionalLocation"],
                "SuperordinateEquipment": parent,
                "TechnicalObjectSortCode": f"{kind}-{n:04d}",
                "CreationDate": _day(created),
                "LastChangeDateTime": created + timedelta(days=rng.randint(0, 380), seconds=rng.randint(0, 9999)),
                "EquipmentIsMarkedForDeletion": n % 23 == 5,
                "EquipmentIsInactive": n % 31 == 7,
            }
            rows.append(row)
            if n % 12 == 3:  # an expired time segment: the equipment sat elsewhere before
                old = dict(row, ValidityEndDate=_day(created + timedelta(days=30)))
                old["FunctionalLocation"] = rng.choice(systems)["FunctionalLocation"]
                old["ValidityStartDate"] = _day(created)
                rows.append(old)
                row["ValidityStartDate"] = old["ValidityEndDate"] + timedelta(days=1)
        return sorted(rows, key=lambda r: (r["Equipment"], r["ValidityEndDate"]))

    def _suppliers(self, rng: random.Random) -> list[Row]:
        rows = []
        for n in range(40):
            name = f"{rng.choice(SUPPLIER_NAMES)} {rng.choice(CITIES)}"
            rows.append(
                {
                    "Supplier": str(17_300_001 + n),
                    "SupplierName": name,
                    "SupplierFullName": f"{name} ({n + 1})",
                    "CreatedByUser": "CB9980000010",
                    "CreationDate": _day(_moment(rng, 0, 300)),
                    "PaymentIsBlockedForSupplier": False,
                    "PostingIsBlocked": n % 13 == 4,
                    "PurchasingIsBlocked": n % 11 == 2,
                    "SupplierAccountGroup": "SUPL",
                    "VATRegistration": f"DE{rng.randint(10**8, 10**9 - 1)}",
                    "DeletionIndicator": n % 17 == 9,
                }
            )
        return rows

    def _products(self, rng: random.Random) -> tuple[list[Row], list[Row]]:
        products, descriptions = [], []
        for n in range(130):
            product = f"SP{10_001 + n}"
            name = f"{rng.choice(PART_NAMES)} {rng.choice('ABCDEFGH')}{rng.randint(10, 99)}"
            created = _moment(rng, 0, 300)
            changed = created + timedelta(days=rng.randint(0, 250), seconds=rng.randint(0, 9999))
            products.append(
                {
                    "Product": product,
                    "ProductType": "ERSA",
                    "CreationDate": _day(created),
                    "CreatedByUser": "CB9980000010",
                    "LastChangeDate": _day(changed),
                    "LastChangeDateTime": changed,
                    "IsMarkedForDeletion": n % 29 == 3,
                    "GrossWeight": Decimal(rng.randint(10, 20_000)) / 1000,
                    "WeightUnit": "KG",
                    "ProductGroup": "L004",
                    "BaseUnit": rng.choice(("PC", "PC", "M", "L", "KG")),
                    "ProductManufacturerNumber": f"MPN-{rng.randint(1000, 9999)}" if n % 3 else "",
                }
            )
            descriptions.append({"Product": product, "Language": "EN", "ProductDescription": name})
            if n % 2:
                descriptions.append({"Product": product, "Language": "DE", "ProductDescription": f"{name} (DE)"})
        return products, sorted(descriptions, key=lambda r: (r["Product"], r["Language"]))

    def _stock(self, rng: random.Random) -> list[Row]:
        rows = []
        for product in self.tables["A_Product"]:
            for plant in rng.sample(sorted(PLANTS), rng.randint(0, 2)):
                for stock_type in ("01", "02") if rng.random() < 0.3 else ("01",):
                    rows.append(
                        _blank(
                            {
                                "Material": product["Product"],
                                "Plant": plant,
                                "StorageLocation": f"{plant[:2]}1A",
                                "InventoryStockType": stock_type,
                                "MaterialBaseUnit": product["BaseUnit"],
                                "MatlWrhsStkQtyInMatlBaseUnit": Decimal(rng.randint(0, 400)),
                            },
                            "Batch",
                            "Supplier",
                            "Customer",
                            "WBSElementInternalID",
                            "SDDocument",
                            "SDDocumentItem",
                            "InventorySpecialStockType",
                        )
                    )
        return rows

    def _orders(self, rng: random.Random) -> list[Row]:
        equipment = self.current_equipment()
        locations = [r["FunctionalLocation"] for r in self.tables["FunctionalLocation"]]
        rows = []
        for n in range(340):
            obj = _TechnicalObject.pick(rng, equipment, locations, 0.8)
            location = obj.location
            start = _moment(rng)
            rows.append(
                {
                    "MaintenanceOrder": str(4_000_000 + n),
                    "MaintenanceOrderType": rng.choice(ORDER_TYPES),
                    "MaintenanceOrderDesc": f"{rng.choice(ORDER_WORDS)} {obj.name}"[:40],
                    "MaintOrdBasicStartDateTime": start,
                    "MaintOrdBasicEndDateTime": start + timedelta(hours=rng.choice((4, 8, 24, 72))),
                    "MaintenanceNotification": "",
                    "MaintenancePlanningPlant": location[:4],
                    "MaintenancePlant": location[:4],
                    "MainWorkCenter": rng.choice(("RES-0100", "RES-0200", "MECH", "ELEC")),
                    "Equipment": obj.equipment["Equipment"] if obj.equipment is not None else "",
                    "FunctionalLocation": location,
                    "MaintenanceActivityType": rng.choice(("001", "002", "003")),
                    "MaintPriority": rng.choice(("1", "2", "3", "3", "4", "")),
                    "MaintOrdPersonResponsible": rng.choice(("", "50000123", "50000456")),
                    "LastChangeDateTime": start + timedelta(days=rng.randint(0, 30), seconds=rng.randint(0, 9999)),
                    "CreatedByUser": "CB9980000010",
                    "SystemStatusText": rng.choice(ORDER_STATUSES),
                    "UserStatusText": rng.choice(("", "INIT", "APPR")),
                    **obj.fields(),
                }
            )
        return rows

    def _notifications(self, rng: random.Random) -> list[Row]:
        equipment = self.current_equipment()
        locations = [r["FunctionalLocation"] for r in self.tables["FunctionalLocation"]]
        orders = self.tables["MaintenanceOrder"]
        rows = []
        for n in range(160):
            obj = _TechnicalObject.pick(rng, equipment, locations, 0.7)
            location = obj.location
            phase = rng.choice(sorted(NOTIFICATION_PHASES))
            created = _moment(rng)
            order = rng.choice(orders) if phase in ("3", "4") and rng.random() < 0.8 else None
            number = str(10_000_000 + n)
            if order is not None and not order["MaintenanceNotification"]:
                order["MaintenanceNotification"] = number
            rows.append(
                {
                    "MaintenanceNotification": number,
                    "NotificationText": f"{rng.choice(('Leak at', 'Noise from', 'Overheating', 'Vibration on', 'Failure of'))} {obj.name}"[
                        :40
                    ],
                    "MaintPriority": rng.choice(("1", "2", "3", "4")),
                    "NotificationType": rng.choice(("M1", "M2", "M3")),
                    "NotifProcessingPhase": phase,
                    "NotifProcessingPhaseDesc": NOTIFICATION_PHASES[phase],
                    "CreationDate": _day(created),
                    "CreationTime": created - _day(created),
                    "LastChangeDateTime": created + timedelta(days=rng.randint(0, 20), seconds=rng.randint(0, 9999)),
                    "ReportedByUser": rng.choice(("CB9980000010", "CB9980000022", "OPERATOR1")),
                    "MaintNotificationLongText": rng.choice(("", "Operator noticed it during the morning round.")),
                    "RequiredEndDate": _day(created + timedelta(days=rng.randint(1, 30)))
                    if rng.random() < 0.6
                    else None,
                    "MaintenanceObjectIsDown": rng.random() < 0.2,
                    **obj.fields(),
                    "MaintenancePlanningPlant": location[:4],
                    "FunctionalLocation": location,
                    "MaintenanceOrder": order["MaintenanceOrder"] if order else "",
                }
            )
        return rows

    def _purchase_orders(self, rng: random.Random) -> tuple[list[Row], list[Row]]:
        products = self.tables["A_Product"]
        suppliers = self.tables["A_Supplier"]
        orders, items = [], []
        for n in range(90):
            number = str(4_500_000_001 + n)
            created = _moment(rng)
            currency = rng.choice(("EUR", "EUR", "USD"))
            deletion = "L" if n % 19 == 6 else ("S" if n % 23 == 11 else "")  # deleted / blocked
            orders.append(
                {
                    "PurchaseOrder": number,
                    "CompanyCode": "1010" if currency == "EUR" else "1710",
                    "PurchaseOrderType": "NB",
                    "PurchasingDocumentDeletionCode": deletion,
                    "PurchasingProcessingStatus": rng.choice(("01", "02", "02", "03", "05", "05", "08")),
                    "CreatedByUser": "CB9980000010",
                    "CreationDate": _day(created),
                    "LastChangeDateTime": created
                    + timedelta(days=rng.randint(0, 40), microseconds=rng.randint(0, 999_999)),
                    "Supplier": rng.choice(suppliers)["Supplier"],
                    "PurchasingOrganization": "1010",
                    "PurchasingGroup": "001",
                    "PurchaseOrderDate": _day(created),
                    "DocumentCurrency": currency,
                }
            )
            for line in range(rng.randint(1, 5)):
                product = rng.choice(products)
                per = rng.choice((1, 1, 1, 10, 100))
                items.append(
                    {
                        "PurchaseOrder": number,
                        "PurchaseOrderItem": f"{(line + 1) * 10:05d}",
                        "PurchasingDocumentDeletionCode": deletion,
                        "PurchaseOrderItemText": next(
                            d["ProductDescription"]
                            for d in self.tables["A_ProductDescription"]
                            if d["Product"] == product["Product"]
                        ),
                        "Plant": "1010",
                        "StorageLocation": "101A",
                        "OrderQuantity": Decimal(rng.randint(1, 200)),
                        "PurchaseOrderQuantityUnit": product["BaseUnit"],
                        "DocumentCurrency": currency,
                        "NetPriceAmount": Decimal(rng.randint(100, 250_000)) / 100,
                        "NetPriceQuantity": Decimal(per),
                        "IsCompletelyDelivered": rng.random() < 0.4,
                        "Material": product["Product"],
                    }
                )
        return orders, items
