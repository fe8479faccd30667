"""Deterministic seed data for the Oracle Fusion sandbox.

A plant's maintenance and purchasing in the shapes of the Fusion REST resources: integer ids
named per resource (`WorkOrderId`, `AssetId`, ...), attribute names in PascalCase, times as
ISO 8601 with an offset (`CreationDate`, `LastUpdateDate`), lists in id order. One
`random.Random(seed)` draws everything, so a seed always gives the same bytes.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sandboxes.data import Record, SeededDataset

# Each resource's path (after /fscmRestApi/resources/11.13.18.05) and the attribute holding its id.
KEYS = {
    "maintenanceWorkOrders": "WorkOrderId",
    "installedBaseAssets": "AssetId",
    "maintenanceWorkRequests": "WorkRequestId",
    "itemsV2": "ItemId",
    "suppliers": "SupplierId",
    "purchaseOrders": "POHeaderId",
}
COUNTS = {
    "suppliers": 30,
    "itemsV2": 90,
    "installedBaseAssets": 120,
    "maintenanceWorkOrders": 260,
    "maintenanceWorkRequests": 80,
    "purchaseOrders": 70,
}
FIRST_ID = {
    "suppliers": 300000001,
    "itemsV2": 100000001,
    "installedBaseAssets": 300100001,
    "maintenanceWorkOrders": 300200001,
    "maintenanceWorkRequests": 300300001,
    "purchaseOrders": 300400001,
}
START = datetime(2025, 6, 1, tzinfo=UTC)
SPAN_DAYS = 480
KINDS = ("Centrifugal Pump", "Air Compressor", "Belt Conveyor", "Chiller", "Boiler", "Forklift", "Mixer")
ITEMS = ("Bearing 6204", "V-Belt B52", "Air Filter", "Contactor 40A", "Mechanical Seal", "Gear Oil 5L")
JOBS = ("Inspect {a}", "Lubricate {a}", "Replace filter on {a}", "Repair leak on {a}", "Overhaul {a}")
SUPPLIERS = ("Moreno", "Okafor", "Schmidt", "Tanaka", "Walsh", "Novak", "Reyes", "Olsen", "Khan", "Price")
WO_STATUSES = ("ORA_UNRELEASED", "ORA_RELEASED", "ORA_ON_HOLD", "ORA_COMPLETED", "ORA_CLOSED", "ORA_CANCELED")
WO_TYPES = ("ORA_CORRECTIVE", "ORA_PREVENTIVE", "ORA_CONDITION_BASED")
WR_STATUSES = ("ORA_OPEN", "ORA_APPROVED", "ORA_REJECTED", "ORA_CLOSED")
ASSET_STATUSES = ("ORA_IN_SERVICE", "ORA_OUT_OF_SERVICE", "ORA_RETIRED")
PLANT_AREAS = ("Packaging", "Utilities", "Line 1", "Line 2", "Warehouse", None)
PO_STATUSES = ("INCOMPLETE", "PENDING APPROVAL", "OPEN", "CLOSED FOR RECEIVING", "CLOSED", "CANCELED")


def stamp(moment: datetime) -> str:
    """A Fusion date-time: ISO 8601, milliseconds, `+00:00`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


class Dataset(SeededDataset):
    """The seeded records of one Oracle Fusion sandbox; records are keyed by their id attribute (`KEYS`)."""

    stamp_field = "LastUpdateDate"

    def generate(self) -> dict[str, list[Record]]:
        return _Generator(random.Random(self.seed), random.Random(f"flexfields-{self.seed}")).run()

    def now_stamp(self) -> str:
        return stamp(datetime.now(UTC))

    def id_field(self, resource: str) -> str:
        return KEYS[resource]

    def next_id(self, resource: str) -> int:
        with self._lock:
            self._load()
            return max(self._index[resource], default=FIRST_ID[resource] - 1) + 1


