"""Oracle Fusion custom fields through the gateway: candidates from `/describe`, a flexfield segment and
a top-level attribute read live and from the replica, filtered (in `q` where Fusion can), and written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.oracle_fusion.app import PREFIX, SANDBOX, create_app
from tests.conftest import Gateway, _start_gateway
from tests.helpers import data, page_all, wait_until
from tests.replica_fixtures import FAST, Conn
from tests.write_helpers import FIELD_CANDIDATES, module_sandbox, record, settle, update

sandbox = module_sandbox(create_app)
PLANT_AREA = {"entity": "WorkOrder", "name": "plantArea", "type": "String", "remotePath": "WorkOrderDFF.plantArea"}
FIELDS = [
    {**PLANT_AREA, "filterable": True},
    {"entity": "WorkOrder", "name": "downtimeHours", "type": "Float", "remotePath": "WorkOrderDFF.downtimeHours"},
    {"entity": "WorkOrder", "name": "assetNumber", "type": "String", "remotePath": "AssetNumber", "filterable": True},
    {
        "entity": "WorkOrder",
        "name": "plannedStartDate",
        "type": "DateTime",
        "remotePath": "PlannedStartDate",
        "writable": True,
    },
]
SELECTION = "remoteId plantArea downtimeHours assetNumber"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gw-fusion-custom")
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", **{**FAST, "history_days": 3650})


@pytest.fixture(scope="module")
def conn(gateway: Gateway, sandbox: ServerThread) -> Iterator[Conn]:
    made = Conn(
        gateway, sandbox.url, name="Fusion", system="oracle_fusion", hosting="CLOUD", credentials=SANDBOX.credentials
    )
    yield made
    made.close()


def expected(sandbox: ServerThread) -> dict[str, tuple]:
    """Each work order's segments and asset number as the sandbox holds them."""
    return {
        str(r["WorkOrderId"]): (
            r["WorkOrderDFF"][0]["plantArea"],
            r["WorkOrderDFF"][0]["downtimeHours"],
            r["AssetNumber"],
        )
        for r in sandbox.app.state.data.records("maintenanceWorkOrders")
    }


def live_listings(control: SandboxControl) -> list[dict]:
    """The work-order listings the sandbox served, but the scheduler's (it syncs every second here, and
    its reads are the ones bounded by `LastUpdateDate`)."""
    return [
        c
        for c in control.requests()
        if c["path"] == f"{PREFIX}/maintenanceWorkOrders" and "LastUpdateDate >" not in c["query"].get("q", "")
    ]


def read(conn: Conn, source: str, **filter: str) -> dict[str, tuple]:
    nodes = page_all(conn.gateway, conn.token, "workOrders", SELECTION, filter=filter or None, source=source)
    return {n["remoteId"]: (n["plantArea"], n["downtimeHours"], n["assetNumber"]) for n in nodes}


def test_candidates_are_the_described_attributes_and_flexfield_segments(conn):
    found = data(conn.gateway.gql(conn.admin, FIELD_CANDIDATES, {"id": conn.id, "entity": "WorkOrder"}))
    by_path = {c["remotePath"]: c for c in found["customFieldCandidates"]}
    assert by_path["WorkOrderDFF.plantArea"] == {**PLANT_AREA, "filterable": True, "writable": False}
    assert by_path["PlannedStartDate"] == {**FIELDS[3], "filterable": True}  # queryable and updatable
    assert (by_path["AssetNumber"]["filterable"], by_path["AssetNumber"]["writable"]) == (True, False)
    assert "WorkOrderDescription" not in by_path  # the mapping reads it (as title)


def test_declared_fields_read_live_and_from_the_replica_filtered_and_written(conn, sandbox):
    control = SandboxControl(sandbox.url)
    wait_until(lambda: conn.synced(6), what="first sync")
    settle(conn.gateway, conn.admin, conn.id, FIELDS, [])
    native = expected(sandbox)
    assert read(conn, "LIVE") == native
    assert read(conn, "REPLICA") == native  # from the stored raw records, the expanded child included

    asset, area = next((a, p) for p, _, a in native.values() if p is not None)
    control.clear_requests()
    by_asset = read(conn, "LIVE", assetNumber=asset)
    assert by_asset == {k: v for k, v in native.items() if v[2] == asset}
    listed = live_listings(control)
    assert listed and all(f"AssetNumber = '{asset}'" in c["query"]["q"] for c in listed)  # Fusion filters it
    control.clear_requests()
    in_area = read(conn, "LIVE", plantArea=area)
    assert in_area == {k: v for k, v in native.items() if v[0] == area} and len(in_area) < len(native)
    listed = live_listings(control)
    assert listed and not any("plantArea" in c["query"].get("q", "") for c in listed)  # matched on the segment

    one = next(k for k, v in native.items() if v[0] is not None)
    gid = data(conn.gateway.gql(conn.token, "query($r: String) { workOrder(remoteId: $r) { id } }", {"r": one}))
    start = "2026-11-02T06:30:00.000Z"
    changed = record(
        update(
            conn.gateway,
            conn.token,
            "WorkOrder",
            gid["workOrder"]["id"],
            {"plannedStartDate": start},
            "plannedStartDate plantArea",
        ),
        "updateWorkOrder",
    )
    assert changed["plantArea"] == native[one][0]  # the answer has the segment too (read again after the write)
    stored = sandbox.app.state.data.get("maintenanceWorkOrders", int(one))["PlannedStartDate"]
    assert datetime.fromisoformat(stored) == datetime.fromisoformat(start.replace("Z", "+00:00"))
    assert datetime.fromisoformat(changed["plannedStartDate"].replace("Z", "+00:00")) == datetime.fromisoformat(stored)
