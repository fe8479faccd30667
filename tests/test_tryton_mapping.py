"""Tryton entities map to the unified model, read live from a real trytond.

The expected values come from the same server through its own RPC API (and,
for stock, from Tryton's own per-location quantity computation), so the tests
check the mapping, not a copy of it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base import ConnectionConfig, ListQuery
from connectors.http import HttpPolicy
from connectors.tryton.connector import TrytonConnector
from connectors.tryton.wire import decode
from sandboxes.kit import SandboxControl, ServerThread, fault_proxy
from schema.errors import SystemAuthFailed, SystemRejected
from tests.helpers import data, page_all, type_fields
from tests.tryton_server import CREDENTIALS, PASSWORD, Rpc, TrytonServer

pytestmark = pytest.mark.tryton

ORDER = [["id", "ASC"]]


def read_all(rpc: Rpc, model: str, fields: list[str], domain: list | None = None, **context: Any) -> list[dict]:
    return decode(
        rpc.raw(f"model.{model}.search_read", [domain or [], 0, None, ORDER, fields, {**rpc.context, **context}])
    )


@pytest.fixture(scope="module")
def token(sqlite_gateway, tryton: TrytonServer) -> str:
    admin = sqlite_gateway.new_org()
    created = data(
        sqlite_gateway.gql(
            admin,
            """
        mutation($i: CreateConnectionInput!) { createConnection(input: $i) { token } }""",
            {
                "i": {
                    "system": "tryton",
                    "hosting": "ON_PREMISES",
                    "name": "Tryton plant",
                    "instanceUrl": tryton.url,
                    "credentials": CREDENTIALS,
                }
            },
        )
    )
    return created["createConnection"]["token"]


def by_id(nodes: list[dict]) -> dict[str, dict]:
    return {n["remoteId"]: n for n in nodes}


def ref(node: dict | None) -> str | None:
    return node["remoteId"] if node else None


def test_purchase_orders_with_lines(sqlite_gateway, token, truth):
    nodes = by_id(
        page_all(
            sqlite_gateway,
            token,
            "purchaseOrders",
            """
        remoteId displayValue number status statusRaw orderDate currency totalAmount
        vendor { remoteId name } shipTo { remoteId type }
        lines { lineNumber description quantity unitOfMeasure unitPrice amount part { remoteId partNumber } }
    """,
            first=10,
        )
    )
    raw = read_all(
        truth,
        "purchase.purchase",
        ["number", "reference", "state", "party", "warehouse", "purchase_date", "total_amount", "currency.code"],
    )
    lines = read_all(
        truth, "purchase.line", ["purchase", "product", "quantity", "unit_price", "amount"], [["type", "=", "line"]]
    )
    status = {"draft": "DRAFT", "quotation": "SUBMITTED", "confirmed": "APPROVED", "cancelled": "CANCELLED"}
    assert len(nodes) == len(raw) == 26
    for r in raw:
        n = nodes[str(r["id"])]
        assert n["number"] == (r["number"] or r["reference"]) == n["displayValue"]
        assert (n["status"], n["statusRaw"]) == (status[r["state"]], r["state"])
        assert n["orderDate"].startswith(r["purchase_date"])
        assert n["currency"] == "EUR" and n["totalAmount"] == float(r["total_amount"])
        assert n["vendor"]["remoteId"] == str(r["party"]) and n["vendor"]["name"].startswith("Supplier")
        assert n["shipTo"] == {"remoteId": str(r["warehouse"]), "type": "SITE"}
        mine = [line for line in lines if line["purchase"] == r["id"]]
        assert [
            (line["part"]["remoteId"], line["quantity"], line["unitPrice"], line["amount"]) for line in n["lines"]
        ] == [
            (str(line["product"]), line["quantity"], float(line["unit_price"]), float(line["amount"])) for line in mine
        ]
        assert [line["lineNumber"] for line in n["lines"]] == list(range(1, len(mine) + 1))
        assert all(line["unitOfMeasure"] == "Unit" and line["part"]["partNumber"] for line in n["lines"])
        assert sum(line["amount"] for line in n["lines"]) == pytest.approx(n["totalAmount"])
    assert {n["status"] for n in nodes.values()} == set(status.values())

    submitted = page_all(sqlite_gateway, token, "purchaseOrders", "status", filter={"status": ["SUBMITTED"]})
    assert [n["status"] for n in submitted] == ["SUBMITTED"] * sum(r["state"] == "quotation" for r in raw)


def test_parts_with_stock_per_location(sqlite_gateway, token, truth):
    nodes = by_id(
        page_all(
            sqlite_gateway,
            token,
            "parts",
            """
        remoteId partNumber name description unitOfMeasure unitCost quantityOnHand
        stockLevels { quantity location { remoteId type } } vendors { remoteId }
    """,
            first=12,
        )
    )
    raw = read_all(truth, "product.product", ["code", "name", "description", "cost_price"])
    suppliers = read_all(truth, "purchase.product_supplier", ["template.products", "party"])
    storages = [row["id"] for row in read_all(truth, "stock.location", ["id"], [["type", "=", "storage"]])]
    # Tryton's own computation, one storage location at a time.
    at = {
        loc: {
            p["id"]: p["quantity"]
            for p in read_all(truth, "product.product", ["quantity"], locations=[loc], with_childs=False)
        }
        for loc in storages
    }
    assert len(nodes) == len(raw) == 30
    assert "minimumQuantity" not in type_fields(sqlite_gateway, token, "Part")  # no order points in Tryton core
    for r in raw:
        n = nodes[str(r["id"])]
        assert (n["partNumber"], n["name"], n["description"]) == (r["code"], r["name"], r["description"])
        assert n["unitOfMeasure"] == "Unit" and n["unitCost"] == float(r["cost_price"])
        expected = {str(loc): q[r["id"]] for loc, q in at.items() if q[r["id"]]}
        assert {ref(s["location"]): s["quantity"] for s in n["stockLevels"]} == expected
        assert all(s["location"]["type"] == "STORAGE" for s in n["stockLevels"])
        assert n["quantityOnHand"] == sum(expected.values())
        vendors = [str(s["party"]) for s in suppliers if r["id"] in s["template."]["products"]]
        assert [v["remoteId"] for v in n["vendors"]] == vendors
    assert sum(bool(n["stockLevels"]) for n in nodes.values()) == 24
    assert len({ref(s["location"]) for n in nodes.values() for s in n["stockLevels"]}) == 4


def test_vendors_locations_users(sqlite_gateway, token, truth):
    vendors = by_id(page_all(sqlite_gateway, token, "vendors", "remoteId name code email phone website address active"))
    parties = read_all(truth, "party.party", ["name", "code", "email", "phone", "website", "addresses.full_address"])
    assert len(vendors) == len(parties) == 25  # every party: Tryton has no supplier flag
    for p in parties:
        n = vendors[str(p["id"])]
        assert (n["name"], n["code"], n["active"]) == (p["name"], p["code"], True)
        assert (n["email"], n["phone"], n["website"]) == (p["email"] or None, p["phone"] or None, p["website"] or None)
        assert n["address"] == next((a["full_address"] for a in p["addresses."]), None)
    assert vendors["3"]["phone"] and vendors["2"]["phone"] is None  # empty strings are not values

    locations = by_id(
        page_all(sqlite_gateway, token, "locations", "remoteId name code type typeRaw parent { remoteId }")
    )
    raw = read_all(truth, "stock.location", ["name", "code", "type", "parent"])
    kinds = {"warehouse": "SITE", "storage": "STORAGE", "view": "AREA"}
    for r in raw:
        n = locations[str(r["id"])]
        assert (n["name"], n["code"], n["typeRaw"]) == (r["name"], r["code"], r["type"])
        assert n["type"] == kinds.get(r["type"], "OTHER") and ref(n["parent"]) == (r["parent"] and str(r["parent"]))
    assert len(locations) == len(raw) and {n["type"] for n in locations.values()} == {"SITE", "STORAGE", "OTHER"}

    users = by_id(page_all(sqlite_gateway, token, "users", "remoteId displayValue name email active"))
    assert {n["displayValue"]: n["active"] for n in users.values()} == {
        "admin": True,
        "Maria": True,
        "Jonas": True,
        "Aiko": True,
        "Pedro": False,
    }  # archived users too


@pytest.fixture
async def proxied(tryton: TrytonServer) -> Any:
    """A connector reaching trytond through the fault proxy, with its control."""
    with ServerThread(fault_proxy(tryton.url, lambda status, message: {"error": [message, []]})) as proxy:
        policy = HttpPolicy(connect_timeout=2, read_timeout=5, retries=1, backoff=0.01)
        connector = TrytonConnector(ConnectionConfig("ON_PREMISES", proxy.url, CREDENTIALS), policy)
        yield connector, SandboxControl(proxy.url)
        await connector.aclose()


async def test_modified_since_includes_records_never_written(proxied, truth):
    """A new record has no write_date; it still counts as modified since before its creation."""
    connector, _ = proxied
    since = datetime.now(UTC) - timedelta(seconds=1)
    (new,) = truth("stock.location", "create", [{"name": "Fresh Zone", "type": "storage"}])
    assert truth("stock.location", "read", [new], ["write_date"])[0]["write_date"] is None
    page = await connector.list_page("Location", ListQuery(updated_after=since), None, 50)
    assert [r.remote_id for r in page.records] == [str(new)]
    page = await connector.list_page("Location", ListQuery(created_after=since), None, 50)
    assert [r.values["name"] for r in page.records] == ["Fresh Zone"]


async def test_expired_session_logs_in_again_once(proxied):
    connector, control = proxied
    await connector.check()
    control.fault("unauthorized", count=1)  # the session is refused once
    control.clear_requests()
    page = await connector.list_page("User", ListQuery(), None, 2)
    assert [r.remote_id for r in page.records] == ["1", "2"]
    methods = [r["path"] for r in control.requests()]
    assert len(methods) == 4  # refused read, login, preferences, read again

    control.fault("unauthorized")  # refused for good: the login fails too
    with pytest.raises(SystemAuthFailed):
        await connector.list_page("User", ListQuery(), None, 2)


async def test_application_errors_are_rejections_with_tryton_message(proxied):
    connector, _ = proxied
    with pytest.raises(SystemRejected) as raised:
        await connector.call("model.party.party.search_read", [[["no_such_field", "=", 1]], 0, 1, None, ["name"]], {})
    assert "no_such_field" in raised.value.message
    wrong_db = TrytonConnector(ConnectionConfig("ON_PREMISES", connector.base_url, {**CREDENTIALS, "database": "nope"}))
    try:
        with pytest.raises(SystemAuthFailed) as raised:
            await wrong_db.check()
        assert PASSWORD not in raised.value.message
    finally:
        await wrong_db.aclose()
