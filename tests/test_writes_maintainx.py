"""Writes to MaintainX through the gateway's GraphQL, against a sandbox of this module's own over HTTP.

Counts and stored records are checked in the sandbox itself, so each test sees
what MaintainX would have kept, not only what the gateway answered.
"""

from __future__ import annotations

import httpx
import pytest

from sandboxes.data import parse_ms
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.maintainx.app import DEMO_API_KEY, create_app
from tests.helpers import data
from tests.write_helpers import adjust, connection_of, create, delete, error, module_sandbox, read, record, update

sandbox = module_sandbox(create_app)


@pytest.fixture(scope="module")
def token(sqlite_gateway, sandbox) -> str:
    admin = sqlite_gateway.new_org()
    return connection_of(sqlite_gateway, admin, sandbox.url, "maintainx", "CLOUD", {"apiKey": DEMO_API_KEY})[1]


def rows(sandbox: ServerThread, resource: str) -> list[dict]:
    return sandbox.app.state.data.records(resource)


def stored(sandbox: ServerThread, resource: str, remote_id: str) -> dict | None:
    return sandbox.app.state.data.get(resource, int(remote_id))


def test_create_work_order_is_stored_and_visible_in_a_live_read(sqlite_gateway, token, sandbox):
    asset = rows(sandbox, "assets")[3]
    tech = next(u for u in rows(sandbox, "users") if u["role"] == "TECHNICIAN")
    before = len(rows(sandbox, "workorders"))
    made = record(
        create(
            sqlite_gateway,
            token,
            "WorkOrder",
            {
                "title": "Replace seal on filler",
                "description": "Leaking at the bowl",
                "priority": "HIGH",
                "type": "PREVENTIVE",
                "dueDate": "2026-12-01T08:00:00Z",
                "asset": str(asset["id"]),
                "location": str(asset["locationId"]),
                "assignees": [str(tech["id"])],
            },
            "title status priority type number dueDate updatedAt asset { remoteId } assignees { remoteId }",
        ),
        "createWorkOrder",
    )
    assert len(rows(sandbox, "workorders")) == before + 1
    kept = stored(sandbox, "workorders", made["remoteId"])
    assert kept["title"] == "Replace seal on filler" and kept["priority"] == "HIGH"
    assert kept["assetId"] == asset["id"] and kept["assignees"] == [{"type": "USER", "id": tech["id"]}]
    assert kept["categories"] == ["Preventive"] and kept["dueDate"] == "2026-12-01T08:00:00.000Z"
    assert (made["status"], made["type"], made["asset"]["remoteId"]) == ("OPEN", "PREVENTIVE", str(asset["id"]))
    assert made["number"] == str(kept["sequentialId"]) and made["remoteVersion"] == made["updatedAt"]
    live = read(sqlite_gateway, token, "WorkOrder", made["id"], "title priority assignees { remoteId }")
    assert live["title"] == "Replace seal on filler" and live["assignees"] == [{"remoteId": str(tech["id"])}]


def test_a_create_retried_with_the_same_key_leaves_one_record(sqlite_gateway, token, sandbox):
    before = len(rows(sandbox, "workorders"))
    first = create(sqlite_gateway, token, "WorkOrder", {"title": "Retried create"}, "title", key="mx-retry-1")
    again = create(sqlite_gateway, token, "WorkOrder", {"title": "Retried create"}, "title", key="mx-retry-1")
    assert data(first)["createWorkOrder"]["replayed"] is False
    assert data(again)["createWorkOrder"]["replayed"] is True
    assert record(again, "createWorkOrder")["remoteId"] == record(first, "createWorkOrder")["remoteId"]
    assert len(rows(sandbox, "workorders")) == before + 1
    assert sum(r["title"] == "Retried create" for r in rows(sandbox, "workorders")) == 1


def test_update_with_the_current_version_and_a_conflict_on_a_stale_one(sqlite_gateway, token, sandbox):
    order = next(r for r in rows(sandbox, "workorders") if r["status"] == "OPEN")
    gid = data(
        sqlite_gateway.gql(
            token, "query($r: String) { workOrder(remoteId: $r) { id remoteVersion } }", {"r": str(order["id"])}
        )
    )["workOrder"]
    done = record(
        update(
            sqlite_gateway,
            token,
            "WorkOrder",
            gid["id"],
            {"status": "COMPLETED"},
            "status completedAt",
            if_match=gid["remoteVersion"],
        ),
        "updateWorkOrder",
    )
    assert done["status"] == "COMPLETED" and done["completedAt"] and done["remoteVersion"] != gid["remoteVersion"]
    assert stored(sandbox, "workorders", str(order["id"]))["status"] == "DONE"

    httpx.post(
        f"{sandbox.url}/__sandbox/touch", json={"resource": "workorders", "ids": [order["id"]]}
    ).raise_for_status()
    stale = error(
        update(sqlite_gateway, token, "WorkOrder", gid["id"], {"title": "Lost update"}, if_match=done["remoteVersion"])
    )
    assert stale["code"] == "SYSTEM_REJECTED" and stale["reason"] == "CONFLICT"
    assert parse_ms(stale["currentVersion"]) == parse_ms(stored(sandbox, "workorders", str(order["id"]))["updatedAt"])
    assert stored(sandbox, "workorders", str(order["id"]))["title"] == order["title"]


