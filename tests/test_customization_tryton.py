"""Tryton custom fields (any model field) and a custom object (any stored model) through the gateway.

Candidates come from Tryton's `fields_get` and `ir.model`; values, filters and
writes are checked against the same trytond over its own RPC API.
"""

from __future__ import annotations

import pytest

from tests.helpers import data, page_all
from tests.tryton_server import CREDENTIALS, Rpc
from tests.write_helpers import create, record, update

pytestmark = pytest.mark.tryton

CANDIDATES = """query($id: ID!, $entity: String!) { customFieldCandidates(id: $id, entity: $entity)
  { remotePath name type filterable writable enumValues } }"""
OBJECTS = "query($id: ID!) { customObjectCandidates(id: $id) { remoteName name plural idPath fields { name type remotePath } } }"
SETTINGS = """mutation($id: ID!, $input: ConnectionSettingsInput!) { updateConnectionSettings(id: $id, input: $input)
  { customFields customObjects } }"""
TYPE_FIELDS = "query($name: String!) { __type(name: $name) { fields { name } } }"
ORDER = [["id", "ASC"]]

FIELDS = [
    {
        "entity": "PurchaseOrder",
        "name": "invoiceMethod",
        "type": "Enum",
        "enumValues": ["manual", "order", "fulfillment"],
        "remotePath": "invoice_method",
        "filterable": True,
        "writable": True,
    },
    {"entity": "PurchaseOrder", "name": "comment", "type": "String", "remotePath": "comment", "writable": True},
    {
        "entity": "PurchaseOrder",
        "name": "quotationExpire",
        "type": "DateTime",
        "remotePath": "quotation_expire",
        "writable": True,
    },
    {"entity": "Vendor", "name": "createdBy", "type": "String", "remotePath": "create_uid.rec_name"},
]
OBJECT = {
    "name": "ContactMechanism",
    "plural": "contactMechanisms",
    "remoteName": "party.contact_mechanism",
    "idPath": "id",
    "displayPath": "rec_name",
    "fields": [
        {"name": "kind", "type": "String", "remotePath": "type"},
        {"name": "value", "type": "String", "remotePath": "value"},
        {"name": "partyName", "type": "String", "remotePath": "party.name"},
    ],
}


@pytest.fixture(scope="module")
def truth(tryton_truth: Rpc) -> Rpc:
    return tryton_truth


@pytest.fixture(scope="module")
def admin(sqlite_gateway) -> str:
    return sqlite_gateway.new_org(credits=1000)


def connect(gateway, admin: str, url: str, name: str) -> tuple[str, str]:
    made = data(
        gateway.connect(admin, url, name=name, system="tryton", hosting="ON_PREMISES", credentials=CREDENTIALS)
    )["createConnection"]
    return made["connection"]["id"], made["token"]


@pytest.fixture(scope="module")
def connection(sqlite_gateway, admin, tryton_scratch) -> tuple[str, str]:
    return connect(sqlite_gateway, admin, tryton_scratch.url, "Tryton custom")


def field_names(gateway, token: str, type_name: str) -> set[str]:
    found = data(gateway.gql(token, TYPE_FIELDS, {"name": type_name}))["__type"]
    return {f["name"] for f in found["fields"]} if found else set()


def settle(gateway, admin: str, connection_id: str, fields: list, objects: list) -> None:
    data(
        gateway.gql(admin, SETTINGS, {"id": connection_id, "input": {"customFields": fields, "customObjects": objects}})
    )


def test_model_fields_and_stored_models_are_candidates(sqlite_gateway, admin, connection):
    found = data(sqlite_gateway.gql(admin, CANDIDATES, {"id": connection[0], "entity": "PurchaseOrder"}))
    by_path = {c["remotePath"]: c for c in found["customFieldCandidates"]}
    assert by_path["invoice_method"] == {
        "remotePath": "invoice_method",
        "name": "invoiceMethod",
        "type": "Enum",
        "filterable": True,
        "writable": True,
        "enumValues": ["manual", "order", "fulfillment"],
    }
    assert (by_path["comment"]["type"], by_path["comment"]["writable"]) == ("String", True)
    assert by_path["quotation_expire"]["type"] == "DateTime"
    assert by_path["invoice_state"]["type"] == "String"  # values with spaces are no GraphQL enum
    assert by_path["untaxed_amount"]["writable"] is False  # computed by Tryton
    assert (by_path["payment_term.rec_name"]["type"], by_path["payment_term.rec_name"]["writable"]) == ("String", False)
    assert not {"party", "state", "number", "id", "create_date"} & set(by_path)  # already mapped

    objects = data(sqlite_gateway.gql(admin, OBJECTS, {"id": connection[0]}))["customObjectCandidates"]
    address = next(o for o in objects if o["remoteName"] == "party.address")
    assert (address["name"], address["plural"], address["idPath"]) == ("PartyAddress", "partyAddresses", "id")
    types = {f["remotePath"]: f["type"] for f in address["fields"]}
    assert (types["street"], types["party.rec_name"]) == ("String", "String")
    assert not any(o["remoteName"].startswith("ir.") for o in objects)


