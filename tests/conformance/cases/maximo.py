"""IBM Maximo against its sandbox, logged in with an API key (no login call)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from math import ceil
from typing import Any

from connectors.maximo.oslc import ID_CHUNK
from sandboxes.maximo.app import SANDBOX
from tests.conformance.case import Ref, Running, SystemCase, Writes, path_matches, related_ids, served

STRUCTURES = {
    "WorkOrder": "mxapiwodetail",
    "Asset": "mxapiasset",
    "Location": "mxapilocations",
    "Part": "mxapiinventory",
    "Vendor": "mxapivendor",
    "PurchaseOrder": "mxapipo",
    "User": "mxapiperson",
    "MaintenanceRequest": "mxapisr",
}


def start() -> AbstractContextManager[Running]:
    return served(
        SANDBOX,
        bad_credentials={"apiKey": "not-a-valid-key"},
        collections=STRUCTURES,
        entity_match=path_matches("/maximo/(?:oslc|api)/os", STRUCTURES),
        removable="MaintenanceRequest",  # no work order refers to a service request here
    )


def expected_calls(answer: dict[str, Any], running: Running) -> int:
    """One list call, then one `in [...]` query per chunk of distinct assets, then of their locations."""
    assets, locations = related_ids(answer)
    return 1 + ceil(len(assets) / ID_CHUNK) + ceil(len(locations) / ID_CHUNK)


class NewCode(Mapping[str, Any]):
    """A sample whose `code` is new each time it is read: a company's code is its key in Maximo, so
    a second create with the same one is refused (BMXAA4129E)."""

    def __init__(self, values: Mapping[str, Any], prefix: str) -> None:
        self.given, self.prefix = dict(values), prefix

    def __getitem__(self, key: str) -> Any:
        return f"{self.prefix}{uuid.uuid4().hex[:8].upper()}" if key == "code" else self.given[key]

    def __iter__(self) -> Iterator[str]:
        return iter([*self.given, "code"])

    def __len__(self) -> int:
        return len(self.given) + 1


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
            "startedAt": "2026-11-30T08:00:00.000Z",
            "completedAt": "2026-11-30T12:00:00.000Z",
            "estimatedHours": 2.5,
        },
        "MaintenanceRequest": {
            "title": "Conformance: noisy pump",
            "description": "Heard at start-up",
            "status": "OPEN",
            "priority": "LOW",
            "asset": Ref("Asset"),
            "location": Ref("Location"),
            "requestedBy": Ref("User"),
        },
        "Asset": {
            "name": "Conformance pump",
            "code": "CONF-001",
            "description": "Spare pump",
            "status": "OPERATIONAL",
            "criticality": "2",
            "category": "PRODUCTION",
            "manufacturer": Ref("Vendor"),
            "serialNumber": "SN-CONF-1",
            "location": Ref("Location"),
            "parent": Ref("Asset"),
        },
        "Vendor": NewCode(
            {
                "name": "Conformance Supply",
                "phone": "+1 555 0100",
                "address": "1 Test Road",
                "website": "https://conformance.example",
                "active": True,
            },
            "CONF",
        ),
        "PurchaseOrder": {
            "vendor": Ref("Vendor"),
            "status": "SUBMITTED",
            "currency": "USD",
            "orderDate": "2026-11-01T00:00:00.000Z",
            "expectedDate": "2026-11-15T00:00:00.000Z",
            "lines": [{"part": Ref("Part"), "quantity": 4.0, "unitPrice": 12.5}],
        },
    },
    update={
        "WorkOrder": {
            "title": "Conformance: belt replaced",
            "description": "Checked again",
            "status": "IN_PROGRESS",
            "priority": "LOW",
            "type": "CORRECTIVE",
            "asset": Ref("Asset", 1),
            "location": Ref("Location", 1),
            "requestedBy": Ref("User", 3),
            "assignees": Ref("User", 3, many=True),
            "dueDate": "2027-01-10T08:30:00.000Z",
            "startedAt": "2027-01-09T07:00:00.000Z",
            "completedAt": "2027-01-09T11:00:00.000Z",
            "estimatedHours": 4.0,
        },
        "MaintenanceRequest": {
            "title": "Conformance: pump checked",
            "description": "Bearing noise",
            "status": "APPROVED",
            "priority": "HIGH",
            "asset": Ref("Asset", 1),
            "location": Ref("Location", 1),
            "requestedBy": Ref("User", 1),
        },
        "Asset": {
            "name": "Conformance pump (rebuilt)",
            "code": "CONF-002",
            "description": "Rebuilt spare",
            "status": "DOWN",
            "criticality": "3",
            "category": "FACILITIES",
            "manufacturer": Ref("Vendor", 1),
            "serialNumber": "SN-CONF-2",
            "location": Ref("Location", 1),
            "parent": Ref("Asset", 1),
        },
        "Vendor": {
            "name": "Conformance Supply Ltd",
            "phone": "+1 555 0199",
            "address": "2 Test Road",
            "website": "https://conformance.example/shop",
            "active": False,
        },
        "PurchaseOrder": {
            "vendor": Ref("Vendor", 1),
            "status": "APPROVED",
            "currency": "EUR",
            "orderDate": "2026-11-02T00:00:00.000Z",
            "expectedDate": "2026-12-20T00:00:00.000Z",
            "lines": [{"lineNumber": 1, "part": Ref("Part", 1), "quantity": 2.0, "unitPrice": 7.25}],
        },
    },
    write_defaults={"siteId": "BEDFORD", "orgId": "EAGLENA"},
)

CASE = SystemCase(
    system="maximo",
    hosting="ON_PREMISES",
    start=start,
    nested_query="{ workOrders(first: 100) { nodes { remoteId asset { remoteId location { remoteId } } } } }",
    expected_calls=expected_calls,
    writes=WRITES,
    uncounted=frozenset({"Part"}),
)