def test_the_systems_validation_error_is_system_rejected_with_its_message(sqlite_gateway, token, sandbox):
    before = len(rows(sandbox, "workorders"))
    refused = error(create(sqlite_gateway, token, "WorkOrder", {"title": "On a ghost asset", "asset": "1"}))
    assert refused["code"] == "SYSTEM_REJECTED"
    assert "'assetId' refers to an unknown assets record 1" in refused["message"]
    assert len(rows(sandbox, "workorders")) == before


@pytest.mark.parametrize(
    "values, message",
    [
        ({"title": "x", "startedAt": "2026-01-01T00:00:00Z"}, "MaintainX cannot write WorkOrder.startedAt"),
        ({"title": "x", "asset": "A-12"}, "MaintainX ids are integers"),
        ({"title": "x", "priority": "URGENT"}, "no value for URGENT"),
        ({"description": "no title"}, "include required field 'title'"),
    ],
)
def test_input_is_refused_before_any_upstream_call(sqlite_gateway, token, sandbox, values, message):
    control = SandboxControl(sandbox.url)
    control.clear_requests()
    refused = error(create(sqlite_gateway, token, "WorkOrder", values))
    assert refused["code"] == "BAD_USER_INPUT" and message in refused["message"]
    assert control.requests() == []


def test_writes_maintainx_does_not_offer_are_unsupported(sqlite_gateway, token, sandbox):
    part = rows(sandbox, "parts")[0]
    request = rows(sandbox, "workrequests")[0]
    po = rows(sandbox, "purchaseorders")[0]
    for answer, operation in (
        (adjust(sqlite_gateway, token, str(part["id"]), 5), "adjustPart"),
        (
            update(sqlite_gateway, token, "MaintenanceRequest", str(request["id"]), {"title": "x"}),
            "updateMaintenanceRequest",
        ),
        (delete(sqlite_gateway, token, "PurchaseOrder", str(po["id"])), "deletePurchaseOrder"),
    ):
        refused = error(answer)
        assert refused["code"] == "UNSUPPORTED_OPERATION" and "MaintainX does not support" in refused["message"]
        assert operation in refused["message"]  # the schema has no such mutation; validation names the system


def test_maintenance_request_create(sqlite_gateway, token, sandbox):
    asset = rows(sandbox, "assets")[10]
    made = record(
        create(
            sqlite_gateway,
            token,
            "MaintenanceRequest",
            {
                "title": "Guard loose on conveyor",
                "priority": "LOW",
                "asset": str(asset["id"]),
            },
            "title status priority asset { remoteId }",
        ),
        "createMaintenanceRequest",
    )
    assert (made["status"], made["priority"], made["asset"]["remoteId"]) == ("OPEN", "LOW", str(asset["id"]))
    assert stored(sandbox, "workrequests", made["remoteId"])["status"] == "PENDING"


def test_asset_create_update_delete(sqlite_gateway, token, sandbox):
    location = rows(sandbox, "locations")[5]
    made = record(
        create(
            sqlite_gateway,
            token,
            "Asset",
            {
                "name": "Spiral Freezer SF-1",
                "code": "0099887766",
                "status": "OPERATIONAL",
                "category": "Refrigeration",
                "manufacturer": "JBT",
                "location": str(location["id"]),
            },
            "name code status category location { remoteId }",
        ),
        "createAsset",
    )
    assert (made["status"], made["category"], made["location"]["remoteId"]) == (
        "OPERATIONAL",
        "Refrigeration",
        str(location["id"]),
    )
    changed = record(update(sqlite_gateway, token, "Asset", made["id"], {"status": "DOWN"}, "status"), "updateAsset")
    assert changed["status"] == "DOWN" and stored(sandbox, "assets", made["remoteId"])["status"] == "OFFLINE"
    gone = data(delete(sqlite_gateway, token, "Asset", made["id"], if_match=changed["remoteVersion"]))["deleteAsset"]
    assert gone["deleted"] and gone["remoteId"] == made["remoteId"]
    assert stored(sandbox, "assets", made["remoteId"]) is None
    assert read(sqlite_gateway, token, "Asset", made["id"], "name") is None


