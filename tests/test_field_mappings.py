"""Field remapping per connection: a unified field read from another field of the system, live and from
the replica, filtered where the system filters it, written where it writes it, validated against discovery."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gateway.store.sync_tables import SyncSchedule
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.maximo.app import DEMO_API_KEY as MAXIMO_KEY
from sandboxes.maximo.app import create_app as create_maximo_sandbox
from tests.conftest import Gateway
from tests.helpers import data, error_code, page_all, type_fields, wait_until
from tests.replica_fixtures import Conn
from tests.test_replica_trust import SAP_ENTITIES, UPKEEP_ENTITIES

SETTINGS = """mutation($id: ID!, $i: ConnectionSettingsInput!) {
  updateConnectionSettings(id: $id, input: $i) { fieldMappings } }"""
STORED = "query($id: ID!) { connectionSettings(id: $id) { fieldMappings } }"
COST_CENTER_TITLE = {
    "entity": "WorkOrder",
    "field": "title",
    "remotePath": "customFields.costCenter",
    "filterable": True,
}
WORK_CENTER_TITLE = {"entity": "WorkOrder", "field": "title", "remotePath": "MainWorkCenter", "filterable": True}
DOWNTIME_HOURS = {"entity": "WorkOrder", "field": "estimatedHours", "remotePath": "YY1_DowntimeHours_ORD"}


def remap(conn: Conn, *mappings: dict[str, Any]) -> dict[str, Any]:
    return conn.gateway.gql(conn.admin, SETTINGS, {"id": conn.id, "i": {"fieldMappings": list(mappings)}})


def stored(conn: Conn) -> list[dict[str, Any]]:
    return data(conn.gateway.gql(conn.admin, STORED, {"id": conn.id}))["connectionSettings"]["fieldMappings"]


def titles(conn: Conn, source: str, field: str = "title", **filter: Any) -> dict[str, Any]:
    nodes = page_all(conn.gateway, conn.token, "workOrders", f"remoteId {field}", filter=filter or None, source=source)
    return {n["remoteId"]: n[field] for n in nodes}


def test_upkeep_title_from_a_custom_field_live_in_the_replica_filtered_written_and_restored(upkeep_conn, upkeep):
    conn, rows = upkeep_conn, upkeep.app.state.data
    wait_until(lambda: conn.synced(UPKEEP_ENTITIES), what="first sync")
    native = {r["id"]: r["title"] for r in rows.records("work-orders")}
    held = titles(conn, "REPLICA")  # the replica's history window
    assert held == {k: native[k] for k in held}

    saved = data(remap(conn, COST_CENTER_TITLE))["updateConnectionSettings"]["fieldMappings"]
    assert saved == [{**COST_CENTER_TITLE, "writable": True}]  # UpKeep writes its custom fields
    cost_centers = {r["id"]: r["customFields"]["costCenter"] for r in rows.records("work-orders")}
    assert titles(conn, "LIVE") == cost_centers
    assert titles(conn, "REPLICA") == {k: cost_centers[k] for k in held}  # from the stored raw records at once
    one = next(iter(held))
    by_id = data(conn.gateway.gql(conn.token, "query($r: String) { workOrder(remoteId: $r) { title } }", {"r": one}))
    assert by_id["workOrder"]["title"] == cost_centers[one]

    # UpKeep filters no custom field: the gateway matches the remapped value on the mapped records.
    wanted = {k: v for k, v in cost_centers.items() if v == "CC-203"}
    assert wanted and titles(conn, "LIVE", title="CC-203") == wanted
    refused = conn.gateway.gql(
        conn.token, '{ workOrders(source: REPLICA, filter: {title: "CC-203"}) { nodes { id } } }'
    )
    assert error_code(refused) == "BAD_USER_INPUT" and "remapped" in refused["errors"][0]["message"]

    # A write of the remapped field goes to its source field; UpKeep's own title stays.
    written = data(
        conn.gateway.gql(
            conn.token,
            'mutation($id: ID!) { updateWorkOrder(id: $id, input: {title: "CC-999"}) { record { title } } }',
            {"id": one},
        )
    )["updateWorkOrder"]["record"]
    assert written == {"title": "CC-999"}
    assert rows.get("work-orders", one)["customFields"]["costCenter"] == "CC-999"
    assert rows.get("work-orders", one)["title"] == native[one]
    assert titles(conn, "REPLICA")[one] == "CC-999"
    made = data(
        conn.gateway.gql(
            conn.token, 'mutation { createWorkOrder(input: {title: "CC-404"}) { record { remoteId title } } }'
        )
    )["createWorkOrder"]["record"]
    created = rows.get("work-orders", made["remoteId"])  # UpKeep requires its own title: written there too
    assert (made["title"], created["title"], created["customFields"]["costCenter"]) == ("CC-404",) * 3

    # Removal: the system's mapping again, live and from the replica, and the filter is gone.
    assert data(remap(conn))["updateConnectionSettings"]["fieldMappings"] == []
    native[made["remoteId"]] = "CC-404"
    replica = titles(conn, "REPLICA")
    assert titles(conn, "LIVE") == native and replica == {k: native[k] for k in replica} and set(held) < set(replica)
    gone = conn.gateway.gql(conn.token, '{ workOrders(filter: {title: "CC-203"}) { nodes { id } } }')
    assert gone["errors"] and "title" in gone["errors"][0]["message"]


def downtime(order: dict[str, Any]) -> float | None:
    """An SAP order's downtime extension field as a Float (orders created without it have none)."""
    hours = order["YY1_DowntimeHours_ORD"]
    return None if hours is None else float(hours)


