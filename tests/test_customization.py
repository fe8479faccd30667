"""Custom fields and custom objects: declared at runtime, per connection, validated, removable."""

from __future__ import annotations

import time
from typing import Any

import pytest

from sandboxes.kit import ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.conftest import Gateway, _start_gateway
from tests.helpers import data, error_code, page_all
from tests.write_helpers import module_sandbox

SETTINGS = """
mutation($id: ID!, $i: ConnectionSettingsInput!) {
  updateConnectionSettings(id: $id, input: $i) { syncIntervalSeconds customFields customObjects }
}
"""
SHIFT = {
    "entity": "WorkOrder",
    "name": "shift",
    "type": "Enum",
    "enumValues": ["first", "second", "third"],
    "remotePath": "customFields.shift",
    "filterable": True,
    "writable": True,
}
COST_CENTER = {
    "entity": "WorkOrder",
    "name": "costCenter",
    "type": "String",
    "remotePath": "customFields.costCenter",
    "writable": True,
}
WARRANTY = {"entity": "Asset", "name": "warrantyUntil", "type": "DateTime", "remotePath": "customFields.warrantyUntil"}
METER = {
    "name": "Meter",
    "remoteName": "/meters",
    "idPath": "id",
    "displayPath": "name",
    "fields": [
        {"name": "units", "type": "String", "remotePath": "units"},
        {"name": "lastReading", "type": "Float", "remotePath": "lastReading"},
        {"name": "assetId", "type": "String", "remotePath": "asset"},
    ],
}


sandbox = module_sandbox(create_upkeep_sandbox)


class Conn:
    def __init__(self, gateway: Gateway, sandbox: ServerThread) -> None:
        self.gateway = gateway
        self.admin = gateway.new_org()
        created = data(gateway.connect(self.admin, sandbox.url))["createConnection"]
        self.id, self.token = created["connection"]["id"], created["token"]

    def settings(self, **given: Any) -> dict:
        return self.gateway.gql(self.admin, SETTINGS, {"id": self.id, "i": given})

    def query(self, text: str, variables: dict | None = None) -> dict:
        return self.gateway.gql(self.token, text, variables)

    def type_fields(self, name: str) -> set[str] | None:
        found = data(self.query("query($n: String!) { __type(name: $n) { fields { name } } }", {"n": name}))["__type"]
        return None if found is None else {f["name"] for f in found["fields"]}


@pytest.fixture
def conn(gateway: Gateway, sandbox: ServerThread) -> Conn:
    return Conn(gateway, sandbox)


@pytest.mark.slow
def test_a_custom_field_appears_for_its_connection_only_and_goes_when_removed(gateway, sandbox, conn):
    other = Conn(gateway, sandbox)
    assert "shift" not in conn.type_fields("WorkOrder")
    stored = data(conn.settings(customFields=[SHIFT, COST_CENTER, WARRANTY]))["updateConnectionSettings"]
    assert [f["name"] for f in stored["customFields"]] == ["shift", "costCenter", "warrantyUntil"]
    # The next request sees it: in introspection, typed, and in data.
    assert {"shift", "costCenter"} <= conn.type_fields("WorkOrder") and "warrantyUntil" in conn.type_fields("Asset")
    enum = data(conn.query('{ __type(name: "WorkOrderCustomShift") { enumValues { name } } }'))["__type"]
    assert [v["name"] for v in enum["enumValues"]] == ["first", "second", "third"]
    nodes = page_all(gateway, conn.token, "workOrders", "remoteId shift costCenter")
    expected = {r["id"]: r["customFields"] for r in sandbox.app.state.data.records("work-orders")}
    assert all(n["shift"] == expected[n["remoteId"]]["shift"] for n in nodes)
    assert all(n["costCenter"] == expected[n["remoteId"]]["costCenter"] for n in nodes)
    asset = data(conn.query("{ assets(first: 1) { nodes { warrantyUntil } } }"))["assets"]["nodes"][0]
    assert asset["warrantyUntil"].startswith("20")
    # Another connection of the same system keeps the unified schema.
    assert "shift" not in other.type_fields("WorkOrder")
    assert (
        "Cannot query field 'shift'"
        in other.query("{ workOrders(first: 1) { nodes { shift } } }")["errors"][0]["message"]
    )
    data(conn.settings(customFields=[]))
    assert "shift" not in conn.type_fields("WorkOrder")
    assert conn.type_fields("WorkOrderCustomShift") is None


