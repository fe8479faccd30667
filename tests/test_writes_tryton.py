"""Writes to a real trytond through the gateway's GraphQL (and the connector for lost answers).

The connection reaches Tryton through the fault proxy, so a test can see that
bad input never left the gateway. What Tryton kept is read back over its own
RPC API (`truth`), counted with `search_count`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.base import ConnectionConfig
from connectors.http import HttpPolicy
from connectors.tryton.connector import TrytonConnector
from sandboxes.kit import SandboxControl, ServerThread, fault_proxy
from schema.errors import SystemUnreachable
from tests.helpers import data
from tests.tryton_server import CREDENTIALS, Rpc, TrytonServer
from tests.write_helpers import adjust, create, delete, error, read, record, update

pytestmark = pytest.mark.tryton

SHELF_A = "9"  # a storage location of the seed (tests/tryton_server.py)


@pytest.fixture(scope="module")
def proxy(tryton_scratch: TrytonServer) -> Iterator[ServerThread]:
    with ServerThread(fault_proxy(tryton_scratch.url, lambda status, message: {"error": [message, []]})) as server:
        yield server


@pytest.fixture
def control(proxy: ServerThread) -> Iterator[SandboxControl]:
    control = SandboxControl(proxy.url)
    control.clear_requests()
    yield control
    control.clear_fault()


@pytest.fixture(scope="module")
def truth(tryton_truth: Rpc) -> Rpc:
    return tryton_truth


@pytest.fixture(scope="module")
def token(sqlite_gateway, proxy) -> str:
    admin = sqlite_gateway.new_org(credits=1000)
    answer = sqlite_gateway.connect(
        admin, proxy.url, name="Tryton writes", system="tryton", hosting="ON_PREMISES", credentials=CREDENTIALS
    )
    return data(answer)["createConnection"]["token"]


def count(truth: Rpc, model: str, domain: list) -> int:
    return truth(model, "search_count", domain)


def stamp(truth: Rpc, model: str, remote_id: str) -> str:
    return truth(model, "read", [int(remote_id)], ["_timestamp"])[0]["_timestamp"]


def on_hand(truth: Rpc, product: int, location: int) -> float:
    """Tryton's own stock computation at one location."""
    rows = truth.raw(
        "model.product.product.read",
        [[product], ["quantity"], {**truth.context, "locations": [location], "with_childs": False}],
    )
    return rows[0]["quantity"]


def test_vendor_create_update_delete_in_tryton_and_live(sqlite_gateway, token, truth):
    made = record(
        create(
            sqlite_gateway,
            token,
            "Vendor",
            {
                "name": "Acme Pumps",
                "email": "sales@acme.example",
                "phone": "+49 30 555 0100",
            },
            "name code email phone active",
        ),
        "createVendor",
    )
    kept = truth("party.party", "read", [int(made["remoteId"])], ["name", "code", "email", "phone", "_timestamp"])[0]
    assert (kept["name"], kept["email"], kept["phone"]) == ("Acme Pumps", "sales@acme.example", "+49 30 555 0100")
    assert made["code"] == kept["code"] and made["active"] is True  # Tryton numbers the party
    assert made["remoteVersion"] == kept["_timestamp"]

    changed = record(
        update(
            sqlite_gateway,
            token,
            "Vendor",
            made["id"],
            {"name": "Acme Pumps GmbH", "active": False},
            "name active",
            if_match=made["remoteVersion"],
        ),
        "updateVendor",
    )
    assert (changed["name"], changed["active"]) == ("Acme Pumps GmbH", False)
    assert changed["remoteVersion"] == stamp(truth, "party.party", made["remoteId"]) != made["remoteVersion"]
    live = read(sqlite_gateway, token, "Vendor", made["id"], "name active")
    assert (live["name"], live["active"], live["remoteVersion"]) == ("Acme Pumps GmbH", False, changed["remoteVersion"])

    gone = data(delete(sqlite_gateway, token, "Vendor", made["id"], if_match=changed["remoteVersion"]))["deleteVendor"]
    assert gone == {"id": made["id"], "remoteId": made["remoteId"], "deleted": True}
    assert count(truth, "party.party", [["id", "=", int(made["remoteId"])], ["active", "in", [True, False]]]) == 0
    assert read(sqlite_gateway, token, "Vendor", made["id"], "name") is None
    missing = error(delete(sqlite_gateway, token, "Vendor", made["id"]))
    assert missing["code"] == "NOT_FOUND"