def test_sap_fields_from_other_properties_pushed_into_the_filter_and_synced_again(sap_conn, sap):
    conn, control = sap_conn, SandboxControl(sap.url)
    orders = {r["MaintenanceOrder"]: r for r in sap.app.state.data.rows("MaintenanceOrder")}
    wait_until(lambda: conn.synced(SAP_ENTITIES), what="first sync")
    native = titles(conn, "REPLICA")  # the replica's history window
    assert native == {k: orders[k]["MaintenanceOrderDesc"] or None for k in native}

    data(remap(conn, WORK_CENTER_TITLE, DOWNTIME_HOURS))
    live = page_all(conn.gateway, conn.token, "workOrders", "remoteId title estimatedHours")
    assert live and all(n["title"] == (orders[n["remoteId"]]["MainWorkCenter"] or None) for n in live)
    assert all(n["estimatedHours"] == downtime(orders[n["remoteId"]]) for n in live)

    # The filter on the remapped title is SAP's own, on the source property.
    control.clear_requests()
    mech = titles(conn, "LIVE", title="MECH")
    assert mech and set(mech.values()) == {"MECH"}
    assert set(mech) == {n["remoteId"] for n in live if n["title"] == "MECH"}
    listed = [c["query"].get("$filter", "") for c in control.requests() if c["path"].endswith("/MaintenanceOrder")]
    live_reads = [f for f in listed if "LastChangeDateTime" not in f]  # syncs read a history window meanwhile
    assert live_reads and all("MainWorkCenter eq 'MECH'" in f for f in live_reads)

    # MainWorkCenter was stored already (SAP's mapping selects it); the replica's raw records lacked the
    # extension field ($select): the change asked for a full pass, after which every held record has it.
    assert titles(conn, "REPLICA") == {n["remoteId"]: n["title"] for n in live if n["remoteId"] in native}
    held = {k: downtime(orders[k]) for k in native}
    wait_until(lambda: titles(conn, "REPLICA", "estimatedHours") == held, what="replica re-synced")

    data(remap(conn))
    assert titles(conn, "REPLICA") == native
    assert all(title == (orders[k]["MaintenanceOrderDesc"] or None) for k, title in titles(conn, "LIVE").items())
    assert "estimatedHours" not in type_fields(conn.gateway, conn.token, "WorkOrder")  # SAP's mapping has none


def test_a_remapped_field_the_system_does_not_write_is_refused_before_any_call(sap_conn, sap):
    conn, control = sap_conn, SandboxControl(sap.url)
    saved = data(remap(conn, {"entity": "WorkOrder", "field": "title", "remotePath": "UserStatusText"}))
    assert saved["updateConnectionSettings"]["fieldMappings"][0]["writable"] is False
    control.clear_requests()
    refused = conn.gateway.gql(
        conn.token, 'mutation { updateWorkOrder(id: "4000000", input: {title: "x"}) { record { title } } }'
    )
    assert error_code(refused) == "BAD_USER_INPUT"
    assert (
        refused["errors"][0]["extensions"]["field"] == "title" and "UserStatusText" in refused["errors"][0]["message"]
    )
    assert not [c for c in control.requests() if c["method"] != "GET"]
    # SAP requires the title on a create: it goes to SAP's own description, the only place it can.
    made = data(
        conn.gateway.gql(
            conn.token,
            'mutation { createWorkOrder(input: {title: "Pump check", location: "1010"}) { record { remoteId } } }',
        )
    )["createWorkOrder"]["record"]
    stored = next(r for r in sap.app.state.data.rows("MaintenanceOrder") if r["MaintenanceOrder"] == made["remoteId"])
    assert stored["MaintenanceOrderDesc"] == "Pump check"


