"""Oracle Fusion Cloud Maintenance and Procurement against its sandbox: HTTP Basic, Fusion REST resources."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from sandboxes.oracle_fusion.app import PREFIX, SANDBOX
from tests.conformance.case import Ref, Running, SystemCase, Writes, path_matches, served

RESOURCES = {
    "WorkOrder": "maintenanceWorkOrders",
    "Asset": "installedBaseAssets",
    "MaintenanceRequest": "maintenanceWorkRequests",
    "Part": "itemsV2",
    "Vendor": "suppliers",
    "PurchaseOrder": "purchaseOrders",
}
NESTED_QUERY = "{ workOrders(first: 100) { nodes { remoteId asset { remoteId parent { remoteId } } } } }"


def start() -> AbstractContextManager[Running]:
    return served(
        SANDBOX,
        bad_credentials={**SANDBOX.credentials, "password": "wrong"},
        collections=RESOURCES,
        entity_match=path_matches(PREFIX, RESOURCES),
        removable="MaintenanceRequest",  # nothing refers to a work request
        remote_id=int,
    )


def expected_calls(answer: dict[str, Any], running: Running) -> int:
    """One list call, one `q=AssetId IN (…)` for the assets, one more for their parents."""
    nodes = answer["workOrders"]["nodes"]
    assets = {n["asset"]["remoteId"] for n in nodes if n["asset"]}
    parents = {n["asset"]["parent"]["remoteId"] for n in nodes if n["asset"] and n["asset"]["parent"]}
    return 1 + bool(assets) + bool(parents)


WRITES = Writes(
    create={
        "WorkOrder": {
            "title": "Conformance: replace belt",
            "description": "Made by the conformance kit",
            "status": "OPEN",
            "priority": "HIGH",
            "type": "PREVENTIVE",
            "asset": Ref("Asset"),
            "dueDate": "2026-12-01T10:00:00.000Z",
        },
        "MaintenanceRequest": {
            "title": "Conformance: noisy pump",
            "description": "Heard at start-up",
            "asset": Ref("Asset"),
        },
    },
    update={
        "WorkOrder": {
            "title": "Conformance: belt replaced",
            "description": "Done",
            "status": "COMPLETED",
            "priority": "MEDIUM",
            "type": "CORRECTIVE",
            "asset": Ref("Asset", 1),
            "dueDate": "2027-01-10T08:30:00.000Z",
        },
    },
)

CASE = SystemCase(
    system="oracle_fusion",
    hosting="CLOUD",
    start=start,
    nested_query=NESTED_QUERY,
    expected_calls=expected_calls,
    writes=WRITES,  # every entity counted live: `totalResults=true`
)
