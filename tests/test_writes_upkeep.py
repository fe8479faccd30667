"""Writes through the data schema against the UpKeep sandbox: create, update, delete, stock.

Each module gets its own sandbox, so records written here never show up in
other tests; the sandbox's tables are counted to prove what reached UpKeep.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.upkeep.app import SANDBOX
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.conftest import Gateway
from tests.helpers import data, error_code
from tests.write_helpers import module_sandbox

CREATE_WO = """
mutation($i: WorkOrderCreateInput!, $k: String) {
  createWorkOrder(input: $i, idempotencyKey: $k) {
    replayed
    record { id remoteId number title priority type dueDate remoteVersion asset { remoteId } assignees { remoteId } }
  }
}
"""
UPDATE_WO = """
mutation($id: ID!, $i: WorkOrderUpdateInput!, $m: String) {
  updateWorkOrder(id: $id, input: $i, ifMatch: $m) { record { remoteId title status remoteVersion } }
}
"""


sandbox = module_sandbox(create_upkeep_sandbox)
SANDBOX_LOGIN = (SANDBOX.credentials["email"], SANDBOX.credentials["password"])


@pytest.fixture
def control(sandbox: ServerThread) -> Iterator[SandboxControl]:
    control = SandboxControl(sandbox.url)
    control.clear_requests()
    yield control
    control.clear_fault()


@pytest.fixture
def token(gateway: Gateway, sandbox: ServerThread) -> str:
    """A fresh UpKeep connection on each database backend, logged in (faults then hit the writes)."""
    created = data(gateway.connect(gateway.new_org(), sandbox.url))["createConnection"]
    data(gateway.gql(created["token"], "{ users(first: 1) { nodes { id } } }"))
    return created["token"]


def count(sandbox: ServerThread, resource: str) -> int:
    return sandbox.app.state.data.count(resource)


def posts(control: SandboxControl, path: str) -> int:
    return sum(1 for r in control.requests() if r["method"] == "POST" and r["path"] == f"/api/v2/{path}")


def an_asset(sandbox: ServerThread) -> dict[str, Any]:
    return next(a for a in sandbox.app.state.data.records("assets") if a["status"] == "active")


def test_create_maps_input_both_ways_and_is_visible_live_and_in_the_replica(gateway, token, sandbox):
    asset, techs = an_asset(sandbox), [u["id"] for u in sandbox.app.state.data.records("users")[:2]]
    before = count(sandbox, "work-orders")
    made = data(
        gateway.gql(
            token,
            CREATE_WO,
            {
                "i": {
                    "title": "Replace drive belt",
                    "priority": "HIGH",
                    "type": "PREVENTIVE",
                    "dueDate": "2026-12-01T10:00:00Z",
                    "asset": asset["id"],
                    "assignees": techs,
                }
            },
        )
    )["createWorkOrder"]
    record = made["record"]
    assert made["replayed"] is False and count(sandbox, "work-orders") == before + 1
    stored = sandbox.app.state.data.get("work-orders", record["remoteId"])
    # UpKeep's wire format: epoch-ms due date in, ISO out; priority 3; first assignee apart.
    assert (stored["priority"], stored["category"], stored["assignedToUser"], stored["additionalUsers"]) == (
        3,
        "Preventive",
        techs[0],
        techs[1:],
    )
    assert stored["dueDate"] == "2026-12-01T10:00:00.000Z"
    assert (record["title"], record["priority"], record["type"]) == ("Replace drive belt", "HIGH", "PREVENTIVE")
    assert record["asset"]["remoteId"] == asset["id"] and [u["remoteId"] for u in record["assignees"]] == techs
    live = data(
        gateway.gql(token, "query($r: String) { workOrder(remoteId: $r) { title number } }", {"r": record["remoteId"]})
    )
    assert live["workOrder"] == {"title": "Replace drive belt", "number": record["number"]}
    replica = data(gateway.gql(token, "{ workOrders(source: REPLICA, first: 200) { nodes { remoteId title } } }"))
    assert {"remoteId": record["remoteId"], "title": "Replace drive belt"} in replica["workOrders"]["nodes"]


def test_a_create_retried_with_its_idempotency_key_makes_one_record(gateway, token, sandbox, control):
    before = count(sandbox, "work-orders")
    first = data(gateway.gql(token, CREATE_WO, {"i": {"title": "Leak at pump 4"}, "k": "req-1"}))["createWorkOrder"]
    again = data(gateway.gql(token, CREATE_WO, {"i": {"title": "Leak at pump 4"}, "k": "req-1"}))["createWorkOrder"]
    assert count(sandbox, "work-orders") == before + 1 and posts(control, "work-orders") == 1
    assert again["replayed"] is True and again["record"] == first["record"]


def test_concurrent_creates_with_one_key_reach_the_system_once(gateway, token, sandbox, control):
    before = count(sandbox, "work-orders")
    control.fault("slow", delay=0.5, count=1)  # the first request holds the key while the others arrive

    def create(_: int) -> dict:
        return gateway.gql(token, CREATE_WO, {"i": {"title": "Same key, many tabs"}, "k": "tabs"})

    with ThreadPoolExecutor(6) as pool:
        answers = [data(r)["createWorkOrder"] for r in pool.map(create, range(6))]
    assert count(sandbox, "work-orders") == before + 1 and posts(control, "work-orders") == 1
    assert len({a["record"]["remoteId"] for a in answers}) == 1
    assert sorted(a["replayed"] for a in answers) == [False] + [True] * 5


def test_one_key_for_a_different_request_is_refused(gateway, token, sandbox):
    data(gateway.gql(token, CREATE_WO, {"i": {"title": "First"}, "k": "reused"}))
    before = count(sandbox, "work-orders")
    again = gateway.gql(token, CREATE_WO, {"i": {"title": "Second"}, "k": "reused"})
    assert error_code(again) == "BAD_USER_INPUT" and "different request" in again["errors"][0]["message"]
    assert count(sandbox, "work-orders") == before


def test_a_create_whose_answer_was_lost_is_never_sent_again(gateway, token, sandbox, control):
    before = count(sandbox, "work-orders")
    control.fault("truncate", count=1)  # UpKeep stores it, the answer is cut mid-body
    lost = gateway.gql(token, CREATE_WO, {"i": {"title": "Answer lost"}, "k": "lost-1"})
    assert error_code(lost) == "SYSTEM_UNREACHABLE" and lost["errors"][0]["extensions"]["outcome"] == "UNKNOWN"
    retried = gateway.gql(token, CREATE_WO, {"i": {"title": "Answer lost"}, "k": "lost-1"})
    assert error_code(retried) == "SYSTEM_UNREACHABLE" and "may have reached UpKeep" in retried["errors"][0]["message"]
    assert count(sandbox, "work-orders") == before + 1 and posts(control, "work-orders") == 1


def test_a_create_the_system_refused_can_be_retried_with_the_same_key(gateway, token, sandbox, control):
    before = count(sandbox, "work-orders")
    control.fault("error", status=422, count=1)
    refused = gateway.gql(token, CREATE_WO, {"i": {"title": "Try again"}, "k": "retry-ok"})
    assert error_code(refused) == "SYSTEM_REJECTED"
    made = data(gateway.gql(token, CREATE_WO, {"i": {"title": "Try again"}, "k": "retry-ok"}))["createWorkOrder"]
    assert made["replayed"] is False and count(sandbox, "work-orders") == before + 1


@pytest.mark.parametrize(
    "given, message",
    [
        ({"description": "no title"}, "include required field 'title'"),
        ({"title": "x", "startedAt": "2026-01-01T00:00:00Z"}, "UpKeep cannot write WorkOrder.startedAt"),
        ({"title": "x", "type": "OTHER"}, "no value for OTHER"),
        ({"title": "x", "asset": "WyJ4IiwiVXNlciIsIjEiXQ"}, "is not the id of a Asset"),
    ],
)
def test_bad_input_is_refused_before_any_upstream_call(sqlite_gateway, sandbox, control, given, message):
    token = data(sqlite_gateway.connect(sqlite_gateway.new_org(), sandbox.url))["createConnection"]["token"]
    control.clear_requests()
    refused = sqlite_gateway.gql(token, CREATE_WO, {"i": given})
    assert error_code(refused) == "BAD_USER_INPUT" and message in refused["errors"][0]["message"]
    assert control.requests() == []


def test_the_systems_own_validation_error_comes_back_with_its_message(gateway, token):
    refused = gateway.gql(token, CREATE_WO, {"i": {"title": "x", "asset": "NoSuchAsset"}})
    assert error_code(refused) == "SYSTEM_REJECTED"
    assert "'asset' refers to an unknown assets record 'NoSuchAsset'" in refused["errors"][0]["message"]


def test_update_with_if_match_and_a_stale_version_conflicts(gateway, token, sandbox):
    made = data(gateway.gql(token, CREATE_WO, {"i": {"title": "Version me"}}))["createWorkOrder"]["record"]
    first = data(
        gateway.gql(token, UPDATE_WO, {"id": made["id"], "i": {"status": "IN_PROGRESS"}, "m": made["remoteVersion"]})
    )
    updated = first["updateWorkOrder"]["record"]
    assert updated["status"] == "IN_PROGRESS" and updated["title"] == "Version me"
    assert sandbox.app.state.data.get("work-orders", made["remoteId"])["status"] == "inProgress"
    stale = gateway.gql(token, UPDATE_WO, {"id": made["id"], "i": {"title": "Lost update"}, "m": made["remoteVersion"]})
    assert error_code(stale) == "SYSTEM_REJECTED"
    extensions = stale["errors"][0]["extensions"]
    assert extensions["reason"] == "CONFLICT" and extensions["currentVersion"] == updated["remoteVersion"]
    assert sandbox.app.state.data.get("work-orders", made["remoteId"])["title"] == "Version me"


def test_update_by_remote_id_and_of_a_missing_record(gateway, token, sandbox):
    asset = an_asset(sandbox)
    renamed = data(
        gateway.gql(
            token,
            'mutation($id: ID!) { updateAsset(id: $id, input: {model: "MK-II"}) { record { model name } } }',
            {"id": asset["id"]},
        )
    )
    assert renamed["updateAsset"]["record"] == {"model": "MK-II", "name": asset["name"]}
    missing = gateway.gql(token, UPDATE_WO, {"id": "NoSuchOrder", "i": {"title": "x"}})
    assert error_code(missing) == "NOT_FOUND"
    empty = gateway.gql(token, UPDATE_WO, {"id": "NoSuchOrder", "i": {}})
    assert error_code(empty) == "BAD_USER_INPUT"
    assert error_code(gateway.gql(token, UPDATE_WO, {"id": "", "i": {"title": "x"}})) == "BAD_USER_INPUT"
    # An id with a path separator or a dot segment is refused: it can never address another resource.
    sneaky = gateway.gql(token, 'mutation { deleteWorkOrder(id: "../vendors/x") { id } }')
    assert error_code(sneaky) == "BAD_USER_INPUT"


def test_delete_removes_it_from_the_system_live_reads_and_the_replica(gateway, token, sandbox):
    made = data(gateway.gql(token, CREATE_WO, {"i": {"title": "Delete me"}}))["createWorkOrder"]["record"]
    gone = data(
        gateway.gql(
            token, "mutation($id: ID!) { deleteWorkOrder(id: $id) { id remoteId deleted } }", {"id": made["id"]}
        )
    )
    assert gone["deleteWorkOrder"] == {"id": made["id"], "remoteId": made["remoteId"], "deleted": True}
    assert sandbox.app.state.data.get("work-orders", made["remoteId"]) is None
    live = data(gateway.gql(token, "query($r: String) { workOrder(remoteId: $r) { title } }", {"r": made["remoteId"]}))
    assert live["workOrder"] is None
    replica = data(gateway.gql(token, "{ workOrders(source: REPLICA, first: 200) { nodes { remoteId } } }"))
    assert made["remoteId"] not in {n["remoteId"] for n in replica["workOrders"]["nodes"]}


def test_a_write_the_system_does_not_support_is_unsupported(gateway, token, sandbox, control):
    order = sandbox.app.state.data.records("purchase-orders")[0]
    control.clear_requests()
    refused = gateway.gql(token, "mutation($id: ID!) { deletePurchaseOrder(id: $id) { id } }", {"id": order["id"]})
    assert error_code(refused) == "UNSUPPORTED_OPERATION"
    # The connection's schema has no such mutation: validation says why, naming the system; nothing is sent.
    assert refused["errors"][0]["message"].endswith(": UpKeep does not support delete of PurchaseOrder.")
    assert control.requests() == []


def test_purchase_order_with_lines_is_one_request(gateway, token, sandbox, control):
    vendor, parts = sandbox.app.state.data.records("vendors")[0], sandbox.app.state.data.records("parts")[:2]
    lines = [{"part": p["id"], "quantity": 3, "unitPrice": 12.5} for p in parts]
    made = data(
        gateway.gql(
            token,
            """
      mutation($i: PurchaseOrderCreateInput!) { createPurchaseOrder(input: $i) {
        record { number status totalAmount vendor { remoteId } lines { lineNumber quantity unitPrice amount part { remoteId } } } } }
    """,
            {"i": {"vendor": vendor["id"], "lines": lines}},
        )
    )["createPurchaseOrder"]["record"]
    assert made["status"] == "SUBMITTED" and made["totalAmount"] == 75.0 and made["vendor"]["remoteId"] == vendor["id"]
    assert [(line["lineNumber"], line["part"]["remoteId"], line["amount"]) for line in made["lines"]] == [
        (1, parts[0]["id"], 37.5),
        (2, parts[1]["id"], 37.5),
    ]
    assert posts(control, "purchase-orders") == 1
    no_price = gateway.gql(
        token,
        "mutation($i: PurchaseOrderCreateInput!) { createPurchaseOrder(input: $i) { record { number } } }",
        {"i": {"vendor": vendor["id"], "lines": [{"part": parts[0]["id"], "quantity": 1}]}},
    )
    assert error_code(no_price) == "BAD_USER_INPUT" and "line 1 needs unitPrice" in no_price["errors"][0]["message"]


@pytest.mark.parametrize(
    "mutation, given, read",
    [
        ("createVendor", {"name": "Acme Bearings", "email": "sales@acme.example"}, "name email"),
        (
            "createAsset",
            {"name": "Compressor C-9", "status": "IN_REPAIR", "serialNumber": "SN-9"},
            "name status serialNumber",
        ),
        ("createMaintenanceRequest", {"title": "Noisy fan", "priority": "LOW"}, "title priority"),
    ],
)
def test_other_creates(gateway, token, mutation, given, read):
    entity = mutation.removeprefix("create")
    made = data(
        gateway.gql(
            token,
            f"mutation($i: {entity}CreateInput!) {{ {mutation}(input: $i) {{ record {{ {read} }} }} }}",
            {"i": given},
        )
    )
    assert made[mutation]["record"] == given


ADJUST = "mutation($p: ID!, $d: Float!, $k: String) { adjustPartStock(partId: $p, delta: $d, idempotencyKey: $k) { replayed record { quantityOnHand } } }"


def test_stock_adjustment_is_applied_once_per_key(gateway, token, sandbox):
    part = sandbox.app.state.data.records("parts")[5]
    on_hand = part["quantity"]
    first = data(gateway.gql(token, ADJUST, {"p": part["id"], "d": 5, "k": f"adj-{gateway.backend}"}))[
        "adjustPartStock"
    ]
    again = data(gateway.gql(token, ADJUST, {"p": part["id"], "d": 5, "k": f"adj-{gateway.backend}"}))[
        "adjustPartStock"
    ]
    assert first["record"]["quantityOnHand"] == on_hand + 5 and again["replayed"] is True
    assert sandbox.app.state.data.get("parts", part["id"])["quantity"] == on_hand + 5
    below = gateway.gql(token, ADJUST, {"p": part["id"], "d": -(on_hand + 6)})
    assert error_code(below) == "SYSTEM_REJECTED" and "below zero" in below["errors"][0]["message"]


def test_vendors_cannot_be_deleted(gateway, token, sandbox, control):
    """UpKeep's API Reference has no vendor delete (docs/vendors/upkeep.md): refused before any call,
    and the sandbox refuses `DELETE /vendors/{id}` too."""
    vendor = sandbox.app.state.data.records("vendors")[0]
    control.clear_requests()
    refused = gateway.gql(token, "mutation($id: ID!) { deleteVendor(id: $id) { id } }", {"id": vendor["id"]})
    assert error_code(refused) == "UNSUPPORTED_OPERATION" and control.requests() == []
    with httpx.Client(base_url=sandbox.url) as client:
        session = client.post("/api/v2/auth", json=dict(zip(("email", "password"), SANDBOX_LOGIN))).json()
        answer = client.delete(
            f"/api/v2/vendors/{vendor['id']}", headers={"Session-Token": session["result"]["sessionToken"]}
        )
    assert answer.status_code == 405 and answer.json()["success"] is False
    assert sandbox.app.state.data.get("vendors", vendor["id"]) is not None


def test_a_failing_mutation_keeps_the_result_of_the_one_before_it(gateway: Gateway, sandbox: ServerThread, token: str):
    """Mutation fields are nullable: a failed write answers null on its own path, and the write done
    before it stays in the answer (a non-null field would have blanked the whole answer, done write included)."""
    answer = gateway.gql(
        token,
        'mutation { done: createVendor(input: {name: "Partial answers Ltd"}) { record { name } } '
        'failed: deleteWorkOrder(id: "..") { deleted } }',
    )
    assert answer["data"] == {"done": {"record": {"name": "Partial answers Ltd"}}, "failed": None}
    assert [(e["path"], e["extensions"]["code"]) for e in answer["errors"]] == [(["failed"], "BAD_USER_INPUT")]
