"""Writes to IBM Maximo through the gateway's GraphQL, against a sandbox of this module's own over HTTP.

What Maximo kept is read back from the sandbox's tables; the sandbox's request
log shows which calls reached it (e.g. that a stale rowstamp was refused by
Maximo itself, with its 412).
"""

from __future__ import annotations

from collections import Counter
import httpx
import pytest

from connectors.maximo.sandbox import DEMO_API_KEY, create_app
from connectors.sandboxkit import SandboxControl, ServerThread
from tests.helpers import data, page_all
from tests.write_helpers import adjust, connection_of, create, delete, error, module_sandbox, read, record, update

WO = "/maximo/api/os/mxapiwodetail"


sandbox = module_sandbox(create_app)


@pytest.fixture(scope="module")
def token(sqlite_gateway, sandbox) -> str:
    admin = sqlite_gateway.new_org()
    return connection_of(sqlite_gateway, admin, sandbox.url, "maximo", "ON_PREMISES", {"apiKey": DEMO_API_KEY})[1]


def rows(sandbox: ServerThread, structure: str) -> list[dict]:
    return sandbox.app.state.data.records(structure)


def stored(sandbox: ServerThread, structure: str, key: str, value: str) -> dict | None:
    return next((r for r in rows(sandbox, structure) if r.get(key) == value), None)


def gid(gateway, token: str, field: str, remote_id: str) -> dict:
    return data(gateway.gql(token, f"query($r: String) {{ {field}(remoteId: $r) {{ id remoteVersion }} }}",
                            {"r": remote_id}))[field]


def test_create_work_order_is_stored_and_visible_in_a_live_read(sqlite_gateway, token, sandbox):
    asset = rows(sandbox, "mxapiasset")[4]
    lead, owner = (p["personid"] for p in rows(sandbox, "mxapiperson")[:2])
    before = len(rows(sandbox, "mxapiwodetail"))
    made = record(create(sqlite_gateway, token, "WorkOrder", {
        "title": "Pump seal leaking", "description": "Found during rounds", "priority": "URGENT",
        "type": "CORRECTIVE", "asset": asset["assetnum"], "location": asset["location"], "requestedBy": lead,
        "assignees": [lead, owner], "dueDate": "2026-12-01T15:00:00Z", "estimatedHours": 2.5,
    }, "number title status statusRaw priority type dueDate asset { remoteId } assignees { remoteId }"),
        "createWorkOrder")
    assert len(rows(sandbox, "mxapiwodetail")) == before + 1
    kept = stored(sandbox, "mxapiwodetail", "wonum", made["remoteId"])
    assert (kept["description"], kept["description_longdescription"]) == ("Pump seal leaking", "Found during rounds")
    assert (kept["wopriority"], kept["worktype"], kept["status"]) == (1, "CM", "WAPPR")
    assert (kept["lead"], kept["owner"], kept["siteid"]) == (lead, owner, "BEDFORD")
    assert kept["targcompdate"] == "2026-12-01T10:00:00-05:00"  # kept in the server's time zone
    assert (made["status"], made["statusRaw"], made["priority"], made["type"]) == ("OPEN", "WAPPR", "URGENT", "CORRECTIVE")
    assert made["remoteVersion"] == kept["_rowstamp"] and made["number"] == kept["wonum"]
    assert made["dueDate"] == "2026-12-01T15:00:00+00:00"
    live = read(sqlite_gateway, token, "WorkOrder", made["id"], "title asset { remoteId }")
    assert live["title"] == "Pump seal leaking" and live["asset"]["remoteId"] == asset["assetnum"]


def test_a_create_retried_with_the_same_key_leaves_one_record(sqlite_gateway, token, sandbox):
    before = len(rows(sandbox, "mxapiwodetail"))
    first = create(sqlite_gateway, token, "WorkOrder", {"title": "Retried in Maximo"}, key="maximo-retry-1")
    again = create(sqlite_gateway, token, "WorkOrder", {"title": "Retried in Maximo"}, key="maximo-retry-1")
    assert (data(first)["createWorkOrder"]["replayed"], data(again)["createWorkOrder"]["replayed"]) == (False, True)
    assert record(first, "createWorkOrder")["remoteId"] == record(again, "createWorkOrder")["remoteId"]
    assert len(rows(sandbox, "mxapiwodetail")) == before + 1
    assert sum(r["description"] == "Retried in Maximo" for r in rows(sandbox, "mxapiwodetail")) == 1


