"""Writes through the data schema against the SAP sandbox: CSRF, ETags, deep inserts, the capability matrix.

The module has its own sandbox, so records written here never show up in
other tests; the sandbox's tables are counted to prove what reached SAP.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.sap.app import ECC_CLIENT, LOGIN, create_app
from sandboxes.sap.seed import Dataset
from tests.conftest import Gateway
from tests.helpers import data, error_code
from tests.write_helpers import module_sandbox

CREATE_WO = """
mutation($i: WorkOrderCreateInput!, $k: String) {
  createWorkOrder(input: $i, idempotencyKey: $k) {
    replayed
    record { id remoteId number title status priority type dueDate remoteVersion asset { remoteId } location { remoteId } }
  }
}
"""
UPDATE_WO = """
mutation($id: ID!, $i: WorkOrderUpdateInput!, $m: String) {
  updateWorkOrder(id: $id, input: $i, ifMatch: $m) { record { remoteId title priority remoteVersion } }
}
"""
CREATE_PO = """
mutation($i: PurchaseOrderCreateInput!, $k: String) { createPurchaseOrder(input: $i, idempotencyKey: $k) {
  record { id remoteId number status currency totalAmount remoteVersion vendor { remoteId }
           lines { lineNumber quantity unitPrice amount description unitOfMeasure part { remoteId } } } } }
