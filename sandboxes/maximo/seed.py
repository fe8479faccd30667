"""Deterministic seed data for the Maximo sandbox, stored the way Maximo keeps it.

One organization (EAGLENA) with the site BEDFORD, like Maximo's demo data, and
a second, empty site (NASHUA) so that a write has a site to choose:
a location hierarchy under the site with three storerooms, assets in those
locations, work orders on the assets, items stocked in one to three storerooms,
companies, purchase orders with lines, and people. Records are flat dicts of
Maximo attribute names; absent values are simply missing (Maximo omits nulls),
domain attributes carry `<attr>_description`, and dates are ISO 8601 in the
server's time zone (-05:00, no daylight saving), never UTC. Everything comes
from one `random.Random(seed)`, so a seed always gives the same data.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

Record = dict[str, Any]

ORG, SITE, ITEMSET = "EAGLENA", "BEDFORD", "SET1"
SITES = {SITE: "Bedford Plant", "NASHUA": "Nashua Warehouse"}  # NASHUA: a second site, with no records yet
SERVER_TZ = timezone(timedelta(hours=-5))
WINDOW_START = datetime(2025, 1, 1, tzinfo=SERVER_TZ)
WINDOW_DAYS = 600  # everything seeded lies well before "now"

# Object structure -> key attributes (the last one is the record's natural key).
KEYS: dict[str, tuple[str, ...]] = {
    "mxapiwodetail": ("siteid", "wonum"),
    "mxapiasset": ("siteid", "assetnum"),
    "mxapilocations": ("siteid", "location"),
    "mxapiinventory": ("itemsetid", "siteid", "location", "itemnum"),
    "mxapiitem": ("itemsetid", "itemnum"),
    "mxapivendor": ("orgid", "company"),
    "mxapipo": ("siteid", "revisionnum", "ponum"),
    "mxapiperson": ("personid",),
    "mxapisr": ("siteid", "ticketid"),
    "mxapimeter": ("metername",),
    "mxapiorganization": ("orgid",),
}
COUNTS = {"mxapiwodetail": 460, "mxapiasset": 240, "mxapipo": 90, "mxapiperson": 30, "items": 130, "mxapisr": 80}

WO_STATUS = {
    "WAPPR": "Waiting on Approval",
    "APPR": "Approved",
    "INPRG": "In Progress",
    "WMATL": "Waiting on Material",
    "COMP": "Completed",
    "CLOSE": "Closed",
    "CAN": "Canceled",
}
ASSET_STATUS = {"OPERATING": "Operating", "NOT READY": "Not Ready", "DECOMMISSIONED": "Decommissioned"}
PO_STATUS = {
    "WAPPR": "Waiting on Approval",
    "APPR": "Approved",
    "INPRG": "In Progress",
    "CLOSE": "Closed",
    "CAN": "Canceled",
}
LOC_TYPE = {"OPERATING": "Operating", "STOREROOM": "Storeroom", "REPAIR": "Repair"}
PERSON_STATUS = {"ACTIVE": "Active", "INACTIVE": "Inactive"}
SR_STATUS = {
    "NEW": "New",
    "QUEUED": "Queued",
    "INPROG": "In Progress",
    "PENDING": "Pending",
    "RESOLVED": "Resolved",
    "CLOSED": "Closed",
    "CANCELLED": "Cancelled",
}
WORKTYPES = ("CM", "PM", "EM", "CAL", "CP")

STOREROOMS = ("CENTRAL", "EAST", "WEST")
BUILDINGS = ("BR100", "BR200", "BR300", "BR400", "BR500")
AREAS = (
    "Boiler Room",
    "Compressor Room",
    "Line 1",
    "Line 2",
    "Packaging",
    "Electrical Room",
    "Loading Dock",
    "Roof",
    "Mixing Area",
    "Machine Shop",
)
ASSET_KINDS = (
    ("PRODUCTION", "Centrifugal Pump"),
    ("PRODUCTION", "Belt Conveyor"),
    ("FACILITIES", "Air Compressor"),
    ("FACILITIES", "Rooftop Unit"),
    ("FACILITIES", "Chiller"),
    ("FACILITIES", "Steam Boiler"),
    ("PRODUCTION", "Case Packer"),
    ("PRODUCTION", "Filler"),
    ("FLEET", "Forklift"),
    ("FACILITIES", "Emergency Generator"),
    ("PRODUCTION", "Mixing Tank"),
    ("FACILITIES", "Transformer"),
)
COMPONENTS = ("Drive Motor", "Gearbox", "VFD", "Bearing Assembly", "Control Panel")
WO_TITLES = (
    "Replace bearing on {a}",
    "Oil leak at {a}",
    "Quarterly PM - {a}",
    "Calibrate sensors on {a}",
    "{a} tripping - investigate",
    "Inspect and lubricate {a}",
    "Replace belts on {a}",
)
ITEM_KINDS = (
    ("Ball Bearing", ("6203-2RS", "6205-2RS", "6305-2RS"), "EACH"),
    ("V-Belt", ("A42", "B52", "BX75"), "EACH"),
    ("Mechanical Seal", ("1.125 IN", "1.5 IN"), "EACH"),
    ("Hydraulic Oil", ("ISO 32", "ISO 68"), "LITER"),
    ("Air Filter Element", ("10 MICRON", "PANEL 24X24"), "EACH"),
    ("Contactor", ("3P 25A", "3P 65A"), "EACH"),
    ("Fuse", ("30A CLASS J", "10A MIDGET"), "BOX"),
    ("Proximity Sensor", ("M12 PNP", "M18 NPN"), "EACH"),
    ("Solenoid Valve", ("24VDC 1/4 IN", "120VAC 1/2 IN"), "EACH"),
    ("Roller Chain", ("#40", "#60"), "FOOT"),
    ("Gasket Kit", ("HANDHOLE", "MANWAY"), "EACH"),
    ("Grease Cartridge", ("EP2", "H1"), "CASE"),
)
COMPANIES = (
    ("GRAINGER", "W.W. Grainger", "V"),
    ("MOTION", "Motion Industries", "V"),
    ("FASTENAL", "Fastenal", "V"),
    ("APEXELEC", "Apex Industrial Electric", "V"),
    ("ALLIEDPV", "Allied Pump & Valve", "V"),
    ("SUMMIT", "Summit HVAC Services", "V"),
    ("KEYCOMP", "Keystone Compressor Co.", "V"),
    ("TRISTATE", "Tri-State Boiler Works", "V"),
    ("PRECMOTOR", "Precision Motor Repair", "V"),
    ("LAKESHORE", "Lakeshore Hydraulics", "V"),
    ("NORTHLUBE", "Northern Lubricants", "V"),
    ("UNIONSEAL", "Union Seal & Gasket", "V"),
    ("GREATBELT", "Great Lakes Belting", "V"),
    ("STERLING", "Sterling Instrumentation", "V"),
    ("OLDVENDOR", "Legacy Supply (closed)", "V"),
    ("GRUNDFOS", "Grundfos", "M"),
    ("ATLASCOP", "Atlas Copco", "M"),
    ("TRANE", "Trane", "M"),
    ("SIEMENS", "Siemens", "M"),
    ("CATERP", "Caterpillar", "M"),
    ("KRONES", "Krones", "M"),
    ("TOYOTA", "Toyota Material Handling", "M"),
    ("CARRIER", "Carrier", "M"),
    ("ABB", "ABB", "M"),
)
CITIES = (
    ("Bedford", "MA", "01730"),
    ("Boston", "MA", "02110"),
    ("Nashua", "NH", "03060"),
    ("Providence", "RI", "02903"),
    ("Worcester", "MA", "01608"),
)
FIRST = (
    "James",
    "Maria",
    "Robert",
    "Linda",
    "Carlos",
    "Aisha",
    "Thomas",
    "Priya",
    "Kevin",
    "Olga",
    "Marcus",
    "Hannah",
    "Luis",
    "Grace",
    "Samuel",
    "Fatima",
    "Derek",
    "Mei",
    "Ingrid",
    "Tyrone",
)
LAST = (
    "Wilson",
    "Garcia",
    "Miller",
    "Davis",
    "Martinez",
    "Anderson",
    "Taylor",
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
    "Patel",
    "Scott",
)
TITLES = ("Mechanic", "Electrician", "Maintenance Supervisor", "Planner", "Storekeeper", "Technician")


def iso(moment: datetime) -> str:
    """A timestamp as Maximo sends it: seconds, the server's offset."""
    return moment.astimezone(SERVER_TZ).replace(microsecond=0).isoformat()


