"""Deterministic seed data for the Fiix sandbox: one tenant's tables, keyed by Fiix class name.

A plant with four sites: locations, equipment and parts are all `Asset` rows, told
apart by their category's `intSuperCategorySysCode` (1 locations and facilities,
2 equipment, 4 parts and supplies); work orders point at equipment by
`strAssetIds` and at a site by `intSiteID`. Reference tables (statuses,
priorities, maintenance types, asset categories) hold a new tenant's defaults
(unverified). Dates are epoch milliseconds. Everything comes from one
`random.Random(seed)`, so a seed always gives the same bytes.
"""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime
from typing import Any

from sandboxes.data import EPOCH, Record, SeededDataset, now_ms

WINDOW_START = int((datetime(2025, 6, 1, tzinfo=UTC) - EPOCH).total_seconds() * 1000)
WINDOW_END = int((datetime(2026, 11, 1, tzinfo=UTC) - EPOCH).total_seconds() * 1000)
DAY = 86_400_000

# The classes' stamps: only these two carry a modification time.
STAMPS = {"WorkOrder": "dtmDateLastModified", "ScheduledMaintenance": "dtmUpdatedDate"}
CREATED = {"WorkOrder": "dtmDateCreated", "ScheduledMaintenance": "dtmCreateDate"}
COUNTS = {"sites": 4, "areas": 26, "equipment": 140, "parts": 90, "Business": 25, "User": 22}
COUNTS |= {"WorkOrder": 260, "ScheduledMaintenance": 45}
CLASSES: tuple[str, ...] = (
    "Asset",
    "AssetCategory",
    "WorkOrderStatus",
    "Priority",
    "MaintenanceType",
    "Business",
    "User",
)
CLASSES += ("WorkOrder", "ScheduledMaintenance")

WORK_ORDER_STATUSES: tuple[tuple[int, str, int], ...] = (
    (1, "Requested", 1),
    (2, "Assigned", 2),
    (3, "Open", 3),
    (4, "Work In Progress", 4),
)
WORK_ORDER_STATUSES += ((5, "On Hold", 5), (6, "Closed, Completed", 6), (7, "Cancelled", 7))
PRIORITIES: tuple[tuple[int, str, int], ...] = (
    (1, "Highest", 1),
    (2, "High", 2),
    (3, "Medium", 3),
    (4, "Low", 4),
    (5, "Lowest", 5),
)
MAINTENANCE_TYPES: tuple[tuple[int, str, int], ...] = (
    (1, "Corrective", 1),
    (2, "Preventive", 2),
    (3, "Inspection", 3),
    (4, "Emergency", 4),
)
MAINTENANCE_TYPES += ((5, "Safety", 5),)
CATEGORIES: tuple[tuple[int, str, int], ...] = (
    (11, "Locations and Facilities", 1),
    (12, "Equipment", 2),
    (13, "Tools", 3),
)
CATEGORIES += ((14, "Parts and Supplies", 4),)

ASSET_FIELDS = (
    "id",
    "strName",
    "strCode",
    "strDescription",
    "intCategoryID",
    "intSuperCategorySysCode",
    "bolIsSite",
    "bolIsOnline",
    "intSiteID",
    "intAssetLocationID",
    "intAssetParentID",
    "strAddress",
    "strCity",
    "strMake",
    "strModel",
    "strSerialNumber",
    "dblLastPrice",
    "qtyStockCount",
    "qtyMinStockCount",
    "strVendorIds",
)
SITES: tuple[tuple[str, str], ...] = (("Hamilton Plant", "1200 Burlington St E"), ("Windsor Plant", "45 Riverside Dr"))
SITES += (("Laval Distribution", "3100 Boul. Industriel"), ("Calgary Service Depot", "88 Barlow Trail SE"))
AREAS: tuple[str, ...] = (
    "Press Line",
    "Paint Shop",
    "Boiler Room",
    "Warehouse",
    "Assembly Hall",
    "Loading Dock",
    "Utilities",
)
EQUIPMENT: tuple[tuple[str, str], ...] = (
    ("Hydraulic Press", "Schuler"),
    ("Air Compressor", "Atlas Copco"),
    ("Conveyor", "Hytrol"),
)
EQUIPMENT += (("Boiler", "Cleaver-Brooks"), ("Chiller", "Trane"), ("Forklift", "Toyota"), ("Pump", "Grundfos"))
PARTS: tuple[str, ...] = (
    "V-Belt",
    "Bearing 6204",
    "Hydraulic Filter",
    "Air Filter",
    "Seal Kit",
    "Fuse 10A",
    "Motor Brush",
)
PARTS += ("Gear Oil 5L", "Coupling", "Proximity Sensor")
PEOPLE: tuple[str, ...] = (
    "Avery Chen",
    "Jordan Patel",
    "Morgan Reyes",
    "Riley Okafor",
    "Casey Novak",
    "Taylor Singh",
    "Sam Dubois",
)
PEOPLE += ("Jamie Kowalski", "Drew Haddad", "Quinn MacLeod", "Robin Ito")
TITLES: tuple[str, ...] = ("Technician", "Planner", "Maintenance Manager", "Requester")
COMPANIES: tuple[str, ...] = (
    "Northern Bearing",
    "Great Lakes Hydraulics",
    "Maple Electric",
    "Prairie Fasteners",
    "Summit Filters",
)
WORK: tuple[str, ...] = (
    "Replace belt on {a}",
    "Inspect {a}",
    "Lubricate {a}",
    "Leak at {a}",
    "Noise from {a}",
    "Calibrate {a}",
)


