"""Tryton: a real trytond behind the fault proxy (a real server cannot be told to fail)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from sandboxes.kit import SandboxControl, ServerThread, fault_proxy
from tests.conformance.case import Ref, Running, SystemCase, Writes
from tests.tryton_server import DATABASE, LOGIN, PASSWORD, serve_copy

# A field per entity whose rewrite (same value) moves the record's write_date; `active`
# because it stays writable on archived records, whose other fields are read-only.
TOUCH = {
    "Location": ("stock.location", "active"),
    "Part": ("product.product", "active"),
    "Vendor": ("party.party", "active"),
    "PurchaseOrder": ("purchase.purchase", "comment"),
    "User": ("res.user", "active"),
}

# The models each entity is read from (purchase lines and stock moves are joined per page).
MODELS = {
    "Location": "stock.location",
    "Part": "product.product|stock.move",
    "Vendor": "party.party",
    "PurchaseOrder": "purchase.purchase|purchase.line",
    "User": "res.user",
}


def entity_match(entity: str) -> str:
    """The JSON-RPC method names the model in the body (`model.party.party.search_read`); a user's
    preferences (`get_preferences`, read on login) are not a User read."""
    models = MODELS[entity].replace(".", r"\.")
    return rf'"method":\s*"model\.(?:{models})\.(?!get_preferences")[a-z_]+"'


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"id": None, "error": [message, []]}


@contextmanager
def start() -> Iterator[Running]:
    server = serve_copy()
    try:
        rpc = server.rpc()
        with ServerThread(fault_proxy(server.url, error_body)) as proxy:

            def touch(entity: str, ids: list[str]) -> None:
                model, name = TOUCH[entity]
                for row in rpc(model, "read", [int(i) for i in ids], [name]):
                    value = bool(row[name]) if name == "active" else row[name] or "touched"
                    rpc(model, "write", [row["id"]], {name: value})

            def remove(entity: str, ids: list[str]) -> None:
                rpc(TOUCH[entity][0], "delete", [int(i) for i in ids])

            def create(entity: str) -> str:
                """A copy of the entity's first record, as a user's "Duplicate" makes it (a purchase
                comes back as a draft, a party without purchases: both can be deleted)."""
                model = TOUCH[entity][0]
                (first,) = rpc(model, "search", [], 0, 1, [["id", "ASC"]])
                (copied,) = rpc(model, "copy", [first], {})
                return str(copied)

            credentials = {"database": DATABASE, "username": LOGIN, "password": PASSWORD}
            yield Running(
                instance_url=proxy.url,
                credentials=credentials,
                bad_credentials={**credentials, "password": "wrong"},
                control=SandboxControl(proxy.url),
                touch=touch,
                entity_match=entity_match,
                remove=remove,
                # Tryton cancels a draft or quoted purchase (lines and all) before deleting it; the first
                # purchase is a draft, and so is each `create` makes (a confirmed one cannot be deleted).
                removable="PurchaseOrder",
                create=create,
            )
        rpc.close()
    finally:
        server.stop()


def expected_calls(answer: dict[str, Any], running: Running) -> int:
    """Purchases, then their lines (one call per page); then one batch of parties, and one
    of products plus their stock moves (stock per location is joined per page)."""
    nodes = answer["purchaseOrders"]["nodes"]
    vendors = any(n["vendor"] for n in nodes)
    parts = any(line["part"] for n in nodes for line in n["lines"])
    return 2 + int(vendors) + 2 * int(parts)


# Values the seeded Tryton takes (tests/tryton_server.py): EUR is its only currency and "Unit" the unit of
# its goods; Location 4 is the stock module's warehouse (WH, the only one: a purchase ships to a warehouse);
# Vendor 0 is the company's own party, without an address, so purchases go to the suppliers after it.
# Updates set only what Tryton lets a stored record change (the connector leaves a party's code out of its
# update fields). A purchase stays a draft: Tryton makes a quoted one read-only, and the kit updates its
# fields one by one in name order, `status` before `vendor`, so the status sample keeps it DRAFT.
WRITES = Writes(
    create={
        "Vendor": {
            "name": "Conformance Supply",
            "code": "CONF-001",
            "email": "sales@conformance.example",
            "phone": "+49 30 5550100",
            "website": "https://conformance.example",
            "address": "1 Test Road",
            "active": True,
        },
        "PurchaseOrder": {
            "vendor": Ref("Vendor", 1),
            "number": "CONF-PO-1",
            "status": "DRAFT",
            "currency": "EUR",
            "orderDate": "2026-11-01T00:00:00Z",
            "expectedDate": "2026-11-15T00:00:00Z",
            "shipTo": Ref("Location", 4),
            "lines": [
                {
                    "part": Ref("Part"),
                    "description": "V-belt",
                    "quantity": 4.0,
                    "unitPrice": 12.5,
                    "unitOfMeasure": "Unit",
                }
            ],
        },
    },
    update={
        "Vendor": {
            "name": "Conformance Supply Ltd",
            "email": "orders@conformance.example",
            "phone": "+49 30 5550199",
            "website": "https://conformance.example/de",
            "address": "2 Test Road",
        },
        "PurchaseOrder": {
            "vendor": Ref("Vendor", 2),
            "number": "CONF-PO-2",
            "orderDate": "2026-11-02T00:00:00Z",
            "expectedDate": "2026-12-20T00:00:00Z",
            "lines": [{"part": Ref("Part", 1), "quantity": 2.0, "unitPrice": 7.25}],
        },
    },
)

CASE = SystemCase(
    system="tryton",
    hosting="ON_PREMISES",
    start=start,
    nested_query="{ purchaseOrders(first: 50) { nodes { remoteId vendor { remoteId } lines { part { remoteId } } } } }",
    expected_calls=expected_calls,
    writes=WRITES,
    marks=(pytest.mark.tryton,),
)
