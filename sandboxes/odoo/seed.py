"""Deterministic seed data for the Odoo sandbox: a plant's maintenance, stock and purchases.

Records are stored as Odoo keeps them: a many2one as the related id (the API
answers `[id, display name]`), empty fields as `false`, times as naive UTC text.
Everything comes from one `random.Random(seed)`, so a seed always gives the same bytes.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sandboxes.data import Record, SeededDataset
from sandboxes.odoo.schema import MODELS

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
START = datetime(2025, 6, 1, tzinfo=UTC)
SPAN_DAYS = 480

STAGES = (("New Request", False), ("In Progress", False), ("Repaired", True), ("Scrap", True))
CATEGORIES = ("Pumps", "Compressors", "Conveyors", "Vehicles")
KINDS = (("Centrifugal Pump", 0), ("Air Compressor", 1), ("Belt Conveyor", 2), ("Forklift", 3), ("Dosing Pump", 0))
MAKERS = ("Grundfos", "Atlas Copco", "Interroll", "Linde", "KSB", "Kaeser")
VENDORS: tuple[str, ...] = (
    "Bearing World",
    "Fluid Seals Ltd",
    "Northern Electric",
    "Filtration Direct",
    "Precision Belts",
)
VENDORS += ("Hydraulic Supply Co", "Lube Masters", "Motor Repair Inc", "Safety First", "Valve Center")
VENDORS += ("Compressed Air Parts", "Tool Depot", "Pump Parts Online", "Steel & Fasteners", "Weld Pro", "Gasket Hub")
CUSTOMERS = ("Riverside Foods", "Summit Bottling", "Lakeview Dairy", "Oak Brewery")
PEOPLE = ("Marc Demo", "Ana Moreno", "Ben Okafor", "Chloe Schmidt", "Dev Tanaka", "Eli Walsh", "Fay Novak")
PARTS: tuple[str, ...] = (
    "Bearing 6204",
    "V-Belt B52",
    "Air Filter",
    "Contactor 40A",
    "Mechanical Seal",
    "Gear Oil 5L",
    "Fuse 30A",
)
PARTS += ("Shaft Coupling", "Pressure Gauge", "O-Ring Kit", "Drive Chain", "Hydraulic Hose", "Motor 2.2kW", "Seal Kit")
JOBS = ("Inspect {a}", "Lubricate {a}", "Replace filter on {a}", "{a} leaking", "{a} making noise", "Repair {a}")
SHELVES = ("Shelf A", "Shelf B", "Shelf C", "Spare Parts Cage", "Tool Crib", "Chemicals")

DEMO_DATABASE = "plantgate-demo"
DEMO_LOGIN = "demo@plantgate.example"
DEMO_PASSWORD = "odoo-demo-password"
DEMO_API_KEY = "odoo-demo-api-key-4f7a1c9e"
EXPIRED_API_KEY = "odoo-expired-api-key-0b2d"


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


class Dataset(SeededDataset):
    """The seeded tables of one sandbox app, keyed by model name; ids are Odoo's integer ids."""

    stamp_field = "write_date"

    def generate(self) -> dict[str, list[Record]]:
        return _Generator(self.seed).run()

    def now_stamp(self) -> str:
        return stamp(datetime.now(UTC))

    def next_id(self, model: str) -> int:
        return max((r["id"] for r in self.records(model)), default=0) + 1


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.tables: dict[str, list[Record]] = {name: [] for name in MODELS}

    def moment(self, after: datetime = START, days: int = SPAN_DAYS) -> datetime:
        return after + timedelta(seconds=self.rng.randint(0, days * 86_400))

    def add(self, table: str, record_id: int, created: datetime | None = None, **values: Any) -> Record:
        made = created or self.moment()
        changed = min(self.moment(made, 60), START + timedelta(days=SPAN_DAYS))
        record = {"id": record_id, **values, "create_date": stamp(made), "write_date": stamp(max(made, changed))}
        if MODELS[table].archivable:
            record.setdefault("active", True)
        self.tables[table].append(record)
        return record

    def run(self) -> dict[str, list[Record]]:
        self.reference()
        self.maintenance()
        self.purchases()
        return self.tables

    def reference(self) -> None:
        self.add("res.users", 1, name="OdooBot", login="__system__", email=False, active=False)
        self.add("res.users", 2, name="Mitchell Admin", login="admin", email="admin@plantgate.example")
        self.add("res.users", 3, name=PEOPLE[0], login=DEMO_LOGIN, email=DEMO_LOGIN)
        for n, person in enumerate(PEOPLE[1:], start=4):
            login = person.lower().replace(" ", ".") + "@plantgate.example"
            self.add("res.users", n, name=person, login=login, email=login, active=n != 9)
        self.add("res.currency", 1, name="EUR")
        self.add("res.currency", 2, name="USD")
        for n, unit in enumerate(("Units", "kg", "L", "m"), start=1):
            self.add("uom.uom", n, name=unit)
        for n, name in enumerate(VENDORS, start=10):
            city = self.rng.choice(("Dayton", "Leeds", "Lyon", "Graz"))
            self.add(
                "res.partner",
                n,
                name=name,
                ref=f"V{n:04d}",
                email=name.lower().split()[0] + "@vendor.example",
                phone=self.rng.choice((False, f"+1 555 01{n:02d}")),
                website=False,
                contact_address=f"{name}\n{self.rng.randint(1, 99)} Mill Road\n{city}",
                supplier_rank=self.rng.randint(1, 9),
                active=n % 9 != 0,
                x_studio_payment_block=n % 5 == 0,
            )
        for n, name in enumerate(CUSTOMERS, start=40):
            self.add(
                "res.partner",
                n,
                name=name,
                ref=False,
                email=False,
                phone=False,
                website=False,
                contact_address=name,
                supplier_rank=0,
                x_studio_payment_block=False,
            )
        self.locations()
        for n, name in enumerate(PARTS, start=1):
            self.add(
                "product.product",
                n,
                name=name,
                display_name=f"[P{n:04d}] {name}",
                default_code=f"P{n:04d}",
                description_purchase=self.rng.choice((False, f"{name}, packed per unit")),
                uom_id=2 if "Oil" in name else 1,
                standard_price=round(self.rng.uniform(2, 400), 2),
                qty_available=float(self.rng.randint(0, 60)),
                active=n != len(PARTS),
            )

    def locations(self) -> None:
        def place(record_id: int, name: str, usage: str, parent: int | bool) -> None:
            above = next((r for r in self.tables["stock.location"] if r["id"] == parent), None)
            full = f"{above['complete_name']}/{name}" if above else name
            self.add(
                "stock.location",
                record_id,
                START,
                name=name,
                complete_name=full,
                barcode=False,
                usage=usage,
                location_id=parent,
            )

        place(1, "Physical Locations", "view", False)
        place(2, "Partners", "view", False)
        place(3, "Virtual Locations", "view", False)
        place(4, "Vendors", "supplier", 2)
        place(5, "Customers", "customer", 2)
        place(7, "WH", "view", 1)
        place(8, "Stock", "internal", 7)
        for n, shelf in enumerate(SHELVES, start=20):
            place(n, shelf, "internal", 8)
        place(14, "Inventory adjustment", "inventory", 3)

    def maintenance(self) -> None:
        for n, (name, done) in enumerate(STAGES, start=1):
            self.add("maintenance.stage", n, START, name=name, done=done)
        for n, name in enumerate(CATEGORIES, start=1):
            self.add("maintenance.equipment.category", n, START, name=name)
        for n in range(1, 41):
            kind, category = self.rng.choice(KINDS)
            self.add(
                "maintenance.equipment",
                n,
                name=f"{kind} {chr(64 + (n % 26 or 26))}-{100 + n}",
                code=f"EQ-{n:04d}",
                note=False,
                category_id=category + 1,
                partner_id=self.rng.choice((False, *range(10, 10 + len(VENDORS)))),
                model=f"{self.rng.choice(MAKERS)} {self.rng.randint(100, 999)}",
                serial_no=f"SN{self.rng.randint(100000, 999999)}",
                location=self.rng.choice(("Line 1", "Line 2", "Boiler Room", "Yard")),
                active=n != 40,
            )
        equipment = self.tables["maintenance.equipment"]
        for n in range(1, 151):
            asset = self.rng.choice(equipment)
            created = self.moment()
            stage = self.rng.choices((1, 2, 3, 4), weights=(30, 20, 45, 5))[0]
            closed = stamp(self.moment(created, 20))[:10] if stage in (3, 4) else False
            self.add(
                "maintenance.request",
                n,
                created,
                name=self.rng.choice(JOBS).format(a=asset["name"]),
                description=self.rng.choice((False, "<p>Reported by the line operator.</p>")),
                stage_id=stage,
                priority=self.rng.choice(("0", "1", "2", "3")),
                maintenance_type=self.rng.choice(("corrective", "corrective", "preventive")),
                schedule_date=self.rng.choice((False, stamp(self.moment(created, 30)))),
                request_date=stamp(created)[:10],
                close_date=closed,
                duration=float(self.rng.choice((0, 0.5, 1, 2, 4))),
                equipment_id=self.rng.choice((asset["id"],) * 9 + (False,)),
                user_id=self.rng.choice((False, *range(3, 9))),
                owner_user_id=self.rng.choice(range(2, 9)),
                x_shift=self.rng.choice((False, "day", "night")),
            )

    def purchases(self) -> None:
        products = self.tables["product.product"]
        line_id = 1
        for n in range(1, 26):
            created = self.moment()
            lines = []
            for seq in range(1, self.rng.randint(1, 4) + 1):
                product = self.rng.choice(products)
                quantity = float(self.rng.randint(1, 20))
                price = product["standard_price"]
                lines.append(
                    self.add(
                        "purchase.order.line",
                        line_id,
                        created,
                        order_id=n,
                        sequence=seq * 10,
                        product_id=product["id"],
                        name=product["display_name"],
                        product_qty=quantity,
                        product_uom=product["uom_id"],
                        price_unit=price,
                        price_subtotal=round(quantity * price, 2),
                        qty_received=self.rng.choice((0.0, quantity)),
                    )
                )
                line_id += 1
            self.add(
                "purchase.order",
                n,
                created,
                name=f"P{n:05d}",
                state=self.rng.choice(("draft", "sent", "purchase", "purchase", "done", "cancel")),
                date_order=stamp(created),
                date_planned=stamp(self.moment(created, 30)),
                currency_id=2,
                amount_total=round(sum(line["price_subtotal"] for line in lines), 2),
                partner_id=self.rng.randint(10, 9 + len(VENDORS)),
            )
