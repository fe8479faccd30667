"""Each Limble entity maps to the unified model, read live through the gateway from the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from connectors.base import ConnectionConfig, ListQuery
from connectors.limble.connector import LimbleConnector
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.limble.app import SANDBOX, create_app
from tests.conftest import CREATE_CONNECTION
from tests.helpers import data, page_all, type_fields

PRIORITY = {0: "LOW", 1: "MEDIUM", 2: "HIGH", 3: "URGENT"}


def ts(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def epoch(value: int) -> datetime | None:
    """Limble's epoch seconds; 0 is no date."""
    return datetime.fromtimestamp(value, UTC) if value else None


def ref(node: dict | None) -> int:
    """A related record's id as Limble writes it (0: none)."""
    return 0 if node is None else int(node["remoteId"])


def by_remote_id(nodes: list[dict]) -> dict[int, dict]:
    return {int(n["remoteId"]): n for n in nodes}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ServerThread]:
    with ServerThread(create_app()) as server:
        yield server


@pytest.fixture
def dataset(sandbox):
    return sandbox.app.state.data


@pytest.fixture
def token(sqlite_gateway, admin_key, sandbox) -> str:
    connection = {
        "system": "limble",
        "name": "Packaging",
        "instanceUrl": sandbox.url,
        "credentials": SANDBOX.credentials,
    }
    return data(sqlite_gateway.gql(admin_key, CREATE_CONNECTION, {"input": connection}))["createConnection"]["token"]


TASK_FIELDS = """
    remoteId displayValue title description status statusRaw priority priorityRaw createdAt updatedAt deletedAt
    remoteData asset { remoteId } location { remoteId }
"""


def assert_task(n: dict, r: dict) -> None:
    assert (n["title"], n["description"]) == (r["name"], r["description"])
    assert (n["priority"], n["priorityRaw"]) == (PRIORITY[r["priority"]], str(r["priority"]))
    assert n["statusRaw"] == str(r["statusID"])
    assert (ref(n["asset"]), ref(n["location"])) == (r["assetID"], r["locationID"])
    assert (ts(n["createdAt"]), ts(n["updatedAt"])) == (epoch(r["createdDate"]), epoch(r["lastEdited"]))
    assert n["remoteData"] == r and n["deletedAt"] is None


def test_work_orders_are_the_tasks_of_work_order_types(sqlite_gateway, token, dataset):
    fields = TASK_FIELDS + "number type typeRaw dueDate completedAt assignees { remoteId }"
    nodes = by_remote_id(page_all(sqlite_gateway, token, "workOrders", fields))
    raw = [t for t in dataset.records("tasks") if t["type"] in (1, 2, 4)]
    assert len(nodes) == len(raw) > 200
    status = {0: "OPEN", 1: "IN_PROGRESS", 2: "COMPLETED"}
    kind = {1: "PREVENTIVE", 2: "CORRECTIVE", 4: "OTHER"}
    for r in raw:
        n = nodes[r["taskID"]]
        assert_task(n, r)
        assert (n["number"], n["displayValue"]) == (str(r["taskID"]), f"{r['taskID']} {r['name']}")
        assert n["status"] == status.get(r["statusID"])  # a status the account added: null, raw kept
        assert (n["type"], n["typeRaw"]) == (kind[r["type"]], str(r["type"]))
        assert (ts(n["dueDate"]), ts(n["completedAt"])) == (epoch(r["due"]), epoch(r["dateCompleted"]))
        assert [int(a["remoteId"]) for a in n["assignees"]] == ([r["userID"]] if r["userID"] else [])
    assert {n["status"] for n in nodes.values()} == {"OPEN", "IN_PROGRESS", "COMPLETED", None}
    assert not {"startedAt", "estimatedHours"} & type_fields(sqlite_gateway, token, "WorkOrder")  # tasks do not say


def test_work_requests_are_the_tasks_of_type_6(sqlite_gateway, token, dataset):
    nodes = by_remote_id(page_all(sqlite_gateway, token, "maintenanceRequests", TASK_FIELDS))
    raw = [t for t in dataset.records("tasks") if t["type"] == 6]
    assert len(nodes) == len(raw) > 50
    for r in raw:
        n = nodes[r["taskID"]]
        assert_task(n, r)
        assert n["displayValue"] == r["name"]
        assert n["status"] == {0: "OPEN", 1: "APPROVED", 2: "CLOSED"}.get(r["statusID"])


def test_assets_and_locations(sqlite_gateway, token, dataset):
    fields = "remoteId name location { remoteId } parent { remoteId } createdAt updatedAt remoteData"
    assets = by_remote_id(page_all(sqlite_gateway, token, "assets", fields))
    assert len(assets) == dataset.count("assets")
    for r in dataset.records("assets"):
        n = assets[r["assetID"]]
        assert (n["name"], ref(n["location"]), ref(n["parent"])) == (r["name"], r["locationID"], r["parentAssetID"])
        assert (ts(n["createdAt"]), ts(n["updatedAt"])) == (epoch(r["startedOn"]), epoch(r["lastEdited"]))
        assert n["remoteData"] == r
    assert "status" not in type_fields(sqlite_gateway, token, "Asset")
    locations = by_remote_id(page_all(sqlite_gateway, token, "locations", "remoteId name address"))
    assert not {"type", "updatedAt"} & type_fields(sqlite_gateway, token, "Location")
    for r in dataset.records("locations"):
        n = locations[r["locationID"]]
        assert (n["name"], n["address"]) == (r["name"], r["address"])


