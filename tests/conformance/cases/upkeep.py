"""UpKeep against its sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from connectors.sandboxkit import SandboxControl, ServerThread
from connectors.upkeep.sandbox import SANDBOX, create_app
from tests.conformance.case import Running, SystemCase, path_matches

RESOURCES = {
    "WorkOrder": "work-orders", "Asset": "assets", "Location": "locations", "MaintenanceRequest": "requests",
    "Part": "parts", "Vendor": "vendors", "PurchaseOrder": "purchase-orders", "User": "users",
}


@contextmanager
def start() -> Iterator[Running]:
    with ServerThread(create_app()) as server:
        control = SandboxControl(server.url)
        yield Running(
            instance_url=server.url,
            credentials=dict(SANDBOX.credentials),
            bad_credentials={**SANDBOX.credentials, "password": "wrong"},
            control=control,
            touch=lambda entity, ids: control.touch(RESOURCES[entity], ids),
            entity_match=path_matches("/api/v2", RESOURCES),
            remove=lambda entity, ids: control.remove(RESOURCES[entity], ids),
            removable="MaintenanceRequest",  # nothing refers to a request (it refers to its work order)
            state=server.app.state.data,
        )


def expected_calls(answer: dict[str, Any], running: Running) -> int:
    """No batch fetch in UpKeep: one list call, then one call per distinct asset and location."""
    nodes = answer["workOrders"]["nodes"]
    assets = {n["asset"]["remoteId"] for n in nodes if n["asset"]}
    locations = {n["asset"]["location"]["remoteId"] for n in nodes if n["asset"] and n["asset"]["location"]}
    return 1 + len(assets) + len(locations)


CASE = SystemCase(
    system="upkeep",
    hosting="CLOUD",
    start=start,
    nested_query="{ workOrders(first: 100) { nodes { remoteId asset { remoteId location { remoteId } } } } }",
    expected_calls=expected_calls,
)