def test_declared_fields_are_read_filtered_written_and_removed(
    sqlite_gateway, admin, connection, tryton_scratch, truth
):
    connection_id, token = connection
    _, other = connect(sqlite_gateway, admin, tryton_scratch.url, "Untouched")
    truth("purchase.purchase", "write", [1, 5], {"invoice_method": "manual", "comment": "Call before delivery"})
    settle(sqlite_gateway, admin, connection_id, FIELDS, [])
    assert {"invoiceMethod", "comment", "quotationExpire"} <= field_names(sqlite_gateway, token, "PurchaseOrder")
    assert not {"invoiceMethod", "comment"} & field_names(sqlite_gateway, other, "PurchaseOrder")

    raw = truth("purchase.purchase", "search_read", [], 0, None, ORDER, ["invoice_method", "comment"])
    nodes = page_all(sqlite_gateway, token, "purchaseOrders", "remoteId invoiceMethod comment", first=9)
    assert [(n["remoteId"], n["invoiceMethod"], n["comment"]) for n in nodes] == [
        (str(r["id"]), r["invoice_method"], r["comment"] or None) for r in raw
    ]
    manual = page_all(sqlite_gateway, token, "purchaseOrders", "remoteId", filter={"invoiceMethod": "manual"})
    assert [n["remoteId"] for n in manual] == [str(r["id"]) for r in raw if r["invoice_method"] == "manual"]
    assert [n["remoteId"] for n in manual] == ["1", "5"]
    vendor = data(sqlite_gateway.gql(token, '{ vendor(remoteId: "2") { createdBy } }'))["vendor"]
    assert (
        vendor["createdBy"] == truth("party.party", "read", [2], ["create_uid.rec_name"])[0]["create_uid."]["rec_name"]
    )

    gid = data(sqlite_gateway.gql(token, '{ purchaseOrder(remoteId: "1") { id } }'))["purchaseOrder"]["id"]
    changed = record(
        update(
            sqlite_gateway,
            token,
            "PurchaseOrder",
            gid,
            {
                "comment": "Dock 4 only",
                "quotationExpire": "2026-05-01T00:00:00Z",
                "invoiceMethod": "order",
            },
            "comment quotationExpire invoiceMethod",
        ),
        "updatePurchaseOrder",
    )
    assert (changed["comment"], changed["invoiceMethod"]) == ("Dock 4 only", "order")
    assert changed["quotationExpire"].startswith("2026-05-01")
    kept = truth("purchase.purchase", "read", [1], ["comment", "quotation_expire", "invoice_method"])[0]
    assert kept["comment"] == "Dock 4 only" and kept["invoice_method"] == "order"
    assert kept["quotation_expire"] == {"__class__": "date", "year": 2026, "month": 5, "day": 1}

    made = record(
        create(sqlite_gateway, token, "PurchaseOrder", {"vendor": "3", "invoiceMethod": "manual"}, "invoiceMethod"),
        "createPurchaseOrder",
    )
    assert (
        truth("purchase.purchase", "read", [int(made["remoteId"])], ["invoice_method"])[0]["invoice_method"] == "manual"
    )
    refused = sqlite_gateway.gql(
        token, 'mutation { updateVendor(id: "2", input: {createdBy: "me"}) { record { id } } }'
    )
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # declared read-only

    settle(sqlite_gateway, admin, connection_id, [], [])
    assert not {"invoiceMethod", "comment", "quotationExpire"} & field_names(sqlite_gateway, token, "PurchaseOrder")


def test_a_tryton_model_as_a_custom_object_listed_and_fetched(sqlite_gateway, admin, connection, truth):
    connection_id, token = connection
    settle(sqlite_gateway, admin, connection_id, [], [OBJECT])
    raw = truth(
        "party.contact_mechanism", "search_read", [], 0, None, ORDER, ["type", "value", "rec_name", "party.name"]
    )
    listed = page_all(sqlite_gateway, token, "contactMechanisms", "remoteId displayValue kind value partyName", first=7)
    assert [n["remoteId"] for n in listed] == [str(r["id"]) for r in raw] and len(raw) > 7
    third = raw[3]
    assert listed[3] == {
        "remoteId": str(third["id"]),
        "displayValue": third["rec_name"],
        "kind": third["type"],
        "value": third["value"],
        "partyName": third["party."]["name"],
    }
    one = data(
        sqlite_gateway.gql(
            token,
            "query($r: String) { contactMechanism(remoteId: $r) { id remoteId value remoteVersion } }",
            {"r": str(raw[5]["id"])},
        )
    )["contactMechanism"]
    assert (one["remoteId"], one["value"]) == (str(raw[5]["id"]), raw[5]["value"]) and one["remoteVersion"]
    by_node = data(
        sqlite_gateway.gql(
            token, "query($id: ID!) { node(id: $id) { ... on ContactMechanism { kind } } }", {"id": one["id"]}
        )
    )["node"]
    assert by_node == {"kind": raw[5]["type"]}
    missing = data(sqlite_gateway.gql(token, '{ contactMechanism(remoteId: "99999") { id } }'))["contactMechanism"]
    assert missing is None
    settle(sqlite_gateway, admin, connection_id, [], [])
    assert data(sqlite_gateway.gql(token, '{ __type(name: "ContactMechanism") { name } }'))["__type"] is None