class Dataset(SeededDataset):
    """The seeded tables of one Fiix sandbox app, each in id order."""

    def generate(self) -> dict[str, list[Record]]:
        tables = _generate(random.Random(self.seed))
        self._fields = {cls: set(rows[0]) for cls, rows in tables.items()}
        return tables

    def classes(self) -> tuple[str, ...]:
        return tuple(self._load())

    def fields(self, cls: str) -> set[str]:
        """The fields of a class (every record of a class has them all)."""
        self._load()
        return self._fields[cls]

    def now_stamp(self) -> int:
        return now_ms()

    def touch(self, resource: str, ids: list[Any], stamp: Any = None) -> list[Record]:
        """Bump the class's own modification stamp (classes without one keep none)."""
        with self._lock:  # reentrant: the stamp field holds for this one change
            self.stamp_field = STAMPS.get(resource, "intUpdated")
            return super().touch(resource, ids, stamp)

    def patch(self, resource: str, record_id: Any, changes: Record) -> Record | None:
        """Apply the changes; only a class with a modification stamp gets it bumped."""
        if resource in STAMPS:
            changes = {**changes, STAMPS[resource]: self.now_stamp()}
        self._load()
        with self._lock:
            record = self._index[resource].get(record_id)
            if record is None:
                return None
            record.update(changes)
            return copy.deepcopy(record)

    def next_id(self, resource: str) -> int:
        """Fiix ids are increasing integers (new records list last)."""
        rows = self.records(resource)
        return max((r["id"] for r in rows), default=0) + 1


def _named(rows: tuple[tuple[int, str, int], ...], extra: str = "intSysCode") -> list[Record]:
    return [{"id": i, "strName": name, extra: code} for i, name, code in rows]


def _asset(next_id: int, **values: Any) -> Record:
    record: Record = dict.fromkeys(ASSET_FIELDS)
    record.update({"id": next_id, "bolIsSite": 0, **values})
    return record


