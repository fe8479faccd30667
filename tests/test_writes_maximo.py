"""Writes to IBM Maximo through the gateway's GraphQL, against a sandbox of this module's own over HTTP.

What Maximo kept is read back from the sandbox's tables; the sandbox's request
log shows which calls reached it (e.g. that a stale rowstamp was refused by
Maximo itself, with its 412).
"""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.maximo.app import DEMO_API_KEY, create_app
from tests.helpers import data, page_all
from tests.write_helpers import adjust, connection_of, create, delete, error, module_sandbox, read, record, update

WO = "/maximo/api/os/mxapiwodetail"
SETTINGS = (
    "mutation($id: ID!, $d: JSON) { updateConnectionSettings(id: $id, input: {writeDefaults: $d}) { writeDefaults } }"
)
CHOICES = "query($id: ID!, $n: String!) { writeSettingChoices(id: $id, name: $n) { value label } }"


sandbox = module_sandbox(create_app)


@pytest.fixture(scope="module")
def admin(sqlite_gateway) -> str:
    return sqlite_gateway.new_org()


def connected(gateway, admin: str, url: str, defaults: dict | None = None) -> tuple[str, str]:
    """A new connection (id, token), with these write defaults."""
    made = connection_of(gateway, admin, url, "maximo", "ON_PREMISES", {"apiKey": DEMO_API_KEY})
    if defaults:
        data(gateway.gql(admin, SETTINGS, {"id": made[0], "d": defaults}))
    return made


@pytest.fixture(scope="module")
def token(sqlite_gateway, admin, sandbox) -> str:
    return connected(sqlite_gateway, admin, sandbox.url, {"siteId": "BEDFORD", "orgId": "EAGLENA"})[1]


def rows(sandbox: ServerThread, structure: str) -> list[dict]:
    return sandbox.app.state.data.records(structure)


def stored(sandbox: ServerThread, structure: str, key: str, value: str) -> dict | None:
    return next((r for r in rows(sandbox, structure) if r.get(key) == value), None)


def gid(gateway, token: str, field: str, remote_id: str) -> dict:
    return data(
        gateway.gql(token, f"query($r: String) {{ {field}(remoteId: $r) {{ id remoteVersion }} }}", {"r": remote_id})
    )[field]


def test_create_work_order_is_stored_and_visible_in_a_live_read(sqlite_gateway, token, sandbox):
    asset = rows(sandbox, "mxapiasset")[4]
    lead, owner = (p["personid"] for p in rows(sandbox, "mxapiperson")[:2])
    before = len(rows(sandbox, "mxapiwodetail"))
    made = record(
        create(
            sqlite_gateway,
            token,
            "WorkOrder",
            {
                "title": "Pump seal leaking",
                "description": "Found during rounds",
                "priority": "URGENT",
                "type": "CORRECTIVE",
                "asset": asset["assetnum"],
                "location": asset["location"],
                "requestedBy": lead,
                "assignees": [lead, owner],
                "dueDate": "2026-12-01T15:00:00Z",
                "estimatedHours": 2.5,
            },
            "number title status statusRaw priority type dueDate asset { remoteId } assignees { remoteId }",
        ),
        "createWorkOrder",
    )
    assert len(rows(sandbox, "mxapiwodetail")) == before + 1
    kept = stored(sandbox, "mxapiwodetail", "wonum", made["remoteId"])
    assert (kept["description"], kept["description_longdescription"]) == ("Pump seal leaking", "Found during rounds")
    assert (kept["wopriority"], kept["worktype"], kept["status"]) == (1, "CM", "WAPPR")
    assert (kept["lead"], kept["owner"], kept["siteid"]) == (lead, owner, "BEDFORD")
    assert kept["targcompdate"] == "2026-12-01T10:00:00-05:00"  # kept in the server's time zone
    assert (made["status"], made["statusRaw"], made["priority"], made["type"]) == (
        "OPEN",
        "WAPPR",
        "URGENT",
        "CORRECTIVE",
    )
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
    started = record(
        update(
            sqlite_gateway,
            token,
            "WorkOrder",
            current["id"],
            {"status": "IN_PROGRESS"},
            "status statusRaw",
            if_match=current["remoteVersion"],
        ),
        "updateWorkOrder",
    )
    kept = stored(sandbox, "mxapiwodetail", "wonum", order["wonum"])
    assert started["statusRaw"] == kept["status"] == "INPRG" and started["remoteVersion"] == kept["_rowstamp"]
    assert kept["_rowstamp"] != order["_rowstamp"]

    httpx.post(
        f"{sandbox.url}/__sandbox/touch", json={"resource": "mxapiwodetail", "ids": [order["wonum"]]}
    ).raise_for_status()
    control = SandboxControl(sandbox.url)
    control.clear_requests()
    stale = error(
        update(
            sqlite_gateway,
            token,
            "WorkOrder",
            current["id"],
            {"title": "Lost update"},
            if_match=started["remoteVersion"],
        )
    )
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


