"""Connecting: live credential check, credits by tier and hosting, concurrency, bad input."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import func, select

from connectors.catalog import CLOUD, ON_PREMISES, SystemEntry
from gateway.store.tables import Connection, CreditLedgerEntry, CreditPool
from tests.conftest import UPKEEP_LOGIN
from tests.helpers import data, error_code

CREDITS = "{ credits { total used available ledger { connectionId amount balanceAfter reason } } }"


def count_connections(gateway, admin_key: str) -> int:
    return data(gateway.gql(admin_key, "{ connections { totalCount } }"))["connections"]["totalCount"]


@pytest.mark.parametrize(
    "tier, hosting, expected",
    [(1, CLOUD, 1), (2, CLOUD, 2), (3, CLOUD, 4), (1, ON_PREMISES, 2), (2, ON_PREMISES, 4), (3, ON_PREMISES, 8)],
)
def test_credit_arithmetic_by_tier_and_hosting(tier, hosting, expected):
    entry = SystemEntry("x", "X", "V", "ERP", tier, (CLOUD, ON_PREMISES), ())
    assert entry.credits(hosting) == expected


def test_connect_consumes_and_disconnect_returns_credits(gateway, upkeep_sandbox):
    key = gateway.new_org(credits=3)
    created = data(gateway.connect(key, upkeep_sandbox.url, metadata={"customerId": "C-42"}))["createConnection"]
    connection = created["connection"]
    assert connection["status"] == "ACTIVE" and connection["credits"] == 1
    assert connection["metadata"] == {"customerId": "C-42"}
    assert created["token"].startswith("pg_conn_")
    pool = data(gateway.gql(key, CREDITS))["credits"]
    assert (pool["total"], pool["used"], pool["available"]) == (3, 1, 2)
    assert pool["ledger"] == [{"connectionId": connection["id"], "amount": -1, "balanceAfter": 2, "reason": "connect"}]

    gone = data(
        gateway.gql(key, "mutation($id: ID!) { disconnect(id: $id) { status credits } }", {"id": connection["id"]})
    )
    assert gone["disconnect"]["status"] == "DISCONNECTED"
    pool = data(gateway.gql(key, CREDITS))["credits"]
    assert (pool["used"], pool["available"]) == (0, 3)
    assert pool["ledger"][0] == {
        "connectionId": connection["id"],
        "amount": 1,
        "balanceAfter": 3,
        "reason": "disconnect",
    }
    # The token is dead, and disconnecting again returns nothing twice.
    assert error_code(gateway.gql(created["token"], "{ connection { id } }")) == "UNAUTHENTICATED"
    data(gateway.gql(key, "mutation($id: ID!) { disconnect(id: $id) { id } }", {"id": connection["id"]}))
    assert data(gateway.gql(key, CREDITS))["credits"]["available"] == 3


def test_insufficient_credits_creates_nothing(gateway, upkeep_sandbox):
    key = gateway.new_org(credits=0)
    result = gateway.connect(key, upkeep_sandbox.url)
    assert error_code(result) == "INSUFFICIENT_CREDITS"
    assert result["errors"][0]["extensions"]["needed"] == 1
    assert result["errors"][0]["extensions"]["available"] == 0
    assert count_connections(gateway, key) == 0


def test_wrong_credentials_store_nothing(gateway, upkeep_sandbox):
    key = gateway.new_org(credits=5)
    result = gateway.connect(key, upkeep_sandbox.url, credentials={"email": UPKEEP_LOGIN["email"], "password": "wrong"})
    assert error_code(result) == "SYSTEM_AUTH_FAILED"
    assert "wrong" not in str(result)  # the password is never echoed
    assert count_connections(gateway, key) == 0
    assert data(gateway.gql(key, CREDITS))["credits"]["ledger"] == []


def test_unreachable_instance_stores_nothing(gateway):
    key = gateway.new_org(credits=5)
    result = gateway.connect(key, "http://127.0.0.1:9")  # nothing listens on the discard port
    assert error_code(result) == "SYSTEM_UNREACHABLE"
    assert count_connections(gateway, key) == 0


@pytest.mark.slow
def test_concurrent_connects_never_overdraw_the_pool(gateway, upkeep_sandbox):
    key = gateway.new_org(credits=10)
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda i: gateway.connect(key, upkeep_sandbox.url, name=f"c{i}"), range(20)))
    ok = [r for r in results if not r.get("errors")]
    refused = [r for r in results if r.get("errors")]
    assert len(ok) == 10
    assert {error_code(r) for r in refused} == {"INSUFFICIENT_CREDITS"}
    assert count_connections(gateway, key) == 10

    with gateway.services.store.read() as session:
        org_id = session.exec(
            select(Connection.organization_id).where(
                Connection.id == ok[0]["data"]["createConnection"]["connection"]["id"]
            )
        ).one()
        pool_row = session.get(CreditPool, org_id)
        held = session.exec(
            select(func.sum(Connection.credits)).where(
                Connection.organization_id == org_id, Connection.status != "DISCONNECTED"
            )
        ).one()
        ledger = session.exec(
            select(CreditLedgerEntry).where(CreditLedgerEntry.organization_id == org_id).order_by(CreditLedgerEntry.id)
        ).all()
    assert pool_row.used == held == 10
    assert sum(-e.amount for e in ledger) == 10
    assert sorted(e.balance_after for e in ledger) == list(range(10))  # each consume saw the one before


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"system": "no_such_system"}, "system"),
        ({"instanceUrl": "ftp://example.com"}, "instanceUrl"),
        ({"instanceUrl": "not a url"}, "instanceUrl"),
        ({"credentials": {"email": "demo@upkeep.example"}}, "password"),
        ({"credentials": {**UPKEEP_LOGIN, "apiKey": "x"}}, "credentials"),
        ({"name": "   "}, "name"),
        ({"hosting": "ON_PREMISES"}, "hosting"),
        ({"metadata": {"n": 1}}, "metadata"),
    ],
)
def test_bad_connect_input_is_bad_user_input(sqlite_gateway, admin_key, upkeep_sandbox, overrides, field):
    payload = {"system": "upkeep", "name": "Plant", "instanceUrl": upkeep_sandbox.url, "credentials": UPKEEP_LOGIN}
    payload.update(overrides)
    result = sqlite_gateway.gql(
        admin_key, "mutation($i: CreateConnectionInput!) { createConnection(input: $i) { token } }", {"i": payload}
    )
    assert error_code(result) == "BAD_USER_INPUT"
    assert result["errors"][0]["extensions"].get("field") == field
    assert count_connections(sqlite_gateway, admin_key) == 0


def test_catalog_search_and_filters(sqlite_gateway, admin_key):
    query = "query($s: String, $c: SystemCategory, $t: Int) { systems(search: $s, category: $c, tier: $t) { key credits { hosting credits } credentialFields { name secret required } authGuide } }"
    found = data(sqlite_gateway.gql(admin_key, query, {"s": "upk"}))["systems"]
    assert [s["key"] for s in found] == ["upkeep"]
    assert found[0]["credits"] == [{"hosting": "CLOUD", "credits": 1}]
    assert {"name": "password", "secret": True, "required": True} in found[0]["credentialFields"]
    assert found[0]["authGuide"]
    erp = {s["key"] for s in data(sqlite_gateway.gql(admin_key, query, {"c": "ERP"}))["systems"]}
    assert erp == {"sap_s4hana", "sap_ecc", "tryton", "business_central", "d365_scm", "oracle_fusion", "odoo"}
    tier3 = data(sqlite_gateway.gql(admin_key, query, {"t": 3}))["systems"]
    assert {s["key"] for s in tier3} == {"sap_s4hana", "sap_ecc", "maximo", "d365_scm", "oracle_fusion"}
    scm = next(s for s in tier3 if s["key"] == "d365_scm")
    assert scm["credits"] == [{"hosting": "CLOUD", "credits": 4}]
    ecc = next(s for s in tier3 if s["key"] == "sap_ecc")
    assert ecc["credits"] == [{"hosting": "ON_PREMISES", "credits": 8}]
    bc = next(
        s for s in data(sqlite_gateway.gql(admin_key, query, {"t": 2}))["systems"] if s["key"] == "business_central"
    )
    assert sorted(bc["credits"], key=lambda c: c["hosting"]) == [
        {"hosting": "CLOUD", "credits": 2},
        {"hosting": "ON_PREMISES", "credits": 4},
    ]


def test_connection_list_filters(sqlite_gateway, admin_key, upkeep_sandbox):
    a = data(sqlite_gateway.connect(admin_key, upkeep_sandbox.url, name="A", metadata={"customer": "1"}))
    data(sqlite_gateway.connect(admin_key, upkeep_sandbox.url, name="B", metadata={"customer": "2"}))
    a_id = a["createConnection"]["connection"]["id"]
    data(sqlite_gateway.gql(admin_key, "mutation($id: ID!) { disconnect(id: $id) { id } }", {"id": a_id}))
    query = (
        "query($s: ConnectionStatus, $m: JSON) { connections(status: $s, metadata: $m) { totalCount nodes { name } } }"
    )
    assert data(sqlite_gateway.gql(admin_key, query, {"s": "ACTIVE"}))["connections"]["nodes"] == [{"name": "B"}]
    assert data(sqlite_gateway.gql(admin_key, query, {"m": {"customer": "1"}}))["connections"]["nodes"] == [
        {"name": "A"}
    ]


def test_one_failing_admin_field_leaves_the_others_in_the_answer(sqlite_gateway, upkeep_sandbox):
    """Admin query and mutation fields are nullable: an unknown connection id answers null with NOT_FOUND
    on its own path, the other fields (a session already created included) stay."""
    admin, unknown = sqlite_gateway.new_org(), "0" * 32
    answer = sqlite_gateway.gql(
        admin,
        f'{{ credits {{ total }} connection(id: "{unknown}") {{ id }} connectionSettings(id: "{unknown}") {{ historyDays }} }}',
    )
    assert answer["data"] == {"credits": {"total": 100}, "connection": None, "connectionSettings": None}
    assert sorted((e["path"][0], e["extensions"]["code"]) for e in answer["errors"]) == [
        ("connection", "NOT_FOUND"),
        ("connectionSettings", "NOT_FOUND"),
    ]
    answer = sqlite_gateway.gql(
        admin,
        f'mutation {{ link: createConnectSession(input: {{system: "upkeep"}}) {{ connection {{ status }} }} '
        f'gone: disconnect(id: "{unknown}") {{ id }} }}',
    )
    assert answer["data"] == {"link": {"connection": {"status": "PENDING"}}, "gone": None}
    assert [(e["path"], e["extensions"]["code"]) for e in answer["errors"]] == [(["gone"], "NOT_FOUND")]
