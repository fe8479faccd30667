"""Deterministic seed data for the Limble CMMS sandbox.

A packaging plant with a few sites, in Limble's shapes: integer ids named per
resource (`taskID`, `assetID`, ...), one sequence each, lists in id order; dates
are epoch seconds, 0 where there is none. Tasks are one resource for work
orders, PMs and work requests (`type`). Everything comes from one
`random.Random(seed)`, so a seed always gives the same bytes.
"""

from __future__ import annotations

import time

from sandboxes.data import Record, SeededDataset, SeededGenerator

# Each resource's path (after /v2) and the field holding its id.
KEYS = {
    "locations": "locationID",
    "users": "userID",
    "teams": "teamID",
    "vendors": "vendorID",
    "assets": "assetID",
    "parts": "partID",
    "purchase-orders": "poID",
    "tasks": "taskID",
}
COUNTS = {"locations": 12, "users": 20, "vendors": 24, "assets": 150, "parts": 120, "purchase-orders": 60, "tasks": 480}
FIRST_ID = {"locations": 7001, "users": 30001, "teams": 901, "vendors": 401, "assets": 52001, "parts": 8101}
FIRST_ID |= {"purchase-orders": 1201, "tasks": 610001}

# Task types (docs/vendors/limble.md): 1 PM, 2 unplanned work order, 4 planned work order, 6 work request.
TASK_TYPES = ((2, 45), (1, 25), (4, 10), (6, 20))
# 0 open, 1 in progress, 2 complete are Limble's own; 5617 stands for a status an account added.
STATUSES = ((0, 35), (1, 20), (2, 40), (5617, 5))
PRIORITIES = ((0, 30), (1, 40), (2, 20), (3, 10))
PO_STATES = ((0, 10), (1, 20), (2, 25), (3, 15), (4, 25), (5, 5))

START = 1748736000  # 2025-06-01
END = 1790726400  # 2026-10-01
DAY = 86_400

