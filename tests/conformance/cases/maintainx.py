"""MaintainX against its sandbox."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import httpx

from connectors.maintainx.sandbox import SANDBOX, create_app
from connectors.sandboxkit import SandboxControl, ServerThread
from tests.conformance.case import Running, SystemCase

RESOURCES = {
    "WorkOrder": "workorders", "Asset": "assets", "Location": "locations", "MaintenanceRequest": "workrequests",
    "Part": "parts", "Vendor": "vendors", "PurchaseOrder": "purchaseorders", "User": "users",
}


@contextmanager
def start() -> Iterator[Running]:
    with ServerThread(create_app()) as server:
        def touch(entity: str, ids: list[str]) -> None:
            body = {"resource": RESOURCES[entity], "ids": [int(i) for i in ids]}
            httpx.post(f"{server.url}/__sandbox/touch", json=body).raise_for_status()

        yield Running(
            instance_url=server.url,
            credentials=dict(SANDBOX.credentials),
            bad_credentials={**SANDBOX.credentials, "apiKey": "mx-not-a-key"},
            control=SandboxControl(server.url),
            touch=touch,
            state=server.app.state.data,
        )


def expected_calls(answer: dict[str, Any], running: Running) -> int:
    """No by-ids filter in MaintainX and no login (bearer key): one list call, then one
    `GET /{resource}/{id}` per distinct asset and location."""
    nodes = answer["workOrders"]["nodes"]
    assets = {n["asset"]["remoteId"] for n in nodes if n["asset"]}
    locations = {n["asset"]["location"]["remoteId"] for n in nodes if n["asset"] and n["asset"]["location"]}
    return 1 + len(assets) + len(locations)


CASE = SystemCase(
    system="maintainx",
    hosting="CLOUD",
    start=start,
    nested_query="{ workOrders(first: 100) { nodes { remoteId asset { remoteId location { remoteId } } } } }",
    expected_calls=expected_calls,
)