def test_update_sends_the_rowstamp_and_maximo_refuses_a_stale_one(sqlite_gateway, token, sandbox):
    order = next(r for r in rows(sandbox, "mxapiwodetail") if r["status"] == "APPR")
    current = gid(sqlite_gateway, token, "workOrder", order["wonum"])
    assert current["remoteVersion"] == order["_rowstamp"]
    started = record(update(sqlite_gateway, token, "WorkOrder", current["id"], {"status": "IN_PROGRESS"},
                            "status statusRaw", if_match=current["remoteVersion"]), "updateWorkOrder")
    kept = stored(sandbox, "mxapiwodetail", "wonum", order["wonum"])
    assert started["statusRaw"] == kept["status"] == "INPRG" and started["remoteVersion"] == kept["_rowstamp"]
    assert kept["_rowstamp"] != order["_rowstamp"]

    httpx.post(f"{sandbox.url}/__sandbox/touch", json={"resource": "mxapiwodetail", "ids": [order["wonum"]]}).raise_for_status()
    control = SandboxControl(sandbox.url)
    control.clear_requests()
    stale = error(update(sqlite_gateway, token, "WorkOrder", current["id"], {"title": "Lost update"},
                         if_match=started["remoteVersion"]))
    assert stale["code"] == "SYSTEM_REJECTED" and stale["reason"] == "CONFLICT"
    now = stored(sandbox, "mxapiwodetail", "wonum", order["wonum"])
    assert stale["currentVersion"] == now["_rowstamp"] and now["description"] == order["description"]
    assert any(r["method"] == "POST" and r["path"].startswith(f"{WO}/_") for r in control.requests())


def test_maximos_validation_errors_are_system_rejected_with_its_message(sqlite_gateway, token, sandbox):
    before = len(rows(sandbox, "mxapiwodetail"))
    refused = error(create(sqlite_gateway, token, "WorkOrder", {"title": "On a ghost", "asset": "NOPE-1"}))
    assert refused["code"] == "SYSTEM_REJECTED" and "BMXAA4190E" in refused["message"]
    assert "WORKORDER.ASSETNUM" in refused["message"] and len(rows(sandbox, "mxapiwodetail")) == before
    duplicate = error(create(sqlite_gateway, token, "Vendor", {"code": "GRAINGER", "name": "Another Grainger"}))
    assert duplicate["code"] == "SYSTEM_REJECTED" and "BMXAA4129E - Record already exists" in duplicate["message"]


@pytest.mark.parametrize("entity, values, message", [
    ("WorkOrder", {"title": "x", "type": "OTHER"}, "no value for OTHER"),
    ("WorkOrder", {"title": "x", "assignees": ["A", "B", "C"]}, "at most two assignees"),
    ("WorkOrder", {"title": "x", "actualHours": 3}, "IBM Maximo cannot write WorkOrder.actualHours"),
    ("Asset", {"name": "x", "criticality": "high"}, "priority number"),
    ("Asset", {"name": "x", "model": "X1"}, "IBM Maximo cannot write Asset.model"),
    ("Vendor", {"name": "No code"}, "needs code"),
])
def test_input_is_refused_before_any_upstream_call(sqlite_gateway, token, sandbox, entity, values, message):
    control = SandboxControl(sandbox.url)
    control.clear_requests()
    refused = error(create(sqlite_gateway, token, entity, values))
    assert refused["code"] == "BAD_USER_INPUT" and message in refused["message"]
    assert control.requests() == []


def test_deletes_maximo_does_not_allow_are_unsupported(sqlite_gateway, token, sandbox):
    for entity, remote_id in (("Asset", "11001"), ("Vendor", "GRAINGER"), ("PurchaseOrder", "1001"),
                              ("MaintenanceRequest", "5001")):
        refused = error(delete(sqlite_gateway, token, entity, remote_id))
        assert refused["code"] == "UNSUPPORTED_OPERATION" and refused["operation"] == f"delete{entity}"