def test_purchase_order_with_lines_is_one_create_call(sqlite_gateway, token, truth, control):
    made = record(
        create(
            sqlite_gateway,
            token,
            "PurchaseOrder",
            {
                "vendor": "3",
                "number": "ACME-7",
                "currency": "EUR",
                "expectedDate": "2026-03-01T00:00:00Z",
                "lines": [
                    {"part": "1", "quantity": 2, "unitPrice": 3.5},
                    {"part": "2", "quantity": 1, "unitPrice": 10, "unitOfMeasure": "Unit", "description": "Seal kit"},
                ],
            },
            "number status totalAmount currency expectedDate vendor { remoteId } "
            "lines { quantity unitPrice amount description part { remoteId } }",
        ),
        "createPurchaseOrder",
    )
    assert (made["number"], made["status"], made["currency"], made["totalAmount"]) == ("ACME-7", "DRAFT", "EUR", 17.0)
    assert made["expectedDate"].startswith("2026-03-01") and made["vendor"] == {"remoteId": "3"}
    assert [
        (line["part"]["remoteId"], line["quantity"], line["amount"], line["description"]) for line in made["lines"]
    ] == [
        ("1", 2.0, 7.0, None),
        ("2", 1.0, 10.0, "Seal kit"),
    ]
    kept = truth(
        "purchase.purchase", "read", [int(made["remoteId"])], ["reference", "party", "invoice_address", "lines"]
    )[0]
    assert (
        kept["reference"] == "ACME-7" and kept["party"] == 3 and kept["invoice_address"]
    )  # as Tryton's client fills it
    lines = truth("purchase.line", "read", kept["lines"], ["product", "unit", "unit_price"])
    assert [(line["product"], line["unit"], float(line["unit_price"]["decimal"])) for line in lines] == [
        (1, 1, 3.5),
        (2, 1, 10.0),
    ]

    # One transaction: a line Tryton refuses leaves no purchase and no line behind.
    before = (count(truth, "purchase.purchase", []), count(truth, "purchase.line", []))
    refused = error(
        create(
            sqlite_gateway,
            token,
            "PurchaseOrder",
            {
                "vendor": "3",
                "lines": [
                    {"part": "1", "quantity": 1, "unitPrice": 2},
                    {"part": "2", "quantity": 1, "unitPrice": 2, "unitOfMeasure": "Kilogram"},
                ],
            },
        )
    )
    assert refused["code"] == "SYSTEM_REJECTED" and "Unit" in refused["message"]
    assert (count(truth, "purchase.purchase", []), count(truth, "purchase.line", [])) == before


def test_a_create_retried_with_the_same_key_leaves_one_record(sqlite_gateway, token, truth):
    given = {"vendor": "4", "number": "RETRY-1", "lines": [{"part": "5", "quantity": 3, "unitPrice": 1.25}]}
    first = create(sqlite_gateway, token, "PurchaseOrder", given, "number", key="tryton-retry-1")
    again = create(sqlite_gateway, token, "PurchaseOrder", given, "number", key="tryton-retry-1")
    assert (data(first)["createPurchaseOrder"]["replayed"], data(again)["createPurchaseOrder"]["replayed"]) == (
        False,
        True,
    )
    assert record(again, "createPurchaseOrder")["remoteId"] == record(first, "createPurchaseOrder")["remoteId"]
    assert count(truth, "purchase.purchase", [["reference", "=", "RETRY-1"]]) == 1


def test_update_with_a_stale_timestamp_is_a_conflict(sqlite_gateway, token, truth):
    vendor = data(sqlite_gateway.gql(token, '{ vendor(remoteId: "5") { id name remoteVersion } }'))["vendor"]
    assert vendor["remoteVersion"] == stamp(truth, "party.party", "5")
    truth("party.party", "write", [5], {"name": "Renamed in Tryton"})  # someone else, meanwhile
    stale = error(
        update(sqlite_gateway, token, "Vendor", vendor["id"], {"name": "Lost update"}, if_match=vendor["remoteVersion"])
    )
    assert stale["code"] == "SYSTEM_REJECTED" and stale["reason"] == "CONFLICT"
    assert stale["currentVersion"] == stamp(truth, "party.party", "5") != vendor["remoteVersion"]
    assert truth("party.party", "read", [5], ["name"])[0]["name"] == "Renamed in Tryton"


