"""Each UpKeep entity maps to the unified model, read live over real HTTP from the sandbox."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.helpers import ENTITY_RESOURCES, data, error_code, page_all, type_fields


def ts(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture
def dataset(upkeep_sandbox):
    return upkeep_sandbox.app.state.data


def by_remote_id(nodes):
    return {n["remoteId"]: n for n in nodes}


def test_work_orders(sqlite_gateway, connection_token, dataset):
    nodes = by_remote_id(
        page_all(
            sqlite_gateway,
            connection_token,
            "workOrders",
            """
        remoteId displayValue number title description status statusRaw priority priorityRaw
        type typeRaw dueDate completedAt estimatedHours actualHours createdAt updatedAt deletedAt
        remoteData asset { remoteId } location { remoteId } requestedBy { remoteId } assignees { remoteId }
    """,
        )
    )
    raw = dataset.records("work-orders")
    assert len(nodes) == len(raw) == 620
    status = {"open": "OPEN", "inProgress": "IN_PROGRESS", "onHold": "ON_HOLD", "complete": "COMPLETED"}
    priority = {0: "NONE", 1: "LOW", 2: "MEDIUM", 3: "HIGH"}
    for r in raw:
        n = nodes[r["id"]]
        assert n["number"] == r["workOrderNo"] and n["title"] == r["title"]
        assert n["displayValue"] == f"{r['workOrderNo']} {r['title']}"
        assert (n["status"], n["statusRaw"]) == (status[r["status"]], r["status"])
        assert (n["priority"], n["priorityRaw"]) == (priority[r["priority"]], str(r["priority"]))
        assert n["typeRaw"] == r["category"]
        assert n["type"] in {"CORRECTIVE", "PREVENTIVE", "INSPECTION", "EMERGENCY", "OTHER"}
        assert ts(n["dueDate"]) == ts(r["dueDate"]) and ts(n["completedAt"]) == ts(r["dateCompleted"])
        assert ts(n["createdAt"]) == ts(r["createdAt"]) and ts(n["updatedAt"]) == ts(r["updatedAt"])
        assert n["estimatedHours"] == r["estimatedTime"] and n["actualHours"] == r["time"]
        assert (n["asset"] or {}).get("remoteId") == r["asset"]
        assert (n["location"] or {}).get("remoteId") == r["location"]
        assert (n["requestedBy"] or {}).get("remoteId") == r["requestedByUser"]
        expected_assignees = [u for u in [r["assignedToUser"], *r["additionalUsers"]] if u]
        assert [a["remoteId"] for a in n["assignees"]] == expected_assignees
        assert n["remoteData"] == r and n["deletedAt"] is None
    assert {n["type"] for n in nodes.values()} >= {"PREVENTIVE", "CORRECTIVE", "INSPECTION"}


def test_assets_and_locations(sqlite_gateway, connection_token, dataset):
    assets = by_remote_id(
        page_all(
            sqlite_gateway,
            connection_token,
            "assets",
            """
        remoteId name code description status statusRaw criticality category manufacturer model
        serialNumber location { remoteId } parent { remoteId } remoteData
    """,
        )
    )
    status = {"active": "OPERATIONAL", "inactive": "DOWN", "maintenance": "IN_REPAIR", "retired": "RETIRED"}
    for r in dataset.records("assets"):
        n = assets[r["id"]]
        assert (n["name"], n["code"], n["serialNumber"]) == (r["name"], r["barcode"], r["serial"])
        assert (n["manufacturer"], n["model"], n["category"]) == (r["make"], r["model"], r["category"])
        assert (n["status"], n["statusRaw"]) == (status[r["status"]], r["status"])
        assert n["criticality"] == r["criticality"]
        assert n["location"]["remoteId"] == r["location"]
        assert (n["parent"] or {}).get("remoteId") == r["parentAsset"]
    assert len(assets) == 220

    locations = by_remote_id(
        page_all(sqlite_gateway, connection_token, "locations", "remoteId name address parent { remoteId name }")
    )
    for r in dataset.records("locations"):
        n = locations[r["id"]]
        assert (n["name"], n["address"]) == (r["name"], r["address"])
        assert (n["parent"] or {}).get("remoteId") == r["parentLocation"]
    assert not {"type", "typeRaw"} & type_fields(sqlite_gateway, connection_token, "Location")  # UpKeep has none
    roots = [n for n in locations.values() if n["parent"] is None]
    assert len(roots) == 4 and len(locations) == 40


def test_parts_vendors_users(sqlite_gateway, connection_token, dataset):
    parts = by_remote_id(
        page_all(
            sqlite_gateway,
            connection_token,
            "parts",
            """
        remoteId partNumber name description unitOfMeasure unitCost quantityOnHand minimumQuantity
        stockLevels { quantity location { remoteId } } vendors { remoteId name }
    """,
        )
    )
    for r in dataset.records("parts"):
        n = parts[r["id"]]
        assert (n["partNumber"], n["name"], n["unitOfMeasure"]) == (r["partNumber"], r["name"], r["unit"])
        assert n["unitCost"] == r["cost"] and n["quantityOnHand"] == r["quantity"]
        assert n["minimumQuantity"] == r["minimumQuantity"]
        assert n["stockLevels"] == [
            {"quantity": r["quantity"], "location": {"remoteId": r["location"]} if r["location"] else None}
        ]
        assert [v["remoteId"] for v in n["vendors"]] == r["vendors"]

    vendors = by_remote_id(
        page_all(sqlite_gateway, connection_token, "vendors", "remoteId name email phone address website")
    )
    for r in dataset.records("vendors"):
        n = vendors[r["id"]]
        assert (n["name"], n["email"], n["phone"]) == (r["businessName"], r["email"], r["phoneNumber"])
        assert (n["address"], n["website"]) == (r["address"], r["website"])
    assert "active" not in type_fields(sqlite_gateway, connection_token, "Vendor")

    users = by_remote_id(page_all(sqlite_gateway, connection_token, "users", "remoteId name email role active"))
    for r in dataset.records("users"):
        n = users[r["id"]]
        assert n["name"] == f"{r['firstName']} {r['lastName']}"
        assert (n["email"], n["role"], n["active"]) == (r["email"], r["role"], r["active"])


def test_purchase_orders_and_requests(sqlite_gateway, connection_token, dataset):
    orders = by_remote_id(
        page_all(
            sqlite_gateway,
            connection_token,
            "purchaseOrders",
            """
        remoteId number status statusRaw orderDate expectedDate currency totalAmount
        vendor { remoteId } shipTo { remoteId }
        lines { lineNumber quantity unitPrice amount receivedQuantity part { remoteId } }
    """,
        )
    )
    for r in dataset.records("purchase-orders"):
        n = orders[r["id"]]
        assert n["number"] == r["purchaseOrderNumber"] and n["statusRaw"] == r["status"]
        assert n["vendor"]["remoteId"] == r["vendor"] and n["currency"] == r["currency"]
        assert (n["shipTo"] or {}).get("remoteId") == r["shipToLocation"]
        assert ts(n["expectedDate"]) == ts(r["dueDate"])
        assert len(n["lines"]) == len(r["partsOrdered"])
        for number, (line, raw_line) in enumerate(zip(n["lines"], r["partsOrdered"]), start=1):
            assert line["lineNumber"] == number and line["part"]["remoteId"] == raw_line["part"]
            assert line["quantity"] == raw_line["quantity"] and line["unitPrice"] == raw_line["price"]
            assert line["receivedQuantity"] == raw_line["quantityReceived"]
        assert n["totalAmount"] == pytest.approx(sum(line["amount"] for line in n["lines"]), abs=0.01)

    requests = by_remote_id(
        page_all(
            sqlite_gateway,
            connection_token,
            "maintenanceRequests",
            """
        remoteId title status statusRaw priority asset { remoteId } requestedBy { remoteId } workOrder { remoteId }
    """,
        )
    )
    status = {"pending": "OPEN", "approved": "APPROVED", "declined": "REJECTED"}
    for r in dataset.records("requests"):
        n = requests[r["id"]]
        assert (n["status"], n["statusRaw"]) == (status[r["status"]], r["status"])
        assert (n["workOrder"] or {}).get("remoteId") == r["workOrder"]
        assert n["requestedBy"]["remoteId"] == r["requestedByUser"]


def test_unsupported_entity_says_so(sqlite_gateway, connection_token):
    result = sqlite_gateway.gql(connection_token, "{ maintenanceSchedules { nodes { id } } }")
    assert error_code(result) == "UNSUPPORTED_OPERATION"
    assert "UpKeep" in result["errors"][0]["message"]


def test_capabilities_match_mapped_entities(sqlite_gateway, admin_key):
    system = data(sqlite_gateway.gql(admin_key, '{ system(key: "upkeep") { capabilities { entity read } } }'))["system"]
    declared = {c["entity"] for c in system["capabilities"] if c["read"]}
    assert declared == {
        "WorkOrder",
        "MaintenanceRequest",
        "Asset",
        "Location",
        "Part",
        "Vendor",
        "PurchaseOrder",
        "User",
    }
    assert len(ENTITY_RESOURCES) == len(declared)