@pytest.mark.parametrize(
    "entity, values, message",
    [
        ("WorkOrder", {"title": "x", "type": "OTHER"}, "no value for OTHER"),
        ("WorkOrder", {"title": "x", "assignees": ["A", "B", "C"]}, "at most two assignees"),
        ("WorkOrder", {"title": "x", "actualHours": 3}, "IBM Maximo cannot write WorkOrder.actualHours"),
        ("Asset", {"name": "x", "criticality": "high"}, "priority number"),
        ("Asset", {"name": "x", "model": "X1"}, "IBM Maximo cannot write Asset.model"),
        ("Vendor", {"name": "No code"}, "include required field 'code'"),
    ],
)
def test_input_is_refused_before_any_upstream_call(sqlite_gateway, token, sandbox, entity, values, message):
    control = SandboxControl(sandbox.url)
    control.clear_requests()
    refused = error(create(sqlite_gateway, token, entity, values))
    assert refused["code"] == "BAD_USER_INPUT" and message in refused["message"]
    assert control.requests() == []


def test_deletes_maximo_does_not_allow_are_unsupported(sqlite_gateway, token, sandbox):
    for entity, remote_id in (
        ("Asset", "11001"),
        ("Vendor", "GRAINGER"),
        ("PurchaseOrder", "1001"),
        ("MaintenanceRequest", "5001"),
    ):
        refused = error(delete(sqlite_gateway, token, entity, remote_id))
        assert (
            refused["code"] == "UNSUPPORTED_OPERATION" and f"does not support delete of {entity}" in refused["message"]
        )


def test_delete_work_order_only_while_waiting_on_approval(sqlite_gateway, token, sandbox):
    made = record(create(sqlite_gateway, token, "WorkOrder", {"title": "Created by mistake"}), "createWorkOrder")
    gone = data(delete(sqlite_gateway, token, "WorkOrder", made["id"], if_match=made["remoteVersion"]))[
        "deleteWorkOrder"
    ]
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
    made = record(
        create(
            sqlite_gateway,
            token,
            "MaintenanceRequest",
            {
                "title": "Conveyor guard loose",
                "priority": "LOW",
                "asset": asset["assetnum"],
                "location": asset["location"],
            },
            "status statusRaw priority asset { remoteId }",
        ),
        "createMaintenanceRequest",
    )
    assert (made["status"], made["statusRaw"], made["asset"]["remoteId"]) == ("OPEN", "NEW", asset["assetnum"])
    queued = record(
        update(
            sqlite_gateway,
            token,
            "MaintenanceRequest",
            made["id"],
            {"status": "APPROVED"},
            "status statusRaw",
            if_match=made["remoteVersion"],
        ),
        "updateMaintenanceRequest",
    )
    assert queued["statusRaw"] == stored(sandbox, "mxapisr", "ticketid", made["remoteId"])["status"] == "QUEUED"


