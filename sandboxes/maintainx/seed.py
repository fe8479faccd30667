"""Deterministic seed data for the MaintainX sandbox.

A food and beverage producer with three sites: enough records that the big
resources need several pages, with references that hold together (a work
order's location is its asset's location, an approved work request points at
the work order it became, a purchase order buys parts its vendor supplies).

Ids are integers, one sequence per resource, growing with `createdAt` as a
database's would; lists are served in id order. Everything comes from one
`random.Random(seed)`, so a seed always gives the same bytes.
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
    "purchaseorders",
    "workorders",
    "workrequests",
    "meters",
)
COUNTS = {
    "users": 30,
    "teams": 4,
    "locations": 36,
    "vendors": 28,
    "assets": 240,
    "parts": 160,
    "purchaseorders": 90,
    "workorders": 650,
    "workrequests": 130,
    "meters": 24,
}

ORGANIZATION_ID = 48213
DEMO_EMAIL = "demo@maintainx.example"

WINDOW_START = int((datetime(2025, 3, 1, tzinfo=UTC) - EPOCH).total_seconds() * 1000)
WINDOW_END = int((datetime(2026, 9, 30, tzinfo=UTC) - EPOCH).total_seconds() * 1000)
DAY = 86_400_000
HOUR = 3_600_000


class Dataset(SeededDataset):
    """The seeded records of one MaintainX sandbox app, generated on first use, kept in id order."""

    def generate(self) -> dict[str, list[Record]]:
        tables = _Generator(self.seed).run()
        customize(tables)
        return tables

    def now_stamp(self) -> str:
        return iso(now_ms())


# --- customer-specific additions ---------------------------------------------

SHIFTS = ("Day", "Swing", "Night")
METER_UNITS = ("Hours", "Cycles", "°F", "psi")
METER_IDS = 610_001


def customize(tables: dict[str, list[Record]]) -> None:
    """What this customer set up beyond the defaults: extra fields and meters.

    Derived from the generated records, never from the random stream, so the
    rest of the seed (and every test written against it) stays the same.
    MaintainX keeps custom fields in `extraFields`, keyed by their label (unverified).
    """
    for n, order in enumerate(tables["workorders"]):
        order["extraFields"] = {
            "Shift": SHIFTS[n % 3],
            "Cost Center": f"CC-{410 + n % 6}",
            "Downtime Minutes": (n * 17) % 300,
        }
    for n, asset in enumerate(tables["assets"]):
        asset["extraFields"] = {
            "Warranty Expiry": iso(parse_ms(asset["createdAt"]) + 730 * DAY),
            "Rated Power kW": float(5 + n % 40),
        }
    tables["meters"] = meters(tables["assets"])


def meters(assets: list[Record]) -> list[Record]:
    """Run-hour, cycle, temperature and pressure meters on the first tracked assets."""
    tracked = [a for a in assets if a["status"] == "ONLINE"][: COUNTS["meters"]]
    rows = []
    for n, asset in enumerate(tracked):
        created = parse_ms(asset["createdAt"]) + DAY
        unit = METER_UNITS[n % len(METER_UNITS)]
        rows.append(
            {
                "id": METER_IDS + n,
                "name": f"{asset['name']} ({unit})",
                "unit": unit,
                "assetId": asset["id"],
                "locationId": asset["locationId"],
                "lastReading": round(120 + n * 41.5, 1),
                "lastReadingAt": iso(created + (n + 1) * 7 * DAY),
                "createdAt": iso(created),
                "updatedAt": iso(created + (n + 1) * 7 * DAY),
            }
        )
    return rows


# --- generation -------------------------------------------------------------

FIRST_NAMES = (
    "Avery",
    "Jordan",
    "Rosa",
    "Malik",
    "Elena",
    "Tomasz",
    "Keisha",
    "Hiro",
    "Bianca",
    "Omar",
    "Dmitri",
    "Leah",
    "Andre",
    "Yuki",
    "Gabriel",
    "Nadia",
    "Wesley",
    "Carmen",
    "Felix",
    "Imani",
    "Ravi",
    "Sienna",
    "Victor",
    "Lucia",
    "Owen",
    "Zara",
    "Hector",
    "Maya",
    "Connor",
    "Amara",
)
LAST_NAMES = (
    "Chen",
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Ramirez",
    "Sato",
    "Brennan",
    "Haddad",
    "Kim",
    "Petrov",
    "Duarte",
    "Whitfield",
    "Nakamura",
    "Osei",
    "Fischer",
    "Gallagher",
    "Ibrahim",
    "Rossi",
    "Santos",
    "Kaur",
    "Larsen",
    "Mbeki",
    "Quinn",
    "Varga",
    "Yilmaz",
    "Abbott",
    "Delgado",
)
# (role, how many) besides the demo administrator
ROLES = (("ADMIN", 2), ("TECHNICIAN", 17), ("REQUESTER", 7), ("VIEW_ONLY", 3))
TEAM_NAMES = ("Mechanical Team", "Electrical Team", "Sanitation Crew", "Facilities")

SITES = (
    ("Cedar Falls Bottling", "2400 Water Tower Rd, Cedar Falls, IA 50613"),
    ("Marshall Creamery", "910 Dairy Ln, Marshall, MN 56258"),
    ("Lakeview Distribution", "77 Harbor Logistics Way, Duluth, MN 55802"),
)
HALLS = ("Production Hall", "Utilities Building")
AREA_NAMES = (
    "Line 1 Bottling",
    "Line 2 Bottling",
    "Line 3 Canning",
    "Palletizer Cell",
    "Boiler Room",
    "Compressor Room",
    "CIP Station",
    "Blending Room",
    "Cold Room",
    "Ammonia Machine Room",
    "Loading Dock",
    "Wastewater Pit",
    "Electrical Room",
    "Quality Lab",
    "Roof",
    "Syrup Room",
    "Pasteurizer Bay",
    "Shipping Lanes",
    "Maintenance Shop",
)

# (asset type, kind, tag prefix, manufacturers)
ASSET_KINDS = (
    ("Pumps", "Centrifugal Pump", "P", ("Alfa Laval", "Fristam", "Grundfos")),
    ("Pumps", "Positive Displacement Pump", "PD", ("Waukesha Cherry-Burrell", "SPX Flow")),
    ("Conveyors", "Table-Top Conveyor", "CV", ("Rexnord", "Intralox", "Span Tech")),
    ("Packaging", "Rotary Filler", "FL", ("Krones", "KHS", "Sidel")),
    ("Packaging", "Capper", "CAP", ("Zalkin", "Arol")),
    ("Packaging", "Labeler", "LB", ("Krones", "P.E. Labellers")),
    ("Packaging", "Case Packer", "CP", ("Douglas", "Standard-Knapp")),
    ("Process", "Plate Heat Exchanger", "HX", ("Alfa Laval", "GEA", "Tetra Pak")),
    ("Process", "Mix Tank", "MT", ("Paul Mueller", "Walker Engineered")),
    ("Process", "Homogenizer", "HG", ("GEA", "Tetra Pak")),
    ("Utilities", "Air Compressor", "AC", ("Atlas Copco", "Kaeser", "Sullair")),
    ("Utilities", "Steam Boiler", "B", ("Cleaver-Brooks", "Miura")),
    ("Refrigeration", "Ammonia Compressor", "RC", ("Frick", "Vilter", "Mycom")),
    ("Refrigeration", "Evaporator", "EV", ("Evapco", "Colmac")),
    ("Electrical", "Motor Control Center", "MCC", ("Rockwell Automation", "Siemens", "Eaton")),
    ("Vehicles", "Forklift", "FK", ("Toyota", "Raymond", "Crown")),
)
COMPONENTS = ("Drive Motor", "Gearbox", "VFD", "Seal Kit", "Control Panel", "Bearing Housing")
ASSET_STATUSES = (("ONLINE", 80), ("OFFLINE", 12), ("DO_NOT_TRACK", 8))

VENDOR_NAMES = (
    "Prairie Bearing & Drive",
    "Northstar Electric Supply",
    "Hawkeye Pump Service",
    "Titan Industrial",
    "Great Plains Refrigeration",
    "Sanitary Fittings Direct",
    "Iron Range Welding",
    "Cornbelt Compressor",
    "Clearview Filtration",
    "Polar Ammonia Services",
    "MidAmerica Motion",
    "Lakeside Conveyor Parts",
    "Superior Seals & Gaskets",
    "Heartland Boiler Co.",
    "Bluestem Lubricants",
    "Twin Cities Controls",
    "River Valley Fasteners",
    "Keystone Labels Service",
    "Summit Safety Supply",
    "Frontier Forklift",
    "Granite Instrumentation",
    "Evergreen Pest Management",
    "Arrowhead Electric Motors",
    "Crystal Water Treatment",
    "Badger Belting",
    "Pioneer Hydraulics",
    "Meridian Calibration",
    "Northwoods Facility Services",
)
STREETS = ("Commerce Dr", "Industrial Pkwy", "Main St", "River Rd", "Elm Ave", "Depot St")
CITIES = ("Des Moines, IA", "Waterloo, IA", "Minneapolis, MN", "St. Paul, MN", "Duluth, MN", "Madison, WI")

# (name stem, variants, unit, cost range)
PART_KINDS = (
    ("Ball Bearing", ("6204-2RS", "6205-2RS", "6306-ZZ"), "each", (7, 45)),
    ("Stainless Pillow Block", ("UCP205", "UCP208"), "each", (60, 180)),
    ("Mechanical Seal", ("Type 21 1.25 in", "Cartridge 1.75 in"), "each", (90, 420)),
    ("EPDM Gasket", ("1.5 in Tri-Clamp", "2 in Tri-Clamp", "3 in Tri-Clamp"), "box", (12, 40)),
    ("Food Grade Grease", ("H1 EP2",), "box", (45, 110)),
    ("Gear Oil", ("ISO 220 H1", "ISO 320"), "litre", (6, 14)),
    ("Compressor Oil", ("Ammonia 68",), "litre", (9, 20)),
    ("Air Filter Element", ("Intake", "Coalescing"), "each", (25, 140)),
    ("V-Belt", ("B48", "BX62"), "each", (9, 30)),
    ("Conveyor Chain", ("LF820 K325", "LF880 Side-Flex"), "metre", (35, 120)),
    ("Wear Strip", ("UHMW 1 in",), "metre", (8, 22)),
    ("Contactor", ("3P 32A", "3P 50A"), "each", (60, 230)),
    ("Fuse", ("30A Class J", "15A Class CC"), "box", (18, 95)),
    ("Proximity Sensor", ("M12 PNP", "M18 PNP"), "each", (40, 130)),
    ("Solenoid Valve", ("24VDC 1/4 in", "120VAC 1/2 in"), "each", (70, 260)),
    ("Capper Chuck Insert", ("28 mm", "38 mm"), "each", (30, 85)),
    ("Label Glue Pump Seal", ("Standard",), "each", (45, 120)),
    ("Thermocouple", ("Type K", "Type T"), "each", (25, 70)),
    ("Pressure Gauge", ("0-100 psi", "0-300 psi"), "each", (30, 110)),
    ("Nitrile Gloves", ("L", "XL"), "box", (10, 25)),
)
PO_STATUSES = (
    ("FULFILLED", 38),
    ("APPROVED", 20),
    ("REQUESTED", 16),
    ("PARTIALLY_FULFILLED", 12),
    ("DECLINED", 8),
    ("CANCELED", 6),
)

WO_STATUSES = (("DONE", 50), ("OPEN", 25), ("IN_PROGRESS", 15), ("ON_HOLD", 10))
PRIORITIES = (("NONE", 25), ("LOW", 35), ("MEDIUM", 28), ("HIGH", 12))
# category -> title templates; {a} is the asset name
WO_TITLES = {
    "Preventive": ("Weekly PM - {a}", "Lubricate {a}", "Replace filters on {a}", "Quarterly PM - {a}"),
    "Inspection": ("Monthly inspection - {a}", "Vibration route - {a}", "Thermal scan of {a}"),
    "Mechanical": ("Replace seal on {a}", "Realign coupling on {a}", "Noisy bearing on {a}", "Fix leak on {a}"),
    "Electrical": ("Overload tripping on {a}", "Replace sensor on {a}", "Check motor amps on {a}"),
    "Damage": ("Repair forklift damage to {a}", "Replace bent guard on {a}"),
    "Refrigeration": ("Check ammonia levels at {a}", "Defrost cycle fault on {a}"),
    "Sanitation": ("Deep clean {a}", "Swab test failed on {a}"),
    "Safety": ("Replace missing guard on {a}", "Relabel lockout points on {a}"),
}
CATEGORY_WEIGHTS = (
    ("Preventive", 30),
    ("Inspection", 14),
    ("Mechanical", 20),
    ("Electrical", 12),
    ("Damage", 5),
    ("Refrigeration", 6),
    ("Sanitation", 8),
    ("Safety", 5),
)
# Work on a place rather than an asset; {l} is the location name.
LOCATION_TITLES = (
    ("Safety", "Clean up spill in {l}"),
    ("Electrical", "Lights out in {l}"),
    ("Damage", "Repair dock door in {l}"),
    ("Sanitation", "Drain backing up in {l}"),
    ("Inspection", "Fire extinguisher check - {l}"),
)
REQUEST_TITLES = (
    "{a} is making a grinding noise",
    "{a} is leaking",
    "{a} keeps stopping",
    "Burning smell near {a}",
    "{a} running hot",
    "Guard loose on {a}",
)
REQUEST_LOCATION_TITLES = ("Light out in {l}", "Water on the floor in {l}", "Door sticking in {l}")
REQUEST_STATUSES = (("APPROVED", 45), ("PENDING", 35), ("DECLINED", 20))


class _Generator(SeededGenerator):
    """Builds all tables in a fixed order from one Random."""

    # helpers

    def id_sequence(self, count: int) -> list[int]:
        """A table's ids: ascending from a random start, with the gaps deletions leave."""
        current = self.rng.randint(100_000, 900_000)
        ids = []
        for _ in range(count):
            current += self.rng.choice((1, 1, 1, 2, 3, 7))
            ids.append(current)
        return ids

    def creation_times(self, count: int, start: int, end: int) -> list[int]:
        """Sorted creation stamps, so ids handed out in order grow with createdAt."""
        return sorted(self.rng.randint(start, end) for _ in range(count))

    def updated(self, created: int, unchanged: float = 0.3) -> int:
        if self.rng.random() < unchanged:
            return created
        return self.rng.randint(created, WINDOW_END)

    def numbered(self, resource: str, start: int, end: int) -> list[tuple[int, int]]:
        """(id, createdAt) pairs for a whole table."""
        count = COUNTS[resource]
        return list(zip(self.id_sequence(count), self.creation_times(count, start, end)))

    # tables

    def run(self) -> dict[str, list[Record]]:
        tables = self.reference_tables()
        tables["purchaseorders"] = self.purchase_orders(tables)
        tables["workorders"] = self.work_orders(tables)
        tables["workrequests"] = self.work_requests(tables)
        for name, rows in tables.items():
            assert len(rows) == COUNTS[name], name
            assert [r["id"] for r in rows] == sorted({r["id"] for r in rows}), name
        return tables

    def users(self) -> list[Record]:
        slots = self.numbered("users", WINDOW_START, WINDOW_START + 25 * DAY)
        roles = [role for role, count in ROLES for _ in range(count)]
        self.rng.shuffle(roles)
        names = {("Avery", "Chen")}
        rows = []
        for n, (record_id, created) in enumerate(slots):
            if n == 0:
                first, last, role, email = "Avery", "Chen", "ADMIN", DEMO_EMAIL
            else:
                first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
                while (first, last) in names:
                    first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
                names.add((first, last))
                role, email = roles[n - 1], f"{first.lower()}.{last.lower()}@creamery.example"
            user = {
                "id": record_id,
                "firstName": first,
                "lastName": last,
                "email": email,
                "role": role,
                "deactivated": n > 0 and self.rng.random() < 0.1,
            }
            rows.append(self.stamped(user, created, self.updated(created)))
        return rows

    def teams(self, users: list[Record]) -> list[Record]:
        staff = [u["id"] for u in users if u["role"] in ("ADMIN", "TECHNICIAN")]
        rows = []
        for name, (record_id, created) in zip(
            TEAM_NAMES, self.numbered("teams", WINDOW_START + 25 * DAY, WINDOW_START + 30 * DAY)
        ):
            members = sorted(self.rng.sample(staff, self.rng.randint(3, 7)))
            team = {"id": record_id, "name": name, "userIds": members}
            rows.append(self.stamped(team, created, self.updated(created)))
        return rows

    def locations(self) -> list[Record]:
        """Sites, then their halls and storerooms, then areas: parents always come first."""
        slots = iter(self.numbered("locations", WINDOW_START, WINDOW_START + 20 * DAY))
        rows: list[Record] = []

        def add(name: str, parent: Record | None, description: str, address: str | None = None) -> Record:
            record_id, created = next(slots)
            record = {
                "id": record_id,
                "name": name,
                "description": description,
                "address": address,
                "parentId": parent["id"] if parent else None,
            }
            rows.append(self.stamped(record, created, self.updated(created)))
            return record

        sites = [add(name, None, "Site", address) for name, address in SITES]
        halls = [add(hall, site, f"{hall} at {site['name']}") for site in sites for hall in HALLS]
        for site in sites:
            add("Main Storeroom", site, f"Spare parts store at {site['name']}")
        add("Spare Parts Cage", halls[0], "Locked cage for critical spares")
        areas = COUNTS["locations"] - len(rows)
        per_hall = [2] * len(halls)
        for _ in range(areas - sum(per_hall)):
            per_hall[self.rng.randrange(len(halls))] += 1
        for hall, count in zip(halls, per_hall):
            for name in self.rng.sample(AREA_NAMES, count):
                add(name, hall, f"{name} in the {hall['name']}")
        return rows

    def vendors(self) -> list[Record]:
        rows = []
        for name, (record_id, created) in zip(
            VENDOR_NAMES, self.numbered("vendors", WINDOW_START, WINDOW_START + 15 * DAY)
        ):
            slug = "".join(c for c in name.lower() if c.isalnum())
            record = {
                "id": record_id,
                "name": name,
                "description": self.rng.choice(("Parts supplier", "Service contractor", "Distributor", "OEM service")),
                "email": f"sales@{slug}.example",
                "phoneNumber": f"+1-555-{self.rng.randint(200, 999)}-{self.rng.randint(1000, 9999)}",
                "address": f"{self.rng.randint(10, 9999)} {self.rng.choice(STREETS)}, {self.rng.choice(CITIES)}",
                "website": f"https://{slug}.example",
            }
            rows.append(self.stamped(record, created, self.updated(created)))
        return rows

    def assets(self, locations: list[Record]) -> list[Record]:
        by_id = {loc["id"]: loc for loc in locations}
        # Equipment stands in areas (children of halls), never in storerooms or at a site's root.
        halls = {loc["id"] for loc in locations if loc["name"] in HALLS}
        places = [loc for loc in locations if loc["parentId"] in halls]
        tags: dict[str, int] = {}
        rows: list[Record] = []
        for n, (record_id, created) in enumerate(
            self.numbered("assets", WINDOW_START + 20 * DAY, WINDOW_START + 200 * DAY)
        ):
            parent = None
            if n >= 25 and self.rng.random() < 0.2:
                parent = self.rng.choice([a for a in rows if a["parentId"] is None])
            if parent is not None:
                component = self.rng.choice(COMPONENTS)
                name = f"{component} {parent['name'].split()[-1]}"
                asset_type, kind, location = parent["assetTypes"][0], component, parent["locationId"]
                maker = self.rng.choice(("Baldor", "SEW-Eurodrive", "ABB", "SKF", "Allen-Bradley"))
            else:
                asset_type, kind, prefix, makers = self.rng.choice(ASSET_KINDS)
                tags[prefix] = tags.get(prefix, 100) + 1
                name, maker = f"{kind} {prefix}-{tags[prefix]}", self.rng.choice(makers)
                location = self.rng.choice(places)["id"]
            record = {
                "id": record_id,
                "name": name,
                "description": f"{maker} {kind.lower()} in {by_id[location]['name']}",
                "barcode": "".join(self.rng.choice("0123456789") for _ in range(10)),
                "serialNumber": f"{maker[:3].upper()}-{self.rng.randint(100_000, 999_999)}",
                "model": f"{''.join(self.rng.choice('ABCDEFGHKMNPRSTX') for _ in range(2))}{self.rng.randint(100, 990)}",
                "manufacturer": maker,
                "assetTypes": [asset_type],
                "status": self.weighted(ASSET_STATUSES),
                "locationId": location,
                "parentId": parent["id"] if parent else None,
            }
            rows.append(self.stamped(record, created, self.updated(created)))
        return rows

    def parts(self, locations: list[Record], vendors: list[Record]) -> list[Record]:
        stores = [loc["id"] for loc in locations if "Storeroom" in loc["name"] or "Cage" in loc["name"]]
        vendor_ids = [v["id"] for v in vendors]
        variants = [(stem, v, unit, costs) for stem, vs, unit, costs in PART_KINDS for v in vs]
        numbers: set[str] = set()
        rows = []
        for n, (record_id, created) in enumerate(
            self.numbered("parts", WINDOW_START + 20 * DAY, WINDOW_START + 220 * DAY)
        ):
            stem, variant, unit, (low, high) = variants[n % len(variants)]
            while (number := f"MX-{self.rng.randint(10000, 99999)}") in numbers:
                pass
            numbers.add(number)
            where = self.rng.sample(stores, self.rng.choice((0, 1, 1, 1, 2, 2, 3)))
            stock = [
                {
                    "locationId": loc,
                    "availableQuantity": self.rng.randint(0, 120),
                    "minimumQuantity": self.rng.randint(0, 15),
                }
                for loc in sorted(where)
            ]
            record = {
                "id": record_id,
                "name": f"{stem} {variant}",
                "description": f"{stem} ({variant})",
                "partNumber": number,
                "unitCost": round(self.rng.uniform(low, high), 2),
                "unit": unit,
                "stock": stock,
                "vendorIds": sorted(self.rng.sample(vendor_ids, self.rng.choice((0, 1, 1, 1, 2, 3)))),
            }
            rows.append(self.stamped(record, created, self.updated(created)))
        return rows

    def purchase_orders(self, tables: dict[str, list[Record]]) -> list[Record]:
        parts, vendors = tables["parts"], tables["vendors"]
        stores = [loc["id"] for loc in tables["locations"] if "Storeroom" in loc["name"]]
        rows = []
        for n, (record_id, created) in enumerate(
            self.numbered("purchaseorders", WINDOW_START + 60 * DAY, WINDOW_END - 20 * DAY)
        ):
            vendor = self.rng.choice(vendors)
            supplied = [p for p in parts if vendor["id"] in p["vendorIds"]] or parts
            bought = self.rng.sample(supplied, min(len(supplied), self.rng.randint(1, 5)))
            status = self.weighted(PO_STATUSES)
            items = []
            for part in bought:
                quantity = self.rng.randint(2 if status == "PARTIALLY_FULFILLED" else 1, 40)
                received = self.received(quantity, status == "FULFILLED", status == "PARTIALLY_FULFILLED")
                items.append(
                    {
                        "partId": part["id"],
                        "name": part["name"],
                        "quantity": quantity,
                        "unitCost": round(part["unitCost"] * self.rng.uniform(0.92, 1.08), 2),
                        "quantityReceived": received,
                    }
                )
            due = min(created + self.rng.randint(5, 40) * DAY, WINDOW_END) if self.rng.random() < 0.9 else None
            record = {
                "id": record_id,
                "number": f"PO-{2001 + n}",
                "title": f"{vendor['name']} order" + (f" ({len(items)} items)" if len(items) > 1 else ""),
                "status": status,
                "vendorId": vendor["id"],
                "shipToLocationId": self.rng.choice(stores) if self.rng.random() < 0.8 else None,
                "dueDate": iso(due) if due is not None else None,
                "currency": "USD",
                "items": items,
            }
            rows.append(self.stamped(record, created, self.updated(created, unchanged=0.1)))
        return rows

    def work_orders(self, tables: dict[str, list[Record]]) -> list[Record]:
        # Work names only equipment that existed when the work order was written.
        assets = [(parse_ms(a["createdAt"]), a) for a in tables["assets"] if a["status"] != "DO_NOT_TRACK"]
        halls = {loc["id"] for loc in tables["locations"] if loc["name"] in HALLS}
        places = [loc for loc in tables["locations"] if loc["parentId"] in halls]
        techs = [u["id"] for u in tables["users"] if u["role"] in ("ADMIN", "TECHNICIAN")]
        teams = [t["id"] for t in tables["teams"]]
        rows = []
        for n, (record_id, created) in enumerate(
            self.numbered("workorders", WINDOW_START + 30 * DAY, WINDOW_END - DAY)
        ):
            existing = [a for at, a in assets if at <= created]
            if existing and self.rng.random() < 0.88:
                asset = self.rng.choice(existing)
                category = self.weighted(CATEGORY_WEIGHTS)
                title = self.rng.choice(WO_TITLES[category]).format(a=asset["name"])
                asset_id, location_id, subject = asset["id"], asset["locationId"], asset["name"]
            else:
                category, template = self.rng.choice(LOCATION_TITLES)
                place = self.rng.choice(places)
                title = template.format(l=place["name"])
                asset_id, location_id, subject = None, place["id"], place["name"]
            categories = [category]
            if self.rng.random() < 0.1:
                categories.append("Safety" if category != "Safety" else "Mechanical")
            elif self.rng.random() < 0.08:
                categories = []  # uncategorized work
            status = self.weighted(WO_STATUSES)
            assignees = [{"type": "USER", "id": u} for u in self.rng.sample(techs, self.rng.choice((0, 1, 1, 1, 2)))]
            if self.rng.random() < 0.2:
                assignees.append({"type": "TEAM", "id": self.rng.choice(teams)})
            due = min(created + self.rng.randint(1, 30) * DAY, WINDOW_END) if self.rng.random() < 0.8 else None
            completed = min(created + self.rng.randint(HOUR, 20 * DAY), WINDOW_END) if status == "DONE" else None
            last = completed if completed is not None else created
            record = {
                "id": record_id,
                "sequentialId": n + 1,
                "title": title,
                "description": f"{category} work on {subject}.",
                "status": status,
                "priority": self.weighted(PRIORITIES),
                "categories": categories,
                "assetId": asset_id,
                "locationId": location_id,
                "assignees": assignees,
                "requesterId": None,
                "dueDate": iso(due) if due is not None else None,
                "completedAt": iso(completed) if completed is not None else None,
            }
            rows.append(self.stamped(record, created, self.updated(last, unchanged=0.4)))
        return rows

    def work_requests(self, tables: dict[str, list[Record]]) -> list[Record]:
        work_orders = [(parse_ms(w["createdAt"]), w) for w in tables["workorders"]]
        assets = tables["assets"]
        halls = {loc["id"] for loc in tables["locations"] if loc["name"] in HALLS}
        places = [loc for loc in tables["locations"] if loc["parentId"] in halls]
        users = [u["id"] for u in tables["users"]]
        requesters = [u["id"] for u in tables["users"] if u["role"] == "REQUESTER"]
        linked: set[int] = set()
        rows = []
        for record_id, created in self.numbered("workrequests", WINDOW_START + 30 * DAY, WINDOW_END - 30 * DAY):
            status = self.weighted(REQUEST_STATUSES)
            requester = self.rng.choice(requesters) if self.rng.random() < 0.75 else self.rng.choice(users)
            work_order = None
            if status == "APPROVED":
                work_order = self.claim_work_order(work_orders, linked, created, 10 * DAY)
                if work_order is not None:
                    work_order["requesterId"] = requester
                else:
                    status = "PENDING"
            if work_order is not None:
                asset_id, location_id = work_order["assetId"], work_order["locationId"]
                title, priority = work_order["title"], work_order["priority"]
                decided = parse_ms(work_order["createdAt"])
            else:
                asset_id, location_id, title = self.request_subject(
                    assets, places, "locationId", REQUEST_TITLES, REQUEST_LOCATION_TITLES
                )
                priority = self.weighted(PRIORITIES)
                decided = created + self.rng.randint(HOUR, 4 * DAY) if status == "DECLINED" else created
            record = {
                "id": record_id,
                "title": title,
                "description": f"Submitted from the request portal: {title}.",
                "status": status,
                "priority": priority,
                "assetId": asset_id,
                "locationId": location_id,
                "requesterId": requester,
                "workOrderId": work_order["id"] if work_order else None,
            }
            rows.append(self.stamped(record, created, self.rng.randint(decided, min(decided + 10 * DAY, WINDOW_END))))
        return rows
