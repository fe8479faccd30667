"""Each Maximo entity maps to the unified model, read through the gateway from the sandbox over HTTP."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.maximo.app import DEMO_API_KEY, create_app
from tests.helpers import data, error_code, page_all, type_fields

API_KEY = {"apiKey": DEMO_API_KEY}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ServerThread]:
    with ServerThread(create_app()) as server:
        yield server


@pytest.fixture(scope="module")
def tables(sandbox) -> dict[str, list[dict]]:
    dataset = sandbox.app.state.data
    return {name: dataset.records(name) for name in dataset.structures()}


def connect(gateway, url: str, credentials: dict[str, str]) -> dict[str, Any]:
    admin = gateway.new_org()
    return gateway.connect(admin, url, system="maximo", hosting="CLOUD", credentials=credentials)


@pytest.fixture(scope="module")
def token(sqlite_gateway, sandbox) -> str:
    return data(connect(sqlite_gateway, sandbox.url, API_KEY))["createConnection"]["token"]


def utc(value: str | None) -> datetime | None:
    """A gateway DateTime, checked to be in UTC (Maximo sends the server's offset)."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.utcoffset() == UTC.utcoffset(None), value
    return parsed


def local(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def by_id(nodes: list[dict]) -> dict[str, dict]:
    return {n["remoteId"]: n for n in nodes}


def rid(node: dict | None) -> str | None:
    return (node or {}).get("remoteId")


def test_work_orders(sqlite_gateway, token, tables):
    nodes = by_id(
        page_all(
            sqlite_gateway,
            token,
            "workOrders",
            """
        remoteId displayValue number title description status statusRaw priority priorityRaw type typeRaw
        dueDate startedAt completedAt estimatedHours actualHours createdAt updatedAt remoteData
        asset { remoteId } location { remoteId } requestedBy { remoteId } assignees { remoteId }
    """,
        )
    )
    rows = tables["mxapiwodetail"]
    assert len(nodes) == len(rows) == 460
    status = {
        "WAPPR": "OPEN",
        "APPR": "OPEN",
        "INPRG": "IN_PROGRESS",
        "WMATL": "ON_HOLD",
        "COMP": "COMPLETED",
        "CLOSE": "COMPLETED",
        "CAN": "CANCELLED",
    }
    priority = {1: "URGENT", 2: "HIGH", 3: "MEDIUM", 4: "LOW", 5: "LOW", None: None}
    kind = {"CM": "CORRECTIVE", "PM": "PREVENTIVE", "EM": "EMERGENCY", "CAL": "OTHER", "CP": "OTHER", None: None}
    for r in rows:
        n = nodes[r["wonum"]]
        assert (n["number"], n["title"]) == (r["wonum"], r["description"])
        assert n["displayValue"] == f"{r['wonum']} {r['description']}"
        assert n["description"] == r.get("description_longdescription")
        assert (n["status"], n["statusRaw"]) == (status[r["status"]], r["status"])
        assert n["priority"] == priority[r.get("wopriority")]
        assert n["priorityRaw"] == (None if r.get("wopriority") is None else str(r["wopriority"]))
        assert (n["type"], n["typeRaw"]) == (kind[r.get("worktype")], r.get("worktype"))
        assert rid(n["asset"]) == r.get("assetnum") and rid(n["location"]) == r["location"]
        assert rid(n["requestedBy"]) == r["reportedby"]
        assert [a["remoteId"] for a in n["assignees"]] == list(
            dict.fromkeys(p for p in (r.get("lead"), r.get("owner")) if p)
        )
        assert utc(n["dueDate"]) == local(r.get("targcompdate"))
        assert utc(n["startedAt"]) == local(r.get("actstart"))
        assert utc(n["completedAt"]) == local(r.get("actfinish"))
        assert utc(n["createdAt"]) == local(r["reportdate"]) and utc(n["updatedAt"]) == local(r["changedate"])
        assert (n["estimatedHours"], n["actualHours"]) == (r["estdur"], r["actlabhrs"])
        assert n["remoteData"]["wonum"] == r["wonum"] and n["remoteData"]["href"].endswith(
            "/maximo/api/os/mxapiwodetail/" + n["remoteData"]["href"].rsplit("/", 1)[1]
        )
        assert n["remoteData"]["status_description"] == r["status_description"]


def test_assets(sqlite_gateway, token, tables):
    nodes = by_id(
        page_all(
            sqlite_gateway,
            token,
            "assets",
            """
        remoteId name code status statusRaw criticality category manufacturer serialNumber updatedAt
        location { remoteId } parent { remoteId name }
    """,
        )
    )
    status = {"OPERATING": "OPERATIONAL", "NOT READY": "DOWN", "DECOMMISSIONED": "RETIRED"}
    rows = {r["assetnum"]: r for r in tables["mxapiasset"]}
    assert len(nodes) == len(rows) == 240
    for r in rows.values():
        n = nodes[r["assetnum"]]
        assert (n["name"], n["code"], n["serialNumber"]) == (r["description"], r.get("assettag"), r.get("serialnum"))
        assert (n["status"], n["statusRaw"]) == (status[r["status"]], r["status"])
        assert n["criticality"] == (None if r.get("priority") is None else str(r["priority"]))
        assert (n["category"], n["manufacturer"]) == (r["assettype"], r.get("manufacturer"))
        assert rid(n["location"]) == r["location"] and utc(n["updatedAt"]) == local(r["changedate"])
        assert rid(n["parent"]) == r.get("parent")
        if r.get("parent"):
            assert n["parent"]["name"] == rows[r["parent"]]["description"]
    assert not {"model", "createdAt"} & type_fields(sqlite_gateway, token, "Asset")


def test_locations_form_a_hierarchy(sqlite_gateway, token, tables):
    nodes = by_id(page_all(sqlite_gateway, token, "locations", "remoteId name code type typeRaw parent { remoteId }"))
    assert len(nodes) == len(tables["mxapilocations"])
    for r in tables["mxapilocations"]:
        n = nodes[r["location"]]
        assert (n["name"], n["code"]) == (r["description"], r["location"])
        assert (n["type"], n["typeRaw"]) == ("STORAGE" if r["type"] == "STOREROOM" else "OTHER", r["type"])
    assert [k for k, n in nodes.items() if n["parent"] is None] == ["BEDFORD"]
    assert "address" not in type_fields(sqlite_gateway, token, "Location")
    assert rid(nodes["BR100-01"]["parent"]) == "BR100" and rid(nodes["BR100"]["parent"]) == "BEDFORD"
    stores = page_all(sqlite_gateway, token, "locations", "remoteId", filter={"type": ["STORAGE"]})
    assert sorted(n["remoteId"] for n in stores) == ["CENTRAL", "EAST", "WEST"]


def test_parts_merge_the_stock_of_every_storeroom(sqlite_gateway, token, tables):
    nodes = by_id(
        page_all(
            sqlite_gateway,
            token,
            "parts",
            """
        remoteId partNumber name unitOfMeasure unitCost quantityOnHand minimumQuantity
        stockLevels { quantity location { remoteId type } } vendors { remoteId name }
    """,
            first=37,
        )
    )
    stock: dict[str, list[dict]] = defaultdict(list)
    for row in tables["mxapiinventory"]:
        stock[row["itemnum"]].append(row)
    described = {item["itemnum"]: item["description"] for item in tables["mxapiitem"]}
    assert len(nodes) == len(stock) == 130
    assert not {"updatedAt", "description"} & type_fields(sqlite_gateway, token, "Part")  # inventory rows: neither
    assert any(len(rows) == 3 for rows in stock.values())
    for itemnum, rows in stock.items():
        n = nodes[itemnum]
        assert (n["partNumber"], n["name"], n["unitOfMeasure"]) == (itemnum, described[itemnum], rows[0]["issueunit"])
        assert n["unitCost"] == rows[0]["avgcost"]
        assert n["quantityOnHand"] == sum(r["curbal"] for r in rows)
        assert n["minimumQuantity"] == sum(r["minlevel"] for r in rows)
        assert n["stockLevels"] == [
            {"quantity": r["curbal"], "location": {"remoteId": r["location"], "type": "STORAGE"}} for r in rows
        ]
        assert [v["remoteId"] for v in n["vendors"]] == list(dict.fromkeys(r["vendor"] for r in rows))


def test_vendors_and_users(sqlite_gateway, token, tables):
    vendors = by_id(page_all(sqlite_gateway, token, "vendors", "remoteId name code phone address website active"))
    for r in tables["mxapivendor"]:
        n = vendors[r["company"]]
        assert (n["name"], n["code"], n["phone"]) == (r["name"], r["company"], r["phone"])
        assert n["address"] == ", ".join((r["address1"], r["city"], r["stateprovince"], r["zip"], r["country"]))
        assert (n["website"], n["active"]) == (r.get("homepage"), not r["disabled"])
    assert vendors["OLDVENDOR"]["active"] is False and "email" not in type_fields(sqlite_gateway, token, "Vendor")

    users = by_id(page_all(sqlite_gateway, token, "users", "remoteId name email role active"))
    assert len(users) == len(tables["mxapiperson"])
    for r in tables["mxapiperson"]:
        n = users[r["personid"]]
        assert (n["name"], n["email"], n["role"]) == (r["displayname"], r.get("primaryemail"), r["title"])
        assert n["active"] is (r["status"] == "ACTIVE")
    assert "updatedAt" not in type_fields(sqlite_gateway, token, "User")


def test_purchase_orders_with_lines(sqlite_gateway, token, tables):
    nodes = by_id(
        page_all(
            sqlite_gateway,
            token,
            "purchaseOrders",
            """
        remoteId number status statusRaw orderDate expectedDate currency totalAmount
        vendor { remoteId name }
        lines { lineNumber description quantity unitOfMeasure unitPrice amount receivedQuantity part { remoteId name } }
    """,
        )
    )
    status = {"WAPPR": "SUBMITTED", "APPR": "APPROVED", "INPRG": "APPROVED", "CLOSE": "CLOSED", "CAN": "CANCELLED"}
    for r in tables["mxapipo"]:
        n = nodes[r["ponum"]]
        assert (n["status"], n["statusRaw"]) == (status[r["status"]], r["status"])
        assert n["vendor"]["remoteId"] == r["vendor"]
        assert (n["currency"], n["totalAmount"]) == (r["currencycode"], r["totalcost"])
        assert utc(n["orderDate"]) == local(r["orderdate"]) and utc(n["expectedDate"]) == local(r.get("requireddate"))
        assert [line["lineNumber"] for line in n["lines"]] == [line["polinenum"] for line in r["poline"]]
        for line, raw in zip(n["lines"], r["poline"]):
            assert line["part"]["remoteId"] == raw["itemnum"] and line["part"]["name"] == raw["description"]
            assert (line["quantity"], line["unitPrice"], line["amount"]) == (
                raw["orderqty"],
                raw["unitcost"],
                raw["linecost"],
            )
            assert (line["receivedQuantity"], line["unitOfMeasure"]) == (raw["receivedqty"], raw["orderunit"])


def test_filters_are_pushed_into_oslc_where(sqlite_gateway, token, sandbox, tables):
    control = SandboxControl(sandbox.url)
    control.clear_requests()
    found = page_all(
        sqlite_gateway,
        token,
        "workOrders",
        "remoteId status",
        filter={"status": ["IN_PROGRESS", "ON_HOLD"], "updatedAfter": "2026-01-01T00:00:00Z"},
    )
    expected = {
        r["wonum"]
        for r in tables["mxapiwodetail"]
        if r["status"] in ("INPRG", "WMATL") and local(r["changedate"]) > datetime(2026, 1, 1, tzinfo=UTC)
    }
    assert {n["remoteId"] for n in found} == expected and expected
    where = control.requests()[0]["query"]["oslc.where"]
    assert where == 'changedate>"2026-01-01T00:00:00+00:00" and status in ["INPRG","WMATL","WPCOND"]'


def test_native_login_and_instance_url_with_maximo_suffix(sqlite_gateway, sandbox):
    login = {"username": "maxadmin", "password": "maxadmin"}
    token = data(connect(sqlite_gateway, sandbox.url + "/maximo", login))["createConnection"]["token"]
    control = SandboxControl(sandbox.url)
    control.clear_requests()
    assert data(sqlite_gateway.gql(token, "{ users(first: 3) { nodes { remoteId } } }"))["users"]["nodes"]
    assert [r["path"] for r in control.requests()] == ["/maximo/oslc/os/mxapiperson"]
    wrong = connect(sqlite_gateway, sandbox.url, {"username": "maxadmin", "password": "nope"})
    assert error_code(wrong) == "SYSTEM_AUTH_FAILED" and "nope" not in str(wrong)


def test_credentials_need_an_api_key_or_a_login(sqlite_gateway, sandbox):
    for credentials in ({}, {"username": "maxadmin"}, {"apiKey": "  "}):
        result = connect(sqlite_gateway, sandbox.url, credentials)
        assert error_code(result) == "BAD_USER_INPUT"
        assert "API key or a username and password" in result["errors"][0]["message"]


def test_site_id_scopes_every_site_bound_read(sqlite_gateway, sandbox):
    other = data(connect(sqlite_gateway, sandbox.url, {**API_KEY, "siteId": "texas"}))["createConnection"]["token"]
    answer = data(
        sqlite_gateway.gql(other, "{ workOrders { nodes { remoteId } } vendors(first: 2) { nodes { remoteId } } }")
    )
    assert answer["workOrders"]["nodes"] == [] and len(answer["vendors"]["nodes"]) == 2
    bedford = data(connect(sqlite_gateway, sandbox.url, {**API_KEY, "siteId": "BEDFORD"}))["createConnection"]["token"]
    assert len(data(sqlite_gateway.gql(bedford, "{ assets(first: 5) { nodes { remoteId } } }"))["assets"]["nodes"]) == 5


def test_entities_maximo_lacks_are_unsupported(sqlite_gateway, token):
    result = sqlite_gateway.gql(token, "{ maintenanceSchedules { nodes { id } } }")
    assert error_code(result) == "UNSUPPORTED_OPERATION" and "IBM Maximo" in result["errors"][0]["message"]


def test_maintenance_requests_are_service_requests(sqlite_gateway, token, tables):
    nodes = by_id(
        page_all(
            sqlite_gateway,
            token,
            "maintenanceRequests",
            """
        remoteId title status statusRaw priority createdAt updatedAt remoteVersion
        asset { remoteId } location { remoteId } requestedBy { remoteId }
    """,
        )
    )
    rows = tables["mxapisr"]
    assert len(nodes) == len(rows) == 80
    status = {
        "NEW": "OPEN",
        "PENDING": "OPEN",
        "QUEUED": "APPROVED",
        "INPROG": "APPROVED",
        "RESOLVED": "CLOSED",
        "CLOSED": "CLOSED",
        "CANCELLED": "REJECTED",
    }
    for row in rows:
        node = nodes[row["ticketid"]]
        assert (node["title"], node["status"], node["statusRaw"]) == (
            row["description"],
            status[row["status"]],
            row["status"],
        )
        assert rid(node["asset"]) == row.get("assetnum") and rid(node["location"]) == row["location"]
        assert rid(node["requestedBy"]) == row["reportedby"] and node["remoteVersion"] == row["_rowstamp"]
        assert utc(node["createdAt"]) == local(row["reportdate"]) and utc(node["updatedAt"]) == local(row["changedate"])
