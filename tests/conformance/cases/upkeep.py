"""UpKeep against its sandbox."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from sandboxes.upkeep.app import SANDBOX
from tests.conformance.case import EVERY_ENTITY, Ref, Running, SystemCase, Writes, path_matches, related_ids, served

RESOURCES = {
    "WorkOrder": "work-orders",
    "Asset": "assets",
    "Location": "locations",
    "MaintenanceRequest": "requests",
    "Part": "parts",
    "Vendor": "vendors",
    "PurchaseOrder": "purchase-orders",
    "User": "users",
}


def start() -> AbstractContextManager[Running]:
    return served(
        SANDBOX,
        bad_credentials={**SANDBOX.credentials, "password": "wrong"},
        collections=RESOURCES,
        entity_match=path_matches("/api/v2", RESOURCES),
        removable="MaintenanceRequest",  # nothing refers to a request (it refers to its work order)
    )


def expected_calls(answer: dict[str, Any], running: Running) -> int:
    """No batch fetch in UpKeep: one list call, then one call per distinct asset and location."""
    assets, locations = related_ids(answer)
    return 1 + len(assets) + len(locations)


# Values UpKeep takes (docs/vendors/upkeep.md): relations are ids of records that exist.
WRITES = Writes(
    create={
        "WorkOrder": {
            "title": "Conformance: replace belt",
            "description": "Made by the conformance kit",
            "status": "OPEN",
            "priority": "HIGH",
            "type": "PREVENTIVE",
            "asset": Ref("Asset"),
            "location": Ref("Location"),
            "requestedBy": Ref("User"),
            "assignees": Ref("User", 1, many=True, count=2),
            "dueDate": "2026-12-01T10:00:00.000Z",
            "estimatedHours": 2.5,
            "actualHours": 1.0,
        },
        "MaintenanceRequest": {
            "title": "Conformance: noisy pump",
            "description": "Heard at start-up",
            "status": "OPEN",
            "priority": "LOW",
            "asset": Ref("Asset"),
            "location": Ref("Location"),
            "requestedBy": Ref("User"),
            "workOrder": Ref("WorkOrder"),
        },
        "Asset": {
            "name": "Conformance pump",
            "code": "CONF-001",
            "description": "Spare pump",
            "status": "OPERATIONAL",
            "criticality": "High",
            "category": "Pumps",
            "manufacturer": "Grundfos",
            "model": "CR 10",
            "serialNumber": "SN-CONF-1",
            "location": Ref("Location"),
            "parent": Ref("Asset"),
        },
        "Vendor": {
            "name": "Conformance Supply",
            "email": "sales@conformance.example",
            "phone": "+1 555 0100",
            "address": "1 Test Road",
            "website": "https://conformance.example",
        },
        "PurchaseOrder": {
            "vendor": Ref("Vendor"),
            "status": "SUBMITTED",
            "currency": "USD",
            "shipTo": Ref("Location"),
            "expectedDate": "2026-11-15T00:00:00.000Z",
            "lines": [{"part": Ref("Part"), "quantity": 4.0, "unitPrice": 12.5}],
        },
    },
    update={
        "WorkOrder": {
            "title": "Conformance: belt replaced",
            "status": "IN_PROGRESS",
            "priority": "LOW",
            "type": "INSPECTION",
            "asset": Ref("Asset", 1),
            "assignees": Ref("User", 3, many=True),
            "dueDate": "2027-01-10T08:30:00.000Z",
            "estimatedHours": 4.0,
        },
        "MaintenanceRequest": {"title": "Conformance: pump checked", "status": "APPROVED", "priority": "HIGH"},
        "Asset": {"name": "Conformance pump (rebuilt)", "status": "DOWN", "parent": Ref("Asset", 1)},
        "Vendor": {"name": "Conformance Supply Ltd", "phone": "+1 555 0199"},
        "PurchaseOrder": {
            "status": "APPROVED",
            "currency": "EUR",
            "expectedDate": "2026-12-20T00:00:00.000Z",
            "lines": [{"part": Ref("Part", 1), "quantity": 2.0, "unitPrice": 7.25}],
        },
    },
)

CASE = SystemCase(
    system="upkeep",
    hosting="CLOUD",
    start=start,
    nested_query="{ workOrders(first: 100) { nodes { remoteId asset { remoteId location { remoteId } } } } }",
    expected_calls=expected_calls,
    writes=WRITES,
    uncounted=EVERY_ENTITY,
)