def test_asset_and_vendor_create_and_update(sqlite_gateway, token, sandbox):
    made = record(
        create(
            sqlite_gateway,
            token,
            "Asset",
            {
                "name": "Spare Chiller",
                "status": "DOWN",
                "criticality": "2",
                "category": "FACILITIES",
                "location": "BR100",
                "manufacturer": "TRANE",
                "serialNumber": "SN-77",
            },
            "name status criticality manufacturer location { remoteId }",
        ),
        "createAsset",
    )
    assert (made["status"], made["criticality"], made["location"]["remoteId"]) == ("DOWN", "2", "BR100")
    kept = stored(sandbox, "mxapiasset", "assetnum", made["remoteId"])
    assert (kept["status"], kept["priority"], kept["serialnum"]) == ("NOT READY", 2, "SN-77")
    running = record(
        update(sqlite_gateway, token, "Asset", made["id"], {"status": "OPERATIONAL"}, "status"), "updateAsset"
    )
    assert running["status"] == "OPERATIONAL"

    vendor = record(
        create(
            sqlite_gateway,
            token,
            "Vendor",
            {"code": "newco", "name": "NewCo Supply", "address": "1 Harbor Rd"},
            "code name address active",
        ),
        "createVendor",
    )
    assert (vendor["code"], vendor["address"], vendor["active"]) == ("NEWCO", "1 Harbor Rd", True)
    closed = record(update(sqlite_gateway, token, "Vendor", vendor["id"], {"active": False}, "active"), "updateVendor")
    assert closed["active"] is False and stored(sandbox, "mxapivendor", "company", "NEWCO")["disabled"] is True


def test_a_vendors_code_is_its_key_and_is_not_changed_by_an_update(sqlite_gateway, token, sandbox):
    vendor = record(create(sqlite_gateway, token, "Vendor", {"code": "KEYCO", "name": "Key Co"}), "createVendor")
    control = SandboxControl(sandbox.url)
    control.clear_requests()
    refused = error(update(sqlite_gateway, token, "Vendor", vendor["id"], {"code": "OTHERCO"}))
    assert refused["code"] == "BAD_USER_INPUT" and "cannot write Vendor.code" in refused["message"]
    assert control.requests() == [] and stored(sandbox, "mxapivendor", "company", "KEYCO") is not None
    renamed = record(
        update(sqlite_gateway, token, "Vendor", vendor["id"], {"name": "Key Co Ltd"}, "code name"), "updateVendor"
    )
    assert (renamed["code"], renamed["name"]) == ("KEYCO", "Key Co Ltd")


def test_purchase_order_with_lines_in_one_transaction(sqlite_gateway, token, sandbox):
    items = list({r["itemnum"]: r for r in rows(sandbox, "mxapiinventory")}.values())[:3]
    before = len(rows(sandbox, "mxapipo"))
    lines = "lines { lineNumber part { remoteId } quantity unitPrice amount }"
    made = record(
        create(
            sqlite_gateway,
            token,
            "PurchaseOrder",
            {
                "vendor": "MOTION",
                "expectedDate": "2026-12-20T00:00:00Z",
                "lines": [
                    {"part": items[0]["itemnum"], "quantity": 4, "unitPrice": 10},
                    {"part": items[1]["itemnum"], "quantity": 1, "unitPrice": 99.5},
                ],
            },
            f"status totalAmount vendor {{ remoteId }} {lines}",
        ),
        "createPurchaseOrder",
    )
    assert len(rows(sandbox, "mxapipo")) == before + 1
    assert made["status"] == "SUBMITTED" and made["totalAmount"] == 139.5
    assert [(line["lineNumber"], line["part"]["remoteId"], line["amount"]) for line in made["lines"]] == [
        (1, items[0]["itemnum"], 40.0),
        (2, items[1]["itemnum"], 99.5),
    ]

    merged = record(
        update(
            sqlite_gateway,
            token,
            "PurchaseOrder",
            made["id"],
            {
                "lines": [
                    {"lineNumber": 1, "quantity": 10},
                    {"part": items[2]["itemnum"], "quantity": 2, "unitPrice": 5},
                ]
            },
            f"totalAmount {lines}",
            if_match=made["remoteVersion"],
        ),
        "updatePurchaseOrder",
    )
    assert [(line["lineNumber"], line["quantity"]) for line in merged["lines"]] == [(1, 10.0), (2, 1.0), (3, 2.0)]
    assert merged["totalAmount"] == 209.5

    refused = error(
        create(
            sqlite_gateway,
            token,
            "PurchaseOrder",
            {
                "vendor": "MOTION",
                "lines": [
                    {"part": items[0]["itemnum"], "quantity": 1, "unitPrice": 1},
                    {"part": "NO-SUCH-ITEM", "quantity": 1, "unitPrice": 1},
                ],
            },
        )
    )
    assert refused["code"] == "SYSTEM_REJECTED" and "line 2" in refused["message"]
    assert len(rows(sandbox, "mxapipo")) == before + 1  # nothing of the refused order was kept