"""


sandbox = module_sandbox(create_app)


@pytest.fixture
def rows(sandbox: ServerThread) -> Dataset:
    return sandbox.app.state.data


@pytest.fixture
def control(sandbox: ServerThread) -> Iterator[SandboxControl]:
    control = SandboxControl(sandbox.url)
    control.clear_requests()
    yield control
    control.clear_fault()


ORGANISATION = {"companyCode": "1010", "purchasingOrganization": "1010", "purchasingGroup": "001"}
SETTINGS = (
    "mutation($id: ID!, $d: JSON) { updateConnectionSettings(id: $id, input: {writeDefaults: $d}) { writeDefaults } }"
)


def connection(
    gateway: Gateway, url: str, system: str = "sap_s4hana", defaults: dict | None = None, **credentials: str
) -> tuple[str, str, str]:
    """(token, admin key, connection id) of a new connection with these write defaults."""
    hosting = "ON_PREMISES" if system == "sap_ecc" else "CLOUD"
    admin = gateway.new_org()
    created = data(
        gateway.connect(admin, url, "SAP", system=system, hosting=hosting, credentials={**LOGIN, **credentials})
    )["createConnection"]
    if defaults:
        data(gateway.gql(admin, SETTINGS, {"id": created["connection"]["id"], "d": defaults}))
    return created["token"], admin, created["connection"]["id"]


def connect(gateway: Gateway, url: str, system: str = "sap_s4hana", **credentials: str) -> str:
    """A connection whose purchase orders go to company code 1010 (its write defaults)."""
    return connection(gateway, url, system, ORGANISATION, **credentials)[0]


@pytest.fixture
def token(gateway: Gateway, sandbox: ServerThread) -> str:
    """A fresh S/4HANA connection on each database backend."""
    return connect(gateway, sandbox.url)


def row(rows: Dataset, entity_set: str, **keys: Any) -> dict[str, Any] | None:
    return next((r for r in rows.rows(entity_set) if all(r.get(k) == v for k, v in keys.items())), None)


def calls(control: SandboxControl, method: str | None = None, suffix: str = "") -> list[dict[str, Any]]:
    return [c for c in control.requests() if (method is None or c["method"] == method) and c["path"].endswith(suffix)]


def current_equipment(rows: Dataset, n: int = 0) -> dict[str, Any]:
    return [e for e in rows.current_equipment() if not e["EquipmentIsMarkedForDeletion"]][n]


def test_create_work_order_maps_both_ways_and_is_visible_live_and_in_the_replica(gateway, token, rows, control):
    unit = current_equipment(rows, 3)
    before = len(rows.rows("MaintenanceOrder"))
    made = data(
        gateway.gql(
            token,
            CREATE_WO,
            {
                "i": {
                    "title": "Replace mechanical seal",
                    "priority": "HIGH",
                    "type": "PREVENTIVE",
                    "dueDate": "2026-12-01T10:00:00Z",
                    "asset": unit["Equipment"],
                }
            },
        )
    )["createWorkOrder"]
    record = made["record"]
    assert made["replayed"] is False and len(rows.rows("MaintenanceOrder")) == before + 1
    stored = row(rows, "MaintenanceOrder", MaintenanceOrder=record["remoteId"])
    # SAP's side: its codes, the object and plant it derives, its initial status.
    assert (stored["MaintenanceOrderDesc"], stored["MaintPriority"], stored["MaintenanceOrderType"]) == (
        "Replace mechanical seal",
        "2",
        "PM02",
    )
    assert (stored["Equipment"], stored["FunctionalLocation"], stored["TechObjIsEquipOrFuncnlLoc"]) == (
        unit["Equipment"],
        unit["FunctionalLocation"],
        "EAMS_EQUI",
    )
    assert stored["MaintOrdBasicEndDateTime"] == datetime(2026, 12, 1, 10, tzinfo=UTC)
    assert (
        stored["MaintenancePlanningPlant"] == unit["FunctionalLocation"][:4]
        and stored["SystemStatusText"] == "CRTD MANC"
    )
    assert (record["title"], record["priority"], record["type"], record["status"]) == (
        "Replace mechanical seal",
        "HIGH",
        "PREVENTIVE",
        "OPEN",
    )
    assert (
        record["asset"]["remoteId"] == unit["Equipment"]
        and record["location"]["remoteId"] == unit["FunctionalLocation"]
    )
    assert record["remoteVersion"].startswith('W/"datetimeoffset')
    # The wire: a token fetch, then the POST (the token and session cookie are kept for later writes).
    assert [(c["method"], c["path"].rsplit("/", 2)[-2:]) for c in calls(control)][:2] == [
        ("GET", ["API_MAINTENANCEORDER", ""]),
        ("POST", ["API_MAINTENANCEORDER", "MaintenanceOrder"]),
    ]
    live = data(
        gateway.gql(
            token, "query($r: String) { workOrder(remoteId: $r) { title remoteVersion } }", {"r": record["remoteId"]}
        )
    )
    assert live["workOrder"] == {"title": "Replace mechanical seal", "remoteVersion": record["remoteVersion"]}
    replica = data(gateway.gql(token, "{ workOrders(source: REPLICA, first: 200) { nodes { remoteId title } } }"))
    assert {"remoteId": record["remoteId"], "title": "Replace mechanical seal"} in replica["workOrders"]["nodes"]


def test_a_stale_csrf_token_is_fetched_again_once(gateway, token, sandbox, rows, control):
    first = data(gateway.gql(token, CREATE_WO, {"i": {"title": "Token one", "location": "1010-SP"}}))
    sandbox.app.state.sessions.expire()  # the server forgot the session: the kept token is stale
    control.clear_requests()
    second = data(gateway.gql(token, CREATE_WO, {"i": {"title": "Token two", "location": "1010-SP"}}))
    handshake = [(c["method"], c["path"].rsplit("/", 1)[-1]) for c in calls(control)][:3]
    assert handshake == [("POST", "MaintenanceOrder"), ("GET", ""), ("POST", "MaintenanceOrder")]
    numbers = {first["createWorkOrder"]["record"]["remoteId"], second["createWorkOrder"]["record"]["remoteId"]}
    assert all(row(rows, "MaintenanceOrder", MaintenanceOrder=n) for n in numbers) and len(numbers) == 2


def test_a_create_retried_with_its_idempotency_key_makes_one_record(gateway, token, rows, control):
    before = len(rows.rows("MaintenanceOrder"))
    given = {"i": {"title": "Leak at pump 4", "location": "1020-UT-PMP"}, "k": f"sap-{gateway.backend}"}
    first = data(gateway.gql(token, CREATE_WO, given))["createWorkOrder"]
    again = data(gateway.gql(token, CREATE_WO, given))["createWorkOrder"]
    assert len(rows.rows("MaintenanceOrder")) == before + 1 and len(calls(control, "POST", "/MaintenanceOrder")) == 1
    assert again["replayed"] is True and again["record"] == first["record"]


def test_update_sends_the_etag_and_a_stale_one_conflicts(gateway, token, rows):
    made = data(gateway.gql(token, CREATE_WO, {"i": {"title": "Version me", "location": "1010-PK"}}))[
        "createWorkOrder"
    ]["record"]
    first = data(
        gateway.gql(token, UPDATE_WO, {"id": made["id"], "i": {"priority": "URGENT"}, "m": made["remoteVersion"]})
    )
    updated = first["updateWorkOrder"]["record"]
    assert (updated["priority"], updated["title"]) == ("URGENT", "Version me")
    assert updated["remoteVersion"] != made["remoteVersion"]
    assert row(rows, "MaintenanceOrder", MaintenanceOrder=made["remoteId"])["MaintPriority"] == "1"
    stale = gateway.gql(token, UPDATE_WO, {"id": made["id"], "i": {"title": "Lost update"}, "m": made["remoteVersion"]})
    assert error_code(stale) == "SYSTEM_REJECTED"
    extensions = stale["errors"][0]["extensions"]
    assert extensions["reason"] == "CONFLICT" and extensions["currentVersion"] == updated["remoteVersion"]
    assert row(rows, "MaintenanceOrder", MaintenanceOrder=made["remoteId"])["MaintenanceOrderDesc"] == "Version me"
    # Without ifMatch the client takes the last write: `If-Match: *`.
    blind = data(gateway.gql(token, UPDATE_WO, {"id": made["remoteId"], "i": {"title": "Last writer wins"}}))
    assert blind["updateWorkOrder"]["record"]["title"] == "Last writer wins"


def test_the_systems_own_validation_errors_come_back_with_its_message(gateway, token, rows):
    before = len(rows.rows("MaintenanceOrder"))
    no_object = gateway.gql(token, CREATE_WO, {"i": {"title": "Somewhere"}})
    assert error_code(no_object) == "SYSTEM_REJECTED"
    assert "Enter a reference object (equipment or functional location)" in no_object["errors"][0]["message"]
    unknown = gateway.gql(token, CREATE_WO, {"i": {"title": "x", "asset": "99999999"}})
    assert (
        error_code(unknown) == "SYSTEM_REJECTED"
        and "Equipment 99999999 does not exist" in unknown["errors"][0]["message"]
    )
    assert len(rows.rows("MaintenanceOrder")) == before


@pytest.mark.parametrize(
    "mutation, given, message",
    [
        (CREATE_WO, {"i": {"title": "x", "status": "IN_PROGRESS"}}, "SAP S/4HANA cannot write WorkOrder.status"),
        (CREATE_WO, {"i": {"location": "1010"}}, "include required field 'title'"),
        (CREATE_WO, {"i": {"title": "x", "type": "EMERGENCY"}}, "no value for EMERGENCY"),
        (UPDATE_WO, {"id": "4000001", "i": {"type": "INSPECTION"}}, "SAP S/4HANA cannot write WorkOrder.type"),
        (
            'mutation($id: ID!) { updateVendor(id: $id, input: {name: "New name"}) { record { name } } }',
            {"id": "17300001"},
            "SAP S/4HANA cannot write Vendor.name",
        ),
        (
            "mutation($id: ID!) { updatePurchaseOrder(id: $id, input: {lines: [{quantity: 2}]}) { record { number } } }",
            {"id": "4500000001"},
            "SAP S/4HANA cannot write PurchaseOrder.lines",
        ),
        (
            CREATE_PO,
            {
                "i": {
                    "vendor": "17300001",
                    "lines": [{"part": "SP10001", "quantity": 1, "unitPrice": 2, "receivedQuantity": 1}],
                }
            },
            "not to include 'receivedQuantity': SAP S/4HANA cannot write PurchaseOrder.lines.receivedQuantity",
        ),
        (
            'mutation($id: ID!) { updateVendor(id: $id, input: {active: false}, ifMatch: "x") { record { name } } }',
            {"id": "17300001"},
            "keeps no version of Vendor records",
        ),
    ],
)
def test_bad_input_is_refused_before_any_write_reaches_sap(sqlite_gateway, sandbox, control, mutation, given, message):
    token = connect(sqlite_gateway, sandbox.url)
    control.clear_requests()
    refused = sqlite_gateway.gql(token, mutation, given)
    assert error_code(refused) == "BAD_USER_INPUT" and message in refused["errors"][0]["message"]
    assert calls(control, "POST") == calls(control, "PATCH") == []


@pytest.mark.parametrize(
    "mutation, variables, operation",
    [
        ("mutation($id: ID!) { deleteWorkOrder(id: $id) { id } }", {"id": "4000001"}, "delete of WorkOrder"),
        ('mutation { createVendor(input: {name: "Acme"}) { record { name } } }', {}, "create of Vendor"),
        (
            'mutation { adjustPartStock(partId: "SP10001", delta: 5) { record { quantityOnHand } } }',
            {},
            "adjust of Part",
        ),
        ("mutation($id: ID!) { deleteAsset(id: $id) { id } }", {"id": "10000000"}, "delete of Asset"),
    ],
)
def test_a_write_sap_does_not_offer_is_unsupported(sqlite_gateway, sandbox, control, mutation, variables, operation):
    token = connect(sqlite_gateway, sandbox.url)
    control.clear_requests()
    refused = sqlite_gateway.gql(token, mutation, variables)
    assert error_code(refused) == "UNSUPPORTED_OPERATION"
    # The connection's schema has no such mutation: validation says why, naming the system; nothing is sent.
    assert refused["errors"][0]["message"].endswith(f": SAP S/4HANA does not support {operation}.")
    assert control.requests() == []


def test_capabilities_in_the_catalog_are_the_matrix(sqlite_gateway):
    query = '{ system(key: "sap_ecc") { capabilities { entity create update delete adjust } } }'
    caps = {
        c.pop("entity"): c for c in data(sqlite_gateway.gql(sqlite_gateway.new_org(), query))["system"]["capabilities"]
    }
    flags = {entity: tuple(k for k, v in c.items() if v) for entity, c in caps.items()}
    assert flags == {
        "WorkOrder": ("create", "update"),
        "MaintenanceRequest": ("create", "update"),
        "Asset": ("create", "update"),
        "PurchaseOrder": ("create", "update", "delete"),
        "Vendor": ("update",),
        "Location": (),
        "Part": (),
    }


def test_purchase_order_with_items_is_one_deep_insert(gateway, token, rows, control):
    parts = ["SP10003", "SP10004"]
    lines = [
        {"part": parts[0], "quantity": 3, "unitPrice": 12.5},
        {"part": parts[1], "quantity": 4, "unitPrice": 0.1, "description": "Spare", "lineNumber": 30},
    ]
    made = data(gateway.gql(token, CREATE_PO, {"i": {"vendor": "17300001", "currency": "USD", "lines": lines}}))
    record = made["createPurchaseOrder"]["record"]
    assert (record["status"], record["currency"], record["totalAmount"]) == ("DRAFT", "USD", 37.9)
    assert [(line["lineNumber"], line["part"]["remoteId"], line["amount"]) for line in record["lines"]] == [
        (10, parts[0], 37.5),
        (30, parts[1], 0.4),
    ]
    assert (
        record["lines"][1]["description"] == "Spare" and record["lines"][0]["description"]
    )  # SAP's text from the material
    assert len(calls(control, "POST", "/A_PurchaseOrder")) == 1
    items = [r for r in rows.rows("A_PurchaseOrderItem") if r["PurchaseOrder"] == record["remoteId"]]
    assert [
        (i["PurchaseOrderItem"], i["OrderQuantity"], i["NetPriceAmount"], i["DocumentCurrency"]) for i in items
    ] == [("00010", Decimal(3), Decimal("12.5"), "USD"), ("00030", Decimal(4), Decimal("0.1"), "USD")]
    live = data(
        gateway.gql(
            token,
            "query($r: String) { purchaseOrder(remoteId: $r) { totalAmount lines { lineNumber } } }",
            {"r": record["remoteId"]},
        )
    )
    assert live["purchaseOrder"] == {"totalAmount": 37.9, "lines": [{"lineNumber": 10}, {"lineNumber": 30}]}


def test_a_purchase_order_with_one_bad_item_stores_nothing(gateway, token, rows):
    headers, items = len(rows.rows("A_PurchaseOrder")), len(rows.rows("A_PurchaseOrderItem"))
    lines = [
        {"part": "SP10001", "quantity": 1, "unitPrice": 5},
        {"part": "NO-SUCH-PART", "quantity": 1, "unitPrice": 5},
    ]
    refused = gateway.gql(token, CREATE_PO, {"i": {"vendor": "17300001", "lines": lines}})
    assert (
        error_code(refused) == "SYSTEM_REJECTED"
        and "Material NO-SUCH-PART does not exist" in refused["errors"][0]["message"]
    )
    blocked = next(s for s in rows.rows("A_Supplier") if s["PurchasingIsBlocked"])
    refused = gateway.gql(token, CREATE_PO, {"i": {"vendor": blocked["Supplier"], "lines": lines[:1]}})
    assert f"Supplier {blocked['Supplier']} is blocked for purchasing" in refused["errors"][0]["message"]
    assert (len(rows.rows("A_PurchaseOrder")), len(rows.rows("A_PurchaseOrderItem"))) == (headers, items)


def test_purchase_order_header_update_and_delete(gateway, token, rows):
    lines = [{"part": "SP10002", "quantity": 2, "unitPrice": 3}]
    made = data(gateway.gql(token, CREATE_PO, {"i": {"vendor": "17300001", "lines": lines}}))["createPurchaseOrder"][
        "record"
    ]
    changed = data(
        gateway.gql(
            token,
            """mutation($id: ID!, $m: String) { updatePurchaseOrder(id: $id,
        input: {vendor: "17300004", orderDate: "2026-02-03T00:00:00Z"}, ifMatch: $m) { record { orderDate vendor { remoteId } } } }""",
            {"id": made["id"], "m": made["remoteVersion"]},
        )
    )["updatePurchaseOrder"]["record"]
    assert changed == {"orderDate": "2026-02-03T00:00:00+00:00", "vendor": {"remoteId": "17300004"}}
    gone = data(
        gateway.gql(
            token, "mutation($id: ID!) { deletePurchaseOrder(id: $id) { remoteId deleted } }", {"id": made["id"]}
        )
    )
    assert gone["deletePurchaseOrder"] == {"remoteId": made["remoteId"], "deleted": True}
    # SAP marks a deleted purchase order (and its items) with deletion code L: it stays, CANCELLED, with deletedAt.
    assert row(rows, "A_PurchaseOrder", PurchaseOrder=made["remoteId"])["PurchasingDocumentDeletionCode"] == "L"
    assert row(rows, "A_PurchaseOrderItem", PurchaseOrder=made["remoteId"])["PurchasingDocumentDeletionCode"] == "L"
    live = data(
        gateway.gql(
            token,
            "query($r: String) { purchaseOrder(remoteId: $r) { number status deletedAt } }",
            {"r": made["remoteId"]},
        )
    )["purchaseOrder"]
    assert live["number"] == made["remoteId"] and live["status"] == "CANCELLED" and live["deletedAt"]
    listed = data(gateway.gql(token, "{ purchaseOrders(first: 200) { nodes { remoteId } } }"))
    assert made["remoteId"] not in {n["remoteId"] for n in listed["purchaseOrders"]["nodes"]}
    replica = data(gateway.gql(token, "{ purchaseOrders(source: REPLICA, first: 200) { nodes { remoteId } } }"))
    assert made["remoteId"] not in {n["remoteId"] for n in replica["purchaseOrders"]["nodes"]}
    missing = gateway.gql(token, 'mutation { deletePurchaseOrder(id: "4599999999") { remoteId } }')
    assert error_code(missing) == "NOT_FOUND"


def test_notification_create_and_update(gateway, token, rows):
    unit = current_equipment(rows, 5)
    made = data(
        gateway.gql(
            token,
            """mutation($i: MaintenanceRequestCreateInput!) { createMaintenanceRequest(input: $i) {
        record { id remoteId title description status priority remoteVersion asset { remoteId } location { remoteId } } } }""",
            {
                "i": {
                    "title": "Noise from gearbox",
                    "description": "Heard on the night round.",
                    "priority": "LOW",
                    "asset": unit["Equipment"],
                    "location": "1710",
                }
            },
        )
    )["createMaintenanceRequest"]["record"]
    assert (made["title"], made["description"], made["status"], made["priority"]) == (
        "Noise from gearbox",
        "Heard on the night round.",
        "OPEN",
        "LOW",
    )
    assert made["asset"]["remoteId"] == unit["Equipment"]  # the asset wins over the location: one technical object
    stored = row(rows, "MaintenanceNotification", MaintenanceNotification=made["remoteId"])
    assert (stored["TechnicalObject"], stored["TechObjIsEquipOrFuncnlLoc"], stored["NotificationType"]) == (
        unit["Equipment"],
        "EAMS_EQUI",
        "M1",
    )
    moved = data(
        gateway.gql(
            token,
            """mutation($id: ID!, $m: String) { updateMaintenanceRequest(id: $id,
        input: {location: "1020-PK", description: null}, ifMatch: $m) { record { asset { remoteId } location { remoteId } description } } }""",
            {"id": made["id"], "m": made["remoteVersion"]},
        )
    )["updateMaintenanceRequest"]["record"]
    assert moved == {"asset": None, "location": {"remoteId": "1020-PK"}, "description": None}


def test_equipment_create_and_update_use_the_current_time_segment(gateway, token, rows):
    made = data(
        gateway.gql(
            token,
            """mutation { createAsset(input: {name: "Booster pump P-7", manufacturer: "KSB",
        serialNumber: "SN-7781", parent: "10000000"}) { record { id remoteId name manufacturer serialNumber remoteVersion parent { remoteId } } } }""",
        )
    )
    record = made["createAsset"]["record"]
    assert (record["name"], record["manufacturer"], record["parent"]["remoteId"]) == (
        "Booster pump P-7",
        "KSB",
        "10000000",
    )
    assert row(rows, "Equipment", Equipment=record["remoteId"])["EquipmentCategory"] == "M"
    renamed = data(
        gateway.gql(
            token,
            """mutation($id: ID!, $m: String) { updateAsset(id: $id, input: {model: "Etanorm 2"}, ifMatch: $m)
        { record { model name } } }""",
            {"id": record["id"], "m": record["remoteVersion"]},
        )
    )
    assert renamed["updateAsset"]["record"] == {"model": "Etanorm 2", "name": "Booster pump P-7"}
    location = gateway.gql(
        token, 'mutation { updateAsset(id: "10000001", input: {location: "1010"}) { record { name } } }'
    )
    assert (
        error_code(location) == "BAD_USER_INPUT"
        and "SAP S/4HANA cannot write Asset.location" in location["errors"][0]["message"]
    )


def test_vendor_update_sets_the_purchasing_blocks(gateway, token, rows):
    supplier = next(
        s
        for s in rows.rows("A_Supplier")
        if not (s["PurchasingIsBlocked"] or s["PostingIsBlocked"] or s["DeletionIndicator"])
    )
    blocked = data(
        gateway.gql(
            token,
            "mutation($id: ID!) { updateVendor(id: $id, input: {active: false}) { record { active name } } }",
            {"id": supplier["Supplier"]},
        )
    )["updateVendor"]["record"]
    assert blocked == {"active": False, "name": supplier["SupplierName"]}
    stored = row(rows, "A_Supplier", Supplier=supplier["Supplier"])
    assert stored["PurchasingIsBlocked"] and stored["PostingIsBlocked"]
    data(
        gateway.gql(
            token,
            "mutation($id: ID!) { updateVendor(id: $id, input: {active: true}) { record { active } } }",
            {"id": supplier["Supplier"]},
        )
    )
    assert not row(rows, "A_Supplier", Supplier=supplier["Supplier"])["PurchasingIsBlocked"]


def test_ecc_writes_send_the_client(sqlite_gateway):
    with ServerThread(create_app(sap_client=ECC_CLIENT)) as ecc:
        token = connect(sqlite_gateway, ecc.url, "sap_ecc", sapClient=ECC_CLIENT)
        control = SandboxControl(ecc.url)
        made = data(sqlite_gateway.gql(token, CREATE_WO, {"i": {"title": "On premises", "location": "1010"}}))
        assert made["createWorkOrder"]["record"]["title"] == "On premises"
        assert all(c["query"].get("sap-client") == ECC_CLIENT for c in control.requests())


# -- purchase orders: organisational context, read back, deletion (items seen against independent implementations) --

PO_LINE = [{"part": "SP10002", "quantity": 2, "unitPrice": 7.25}]
CHOICES = "query($id: ID!, $n: String!) { writeSettingChoices(id: $id, name: $n) { value label } }"


def test_a_purchase_order_without_its_organisation_is_refused_by_name_before_any_call(sqlite_gateway, sandbox, control):
    token, _, _ = connection(sqlite_gateway, sandbox.url)
    control.clear_requests()
    refused = sqlite_gateway.gql(token, CREATE_PO, {"i": {"vendor": "17300001", "lines": PO_LINE}})
    assert error_code(refused) == "BAD_USER_INPUT"
    error = refused["errors"][0]
    assert (
        error["extensions"]["field"] == "writeOptions.companyCode"
        and "'companyCode' (Company code)" in error["message"]
    )
    assert control.requests() == []
    partly = sqlite_gateway.gql(
        token,
        """mutation($i: PurchaseOrderCreateInput!, $o: JSON) {
        createPurchaseOrder(input: $i, writeOptions: $o) { record { remoteId } } }""",
        {"i": {"vendor": "17300001", "lines": PO_LINE}, "o": {"companyCode": "1010", "purchasingOrganization": "1010"}},
    )
    assert partly["errors"][0]["extensions"]["field"] == "writeOptions.purchasingGroup" and control.requests() == []


ORGANISATION_PROPERTIES = {"CompanyCode": "1010", "PurchasingOrganization": "1010", "PurchasingGroup": "001"}


def post_to_sap(sandbox: ServerThread, service: str, entity_set: str, body: dict[str, Any]) -> httpx.Response:
    """A create sent straight to the sandbox (CSRF token fetched first), as any OData client would."""
    base = f"{sandbox.url}/sap/opu/odata/sap/{service}"
    with httpx.Client(auth=(LOGIN["username"], LOGIN["password"])) as client:
        token = client.get(f"{base}/", headers={"X-CSRF-Token": "Fetch"}).headers["x-csrf-token"]
        return client.post(
            f"{base}/{entity_set}", json=body, headers={"X-CSRF-Token": token, "Accept": "application/json"}
        )


def test_sap_refuses_a_purchase_order_without_company_code_with_its_error_body(sandbox, rows):
    """What the connector guards against: SAP's own answer to a create without the organisational units."""
    body = {
        "PurchaseOrderType": "NB",
        "Supplier": "17300001",
        "PurchasingOrganization": "1010",
        "PurchasingGroup": "001",
        "to_PurchaseOrderItem": {"results": [{"Material": "SP10002", "OrderQuantity": "1", "NetPriceAmount": "5"}]},
    }
    before = len(rows.rows("A_PurchaseOrder"))
    answer = post_to_sap(sandbox, "API_PURCHASEORDER_PROCESS_SRV", "A_PurchaseOrder", body)
    assert answer.status_code == 400 and len(rows.rows("A_PurchaseOrder")) == before
    error = answer.json()["error"]
    assert error["message"] == {"lang": "en", "value": "Enter a value for 'CompanyCode'"}
    assert error["innererror"]["errordetails"][0]["propertyref"] == "CompanyCode"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"MaintOrdBasicEndDateTime": "2026-12-01T10:00:00Z"}, "for property MaintOrdBasicEndDateTime (type Edm"),
        ({"SystemStatusText": "REL"}, "Property SystemStatusText cannot be set"),
        ({"Plant": "1010"}, "Property 'Plant' is invalid"),
    ],
)
def test_sap_refuses_values_its_metadata_does_not_allow(sandbox, rows, change, message):
    """The value rules docs/vendors/sap.md names: dates as `/Date(ms)/`, no property `sap:creatable="false"`,
    no property the set does not have; nothing is stored."""
    before = len(rows.rows("MaintenanceOrder"))
    body = {"MaintenanceOrderType": "PM01", "MaintenanceOrderDesc": "Rules", "FunctionalLocation": "1010", **change}
    answer = post_to_sap(sandbox, "API_MAINTENANCEORDER", "MaintenanceOrder", body)
    assert answer.status_code == 400 and message in answer.json()["error"]["message"]["value"]
    assert len(rows.rows("MaintenanceOrder")) == before