def test_delete_work_order_only_while_waiting_on_approval(sqlite_gateway, token, sandbox):
    made = record(create(sqlite_gateway, token, "WorkOrder", {"title": "Created by mistake"}), "createWorkOrder")
    gone = data(delete(sqlite_gateway, token, "WorkOrder", made["id"], if_match=made["remoteVersion"]))["deleteWorkOrder"]
    assert gone["deleted"] and stored(sandbox, "mxapiwodetail", "wonum", made["remoteId"]) is None
    assert read(sqlite_gateway, token, "WorkOrder", made["id"], "title") is None
    done = next(r for r in rows(sandbox, "mxapiwodetail") if r["status"] == "COMP")
    refused = error(delete(sqlite_gateway, token, "WorkOrder", done["wonum"]))
    assert refused["code"] == "SYSTEM_REJECTED" and "BMXAA4188E" in refused["message"]
    assert stored(sandbox, "mxapiwodetail", "wonum", done["wonum"]) is not None


def test_delete_work_order_is_an_http_delete_of_its_href_and_leaves_listings(sqlite_gateway, token, sandbox):
    made = record(create(sqlite_gateway, token, "WorkOrder", {"title": "Duplicate request"}), "createWorkOrder")
    listed = {n["remoteId"] for n in page_all(sqlite_gateway, token, "workOrders", "remoteId")}
    assert made["remoteId"] in listed
    control = SandboxControl(sandbox.url)
    control.clear_requests()
    assert data(delete(sqlite_gateway, token, "WorkOrder", made["id"]))["deleteWorkOrder"]["deleted"]
    lookup, removal = control.requests()
    assert lookup["method"] == "GET" and removal["method"] == "DELETE"
    assert removal["path"].startswith(f"{WO}/_")  # the record's href, as IBM documents the delete
    after = {n["remoteId"] for n in page_all(sqlite_gateway, token, "workOrders", "remoteId")}
    assert after == listed - {made["remoteId"]}


def test_service_request_create_and_update(sqlite_gateway, token, sandbox):
    asset = rows(sandbox, "mxapiasset")[9]
    made = record(create(sqlite_gateway, token, "MaintenanceRequest", {
        "title": "Conveyor guard loose", "priority": "LOW", "asset": asset["assetnum"], "location": asset["location"],
    }, "status statusRaw priority asset { remoteId }"), "createMaintenanceRequest")
    assert (made["status"], made["statusRaw"], made["asset"]["remoteId"]) == ("OPEN", "NEW", asset["assetnum"])
    queued = record(update(sqlite_gateway, token, "MaintenanceRequest", made["id"], {"status": "APPROVED"},
                           "status statusRaw", if_match=made["remoteVersion"]), "updateMaintenanceRequest")
    assert queued["statusRaw"] == stored(sandbox, "mxapisr", "ticketid", made["remoteId"])["status"] == "QUEUED"


def test_asset_and_vendor_create_and_update(sqlite_gateway, token, sandbox):
    made = record(create(sqlite_gateway, token, "Asset", {
        "name": "Spare Chiller", "status": "DOWN", "criticality": "2", "category": "FACILITIES", "location": "BR100",
        "manufacturer": "TRANE", "serialNumber": "SN-77",
    }, "name status criticality manufacturer location { remoteId }"), "createAsset")
    assert (made["status"], made["criticality"], made["location"]["remoteId"]) == ("DOWN", "2", "BR100")
    kept = stored(sandbox, "mxapiasset", "assetnum", made["remoteId"])
    assert (kept["status"], kept["priority"], kept["serialnum"]) == ("NOT READY", 2, "SN-77")
    running = record(update(sqlite_gateway, token, "Asset", made["id"], {"status": "OPERATIONAL"}, "status"), "updateAsset")
    assert running["status"] == "OPERATIONAL"

    vendor = record(create(sqlite_gateway, token, "Vendor", {"code": "newco", "name": "NewCo Supply",
                                                            "address": "1 Harbor Rd"}, "code name address active"),
                    "createVendor")
    assert (vendor["code"], vendor["address"], vendor["active"]) == ("NEWCO", "1 Harbor Rd", True)
    closed = record(update(sqlite_gateway, token, "Vendor", vendor["id"], {"active": False}, "active"), "updateVendor")
    assert closed["active"] is False and stored(sandbox, "mxapivendor", "company", "NEWCO")["disabled"] is True