class _Generator:
    def __init__(self, rng: random.Random, flex: random.Random) -> None:
        self.rng = rng
        self.flex = flex  # the flexfield segments draw apart, so the other records stay as they were

    def run(self) -> dict[str, list[Record]]:
        tables: dict[str, list[Record]] = {}
        tables["suppliers"] = [self.supplier(n, i) for n, i in self._ids("suppliers")]
        tables["itemsV2"] = [self.item(n, i) for n, i in self._ids("itemsV2")]
        assets: list[Record] = []
        for n, asset_id in self._ids("installedBaseAssets"):
            assets.append(self.asset(n, asset_id, assets))
        tables["installedBaseAssets"] = assets
        tables["maintenanceWorkOrders"] = [self.work_order(n, i, assets) for n, i in self._ids("maintenanceWorkOrders")]
        tables["maintenanceWorkRequests"] = [
            self.work_request(n, i, assets, tables["maintenanceWorkOrders"])
            for n, i in self._ids("maintenanceWorkRequests")
        ]
        tables["purchaseOrders"] = [self.purchase_order(n, i, tables) for n, i in self._ids("purchaseOrders")]
        return tables

    def _ids(self, resource: str) -> list[tuple[int, int]]:
        return [(n, FIRST_ID[resource] + n) for n in range(COUNTS[resource])]

    def _times(self) -> tuple[datetime, datetime]:
        created = START + timedelta(
            minutes=self.rng.randint(0, SPAN_DAYS * 1440), milliseconds=self.rng.randint(0, 999)
        )
        return created, created + timedelta(minutes=self.rng.randint(0, 30 * 1440))

    def _stamped(self, record: Record) -> Record:
        created, updated = self._times()
        return {**record, "CreationDate": stamp(created), "LastUpdateDate": stamp(updated)}

    def supplier(self, n: int, supplier_id: int) -> Record:
        name = f"{self.rng.choice(SUPPLIERS)} {self.rng.choice(('Supply', 'Industrial', 'Electric'))} {n + 1}"
        status = "INACTIVE" if self.rng.random() < 0.1 else "ACTIVE"
        return self._stamped(
            {"SupplierId": supplier_id, "Supplier": name, "SupplierNumber": str(5000 + n), "Status": status}
        )

    def item(self, n: int, item_id: int) -> Record:
        kind = self.rng.choice(ITEMS)
        return self._stamped(
            {
                "ItemId": item_id,
                "ItemNumber": f"MRO-{10000 + n}",
                "ItemDescription": kind,
                "LongDescription": f"{kind} for plant maintenance",
                "PrimaryUOMValue": self.rng.choice(("Each", "Box", "Liter")),
                "OrganizationCode": "M1",
            }
        )

    def asset(self, n: int, asset_id: int, before: list[Record]) -> Record:
        parent = self.rng.choice(before) if before and self.rng.random() < 0.2 else None
        return self._stamped(
            {
                "AssetId": asset_id,
                "AssetNumber": f"AST-{n + 1:04d}",
                "Description": f"{self.rng.choice(KINDS)} {n + 1:03d}",
                "SerialNumber": f"SN{self.rng.randint(100000, 999999)}",
                "ItemNumber": self.rng.choice(("PUMP", "COMPRESSOR", "CONVEYOR", "HVAC")),
                "OperatingStatusCode": self.rng.choice(ASSET_STATUSES),
                "ParentAssetId": parent["AssetId"] if parent else None,
                "OrganizationCode": "M1",
            }
        )

    def work_order(self, n: int, work_order_id: int, assets: list[Record]) -> Record:
        asset = self.rng.choice(assets)
        record = self._stamped(
            {
                "WorkOrderId": work_order_id,
                "WorkOrderNumber": f"WO{100000 + n}",
                "WorkOrderDescription": self.rng.choice(JOBS).format(a=asset["Description"]),
                "WorkOrderLongDescription": self.rng.choice((None, "Reported by operator.", "See the checklist.")),
                "WorkOrderStatusCode": self.rng.choice(WO_STATUSES),
                "WorkOrderPriority": self.rng.randint(1, 5),
                "WorkOrderTypeCode": self.rng.choice(WO_TYPES),
                "AssetId": asset["AssetId"],
                "AssetNumber": asset["AssetNumber"],
                "OrganizationCode": "M1",
            }
        )
        created = datetime.fromisoformat(record["CreationDate"])
        record["PlannedCompletionDate"] = stamp(created + timedelta(days=self.rng.randint(1, 20)))
        record["PlannedStartDate"] = stamp(created + timedelta(hours=self.flex.randint(1, 48)))
        done = record["WorkOrderStatusCode"] in ("ORA_COMPLETED", "ORA_CLOSED")
        record["ActualCompletionDate"] = record["LastUpdateDate"] if done else None
        record["WorkOrderDFF"] = [self.work_order_flexfield(work_order_id)]
        return record

    def work_order_flexfield(self, work_order_id: int) -> Record:
        """The work order's descriptive flexfield row: the context and two segments a customer defined."""
        area = self.flex.choice(PLANT_AREAS)
        hours = round(self.flex.uniform(0, 16), 1) if self.flex.random() < 0.7 else None
        return {
            "WorkOrderId": work_order_id,
            "__FLEX_Context": "PLANT" if area else None,
            "__FLEX_Context_DisplayValue": "Plant details" if area else None,
            "plantArea": area,
            "downtimeHours": hours,
        }

    def work_request(self, n: int, request_id: int, assets: list[Record], work_orders: list[Record]) -> Record:
        asset = self.rng.choice(assets)
        status = self.rng.choice(WR_STATUSES)
        work_order = self.rng.choice(work_orders) if status == "ORA_APPROVED" else None
        return self._stamped(
            {
                "WorkRequestId": request_id,
                "WorkRequestNumber": f"WR{20000 + n}",
                "WorkRequestName": f"{asset['Description']} needs attention",
                "Description": self.rng.choice(("Noise at start-up.", "Leaking.", "Vibration above limit.")),
                "WorkRequestStatusCode": status,
                "AssetId": asset["AssetId"],
                "WorkOrderId": work_order["WorkOrderId"] if work_order else None,
                "OrganizationCode": "M1",
            }
        )

    def purchase_order(self, n: int, header_id: int, tables: dict[str, list[Record]]) -> Record:
        lines = [
            {
                "POLineId": header_id * 10 + k,
                "LineNumber": k + 1,
                "ItemId": item["ItemId"],
                "Description": item["ItemDescription"],
                "Quantity": self.rng.randint(1, 12),
                "Price": round(self.rng.uniform(3, 400), 2),
            }
            for k, item in enumerate(self.rng.sample(tables["itemsV2"], self.rng.randint(1, 3)))
        ]
        supplier = self.rng.choice(tables["suppliers"])
        return self._stamped(
            {
                "POHeaderId": header_id,
                "OrderNumber": f"US{160000 + n}",
                "SupplierId": supplier["SupplierId"],
                "Supplier": supplier["Supplier"],
                "StatusCode": self.rng.choice(PO_STATUSES),
                "CurrencyCode": "USD",
                "ProcurementBU": "US1 Business Unit",
                "lines": lines,
            }
        )
