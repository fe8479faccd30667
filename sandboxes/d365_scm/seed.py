"""The deterministic data of the sandbox: two legal entities (`usmf`, the login's default company, and
`usrt`, with a few records of its own), each record tagged with its `dataAreaId`.

Asset Management's hierarchy: functional locations (site → areas), maintenance assets installed in
them, maintenance requests and work orders on the assets; vendors, released products and purchase
orders with lines for buying spare parts. Dates are ISO 8601 in UTC; an unset date is
1900-01-01T12:00:00Z, as the data entities write it.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sandboxes.data import Record, SeededDataset, iso, now_ms
from sandboxes.odata_v4 import Page

from . import model
from .model import ENTITIES, MODIFIED

DEFAULT_COMPANY = "usmf"
OTHER_COMPANY = "usrt"
LEGAL_ENTITIES = ({"LegalEntityId": "USMF", "Name": "Contoso USA"}, {"LegalEntityId": "USRT", "Name": "Contoso Retail"})
NO_DATE = "1900-01-01T12:00:00Z"
OPEN_END = "2154-12-31T23:59:59Z"  # the service's maximum date: an employment without an end
START = datetime(2025, 3, 3, 7, 0, tzinfo=UTC)
FIRST_NAMES = ("April", "Julia", "Ted", "Charlie", "Karen", "Jodi", "Dan", "Sara", "Rick", "Ahmed", "Kim")
LAST_NAMES = ("Meyer", "Funk", "Howard", "Carson", "Berg", "Christiansen", "Park", "Thomas", "Lopez")
TITLES = ("Maintenance technician", "Maintenance planner", "Buyer", "Supervisor")
AREAS = ("Press shop", "Paint line", "Assembly", "Utilities", "Spares store")
ASSET_KINDS = (("Hydraulic press", "Press"), ("Conveyor", "Conveyor"), ("Compressor", "Compressor"), ("Robot", "Robot"))
LIFECYCLE = ("Active", "Active", "Active", "Down", "Repair", "Active", "Ended")
WO_STATES = ("Created", "Scheduled", "InProgress", "OnHold", "Completed", "Ended", "Cancelled")
WO_TYPES = ("Corrective", "Preventive", "Inspection", "Emergency")
REQUEST_STATES = ("New", "New", "InProgress", "Rejected", "Closed")
PART_KINDS = (("Hydraulic hose 1/2in", "ea"), ("Bearing 6205", "ea"), ("Gear oil", "l"), ("Belt XPZ", "ea"))
VENDOR_NAMES = ("Fabrikam Supplier", "Contoso Spares", "Litware Hydraulics", "Adventure Works Tools")


def stamp(moment: datetime) -> str:
    return iso(int(moment.timestamp() * 1000))


def unset(page: Page) -> Record:
    """Every property of an entity set, unset as the service writes it (empty text, 1900 for a date)."""
    empty = {"Edm.String": "", "Edm.DateTimeOffset": NO_DATE, "Edm.Int32": 0, "Edm.Decimal": 0.0}
    return {p.name: empty.get(p.type) for p in page.props}


def job(number: str, line: int, asset: Record, description: str) -> Record:
    """A work order line (a job) on one asset, in the asset's functional location."""
    return {
        **unset(model.WORK_ORDERS.line_page),  # type: ignore[arg-type]
        "WorkOrderId": number,
        "LineNumber": line,
        "dataAreaId": asset["dataAreaId"],
        "MaintenanceAssetId": asset["MaintenanceAssetId"],
        "MaintenanceAssetFunctionalLocationId": asset["FunctionalLocationId"],
        "JobTypeId": "Repair",
        "WorkOrderJobDescription": description,
    }


