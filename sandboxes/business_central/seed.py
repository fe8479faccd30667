"""The deterministic data of the sandbox: one company (CRONUS-like) with fixed assets, vendors, items,
locations, purchase orders with lines and employees, and a second company with none.

Ids are GUIDs drawn from the seed; `lastModifiedDateTime` is ISO 8601 in UTC, as the API writes it.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sandboxes.data import Record, SeededDataset, iso, now_ms

START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
CITIES = (("Atlanta", "GA", "31772"), ("Chicago", "IL", "60601"), ("Seattle", "WA", "98101"), ("Miami", "FL", "33101"))
VENDOR_NAMES = ("Fabrikam", "Contoso Supply", "Northwind Parts", "Litware Tools", "Adatum Bearings", "Proseware")
PARTS = (
    ("V-belt A42", "PCS"),
    ("Ball bearing 6204", "PCS"),
    ("Hydraulic oil ISO 46", "L"),
    ("Pump seal kit", "PCS"),
    ("Air filter element", "PCS"),
    ("Contactor 24V", "PCS"),
    ("Grease cartridge", "PCS"),
    ("Drive chain 08B", "M"),
)
FIXED_ASSETS = (
    ("Compressor", "TANGIBLE"),
    ("Forklift", "TANGIBLE"),
    ("CNC lathe", "TANGIBLE"),
    ("Conveyor line", "TANGIBLE"),
    ("Packaging robot", "TANGIBLE"),
)
JOBS = ("Maintenance Technician", "Electrician", "Planner", "Buyer", "Plant Manager")
FIRST = ("Alex", "Sam", "Robin", "Kim", "Jordan", "Taylor", "Chris", "Dana")
LAST = ("Fischer", "Novak", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Silva", "Kowalski")
PO_STATUSES = (("Draft", 3), ("In Review", 1), ("Open", 4))


def stamp(moment: datetime) -> str:
    return iso(int(moment.timestamp() * 1000))


class Dataset(SeededDataset):
    """The main company's pages; ids are GUID strings (lower case)."""

    stamp_field = "lastModifiedDateTime"

    def __init__(self, seed: int = 19, vendors: int = 24, items: int = 40, orders: int = 30) -> None:
        super().__init__(seed)
        self.sizes = (vendors, items, orders)
        self.rng = random.Random(seed)
        self.company_id = self.guid()
        self.other_company_id = self.guid()

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def now_stamp(self) -> Any:
        return iso(now_ms())

    def moment(self, n: int) -> datetime:
        return START + timedelta(hours=7 * n, minutes=self.rng.randrange(60))

    def generate(self) -> dict[str, list[Record]]:
        vendors_n, items_n, orders_n = self.sizes
        vendors = [self.vendor(n) for n in range(vendors_n)]
        items = [self.item(n) for n in range(items_n)]
        locations = [self.location(n, code) for n, code in enumerate(("MAIN", "EAST", "WEST", "SPARES", "YARD"))]
        orders = [self.order(n, vendors, items) for n in range(orders_n)]
        employees = [self.employee(n) for n in range(16)]
        assets = [self.fixed_asset(n, locations) for n in range(20)]
        return {
            "fixedAssets": assets,
            "vendors": vendors,
            "items": items,
            "locations": locations,
            "purchaseOrders": orders,
            "employees": employees,
        }

    def address(self) -> dict[str, str]:
        city, state, postal = self.rng.choice(CITIES)
        return {
            "addressLine1": f"{self.rng.randrange(1, 400)} Industrial Way",
            "addressLine2": "",
            "city": city,
            "state": state,
            "country": "US",
            "postalCode": postal,
        }

    def vendor(self, n: int) -> Record:
        name = f"{VENDOR_NAMES[n % len(VENDOR_NAMES)]} {'Inc.' if n % 2 else 'Ltd.'} {n // len(VENDOR_NAMES) + 1}"
        return {
            "id": self.guid(),
            "number": f"V{10000 + n * 10}",
            "displayName": name,
            **self.address(),
            "phoneNumber": f"555010{n:02d}",
            "email": f"orders{n}@vendor.example.com",
            "website": "" if n % 3 else f"www.vendor{n}.example.com",
            "currencyCode": "" if n % 4 else "EUR",
            "blocked": "All" if n % 11 == 10 else " ",
            "balance": round(self.rng.uniform(0, 9000), 2),
            "lastModifiedDateTime": stamp(self.moment(n)),
        }

    def item(self, n: int) -> Record:
        name, unit = PARTS[n % len(PARTS)]
        cost = round(self.rng.uniform(2, 400), 2)
        return {
            "id": self.guid(),
            "number": f"{1000 + n}",
            "displayName": f"{name} ({n // len(PARTS) + 1})",
            "type": "Inventory",
            "blocked": False,
            "baseUnitOfMeasureCode": unit,
            "unitPrice": round(cost * 1.4, 2),
            "unitCost": cost,
            "inventory": float(self.rng.randrange(0, 120)),
            "lastModifiedDateTime": stamp(self.moment(n + 3)),
        }

    def location(self, n: int, code: str) -> Record:
        return {
            "id": self.guid(),
            "code": code,
            "displayName": f"{code.title()} warehouse",
            **self.address(),
            "lastModifiedDateTime": stamp(self.moment(n)),
        }

    def order(self, n: int, vendors: list[Record], items: list[Record]) -> Record:
        vendor = vendors[self.rng.randrange(len(vendors))]
        ordered = self.moment(n * 2)
        statuses = [s for s, weight in PO_STATUSES for _ in range(weight)]
        status = self.rng.choice(statuses)
        order_id = self.guid()
        lines = [
            self.line(order_id, k, items[self.rng.randrange(len(items))])
            for k in range(1, 1 + self.rng.randrange(1, 4))
        ]
        received = status == "Open" and n % 3 == 0
        for line in lines:
            line["receivedQuantity"] = line["quantity"] if received else 0.0
        return {
            "id": order_id,
            "number": f"106{n:03d}",
            "orderDate": ordered.date().isoformat(),
            "vendorId": vendor["id"],
            "vendorNumber": vendor["number"],
            "vendorName": vendor["displayName"],
            "requestedReceiptDate": (ordered + timedelta(days=14)).date().isoformat(),
            "currencyCode": vendor["currencyCode"],
            "status": status,
            "fullyReceived": received,
            "totalAmountExcludingTax": round(sum(line["amountExcludingTax"] for line in lines), 2),
            "lastModifiedDateTime": stamp(ordered + timedelta(hours=2)),
            "purchaseOrderLines": lines,
        }

    def line(self, order_id: str, sequence: int, item: Record) -> Record:
        quantity = float(self.rng.randrange(1, 20))
        return {
            "id": self.guid(),
            "documentId": order_id,
            "sequence": sequence * 10000,
            "itemId": item["id"],
            "lineType": "Item",
            "description": item["displayName"],
            "unitOfMeasureCode": item["baseUnitOfMeasureCode"],
            "quantity": quantity,
            "directUnitCost": item["unitCost"],
            "amountExcludingTax": round(quantity * item["unitCost"], 2),
            "receivedQuantity": 0.0,
            "expectedReceiptDate": "0001-01-01",  # the API writes an unset date so
        }

    def fixed_asset(self, n: int, locations: list[Record]) -> Record:
        kind, klass = FIXED_ASSETS[n % len(FIXED_ASSETS)]
        return {
            "id": self.guid(),
            "number": f"FA{n + 1:06d}",
            "displayName": f"{kind} {n // len(FIXED_ASSETS) + 1}",
            "fixedAssetLocationCode": locations[n % len(locations)]["code"],
            "classCode": klass,
            "subclassCode": "",
            "blocked": n % 9 == 8,
            "serialNumber": f"SN-{self.rng.randrange(10**6):06d}",
            "underMaintenance": n % 5 == 3,
            "acquisitionDate": self.moment(n).date().isoformat(),
            "lastModifiedDateTime": stamp(self.moment(n + 2)),
        }

    def employee(self, n: int) -> Record:
        given, surname = FIRST[n % len(FIRST)], LAST[(n * 3) % len(LAST)]
        return {
            "id": self.guid(),
            "number": f"E{100 + n}",
            "displayName": f"{given} {surname}",
            "givenName": given,
            "surname": surname,
            "jobTitle": JOBS[n % len(JOBS)],
            "email": f"{given.lower()}.{surname.lower()}@cronus.example.com" if n % 5 else "",
            "personalEmail": "" if n % 5 else f"{given.lower()}{n}@mail.example.com",
            "status": "Inactive" if n % 7 == 6 else "Active",
            "lastModifiedDateTime": stamp(self.moment(n + 1)),
        }