def balance(sandbox: ServerThread, item: str, room: str) -> float | None:
    """The storeroom's balance as the sandbox keeps it (`curbal`, what MXAPIINVENTORY serves)."""
    found = next(r for r in rows(sandbox, "mxapiinventory") if (r["itemnum"], r["location"]) == (item, room))
    return found.get("curbal")


def test_adjust_part_stock_per_storeroom(sqlite_gateway, token, sandbox):
    inventory = rows(sandbox, "mxapiinventory")
    rooms = Counter(r["itemnum"] for r in inventory)
    single = next(r for r in inventory if rooms[r["itemnum"]] == 1 and r["curbal"] >= 1)
    multi = next(r for r in inventory if rooms[r["itemnum"]] > 1 and r["curbal"] >= 1)

    answer = data(adjust(sqlite_gateway, token, single["itemnum"], 5, key="adjust-1"))["adjustPartStock"]
    again = data(adjust(sqlite_gateway, token, single["itemnum"], 5, key="adjust-1"))["adjustPartStock"]
    assert balance(sandbox, single["itemnum"], single["location"]) == single["curbal"] + 5  # not 5: read, then moved
    assert answer["record"]["quantityOnHand"] == single["curbal"] + 5 and again["replayed"] is True

    vague = error(adjust(sqlite_gateway, token, multi["itemnum"], 1))
    assert vague["code"] == "BAD_USER_INPUT" and multi["location"] in vague["message"]
    data(adjust(sqlite_gateway, token, multi["itemnum"], -1, location=multi["location"]))
    assert balance(sandbox, multi["itemnum"], multi["location"]) == multi["curbal"] - 1

    below = error(adjust(sqlite_gateway, token, single["itemnum"], -10_000))
    assert below["code"] == "SYSTEM_REJECTED" and "BMXAA1861E" in below["message"]


def test_an_adjustment_never_sets_a_balance_it_did_not_read(sqlite_gateway, token, sandbox):
    inventory = rows(sandbox, "mxapiinventory")
    rooms = Counter(r["itemnum"] for r in inventory)
    row = next(
        r
        for r in sandbox.app.state.data.view("mxapiinventory")
        if rooms[r["itemnum"]] == 1 and r["itemnum"] != inventory[0]["itemnum"] and r["curbal"] >= 1
    )
    kept = row["curbal"]
    sandbox.app.state.data.change("mxapiinventory", row, {"curbal": None})  # Maximo leaves null attributes out
    control = SandboxControl(sandbox.url)
    control.clear_requests()
    try:
        refused = error(adjust(sqlite_gateway, token, row["itemnum"], 5))
        assert refused["code"] == "SYSTEM_REJECTED" and "no current balance (curbal)" in refused["message"]
        assert not [r for r in control.requests() if r["method"] == "POST"]  # nothing was sent to Maximo
        assert balance(sandbox, row["itemnum"], row["location"]) is None
    finally:
        sandbox.app.state.data.change("mxapiinventory", row, {"curbal": kept})