def test_status_is_tryton_workflow_and_its_refusals_come_back(sqlite_gateway, token, truth):
    po = record(
        create(
            sqlite_gateway,
            token,
            "PurchaseOrder",
            {"vendor": "6", "lines": [{"part": "7", "quantity": 4, "unitPrice": 2}]},
            "status",
        ),
        "createPurchaseOrder",
    )
    approved = record(
        update(
            sqlite_gateway,
            token,
            "PurchaseOrder",
            po["id"],
            {"status": "APPROVED"},
            "number status statusRaw orderDate",
            if_match=po["remoteVersion"],
        ),
        "updatePurchaseOrder",
    )
    kept = truth("purchase.purchase", "read", [int(po["remoteId"])], ["state", "number"])[0]
    assert (approved["status"], approved["statusRaw"], approved["number"]) == ("APPROVED", "confirmed", kept["number"])
    assert kept["state"] == "confirmed" and approved["orderDate"]  # Tryton dates and numbers it when quoted

    refused = error(delete(sqlite_gateway, token, "PurchaseOrder", po["id"]))
    assert refused["code"] == "SYSTEM_REJECTED" and "you must cancel it" in refused["message"]
    assert count(truth, "purchase.purchase", [["id", "=", int(po["remoteId"])]]) == 1

    # A party whose address was removed cannot be quoted: Tryton says so and the draft is not left behind.
    loner = record(create(sqlite_gateway, token, "Vendor", {"name": "No Address Ltd"}), "createVendor")
    truth("party.address", "delete", truth("party.address", "search", [["party", "=", int(loner["remoteId"])]]))
    before = count(truth, "purchase.purchase", [])
    stuck = error(create(sqlite_gateway, token, "PurchaseOrder", {"vendor": loner["remoteId"], "status": "SUBMITTED"}))
    assert stuck["code"] == "SYSTEM_REJECTED" and "quote" in stuck["message"]
    assert count(truth, "purchase.purchase", []) == before


def test_a_status_the_purchase_has_presses_no_button_tryton_would_refuse(sqlite_gateway, token, truth):
    """trytond refuses a button hidden in the record's state ("You can not call draft"): DRAFT on a draft,
    or APPROVED on a quotation (quote is hidden there), presses only what Tryton shows."""
    po = record(
        create(
            sqlite_gateway,
            token,
            "PurchaseOrder",
            {"vendor": "6", "status": "DRAFT", "lines": [{"part": "7", "quantity": 1, "unitPrice": 2}]},
            "status",
        ),
        "createPurchaseOrder",
    )
    assert po["status"] == "DRAFT"
    same = record(
        update(
            sqlite_gateway,
            token,
            "PurchaseOrder",
            po["id"],
            {"status": "DRAFT"},
            "status",
            if_match=po["remoteVersion"],
        ),
        "updatePurchaseOrder",
    )
    assert same["status"] == "DRAFT" and same["remoteVersion"] == po["remoteVersion"]  # nothing written
    truth("purchase.purchase", "quote", [int(po["remoteId"])])  # someone else, meanwhile
    stale = error(
        update(sqlite_gateway, token, "PurchaseOrder", po["id"], {"status": "APPROVED"}, if_match=po["remoteVersion"])
    )  # quote is skipped, so no button checks the version
    assert stale["reason"] == "CONFLICT" and stale["currentVersion"] == stamp(
        truth, "purchase.purchase", po["remoteId"]
    )
    assert truth("purchase.purchase", "read", [int(po["remoteId"])], ["state"])[0]["state"] == "quotation"
    approved = record(
        update(
            sqlite_gateway,
            token,
            "PurchaseOrder",
            po["id"],
            {"status": "APPROVED"},
            "status",
            if_match=stale["currentVersion"],
        ),
        "updatePurchaseOrder",
    )
    assert approved["status"] == "APPROVED"


def test_replacing_lines_of_a_draft(sqlite_gateway, token, truth):
    po = record(
        create(
            sqlite_gateway,
            token,
            "PurchaseOrder",
            {
                "vendor": "7",
                "lines": [{"part": "1", "quantity": 1, "unitPrice": 1}, {"part": "2", "quantity": 1, "unitPrice": 1}],
            },
        ),
        "createPurchaseOrder",
    )
    changed = record(
        update(
            sqlite_gateway,
            token,
            "PurchaseOrder",
            po["id"],
            {"lines": [{"part": "3", "quantity": 5, "unitPrice": 2}]},
            "totalAmount lines { part { remoteId } quantity }",
        ),
        "updatePurchaseOrder",
    )
    assert changed["lines"] == [{"part": {"remoteId": "3"}, "quantity": 5.0}] and changed["totalAmount"] == 10.0
    assert count(truth, "purchase.line", [["purchase", "=", int(po["remoteId"])]]) == 1


def test_the_systems_validation_error_is_system_rejected_with_its_message(sqlite_gateway, token, truth):
    code = truth("party.party", "read", [2], ["code"])[0]["code"]
    before = count(truth, "party.party", [])
    refused = error(create(sqlite_gateway, token, "Vendor", {"name": "Twin", "code": code}))
    assert refused["code"] == "SYSTEM_REJECTED" and "The code on party must be unique." in refused["message"]
    assert count(truth, "party.party", []) == before


