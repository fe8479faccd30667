"""Tryton writes checked against what the real trytond declares and keeps, not against our reading of it.

A party's email, phone and website are contact mechanisms (the party's own
fields are read-only once it exists); a new party gets an address as Tryton's
client gives one, so it can be bought from; and the fields the connector calls
writable are the ones the server's `fields_get` lets a create or update set,
decided here with trytond's own PYSON evaluator on real records.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from trytond.pyson import PYSONDecoder

from connectors.base import ConnectionConfig
from connectors.tryton.connector import TrytonConnector
from connectors.tryton.writes import targets
from connectors.writes import CREATE, UPDATE
from tests.helpers import data
from tests.tryton_server import CREDENTIALS, Rpc, TrytonServer
from tests.write_helpers import create, error, read, record, update

pytestmark = pytest.mark.tryton

ALL_CONTACTS = 7  # party of the seed's "Supplier 05": email, phone and website (tests/tryton_server.py)
EMAIL_ONLY = 8  # "Supplier 06": an email only
CONTACTS = "name email phone website address"


@pytest.fixture(scope="module")
def token(sqlite_gateway, tryton_scratch: TrytonServer) -> str:
    admin = sqlite_gateway.new_org(credits=1000)
    answer = sqlite_gateway.connect(
        admin,
        tryton_scratch.url,
        name="Tryton fidelity",
        system="tryton",
        hosting="ON_PREMISES",
        credentials=CREDENTIALS,
    )
    return data(answer)["createConnection"]["token"]


@pytest.fixture
async def connector(tryton_scratch: TrytonServer) -> AsyncIterator[TrytonConnector]:
    made = TrytonConnector(ConnectionConfig("ON_PREMISES", tryton_scratch.url, CREDENTIALS))
    yield made
    await made.aclose()


def mechanisms(truth: Rpc, party: int) -> list[tuple[str, str]]:
    rows = truth(
        "party.contact_mechanism",
        "search_read",
        [["party", "=", party]],
        0,
        None,
        [["sequence", "ASC"], ["id", "ASC"]],
        ["type", "value"],
    )
    return [(r["type"], r["value"]) for r in rows]


def party(truth: Rpc, party_id: int) -> dict[str, Any]:
    return truth("party.party", "read", [party_id], ["email", "phone", "website", "_timestamp"])[0]


def replica_vendor(gateway: Any, token: str, remote_id: str) -> dict[str, Any]:
    nodes = data(
        gateway.gql(token, f"{{ vendors(source: REPLICA, first: 200) {{ nodes {{ remoteId {CONTACTS} }} }} }}")
    )
    return next(n for n in nodes["vendors"]["nodes"] if n["remoteId"] == remote_id)


def test_contact_fields_of_a_stored_party_are_its_contact_mechanisms(sqlite_gateway, token, tryton_truth):
    """Item 8: updateVendor of email/phone/website wrote the party's read-only fields and always failed."""
    truth = tryton_truth
    vendor = read(sqlite_gateway, token, "Vendor", _node_id(sqlite_gateway, token, ALL_CONTACTS), CONTACTS)
    before = len(mechanisms(truth, ALL_CONTACTS))
    changed = record(
        update(
            sqlite_gateway,
            token,
            "Vendor",
            vendor["id"],
            {
                "email": "orders@supplier5.example",
                "phone": "+49 30 5559999",
                "website": "https://shop.supplier5.example",
            },
            CONTACTS,
            if_match=vendor["remoteVersion"],
        ),
        "updateVendor",
    )
    kept = party(truth, ALL_CONTACTS)
    assert (changed["email"], changed["phone"], changed["website"]) == (kept["email"], kept["phone"], kept["website"])
    assert kept["email"] == "orders@supplier5.example" and kept["website"] == "https://shop.supplier5.example"
    assert kept["phone"].replace(" ", "") == "+49305559999"  # Tryton may format a number its own way
    assert len(mechanisms(truth, ALL_CONTACTS)) == before  # the mechanisms were changed, not added
    assert changed["remoteVersion"] == kept["_timestamp"]
    assert {k: v for k, v in replica_vendor(sqlite_gateway, token, str(ALL_CONTACTS)).items() if k != "remoteId"} == {
        k: changed[k] for k in CONTACTS.split()
    }

    cleared = record(update(sqlite_gateway, token, "Vendor", vendor["id"], {"phone": None}, CONTACTS), "updateVendor")
    assert cleared["phone"] is None and party(truth, ALL_CONTACTS)["phone"] == ""
    assert [t for t, _ in mechanisms(truth, ALL_CONTACTS)] == ["email", "website"]

    lone = _node_id(sqlite_gateway, token, EMAIL_ONLY)
    added = record(update(sqlite_gateway, token, "Vendor", lone, {"phone": "+49 30 5550606"}, CONTACTS), "updateVendor")
    assert added["phone"] == party(truth, EMAIL_ONLY)["phone"] != ""
    assert [t for t, _ in mechanisms(truth, EMAIL_ONLY)] == ["email", "phone"]


