"""Each MaintainX entity maps to the unified model, read live over real HTTP from the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from connectors.base import ConnectionConfig, ListQuery
from connectors.maintainx.connector import MaintainXConnector
from sandboxes.kit import ServerThread
from sandboxes.maintainx.app import DEMO_API_KEY, create_app
from sandboxes.maintainx.seed import ORGANIZATION_ID
from schema.errors import SystemAuthFailed, SystemRejected
from tests.conftest import CREATE_CONNECTION
from tests.helpers import data, error_code, page_all, type_fields

WO_STATUS = {"OPEN": "OPEN", "IN_PROGRESS": "IN_PROGRESS", "ON_HOLD": "ON_HOLD", "DONE": "COMPLETED"}
WO_TYPE = {
    "Preventive": "PREVENTIVE",
    "Inspection": "INSPECTION",
    "Mechanical": "CORRECTIVE",
    "Electrical": "CORRECTIVE",
    "Damage": "CORRECTIVE",
    "Refrigeration": "CORRECTIVE",
}


def ts(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def ref(node: dict | None) -> int | None:
    return None if node is None else int(node["remoteId"])


def by_remote_id(nodes: list[dict]) -> dict[int, dict]:
    return {int(n["remoteId"]): n for n in nodes}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ServerThread]:
    with ServerThread(create_app()) as server:
        yield server


@pytest.fixture
def dataset(sandbox):
    return sandbox.app.state.data


def connect(gateway, admin_key: str, url: str, **credentials: str) -> dict:
    return gateway.gql(
        admin_key,
        CREATE_CONNECTION,
        {
            "input": {
                "system": "maintainx",
                "name": "Creamery",
                "instanceUrl": url,
                "credentials": credentials or {"apiKey": DEMO_API_KEY},
            }
        },
    )


@pytest.fixture
def token(sqlite_gateway, admin_key, sandbox) -> str:
    return data(connect(sqlite_gateway, admin_key, sandbox.url))["createConnection"]["token"]


def upstream_calls(sandbox: ServerThread) -> list[dict]:
    return httpx.get(f"{sandbox.url}/__sandbox/requests").json()


def test_work_orders(sqlite_gateway, token, dataset):
    nodes = by_remote_id(
        page_all(
            sqlite_gateway,
            token,
            "workOrders",
            """
        remoteId displayValue number title description status statusRaw priority priorityRaw
        type typeRaw dueDate completedAt createdAt updatedAt deletedAt
        remoteData asset { remoteId } location { remoteId } requestedBy { remoteId } assignees { remoteId }
    """,
        )
    )
    raw = dataset.records("workorders")
    assert len(nodes) == len(raw) == 650
    for r in raw:
        n = nodes[r["id"]]
        assert (n["number"], n["title"]) == (str(r["sequentialId"]), r["title"])
        assert n["displayValue"] == f"#{r['sequentialId']} {r['title']}"
        assert (n["status"], n["statusRaw"]) == (WO_STATUS[r["status"]], r["status"])
        assert (n["priority"], n["priorityRaw"]) == (r["priority"], r["priority"])
        known = [WO_TYPE[c] for c in r["categories"] if c in WO_TYPE]
        assert n["type"] == (None if not r["categories"] else (known or ["OTHER"])[0])
        assert n["typeRaw"] == (", ".join(r["categories"]) or None)
        assert ts(n["dueDate"]) == ts(r["dueDate"]) and ts(n["completedAt"]) == ts(r["completedAt"])
        assert ts(n["createdAt"]) == ts(r["createdAt"]) and ts(n["updatedAt"]) == ts(r["updatedAt"])
        assert (ref(n["asset"]), ref(n["location"])) == (r["assetId"], r["locationId"])
        assert ref(n["requestedBy"]) == r["requesterId"]
        assert [ref(a) for a in n["assignees"]] == [a["id"] for a in r["assignees"] if a["type"] == "USER"]
        assert n["deletedAt"] is None
        assert n["remoteData"] == r
    assert {n["type"] for n in nodes.values()} == {"PREVENTIVE", "CORRECTIVE", "INSPECTION", "OTHER", None}
    # MaintainX does not say these: not in its schema, never invented.
    assert not {"startedAt", "estimatedHours", "actualHours"} & type_fields(sqlite_gateway, token, "WorkOrder")


def test_assets_and_locations(sqlite_gateway, token, dataset):
    assets = by_remote_id(
        page_all(
            sqlite_gateway,
            token,
            "assets",
            """
        remoteId displayValue name code description status statusRaw category manufacturer
        model serialNumber location { remoteId } parent { remoteId } remoteData
    """,
        )
    )
    status = {"ONLINE": "OPERATIONAL", "OFFLINE": "DOWN", "DO_NOT_TRACK": "UNKNOWN"}
    for r in dataset.records("assets"):
        n = assets[r["id"]]
        assert (n["name"], n["displayValue"], n["code"]) == (r["name"], r["name"], r["barcode"])
        assert (n["manufacturer"], n["model"], n["serialNumber"]) == (r["manufacturer"], r["model"], r["serialNumber"])
        assert (n["status"], n["statusRaw"]) == (status[r["status"]], r["status"])
        assert n["category"] == r["assetTypes"][0]
        assert (ref(n["location"]), ref(n["parent"])) == (r["locationId"], r["parentId"])
    assert len(assets) == 240 and "criticality" not in type_fields(sqlite_gateway, token, "Asset")

    locations = by_remote_id(
        page_all(sqlite_gateway, token, "locations", "remoteId name address parent { remoteId name }")
    )
    for r in dataset.records("locations"):
        n = locations[r["id"]]
        assert (n["name"], n["address"]) == (r["name"], r["address"])
        assert ref(n["parent"]) == r["parentId"]
    assert len(locations) == 36 and sum(n["parent"] is None for n in locations.values()) == 3
    assert not {"code", "type", "typeRaw"} & type_fields(sqlite_gateway, token, "Location")  # MaintainX has none


def test_parts_with_stock_per_location_vendors_users(sqlite_gateway, token, dataset):
    parts = by_remote_id(
        page_all(
            sqlite_gateway,
            token,
            "parts",
            """
        remoteId partNumber name description unitOfMeasure unitCost quantityOnHand minimumQuantity
        stockLevels { quantity location { remoteId name } } vendors { remoteId name }
    """,
        )
    )
    for r in dataset.records("parts"):
        n = parts[r["id"]]
        assert (n["partNumber"], n["name"], n["unitOfMeasure"]) == (r["partNumber"], r["name"], r["unit"])
        assert n["unitCost"] == r["unitCost"]
        assert [(ref(s["location"]), s["quantity"]) for s in n["stockLevels"]] == [
            (s["locationId"], s["availableQuantity"]) for s in r["stock"]
        ]
        if r["stock"]:
            assert n["quantityOnHand"] == sum(s["availableQuantity"] for s in r["stock"])
            assert n["minimumQuantity"] == sum(s["minimumQuantity"] for s in r["stock"])
        else:  # stocked nowhere: the quantity is unknown, not zero
            assert n["quantityOnHand"] is None and n["minimumQuantity"] is None
        assert [ref(v) for v in n["vendors"]] == r["vendorIds"]
    assert any(len(n["stockLevels"]) > 1 for n in parts.values())

    vendors = by_remote_id(page_all(sqlite_gateway, token, "vendors", "remoteId name email phone address website"))
    for r in dataset.records("vendors"):
        n = vendors[r["id"]]
        assert (n["name"], n["email"], n["phone"]) == (r["name"], r["email"], r["phoneNumber"])
        assert (n["address"], n["website"]) == (r["address"], r["website"])
    assert not {"code", "active"} & type_fields(sqlite_gateway, token, "Vendor")

    users = by_remote_id(page_all(sqlite_gateway, token, "users", "remoteId displayValue name email role active"))
    for r in dataset.records("users"):
        n = users[r["id"]]
        assert n["name"] == f"{r['firstName']} {r['lastName']}" and n["displayValue"] == r["email"]
        assert (n["email"], n["role"], n["active"]) == (r["email"], r["role"], not r["deactivated"])


def test_purchase_orders_with_lines_and_requests(sqlite_gateway, token, dataset):
    orders = by_remote_id(
        page_all(
            sqlite_gateway,
            token,
            "purchaseOrders",
            """
        remoteId number status statusRaw expectedDate currency totalAmount
        vendor { remoteId } shipTo { remoteId }
        lines { lineNumber description quantity unitPrice amount receivedQuantity part { remoteId } }
    """,
        )
    )
    status = {
        "REQUESTED": "SUBMITTED",
        "APPROVED": "APPROVED",
        "DECLINED": "CANCELLED",
        "CANCELED": "CANCELLED",
        "PARTIALLY_FULFILLED": "PARTIALLY_RECEIVED",
        "FULFILLED": "RECEIVED",
    }
    for r in dataset.records("purchaseorders"):
        n = orders[r["id"]]
        assert (n["number"], n["status"], n["statusRaw"]) == (r["number"], status[r["status"]], r["status"])
        assert (ref(n["vendor"]), ref(n["shipTo"]), n["currency"]) == (r["vendorId"], r["shipToLocationId"], "USD")
        assert ts(n["expectedDate"]) == ts(r["dueDate"])
        assert len(n["lines"]) == len(r["items"])
        for number, (line, item) in enumerate(zip(n["lines"], r["items"]), start=1):
            assert (line["lineNumber"], ref(line["part"]), line["description"]) == (
                number,
                item["partId"],
                item["name"],
            )
            assert (line["quantity"], line["unitPrice"]) == (item["quantity"], item["unitCost"])
            assert line["amount"] == pytest.approx(item["quantity"] * item["unitCost"], abs=0.01)
            assert line["receivedQuantity"] == item["quantityReceived"]
        assert n["totalAmount"] == pytest.approx(sum(line["amount"] for line in n["lines"]), abs=0.01)
    assert len(orders) == 90 and "orderDate" not in type_fields(sqlite_gateway, token, "PurchaseOrder")

    requests = by_remote_id(
        page_all(
            sqlite_gateway,
            token,
            "maintenanceRequests",
            """
        remoteId title description status statusRaw priority priorityRaw
        asset { remoteId } location { remoteId } requestedBy { remoteId } workOrder { remoteId requestedBy { remoteId } }
    """,
        )
    )
    status = {"PENDING": "OPEN", "APPROVED": "APPROVED", "DECLINED": "REJECTED"}
    for r in dataset.records("workrequests"):
        n = requests[r["id"]]
        assert (n["title"], n["status"], n["statusRaw"], n["priority"]) == (
            r["title"],
            status[r["status"]],
            r["status"],
            r["priority"],
        )
        assert (ref(n["asset"]), ref(n["location"]), ref(n["requestedBy"])) == (
            r["assetId"],
            r["locationId"],
            r["requesterId"],
        )
        assert ref(n["workOrder"]) == r["workOrderId"]
        if n["workOrder"]:  # the work order a request became names the same requester
            assert ref(n["workOrder"]["requestedBy"]) == r["requesterId"]


def test_status_filter_is_applied_here_not_upstream(sqlite_gateway, token, dataset, sandbox):
    httpx.delete(f"{sandbox.url}/__sandbox/requests")
    nodes = page_all(
        sqlite_gateway, token, "workOrders", "remoteId status", filter={"status": ["COMPLETED", "ON_HOLD"]}
    )
    expected = [r["id"] for r in dataset.records("workorders") if r["status"] in ("DONE", "ON_HOLD")]
    assert [int(n["remoteId"]) for n in nodes] == expected
    calls = upstream_calls(sandbox)
    assert calls and all(set(c["query"]) <= {"limit", "cursor"} for c in calls)


def test_updated_after_is_strict_though_maintainx_filters_inclusively(sqlite_gateway, token, dataset, sandbox):
    records = dataset.records("assets")
    bound = sorted(r["updatedAt"] for r in records)[-5]
    httpx.delete(f"{sandbox.url}/__sandbox/requests")
    nodes = page_all(sqlite_gateway, token, "assets", "remoteId", filter={"updatedAfter": bound})
    assert sorted(int(n["remoteId"]) for n in nodes) == sorted(r["id"] for r in records if r["updatedAt"] > bound)
    assert [c["query"].get("updatedAtGte") for c in upstream_calls(sandbox)] == [bound]


def test_time_filters_without_an_offset_are_utc(sqlite_gateway, token, dataset):
    records = dataset.records("assets")
    bound = sorted(r["updatedAt"] for r in records)[-30]
    naive = bound.replace("Z", "")
    nodes = page_all(sqlite_gateway, token, "assets", "remoteId", filter={"updatedAfter": naive})
    assert sorted(int(n["remoteId"]) for n in nodes) == sorted(r["id"] for r in records if r["updatedAt"] > bound)


def test_by_remote_id_fetches_one_record_and_never_asks_for_impossible_ids(sqlite_gateway, token, dataset, sandbox):
    wo = dataset.records("workorders")[42]
    httpx.delete(f"{sandbox.url}/__sandbox/requests")
    query = "query($r: String) { workOrder(remoteId: $r) { remoteId title } }"
    assert data(sqlite_gateway.gql(token, query, {"r": str(wo["id"])}))["workOrder"]["title"] == wo["title"]
    assert data(sqlite_gateway.gql(token, query, {"r": "999999999"}))["workOrder"] is None
    assert error_code(sqlite_gateway.gql(token, query, {"r": "WO-42"})) == "BAD_USER_INPUT"  # not an integer
    assert [c["path"] for c in upstream_calls(sandbox)] == [f"/v1/workorders/{wo['id']}", "/v1/workorders/999999999"]


def test_unsupported_entity_says_so(sqlite_gateway, token):
    result = sqlite_gateway.gql(token, "{ maintenanceSchedules { nodes { id } } }")
    assert error_code(result) == "UNSUPPORTED_OPERATION"
    assert "MaintainX" in result["errors"][0]["message"]


def test_catalog_entry(sqlite_gateway, admin_key):
    system = data(
        sqlite_gateway.gql(
            admin_key,
            """{ system(key: "maintainx") {
        name tier category hostings credits { hosting credits } authGuide
        credentialFields { name type secret required } capabilities { entity read incremental } } }""",
        )
    )["system"]
    assert (system["name"], system["tier"], system["category"]) == ("MaintainX", 1, "CMMS")
    assert system["credits"] == [{"hosting": "CLOUD", "credits": 1}]
    assert system["credentialFields"] == [
        {"name": "apiKey", "type": "password", "secret": True, "required": True},
        {"name": "organizationId", "type": "number", "secret": False, "required": False},
    ]
    assert "Settings → Integrations" in system["authGuide"] and "New Key" in system["authGuide"]
    assert {c["entity"] for c in system["capabilities"] if c["read"] and c["incremental"]} == {
        "WorkOrder",
        "MaintenanceRequest",
        "Asset",
        "Location",
        "Part",
        "Vendor",
        "PurchaseOrder",
        "User",
    }


def test_connect_checks_the_key_and_the_organization(sqlite_gateway, admin_key, sandbox):
    ok = connect(
        sqlite_gateway, admin_key, sandbox.url, apiKey=f" {DEMO_API_KEY}\n", organizationId=str(ORGANIZATION_ID)
    )
    assert data(ok)["createConnection"]["token"]
    bad_key = connect(sqlite_gateway, admin_key, sandbox.url, apiKey="mx-forged")
    assert error_code(bad_key) == "SYSTEM_AUTH_FAILED" and "Invalid API key" in bad_key["errors"][0]["message"]
    other_org = connect(sqlite_gateway, admin_key, sandbox.url, apiKey=DEMO_API_KEY, organizationId="777")
    assert error_code(other_org) == "SYSTEM_AUTH_FAILED" and "777" in other_org["errors"][0]["message"]
    assert "mx-forged" not in bad_key["errors"][0]["message"]


async def test_connector_reads_the_message_of_an_error_body(sandbox):
    connector = MaintainXConnector(ConnectionConfig("CLOUD", sandbox.url, {"apiKey": DEMO_API_KEY}))
    try:
        with pytest.raises(SystemRejected) as rejected:
            await connector.list_page("WorkOrder", ListQuery(), "not-a-cursor", 10)
        assert rejected.value.message.endswith("Invalid cursor")
        with pytest.raises(SystemRejected, match="cannot expand"):
            await connector.call("GET", "/assets", params={"expand": "gizmo"})
    finally:
        await connector.aclose()
    keyless = MaintainXConnector(ConnectionConfig("CLOUD", sandbox.url, {"apiKey": "  "}))
    try:
        with pytest.raises(SystemAuthFailed):
            await keyless.check()
    finally:
        await keyless.aclose()