def test_parts_read_the_item_description_and_the_balance_the_structure_serves(sqlite_gateway, token, sandbox):
    item = rows(sandbox, "mxapiitem")[3]
    stock = [r for r in rows(sandbox, "mxapiinventory") if r["itemnum"] == item["itemnum"]]
    part = data(
        sqlite_gateway.gql(
            token,
            "query($r: String) { part(remoteId: $r) { name quantityOnHand stockLevels { quantity } } }",
            {"r": item["itemnum"]},
        )
    )["part"]
    assert part["name"] == item["description"] and "description" not in stock[0]
    assert part["quantityOnHand"] == sum(r["curbal"] for r in stock)
    assert [s["quantity"] for s in part["stockLevels"]] == [r["curbal"] for r in stock]


def test_creates_go_to_the_configured_site_or_name_the_missing_setting(sqlite_gateway, admin, sandbox):
    connection_id, bare = connected(sqlite_gateway, admin, sandbox.url)
    control = SandboxControl(sandbox.url)
    control.clear_requests()
    refused = error(create(sqlite_gateway, bare, "WorkOrder", {"title": "Nowhere"}))
    assert refused["code"] == "BAD_USER_INPUT" and refused["field"] == "writeOptions.siteId"
    assert "needs 'siteId' (Site)" in refused["message"]
    assert not [r for r in control.requests() if r["method"] == "POST"]  # refused before any write
    vendor = error(create(sqlite_gateway, bare, "Vendor", {"code": "NOORG", "name": "No Org"}))
    assert vendor["code"] == "BAD_USER_INPUT" and vendor["field"] == "writeOptions.orgId"

    asset = rows(sandbox, "mxapiasset")[7]
    values = {"title": "On the asset's site", "asset": asset["assetnum"]}
    made = record(create(sqlite_gateway, bare, "WorkOrder", values), "createWorkOrder")
    assert stored(sandbox, "mxapiwodetail", "wonum", made["remoteId"])["siteid"] == asset["siteid"] == "BEDFORD"
    room = rows(sandbox, "mxapilocations")[2]  # no asset named: the location's site
    values = {"title": "At the location's site", "location": room["location"]}
    placed = record(create(sqlite_gateway, bare, "MaintenanceRequest", values), "createMaintenanceRequest")
    assert stored(sandbox, "mxapisr", "ticketid", placed["remoteId"])["siteid"] == room["siteid"]

    call = sqlite_gateway.gql(
        bare,
        'mutation { createWorkOrder(input: {title: "Second site"}, '
        'writeOptions: {siteId: "nashua"}) { record { remoteId } } }',
    )
    second = data(call)["createWorkOrder"]["record"]["remoteId"]
    assert stored(sandbox, "mxapiwodetail", "wonum", second)["siteid"] == "NASHUA"

    data(sqlite_gateway.gql(admin, SETTINGS, {"id": connection_id, "d": {"siteId": "BEDFORD"}}))
    company = record(
        create(sqlite_gateway, bare, "Vendor", {"code": "SITEORG", "name": "Org of the site"}), "createVendor"
    )
    assert stored(sandbox, "mxapivendor", "company", company["remoteId"])["orgid"] == "EAGLENA"


def test_site_and_organization_pickers_read_maximo(sqlite_gateway, admin, sandbox):
    connection_id, _ = connected(sqlite_gateway, admin, sandbox.url)
    sites = data(sqlite_gateway.gql(admin, CHOICES, {"id": connection_id, "n": "siteId"}))["writeSettingChoices"]
    assert sites == [
        {"value": "BEDFORD", "label": "Bedford Plant (EAGLENA)"},
        {"value": "NASHUA", "label": "Nashua Warehouse (EAGLENA)"},
    ]
    orgs = data(sqlite_gateway.gql(admin, CHOICES, {"id": connection_id, "n": "orgId"}))["writeSettingChoices"]
    assert orgs == [{"value": "EAGLENA", "label": "Eagle North America"}]
    declared = data(sqlite_gateway.gql(admin, '{ system(key: "maximo") { writeSettings { name } } }'))
    assert [s["name"] for s in declared["system"]["writeSettings"]] == ["siteId", "orgId"]