class Dataset(SeededDataset):
    """Every entity set's records, both companies in one table (each record names its company)."""

    stamp_field = MODIFIED

    def __init__(self, seed: int = 23) -> None:
        super().__init__(seed)
        self.rng = random.Random(seed)

    def id_field(self, resource: str) -> str:
        return ENTITIES[resource].keys[0]

    def now_stamp(self) -> Any:
        return iso(now_ms())

    def moment(self, n: int) -> datetime:
        return START + timedelta(hours=5 * n, minutes=self.rng.randrange(60))

    def generate(self) -> dict[str, list[Record]]:
        locations = self.locations()
        assets = [self.asset(n, locations) for n in range(24)]
        vendors = [self.vendor(n) for n in range(16)]
        products = [self.product(n) for n in range(20)]
        orders = [self.order(n, vendors, products) for n in range(18)]
        work_orders = [self.work_order(n, assets) for n in range(30)]
        requests = [self.request(n, assets, work_orders) for n in range(20)]
        employees = [self.employee(n, OTHER_COMPANY if n >= 12 else DEFAULT_COMPANY) for n in range(14)]
        other = {**self.record(model.VENDORS.name, "US-900", OTHER_COMPANY), "VendorOrganizationName": "Retail only"}
        return {
            model.LOCATIONS.name: locations,
            model.ASSETS.name: assets,
            model.WORK_ORDERS.name: work_orders,
            model.REQUESTS.name: requests,
            model.VENDORS.name: [*vendors, {**self.blank(model.VENDORS.name), **other}],
            model.PRODUCTS.name: products,
            model.ORDERS.name: orders,
            model.EMPLOYEES.name: employees,
        }

    def blank(self, entity: str) -> Record:
        """Every property of an entity, unset as the service writes it (empty text, 1900 for a date)."""
        return unset(ENTITIES[entity])

    def record(self, entity: str, key: str, company: str = DEFAULT_COMPANY, n: int = 0) -> Record:
        return {
            **self.blank(entity),
            ENTITIES[entity].keys[0]: key,
            "dataAreaId": company,
            MODIFIED: stamp(self.moment(n)),
        }

    def locations(self) -> list[Record]:
        site = {
            **self.record(model.LOCATIONS.name, "SITE-1"),
            "Name": "Main plant",
            "FunctionalLocationTypeId": "Site",
        }
        areas = [
            {
                **self.record(model.LOCATIONS.name, f"SITE-1-{n + 1:02d}", n=n + 1),
                "Name": name,
                "FunctionalLocationTypeId": "Storage" if name == "Spares store" else "Area",
                "ParentFunctionalLocationId": "SITE-1",
                "FunctionalLocationLifecycleStateId": "Active",
            }
            for n, name in enumerate(AREAS)
        ]
        return [{**site, "FunctionalLocationLifecycleStateId": "Active"}, *areas]

    def asset(self, n: int, locations: list[Record]) -> Record:
        kind, asset_type = ASSET_KINDS[n % len(ASSET_KINDS)]
        return {
            **self.record(model.ASSETS.name, f"MA-{1000 + n}", n=n),
            "Name": f"{kind} {n // len(ASSET_KINDS) + 1}",
            "MaintenanceAssetTypeId": asset_type,
            "MaintenanceAssetLifecycleStateId": LIFECYCLE[n % len(LIFECYCLE)],
            "ModelId": f"M{100 + n % 5}",
            "ProductId": "Contoso Machines" if n % 2 else "Fabrikam Industrial",
            "SerialID": f"SN{self.rng.randrange(10**6):06d}",
            "FunctionalLocationId": locations[1 + n % (len(locations) - 1)]["FunctionalLocationId"],
            "ParentMaintenanceAssetId": "MA-1000" if n in (5, 9) else "",
            "CONRiskClass": ("A", "B", "C")[n % 3],
            "CONInspectionDays": 30 * (1 + n % 4),
        }

    def work_order(self, n: int, assets: list[Record]) -> Record:
        asset = assets[self.rng.randrange(len(assets))]
        state = WO_STATES[n % len(WO_STATES)]
        started = self.moment(n * 2)
        number = f"WO-{2000 + n}"
        return {
            **self.record(model.WORK_ORDERS.name, number, n=n * 2 + 1),
            "Description": f"{WO_TYPES[n % len(WO_TYPES)]} work on {asset['Name']}",
            "WorkOrderTypeId": WO_TYPES[n % len(WO_TYPES)],
            "WorkOrderLifecycleStateId": state,
            "ServiceLevel": 1 + n % 5,
            "ExpectedEnd": stamp(started + timedelta(days=3)),
            "ActualStart": stamp(started) if state in ("InProgress", "Completed", "Ended") else NO_DATE,
            "ActualEnd": stamp(started + timedelta(hours=6)) if state in ("Completed", "Ended") else NO_DATE,
            str(model.WORK_ORDERS.lines): [job(number, 1, asset, f"{WO_TYPES[n % len(WO_TYPES)]} job")]
            if n % 10 != 9
            else [],
        }

    def request(self, n: int, assets: list[Record], work_orders: list[Record]) -> Record:
        asset = assets[(n * 7) % len(assets)]
        converted = n % 6 == 5
        return {
            **self.record(model.REQUESTS.name, f"MR-{3000 + n}", n=n + 4),
            "Description": f"{'Noise' if n % 2 else 'Leak'} at {asset['Name']}",
            "RequestTypeId": "Breakdown" if n % 3 else "Inspection",
            "RequestLifecycleStateId": "InProgress" if converted else REQUEST_STATES[n % len(REQUEST_STATES)],
            "WorkOrderPriority": 1 + n % 5,
            "MaintenanceAssetId": asset["MaintenanceAssetId"],
            "FunctionalLocationId": asset["FunctionalLocationId"],
            "WorkOrderId": work_orders[n]["WorkOrderId"] if converted else "",
        }

    def vendor(self, n: int) -> Record:
        return {
            **self.record(model.VENDORS.name, f"US-{101 + n}", n=n),
            "VendorOrganizationName": f"{VENDOR_NAMES[n % len(VENDOR_NAMES)]} {n // len(VENDOR_NAMES) + 1}",
            "VendorGroupId": "10",
            "PrimaryEmailAddress": f"sales{n}@vendor.example.com",
            "PrimaryPhoneNumber": f"555-01{n:02d}",
            "PrimaryURL": "" if n % 3 else f"https://vendor{n}.example.com",
            "AddressStreet": f"{100 + n} Main Street",
            "AddressZipCode": "98052",
            "AddressCity": "Redmond",
            "AddressCountryRegionId": "USA",
            "OnHoldStatus": "All" if n % 7 == 6 else "No",
        }

    def employee(self, n: int, company: str) -> Record:
        """A worker employed in one legal entity (named upper case, as `LegalEntities` names it); an open
        employment ends at the service's maximum date, a past one on its day."""
        first, last = FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[(n * 3) % len(LAST_NAMES)]
        return {
            **self.blank(model.EMPLOYEES.name),
            "PersonnelNumber": f"{n + 1:06d}",  # workers are numbered across companies
            "EmploymentLegalEntityId": company.upper(),
            "EmploymentId": f"E{n + 1:05d}",
            "Name": f"{first} {last}",
            "PrimaryContactEmail": f"{first.lower()}.{last.lower()}@contoso.example.com" if n % 4 != 3 else "",
            "TitleId": TITLES[n % len(TITLES)],
            "EmploymentStartDate": stamp(START - timedelta(days=400 + 30 * n)),
            "EmploymentEndDate": stamp(START - timedelta(days=20)) if n == 7 else OPEN_END,
            MODIFIED: stamp(self.moment(n)),
        }

    def product(self, n: int) -> Record:
        name, unit = PART_KINDS[n % len(PART_KINDS)]
        return {
            **self.record(model.PRODUCTS.name, f"SP-{500 + n}", n=n + 2),
            "SearchName": f"{name[:16]} {n // len(PART_KINDS) + 1}",
            "ProductSearchName": name[:20],
            "InventoryUnitSymbol": unit,
            "PurchasePrice": round(self.rng.uniform(3, 250), 2),
        }

    def order(self, n: int, vendors: list[Record], products: list[Record]) -> Record:
        vendor = vendors[self.rng.randrange(len(vendors))]
        status, approval = (
            ("Backorder", "Draft"),
            ("Backorder", "Approved"),
            ("Backorder", "Confirmed"),
            ("Received", "Confirmed"),
            ("Invoiced", "Confirmed"),
            ("Canceled", "Approved"),
        )[n % 6]
        number = f"PO-{4000 + n}"
        lines = [self.line(number, k, products[self.rng.randrange(len(products))], status) for k in range(1, 3)]
        ordered = self.moment(n * 3)
        return {
            **self.record(model.ORDERS.name, number, n=n * 3 + 1),
            "OrderVendorAccountNumber": vendor["VendorAccountNumber"],
            "PurchaseOrderStatus": status,
            "DocumentApprovalStatus": approval,
            "AccountingDate": stamp(ordered),
            "RequestedDeliveryDate": stamp(ordered + timedelta(days=10)),
            "CurrencyCode": "USD",
            str(model.ORDERS.lines): lines,
        }

    def line(self, number: str, k: int, product: Record, status: str) -> Record:
        quantity = float(self.rng.randrange(1, 12))
        return {
            "PurchaseOrderNumber": number,
            "LineNumber": k,
            "dataAreaId": DEFAULT_COMPANY,
            "ItemNumber": product["ItemNumber"],
            "LineDescription": product["SearchName"],
            "OrderedPurchaseQuantity": quantity,
            "PurchaseUnitSymbol": product["InventoryUnitSymbol"],
            "PurchasePrice": product["PurchasePrice"],
            "LineAmount": round(quantity * product["PurchasePrice"], 2),
            "PurchaseOrderLineStatus": status,
        }