def test_vendor_create_update_delete(sqlite_gateway, token, sandbox):
    made = record(
        create(sqlite_gateway, token, "Vendor", {"name": "Dairyland Gaskets", "email": "hi@dg.example"}, "name email"),
        "createVendor",
    )
    changed = record(
        update(sqlite_gateway, token, "Vendor", made["id"], {"phone": "+1-555-300-1000"}, "phone"), "updateVendor"
    )
    assert changed["phone"] == stored(sandbox, "vendors", made["remoteId"])["phoneNumber"] == "+1-555-300-1000"
    before = len(rows(sandbox, "vendors"))
    data(delete(sqlite_gateway, token, "Vendor", made["id"]))
    assert len(rows(sandbox, "vendors")) == before - 1
    missing = error(delete(sqlite_gateway, token, "Vendor", made["id"]))
    assert missing["code"] == "NOT_FOUND"


def test_purchase_order_with_lines_in_one_request(sqlite_gateway, token, sandbox):
    vendor = rows(sandbox, "vendors")[2]
    parts = rows(sandbox, "parts")[:2]
    before = len(rows(sandbox, "purchaseorders"))
    made = record(
        create(
            sqlite_gateway,
            token,
            "PurchaseOrder",
            {
                "vendor": str(vendor["id"]),
                "expectedDate": "2026-12-15T00:00:00Z",
                "lines": [
                    {"part": str(p["id"]), "quantity": 4, "unitPrice": 12.5, "description": p["name"]} for p in parts
                ],
            },
            "number status totalAmount vendor { remoteId } lines { lineNumber part { remoteId } quantity unitPrice amount }",
        ),
        "createPurchaseOrder",
    )
    assert len(rows(sandbox, "purchaseorders")) == before + 1
    assert made["status"] == "SUBMITTED" and made["totalAmount"] == 100.0
    assert [line["part"]["remoteId"] for line in made["lines"]] == [str(p["id"]) for p in parts]
    kept = stored(sandbox, "purchaseorders", made["remoteId"])
    assert [i["partId"] for i in kept["items"]] == [p["id"] for p in parts] and kept["number"] == made["number"]

    approved = record(
        update(sqlite_gateway, token, "PurchaseOrder", made["id"], {"status": "APPROVED"}, "status"),
        "updatePurchaseOrder",
    )
    assert approved["status"] == "APPROVED"

    bad_line = error(
        create(
            sqlite_gateway,
            token,
            "PurchaseOrder",
            {
                "vendor": str(vendor["id"]),
                "lines": [{"part": str(parts[0]["id"]), "quantity": 0, "unitPrice": 1}],
            },
        )
    )
    assert bad_line["code"] == "SYSTEM_REJECTED" and "items[1].quantity" in bad_line["message"]
    assert len(rows(sandbox, "purchaseorders")) == before + 1


def test_delete_work_order_and_the_live_read_is_null(sqlite_gateway, token, sandbox):
    made = record(create(sqlite_gateway, token, "WorkOrder", {"title": "Short-lived"}), "createWorkOrder")
    data(delete(sqlite_gateway, token, "WorkOrder", made["id"]))
    assert stored(sandbox, "workorders", made["remoteId"]) is None
    assert read(sqlite_gateway, token, "WorkOrder", made["id"], "title") is None


def test_a_create_answered_with_the_id_alone_is_read_back(sqlite_gateway, token, sandbox):
    """MaintainX answers `POST /workorders` with `{"id": ...}` (docs/vendors/maintainx.md): the
    gateway reads the record back, so the mutation returns what MaintainX holds (number, status)."""
    with httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {DEMO_API_KEY}"}) as client:
        raw = client.post("/v1/workorders", json={"title": "Wire check"})
    assert raw.status_code == 201 and set(raw.json()) == {"id"}
    made = record(
        create(sqlite_gateway, token, "WorkOrder", {"title": "Tighten guard"}, "title number status"), "createWorkOrder"
    )
    kept = stored(sandbox, "workorders", made["remoteId"])
    assert (made["title"], made["number"], made["status"]) == ("Tighten guard", str(kept["sequentialId"]), "OPEN")
    assert made["remoteVersion"]


def test_a_work_request_can_be_deleted(sqlite_gateway, token, sandbox):
    """MaintainX documents `DELETE /workrequests/{id}` (docs/vendors/maintainx.md)."""
    made = record(
        create(sqlite_gateway, token, "MaintenanceRequest", {"title": "Leak by door"}), "createMaintenanceRequest"
    )
    gone = data(delete(sqlite_gateway, token, "MaintenanceRequest", made["id"]))["deleteMaintenanceRequest"]
    assert gone["deleted"] and stored(sandbox, "workrequests", made["remoteId"]) is None