def now_iso() -> str:
    return iso(datetime.now(UTC))


def key_of(structure: str, record: Record) -> str:
    """The natural key the API filters on (wonum, assetnum, itemnum, ...)."""
    return str(record[KEYS[structure][-1]])


class Dataset:
    """The seeded tables of one sandbox app, by object structure, in key order.

    Reads return copies. `touch` serves tests; `add`, `change` and `drop` serve
    the API's own writes, each stamping a new `_rowstamp` (and `changedate`).
    """

    def __init__(self, seed: int = 11) -> None:
        self.seed = seed
        self._lock = threading.RLock()
        self._tables = _Generator(seed).run()
        customize(self._tables, seed)
        self._rowstamp = 900_000

    def structures(self) -> tuple[str, ...]:
        return tuple(self._tables)

    def records(self, structure: str) -> list[Record]:
        with self._lock:
            return [_copy(r) for r in self._tables[structure]]

    def view(self, structure: str) -> list[Record]:
        """The records themselves, for read-only use (the API projects them into new dicts)."""
        with self._lock:
            return list(self._tables[structure])

    def touch(self, structure: str, ids: list[str]) -> list[Record]:
        """Moves `changedate` of the records with these keys to now; raises KeyError first.

        For inventory the id is the item number: every storeroom row of it moves.
        """
        with self._lock:
            rows = self._tables[structure]
            if rows and "changedate" not in rows[0]:
                raise ValueError(f"{structure} has no changedate")
            missing = [i for i in ids if not any(key_of(structure, r) == i for r in rows)]
            if missing:
                raise KeyError(missing[0])
            stamp = now_iso()
            touched = [r for r in rows if key_of(structure, r) in ids]
            for record in touched:
                self._rowstamp += 1
                record["changedate"], record["_rowstamp"] = stamp, str(self._rowstamp)
                record["changeby"] = "MAXINTADM"
            return [_copy(r) for r in touched]

    def _stamped(self, structure: str, record: Record) -> None:
        self._rowstamp += 1
        record["_rowstamp"] = str(self._rowstamp)
        if structure not in NO_CHANGEDATE:
            record["changedate"], record["changeby"] = now_iso(), "MXINTADM"

    def add(self, structure: str, record: Record) -> Record:
        """Stores a new record in key order; returns a copy."""
        with self._lock:
            rows = self._tables[structure]
            record = {k: v for k, v in record.items() if v is not None}  # Maximo keeps no nulls
            self._stamped(structure, record)
            rows.append(record)
            rows.sort(key=lambda r: key_of(structure, r))
            return _copy(record)

    def change(self, structure: str, record: Record, changes: Record) -> Record:
        """Applies changes to a stored record (one `view` handed out); None values remove attributes."""
        with self._lock:
            record.update(changes)
            for name in [k for k, v in record.items() if v is None]:
                del record[name]
            self._stamped(structure, record)
            return _copy(record)

    def drop(self, structure: str, record: Record) -> None:
        with self._lock:
            self._tables[structure][:] = [r for r in self._tables[structure] if r is not record]