def test_parts_vendors_and_users(sqlite_gateway, token, dataset):
    fields = "remoteId partNumber name unitCost quantityOnHand minimumQuantity"
    fields += " stockLevels { quantity location { remoteId } }"
    parts = by_remote_id(page_all(sqlite_gateway, token, "parts", fields))
    for r in dataset.records("parts"):
        n = parts[r["partID"]]
        assert (n["partNumber"], n["name"], n["unitCost"]) == (r["number"], r["name"], r["price"])
        assert (n["quantityOnHand"], n["minimumQuantity"]) == (r["quantity"], r["minThreshold"])
        assert n["stockLevels"] == [{"quantity": r["quantity"], "location": {"remoteId": str(r["locationID"])}}]
    vendors = by_remote_id(page_all(sqlite_gateway, token, "vendors", "remoteId name email phone address"))
    for r in dataset.records("vendors"):
        n = vendors[r["vendorID"]]
        assert (n["name"], n["email"], n["phone"], n["address"]) == (r["name"], r["email"], r["phone"], r["address"])
    users = by_remote_id(page_all(sqlite_gateway, token, "users", "remoteId displayValue name email"))
    for r in dataset.records("users"):
        n = users[r["userID"]]
        assert (n["name"], n["email"], n["displayValue"]) == (
            f"{r['firstName']} {r['lastName']}",
            r["email"],
            r["email"],
        )


def test_purchase_orders_and_their_lines(sqlite_gateway, token, dataset):
    fields = """remoteId number status statusRaw orderDate expectedDate totalAmount vendor { remoteId }
        shipTo { remoteId } lines { lineNumber quantity unitPrice amount receivedQuantity part { remoteId } }"""
    orders = by_remote_id(page_all(sqlite_gateway, token, "purchaseOrders", fields))
    states = {0: "DRAFT", 1: "SUBMITTED", 2: "APPROVED", 3: "PARTIALLY_RECEIVED", 4: "RECEIVED", 5: "CLOSED"}
    for r in dataset.records("purchase-orders"):
        n = orders[r["poID"]]
        assert (n["number"], n["status"], n["statusRaw"]) == (str(r["number"]), states[r["state"]], str(r["state"]))
        assert (ts(n["orderDate"]), ts(n["expectedDate"])) == (epoch(r["date"]), epoch(r["expectedDate"]))
        assert (ref(n["vendor"]), ref(n["shipTo"])) == (r["vendorID"], r["locationID"])
        assert n["totalAmount"] == round(sum(i["qty"] * i["rate"] for i in r["items"]), 2)
        for number, (line, item) in enumerate(zip(n["lines"], r["items"], strict=True), 1):
            assert line["lineNumber"] == number and ref(line["part"]) == item["partID"]
            assert (line["quantity"], line["unitPrice"]) == (item["qty"], item["rate"])
            assert (line["amount"], line["receivedQuantity"]) == (
                round(item["qty"] * item["rate"], 2),
                item["received"],
            )


def test_a_task_written_through_the_gateway_is_what_limble_holds(sqlite_gateway, token, dataset, sandbox):
    """A create with a status is two calls (Limble refuses `statusID` on create); dates go as epoch seconds."""
    control = SandboxControl(sandbox.url)
    control.clear_requests()
    answer = sqlite_gateway.gql(
        token,
        """mutation($i: WorkOrderCreateInput!) { createWorkOrder(input: $i) { record { remoteId status dueDate } } }""",
        {"i": {"title": "Fix gate", "location": "7001", "status": "IN_PROGRESS", "dueDate": "2026-12-01T10:00:00Z"}},
    )
    made = data(answer)["createWorkOrder"]["record"]
    stored = dataset.get("tasks", int(made["remoteId"]))
    assert (stored["name"], stored["locationID"], stored["type"], stored["statusID"]) == ("Fix gate", 7001, 2, 1)
    assert stored["due"] == int(datetime(2026, 12, 1, 10, tzinfo=UTC).timestamp())
    assert made["status"] == "IN_PROGRESS" and ts(made["dueDate"]) == epoch(stored["due"])
    assert [(c["method"], c["path"]) for c in control.requests()] == [
        ("POST", "/v2/tasks"),
        ("PATCH", f"/v2/tasks/{made['remoteId']}"),
    ]


async def test_a_cursor_is_a_position_so_the_page_size_may_change_between_pages(sandbox, dataset):
    connector = LimbleConnector(ConnectionConfig("CLOUD", sandbox.url, dict(SANDBOX.credentials)))
    try:
        seen, cursor = [], None
        for size in (10, 25, 7, 200, 200, 200):
            page = await connector.list_page("Asset", ListQuery(), cursor, size)
            assert len(page.records) <= size
            seen += [int(r.remote_id) for r in page.records]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == [r["assetID"] for r in dataset.records("assets")]
    finally:
        await connector.aclose()
