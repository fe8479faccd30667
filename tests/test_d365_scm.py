"""Dynamics 365 Supply Chain Management against its sandbox: the Entra login, the legal entity
(`dataAreaId`) check, cross-company reads filtered on the company, fetch-many in one multipart `$batch`, ETags,
the mapping of Asset Management's states, and what the sandbox refuses with the vendor's error body."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from connectors.base import ConnectionConfig, ListQuery
from connectors.d365_scm.connector import JOBS, SupplyChainConnector
from connectors.odata.query import KEYS_PER_CALL
from sandboxes.d365_scm.app import CLIENT_ID, CLIENT_SECRET, TENANT, create_app, login
from sandboxes.kit import ServerThread
from schema.errors import BadUserInput, Conflict, SystemAuthFailed, SystemRejected
from schema.model import CustomField, Extension
from tests.helpers import own_sandbox


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[ServerThread]:
    yield from own_sandbox(request, create_app)


def connector_for(sandbox: ServerThread, **changes: str) -> SupplyChainConnector:
    return SupplyChainConnector(ConnectionConfig("CLOUD", sandbox.url, {**login(), **changes}))


@pytest.fixture
async def scm(sandbox: ServerThread) -> AsyncIterator[SupplyChainConnector]:
    made = connector_for(sandbox)
    yield made
    await made.aclose()


def bearer(sandbox: ServerThread) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scope": f"{sandbox.url}/.default",
    }
    token = httpx.post(f"{sandbox.url}/{TENANT}/oauth2/v2.0/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def get(sandbox: ServerThread, path: str, headers: dict[str, str], **params: str) -> httpx.Response:
    return httpx.get(f"{sandbox.url}/data/{path}", params=params, headers=headers)


def vendor_error(response: httpx.Response) -> dict[str, Any]:
    """The OData error of finance and operations apps: `code`, `message` and `innererror`."""
    error = response.json()["error"]
    assert set(error) == {"code", "message", "innererror"} and error["innererror"]["message"], error
    return error


async def test_token_is_fetched_once_for_the_environment_and_renewed_after_a_401(sandbox, control, scm):
    await asyncio.gather(*(scm.list_page(e, ListQuery(), None, 5) for e in ("Asset", "Location", "WorkOrder")))
    tokens = [r for r in control.requests() if r["path"].endswith("/oauth2/v2.0/token")]
    assert len(tokens) == 1
    sandbox.app.state.env.tokens.clear()  # revoked before it expires
    assert len((await scm.list_page("Vendor", ListQuery(), None, 5)).records) == 5
    assert sum(1 for r in control.requests() if r["path"].endswith("/oauth2/v2.0/token")) == 2


async def test_a_refused_secret_names_the_error_never_the_secret(sandbox):
    bad = connector_for(sandbox, clientSecret="a-wrong-client-secret")
    with pytest.raises(SystemAuthFailed) as raised:
        await bad.check()
    await bad.aclose()
    assert "invalid_client" in str(raised.value) and "a-wrong-client-secret" not in str(raised.value)


@pytest.mark.parametrize("missing", ["tenantId", "clientId", "clientSecret"])
def test_a_missing_login_field_is_refused_before_any_call(sandbox, missing):
    creds = {k: v for k, v in login().items() if k != missing and not (missing == "tenantId" and k == "tokenUrl")}
    with pytest.raises(BadUserInput) as raised:
        SupplyChainConnector(ConnectionConfig("CLOUD", sandbox.url, creds))
    assert raised.value.extensions["field"] == missing


@pytest.mark.parametrize("area", ["", "xxxx", "usmf') or (true"])
async def test_a_company_the_environment_lacks_is_refused_with_its_legal_entities(sandbox, area):
    wrong = connector_for(sandbox, dataAreaId=area)
    with pytest.raises(BadUserInput) as raised:
        await wrong.check()
    await wrong.aclose()
    assert raised.value.extensions["field"] == "dataAreaId"
    assert "Contoso USA (usmf)" in str(raised.value) and "Contoso Retail (usrt)" in str(raised.value)


async def test_reads_go_cross_company_and_keep_to_the_connections_company(sandbox, control, scm):
    control.clear_requests()
    vendors = []
    cursor = None
    while True:
        page = await scm.list_page("Vendor", ListQuery(), cursor, 10)
        vendors += page.records
        if (cursor := page.next_cursor) is None:
            break
    assert len(vendors) == 16 and "US-900" not in {v.remote_id for v in vendors}  # usrt's vendor
    for sent in (r for r in control.requests() if r["path"].startswith("/data/")):
        assert sent["query"]["cross-company"] == "true"
        assert sent["query"]["$filter"].startswith("dataAreaId eq 'usmf'")
    other = connector_for(sandbox, dataAreaId="USRT")
    assert [r.remote_id for r in (await other.list_page("Vendor", ListQuery(), None, 10)).records] == ["US-900"]
    await other.aclose()


def test_sandbox_reads_the_default_company_unless_cross_company(sandbox):
    auth = bearer(sandbox)
    default = get(sandbox, "VendorsV2", auth).json()["value"]
    every = get(sandbox, "VendorsV2", auth, **{"cross-company": "true"}).json()["value"]
    assert {v["dataAreaId"] for v in default} == {"usmf"} and {v["dataAreaId"] for v in every} == {"usmf", "usrt"}


@pytest.mark.parametrize("sandbox", [{"token_lifetime": 0}], indirect=True)
def test_sandbox_refuses_an_expired_unknown_or_missing_token(sandbox):
    for headers in (bearer(sandbox), {"Authorization": "Bearer not-a-token"}, {}):
        answer = get(sandbox, "VendorsV2", headers)
        assert answer.status_code == 401 and answer.content == b""
        assert answer.headers["www-authenticate"] == "Bearer"


def test_sandbox_refuses_a_malformed_filter_a_partial_key_and_an_unknown_set(sandbox):
    auth = bearer(sandbox)
    for text in ("VendorAccountNumber eq", "Nope eq 'x'", "ModifiedDateTime gt datetime'2025-01-01T00:00:00'"):
        answer = get(sandbox, "VendorsV2", auth, **{"$filter": text})
        assert answer.status_code == 400 and "not valid" in vendor_error(answer)["message"], text
    partial = get(sandbox, "VendorsV2('US-101')", auth)
    assert partial.status_code == 400 and "dataAreaId" in vendor_error(partial)["message"]
    elsewhere = get(sandbox, "VendorsV2(VendorAccountNumber='US-101',dataAreaId='usrt')", auth)
    assert elsewhere.status_code == 404 and vendor_error(elsewhere)
    assert get(sandbox, "NoSuchEntities", auth).status_code == 404


async def test_fetch_many_is_one_multipart_batch_of_or_filtered_reads(sandbox, control, scm):
    ids = [f"MA-{1000 + n}" for n in range(24)]
    await scm.check()  # logged in
    control.clear_requests()
    found = await scm.fetch_many("Asset", [*ids, "MA-404"])
    assert sorted(r.remote_id for r in found) == ids
    assert [(r["method"], r["path"]) for r in control.requests()] == [("POST", "/data/$batch")]
    control.clear_requests()
    many = [f"MA-{1000 + n}" for n in range(KEYS_PER_CALL * 2 + 1)]  # three reads of 40 ids, one call
    assert sorted(r.remote_id for r in await scm.fetch_many("Asset", many)) == ids
    assert [(r["method"], r["path"]) for r in control.requests()] == [("POST", "/data/$batch")]


def test_sandbox_answers_a_multipart_batch_part_by_part_in_order(sandbox):
    boundary = "batch_36522ad7-fc75-4b56-8c71-56071383e77b"
    parts = [
        "GET AssetMaintenanceAssetsV3?cross-company=true&$filter=MaintenanceAssetId%20eq%20'MA-1001' HTTP/1.1",
        "GET VendorsV2?$filter=Nope%20eq%201 HTTP/1.1",
        "GET VendorsV2?$select=VendorAccountNumber&$top=2 HTTP/1.1",
    ]
    body = "".join(
        f"--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n{line}\r\n\r\n"
        for line in parts
    )
    sent = {**bearer(sandbox), "Content-Type": f"multipart/mixed; boundary={boundary}"}
    answer = httpx.post(f"{sandbox.url}/data/$batch", content=f"{body}--{boundary}--\r\n", headers=sent)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("multipart/mixed; boundary=")
    delimiter = "--" + answer.headers["content-type"].split("boundary=")[1]
    sections = [s for s in answer.text.split(delimiter)[1:] if not s.startswith("--")]
    statuses = [s.split("\r\n\r\n")[1].split(" ")[1] for s in sections]
    bodies = [json.loads(s.split("\r\n\r\n", 2)[2]) for s in sections]
    assert statuses == ["200", "400", "200"]
    assert [a["MaintenanceAssetId"] for a in bodies[0]["value"]] == ["MA-1001"]
    assert "not valid" in bodies[1]["error"]["message"]
    assert [v["VendorAccountNumber"] for v in bodies[2]["value"]] == ["US-101", "US-102"]
    change_set = f"--{boundary}\r\nContent-Type: multipart/mixed; boundary=changeset_1\r\n\r\n--changeset_1--\r\n"
    refused = httpx.post(f"{sandbox.url}/data/$batch", content=f"{change_set}--{boundary}--\r\n", headers=sent)
    assert refused.status_code == 400 and "change sets" in vendor_error(refused)["message"]
    assert (
        httpx.post(
            f"{sandbox.url}/data/$batch", content=body, headers={"Content-Type": sent["Content-Type"]}
        ).status_code
        == 401
    )


async def test_update_sends_the_etag_and_a_stale_one_is_a_conflict(sandbox, control, scm):
    asset = (await scm.fetch_many("Asset", ["MA-1001"]))[0]
    version = asset.values["remoteVersion"]
    control.clear_requests()
    changed = await scm.update("Asset", "MA-1001", {"serialNumber": "SN-NEW"}, version)
    patch = next(r for r in control.requests() if r["method"] == "PATCH")
    assert patch["path"] == "/data/AssetMaintenanceAssetsV3(MaintenanceAssetId='MA-1001',dataAreaId='usmf')"
    assert changed.values["serialNumber"] == "SN-NEW" and changed.values["remoteVersion"] != version
    with pytest.raises(Conflict) as raised:
        await scm.update("Asset", "MA-1001", {"serialNumber": "SN-LATE"}, version)
    assert raised.value.extensions["currentVersion"] == changed.values["remoteVersion"]


async def test_a_create_names_the_connections_company(sandbox, scm):
    other = connector_for(sandbox, dataAreaId="usrt")
    made = await other.create("Vendor", {"name": "Retail supplier", "active": False})
    await other.aclose()
    stored = sandbox.app.state.data.get("VendorsV2", made.remote_id)
    assert stored["dataAreaId"] == "usrt" and stored["OnHoldStatus"] == "All" and made.values["active"] is False
    with pytest.raises(Exception, match="not found in the related table"):  # an asset of another company
        await scm.create("MaintenanceRequest", {"title": "Wrong company", "asset": "MA-404"})


async def test_states_dates_and_priorities_map_to_the_unified_model(sandbox, scm):
    wanted = ["WO-2000", "WO-2003", "WO-2004", "WO-2009"]
    orders = {r.remote_id: r.values for r in await scm.fetch_many("WorkOrder", wanted)}
    job = sandbox.app.state.data.get("AssetMaintenanceWorkOrderTablesV2", "WO-2000")[JOBS][0]
    assert (orders["WO-2000"]["asset"], orders["WO-2000"]["location"]) == (
        job["MaintenanceAssetId"],
        job["MaintenanceAssetFunctionalLocationId"],
    )
    assert orders["WO-2009"]["asset"] is None  # no job yet: the header names no asset
    assert orders["WO-2000"]["status"] == "OPEN" and orders["WO-2000"]["priority"] == "URGENT"
    assert orders["WO-2000"]["startedAt"] is None and orders["WO-2000"]["dueDate"] is not None  # 1900 is no date
    assert orders["WO-2003"]["status"] == "ON_HOLD" and orders["WO-2003"]["type"] == "EMERGENCY"
    assert orders["WO-2004"]["status"] == "COMPLETED" and orders["WO-2004"]["completedAt"] is not None
    requests = {r.remote_id: r.values for r in await scm.fetch_many("MaintenanceRequest", ["MR-3005", "MR-3003"])}
    assert requests["MR-3005"]["status"] == "CONVERTED" and requests["MR-3005"]["workOrder"] == "WO-2005"
    assert requests["MR-3003"]["status"] == "REJECTED"
    pos = {r.values["number"]: r.values for r in (await scm.list_page("PurchaseOrder", ListQuery(), None, 6)).records}
    assert [pos[f"PO-{4000 + n}"]["status"] for n in range(6)] == [
        "DRAFT",
        "APPROVED",
        "APPROVED",
        "RECEIVED",
        "CLOSED",
        "CANCELLED",
    ]
    assert len(pos["PO-4000"]["lines"]) == 2 and pos["PO-4003"]["lines"][0]["part"].startswith("SP-")
    vendors = {r.remote_id: r.values for r in await scm.fetch_many("Vendor", ["US-101", "US-107"])}
    assert vendors["US-101"]["active"] is True and vendors["US-107"]["active"] is False
    assert vendors["US-101"]["address"] == "100 Main Street, 98052, Redmond, USA"


def test_connecting_to_a_company_the_environment_lacks_lists_its_legal_entities(sqlite_gateway, admin_key, sandbox):
    wrong = {**login(), "dataAreaId": "zz"}
    answer = sqlite_gateway.connect(admin_key, sandbox.url, system="d365_scm", hosting="CLOUD", credentials=wrong)
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["field"] == "dataAreaId"
    assert "usmf" in error["message"] and CLIENT_SECRET not in error["message"]
    made = sqlite_gateway.connect(admin_key, sandbox.url, system="d365_scm", hosting="CLOUD", credentials=login())
    assert "errors" not in made, made


async def test_a_purchase_order_is_posted_then_its_lines_and_a_refused_line_takes_the_header_back(
    sandbox, control, scm
):
    order = {
        "vendor": "US-102",
        "currency": "USD",
        "lines": [{"part": "SP-501", "quantity": 3.0, "unitPrice": 2.5}, {"part": "SP-502", "quantity": 1.0}],
    }
    await scm.check()
    control.clear_requests()
    made = await scm.create("PurchaseOrder", order)
    posts = [r["path"] for r in control.requests() if r["method"] == "POST"]
    assert posts == ["/data/PurchaseOrderHeadersV2", *["/data/PurchaseOrderLinesV2"] * 2, "/data/$batch"]  # read back
    assert made.values["status"] == "DRAFT" and made.values["vendor"] == "US-102"
    assert [(line["lineNumber"], line["part"], line["amount"]) for line in made.values["lines"]] == [
        (1, "SP-501", 7.5),
        (2, "SP-502", 0.0),
    ]
    stored = sandbox.app.state.data.get("PurchaseOrderHeadersV2", made.remote_id)
    assert stored["dataAreaId"] == "usmf" and len(stored["PurchaseOrderLinesV2"]) == 2
    before = len(sandbox.app.state.data.records("PurchaseOrderHeadersV2"))
    with pytest.raises(Exception, match="not found in the related table"):  # a product the company lacks
        await scm.create("PurchaseOrder", {**order, "lines": [{"part": "SP-404", "quantity": 1.0}]})
    assert len(sandbox.app.state.data.records("PurchaseOrderHeadersV2")) == before


def test_sandbox_takes_no_deep_insert_and_no_line_of_an_unknown_order(sandbox):
    auth = bearer(sandbox)
    deep = {"OrderVendorAccountNumber": "US-101", "PurchaseOrderLinesV2": [{"ItemNumber": "SP-500"}]}
    answer = httpx.post(f"{sandbox.url}/data/PurchaseOrderHeadersV2", json=deep, headers=auth)
    assert answer.status_code == 400 and "Deep insert" in vendor_error(answer)["message"]
    line = {"PurchaseOrderNumber": "PO-404", "dataAreaId": "usmf", "ItemNumber": "SP-500"}
    answer = httpx.post(f"{sandbox.url}/data/PurchaseOrderLinesV2", json=line, headers=auth)
    assert answer.status_code == 400 and "PurchaseOrderNumber" in vendor_error(answer)["message"]


async def test_users_are_the_employees_of_the_connections_legal_entity(sandbox, control, scm):
    control.clear_requests()
    page = await scm.list_page("User", ListQuery(), None, 50)
    users = {r.remote_id: r.values for r in page.records}
    assert sorted(users) == [f"{n:06d}" for n in range(1, 13)] and page.total == 12  # none of usrt
    assert control.requests()[-1]["query"]["$filter"].startswith("EmploymentLegalEntityId eq 'USMF'")
    assert users["000001"] == {
        **users["000001"],
        "name": "April Meyer",
        "email": "april.meyer@contoso.example.com",
        "role": "Maintenance technician",
        "active": True,
    }
    assert users["000008"]["active"] is False and users["000004"]["email"] is None  # ended; no e-mail
    fetched = await scm.fetch_many("User", ["000002", "000013"])  # the second works for usrt
    assert [r.remote_id for r in fetched] == ["000002"]


async def test_custom_fields_are_discovered_from_metadata_and_read_and_filtered_in_the_company(sandbox, control, scm):
    control.clear_requests()
    found = {f.remote_path: f for f in await scm.discover_fields("Asset")}
    assert {"CONRiskClass", "CONInspectionDays", "ProductId"} <= set(found)
    assert not {"Name", "SerialID", "MaintenanceAssetId", "dataAreaId"} & set(found)  # mapped or the key
    assert (found["CONInspectionDays"].type, found["CONRiskClass"].type) == ("Int", "String")
    assert not any(f.writable for f in found.values())
    await scm.discover_fields("Vendor")  # the document is read once per connector
    assert [r["path"] for r in control.requests() if "$metadata" in r["path"]] == ["/data/$metadata"]
    risk = CustomField("Asset", "riskClass", "String", "CONRiskClass", filterable=True)
    days = CustomField("Asset", "inspectionDays", "Int", "CONInspectionDays")
    custom = SupplyChainConnector(
        ConnectionConfig("CLOUD", sandbox.url, login(), extension=Extension(custom_fields=(risk, days)))
    )
    try:
        control.clear_requests()
        page = await custom.list_page("Asset", ListQuery(custom=((risk, "B"),)), None, 50)
    finally:
        await custom.aclose()
    assert [r.remote_id for r in page.records] == [f"MA-{1000 + n}" for n in range(1, 24, 3)]
    assert {r.values["riskClass"] for r in page.records} == {"B"}
    assert page.records[0].values["inspectionDays"] == 60
    assert "CONRiskClass eq 'B'" in control.requests()[-1]["query"]["$filter"]


async def test_a_read_refused_inside_a_batch_fails_with_the_services_message(sandbox):
    bogus = CustomField("Asset", "bogus", "String", "NoSuchProperty")
    config = ConnectionConfig("CLOUD", sandbox.url, login(), extension=Extension(custom_fields=(bogus,)))
    wrong = SupplyChainConnector(config)
    try:
        with pytest.raises(SystemRejected) as raised:
            await wrong.fetch_many("Asset", ["MA-1001"])
    finally:
        await wrong.aclose()
    assert raised.value.extensions["status"] == 400 and "NoSuchProperty" in str(raised.value)