def test_sap_refuses_a_decimal_sent_as_a_json_number(sandbox, rows):
    """`Edm.Decimal` travels as a string in SAP's JSON; the connector sends strings, the sandbox refuses numbers."""
    item = {"Material": "SP10002", "OrderQuantity": 1, "NetPriceAmount": "5"}
    body = {"PurchaseOrderType": "NB", "Supplier": "17300001", **ORGANISATION_PROPERTIES}
    before = len(rows.rows("A_PurchaseOrder"))
    number = post_to_sap(
        sandbox,
        "API_PURCHASEORDER_PROCESS_SRV",
        "A_PurchaseOrder",
        {**body, "to_PurchaseOrderItem": {"results": [item]}},
    )
    assert number.status_code == 400 and len(rows.rows("A_PurchaseOrder")) == before
    assert "for property OrderQuantity (type Edm.Decimal)" in number.json()["error"]["message"]["value"]
    text = {**item, "OrderQuantity": "1"}
    made = post_to_sap(
        sandbox,
        "API_PURCHASEORDER_PROCESS_SRV",
        "A_PurchaseOrder",
        {**body, "to_PurchaseOrderItem": {"results": [text]}},
    )
    assert made.status_code == 201 and len(rows.rows("A_PurchaseOrder")) == before + 1