NO_CHANGEDATE = ("mxapiinventory", "mxapiperson", "mxapimeter", "mxapiitem", "mxapiorganization")


def _copy(record: Record) -> Record:
    return {k: [dict(c) for c in v] if isinstance(v, list) else v for k, v in record.items()}


class _Generator:
    """Builds every table from one random stream, in dependency order."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.rowstamp = 10_000

    def run(self) -> dict[str, list[Record]]:
        persons = self.persons()
        companies = self.companies()
        locations = self.locations()
        operating = [loc["location"] for loc in locations if loc["type"] == "OPERATING"]
        assets = self.assets(operating, companies)
        items, catalog = self.inventory(companies)
        return {
            "mxapiwodetail": self.work_orders(assets, operating, persons),
            "mxapiasset": assets,
            "mxapilocations": locations,
            "mxapiinventory": items,
            "mxapiitem": catalog,
            "mxapivendor": companies,
            "mxapipo": self.purchase_orders(items, catalog, companies),
            "mxapiperson": persons,
        }

    # -- helpers --------------------------------------------------------------

    def moment(self, after: datetime | None = None, days: int = WINDOW_DAYS) -> datetime:
        start = after or WINDOW_START
        return start + timedelta(seconds=self.rng.randrange(days * 86_400))

    def stamp(self, record: Record, base: Record | None = None) -> Record:
        """Adds `_rowstamp` and the org/site keys, dropping None values as Maximo does."""
        self.rowstamp += self.rng.randint(1, 40)
        merged = {**(base or {}), **record, "_rowstamp": str(self.rowstamp)}
        return {k: v for k, v in merged.items() if v is not None}

    def domain(self, attr: str, value: str | None, descriptions: dict[str, str]) -> Record:
        if value is None:
            return {}
        return {attr: value, f"{attr}_description": descriptions[value]}

    def maybe(self, chance: float, make: Callable[..., Any]) -> Any:
        """`make()` with this chance, else None (an attribute the record lacks)."""
        return make() if self.rng.random() < chance else None

    def pick(self, weighted: dict[Any, int]) -> Any:
        return self.rng.choices(list(weighted), weights=list(weighted.values()))[0]

    # -- tables -----------------------------------------------------------------

    def persons(self) -> list[Record]:
        people = []
        for first, last in self.rng.sample(
            [(given, family) for given in FIRST for family in LAST], COUNTS["mxapiperson"]
        ):
            personid = (first[0] + last).upper()[:12]
            status = self.pick({"ACTIVE": 85, "INACTIVE": 15})
            people.append(
                self.stamp(
                    {
                        "personid": personid,
                        "displayname": f"{first} {last}",
                        "firstname": first,
                        "lastname": last,
                        "primaryemail": f"{first}.{last}@eaglena.example".lower() if self.rng.random() < 0.9 else None,
                        "primaryphone": f"(781) 555-{self.rng.randrange(10_000):04d}",
                        "title": self.rng.choice(TITLES),
                        **self.domain("status", status, PERSON_STATUS),
                        "statusdate": iso(self.moment()),
                        "locationsite": SITE,
                        "locationorg": ORG,
                    }
                )
            )
        return sorted(people, key=lambda r: r["personid"])

    def companies(self) -> list[Record]:
        rows = []
        for code, name, kind in COMPANIES:
            city, state, zipcode = self.rng.choice(CITIES)
            rows.append(
                self.stamp(
                    {
                        "company": code,
                        "name": name,
                        "type": kind,
                        "address1": f"{self.rng.randint(10, 9999)} {self.rng.choice(('Main St', 'Commerce Dr', 'Mill Rd'))}",
                        "city": city,
                        "stateprovince": state,
                        "zip": zipcode,
                        "country": "US",
                        "phone": f"(800) 555-{self.rng.randrange(10_000):04d}",
                        "homepage": f"https://www.{code.lower()}.example" if self.rng.random() < 0.7 else None,
                        "currencycode": "USD",
                        "disabled": code == "OLDVENDOR",
                        "changedate": iso(self.moment()),
                        "changeby": "MAXADMIN",
                    },
                    {"orgid": ORG},
                )
            )
        return sorted(rows, key=lambda r: r["company"])

    def location(self, code: str, name: str, kind: str, parent: str | None) -> Record:
        hierarchy = [{"parent": parent, "systemid": "PRIMARY"}] if parent else [{"systemid": "PRIMARY"}]
        return self.stamp(
            {
                "location": code,
                "description": name,
                **self.domain("type", kind, LOC_TYPE),
                "status": "OPERATING",
                "status_description": "Operating",
                "changedate": iso(self.moment()),
                "changeby": "MAXADMIN",
                "lochierarchy": [{k: v for k, v in row.items() if v is not None} for row in hierarchy],
            },
            {"siteid": SITE, "orgid": ORG},
        )

    def locations(self) -> list[Record]:
        rows = [self.location(SITE, "Bedford Plant", "OPERATING", None)]
        for building in BUILDINGS:
            rows.append(self.location(building, f"Building {building[2:]}", "OPERATING", SITE))
            for n, area in enumerate(self.rng.sample(AREAS, self.rng.randint(5, 8)), start=1):
                name = f"{area}, Building {building[2:]}"
                rows.append(self.location(f"{building}-{n:02d}", name, "OPERATING", building))
        for room in STOREROOMS:
            rows.append(self.location(room, f"{room.title()} Storeroom", "STOREROOM", SITE))
        rows.append(self.location("MACHSHOP", "Machine Shop Repair", "REPAIR", SITE))
        return sorted(rows, key=lambda r: r["location"])

    def assets(self, operating: list[str], companies: list[Record]) -> list[Record]:
        makers = [c["company"] for c in companies if c["type"] == "M"]
        vendors = [c["company"] for c in companies if c["type"] == "V"]
        areas = [loc for loc in operating if "-" in loc]
        rows: list[Record] = []
        for n in range(COUNTS["mxapiasset"]):
            assetnum = str(11_001 + n)
            parent = rows[-self.rng.randint(1, min(len(rows), 8))] if rows and self.rng.random() < 0.25 else None
            category, kind = self.rng.choice(ASSET_KINDS)
            name = f"{self.rng.choice(COMPONENTS)} of {parent['description']}"[:100] if parent else kind
            status = self.pick({"OPERATING": 80, "NOT READY": 12, "DECOMMISSIONED": 8})
            installed = self.moment(WINDOW_START - timedelta(days=3000), 3000)
            rows.append(
                self.stamp(
                    {
                        "assetnum": assetnum,
                        "description": name,
                        **self.domain("status", status, ASSET_STATUS),
                        "assettag": f"T-{self.rng.randrange(100_000):05d}" if self.rng.random() < 0.6 else None,
                        "assettype": category,
                        "serialnum": f"SN{self.rng.randrange(10**8):08d}" if self.rng.random() < 0.8 else None,
                        "manufacturer": self.rng.choice(makers) if self.rng.random() < 0.8 else None,
                        "vendor": self.rng.choice(vendors) if self.rng.random() < 0.5 else None,
                        "location": parent["location"] if parent else self.rng.choice(areas),
                        "parent": parent["assetnum"] if parent else None,
                        "priority": self.rng.randint(1, 5) if self.rng.random() < 0.7 else None,
                        "isrunning": status == "OPERATING",
                        "installdate": iso(installed),
                        "changedate": iso(self.moment()),
                        "changeby": "MAXADMIN",
                    },
                    {"siteid": SITE, "orgid": ORG},
                )
            )
        return rows

    def inventory(self, companies: list[Record]) -> tuple[list[Record], list[Record]]:
        """Stock rows (INVENTORY, one per storeroom) and the item master (ITEM) they belong to.

        As in Maximo, the description is the item's (INVENTORY has none) and the
        storeroom's balance is `curbal`, the attribute MXAPIINVENTORY serves.
        """
        vendors = [c["company"] for c in companies if c["type"] == "V"]
        makers = [c["company"] for c in companies if c["type"] == "M"]
        rows, catalog = [], []
        kinds = [(stem, v, unit) for stem, variants, unit in ITEM_KINDS for v in variants]
        for n in range(COUNTS["items"]):
            stem, variant, unit = kinds[n % len(kinds)]
            itemnum = f"PT-{1001 + n}"
            description = f"{stem}, {variant}" + (f" (alt {n // len(kinds)})" if n >= len(kinds) else "")
            catalog.append(
                {
                    "itemnum": itemnum,
                    "itemsetid": ITEMSET,
                    "description": description,
                    "status": "ACTIVE",
                    "status_description": "Active",
                    "issueunit": unit,
                    "_rowstamp": str(700_000 + n),
                }
            )
            cost = round(self.rng.uniform(4, 400), 2)
            vendor = self.rng.choice(vendors)
            maker = self.rng.choice(makers) if self.rng.random() < 0.4 else None
            for room in sorted(self.rng.sample(STOREROOMS, self.rng.randint(1, 3))):
                rows.append(
                    self.stamp(
                        {
                            "itemnum": itemnum,
                            "location": room,
                            "status": "ACTIVE",
                            "status_description": "Active",
                            "issueunit": unit,
                            "orderunit": unit,
                            "curbal": float(self.rng.randint(0, 120)),
                            "minlevel": float(self.rng.choice((0, 2, 5, 10))),
                            "maxlevel": float(self.rng.choice((20, 50, 100))),
                            "avgcost": round(cost * self.rng.uniform(0.95, 1.05), 2),
                            "lastcost": cost,
                            "vendor": vendor if self.rng.random() < 0.85 else self.rng.choice(vendors),
                            "manufacturer": maker,
                        },
                        {"itemsetid": ITEMSET, "siteid": SITE, "orgid": ORG},
                    )
                )
        return rows, catalog

    def purchase_orders(self, inventory: list[Record], catalog: list[Record], companies: list[Record]) -> list[Record]:
        vendors = [c["company"] for c in companies if c["type"] == "V"]
        described = {item["itemnum"]: item["description"] for item in catalog}
        rows = []
        for n in range(COUNTS["mxapipo"]):
            status = self.pick({"CLOSE": 35, "APPR": 25, "WAPPR": 15, "INPRG": 15, "CAN": 10})
            ordered = self.moment()
            lines = []
            for number, stock in enumerate(self.rng.sample(inventory, self.rng.randint(1, 5)), start=1):
                qty = float(self.rng.randint(1, 40))
                received = {"CLOSE": qty, "APPR": float(self.rng.randint(0, int(qty)))}.get(status, 0.0)
                unit_cost = stock["lastcost"]
                lines.append(
                    {
                        "polinenum": number,
                        "linetype": "ITEM",
                        "itemnum": stock["itemnum"],
                        "description": described[stock["itemnum"]],
                        "orderqty": qty,
                        "orderunit": stock["orderunit"],
                        "unitcost": unit_cost,
                        "linecost": round(qty * unit_cost, 2),
                        "receivedqty": received,
                        "storeloc": stock["location"],
                    }
                )
            received_all = sum(line["receivedqty"] for line in lines)
            ordered_all = sum(line["orderqty"] for line in lines)
            receipts = "NONE" if received_all == 0 else "COMPLETE" if received_all == ordered_all else "PARTIAL"
            rows.append(
                self.stamp(
                    {
                        "ponum": str(1001 + n),
                        "revisionnum": 0,
                        "description": f"Stock replenishment {1001 + n}",
                        **self.domain("status", status, PO_STATUS),
                        "vendor": self.rng.choice(vendors),
                        "orderdate": iso(ordered),
                        "requireddate": self.maybe(
                            0.8, lambda ordered=ordered: iso(ordered + timedelta(days=self.rng.randint(5, 45)))
                        ),
                        "currencycode": "USD",
                        "totalcost": round(sum(line["linecost"] for line in lines), 2),
                        "receipts": receipts,
                        "changedate": iso(ordered + timedelta(hours=self.rng.randint(1, 500))),
                        "changeby": "MAXADMIN",
                        "poline": lines,
                    },
                    {"siteid": SITE, "orgid": ORG},
                )
            )
        return rows

    def work_orders(self, assets: list[Record], operating: list[str], persons: list[Record]) -> list[Record]:
        people = [p["personid"] for p in persons]
        weights = {"COMP": 25, "CLOSE": 20, "APPR": 15, "INPRG": 15, "WAPPR": 10, "WMATL": 8, "CAN": 7}
        rows = []
        for n in range(COUNTS["mxapiwodetail"]):
            asset = self.rng.choice(assets) if self.rng.random() < 0.85 else None
            status = self.pick(weights)
            reported = self.moment()
            started = reported + timedelta(hours=self.rng.randint(2, 200))
            finished = started + timedelta(hours=self.rng.randint(1, 72))
            done = status in ("COMP", "CLOSE")
            title = self.rng.choice(WO_TITLES).format(a=asset["description"] if asset else "building services")
            rows.append(
                self.stamp(
                    {
                        "wonum": str(1001 + n),
                        "description": title[:100],
                        "description_longdescription": self.maybe(
                            0.4, lambda title=title: f"<p>{title}. Reported by operations.</p>"
                        ),
                        **self.domain("status", status, WO_STATUS),
                        "statusdate": iso(finished if done else started),
                        "wopriority": self.rng.randint(1, 5) if self.rng.random() < 0.85 else None,
                        "worktype": self.rng.choice(WORKTYPES) if self.rng.random() < 0.9 else None,
                        "woclass": "WORKORDER",
                        "istask": False,
                        "assetnum": asset["assetnum"] if asset else None,
                        "location": asset["location"] if asset else self.rng.choice(operating),
                        "reportedby": self.rng.choice(people),
                        "reportdate": iso(reported),
                        "lead": self.rng.choice(people) if self.rng.random() < 0.7 else None,
                        "owner": self.rng.choice(people) if self.rng.random() < 0.3 else None,
                        "targcompdate": self.maybe(
                            0.8, lambda reported=reported: iso(reported + timedelta(days=self.rng.randint(1, 30)))
                        ),
                        "actstart": iso(started) if status in ("INPRG", "WMATL") or done else None,
                        "actfinish": iso(finished) if done else None,
                        "estdur": round(self.rng.choice((0.5, 1, 2, 4, 8)), 2),
                        "actlabhrs": round(self.rng.uniform(0.5, 12), 2) if done else 0.0,
                        "changedate": iso(finished if done else started),
                        "changeby": "MAXADMIN",
                    },
                    {"siteid": SITE, "orgid": ORG},
                )
            )
        return rows


# -- what was added after the first seed ------------------------------------------

SHIFTS = ("DAY", "SWING", "NIGHT")
SR_TITLES = ("{a} is noisy", "Leak under {a}", "{a} will not start", "Guard missing on {a}", "Light out near {a}")
METERS = (
    ("RUNHOURS", "Run hours", "CONTINUOUS", "HOURS"),
    ("TEMP-F", "Temperature", "GAUGE", "DEG F"),
    ("PRESSURE", "Discharge pressure", "GAUGE", "PSI"),
    ("VIBRATION", "Vibration velocity", "GAUGE", "IN/S"),
    ("CYCLES", "Cycle count", "CONTINUOUS", "CYCLES"),
    ("ODOMETER", "Odometer", "CONTINUOUS", "MILES"),
    ("AMPS", "Motor current", "GAUGE", "AMPS"),
    ("OILCOND", "Oil condition", "CHARACTERISTIC", None),
    ("FLOW", "Flow rate", "GAUGE", "GPM"),
    ("STARTS", "Motor starts", "CONTINUOUS", "STARTS"),
    ("DP-FILTER", "Filter differential pressure", "GAUGE", "PSI"),
    ("NOISE", "Noise level", "GAUGE", "DB"),
)


def customize(tables: dict[str, list[Record]], seed: int) -> None:
    """This customer's additions, made after the first seed so none of its records change.

    Customers add attributes to Maximo objects, by convention prefixed (`cust_`);
    the service requests and meters come from their own random stream.
    """
    for n, order in enumerate(tables["mxapiwodetail"]):
        order.update(
            cust_shift=SHIFTS[n % 3], cust_costcenter=f"CC-{4100 + 10 * (n % 5)}", cust_downtime=(n * 23) % 480
        )
    for n, asset in enumerate(tables["mxapiasset"]):
        installed = datetime.fromisoformat(asset["installdate"])
        asset.update(cust_warrantyexp=iso(installed + timedelta(days=1825)), cust_ratedkw=float(5 + (n * 7) % 90))
    rng = random.Random(f"{seed}-additions")
    tables["mxapisr"] = service_requests(rng, tables)
    tables["mxapiorganization"] = [
        {
            "orgid": ORG,
            "description": "Eagle North America",
            "active": True,
            "_rowstamp": "600001",
            "site": [{"siteid": code, "description": name, "active": True} for code, name in SITES.items()],
        }
    ]
    tables["mxapimeter"] = [
        {
            "metername": name,
            "description": text,
            "metertype": kind,
            "measureunitid": unit,
            "readingtype": "ACTUAL" if kind != "CONTINUOUS" else rng.choice(("ACTUAL", "DELTA")),
            "active": True,
            "_rowstamp": str(810_000 + n),
        }
        for n, (name, text, kind, unit) in enumerate(sorted(METERS))
    ]
    for meter in tables["mxapimeter"]:
        if meter["measureunitid"] is None:
            del meter["measureunitid"]


def service_requests(rng: random.Random, tables: dict[str, list[Record]]) -> list[Record]:
    """Service requests (SR tickets) on assets or locations, reported by people."""
    people = [p["personid"] for p in tables["mxapiperson"]]
    assets = tables["mxapiasset"]
    rows = []
    for n in range(COUNTS["mxapisr"]):
        asset = rng.choice(assets) if rng.random() < 0.8 else None
        reported = WINDOW_START + timedelta(seconds=rng.randrange(WINDOW_DAYS * 86_400))
        status = rng.choices(list(SR_STATUS), weights=(20, 15, 15, 5, 20, 20, 5))[0]
        title = rng.choice(SR_TITLES).format(a=asset["description"] if asset else "the loading dock")
        record = {
            "ticketid": str(5001 + n),
            "class": "SR",
            "description": title[:100],
            "status": status,
            "status_description": SR_STATUS[status],
            "reportedpriority": rng.randint(1, 5) if rng.random() < 0.7 else None,
            "assetnum": asset["assetnum"] if asset else None,
            "location": asset["location"] if asset else "BR100",
            "reportedby": rng.choice(people),
            "reportdate": iso(reported),
            "changedate": iso(reported + timedelta(hours=rng.randint(0, 400))),
            "changeby": "MAXADMIN",
            "siteid": SITE,
            "orgid": ORG,
            "_rowstamp": str(800_000 + n),
        }
        rows.append({k: v for k, v in record.items() if v is not None})
    return rows
