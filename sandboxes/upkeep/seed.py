"""Deterministic seed data for the UpKeep sandbox.

A mid-sized manufacturer with four sites: enough records that every resource
needs several pages, with references that hold together (a work order's
location is its asset's location, an approved request points at its work
order) so mappers and relation resolvers meet realistic data. Everything comes
from one `random.Random(seed)`, so a seed always gives the same bytes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sandboxes.data import EPOCH, Record, SeededDataset, SeededGenerator, iso, now_ms, parse_ms

RESOURCES = (
    "users",
    "teams",
    "locations",
    "vendors",
    "assets",
    "parts",
    "purchase-orders",
    "work-orders",
    "requests",
    "meters",
)
COUNTS = {
    "users": 25,
    "teams": 5,
    "locations": 40,
    "vendors": 30,
    "assets": 220,
    "parts": 150,
    "purchase-orders": 80,
    "work-orders": 620,
    "requests": 120,
    "meters": 30,
}
STATUS_RESOURCES = ("assets", "purchase-orders", "work-orders", "requests")

DEMO_EMAIL = "demo@upkeep.example"
# userId reported for logins whose email matches no seeded user.
API_USER_ID = "ApiUser00"

WINDOW_START = int((datetime(2025, 6, 1, tzinfo=UTC) - EPOCH).total_seconds() * 1000)
WINDOW_END = int((datetime(2026, 11, 1, tzinfo=UTC) - EPOCH).total_seconds() * 1000)
DAY = 86_400_000
HOUR = 3_600_000

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class Dataset(SeededDataset):
    """The seeded records of one UpKeep sandbox app, generated on first use, ordered by (createdAt, id)."""

    def generate(self) -> dict[str, list[Record]]:
        return _Generator(self.seed).run()

    def now_stamp(self) -> str:
        return iso(now_ms())


# --- generation -------------------------------------------------------------

FIRST_NAMES = (
    "James",
    "Maria",
    "Robert",
    "Linda",
    "Michael",
    "Patricia",
    "David",
    "Jennifer",
    "Carlos",
    "Aisha",
    "Thomas",
    "Nguyen",
    "Daniel",
    "Sofia",
    "Kevin",
    "Priya",
    "Brian",
    "Olga",
    "Marcus",
    "Hannah",
    "Luis",
    "Grace",
    "Tyrone",
    "Ingrid",
    "Samuel",
    "Fatima",
    "Derek",
    "Mei",
)
LAST_NAMES = (
    "Smith",
    "Johnson",
    "Garcia",
    "Miller",
    "Davis",
    "Martinez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "Lee",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "King",
    "Wright",
    "Lopez",
    "Hill",
    "Scott",
    "Green",
    "Adams",
    "Baker",
    "Nelson",
    "Patel",
    "Kowalski",
)
TEAM_NAMES = ("Mechanical Crew", "Electrical Crew", "Facilities", "Utilities", "Night Shift")

SITES = (
    ("Plant North", "1200 Industrial Pkwy, Dayton, OH 45414", 39.8403, -84.1916),
    ("Plant South", "455 Foundry Rd, Chattanooga, TN 37406", 35.0741, -85.2358),
    ("Riverside Works", "88 Riverside Dr, Allentown, PA 18109", 40.6229, -75.4530),
    ("Eastgate Distribution Center", "3100 Eastgate Blvd, Columbus, OH 43219", 39.9958, -82.8890),
)
BUILDINGS_PER_SITE = (3, 2, 2, 2)
AREA_NAMES = (
    "Line 1 Filling",
    "Line 2 Filling",
    "Line 3 Packaging",
    "Line 4 Palletizing",
    "Boiler Room",
    "Compressor Room",
    "Loading Dock",
    "Mixing Area",
    "Maintenance Shop",
    "Electrical Room",
    "Roof",
    "Warehouse Aisles",
    "Cold Storage",
    "Paint Booth",
    "Machine Shop",
    "Wastewater Treatment",
    "Quality Lab",
    "Break Room",
    "Mechanical Room",
    "Shipping Bay",
)

# (category, asset kind, tag prefix, makes)
ASSET_KINDS = (
    ("Pumps", "Centrifugal Pump", "P", ("Grundfos", "Goulds", "Flowserve", "KSB")),
    ("Pumps", "Diaphragm Pump", "DP", ("Graco", "Wilden", "Yamada")),
    ("Conveyors", "Belt Conveyor", "CV", ("Dorner", "Hytrol", "Intralox")),
    ("Conveyors", "Roller Conveyor", "RC", ("Hytrol", "Interroll")),
    ("Compressors", "Air Compressor", "AC", ("Atlas Copco", "Ingersoll Rand", "Kaeser", "Sullair")),
    ("HVAC", "Rooftop Unit", "RTU", ("Trane", "Carrier", "Lennox")),
    ("HVAC", "Air Handling Unit", "AHU", ("Daikin", "Trane", "York")),
    ("HVAC", "Chiller", "CH", ("Carrier", "York", "Daikin")),
    ("Boilers", "Steam Boiler", "B", ("Cleaver-Brooks", "Fulton", "Miura")),
    ("Electrical", "Motor Control Center", "MCC", ("Schneider Electric", "Siemens", "Eaton")),
    ("Electrical", "Transformer", "TX", ("ABB", "Eaton", "Siemens")),
    ("Electrical", "Emergency Generator", "GEN", ("Caterpillar", "Cummins", "Generac")),
    ("Packaging", "Case Packer", "CP", ("Douglas", "Krones", "Wexxar")),
    ("Packaging", "Stretch Wrapper", "SW", ("Lantech", "Wulftec")),
    ("Packaging", "Filler", "FL", ("Krones", "Serac")),
    ("Vehicles", "Forklift", "FK", ("Toyota", "Hyster", "Crown")),
    ("Safety", "Fire Pump", "FP", ("Aurora", "Peerless")),
    ("Process", "Mixing Tank", "MX", ("Paul Mueller", "Lee Industries")),
)
COMPONENTS = ("Drive Motor", "Gearbox", "VFD", "Bearing Assembly", "Control Panel", "Coupling")
ASSET_STATUSES = (("active", 75), ("maintenance", 10), ("inactive", 10), ("retired", 5))
CRITICALITIES = (("low", 30), ("medium", 35), ("high", 20), (None, 15))

VENDOR_NAMES = (
    "Midwest Bearing Supply",
    "Apex Industrial Electric",
    "Grainger Industrial",
    "Motion Industries",
    "Fastenal",
    "Allied Pump & Valve",
    "Summit HVAC Services",
    "Keystone Compressor Co.",
    "Tri-State Boiler Works",
    "Precision Motor Repair",
    "Buckeye Safety Supply",
    "Lakeshore Hydraulics",
    "Iron City Welding",
    "Blue Ridge Conveyor",
    "Northern Lubricants",
    "Capital Electric Motors",
    "ProFilter Solutions",
    "Delta Controls Integration",
    "Harbor Fastener",
    "Granite Rigging",
    "Ohio Valley Plumbing",
    "Eagle Forklift Service",
    "Sterling Instrumentation",
    "Great Lakes Belting",
    "Reliable Scaffold",
    "Metro Waste Services",
    "Clearwater Chemical",
    "Frontier Pest Control",
    "Bright Path Lighting",
    "Union Seal & Gasket",
)
VENDOR_TYPES = ("Supplier", "Contractor", "Service Provider", "Manufacturer")
VENDOR_SCOPES = (
    "bearings and power transmission",
    "electrical supplies",
    "pumps and valves",
    "HVAC service",
    "compressed air systems",
    "boiler service",
    "motor rewinds",
    "safety equipment",
    "lubricants",
    "fasteners and MRO supplies",
    "conveyor parts",
    "facility services",
)
STREETS = ("Commerce Dr", "Main St", "Industrial Blvd", "Harbor Rd", "Oak Ave", "Market St", "Mill Rd")
CITIES = ("Dayton, OH", "Cincinnati, OH", "Knoxville, TN", "Pittsburgh, PA", "Columbus, OH", "Reading, PA")

# (name stem, variants, unit, cost range)
PART_KINDS = (
    ("Deep Groove Ball Bearing", ("6203-2RS", "6204-2RS", "6205-2RS", "6305-2RS"), "each", (6, 40)),
    ("Pillow Block Bearing", ("UCP205", "UCP207", "UCP210"), "each", (25, 120)),
    ("V-Belt", ("A42", "B52", "B60", "BX75"), "each", (8, 35)),
    ("Timing Belt", ("HTD 8M-1200", "HTD 5M-800"), "each", (30, 90)),
    ("Mechanical Seal", ("1.125 in", "1.5 in", "2 in"), "each", (80, 350)),
    ("Hydraulic Oil", ("ISO 32", "ISO 46", "ISO 68"), "litre", (3, 8)),
    ("Gear Oil", ("ISO 150", "ISO 220", "ISO 320"), "litre", (5, 12)),
    ("Grease Cartridge", ("EP2", "Food Grade H1"), "box", (40, 95)),
    ("Air Filter Element", ("10 micron", "25 micron", "Panel 24x24"), "each", (12, 75)),
    ("Oil Filter", ("Compressor", "Hydraulic Return"), "each", (20, 85)),
    ("Contactor", ("3P 25A", "3P 40A", "3P 65A"), "each", (45, 210)),
    ("Fuse", ("30A Class J", "60A Class J", "10A Midget"), "box", (15, 90)),
    ("Proximity Sensor", ("M12 PNP", "M18 PNP", "M18 NPN"), "each", (35, 120)),
    ("Photoelectric Sensor", ("Diffuse", "Retroreflective"), "each", (60, 180)),
    ("Pneumatic Fitting", ("1/4 in Push", "3/8 in Push", "1/2 in Elbow"), "box", (10, 40)),
    ("Solenoid Valve", ("24VDC 1/4 in", "120VAC 1/2 in"), "each", (55, 240)),
    ("Jaw Coupling Insert", ("L-075", "L-100", "L-110"), "each", (6, 30)),
    ("O-Ring Kit", ("Metric", "Imperial"), "each", (25, 70)),
    ("Conveyor Belt", ("PVC 600mm", "Modular 300mm"), "metre", (40, 160)),
    ("Roller Chain", ("#40", "#60", "#80"), "metre", (12, 45)),
    ("Welding Rod", ("E7018", "E6013"), "kg", (6, 14)),
    ("Refrigerant", ("R-410A", "R-134a"), "kg", (18, 60)),
    ("Boiler Gasket", ("Handhole", "Manway"), "each", (15, 65)),
    ("Fluorescent Tube", ("T8 4ft",), "box", (30, 60)),
    ("LED High Bay Lamp", ("150W", "200W"), "each", (90, 220)),
    ("Cable Tie", ("300mm", "200mm"), "box", (5, 20)),
    ("Steel Shim Stock", ("0.5mm", "1mm"), "kg", (10, 25)),
    ("Absorbent Pad", ("Universal",), "box", (35, 80)),
    ("Safety Glasses", ("Clear", "Tinted"), "box", (20, 55)),
)
PO_STATUSES = (
    ("fulfilled", 40),
    ("approved", 20),
    ("requested", 15),
    ("partiallyFulfilled", 12),
    ("declined", 7),
    ("cancelled", 6),
)

WO_STATUSES = (("complete", 50), ("open", 25), ("inProgress", 15), ("onHold", 10))
WO_PRIORITIES = ((0, 30), (1, 40), (2, 20), (3, 10))
# category -> title templates; {a} is the asset name
WO_TITLES = {
    "Mechanical": (
        "Replace worn bearing on {a}",
        "Fix oil leak on {a}",
        "Realign coupling on {a}",
        "Adjust belt tension on {a}",
        "Excessive vibration on {a}",
    ),
    "Electrical": (
        "Breaker tripping on {a}",
        "Replace faulty contactor on {a}",
        "Check motor amps on {a}",
        "Loose wiring in panel of {a}",
    ),
    "Inspection": ("Monthly inspection - {a}", "Annual safety inspection - {a}", "Thermal scan of {a}"),
    "Preventive": ("Quarterly PM - {a}", "Lubricate {a}", "Change filters on {a}", "Oil change - {a}"),
    "Safety": ("Replace missing guard on {a}", "Lockout point label faded on {a}"),
    "Damage": ("Repair dented housing on {a}", "Forklift impact damage to {a}"),
    "Emergency": ("{a} down - production stopped", "{a} overheating - shut down"),
}
WO_CATEGORY_WEIGHTS = (
    ("Preventive", 30),
    ("Mechanical", 22),
    ("Electrical", 15),
    ("Inspection", 15),
    ("Damage", 6),
    ("Safety", 6),
    ("Emergency", 6),
)
# Work without an asset; {l} is the location name.
LOCATION_TITLES = (
    ("Facilities", "Replace lights in {l}"),
    ("Damage", "Repair roof leak above {l}"),
    ("Safety", "Clean up spill in {l}"),
    ("Mechanical", "Fix door closer in {l}"),
    ("Inspection", "Fire extinguisher check - {l}"),
    ("Electrical", "Outlet not working in {l}"),
)
REQUEST_TITLES = (
    "Strange noise from {a}",
    "{a} is leaking",
    "{a} will not start",
    "Burning smell near {a}",
    "Guard missing on {a}",
    "{a} running hot",
)
REQUEST_LOCATION_TITLES = ("Light out in {l}", "Spill in {l}", "Door stuck in {l}", "Too cold in {l}")
REQUEST_STATUSES = (("approved", 45), ("pending", 35), ("declined", 20))


def customize(tables: dict[str, list[Record]]) -> None:
    """The customer-specific fields this tenant added (UpKeep's custom fields live in `customFields`).

    Derived from each record, not from the random stream, so the rest of the seed is unchanged.
    """
    for n, order in enumerate(tables["work-orders"]):
        shift = order["description"].rsplit("during ", 1)[-1].split(" ")[0]
        order["customFields"] = {"shift": shift, "costCenter": f"CC-{200 + n % 7}", "downtimeMinutes": (n * 13) % 240}
    for n, asset in enumerate(tables["assets"]):
        asset["customFields"] = {
            "warrantyUntil": iso(parse_ms(asset["createdAt"]) + 730 * DAY),
            "ratedPowerKw": 5 + n % 40,
        }


class _Generator(SeededGenerator):
    """Builds all tables in a fixed order from one Random."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.used_ids: set[str] = set()

    # helpers

    def new_id(self) -> str:
        while True:
            value = "".join(self.rng.choice(BASE62) for _ in range(9))
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def moment(self, start: int, end: int) -> int:
        return self.rng.randint(start, max(start, end))

    def stamps(self, start: int, end: int = WINDOW_END, unchanged: float = 0.3) -> tuple[int, int]:
        """createdAt within [start, end], updatedAt after it (or equal, sometimes)."""
        created = self.moment(start, end)
        updated = created if self.rng.random() < unchanged else self.moment(created, WINDOW_END)
        return created, updated

    def due(self, created: int, min_days: int, max_days: int, none_share: float) -> int | None:
        """A due date some days after creation, kept inside the window; sometimes none."""
        if self.rng.random() < none_share:
            return None
        return min(created + self.rng.randint(min_days, max_days) * DAY, WINDOW_END)

    # tables

    def run(self) -> dict[str, list[Record]]:
        tables = self.reference_tables()
        tables["purchase-orders"] = self.purchase_orders(tables)
        tables["work-orders"] = self.work_orders(tables)
        tables["requests"] = self.requests(tables)
        tables["meters"] = self.meters(tables["assets"])
        customize(tables)
        for name, rows in tables.items():
            assert len(rows) == COUNTS[name], name
            rows.sort(key=lambda r: (r["createdAt"], r["id"]))
        return tables

    def meters(self, assets: list[Record]) -> list[Record]:
        """Run-hour and temperature meters on the first operating assets (a custom-object candidate)."""
        rows = []
        for n, asset in enumerate([a for a in assets if a["status"] == "active"][: COUNTS["meters"]]):
            units = ("hours", "°C", "cycles")[n % 3]
            created = parse_ms(asset["createdAt"])
            record = {
                "id": self.new_id(),
                "name": f"{asset['name']} {units} meter",
                "units": units,
                "asset": asset["id"],
                "lastReading": round(100 + n * 37.5, 1),
                "frequency": 24 * (1 + n % 7),
            }
            rows.append(self.stamped(record, created, created))
        return rows

    def users(self) -> list[Record]:
        rows: list[Record] = []
        emails: set[str] = {DEMO_EMAIL}
        early, late = WINDOW_START + 20 * DAY, WINDOW_START + 25 * DAY
        created, updated = self.stamps(WINDOW_START, WINDOW_START + HOUR)
        demo = {
            "id": self.new_id(),
            "firstName": "Dana",
            "lastName": "Reyes",
            "email": DEMO_EMAIL,
            "role": "ADMIN",
            "active": True,
        }
        rows.append(self.stamped(demo, created, updated))
        roles = ["ADMIN"] * 2 + ["TECHNICIAN"] * 14 + ["REQUESTER"] * 5 + ["VIEW_ONLY"] * 3
        self.rng.shuffle(roles)
        for role in roles:
            while True:
                first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
                email = f"{first.lower()}.{last.lower()}@plant.example"
                if email not in emails:
                    emails.add(email)
                    break
            created, updated = self.stamps(WINDOW_START + HOUR, early if role != "REQUESTER" else late)
            user = {
                "id": self.new_id(),
                "firstName": first,
                "lastName": last,
                "email": email,
                "role": role,
                "active": self.rng.random() < 0.9,
            }
            rows.append(self.stamped(user, created, updated))
        return rows

    def teams(self, users: list[Record]) -> list[Record]:
        staff = [u["id"] for u in users if u["role"] in ("ADMIN", "TECHNICIAN")]
        rows = []
        for name in TEAM_NAMES:
            members = self.rng.sample(staff, self.rng.randint(3, 7))
            created, updated = self.stamps(WINDOW_START, WINDOW_START + 30 * DAY)
            rows.append(self.stamped({"id": self.new_id(), "name": name, "users": members}, created, updated))
        return rows

    def locations(self) -> list[Record]:
        rows: list[Record] = []

        def add(name: str, parent: Record | None, address: str | None, lat: float | None, lng: float | None) -> Record:
            floor = parse_ms(parent["createdAt"]) if parent else WINDOW_START
            created, updated = self.stamps(floor, floor + 10 * DAY)
            record = {
                "id": self.new_id(),
                "name": name,
                "address": address,
                "latitude": lat,
                "longitude": lng,
                "parentLocation": parent["id"] if parent else None,
            }
            rows.append(self.stamped(record, created, updated))
            return record

        buildings: list[Record] = []
        for (name, address, lat, lng), count in zip(SITES, BUILDINGS_PER_SITE):
            site = add(name, None, address, lat, lng)
            for b in range(count):
                jitter = (self.rng.uniform(-0.002, 0.002), self.rng.uniform(-0.002, 0.002))
                building = add(f"Building {'ABC'[b]}", site, None, round(lat + jitter[0], 6), round(lng + jitter[1], 6))
                buildings.append(building)
                if b == 0:
                    add("Main Storeroom", building, None, None, None)
        add("Spare Parts Cage", buildings[1], None, None, None)
        # 22 areas: two per building, the rest spread at random.
        per_building = [2] * len(buildings)
        for _ in range(22 - sum(per_building)):
            per_building[self.rng.randrange(len(buildings))] += 1
        for building, count in zip(buildings, per_building):
            for name in self.rng.sample(AREA_NAMES, count):
                add(name, building, None, None, None)
        return rows

    def vendors(self) -> list[Record]:
        rows = []
        for name in VENDOR_NAMES:
            slug = "".join(c for c in name.lower() if c.isalnum())
            created, updated = self.stamps(WINDOW_START, WINDOW_START + 90 * DAY)
            vendor_type = self.rng.choice(VENDOR_TYPES)
            record = {
                "id": self.new_id(),
                "businessName": name,
                "email": f"orders@{slug}.example",
                "phoneNumber": f"+1-555-{self.rng.randint(100, 999)}-{self.rng.randint(1000, 9999)}",
                "address": f"{self.rng.randint(10, 9999)} {self.rng.choice(STREETS)}, {self.rng.choice(CITIES)}",
                "website": f"https://www.{slug}.example",
                "vendorType": vendor_type,
                "description": f"{vendor_type} for {self.rng.choice(VENDOR_SCOPES)}",
            }
            rows.append(self.stamped(record, created, updated))
        return rows

    def assets(self, locations: list[Record]) -> list[Record]:
        by_id = {loc["id"]: loc for loc in locations}
        # Equipment sits in areas, sometimes directly in a building; never in storerooms.
        places = [
            loc
            for loc in locations
            if loc["parentLocation"] and "Store" not in loc["name"] and "Cage" not in loc["name"]
        ]
        numbers: dict[str, int] = {}
        rows: list[Record] = []
        for n in range(COUNTS["assets"]):
            parent = None
            if n >= 20 and self.rng.random() < 0.25:
                parent = self.rng.choice([a for a in rows if a["parentAsset"] is None])
            if parent is not None:
                component = self.rng.choice(COMPONENTS)
                tag = parent["name"].split()[-1]
                name, category, make = (
                    f"{component} {tag}",
                    parent["category"],
                    self.rng.choice(("Baldor", "WEG", "SEW-Eurodrive", "ABB", "Allen-Bradley", "SKF")),
                )
                kind, location = component, parent["location"]
                floor = parse_ms(parent["createdAt"])
            else:
                category, kind, prefix, makes = self.rng.choice(ASSET_KINDS)
                numbers[prefix] = numbers.get(prefix, 100) + 1
                name, make = f"{kind} {prefix}-{numbers[prefix]}", self.rng.choice(makes)
                location = self.rng.choice(places)["id"]
                floor = WINDOW_START + 5 * DAY
            created, updated = self.stamps(floor, max(floor, WINDOW_START + 150 * DAY))
            letters = "".join(self.rng.choice("ABCDEFGHKLMNRSTVX") for _ in range(2))
            model = f"{letters}-{self.rng.randint(10, 990)}"
            place = by_id[location]["name"]
            record = {
                "id": self.new_id(),
                "name": name,
                "description": f"{make} {kind.lower()} in {place}",
                "barcode": "".join(self.rng.choice("0123456789") for _ in range(12)),
                "serial": f"{make[:2].upper()}{self.rng.randint(10_000_000, 99_999_999)}",
                "model": model,
                "make": make,
                "category": category,
                "status": self.weighted(ASSET_STATUSES),
                "criticality": self.weighted(CRITICALITIES),
                "location": location,
                "parentAsset": parent["id"] if parent else None,
            }
            rows.append(self.stamped(record, created, updated))
        return rows

    def parts(self, locations: list[Record], vendors: list[Record]) -> list[Record]:
        storerooms = [loc["id"] for loc in locations if "Store" in loc["name"] or "Cage" in loc["name"]]
        vendor_ids = [v["id"] for v in vendors]
        variants = [(stem, v, unit, costs) for stem, vs, unit, costs in PART_KINDS for v in vs]
        rows: list[Record] = []
        part_numbers: set[str] = set()
        for n in range(COUNTS["parts"]):
            stem, variant, unit, (low, high) = variants[n % len(variants)]
            # Past the catalogue, the same item is stocked again in another storeroom.
            name = f"{stem} {variant}"
            while True:
                number = f"{''.join(w[0] for w in stem.split()).upper()}-{self.rng.randint(10000, 99999)}"
                if number not in part_numbers:
                    part_numbers.add(number)
                    break
            created, updated = self.stamps(WINDOW_START + 10 * DAY, WINDOW_START + 180 * DAY)
            record = {
                "id": self.new_id(),
                "name": name,
                "partNumber": number,
                "description": f"{stem} ({variant})",
                "details": self.rng.choice(
                    (
                        "",
                        "Keep sealed until use",
                        "Check expiry on receipt",
                        "Critical spare - do not lend",
                        "Order in multiples of 10",
                    )
                ),
                "quantity": self.rng.randint(0, 200),
                "minimumQuantity": self.rng.randint(0, 20),
                "cost": round(self.rng.uniform(low, high), 2),
                "unit": unit,
                "location": self.rng.choice(storerooms) if self.rng.random() < 0.9 else None,
                "vendors": self.rng.sample(vendor_ids, self.rng.choice((0, 1, 1, 1, 2, 2, 3))),
            }
            rows.append(self.stamped(record, created, updated))
        return rows

    def purchase_orders(self, tables: dict[str, list[Record]]) -> list[Record]:
        parts, vendors = tables["parts"], tables["vendors"]
        ship_to = [loc["id"] for loc in tables["locations"] if loc["parentLocation"] is None or "Store" in loc["name"]]
        stamps = sorted(
            self.stamps(WINDOW_START + 30 * DAY, WINDOW_END - 20 * DAY, unchanged=0.1)
            for _ in range(COUNTS["purchase-orders"])
        )
        rows = []
        for n, (created, updated) in enumerate(stamps):
            vendor = self.rng.choice(vendors)
            stocked = [p for p in parts if vendor["id"] in p["vendors"]] or parts
            lines_parts = self.rng.sample(stocked, min(len(stocked), self.rng.randint(1, 5)))
            status = self.weighted(PO_STATUSES)
            lines = []
            for part in lines_parts:
                quantity = self.rng.randint(1, 50)
                if status == "partiallyFulfilled":
                    quantity = max(quantity, 2)
                received = self.received(quantity, status == "fulfilled", status == "partiallyFulfilled")
                price = round(part["cost"] * self.rng.uniform(0.9, 1.1), 2)
                lines.append({"part": part["id"], "quantity": quantity, "price": price, "quantityReceived": received})
            due = self.due(created, 7, 45, none_share=0.1)
            more = f" and {len(lines) - 1} more" if len(lines) > 1 else ""
            record = {
                "id": self.new_id(),
                "purchaseOrderNumber": f"PO-{10001 + n}",
                "title": f"Restock {lines_parts[0]['name']}" + more,
                "status": status,
                "vendor": vendor["id"],
                "dueDate": iso(due) if due is not None else None,
                "shipToLocation": self.rng.choice(ship_to) if self.rng.random() < 0.85 else None,
                "currency": "USD",
                "partsOrdered": lines,
            }
            rows.append(self.stamped(record, created, updated))
        return rows

    def work_orders(self, tables: dict[str, list[Record]]) -> list[Record]:
        # (createdAt, asset) so a work order only names equipment that existed then.
        assets = [(parse_ms(a["createdAt"]), a) for a in tables["assets"] if a["status"] != "retired"]
        places = [loc for loc in tables["locations"] if loc["parentLocation"] is not None]
        users = tables["users"]
        techs = [u["id"] for u in users if u["role"] in ("TECHNICIAN", "ADMIN")]
        stamps = sorted(self.moment(WINDOW_START + 30 * DAY, WINDOW_END - DAY) for _ in range(COUNTS["work-orders"]))
        rows = []
        for n, created in enumerate(stamps):
            existing = [a for at, a in assets if at <= created]
            if existing and self.rng.random() < 0.9:
                asset = self.rng.choice(existing)
                category = self.weighted(WO_CATEGORY_WEIGHTS)
                title = self.rng.choice(WO_TITLES[category]).format(a=asset["name"])
                asset_id, location_id, subject = asset["id"], asset["location"], asset["name"]
            else:
                category, template = self.rng.choice(LOCATION_TITLES)
                category = "Mechanical" if category == "Facilities" else category
                place = self.rng.choice(places)
                title = template.format(l=place["name"])
                asset_id, location_id, subject = None, place["id"], place["name"]
            status = self.weighted(WO_STATUSES)
            priority = 3 if category == "Emergency" else self.weighted(WO_PRIORITIES)
            assignee = self.rng.choice(techs) if self.rng.random() < 0.85 else None
            helpers = self.rng.sample(techs, self.rng.choice((0, 0, 0, 1, 1, 2)))
            helpers = [u for u in helpers if u != assignee]
            requester = self.rng.choice(users)["id"] if self.rng.random() < 0.7 else None
            due = self.due(created, 1, 30, none_share=0.2)
            estimated = self.rng.choice((None, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 8.0))
            completed = None
            spent = None
            if status == "complete":
                completed = min(created + self.rng.randint(HOUR, 21 * DAY), WINDOW_END)
                spent = self.rng.randint(1, 40) / 4
            elif status == "inProgress" and self.rng.random() < 0.5:
                spent = self.rng.randint(1, 12) / 4
            last = completed if completed is not None else created
            updated = last if self.rng.random() < 0.4 else self.moment(last, WINDOW_END)
            shift = self.rng.choice(("first", "second", "third"))
            record = {
                "id": self.new_id(),
                "workOrderNo": f"WO-{n + 1:05d}",
                "title": title,
                "description": f"{category} work on {subject}. Reported during {shift} shift.",
                "status": status,
                "priority": priority,
                "category": category,
                "asset": asset_id,
                "location": location_id,
                "assignedToUser": assignee,
                "additionalUsers": helpers,
                "requestedByUser": requester,
                "dueDate": iso(due) if due is not None else None,
                "dateCompleted": iso(completed) if completed is not None else None,
                "estimatedTime": estimated,
                "time": spent,
            }
            rows.append(self.stamped(record, created, updated))
        return rows

    def requests(self, tables: dict[str, list[Record]]) -> list[Record]:
        work_orders = [(parse_ms(w["createdAt"]), w) for w in tables["work-orders"]]
        assets = tables["assets"]
        places = [loc for loc in tables["locations"] if loc["parentLocation"] is not None]
        users = [u["id"] for u in tables["users"]]
        requesters = [u["id"] for u in tables["users"] if u["role"] == "REQUESTER"] or users
        linked: set[str] = set()
        rows = []
        for _ in range(COUNTS["requests"]):
            created = self.moment(WINDOW_START + 30 * DAY, WINDOW_END - 30 * DAY)
            status = self.weighted(REQUEST_STATUSES)
            requester = self.rng.choice(requesters) if self.rng.random() < 0.7 else self.rng.choice(users)
            work_order = None
            if status == "approved":
                work_order = self.claim_work_order(work_orders, linked, created, 14 * DAY)
                if work_order is not None:
                    work_order["requestedByUser"] = requester
                else:
                    status = "pending"
            if work_order is not None:
                asset_id, location_id = work_order["asset"], work_order["location"]
                subject = work_order["title"]
                title = f"Request: {subject}"
                decided = parse_ms(work_order["createdAt"])
            else:
                asset_id, location_id, title = self.request_subject(
                    assets, places, "location", REQUEST_TITLES, REQUEST_LOCATION_TITLES
                )
                decided = created + self.rng.randint(HOUR, 5 * DAY) if status == "declined" else created
            updated = self.moment(decided, min(decided + 10 * DAY, WINDOW_END))
            record = {
                "id": self.new_id(),
                "title": title,
                "description": f"Submitted through the request portal. {title}.",
                "status": status,
                "priority": self.weighted(WO_PRIORITIES),
                "asset": asset_id,
                "location": location_id,
                "requestedByUser": requester,
                "workOrder": work_order["id"] if work_order else None,
            }
            rows.append(self.stamped(record, created, updated))
        return rows
