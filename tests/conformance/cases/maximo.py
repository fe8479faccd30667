"""IBM Maximo against its sandbox, logged in with an API key (no login call)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from math import ceil
from typing import Any

from connectors.maximo.oslc import ID_CHUNK
from connectors.maximo.sandbox import SANDBOX, create_app
from connectors.sandboxkit import SandboxControl, ServerThread
from tests.conformance.case import Running, SystemCase, path_matches

STRUCTURES = {
    "WorkOrder": "mxapiwodetail", "Asset": "mxapiasset", "Location": "mxapilocations", "Part": "mxapiinventory",
    "Vendor": "mxapivendor", "PurchaseOrder": "mxapipo", "User": "mxapiperson", "MaintenanceRequest": "mxapisr",
}


@contextmanager
def start() -> Iterator[Running]:
    with ServerThread(create_app()) as server:
        control = SandboxControl(server.url)
        yield Running(
            instance_url=server.url,
            credentials=dict(SANDBOX.credentials),
            bad_credentials={"apiKey": "not-a-valid-key"},
            control=control,
            touch=lambda entity, ids: control.touch(STRUCTURES[entity], ids),
            entity_match=path_matches("/maximo/(?:oslc|api)/os", STRUCTURES),
            remove=lambda entity, ids: control.remove(STRUCTURES[entity], ids),
            removable="MaintenanceRequest",  # no work order refers to a service request here
            state=server.app.state.data,
        )


def expected_calls(answer: dict[str, Any], running: Running) -> int:
    """One list call, then one `in [...]` query per chunk of distinct assets, then of their locations."""
    nodes = answer["workOrders"]["nodes"]
    assets = {n["asset"]["remoteId"] for n in nodes if n["asset"]}
    locations = {n["asset"]["location"]["remoteId"] for n in nodes if n["asset"] and n["asset"]["location"]}
    return 1 + ceil(len(assets) / ID_CHUNK) + ceil(len(locations) / ID_CHUNK)


CASE = SystemCase(
    system="maximo",
    hosting="ON_PREMISES",
    start=start,
    nested_query="{ workOrders(first: 100) { nodes { remoteId asset { remoteId location { remoteId } } } } }",
    expected_calls=expected_calls,
)
