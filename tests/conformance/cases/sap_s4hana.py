"""SAP S/4HANA Cloud against the SAP sandbox (`sap_ecc` reuses this module with a client)."""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any, Callable, ContextManager, Iterator

import httpx

from connectors.odata import KEYS_PER_CALL
from connectors.sandboxkit import SandboxControl, ServerThread
from connectors.sap.sandbox import LOGIN, create_app
from tests.conformance.case import Running, SystemCase

ENTITY_SETS = {
    "WorkOrder": "MaintenanceOrder", "MaintenanceRequest": "MaintenanceNotification", "Asset": "Equipment",
    "Location": "FunctionalLocation", "PurchaseOrder": "A_PurchaseOrder", "Part": "A_Product", "Vendor": "A_Supplier",
}
NESTED_QUERY = "{ workOrders(first: 100) { nodes { remoteId asset { remoteId location { remoteId } } } } }"


def starter(sap_client: str | None) -> Callable[[], ContextManager[Running]]:
    @contextmanager
    def start() -> Iterator[Running]:
        with ServerThread(create_app(sap_client=sap_client)) as server:
            def touch(entity: str, ids: list[str]) -> None:
                body = {"resource": ENTITY_SETS[entity], "ids": ids}
                httpx.post(f"{server.url}/__sandbox/touch", json=body).raise_for_status()

            credentials = {**LOGIN, **({"sapClient": sap_client} if sap_client else {})}
            yield Running(
                instance_url=server.url,
                credentials=credentials,
                bad_credentials={**credentials, "password": "wrong"},
                control=SandboxControl(server.url),
                touch=touch,
                state=server.app.state.data,
            )

    return start


def expected_calls(answer: dict[str, Any], running: Running) -> int:
    """One list call, then one `or`-filtered call per chunk of distinct equipment, and of locations."""
    nodes = answer["workOrders"]["nodes"]
    assets = {n["asset"]["remoteId"] for n in nodes if n["asset"]}
    locations = {n["asset"]["location"]["remoteId"] for n in nodes if n["asset"] and n["asset"]["location"]}
    return 1 + math.ceil(len(assets) / KEYS_PER_CALL) + math.ceil(len(locations) / KEYS_PER_CALL)


CASE = SystemCase(
    system="sap_s4hana",
    hosting="CLOUD",
    start=starter(None),
    nested_query=NESTED_QUERY,
    expected_calls=expected_calls,
)
