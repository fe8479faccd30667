"""MaintainX custom fields (`extraFields`) and a custom object (meters), end to end through the gateway."""

from __future__ import annotations

import pytest

from sandboxes.data import parse_ms
from sandboxes.maintainx.app import DEMO_API_KEY, create_app
from tests.helpers import data, page_all
from tests.write_helpers import (
    FIELD_CANDIDATES,
    OBJECT_CANDIDATES,
    connection_of,
    module_sandbox,
    record,
    settle,
    type_fields,
    update,
)

sandbox = module_sandbox(create_app)


@pytest.fixture(scope="module")
def admin(sqlite_gateway) -> str:
    return sqlite_gateway.new_org()


def connect(gateway, admin: str, url: str, name: str) -> tuple[str, str]:
    return connection_of(gateway, admin, url, "maintainx", "CLOUD", {"apiKey": DEMO_API_KEY}, name)


@pytest.fixture(scope="module")
def connection(sqlite_gateway, admin, sandbox) -> tuple[str, str]:
    return connect(sqlite_gateway, admin, sandbox.url, "Creamery")


def test_extra_fields_are_discovered_as_candidates(sqlite_gateway, admin, connection):
    found = data(sqlite_gateway.gql(admin, FIELD_CANDIDATES, {"id": connection[0], "entity": "WorkOrder"}))
    by_path = {c["remotePath"]: c for c in found["customFieldCandidates"]}
    assert by_path["extraFields.Shift"] == {
        "entity": "WorkOrder",
        "remotePath": "extraFields.Shift",
        "name": "shift",
        "type": "String",
        "filterable": False,
        "writable": True,
    }
    assert (by_path["extraFields.Downtime Minutes"]["name"], by_path["extraFields.Downtime Minutes"]["type"]) == (
        "downtimeMinutes",
        "Int",
    )
    assets = data(sqlite_gateway.gql(admin, FIELD_CANDIDATES, {"id": connection[0], "entity": "Asset"}))
    types = {c["remotePath"]: c["type"] for c in assets["customFieldCandidates"]}
    assert types == {"extraFields.Rated Power kW": "Float", "extraFields.Warranty Expiry": "DateTime"}
    objects = data(sqlite_gateway.gql(admin, OBJECT_CANDIDATES, {"id": connection[0]}))["customObjectCandidates"]
    meter = next(o for o in objects if o["remoteName"] == "/meters")
    assert (meter["name"], meter["plural"], meter["idPath"]) == ("Meter", "meters", "id")
    assert {"lastReading", "unit", "assetId"} <= {f["name"] for f in meter["fields"]}


def test_declared_fields_and_object_are_read_filtered_written_and_removed(sqlite_gateway, admin, sandbox, connection):
    connection_id, token = connection
    _, other_token = connect(sqlite_gateway, admin, sandbox.url, "Untouched")
    settle(
        sqlite_gateway,
        admin,
        connection_id,
        [
            {
                "entity": "WorkOrder",
                "name": "shift",
                "type": "Enum",
                "enumValues": ["Day", "Swing", "Night"],
                "remotePath": "extraFields.Shift",
                "filterable": True,
                "writable": True,
            },
            {
                "entity": "WorkOrder",
                "name": "downtimeMinutes",
                "type": "Int",
                "remotePath": "extraFields.Downtime Minutes",
            },
            {
                "entity": "Asset",
                "name": "warrantyExpiry",
                "type": "DateTime",
                "remotePath": "extraFields.Warranty Expiry",
            },
        ],
        [
            {
                "name": "Meter",
                "plural": "meters",
                "remoteName": "/meters",
                "idPath": "id",
                "displayPath": "name",
                "fields": [
                    {"name": "unit", "type": "String", "remotePath": "unit"},
                    {"name": "lastReading", "type": "Float", "remotePath": "lastReading"},
                    {"name": "assetId", "type": "Int", "remotePath": "assetId"},
                ],
            },
        ],
    )
    assert {"shift", "downtimeMinutes"} <= type_fields(sqlite_gateway, token, "WorkOrder")
    assert not {"shift", "downtimeMinutes"} & type_fields(sqlite_gateway, other_token, "WorkOrder")
    assert data(sqlite_gateway.gql(other_token, '{ __type(name: "Meter") { name } }'))["__type"] is None

    orders = sandbox.app.state.data.records("workorders")
    nodes = page_all(sqlite_gateway, token, "workOrders", "remoteId shift downtimeMinutes")
    expected = {str(o["id"]): o["extraFields"] for o in orders}
    assert {n["remoteId"]: (n["shift"], n["downtimeMinutes"]) for n in nodes} == {
        k: (v["Shift"], v["Downtime Minutes"]) for k, v in expected.items()
    }
    night = page_all(sqlite_gateway, token, "workOrders", "remoteId shift", filter={"shift": "Night"})
    assert sorted(n["remoteId"] for n in night) == sorted(k for k, v in expected.items() if v["Shift"] == "Night")

    asset = sandbox.app.state.data.records("assets")[0]
    read = data(
        sqlite_gateway.gql(
            token, "query($r: String) { asset(remoteId: $r) { warrantyExpiry } }", {"r": str(asset["id"])}
        )
    )["asset"]
    assert parse_ms(read["warrantyExpiry"]) == parse_ms(asset["extraFields"]["Warranty Expiry"])

    order = orders[0]
    gid = data(
        sqlite_gateway.gql(token, "query($r: String) { workOrder(remoteId: $r) { id } }", {"r": str(order["id"])})
    )["workOrder"]["id"]
    changed = record(update(sqlite_gateway, token, "WorkOrder", gid, {"shift": "Swing"}, "shift"), "updateWorkOrder")
    assert changed["shift"] == "Swing"
    kept = sandbox.app.state.data.get("workorders", order["id"])["extraFields"]
    assert kept == {**order["extraFields"], "Shift": "Swing"}
    not_writable = sqlite_gateway.gql(
        token,
        "mutation($id: ID!) { updateWorkOrder(id: $id, input: {downtimeMinutes: 5}) { record { id } } }",
        {"id": gid},
    )
    assert not_writable["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    meters = sandbox.app.state.data.records("meters")
    listed = page_all(sqlite_gateway, token, "meters", "remoteId displayValue unit lastReading assetId", first=7)
    assert [m["remoteId"] for m in listed] == [str(m["id"]) for m in meters]
    assert listed[3] == {
        "remoteId": str(meters[3]["id"]),
        "displayValue": meters[3]["name"],
        "unit": meters[3]["unit"],
        "lastReading": meters[3]["lastReading"],
        "assetId": meters[3]["assetId"],
    }
    one = data(
        sqlite_gateway.gql(
            token, "query($r: String) { meter(remoteId: $r) { id remoteId unit } }", {"r": str(meters[5]["id"])}
        )
    )["meter"]
    assert (one["remoteId"], one["unit"]) == (str(meters[5]["id"]), meters[5]["unit"])
    by_node = data(
        sqlite_gateway.gql(token, "query($id: ID!) { node(id: $id) { ... on Meter { remoteId } } }", {"id": one["id"]})
    )["node"]
    assert by_node == {"remoteId": str(meters[5]["id"])}

    settle(sqlite_gateway, admin, connection_id, [], [])
    assert not {"shift", "downtimeMinutes"} & type_fields(sqlite_gateway, token, "WorkOrder")
    assert data(sqlite_gateway.gql(token, '{ __type(name: "Meter") { name } }'))["__type"] is None
