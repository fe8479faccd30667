"""Maximo custom fields (added `cust_` attributes) and a custom object (the meter object structure)."""

from __future__ import annotations

from datetime import datetime

import pytest

from sandboxes.kit import SandboxControl
from sandboxes.maximo.app import DEMO_API_KEY, create_app
from tests.helpers import data, page_all
from tests.write_helpers import (
    FIELD_CANDIDATES,
    OBJECT_CANDIDATES,
    connection_of,
    create,
    error,
    module_sandbox,
    record,
    settle,
    type_fields,
    update,
)

METER = {
    "name": "Meter",
    "plural": "meters",
    "remoteName": "mxapimeter",
    "idPath": "metername",
    "displayPath": "description",
    "fields": [
        {"name": "meterType", "type": "String", "remotePath": "metertype"},
        {"name": "unit", "type": "String", "remotePath": "measureunitid"},
        {"name": "active", "type": "Boolean", "remotePath": "active"},
    ],
}


sandbox = module_sandbox(create_app)


@pytest.fixture(scope="module")
def admin(sqlite_gateway) -> str:
    return sqlite_gateway.new_org()


SETTINGS = (
    "mutation($id: ID!, $d: JSON) { updateConnectionSettings(id: $id, input: {writeDefaults: $d}) { writeDefaults } }"
)


def connect(gateway, admin: str, url: str, name: str) -> tuple[str, str]:
    """A connection whose creates go to the site BEDFORD (the sandbox's API user has no default site)."""
    made = connection_of(gateway, admin, url, "maximo", "ON_PREMISES", {"apiKey": DEMO_API_KEY}, name)
    data(gateway.gql(admin, SETTINGS, {"id": made[0], "d": {"siteId": "BEDFORD"}}))
    return made


@pytest.fixture(scope="module")
def connection(sqlite_gateway, admin, sandbox) -> tuple[str, str]:
    return connect(sqlite_gateway, admin, sandbox.url, "Bedford")


def test_attributes_beyond_the_mapping_are_candidates_from_the_json_schema(sqlite_gateway, admin, connection):
    found = data(sqlite_gateway.gql(admin, FIELD_CANDIDATES, {"id": connection[0], "entity": "WorkOrder"}))
    by_path = {c["remotePath"]: c for c in found["customFieldCandidates"]}
    assert by_path["cust_shift"] == {
        "entity": "WorkOrder",
        "remotePath": "cust_shift",
        "name": "custShift",
        "type": "String",
        "filterable": True,
        "writable": True,
    }
    assert by_path["cust_downtime"]["type"] == "Int" and "cust_costcenter" in by_path
    assert not {"wonum", "description", "status", "changedate"} & set(by_path)  # already unified
    assert by_path["woclass"]["writable"] is False  # read-only in the JSON schema: Maximo sets it
    assets = data(sqlite_gateway.gql(admin, FIELD_CANDIDATES, {"id": connection[0], "entity": "Asset"}))
    types = {c["remotePath"]: c["type"] for c in assets["customFieldCandidates"]}
    assert (types["cust_warrantyexp"], types["cust_ratedkw"], types["isrunning"]) == ("DateTime", "Float", "Boolean")
    meter = data(sqlite_gateway.gql(admin, OBJECT_CANDIDATES, {"id": connection[0]}))["customObjectCandidates"][0]
    assert (meter["remoteName"], meter["name"], meter["plural"], meter["idPath"]) == (
        "mxapimeter",
        "Meter",
        "meters",
        "metername",
    )
    assert {"metertype", "measureunitid", "readingtype"} <= {f["remotePath"] for f in meter["fields"]}


