"""Tryton: a real trytond behind the fault proxy (a real server cannot be told to fail)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from connectors.sandboxkit import SandboxControl, ServerThread, fault_proxy
from tests.conformance.case import Running, SystemCase
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
                first, = rpc(model, "search", [], 0, 1, [["id", "ASC"]])
                copied, = rpc(model, "copy", [first], {})
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


CASE = SystemCase(
    system="tryton",
    hosting="ON_PREMISES",
    start=start,
    nested_query="{ purchaseOrders(first: 50) { nodes { remoteId vendor { remoteId } lines { part { remoteId } } } } }",
    expected_calls=expected_calls,
)