def test_write_options_override_the_connections_defaults_and_the_created_order_is_read_back(
    gateway, sandbox, rows, control
):
    token, _, _ = connection(gateway, sandbox.url, defaults=ORGANISATION)
    control.clear_requests()
    made = data(
        gateway.gql(
            token,
            """mutation($i: PurchaseOrderCreateInput!, $o: JSON) { createPurchaseOrder(input: $i, writeOptions: $o) {
        record { remoteId totalAmount lines { lineNumber quantity amount part { remoteId } } } } }""",
            {"i": {"vendor": "17300001", "currency": "USD", "lines": PO_LINE}, "o": {"companyCode": "1710"}},
        )
    )
    record = made["createPurchaseOrder"]["record"]
    stored = row(rows, "A_PurchaseOrder", PurchaseOrder=record["remoteId"])
    assert (stored["CompanyCode"], stored["PurchasingOrganization"], stored["PurchasingGroup"]) == (
        "1710",
        "1010",
        "001",
    )
    # SAP's answer defers the items: the order is read back with them expanded.
    assert record["totalAmount"] == 14.5
    assert record["lines"] == [{"lineNumber": 10, "quantity": 2.0, "amount": 14.5, "part": {"remoteId": "SP10002"}}]
    reads = calls(control, "GET", "/A_PurchaseOrder")
    assert len(reads) == 1 and reads[0]["query"]["$expand"] == "to_PurchaseOrderItem"
    replica = data(
        gateway.gql(
            token,
            "{ purchaseOrders(source: REPLICA, first: 200) { nodes { remoteId totalAmount lines { lineNumber } } } }",
        )
    )
    assert {"remoteId": record["remoteId"], "totalAmount": 14.5, "lines": [{"lineNumber": 10}]} in replica[
        "purchaseOrders"
    ]["nodes"]


