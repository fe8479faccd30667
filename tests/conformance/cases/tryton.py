"""Tryton: a real trytond behind the fault proxy (a real server cannot be told to fail)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

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

            credentials = {"database": DATABASE, "username": LOGIN, "password": PASSWORD}
            yield Running(
                instance_url=proxy.url,
                credentials=credentials,
                bad_credentials={**credentials, "password": "wrong"},
                control=SandboxControl(proxy.url),
                touch=touch,
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