SITES = ("North Plant", "South Plant", "Riverside Warehouse")
AREAS = ("Line 1", "Line 2", "Boiler Room", "Compressor Room", "Shipping Dock", "Tool Crib", "Lab", "Roof", "Yard")
NAMES = ("Ana", "Ben", "Chloe", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivan", "Jo", "Kai", "Lena", "Max", "Nia")
SURNAMES = ("Moreno", "Okafor", "Schmidt", "Tanaka", "Walsh", "Novak", "Reyes", "Olsen", "Khan", "Price")
KINDS = ("Centrifugal Pump", "Air Compressor", "Belt Conveyor", "Case Packer", "Chiller", "Forklift", "Boiler")
PART_KINDS = ("Bearing 6204", "V-Belt B52", "Air Filter", "Contactor 40A", "Mechanical Seal", "Gear Oil", "Fuse 30A")
JOBS = ("Inspect {a}", "Lubricate {a}", "Replace filter on {a}", "{a} leaking", "{a} making noise", "Repair {a}")


class Dataset(SeededDataset):
    """The seeded records of one Limble sandbox app; records are keyed by their own id field (`KEYS`)."""

    stamp_field = "lastEdited"

    def generate(self) -> dict[str, list[Record]]:
        return _Generator(self.seed).run()

    def now_stamp(self) -> int:
        return int(time.time())

    def id_field(self, resource: str) -> str:
        return KEYS[resource]

    def next_id(self, resource: str) -> int:
        with self._lock:
            return max(self._index[resource], default=FIRST_ID[resource] - 1) + 1


class _Generator(SeededGenerator):
    def run(self) -> dict[str, list[Record]]:
        tables = self.reference_tables()
        tables["purchase-orders"] = self.purchase_orders(tables)
        tables["tasks"] = self.tasks(tables)
        return tables

    def _ids(self, resource: str, count: int) -> range:
        return range(FIRST_ID[resource], FIRST_ID[resource] + count)

    def _when(self) -> tuple[int, int]:
        created = self.rng.randint(START, END - 30 * DAY)
        return created, created + self.rng.randint(0, 30 * DAY)

    def users(self) -> list[Record]:
        rows = []
        for n, user_id in enumerate(self._ids("users", COUNTS["users"])):
            first, last = NAMES[n % len(NAMES)], self.rng.choice(SURNAMES)
            email = f"{first}.{last}{n}@plant.example".lower()
            rows.append({"userID": user_id, "firstName": first, "lastName": last, "email": email, "username": email})
        return rows

    def teams(self, users: list[Record]) -> list[Record]:
        names = ("Mechanical", "Electrical", "Facilities", "Night Shift")
        return [{"teamID": FIRST_ID["teams"] + n, "name": name} for n, name in enumerate(names)]

    def locations(self) -> list[Record]:
        rows = []
        for n, location_id in enumerate(self._ids("locations", COUNTS["locations"])):
            site = SITES[n % len(SITES)]
            name = site if n < len(SITES) else f"{site} - {AREAS[n % len(AREAS)]}"
            address = f"{100 + 7 * n} Industrial Way, Springfield"
            rows.append({"locationID": location_id, "name": name, "address": address, "phone": f"555-01{n:02d}"})
        return rows

    def vendors(self) -> list[Record]:
        rows = []
        for n, vendor_id in enumerate(self._ids("vendors", COUNTS["vendors"])):
            name = f"{self.rng.choice(SURNAMES)} {self.rng.choice(('Supply', 'Electric', 'Industrial', 'Service'))}"
            slug = name.lower().replace(" ", "")
            row = {"vendorID": vendor_id, "name": name, "email": f"sales@{slug}.example", "phone": f"555-02{n:02d}"}
            rows.append({**row, "address": f"{20 + n} Commerce Dr", "contact": self.rng.choice(NAMES)})
        return rows

    def assets(self, locations: list[Record]) -> list[Record]:
        rows: list[Record] = []
        for n, asset_id in enumerate(self._ids("assets", COUNTS["assets"])):
            created, edited = self._when()
            parent = self.rng.choice(rows) if rows and self.rng.random() < 0.2 else None
            location = parent["locationID"] if parent else self.rng.choice(locations)["locationID"]
            name = f"{self.rng.choice(KINDS)} {n + 1:03d}"
            rows.append(
                {
                    "assetID": asset_id,
                    "name": name,
                    "locationID": location,
                    "parentAssetID": parent["assetID"] if parent else 0,
                    "startedOn": created,
                    "lastEdited": edited,
                }
            )
        return rows

    def parts(self, locations: list[Record], vendors: list[Record]) -> list[Record]:
        rows = []
        for n, part_id in enumerate(self._ids("parts", COUNTS["parts"])):
            kind = self.rng.choice(PART_KINDS)
            rows.append(
                {
                    "partID": part_id,
                    "name": kind,
                    "number": f"P-{10000 + n}",
                    "locationID": self.rng.choice(locations)["locationID"],
                    "quantity": self.rng.randint(0, 60),
                    "minThreshold": self.rng.choice((0, 2, 5, 10)),
                    "price": round(self.rng.uniform(3, 400), 2),
                }
            )
        return rows

    def purchase_orders(self, tables: dict[str, list[Record]]) -> list[Record]:
        rows = []
        for n, po_id in enumerate(self._ids("purchase-orders", COUNTS["purchase-orders"])):
            created, _ = self._when()
            items = [
                {"partID": part["partID"], "qty": self.rng.randint(1, 12), "rate": part["price"]}
                for part in self.rng.sample(tables["parts"], self.rng.randint(1, 3))
            ]
            state = self.weighted(PO_STATES)
            for item in items:
                item["received"] = self.received(item["qty"], state == 4, state == 3 and item["qty"] > 1)
            rows.append(
                {
                    "poID": po_id,
                    "number": 5000 + n,
                    "vendorID": self.rng.choice(tables["vendors"])["vendorID"],
                    "locationID": self.rng.choice(tables["locations"])["locationID"],
                    "state": state,
                    "date": created,
                    "expectedDate": created + self.rng.randint(3, 30) * DAY,
                    "items": items,
                }
            )
        return rows

    def tasks(self, tables: dict[str, list[Record]]) -> list[Record]:
        rows = []
        for task_id in self._ids("tasks", COUNTS["tasks"]):
            created, edited = self._when()
            asset = self.rng.choice(tables["assets"]) if self.rng.random() < 0.85 else None
            location = asset["locationID"] if asset else self.rng.choice(tables["locations"])["locationID"]
            task_type = self.weighted(TASK_TYPES)
            status = self.weighted(STATUSES)
            user = self.rng.choice(tables["users"])
            rows.append(
                {
                    "taskID": task_id,
                    "name": self.rng.choice(JOBS).format(a=asset["name"] if asset else "area"),
                    "description": self.rng.choice(("", "Reported by operator.", "See the checklist.")),
                    "type": task_type,
                    "statusID": status,
                    "priority": self.weighted(PRIORITIES),
                    "locationID": location,
                    "assetID": asset["assetID"] if asset else 0,
                    "userID": user["userID"] if task_type != 6 else 0,
                    "teamID": 0,
                    "due": created + self.rng.randint(1, 21) * DAY,
                    "dateCompleted": edited if status == 2 else 0,
                    "createdDate": created,
                    "lastEdited": edited,
                    "requestorName": f"{user['firstName']} {user['lastName']}" if task_type == 6 else "",
                    "requestorEmail": user["email"] if task_type == 6 else "",
                    "template": False,
                }
            )
        return rows