def test_a_filterable_custom_field_filters_and_others_are_not_offered(gateway, sandbox, conn):
    data(conn.settings(customFields=[SHIFT, COST_CENTER]))
    nodes = page_all(gateway, conn.token, "workOrders", "remoteId shift", filter={"shift": "third"})
    expected = [r["id"] for r in sandbox.app.state.data.records("work-orders") if r["customFields"]["shift"] == "third"]
    assert [n["remoteId"] for n in nodes] == expected and expected
    refused = conn.query('{ workOrders(filter: {costCenter: "CC-200"}) { nodes { remoteId } } }')
    assert refused["errors"] and "costCenter" in refused["errors"][0]["message"]
    replica = conn.query("{ workOrders(source: REPLICA, filter: {shift: third}) { nodes { remoteId } } }")
    assert error_code(replica) == "BAD_USER_INPUT"


def test_a_writable_custom_field_is_written_to_the_system(conn, sandbox):
    data(conn.settings(customFields=[SHIFT, COST_CENTER]))
    made = data(
        conn.query(
            'mutation { createWorkOrder(input: {title: "Night check", shift: third, costCenter: "CC-999"}) '
            "{ record { remoteId shift costCenter } } }"
        )
    )["createWorkOrder"]["record"]
    assert (made["shift"], made["costCenter"]) == ("third", "CC-999")
    stored = sandbox.app.state.data.get("work-orders", made["remoteId"])
    assert stored["customFields"] == {"shift": "third", "costCenter": "CC-999"}


def test_a_custom_object_lists_fetches_and_goes_when_removed(gateway, sandbox, conn):
    other = Conn(gateway, sandbox)
    data(conn.settings(customObjects=[METER]))
    assert {"units", "lastReading", "assetId", "id", "remoteId", "displayValue"} <= conn.type_fields("Meter")
    meters = page_all(gateway, conn.token, "meters", "id remoteId displayValue units lastReading assetId", first=7)
    seeded = sandbox.app.state.data.records("meters")
    assert [(m["remoteId"], m["units"], m["lastReading"], m["assetId"]) for m in meters] == [
        (r["id"], r["units"], r["lastReading"], r["asset"]) for r in seeded
    ]
    one = data(conn.query("query($r: String) { meter(remoteId: $r) { displayValue } }", {"r": seeded[3]["id"]}))
    assert one["meter"]["displayValue"] == seeded[3]["name"]
    node = data(conn.query("query($id: ID!) { node(id: $id) { ... on Meter { remoteId } } }", {"id": meters[0]["id"]}))
    assert node["node"] == {"remoteId": seeded[0]["id"]}
    assert other.type_fields("Meter") is None and other.query("{ meters { nodes { id } } }")["errors"]
    data(conn.settings(customObjects=[]))
    assert conn.type_fields("Meter") is None


