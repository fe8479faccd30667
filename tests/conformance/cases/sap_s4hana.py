"""SAP S/4HANA Cloud against the SAP sandbox (`sap_ecc` reuses this module with a client)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from connectors.odata import KEYS_PER_CALL
from connectors.sap.connector import STOCK_SET
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.sap.app import LOGIN, PREFIX, create_app
from tests.conformance.case import Ref, Running, SystemCase, Writes, path_matches, related_ids

ENTITY_SETS = {
    "WorkOrder": "MaintenanceOrder",
    "MaintenanceRequest": "MaintenanceNotification",
    "Asset": "Equipment",
    "Location": "FunctionalLocation",
    "PurchaseOrder": "A_PurchaseOrder",
    "Part": "A_Product",
    "Vendor": "A_Supplier",
}
# Orders flagged for deletion (DLFL) are left out by the gateway (SAP cannot filter the status text), which
# may take a second list call to fill the page; with them included the cost is that of the relations alone.
NESTED_QUERY = "{ workOrders(first: 100, filter: {includeDeleted: true}) { nodes { remoteId asset { remoteId location { remoteId } } } } }"


def starter(sap_client: str | None) -> Callable[[], AbstractContextManager[Running]]:
    @contextmanager
    def start() -> Iterator[Running]:
        with ServerThread(create_app(sap_client=sap_client)) as server:
            control = SandboxControl(server.url)
            credentials = {**LOGIN, **({"sapClient": sap_client} if sap_client else {})}
            yield Running(
                instance_url=server.url,
                credentials=credentials,
                bad_credentials={**credentials, "password": "wrong"},
                control=control,
                touch=lambda entity, ids: control.touch(ENTITY_SETS[entity], ids),
                entity_match=path_matches(f"{PREFIX}/[A-Z_]+", {**ENTITY_SETS, "Part": f"A_Product|{STOCK_SET}"}),
                remove=lambda entity, ids: control.remove(ENTITY_SETS[entity], ids),
                removable="PurchaseOrder",  # deletable in SAP's $metadata; its items go with it
                state=server.app.state.data,
            )

    return start


def expected_calls(answer: dict[str, Any], running: Running) -> int:
    """One list call, then one `or`-filtered call per chunk of distinct equipment, and of locations."""
    assets, locations = related_ids(answer)
    return 1 + math.ceil(len(assets) / KEYS_PER_CALL) + math.ceil(len(locations) / KEYS_PER_CALL)


# Values SAP takes (docs/vendors/sap.md). A notification's asset and location are one technical object: its
# location reads back as the equipment's functional location, so the sample names equipment 10000002 of the seed
# and the place it is installed at. Purchase orders need their organisational units as write settings (the ones
# the seed's orders use). SAP keeps ETags, but not of suppliers.
WRITES = Writes(
    create={
        "WorkOrder": {
            "title": "Conformance: replace belt",
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
            "asset": "10000002",
            "location": "1010-SP-CMP",
            "workOrder": Ref("WorkOrder"),
        },
        "Asset": {
            "name": "Conformance pump",
            "code": "CONF-001",
            "criticality": "A",
            "category": "PUMP",
            "manufacturer": "Grundfos",
            "model": "CR 10",
            "serialNumber": "SN-CONF-1",
            "parent": Ref("Asset"),
        },
        "PurchaseOrder": {
            "vendor": Ref("Vendor"),
            "orderDate": "2026-11-15T00:00:00.000Z",
            "currency": "EUR",
            "lines": [
                {"lineNumber": 10, "part": Ref("Part"), "description": "V-belt", "quantity": 4.0, "unitPrice": 12.5}
            ],
        },
    },
    update={
        "WorkOrder": {
            "title": "Conformance: belt replaced",
            "priority": "LOW",
            "asset": Ref("Asset", 1),
            "location": Ref("Location", 1),
            "dueDate": "2027-01-10T08:30:00.000Z",
        },
        "MaintenanceRequest": {
            "title": "Conformance: pump checked",
            "description": "Seal replaced",
            "priority": "HIGH",
            "asset": Ref("Asset", 1),
            "location": Ref("Location", 1),
            "workOrder": Ref("WorkOrder", 1),
        },
        "Asset": {
            "name": "Conformance pump (rebuilt)",
            "code": "CONF-002",
            "criticality": "B",
            "parent": Ref("Asset", 1),
        },
        "Vendor": {"active": False},
        "PurchaseOrder": {"vendor": Ref("Vendor", 3), "orderDate": "2026-12-20T00:00:00.000Z", "currency": "USD"},
    },
    unversioned=frozenset({"Vendor"}),  # A_Supplier has no change time, so no ETag
    write_defaults={"companyCode": "1010", "purchasingOrganization": "1010", "purchasingGroup": "001"},
)

CASE = SystemCase(
    system="sap_s4hana",
    hosting="CLOUD",
    start=starter(None),
    nested_query=NESTED_QUERY,
    expected_calls=expected_calls,
    writes=WRITES,
    uncounted=frozenset({"WorkOrder"}),
)
