"""The OData v2 client and connector base (`connectors/odata/`) against the SAP sandbox over real HTTP."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from connectors.base import ConnectionConfig
from connectors.odata import (
    KEYS_PER_CALL,
    ODataClient,
    Query,
    eq_any,
    literal,
    parse_date,
    parse_decimal,
    parse_time,
)
from connectors.sap.connector import EccConnector
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.sap.app import ECC_CLIENT, LOGIN, PAGE_SIZE, create_app
from schema.errors import SystemAuthFailed, SystemRejected

ORDERS = ("API_MAINTENANCEORDER", "MaintenanceOrder")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ServerThread]:
    with ServerThread(create_app(sap_client=ECC_CLIENT)) as server:
        yield server


@pytest.fixture
def control(sandbox: ServerThread) -> SandboxControl:
    control = SandboxControl(sandbox.url)
    control.clear_requests()
    return control


def client_for(sandbox: ServerThread, **overrides: str | None) -> ODataClient:
    settings = {**LOGIN, "sap_client": ECC_CLIENT, **overrides}
    return ODataClient(
        sandbox.url,
        system="SAP ECC",
        username=settings["username"] or "",
        password=settings["password"] or "",
        sap_client=settings["sap_client"],
    )


@pytest.fixture
async def client(sandbox: ServerThread) -> AsyncIterator[ODataClient]:
    made = client_for(sandbox)
    yield made
    await made.aclose()


def test_values_parse_as_sap_writes_them():
    moment = datetime(2017, 4, 13, tzinfo=UTC)
    assert parse_date("/Date(1492041600000)/") == moment
    assert parse_date("/Date(1492041600000+0000)/") == moment
    assert parse_date("/Date(1492041600000+0120)/") == moment  # ms are UTC; the suffix is informational
    assert parse_date("/Date(-86400000)/") == datetime(1969, 12, 31, tzinfo=UTC)
    assert parse_date(None) is None and parse_date("") is None
    assert parse_time("PT15H51M04S") == timedelta(hours=15, minutes=51, seconds=4)
    assert parse_decimal("12.500") == 12.5 and parse_decimal("") is None
    assert literal("O'Neil") == "'O''Neil'"
    assert literal(datetime(2026, 1, 1, 12, 0, 0, 500, tzinfo=UTC)) == "datetimeoffset'2026-01-01T12:00:00Z'"
    assert eq_any("Equipment", ["1", "2"]) == "(Equipment eq '1' or Equipment eq '2')"


async def test_follows_next_links_until_the_server_stops_paging(client, sandbox, control):
    total = len(sandbox.app.state.data.rows("MaintenanceOrder"))
    first = await client.collection(*ORDERS, Query(select=("MaintenanceOrder",)))
    assert len(first.results) == PAGE_SIZE and "$skiptoken=100" in (first.next_url or "")
    everything = await client.collect(*ORDERS, Query(select=("MaintenanceOrder",)))
    ids = [r["MaintenanceOrder"] for r in everything.results]
    assert len(ids) == len(set(ids)) == total
    tokens = [c["query"].get("$skiptoken") for c in control.requests()]
    assert tokens == [None, None, *(str(n) for n in range(PAGE_SIZE, total, PAGE_SIZE))]
    assert all(c["query"]["sap-client"] == ECC_CLIENT and c["query"]["$format"] == "json" for c in control.requests())


async def test_inlinecount_top_skip_and_select(client, sandbox):
    rows = sandbox.app.state.data.rows("MaintenanceOrder")
    page = await client.collection(
        *ORDERS, Query(select=("MaintenanceOrder", "LastChangeDateTime"), top=5, skip=10, inlinecount=True)
    )
    assert page.count == len(rows) and page.next_url is None
    assert [r["MaintenanceOrder"] for r in page.results] == [r["MaintenanceOrder"] for r in rows[10:15]]
    record = page.results[0]
    assert set(record) == {"__metadata", "MaintenanceOrder", "LastChangeDateTime"}
    assert record["__metadata"]["type"] == "cds_api_maintenanceorder.MaintenanceOrderType"
    assert parse_date(record["LastChangeDateTime"]) == rows[10]["LastChangeDateTime"].replace(microsecond=0)


async def test_filters_expand_and_deferred_navigation(client, sandbox):
    since = datetime(2026, 1, 1, tzinfo=UTC)
    newer = await client.collect(
        *ORDERS, Query(filter=f"LastChangeDateTime gt {literal(since)}", select=("MaintenanceOrder",))
    )
    expected = {
        r["MaintenanceOrder"]
        for r in sandbox.app.state.data.rows("MaintenanceOrder")
        if r["LastChangeDateTime"] > since
    }
    assert {r["MaintenanceOrder"] for r in newer.results} == expected and expected
    po = "API_PURCHASEORDER_PROCESS_SRV", "A_PurchaseOrder"
    plain = (await client.collection(*po, Query(top=1))).results[0]
    assert plain["to_PurchaseOrderItem"]["__deferred"]["uri"].endswith(
        "A_PurchaseOrder('4500000001')/to_PurchaseOrderItem"
    )
    expanded = (await client.collection(*po, Query(top=1, expand=("to_PurchaseOrderItem",)))).results[0]
    items = expanded["to_PurchaseOrderItem"]["results"]
    assert items and all(i["PurchaseOrder"] == "4500000001" and isinstance(i["OrderQuantity"], str) for i in items)
    none = await client.collection(*ORDERS, Query(filter=eq_any("MaintenanceOrderDesc", ["O'Neil"])))
    assert none.results == []


async def test_error_body_message_is_passed_on(client):
    with pytest.raises(SystemRejected) as raised:
        await client.collection(*ORDERS, Query(filter="SystemStatusText eq 'REL'"))
    assert raised.value.message.endswith("Property SystemStatusText is not filterable")
    with pytest.raises(SystemRejected) as raised:
        await client.collection("API_MAINTENANCEORDER", "NoSuchSet")
    assert "Resource not found for segment 'NoSuchSet'" in raised.value.message
    assert raised.value.extensions["status"] == 404


async def test_sap_client_is_sent_and_required_on_premises(sandbox):
    without = client_for(sandbox, sap_client=None)
    wrong = client_for(sandbox, password="nope")
    try:
        for bad in (without, wrong):
            with pytest.raises(SystemAuthFailed) as raised:
                await bad.collection(*ORDERS, Query(top=1))
            assert LOGIN["password"] not in raised.value.message
    finally:
        await without.aclose()
        await wrong.aclose()


async def test_csrf_token_is_fetched_kept_and_refetched_when_stale(client, sandbox, control):
    token = await client.fetch_csrf_token("API_MAINTENANCEORDER")
    fetch = control.requests()[-1]
    assert fetch["method"] == "GET" and fetch["path"].endswith("/API_MAINTENANCEORDER/") and token
    assert any(c.name.startswith("SAP_SESSIONID_") for c in client.http.client.cookies.jar)
    answer = await client.send(
        "PATCH",
        "API_MAINTENANCEORDER",
        "MaintenanceOrder('4000000')",
        json={"MaintenanceOrderDesc": "Replace seal"},
        headers={"If-Match": "*"},
    )
    assert answer.status_code == 204
    row = next(r for r in sandbox.app.state.data.rows("MaintenanceOrder") if r["MaintenanceOrder"] == "4000000")
    assert row["MaintenanceOrderDesc"] == "Replace seal"

    client.csrf_token = "stale"
    control.clear_requests()
    answer = await client.send(
        "PATCH",
        "API_MAINTENANCEORDER",
        "MaintenanceOrder('4000000')",
        json={"MaintenanceOrderDesc": "Replace seal again"},
        headers={"If-Match": "*"},
    )
    assert answer.status_code == 204 and client.csrf_token not in (None, "stale")
    assert [c["method"] for c in control.requests()] == ["PATCH", "GET", "PATCH"]


async def test_write_without_token_is_not_an_auth_failure(sandbox):
    raw = httpx.patch(
        f"{sandbox.url}/sap/opu/odata/sap/API_MAINTENANCEORDER/MaintenanceOrder('4000001')",
        params={"sap-client": ECC_CLIENT},
        auth=(LOGIN["username"], LOGIN["password"]),
        json={},
    )
    assert raw.status_code == 403 and raw.headers["X-CSRF-Token"] == "Required"


def test_atom_unless_json_is_asked_for(sandbox):
    url = f"{sandbox.url}/sap/opu/odata/sap/API_EQUIPMENT/Equipment"
    auth = (LOGIN["username"], LOGIN["password"])
    atom = httpx.get(url, params={"sap-client": ECC_CLIENT, "$top": "1"}, auth=auth)
    assert atom.headers["content-type"].startswith("application/atom+xml") and "<m:properties>" in atom.text
    as_json = httpx.get(
        url, params={"sap-client": ECC_CLIENT, "$top": "1"}, auth=auth, headers={"Accept": "application/json"}
    )
    assert as_json.json()["d"]["results"][0]["Equipment"] == "10000000"


async def test_fetch_many_joins_keys_with_or_in_chunks(sandbox, control):
    connector = EccConnector(ConnectionConfig("ON_PREMISES", sandbox.url, {**LOGIN, "sapClient": ECC_CLIENT}))
    try:
        wanted = [r["Equipment"] for r in sandbox.app.state.data.current_equipment()][:90]
        control.clear_requests()
        found = await connector.fetch_many("Asset", [*wanted, "999999999"])
    finally:
        await connector.aclose()
    assert sorted(r.remote_id for r in found) == sorted(wanted)
    calls = control.requests()
    assert len(calls) == math.ceil(91 / KEYS_PER_CALL)
    assert all("Equipment eq '" in c["query"]["$filter"] and " or " in c["query"]["$filter"] for c in calls)
    assert all("ValidityEndDate eq datetime'9999-12-31T00:00:00'" in c["query"]["$filter"] for c in calls)