@pytest.mark.parametrize(
    "given, message",
    [
        ({"customFields": [{**SHIFT, "name": "title"}]}, "already has a field 'title'"),
        ({"customFields": [{**SHIFT, "name": "remoteId"}]}, "is reserved"),
        ({"customFields": [{**SHIFT, "name": "Bad Name"}]}, "camelCase"),
        ({"customFields": [{**SHIFT, "type": "Money"}]}, "type must be one of"),
        ({"customFields": [{**SHIFT, "enumValues": ["a b"]}]}, "enumValues"),
        ({"customFields": [{**SHIFT, "entity": "MaintenanceSchedule"}]}, "unknown entity"),
        ({"customFields": [SHIFT, SHIFT]}, "declared twice"),
        ({"customObjects": [{**METER, "name": "WorkOrder"}]}, "not used by the schema"),
        ({"customObjects": [{**METER, "plural": "workOrders"}]}, "not a free query field name"),
        ({"customObjects": [{**METER, "idPath": ""}]}, "'idPath'"),
        ({"syncIntervalSeconds": 0.001}, "syncIntervalSeconds"),
        (
            {
                "customObjects": [
                    {
                        **METER,
                        "name": "Work",
                        "fields": [{"name": "orderStatus", "type": "Enum", "enumValues": ["A"], "remotePath": "s"}],
                    }
                ]
            },
            "would clash with the schema",
        ),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_stored(conn, given, message):
    data(conn.settings(customFields=[COST_CENTER]))
    refused = conn.settings(**given)
    assert error_code(refused) == "BAD_USER_INPUT" and message in refused["errors"][0]["message"]
    current = data(
        conn.gateway.gql(
            conn.admin,
            "query($id: ID!) { connectionSettings(id: $id) { customFields customObjects } }",
            {"id": conn.id},
        )
    )
    assert current["connectionSettings"] == {"customFields": [COST_CENTER], "customObjects": []}


def test_candidates_are_discovered_from_the_system(conn):
    found = data(
        conn.gateway.gql(
            conn.admin,
            """
      query($id: ID!) {
        customFieldCandidates(id: $id, entity: "WorkOrder") { remotePath name type writable }
        customObjectCandidates(id: $id) { remoteName name idPath fields { remotePath type } }
      }""",
            {"id": conn.id},
        )
    )
    fields = {f["remotePath"]: f for f in found["customFieldCandidates"]}
    assert fields["customFields.shift"] == {
        "remotePath": "customFields.shift",
        "name": "shift",
        "type": "String",
        "writable": True,
    }
    assert fields["customFields.downtimeMinutes"]["type"] == "Int"
    meters = next(o for o in found["customObjectCandidates"] if o["remoteName"] == "/meters")
    assert {"remotePath": "lastReading", "type": "Float"} in meters["fields"] and meters["idPath"] == "id"


def test_another_organization_cannot_change_or_read_a_connections_settings(gateway, conn):
    stranger = gateway.new_org()
    refused = gateway.gql(stranger, SETTINGS, {"id": conn.id, "i": {"customFields": [SHIFT]}})
    assert error_code(refused) == "NOT_FOUND"
    peek = gateway.gql(
        stranger, 'query($id: ID!) { customFieldCandidates(id: $id, entity: "WorkOrder") { name } }', {"id": conn.id}
    )
    assert error_code(peek) == "NOT_FOUND"


def test_custom_fields_read_from_the_replica(tmp_path_factory, sandbox):
    """Synced records keep the raw record, so a field declared after the sync is there at once."""
    tmp = tmp_path_factory.mktemp("gw-custom-sync")
    fast = {"scheduler": True, "sync_tick": 0.05, "min_sync_interval": 0.1, "history_days": 3650, "sync_page_size": 200}
    for gateway in _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", **fast):
        conn = Conn(gateway, sandbox)
        status = "query($id: ID!) { connection(id: $id) { syncStatus { entity state } } }"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            states = data(gateway.gql(conn.admin, status, {"id": conn.id}))["connection"]["syncStatus"]
            if any(s["entity"] == "WorkOrder" and s["state"] == "SUCCEEDED" for s in states):
                break
            time.sleep(0.1)
        data(conn.settings(customFields=[SHIFT]))
        nodes = page_all(gateway, conn.token, "workOrders", "remoteId shift", source="REPLICA")
        expected = {r["id"]: r["customFields"]["shift"] for r in sandbox.app.state.data.records("work-orders")}
        assert nodes and all(n["shift"] == expected[n["remoteId"]] for n in nodes)


def test_a_pending_connection_has_no_settings_to_pick_yet(gateway):
    admin = gateway.new_org()
    link = data(gateway.gql(admin, "mutation { createConnectSession { connection { id status } } }"))
    pending = link["createConnectSession"]["connection"]
    assert pending["status"] == "PENDING"
    for query, variables in [
        (SETTINGS, {"id": pending["id"], "i": {"customFields": [SHIFT]}}),
        ('query($id: ID!) { customFieldCandidates(id: $id, entity: "WorkOrder") { name } }', {"id": pending["id"]}),
        ("query($id: ID!) { customObjectCandidates(id: $id) { name } }", {"id": pending["id"]}),
    ]:
        refused = gateway.gql(admin, query, variables)
        assert error_code(refused) == "BAD_USER_INPUT" and "pending" in refused["errors"][0]["message"]