@pytest.mark.parametrize(
    "entity, values, message",
    [
        ("Vendor", {"email": "nameless@example.com"}, "include required field 'name'"),
        ("PurchaseOrder", {"vendor": "3", "status": "RECEIVED"}, "Tryton cannot set PurchaseOrder.status to RECEIVED"),
        ("PurchaseOrder", {"vendor": "3", "lines": [{"part": "1", "quantity": 1}]}, "line 1 needs unitPrice"),
        (
            "PurchaseOrder",
            {"vendor": "3", "lines": [{"part": "1", "quantity": 1, "unitPrice": 1, "receivedQuantity": 1}]},
            "not to include 'receivedQuantity': Tryton cannot write PurchaseOrder.lines.receivedQuantity",
        ),
    ],
)
def test_bad_input_is_refused_before_any_upstream_call(sqlite_gateway, token, control, entity, values, message):
    refused = error(create(sqlite_gateway, token, entity, values))
    assert refused["code"] == "BAD_USER_INPUT" and message in refused["message"]
    assert control.requests() == []


def test_writes_tryton_does_not_have_are_unsupported(sqlite_gateway, token, control):
    for answer, operation in (  # inline inputs: the schema has no input types for entities Tryton lacks
        (
            sqlite_gateway.gql(token, 'mutation { createWorkOrder(input: {title: "Fix pump"}) { replayed } }'),
            "create of WorkOrder",
        ),
        (sqlite_gateway.gql(token, 'mutation { createAsset(input: {name: "Pump"}) { replayed } }'), "create of Asset"),
        (
            sqlite_gateway.gql(
                token, 'mutation { updateMaintenanceRequest(id: "1", input: {title: "x"}) { replayed } }'
            ),
            "update of MaintenanceRequest",
        ),
    ):
        refused = error(answer)
        assert refused["code"] == "UNSUPPORTED_OPERATION" and "Tryton" in refused["message"], refused
        assert operation in refused["message"]  # the schema has no such mutation; validation names the system
    assert control.requests() == []


def test_stock_adjustment_is_a_tryton_inventory_applied_once_per_key(sqlite_gateway, token, truth):
    before = on_hand(truth, 4, int(SHELF_A))
    inventories = count(truth, "stock.inventory", [])
    first = adjust(
        sqlite_gateway,
        token,
        "4",
        5,
        SHELF_A,
        key="tryton-adjust-1",
        selection="quantityOnHand stockLevels { quantity location { remoteId } }",
    )
    assert data(first)["adjustPartStock"]["replayed"] is False
    again = adjust(sqlite_gateway, token, "4", 5, SHELF_A, key="tryton-adjust-1")
    assert data(again)["adjustPartStock"]["replayed"] is True
    assert on_hand(truth, 4, int(SHELF_A)) == before + 5
    levels = {s["location"]["remoteId"]: s["quantity"] for s in record(first, "adjustPartStock")["stockLevels"]}
    assert levels[SHELF_A] == before + 5
    done = truth("stock.inventory", "search_read", [], 0, None, [["id", "DESC"]], ["state", "location", "lines"])
    assert len(done) == inventories + 1 and done[0]["state"] == "done" and done[0]["location"] == int(SHELF_A)
    assert len(done[0]["lines"]) == 1  # only the adjusted product is counted

    taken = record(adjust(sqlite_gateway, token, "4", -2, SHELF_A), "adjustPartStock")
    assert on_hand(truth, 4, int(SHELF_A)) == before + 3
    assert taken["quantityOnHand"] == record(first, "adjustPartStock")["quantityOnHand"] - 2

    refused = error(adjust(sqlite_gateway, token, "4", -(before + 100), SHELF_A))
    assert refused["code"] == "SYSTEM_REJECTED" and "below zero" in refused["message"]
    assert on_hand(truth, 4, int(SHELF_A)) == before + 3
    assert count(truth, "stock.inventory", []) == inventories + 2  # the refused count left no draft


async def test_a_create_whose_answer_was_lost_is_never_sent_again(proxy, truth):
    policy = HttpPolicy(connect_timeout=2, read_timeout=5, retries=2, backoff=0.01)
    connector = TrytonConnector(ConnectionConfig("ON_PREMISES", proxy.url, CREDENTIALS), policy)
    control = SandboxControl(proxy.url)
    try:
        await connector.check()  # logged in
        await connector.writable_fields("Vendor", "create")  # fields_get read (a read may be retried)
        control.clear_requests()
        control.fault("down", count=1)
        with pytest.raises(SystemUnreachable) as lost:
            await connector.create("Vendor", {"name": "Lost answer Ltd"})
        assert lost.value.extensions["outcome"] == "UNKNOWN"
        assert len(control.requests()) == 1  # not retried, though reads would be
    finally:
        control.clear_fault()
        await connector.aclose()
