"""Limble CMMS against its sandbox."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from sandboxes.limble.app import SANDBOX
from tests.conformance.case import EVERY_ENTITY, Ref, Running, SystemCase, Writes, path_matches, related_ids, served

RESOURCES = {
    "Location": "locations",
    "Asset": "assets",
    "Part": "parts",
    "Vendor": "vendors",
    "PurchaseOrder": "purchase-orders",
    "User": "users",
    "WorkOrder": "tasks",
    "MaintenanceRequest": "tasks",
}
# Work orders and requests share /tasks; every read of one names its task types.
TASK_TYPES = {"WorkOrder": "1,2,4", "MaintenanceRequest": "6"}


def entity_match(entity: str) -> str:
    if entity in TASK_TYPES:
        return rf"^GET /v2/tasks\?(?:.*&)?types={TASK_TYPES[entity]}(?:&|$)"
    return path_matches("/v2", RESOURCES)(entity)


def start() -> AbstractContextManager[Running]:
    return served(
        SANDBOX,
        bad_credentials={**SANDBOX.credentials, "client_secret": "wrong"},
        collections=RESOURCES,
        entity_match=entity_match,
        removable="MaintenanceRequest",  # nothing refers to a work request
        remote_id=int,
    )


def expected_calls(answer: dict[str, Any], running: Running) -> int:
    """One list call, then one batched call for the assets and one for their locations."""
    assets, locations = related_ids(answer)
    return 1 + bool(assets) + bool(locations)


# Values Limble takes (docs/vendors/limble.md): relations are ids of records that exist, dates whole seconds.
WRITES = Writes(
    create={
        "WorkOrder": {
            "title": "Conformance: replace belt",
            "description": "Made by the conformance kit",
            "status": "IN_PROGRESS",
            "priority": "HIGH",
            "type": "PREVENTIVE",
            "asset": Ref("Asset"),
            "location": Ref("Location"),
            "dueDate": "2026-12-01T10:00:00.000Z",
        },
        "MaintenanceRequest": {
            "title": "Conformance: noisy pump",
            "description": "Heard at start-up",
            "priority": "LOW",
            "asset": Ref("Asset"),
            "location": Ref("Location"),
        },
    },
    update={
        "WorkOrder": {
            "title": "Conformance: belt replaced",
            "status": "COMPLETED",
            "priority": "MEDIUM",
            "type": "CORRECTIVE",
            "asset": Ref("Asset", 1),
            "location": Ref("Location", 1),
            "dueDate": "2027-01-10T08:30:00.000Z",
        },
        "MaintenanceRequest": {"title": "Conformance: pump checked", "status": "APPROVED", "priority": "URGENT"},
    },
    versioned=False,  # `lastEdited` is whole seconds: two writes in one second keep one version
)

CASE = SystemCase(
    system="limble",
    hosting="CLOUD",
    start=start,
    nested_query="{ workOrders(first: 100) { nodes { remoteId asset { remoteId location { remoteId } } } } }",
    expected_calls=expected_calls,
    writes=WRITES,
    uncounted=EVERY_ENTITY,
)