def _generate(rng: random.Random) -> dict[str, list[Record]]:
    assets: list[Record] = []

    def add(**values: Any) -> Record:
        assets.append(_asset(1000 + len(assets) + 1, **values))
        return assets[-1]

    sites = [
        add(strName=name, strCode=f"SITE-{n}", intCategoryID=11, intSuperCategorySysCode=1, bolIsSite=1, strAddress=a)
        for n, (name, a) in enumerate(SITES, 1)
    ]
    for site in sites:
        site["intSiteID"] = site["id"]
    areas = []
    for n in range(COUNTS["areas"]):
        site = sites[n % len(sites)]
        name = f"{AREAS[n % len(AREAS)]} {n // len(AREAS) + 1}"
        areas.append(add(strName=name, strCode=f"LOC-{n + 1:03d}", intCategoryID=11, intSuperCategorySysCode=1))
        areas[-1].update(intSiteID=site["id"], intAssetLocationID=site["id"])
    businesses = [
        {
            "id": 300 + n,
            "strName": f"{COMPANIES[n % len(COMPANIES)]}{'' if n < len(COMPANIES) else f' #{n // len(COMPANIES)}'}",
            "strCode": f"SUP-{n:03d}",
            "strPrimaryEmail": f"orders{n}@supplier.example",
            "strPhone": f"+1 905 555 {1000 + n}",
            "strAddress": f"{10 + n} Industrial Rd",
        }
        for n in range(1, COUNTS["Business"] + 1)
    ]
    equipment: list[Record] = []
    for n in range(COUNTS["equipment"]):
        kind, make = EQUIPMENT[n % len(EQUIPMENT)]
        area = rng.choice(areas)
        parent = rng.choice(equipment) if equipment and rng.random() < 0.15 else None
        equipment.append(
            add(
                strName=f"{kind} {n + 1:03d}",
                strCode=f"EQ-{n + 1:04d}",
                strDescription=f"{kind} in {area['strName']}",
                intCategoryID=12,
                intSuperCategorySysCode=2,
                bolIsOnline=1 if rng.random() < 0.85 else 0,
                intSiteID=area["intSiteID"],
                intAssetLocationID=area["id"],
                intAssetParentID=parent["id"] if parent else None,
                strMake=make,
                strModel=f"M{rng.randint(100, 999)}",
                strSerialNumber=f"SN{rng.randint(100000, 999999)}",
            )
        )
    for n in range(COUNTS["parts"]):
        vendors = rng.sample(businesses, rng.randint(0, 2))
        add(
            strName=f"{PARTS[n % len(PARTS)]} ({n + 1})",
            strCode=f"P-{n + 1:05d}",
            strDescription=f"Stocked spare {n + 1}",
            intCategoryID=14,
            intSuperCategorySysCode=4,
            dblLastPrice=round(rng.uniform(2, 400), 2),
            qtyStockCount=float(rng.randint(0, 60)),
            qtyMinStockCount=float(rng.randint(0, 10)),
            strVendorIds=",".join(str(v["id"]) for v in vendors),
        )
    users = [
        {
            "id": 500 + n,
            "strFullName": f"{PEOPLE[n % len(PEOPLE)]}{'' if n < len(PEOPLE) else f' {n // len(PEOPLE) + 1}'}",
            "strUserName": f"user{n}",
            "strEmailAddress": f"user{n}@plant.example",
            "strUserTitle": TITLES[n % len(TITLES)],
        }
        for n in range(COUNTS["User"])
    ]
    return {
        "Asset": assets,
        "AssetCategory": _named(CATEGORIES),
        "WorkOrderStatus": _named(WORK_ORDER_STATUSES),
        "Priority": _named(PRIORITIES, "intOrder"),
        "MaintenanceType": _named(MAINTENANCE_TYPES),
        "Business": businesses,
        "User": users,
        "WorkOrder": _work_orders(rng, equipment, users),
        "ScheduledMaintenance": _schedules(rng, sites),
    }


def _times(rng: random.Random, count: int) -> list[tuple[int, int]]:
    """(created, last modified) pairs, created in id order."""
    created = sorted(rng.randint(WINDOW_START, WINDOW_END) for _ in range(count))
    return [(c, c if rng.random() < 0.3 else min(WINDOW_END, c + rng.randint(1, 60) * DAY)) for c in created]


def _work_orders(rng: random.Random, equipment: list[Record], users: list[Record]) -> list[Record]:
    rows = []
    for n, (created, modified) in enumerate(_times(rng, COUNTS["WorkOrder"]), 1):
        asset = rng.choice(equipment)
        status = rng.choice((1, 2, 3, 3, 4, 5, 6, 6, 6, 7))
        assigned = rng.sample(users, rng.randint(0, 2))
        rows.append(
            {
                "id": 20000 + n,
                "strCode": f"WO{n:05d}",
                "strDescription": rng.choice(WORK).format(a=asset["strName"]),
                "intWorkOrderStatusID": status,
                "intPriorityID": rng.randint(1, 5),
                "intMaintenanceTypeID": rng.randint(1, 5),
                "intSiteID": asset["intSiteID"],
                "strAssetIds": str(asset["id"]),
                "strAssets": asset["strName"],
                "strAssignedUserIds": ",".join(str(u["id"]) for u in assigned),
                "intRequestedByUserID": rng.choice(users)["id"],
                "dtmSuggestedCompletionDate": created + rng.randint(1, 21) * DAY,
                "dtmDateCompleted": modified if status == 6 else None,
                "dtmDateCreated": created,
                "dtmDateLastModified": modified,
            }
        )
    return rows


def _schedules(rng: random.Random, sites: list[Record]) -> list[Record]:
    return [
        {
            "id": 7000 + n,
            "strCode": f"PM{n:04d}",
            "strDescription": f"{rng.choice(('Monthly', 'Quarterly', 'Weekly'))} service {n}",
            "intSiteID": rng.choice(sites)["id"],
            "intPriorityID": rng.randint(1, 5),
            "dtmCreateDate": created,
            "dtmUpdatedDate": modified,
        }
        for n, (created, modified) in enumerate(_times(rng, COUNTS["ScheduledMaintenance"]), 1)
    ]