def test_write_setting_choices_are_the_values_purchase_orders_use(sqlite_gateway, sandbox, rows):
    _, admin, connection_id = connection(sqlite_gateway, sandbox.url)
    for name, prop in (("companyCode", "CompanyCode"), ("purchasingGroup", "PurchasingGroup")):
        choices = data(sqlite_gateway.gql(admin, CHOICES, {"id": connection_id, "n": name}))["writeSettingChoices"]
        recent = sorted(rows.rows("A_PurchaseOrder"), key=lambda r: r["PurchaseOrder"])[-100:]
        assert [c["value"] for c in choices] == sorted({r[prop] for r in recent if r[prop]})
    settings = data(sqlite_gateway.gql(admin, '{ system(key: "sap_ecc") { writeSettings { name } } }'))
    assert [s["name"] for s in settings["system"]["writeSettings"]] == [
        "companyCode",
        "purchasingOrganization",
        "purchasingGroup",
    ]


def test_a_deleted_purchase_order_reads_cancelled_live_and_in_the_replica(gateway, token, rows):
    made = data(gateway.gql(token, CREATE_PO, {"i": {"vendor": "17300001", "lines": PO_LINE}}))["createPurchaseOrder"][
        "record"
    ]
    data(gateway.gql(token, "mutation($id: ID!) { deletePurchaseOrder(id: $id) { deleted } }", {"id": made["id"]}))
    query = "query($r: String) { purchaseOrder(remoteId: $r) { status deletedAt } }"
    live = data(gateway.gql(token, query, {"r": made["remoteId"]}))["purchaseOrder"]
    assert live["status"] == "CANCELLED" and live["deletedAt"]
    included = "{ purchaseOrders(source: REPLICA, first: 200, filter: {includeDeleted: true}) { nodes { remoteId status deletedAt } } }"
    replica = next(
        n for n in data(gateway.gql(token, included))["purchaseOrders"]["nodes"] if n["remoteId"] == made["remoteId"]
    )
    assert replica["deletedAt"]
    for source in ("LIVE", "REPLICA"):
        listed = data(
            gateway.gql(token, f"{{ purchaseOrders(source: {source}, first: 200) {{ nodes {{ remoteId }} }} }}")
        )
        assert made["remoteId"] not in {n["remoteId"] for n in listed["purchaseOrders"]["nodes"]}


def test_the_replica_of_a_deleted_purchase_order_holds_its_cancelled_status(gateway, token):
    made = data(gateway.gql(token, CREATE_PO, {"i": {"vendor": "17300001", "lines": PO_LINE}}))["createPurchaseOrder"][
        "record"
    ]
    data(gateway.gql(token, "mutation($id: ID!) { deletePurchaseOrder(id: $id) { deleted } }", {"id": made["id"]}))
    included = (
        "{ purchaseOrders(source: REPLICA, first: 200, filter: {includeDeleted: true}) { nodes { remoteId status } } }"
    )
    replica = next(
        n for n in data(gateway.gql(token, included))["purchaseOrders"]["nodes"] if n["remoteId"] == made["remoteId"]
    )
    assert replica["status"] == "CANCELLED"