@pytest.mark.parametrize(
    "mapping, field, message",
    [
        ({**COST_CENTER_TITLE, "remotePath": "customFields.nothing"}, "remotePath", "no WorkOrder field"),
        ({**COST_CENTER_TITLE, "field": "headline"}, "field", "has no field 'headline'"),
        ({**COST_CENTER_TITLE, "field": "status"}, "field", "has no field 'status' that can be remapped"),
        ({**COST_CENTER_TITLE, "remotePath": "customFields.downtimeMinutes"}, "remotePath", "is a String, but"),
        ({**COST_CENTER_TITLE, "entity": "MaintenanceSchedule"}, "entity", "unknown entity"),
        ({**COST_CENTER_TITLE, "remotePath": ""}, "remotePath", "'remotePath'"),
    ],
)
def test_bad_mappings_are_refused_naming_the_problem_and_nothing_is_stored(
    sqlite_gateway: Gateway, upkeep: ServerThread, mapping, field, message
):
    conn = Conn(sqlite_gateway, upkeep.url)
    data(remap(conn, COST_CENTER_TITLE))
    refused = remap(conn, mapping)
    assert error_code(refused) == "BAD_USER_INPUT", refused
    assert refused["errors"][0]["extensions"]["field"] == field and message in refused["errors"][0]["message"]
    twice = remap(conn, COST_CENTER_TITLE, COST_CENTER_TITLE)
    assert "mapped twice" in twice["errors"][0]["message"]
    assert stored(conn) == [{**COST_CENTER_TITLE, "writable": True}]


def test_remappable_fields_are_the_single_scalar_values(sqlite_gateway: Gateway):
    admin = sqlite_gateway.new_org()
    query = 'query { remappableFields(entity: "WorkOrder") { name type accepts } }'
    found = {f["name"]: f for f in data(sqlite_gateway.gql(admin, query))["remappableFields"]}
    assert found["title"] == {"name": "title", "type": "String", "accepts": ["Enum", "String"]}
    assert found["estimatedHours"]["accepts"] == ["Float", "Int"]
    assert not {"status", "priority", "asset", "remoteId", "updatedAt"} & set(found)


def test_a_new_source_field_asks_for_a_full_pass_and_a_removal_does_not(sqlite_gateway: Gateway, upkeep: ServerThread):
    def full_requested(conn: Conn) -> bool:
        with sqlite_gateway.services.store.read() as session:
            row = session.get(SyncSchedule, conn.id)
            return bool(row and row.full_requested)

    added, removed = Conn(sqlite_gateway, upkeep.url), Conn(sqlite_gateway, upkeep.url)
    assert not full_requested(added)  # this gateway runs no scheduler: nothing else asks for one
    data(remap(added, COST_CENTER_TITLE))
    assert full_requested(added)
    data(remap(removed))
    assert not full_requested(removed)


@pytest.fixture
def maximo() -> Iterator[ServerThread]:
    with ServerThread(create_maximo_sandbox()) as server:
        yield server


def test_maximo_title_from_an_added_attribute_pushed_into_oslc_where_written_and_restored(
    sqlite_gateway: Gateway, maximo: ServerThread
):
    conn = Conn(sqlite_gateway, maximo.url, system="maximo", hosting="ON_PREMISES", credentials={"apiKey": MAXIMO_KEY})
    orders = {o["wonum"]: o for o in maximo.app.state.data.records("mxapiwodetail")}
    data(remap(conn, {"entity": "WorkOrder", "field": "title", "remotePath": "cust_shift", "filterable": True}))
    assert titles(conn, "LIVE") == {k: o["cust_shift"] for k, o in orders.items()}

    control = SandboxControl(maximo.url)
    control.clear_requests()
    night = titles(conn, "LIVE", title="NIGHT")
    assert night and night == {k: "NIGHT" for k, o in orders.items() if o["cust_shift"] == "NIGHT"}
    logged = control.requests()
    assert logged and all('cust_shift="NIGHT"' in r["query"].get("oslc.where", "") for r in logged)

    one = next(iter(night))
    written = conn.gateway.gql(
        conn.token,
        'mutation($id: ID!) { updateWorkOrder(id: $id, input: {title: "DAY"}) { record { title } } }',
        {"id": one},
    )
    assert data(written)["updateWorkOrder"]["record"] == {"title": "DAY"}
    stored = next(o for o in maximo.app.state.data.records("mxapiwodetail") if o["wonum"] == one)
    assert (stored["cust_shift"], stored["description"]) == ("DAY", orders[one]["description"])

    data(remap(conn))
    assert titles(conn, "LIVE")[one] == orders[one]["description"]