def test_declared_fields_and_object_are_read_filtered_in_maximo_written_and_removed(
    sqlite_gateway, admin, sandbox, connection
):
    connection_id, token = connection
    _, other = connect(sqlite_gateway, admin, sandbox.url, "Untouched")
    settle(
        sqlite_gateway,
        admin,
        connection_id,
        [
            {
                "entity": "WorkOrder",
                "name": "shift",
                "type": "Enum",
                "enumValues": ["DAY", "SWING", "NIGHT"],
                "remotePath": "cust_shift",
                "filterable": True,
                "writable": True,
            },
            {
                "entity": "WorkOrder",
                "name": "downtimeMinutes",
                "type": "Int",
                "remotePath": "cust_downtime",
                "filterable": True,
            },
            {"entity": "Asset", "name": "warrantyExpires", "type": "DateTime", "remotePath": "cust_warrantyexp"},
        ],
        [METER],
    )
    assert {"shift", "downtimeMinutes"} <= type_fields(sqlite_gateway, token, "WorkOrder")
    assert not {"shift", "downtimeMinutes"} & type_fields(sqlite_gateway, other, "WorkOrder")
    assert type_fields(sqlite_gateway, other, "Meter") == set()

    orders = sandbox.app.state.data.records("mxapiwodetail")
    nodes = page_all(sqlite_gateway, token, "workOrders", "remoteId shift downtimeMinutes")
    assert {n["remoteId"]: (n["shift"], n["downtimeMinutes"]) for n in nodes} == {
        o["wonum"]: (o["cust_shift"], o["cust_downtime"]) for o in orders
    }

    control = SandboxControl(sandbox.url)
    control.clear_requests()
    night = page_all(sqlite_gateway, token, "workOrders", "remoteId", filter={"shift": "NIGHT"})
    assert sorted(n["remoteId"] for n in night) == sorted(o["wonum"] for o in orders if o["cust_shift"] == "NIGHT")
    logged = control.requests()
    assert logged and all('cust_shift="NIGHT"' in r["query"].get("oslc.where", "") for r in logged)
    wanted = orders[7]["cust_downtime"]
    same = page_all(sqlite_gateway, token, "workOrders", "remoteId", filter={"downtimeMinutes": wanted})
    assert sorted(n["remoteId"] for n in same) == sorted(o["wonum"] for o in orders if o["cust_downtime"] == wanted)

    asset = sandbox.app.state.data.records("mxapiasset")[0]
    seen = data(
        sqlite_gateway.gql(
            token, "query($r: String) { asset(remoteId: $r) { warrantyExpires } }", {"r": asset["assetnum"]}
        )
    )["asset"]["warrantyExpires"]
    assert datetime.fromisoformat(seen) == datetime.fromisoformat(asset["cust_warrantyexp"])

    made = record(
        create(sqlite_gateway, token, "WorkOrder", {"title": "Night shift check", "shift": "NIGHT"}, "shift"),
        "createWorkOrder",
    )
    assert made["shift"] == "NIGHT"
    kept = next(r for r in sandbox.app.state.data.records("mxapiwodetail") if r["wonum"] == made["remoteId"])
    assert kept["cust_shift"] == "NIGHT"
    moved = record(update(sqlite_gateway, token, "WorkOrder", made["id"], {"shift": "DAY"}, "shift"), "updateWorkOrder")
    assert moved["shift"] == "DAY"
    refused = sqlite_gateway.gql(
        token,
        "mutation($id: ID!) { updateWorkOrder(id: $id, input: {downtimeMinutes: 5}) { record { id } } }",
        {"id": made["id"]},
    )
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    meters = sandbox.app.state.data.records("mxapimeter")
    listed = page_all(sqlite_gateway, token, "meters", "remoteId displayValue meterType unit active", first=5)
    assert [m["remoteId"] for m in listed] == [m["metername"] for m in meters]
    assert listed[2] == {
        "remoteId": meters[2]["metername"],
        "displayValue": meters[2]["description"],
        "meterType": meters[2]["metertype"],
        "unit": meters[2].get("measureunitid"),
        "active": True,
    }
    one = data(
        sqlite_gateway.gql(token, 'query { meter(remoteId: "RUNHOURS") { id remoteId meterType remoteVersion } }')
    )["meter"]
    assert (one["remoteId"], one["meterType"]) == ("RUNHOURS", "CONTINUOUS") and one["remoteVersion"]
    assert data(
        sqlite_gateway.gql(token, "query($id: ID!) { node(id: $id) { ... on Meter { remoteId } } }", {"id": one["id"]})
    )["node"] == {"remoteId": "RUNHOURS"}
    assert data(sqlite_gateway.gql(token, 'query { meter(remoteId: "NOPE") { id } }'))["meter"] is None

    settle(sqlite_gateway, admin, connection_id, [], [])
    assert not {"shift", "downtimeMinutes"} & type_fields(sqlite_gateway, token, "WorkOrder")
    assert type_fields(sqlite_gateway, token, "Meter") == set()


def test_a_custom_field_on_an_attribute_the_json_schema_calls_read_only_is_refused_before_any_write(
    sqlite_gateway, admin, sandbox
):
    """Declared writable by hand, `woclass` (read-only in MXAPIWODETAIL's schema) is refused by name, nothing sent."""
    connection_id, token = connect(sqlite_gateway, admin, sandbox.url, "Read-only class")
    work_class = {"entity": "WorkOrder", "name": "workClass", "type": "String", "remotePath": "woclass"}
    settle(sqlite_gateway, admin, connection_id, [{**work_class, "writable": True}], [])
    order = dict(sandbox.app.state.data.records("mxapiwodetail")[0])
    node = data(
        sqlite_gateway.gql(token, "query($r: String) { workOrder(remoteId: $r) { id } }", {"r": order["wonum"]})
    )
    control = SandboxControl(sandbox.url)
    control.clear_requests()
    for answer in (
        update(sqlite_gateway, token, "WorkOrder", node["workOrder"]["id"], {"workClass": "ACTIVITY"}),
        create(sqlite_gateway, token, "WorkOrder", {"title": "Classed", "workClass": "ACTIVITY"}),
    ):
        refused = error(answer)
        assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", "workClass")
        assert "mxapiwodetail.woclass itself (read-only in its JSON schema)" in refused["message"]
    assert not [r for r in control.requests() if r["method"] == "POST"]  # refused before any write reached Maximo
    assert next(r for r in sandbox.app.state.data.records("mxapiwodetail") if r["wonum"] == order["wonum"]) == order