def test_purchase_order_with_lines_in_one_transaction(sqlite_gateway, token, sandbox):
    items = list({r["itemnum"]: r for r in rows(sandbox, "mxapiinventory")}.values())[:3]
    before = len(rows(sandbox, "mxapipo"))
    lines = "lines { lineNumber part { remoteId } quantity unitPrice amount }"
    made = record(create(sqlite_gateway, token, "PurchaseOrder", {
        "vendor": "MOTION", "expectedDate": "2026-12-20T00:00:00Z",
        "lines": [{"part": items[0]["itemnum"], "quantity": 4, "unitPrice": 10},
                  {"part": items[1]["itemnum"], "quantity": 1, "unitPrice": 99.5}],
    }, f"status totalAmount vendor {{ remoteId }} {lines}"), "createPurchaseOrder")
    assert len(rows(sandbox, "mxapipo")) == before + 1
    assert made["status"] == "SUBMITTED" and made["totalAmount"] == 139.5
    assert [(l["lineNumber"], l["part"]["remoteId"], l["amount"]) for l in made["lines"]] == [
        (1, items[0]["itemnum"], 40.0), (2, items[1]["itemnum"], 99.5)]

    merged = record(update(sqlite_gateway, token, "PurchaseOrder", made["id"], {"lines": [
        {"lineNumber": 1, "quantity": 10}, {"part": items[2]["itemnum"], "quantity": 2, "unitPrice": 5},
    ]}, f"totalAmount {lines}", if_match=made["remoteVersion"]), "updatePurchaseOrder")
    assert [(l["lineNumber"], l["quantity"]) for l in merged["lines"]] == [(1, 10.0), (2, 1.0), (3, 2.0)]
    assert merged["totalAmount"] == 209.5

    refused = error(create(sqlite_gateway, token, "PurchaseOrder", {
        "vendor": "MOTION", "lines": [{"part": items[0]["itemnum"], "quantity": 1, "unitPrice": 1},
                                      {"part": "NO-SUCH-ITEM", "quantity": 1, "unitPrice": 1}],
    }))
    assert refused["code"] == "SYSTEM_REJECTED" and "line 2" in refused["message"]
    assert len(rows(sandbox, "mxapipo")) == before + 1  # nothing of the refused order was kept


def test_adjust_part_stock_per_storeroom(sqlite_gateway, token, sandbox):
    inventory = rows(sandbox, "mxapiinventory")
    rooms = Counter(r["itemnum"] for r in inventory)
    single = next(r for r in inventory if rooms[r["itemnum"]] == 1)
    multi = next(r for r in inventory if rooms[r["itemnum"]] > 1 and r["curbaltotal"] >= 1)

    def balance(item: str, room: str) -> float:
        return next(r for r in rows(sandbox, "mxapiinventory") if (r["itemnum"], r["location"]) == (item, room))["curbaltotal"]

    answer = data(adjust(sqlite_gateway, token, single["itemnum"], 5, key="adjust-1"))["adjustPartStock"]
    again = data(adjust(sqlite_gateway, token, single["itemnum"], 5, key="adjust-1"))["adjustPartStock"]
    assert balance(single["itemnum"], single["location"]) == single["curbaltotal"] + 5
    assert answer["record"]["quantityOnHand"] == single["curbaltotal"] + 5 and again["replayed"] is True

    vague = error(adjust(sqlite_gateway, token, multi["itemnum"], 1))
    assert vague["code"] == "BAD_USER_INPUT" and multi["location"] in vague["message"]
    data(adjust(sqlite_gateway, token, multi["itemnum"], -1, location=multi["location"]))
    assert balance(multi["itemnum"], multi["location"]) == multi["curbaltotal"] - 1

    below = error(adjust(sqlite_gateway, token, single["itemnum"], -10_000))
    assert below["code"] == "SYSTEM_REJECTED" and "BMXAA1861E" in below["message"]