def test_a_new_vendor_has_an_address_and_can_be_bought_from(sqlite_gateway, token, tryton_truth):
    """Item 9: a party created without an address could not take a confirmed purchase (no invoice address)."""
    truth = tryton_truth
    bare = record(create(sqlite_gateway, token, "Vendor", {"name": "Fresh Supplier Ltd"}), "createVendor")
    addresses = truth("party.address", "search", [["party", "=", int(bare["remoteId"])]])
    assert len(addresses) == 1  # an empty address, as Tryton's client gives a new party
    po = record(
        create(
            sqlite_gateway,
            token,
            "PurchaseOrder",
            {
                "vendor": bare["remoteId"],
                "status": "APPROVED",
                "lines": [{"part": "1", "quantity": 2, "unitPrice": 4}],
            },
            "status statusRaw",
        ),
        "createPurchaseOrder",
    )
    kept = truth("purchase.purchase", "read", [int(po["remoteId"])], ["state", "invoice_address"])[0]
    assert (po["status"], kept["state"], kept["invoice_address"]) == ("APPROVED", "confirmed", addresses[0])

    placed = record(
        create(sqlite_gateway, token, "Vendor", {"name": "Street Supplier", "address": "12 Dock Road"}, CONTACTS),
        "createVendor",
    )
    streets = truth(
        "party.address", "search_read", [["party", "=", int(placed["remoteId"])]], 0, None, None, ["street"]
    )
    assert [a["street"] for a in streets] == ["12 Dock Road"] and placed["address"] == "12 Dock Road"


def test_a_field_tryton_declares_read_only_is_refused_and_nothing_is_written(sqlite_gateway, token, tryton_truth):
    """A party's code is read-only once it exists (fields_get states: `id >= 0`); the error names the field."""
    before = tryton_truth("party.party", "read", [EMAIL_ONLY], ["code", "_timestamp"])[0]
    refused = error(
        update(sqlite_gateway, token, "Vendor", _node_id(sqlite_gateway, token, EMAIL_ONLY), {"code": "X9"})
    )
    assert refused["code"] == "BAD_USER_INPUT" and "Vendor.code" in refused["message"]
    assert "party.party declares code read-only" in refused["message"]
    assert tryton_truth("party.party", "read", [EMAIL_ONLY], ["code", "_timestamp"])[0] == before


def _node_id(gateway: Any, token: str, remote_id: int) -> str:
    return data(gateway.gql(token, f'{{ vendor(remoteId: "{remote_id}") {{ id }} }}'))["vendor"]["id"]


# -- the capability matrix against the server's own declaration --------------------------------------------------


