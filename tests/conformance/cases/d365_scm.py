"""Dynamics 365 Supply Chain Management against its sandbox: OAuth client credentials at the token
endpoint the sandbox serves, the data entities of legal entity `usmf`, read cross-company."""

from __future__ import annotations

from contextlib import AbstractContextManager
from math import ceil
from typing import Any

from connectors.odata.batch import BATCH_SIZE
from connectors.odata.query import KEYS_PER_CALL
from sandboxes.d365_scm.app import SANDBOX, login
from tests.conformance.case import Ref, Running, SystemCase, Writes, related_ids, served

SETS = {
    "Asset": "AssetMaintenanceAssetsV3",
    "Location": "AssetMaintenanceFunctionalLocations",
    "WorkOrder": "AssetMaintenanceWorkOrderTablesV2",
    "MaintenanceRequest": "AssetMaintenanceRequestsV2",
    "Vendor": "VendorsV2",
    "Part": "ReleasedProductsV2",
    "PurchaseOrder": "PurchaseOrderHeadersV2",
    "User": "EmployeesV2",
}


def expected_calls(answer: dict[str, Any], running: Running) -> int:
    """One list call, then one multipart `$batch` of `or`-filtered reads (40 ids each, up to 100 reads) for
    the distinct assets, and one for their locations."""
    assets, locations = related_ids(answer)
    return 1 + ceil(len(assets) / (KEYS_PER_CALL * BATCH_SIZE)) + ceil(len(locations) / (KEYS_PER_CALL * BATCH_SIZE))


def entity_match(entity: str) -> str:
    """A request that reads the entity's set: its request line, or a GET part of a `$batch` body."""
    return rf"(?m)^(?:[A-Z]+ /data/|GET )(?:{SETS[entity]})(?:[/?(]|$| )"


def start() -> AbstractContextManager[Running]:
    return served(
        SANDBOX,
        bad_credentials={**login(), "clientSecret": "wrong"},
        collections=SETS,
        entity_match=entity_match,
        removable="MaintenanceRequest",
    )


WRITES = Writes(
    create={
        "Asset": {"name": "Conformance pump", "category": "Pump", "serialNumber": "SN-C1", "location": Ref("Location")},
        "Vendor": {
            "name": "Conformance Supplies",
            "email": "orders@conformance.example.com",
            "phone": "555-0199",
            "website": "https://conformance.example.com",
            "active": True,
        },
        "WorkOrder": {"title": "Conformance repair", "type": "CORRECTIVE", "dueDate": "2026-11-29T00:00:00.000Z"},
        "MaintenanceRequest": {"title": "Conformance leak", "asset": Ref("Asset"), "location": Ref("Location")},
        "PurchaseOrder": {
            "vendor": Ref("Vendor"),
            "orderDate": "2026-11-15T00:00:00.000Z",
            "expectedDate": "2026-11-29T00:00:00.000Z",
            "currency": "USD",
            "lines": [
                {"part": Ref("Part"), "description": "V-belt", "quantity": 4.0, "unitPrice": 12.5},
                {"part": Ref("Part", 1), "quantity": 2.0, "unitOfMeasure": "ea", "unitPrice": 3.25},
            ],
        },
    },
    update={
        "Asset": {
            "name": "Conformance pump (rebuilt)",
            "category": "Compressor",
            "model": "M200",
            "serialNumber": "SN-C2",
            "location": Ref("Location", 2),
        },
        "Vendor": {
            "name": "Conformance Supplies (renamed)",
            "email": "buy@conformance.example.com",
            "phone": "555-0100",
            "website": "https://conformance2.example.com",
            "active": False,
        },
        "WorkOrder": {
            "title": "Conformance repair (replanned)",
            "type": "PREVENTIVE",
            "dueDate": "2026-12-20T00:00:00.000Z",
        },
        "PurchaseOrder": {
            "vendor": Ref("Vendor", 3),
            "orderDate": "2026-12-20T00:00:00.000Z",
            "expectedDate": "2027-01-05T00:00:00.000Z",
            "currency": "EUR",
        },
        "MaintenanceRequest": {
            "title": "Conformance leak (confirmed)",
            "asset": Ref("Asset", 2),
            "location": Ref("Location", 3),
        },
    },
)

CASE = SystemCase(
    system="d365_scm",
    hosting="CLOUD",
    start=start,
    nested_query="{ workOrders(first: 100) { nodes { remoteId asset { remoteId location { remoteId } } } } }",
    expected_calls=expected_calls,
    writes=WRITES,
)
