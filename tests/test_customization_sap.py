"""SAP custom fields (from `$metadata`, `YY1_`/`ZZ1_` extension fields) and custom objects, end to end."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.sap.app import LOGIN, create_app
from sandboxes.sap.seed import Dataset
from tests.conftest import Gateway
from tests.helpers import data, error_code, page_all
from tests.test_customization import Conn
from tests.write_helpers import module_sandbox

CANDIDATES = """query($id: ID!, $entity: String!) {
  customFieldCandidates(id: $id, entity: $entity) { remotePath name type label filterable writable } }"""
OBJECTS = "query($id: ID!) { customObjectCandidates(id: $id) { remoteName name plural idPath fields { remotePath name type } } }"

SHIFT = {
    "entity": "WorkOrder",
    "name": "shiftCode",
    "type": "String",
    "remotePath": "YY1_ShiftCode_ORD",
    "filterable": True,
    "writable": True,
}
DOWNTIME = {
    "entity": "WorkOrder",
    "name": "downtimeHours",
    "type": "Float",
    "remotePath": "YY1_DowntimeHours_ORD",
    "writable": True,
}
WARRANTY = {
    "entity": "Asset",
    "name": "warrantyEnd",
    "type": "DateTime",
    "remotePath": "ZZ1_WarrantyEnd_EQU",
    "writable": True,
}
POWER = {
    "entity": "Asset",
    "name": "ratedPowerKw",
    "type": "Float",
    "remotePath": "ZZ1_RatedPowerKw_EQU",
    "filterable": True,
}
WORK_CENTER = {
    "entity": "WorkOrder",
    "name": "mainWorkCenter",
    "type": "String",
    "remotePath": "MainWorkCenter",
    "filterable": True,
}
OPERATION = {
    "name": "MaintenanceOrderOperation",
    "remoteName": "API_MAINTENANCEORDER/MaintenanceOrderOperation",
    "idPath": "MaintenanceOrder,MaintenanceOrderOperation,MaintenanceOrderSubOperation",
    "displayPath": "OperationDescription",
    "fields": [
        {"name": "order", "type": "String", "remotePath": "MaintenanceOrder"},
        {"name": "operation", "type": "String", "remotePath": "MaintenanceOrderOperation"},
        {"name": "workCenter", "type": "String", "remotePath": "WorkCenter"},
        {"name": "duration", "type": "Float", "remotePath": "MaintOrderOperationDuration"},
    ],
}


sandbox = module_sandbox(create_app)


@pytest.fixture
def rows(sandbox: ServerThread) -> Dataset:
    return sandbox.app.state.data


class SapConn(Conn):
    """One S/4HANA connection (settings, queries and introspection as for any connection)."""

    def __init__(self, gateway: Gateway, sandbox: ServerThread) -> None:
        self.gateway = gateway
        self.admin = gateway.new_org()
        created = data(
            gateway.connect(self.admin, sandbox.url, "S/4", system="sap_s4hana", hosting="CLOUD", credentials=LOGIN)
        )["createConnection"]
        self.id, self.token = created["connection"]["id"], created["token"]


@pytest.fixture
def conn(gateway: Gateway, sandbox: ServerThread) -> SapConn:
    return SapConn(gateway, sandbox)


def test_the_sandbox_metadata_carries_the_customers_fields_with_sap_annotations(sandbox):
    answer = httpx.get(
        f"{sandbox.url}/sap/opu/odata/sap/API_MAINTENANCEORDER/$metadata", auth=(LOGIN["username"], LOGIN["password"])
    )
    assert '<Property Name="YY1_ShiftCode_ORD" Type="Edm.String" MaxLength="1" sap:label="Shift"/>' in answer.text
    assert (
        'Name="YY1_DowntimeHours_ORD" Type="Edm.Decimal" Precision="7" Scale="2" sap:label="Downtime (hours)" sap:filterable="false"'
        in answer.text
    )
    assert (
        'Name="SystemStatusText" Type="Edm.String" MaxLength="40" sap:creatable="false" sap:updatable="false" sap:filterable="false"'
        in answer.text
    )
    assert (
        '<EntitySet Name="MaintenanceOrderOperation" EntityType="cds_api_maintenanceorder.MaintenanceOrderOperationType" sap:creatable="false"/>'
        in answer.text
    )


def test_candidates_come_from_the_service_metadata(conn):
    found = data(conn.gateway.gql(conn.admin, CANDIDATES, {"id": conn.id, "entity": "WorkOrder"}))[
        "customFieldCandidates"
    ]
    assert [c["remotePath"] for c in found[:2]] == ["YY1_DowntimeHours_ORD", "YY1_ShiftCode_ORD"]  # extensions first
    by_path = {c["remotePath"]: c for c in found}
    assert by_path["YY1_ShiftCode_ORD"] == {
        "remotePath": "YY1_ShiftCode_ORD",
        "name": "shiftCode",
        "type": "String",
        "label": "Shift",
        "filterable": True,
        "writable": True,
    }
    assert (by_path["YY1_DowntimeHours_ORD"]["type"], by_path["YY1_DowntimeHours_ORD"]["filterable"]) == (
        "Float",
        False,
    )
    assert by_path["UserStatusText"]["writable"] is False and by_path["MainWorkCenter"]["writable"] is True
    assert "MaintenanceOrderDesc" not in by_path and "MaintenanceOrder" not in by_path  # already mapped
    assets = {
        c["remotePath"]: c
        for c in data(conn.gateway.gql(conn.admin, CANDIDATES, {"id": conn.id, "entity": "Asset"}))[
            "customFieldCandidates"
        ]
    }
    assert (assets["ZZ1_WarrantyEnd_EQU"]["type"], assets["ZZ1_WarrantyEnd_EQU"]["writable"]) == ("DateTime", True)
    assert assets["ZZ1_RatedPowerKw_EQU"]["writable"] is False  # sap:updatable="false"
    locations = data(conn.gateway.gql(conn.admin, CANDIDATES, {"id": conn.id, "entity": "Location"}))[
        "customFieldCandidates"
    ]
    assert locations and not any(
        c["writable"] for c in locations
    )  # SAP functional locations are read here, not written
    objects = {
        o["remoteName"]: o
        for o in data(conn.gateway.gql(conn.admin, OBJECTS, {"id": conn.id}))["customObjectCandidates"]
    }
    operation = objects["API_MAINTENANCEORDER/MaintenanceOrderOperation"]
    assert (operation["name"], operation["plural"], operation["idPath"]) == (
        "MaintenanceOrderOperation",
        "maintenanceOrderOperations",
        OPERATION["idPath"],
    )
    assert {
        "remotePath": "MaintOrderOperationDuration",
        "name": "maintOrderOperationDuration",
        "type": "Float",
    } in operation["fields"]
    assert "API_MAINTENANCEORDER/MaintenanceOrder" not in objects  # a unified entity already


def test_custom_fields_appear_for_their_connection_read_sap_values_and_go_when_removed(gateway, sandbox, rows, conn):
    other = SapConn(gateway, sandbox)
    data(conn.settings(customFields=[SHIFT, DOWNTIME, WARRANTY, POWER]))
    assert {"shiftCode", "downtimeHours"} <= conn.type_fields("WorkOrder") and "warrantyEnd" in conn.type_fields(
        "Asset"
    )
    assert "shiftCode" not in other.type_fields("WorkOrder")
    nodes = page_all(gateway, conn.token, "workOrders", "remoteId shiftCode downtimeHours")
    orders = {r["MaintenanceOrder"]: r for r in rows.rows("MaintenanceOrder")}
    assert nodes and all(n["shiftCode"] == (orders[n["remoteId"]]["YY1_ShiftCode_ORD"] or None) for n in nodes)
    assert all(
        n["downtimeHours"] == float(orders[n["remoteId"]]["YY1_DowntimeHours_ORD"])
        for n in nodes
        if orders[n["remoteId"]]["YY1_DowntimeHours_ORD"] is not None
    )
    assets = page_all(gateway, conn.token, "assets", "remoteId warrantyEnd ratedPowerKw")
    current = {r["Equipment"]: r for r in rows.current_equipment()}
    for node in assets:  # `/Date(ms)/` and `Edm.Decimal` strings read as DateTime and Float
        seeded = current[node["remoteId"]]
        warranty = seeded["ZZ1_WarrantyEnd_EQU"]
        assert node["warrantyEnd"] == (warranty.isoformat() if warranty else None)
        assert node["ratedPowerKw"] == float(seeded["ZZ1_RatedPowerKw_EQU"])
    data(conn.settings(customFields=[]))
    assert "shiftCode" not in conn.type_fields("WorkOrder")


def test_custom_filters_are_pushed_into_the_filter_option(gateway, sandbox, rows, conn):
    data(conn.settings(customFields=[SHIFT, DOWNTIME, WORK_CENTER, POWER]))
    control = SandboxControl(sandbox.url)
    control.clear_requests()
    nodes = page_all(
        gateway,
        conn.token,
        "workOrders",
        "remoteId shiftCode mainWorkCenter",
        filter={"shiftCode": "N", "mainWorkCenter": "MECH", "status": ["IN_PROGRESS"]},
    )
    expected = [
        r["MaintenanceOrder"]
        for r in rows.rows("MaintenanceOrder")
        if r["YY1_ShiftCode_ORD"] == "N"
        and r["MainWorkCenter"] == "MECH"
        and r["SystemStatusText"].split()[0] in ("REL", "PCNF")
    ]
    assert expected and [n["remoteId"] for n in nodes] == expected
    pushed = [c["query"]["$filter"] for c in control.requests() if c["path"].endswith("/MaintenanceOrder")]
    assert pushed and all("YY1_ShiftCode_ORD eq 'N'" in f and "MainWorkCenter eq 'MECH'" in f for f in pushed)
    power = next(float(r["ZZ1_RatedPowerKw_EQU"]) for r in rows.current_equipment())
    found = page_all(gateway, conn.token, "assets", "remoteId ratedPowerKw", filter={"ratedPowerKw": power})
    assert found and all(n["ratedPowerKw"] == power for n in found)
    refused = conn.query("{ workOrders(filter: {downtimeHours: 2.5}) { nodes { remoteId } } }")
    assert refused["errors"] and "downtimeHours" in refused["errors"][0]["message"]  # sap:filterable="false"


def test_writable_custom_fields_are_written_in_sap_formats(conn, rows):
    data(conn.settings(customFields=[SHIFT, DOWNTIME, WARRANTY]))
    made = data(
        conn.query("""mutation { createWorkOrder(input: {title: "Night shift check", location: "1010",
        shiftCode: "N", downtimeHours: 2.25}) { record { remoteId shiftCode downtimeHours } } }""")
    )["createWorkOrder"]["record"]
    assert (made["shiftCode"], made["downtimeHours"]) == ("N", 2.25)
    stored = next(r for r in rows.rows("MaintenanceOrder") if r["MaintenanceOrder"] == made["remoteId"])
    assert (stored["YY1_ShiftCode_ORD"], str(stored["YY1_DowntimeHours_ORD"])) == ("N", "2.25")
    unit = rows.current_equipment()[7]
    changed = data(
        conn.query(
            """mutation($id: ID!) { updateAsset(id: $id, input: {warrantyEnd: "2031-06-30T00:00:00Z"})
        { record { warrantyEnd } } }""",
            {"id": unit["Equipment"]},
        )
    )["updateAsset"]["record"]
    assert changed == {"warrantyEnd": "2031-06-30T00:00:00+00:00"}
    stored = next(r for r in rows.current_equipment() if r["Equipment"] == unit["Equipment"])
    assert stored["ZZ1_WarrantyEnd_EQU"] == datetime(2031, 6, 30, tzinfo=UTC)
    data(conn.settings(customFields=[{**POWER, "writable": True}]))  # declared writable, but SAP says no
    refused = conn.query('mutation { updateAsset(id: "10000001", input: {ratedPowerKw: 9}) { record { name } } }')
    assert (
        error_code(refused) == "SYSTEM_REJECTED"
        and "ZZ1_RatedPowerKw_EQU cannot be changed" in refused["errors"][0]["message"]
    )


def test_a_custom_object_lists_fetches_by_its_composite_key_and_goes_when_removed(gateway, sandbox, rows, conn):
    other = SapConn(gateway, sandbox)
    data(conn.settings(customObjects=[OPERATION]))
    assert {"order", "operation", "workCenter", "duration", "remoteId"} <= conn.type_fields("MaintenanceOrderOperation")
    seeded = rows.rows("MaintenanceOrderOperation")
    listed = page_all(
        gateway, conn.token, "maintenanceOrderOperations", "id remoteId displayValue order operation duration", first=70
    )
    assert [(n["order"], n["operation"], n["duration"]) for n in listed] == [
        (r["MaintenanceOrder"], r["MaintenanceOrderOperation"], float(r["MaintOrderOperationDuration"])) for r in seeded
    ]
    pick = listed[4]
    assert pick["remoteId"] == (
        f"MaintenanceOrder='{pick['order']}',MaintenanceOrderOperation='{pick['operation']}',"
        "MaintenanceOrderSubOperation=''"
    )
    one = data(
        conn.query(
            "query($r: String) { maintenanceOrderOperation(remoteId: $r) { displayValue workCenter } }",
            {"r": pick["remoteId"]},
        )
    )["maintenanceOrderOperation"]
    source = seeded[4]
    assert one == {"displayValue": source["OperationDescription"], "workCenter": source["WorkCenter"]}
    node = data(
        conn.query(
            "query($id: ID!) { node(id: $id) { ... on MaintenanceOrderOperation { remoteId } } }", {"id": pick["id"]}
        )
    )
    assert node["node"] == {"remoteId": pick["remoteId"]}
    missing = data(conn.query('{ maintenanceOrderOperation(remoteId: "not a key") { remoteId } }'))
    assert missing["maintenanceOrderOperation"] is None
    assert other.type_fields("MaintenanceOrderOperation") is None
    data(conn.settings(customObjects=[]))
    assert conn.type_fields("MaintenanceOrderOperation") is None


def test_a_custom_object_outside_the_connectors_services_is_not_served(conn):
    data(conn.settings(customObjects=[{**OPERATION, "remoteName": "API_SALES_ORDER_SRV/A_SalesOrder"}]))
    refused = conn.query("{ maintenanceOrderOperations { nodes { remoteId } } }")
    assert error_code(refused) == "NOT_FOUND" and "API_SALES_ORDER_SRV/A_SalesOrder" in refused["errors"][0]["message"]