def _readonly(described: dict[str, Any], values: dict[str, Any]) -> bool:
    """Tryton's own evaluation of a field's read-only state for a record with these values."""
    if described.get("readonly"):
        return True
    states = described.get("states") or "{}"
    readonly = json.loads(states).get("readonly", False) if isinstance(states, str) else states.get("readonly")
    if not isinstance(readonly, dict):
        return bool(readonly)
    return bool(PYSONDecoder(values).decode(json.dumps(readonly)))


def _record_values(truth: Rpc, model: str, record_id: int | None) -> dict[str, Any]:
    """What Tryton evaluates states on: a stored record's values, or a new one's defaults with id -1."""
    names = list(truth(model, "fields_get", None))
    if record_id is None:
        return {**truth(model, "default_get", names), "id": -1}
    stored = [n for n in names if n not in ("rec_name",)]
    return truth(model, "read", [record_id], stored)[0]


@pytest.mark.parametrize(
    "entity, operation, record_id",
    [
        ("Vendor", CREATE, None),
        ("Vendor", UPDATE, EMAIL_ONLY),
        ("PurchaseOrder", CREATE, None),
        ("PurchaseOrder", UPDATE, 1),  # purchase 1 of the seed is a draft
    ],
)
async def test_every_field_called_writable_is_one_tryton_lets_set(
    connector, tryton_truth, entity, operation, record_id
):
    model = connector.model(entity)
    described = tryton_truth(model.model, "fields_get", None)
    values = _record_values(tryton_truth, model.model, record_id)
    offered = await connector.writable_fields(entity, operation)
    assert offered, "the connector offers no field at all"
    for name, fields in offered.items():
        for field in fields:
            assert field in described, f"{entity}.{name} writes {field}, which {model.model} does not have"
            assert not _readonly(described[field], values), f"{entity}.{name}: Tryton makes {field} read-only"
    for name, writer in model.writes.fields.items():  # what the connector withholds, Tryton refuses
        if name not in offered:
            assert any(_readonly(described[f], values) for f in targets(writer)), f"{entity}.{name} withheld"
    if entity == "Vendor":
        assert ("code" in offered) is (operation == CREATE)


async def test_every_writable_vendor_field_is_accepted_by_tryton(connector, tryton_truth):
    """Each field the matrix offers, written through the connector, is what Tryton then holds."""
    created_with = {
        "name": "Matrix Ltd",
        "code": "MX-1",
        "email": "m@matrix.example",
        "phone": "+49 30 5551234",
        "website": "https://matrix.example",
        "address": "1 Matrix Way",
        "active": True,
    }
    assert set(await connector.writable_fields("Vendor", CREATE)) == set(created_with)
    made = await connector.create("Vendor", created_with)
    changed_to = {
        "name": "Matrix GmbH",
        "email": "n@matrix.example",
        "phone": "+49 30 5554321",
        "website": "https://matrix.example/de",
        "address": "2 Matrix Way",
        "active": False,
    }
    assert set(await connector.writable_fields("Vendor", UPDATE)) == set(changed_to)
    changed = await connector.update("Vendor", made.remote_id, changed_to, made.values["remoteVersion"])
    kept = tryton_truth(
        "party.party",
        "search_read",
        [["id", "=", int(made.remote_id)], ["active", "in", [True, False]]],
        0,
        1,
        None,
        ["name", "code", "email", "phone", "website", "addresses.street", "active"],
    )[0]
    assert (kept["code"], made.values["code"]) == ("MX-1", "MX-1")
    assert (kept["name"], kept["email"], kept["website"], kept["active"]) == (
        "Matrix GmbH",
        "n@matrix.example",
        "https://matrix.example/de",
        False,
    )
    assert [a["street"] for a in kept["addresses."]] == ["2 Matrix Way"]
    assert {k: changed.values[k] for k in ("name", "email", "phone", "website", "address", "active")} == {
        "name": kept["name"],
        "email": kept["email"],
        "phone": kept["phone"],
        "website": kept["website"],
        "address": "2 Matrix Way",
        "active": False,
    }
