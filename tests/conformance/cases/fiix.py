"""Fiix against its sandbox."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from sandboxes.fiix.app import SANDBOX
from tests.conformance.case import Ref, Running, SystemCase, Writes, served

CLASSES = {
    "WorkOrder": "WorkOrder",
    "Asset": "Asset",
    "Location": "Asset",
    "Part": "Asset",
    "Vendor": "Business",
    "User": "User",
    "MaintenanceSchedule": "ScheduledMaintenance",
}
KINDS = {"Location": 1, "Asset": 2, "Part": 4}  # an Asset's category system code, the first ql parameter


def entity_match(entity: str) -> str:
    """Requests name their class in the body; assets of one kind also carry the kind's code first."""
    match = rf'"className": "{CLASSES[entity]}"'
    if entity in KINDS:
        match += rf'.*"parameters": \[{KINDS[entity]}[,\]]'
    return match


def start() -> AbstractContextManager[Running]:
    return served(
        SANDBOX,
        bad_credentials={**SANDBOX.credentials, "secret_key": "wrong"},
        collections=CLASSES,
        entity_match=entity_match,
        removable="MaintenanceSchedule",  # nothing refers to a schedule
    )


def expected_calls(answer: dict[str, Any], running: Running) -> int:
    """One find for the work orders, then one find by `id IN` for their assets and one for those assets' locations."""
    nodes = answer["workOrders"]["nodes"]
    assets = any(n["asset"] for n in nodes)
    locations = any(n["asset"] and n["asset"]["location"] for n in nodes)
    return 1 + assets + locations


# Values Fiix takes (docs/vendors/fiix.md): relations are ids of records that exist.
WRITES = Writes(
    create={
        "WorkOrder": {
            "title": "Conformance: replace belt",
            "status": "OPEN",
            "priority": "HIGH",
            "type": "PREVENTIVE",
            "location": Ref("Location"),
            "requestedBy": Ref("User"),
            "dueDate": "2026-12-01T10:00:00.000Z",
        },
        "Asset": {
            "name": "Conformance pump",
            "code": "CONF-001",
            "description": "Spare pump",
            "status": "OPERATIONAL",
            "manufacturer": "Grundfos",
            "model": "CR 10",
            "serialNumber": "SN-CONF-1",
            "location": Ref("Location", 5),
            "parent": Ref("Asset"),
        },
        "Vendor": {
            "name": "Conformance Supply",
            "code": "SUP-CONF",
            "email": "sales@conformance.example",
            "phone": "+1 555 0100",
            "address": "1 Test Road",
        },
    },
    update={
        "WorkOrder": {
            "title": "Conformance: belt replaced",
            "status": "IN_PROGRESS",
            "priority": "LOW",
            "type": "INSPECTION",
            "location": Ref("Location", 1),
            "requestedBy": Ref("User", 2),
            "dueDate": "2027-01-10T08:30:00.000Z",
        },
        "Asset": {"name": "Conformance pump (rebuilt)", "status": "DOWN", "parent": Ref("Asset", 1)},
        "Vendor": {"name": "Conformance Supply Ltd", "phone": "+1 555 0199"},
    },
    unversioned=frozenset({"Asset", "Vendor"}),  # only work orders carry a modification time
)

CASE = SystemCase(
    system="fiix",
    hosting="CLOUD",
    start=start,
    nested_query="{ workOrders(first: 100) { nodes { remoteId asset { remoteId location { remoteId } } } } }",
    expected_calls=expected_calls,
    writes=WRITES,
)
