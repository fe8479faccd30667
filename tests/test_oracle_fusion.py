"""Oracle Fusion against its sandbox: Basic login, `q` filters and fetch-many as one `IN` call,
offset paging with `hasMore`, counts by `totalResults`, writes guarded by the ETag, the connector's
mapping, and what the sandbox refuses with Oracle's body."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from connectors.base import ConnectionConfig, ListQuery
from connectors.oracle_fusion.connector import OracleFusionConnector
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.oracle_fusion.app import PREFIX, SANDBOX, TOKEN_PATH, create_app, oauth_login
from schema.errors import BadUserInput, Conflict, SystemAuthFailed, SystemRejected
from schema.model import CustomField, Extension

LOGIN = SANDBOX.credentials
FRAMEWORK = {"REST-Framework-Version": "4"}


@pytest.fixture
def sandbox() -> Iterator[ServerThread]:
    with ServerThread(create_app()) as server:
        yield server


@pytest.fixture
def control(sandbox: ServerThread) -> SandboxControl:
    return SandboxControl(sandbox.url)


@pytest.fixture
async def fusion(sandbox: ServerThread) -> AsyncIterator[OracleFusionConnector]:
    made = OracleFusionConnector(ConnectionConfig("CLOUD", sandbox.url, dict(LOGIN)))
    yield made
    await made.aclose()


def get(sandbox: ServerThread, resource: str, auth: tuple[str, str] | None = None, **params: str) -> httpx.Response:
    login = auth or (LOGIN["username"], LOGIN["password"])
    return httpx.get(f"{sandbox.url}{PREFIX}/{resource}", params=params, auth=login, headers=FRAMEWORK)


def test_sandbox_refuses_a_wrong_password_and_a_missing_login(sandbox):
    wrong = get(sandbox, "maintenanceWorkOrders", auth=(LOGIN["username"], "wrong"))
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Basic")
    bare = httpx.get(f"{sandbox.url}{PREFIX}/maintenanceWorkOrders")
    assert bare.status_code == 401


@pytest.mark.parametrize(
    "q", ["WorkOrderId IN 1", "WorkOrderId = ", "NoSuchAttribute = 1", "WorkOrderId = 'open", "(WorkOrderId = 1"]
)
def test_sandbox_refuses_a_malformed_q_with_the_framework_4_error_body(sandbox, q):
    answer = get(sandbox, "maintenanceWorkOrders", q=q)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/vnd.oracle.adf.error+json")
    body: dict[str, Any] = answer.json()
    assert body["status"] == "400" and body["title"] == "Bad Request"
    assert "q" in body["o:errorDetails"][0]["detail"]


def test_sandbox_answers_errors_in_plain_text_before_framework_4(sandbox):
    login = (LOGIN["username"], LOGIN["password"])
    answer = httpx.get(f"{sandbox.url}{PREFIX}/suppliers", params={"q": "Supplier ="}, auth=login)
    assert answer.status_code == 400 and answer.headers["content-type"].startswith("text/plain")


def test_sandbox_collection_carries_has_more_and_honours_fields_and_only_data(sandbox):
    page = get(sandbox, "suppliers", limit="5", offset="25", fields="SupplierId,Supplier", onlyData="true").json()
    assert (page["count"], page["hasMore"], page["limit"], page["offset"]) == (5, False, 5, 25)
    assert all(set(row) == {"SupplierId", "Supplier"} for row in page["items"])
    assert "links" in get(sandbox, "suppliers", limit="1").json()["items"][0]
    assert get(sandbox, "suppliers").json()["limit"] == 25  # the default page


async def test_a_refused_login_is_an_auth_failure_naming_no_password(sandbox):
    wrong = OracleFusionConnector(ConnectionConfig("CLOUD", sandbox.url, {**LOGIN, "password": "s3cret-wrong"}))
    with pytest.raises(SystemAuthFailed) as raised:
        await wrong.check()
    await wrong.aclose()
    assert "s3cret-wrong" not in str(raised.value)


async def test_time_and_status_filters_go_upstream_as_one_q(sandbox, control, fusion):
    since = datetime(2026, 5, 1, tzinfo=UTC)
    control.clear_requests()
    page = await fusion.list_page("WorkOrder", ListQuery(updated_after=since, statuses=("ON_HOLD",)), None, 50)
    sent = control.requests()[0]["query"]
    assert sent["q"] == "LastUpdateDate > '2026-05-01T00:00:00.000+00:00' and WorkOrderStatusCode IN ('ORA_ON_HOLD')"
    assert sent["onlyData"] == "true" and sent["limit"] == "50"
    assert page.records and all(r.values["status"] == "ON_HOLD" and r.values["updatedAt"] > since for r in page.records)


async def test_fetch_many_is_one_q_in_call(sandbox, control, fusion):
    ids = [r.remote_id for r in (await fusion.list_page("Asset", ListQuery(), None, 60)).records]
    control.clear_requests()
    found = await fusion.fetch_many("Asset", [*ids, ids[0], "not-a-number", "1"])
    assert sorted(r.remote_id for r in found) == sorted(ids)
    [call] = control.requests()
    assert call["path"] == f"{PREFIX}/installedBaseAssets"
    assert call["query"]["q"] == f"AssetId IN ({', '.join([*ids, '1'])})"  # each id once, words left out
    assert call["query"]["limit"] == str(len(ids) + 1)


async def test_purchase_orders_map_their_expanded_lines(sandbox, fusion):
    order = (await fusion.list_page("PurchaseOrder", ListQuery(), None, 1)).records[0]
    raw = get(sandbox, "purchaseOrders", limit="1", expand="lines", onlyData="true").json()["items"][0]
    lines = raw["lines"]["items"]
    assert order.remote_id == str(raw["POHeaderId"]) and order.values["vendor"] == str(raw["SupplierId"])
    assert [line["quantity"] for line in order.values["lines"]] == [float(line["Quantity"]) for line in lines]
    assert order.values["totalAmount"] == pytest.approx(sum(line["Quantity"] * line["Price"] for line in lines))


@pytest.mark.parametrize("size", [12, 10])
async def test_pages_follow_by_offset_until_has_more_is_false(sandbox, control, fusion, size):
    seen, cursor = [], None
    control.clear_requests()
    while True:
        page = await fusion.list_page("Vendor", ListQuery(), cursor, size)
        seen += [r.remote_id for r in page.records]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == 30
    assert len(control.requests()) == 3  # 30 suppliers: the third page says hasMore false, even when full


async def test_a_write_the_sandbox_refuses_is_rejected_with_oracles_detail(sandbox, fusion):
    with pytest.raises(SystemRejected) as raised:
        await fusion.create("WorkOrder", {"title": "No such asset", "asset": "999999999"})
    assert "installedBaseAssets" in str(raised.value)


def issue_token(sandbox: ServerThread) -> str:
    login = oauth_login(sandbox.url)
    form = {"grant_type": "client_credentials", "scope": login["scope"]}
    answer = httpx.post(sandbox.url + TOKEN_PATH, data=form, auth=(login["clientId"], login["clientSecret"]))
    return str(answer.json()["access_token"])


def bearer_get(sandbox: ServerThread, token: str) -> httpx.Response:
    return httpx.get(f"{sandbox.url}{PREFIX}/suppliers", headers={"Authorization": f"Bearer {token}", **FRAMEWORK})


def token_calls(control: SandboxControl) -> int:
    return sum(r["path"] == TOKEN_PATH for r in control.requests())


def test_sandbox_refuses_an_unknown_and_an_expired_token(sandbox):
    token = issue_token(sandbox)
    assert bearer_get(sandbox, token).status_code == 200
    assert bearer_get(sandbox, "made-up").status_code == 401
    sandbox.app.state.login.tokens[token] = 0.0  # its hour has passed
    assert bearer_get(sandbox, token).status_code == 401


def test_token_endpoint_refuses_a_wrong_secret_with_the_oauth_error_body(sandbox):
    login = oauth_login(sandbox.url)
    form = {"grant_type": "client_credentials", "scope": login["scope"], "client_id": login["clientId"]}
    answer = httpx.post(sandbox.url + TOKEN_PATH, data={**form, "client_secret": "wrong"})
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


async def test_oauth_login_fetches_one_token_and_renews_it_after_a_401(sandbox, control):
    fusion = OracleFusionConnector(ConnectionConfig("CLOUD", sandbox.url, oauth_login(sandbox.url)))
    await fusion.list_page("Vendor", ListQuery(), None, 5)
    await fusion.list_page("Part", ListQuery(), None, 5)
    assert token_calls(control) == 1
    sandbox.app.state.login.tokens.clear()  # revoked (or expired) early
    control.clear_requests()
    assert (await fusion.list_page("Vendor", ListQuery(), None, 5)).records
    assert token_calls(control) == 1
    await fusion.aclose()


async def test_a_refused_client_secret_is_an_auth_failure_naming_no_secret(sandbox):
    login = {**oauth_login(sandbox.url), "clientSecret": "s3cret-wrong"}
    fusion = OracleFusionConnector(ConnectionConfig("CLOUD", sandbox.url, login))
    with pytest.raises(SystemAuthFailed) as raised:
        await fusion.check()
    await fusion.aclose()
    assert "invalid_client" in str(raised.value) and "s3cret-wrong" not in str(raised.value)


def test_oauth_without_a_token_endpoint_names_the_field(sandbox):
    login = {k: v for k, v in oauth_login(sandbox.url).items() if k != "tokenUrl"}
    with pytest.raises(BadUserInput) as raised:
        OracleFusionConnector(ConnectionConfig("CLOUD", sandbox.url, login))
    assert raised.value.extensions.get("field") == "tokenUrl"


def test_a_connection_with_an_oauth_client_reads_and_counts_through_the_gateway(gateway, sandbox, control):
    admin, login = gateway.new_org(), oauth_login(sandbox.url)
    wrong = gateway.connect(
        admin, sandbox.url, system="oracle_fusion", hosting="CLOUD", credentials={**login, "clientSecret": "nope"}
    )
    assert wrong["errors"][0]["extensions"]["code"] == "SYSTEM_AUTH_FAILED" and "nope" not in str(wrong)
    control.clear_requests()
    made = gateway.connect(admin, sandbox.url, system="oracle_fusion", hosting="CLOUD", credentials=login)
    token = made["data"]["createConnection"]["token"]
    answer = gateway.gql(token, "{ vendors(first: 3) { totalCount nodes { remoteId name } } }")
    vendors = answer["data"]["vendors"]
    assert [n["remoteId"] for n in vendors["nodes"]] == ["300000001", "300000002", "300000003"]
    assert vendors["totalCount"] == len(sandbox.app.state.data.records("suppliers")) == 30  # totalResults
    assert token_calls(control) >= 1  # the reads went with the application's token, not a user


def test_a_connection_without_a_login_names_the_missing_field(sqlite_gateway, admin_key, sandbox, control):
    control.clear_requests()
    answer = sqlite_gateway.connect(
        admin_key, sandbox.url, system="oracle_fusion", hosting="CLOUD", credentials={"username": LOGIN["username"]}
    )
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["field"] == "password"
    assert control.requests() == []  # refused before any call


def test_sandbox_describes_each_resource_as_its_rows_and_children_are(sandbox):
    rows = sandbox.app.state.data
    answer = get(sandbox, "maintenanceWorkOrders/describe")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(
        "application/vnd.oracle.adf.resource"
    )
    orders = answer.json()["Resources"]["maintenanceWorkOrders"]
    row = rows.records("maintenanceWorkOrders")[0]
    assert {a["name"] for a in orders["attributes"]} == set(row) - {"WorkOrderDFF"}
    flexfield = orders["children"]["WorkOrderDFF"]["attributes"]
    assert {a["name"] for a in flexfield} == set(row["WorkOrderDFF"][0])
    by_name = {a["name"]: a for a in orders["attributes"]}
    assert by_name["WorkOrderDescription"] | {"annotations": None} == {
        "name": "WorkOrderDescription",
        "type": "string",
        "updatable": True,  # the sandbox's write rules take it
        "mandatory": True,  # and want it on a create
        "queryable": True,
        "allowChanges": "always",
        "title": "Description",
        "maxLength": "240",
        "annotations": None,
    }
    assert (by_name["AssetNumber"]["updatable"], by_name["WorkOrderLongDescription"]["queryable"]) == (False, False)
    everything = get(sandbox, "describe").json()["Resources"]
    assert set(everything) == {
        "maintenanceWorkOrders",
        "installedBaseAssets",
        "maintenanceWorkRequests",
        "itemsV2",
        "suppliers",
        "purchaseOrders",
    }
    assert everything["maintenanceWorkOrders"] == orders
    assert get(sandbox, "noSuchResource/describe").status_code == 404
    assert httpx.get(f"{sandbox.url}{PREFIX}/describe").status_code == 401


def test_sandbox_refuses_q_on_an_attribute_its_describe_says_is_not_queryable(sandbox):
    refused = get(sandbox, "maintenanceWorkOrders", q="WorkOrderLongDescription = 'See the checklist.'")
    assert refused.status_code == 400 and "queryable" in refused.json()["o:errorDetails"][0]["detail"]


async def test_custom_field_candidates_come_from_the_resources_describe(sandbox, control, fusion):
    control.clear_requests()
    found = {f.remote_path: f for f in await fusion.discover_fields("WorkOrder")}
    assert [c["path"] for c in control.requests()] == [f"{PREFIX}/maintenanceWorkOrders/describe"]  # no rows read
    flexfield = {"__FLEX_Context", "__FLEX_Context_DisplayValue", "plantArea", "downtimeHours"}
    assert set(found) == {"AssetNumber", "OrganizationCode", "PlannedStartDate"} | {
        f"WorkOrderDFF.{n}" for n in flexfield
    }
    flags = {path: (c.name, c.type, c.filterable, c.writable) for path, c in found.items()}
    assert flags["PlannedStartDate"] == ("plannedStartDate", "DateTime", True, True)  # queryable, updatable
    assert flags["AssetNumber"] == ("assetNumber", "String", True, False)  # queryable, read-only
    assert flags["WorkOrderDFF.downtimeHours"] == ("downtimeHours", "Float", True, False)  # segments: read only
    assert flags["WorkOrderDFF.__FLEX_Context_DisplayValue"][2] is False  # not queryable
    assert found["WorkOrderDFF.plantArea"].label == "Plant Area"
    orders = {f.remote_path: f for f in await fusion.discover_fields("PurchaseOrder")}
    assert set(orders) == {"Supplier", "ProcurementBU"} and not any(c.writable for c in orders.values())


async def test_a_custom_field_on_a_top_level_attribute_is_filtered_in_q(sandbox, control):
    area = CustomField("WorkOrder", "assetNumber", "String", "AssetNumber", filterable=True)
    segment = CustomField("WorkOrder", "plantArea", "String", "WorkOrderDFF.plantArea", filterable=True)
    config = ConnectionConfig("CLOUD", sandbox.url, dict(LOGIN), Extension(custom_fields=(area, segment)))
    fusion = OracleFusionConnector(config)
    rows = sandbox.app.state.data.records("maintenanceWorkOrders")
    asset, place = rows[0]["AssetNumber"], rows[0]["WorkOrderDFF"][0]["plantArea"]
    control.clear_requests()
    page = await fusion.list_page("WorkOrder", ListQuery(custom=((area, asset), (segment, place))), None, 500)
    await fusion.aclose()
    [call] = control.requests()
    assert call["query"]["q"] == f"AssetNumber = '{asset}'"  # the segment is matched here, on the expanded child
    assert call["query"]["expand"] == "WorkOrderDFF"
    wanted = [r for r in rows if r["AssetNumber"] == asset and r["WorkOrderDFF"][0]["plantArea"] == place]
    assert len(wanted) < len([r for r in rows if r["AssetNumber"] == asset])  # the segment did leave some out
    assert [r.remote_id for r in page.records] == [str(r["WorkOrderId"]) for r in wanted]
    assert all(r.values["plantArea"] == place for r in page.records)


def test_sandbox_adds_total_results_only_when_asked_counting_the_whole_filtered_collection(sandbox):
    q = "WorkOrderStatusCode IN ('ORA_ON_HOLD', 'ORA_RELEASED')"
    plain = get(sandbox, "maintenanceWorkOrders", q=q, limit="3", onlyData="true").json()
    assert "totalResults" not in plain
    counted = get(sandbox, "maintenanceWorkOrders", q=q, limit="3", onlyData="true", totalResults="true").json()
    held = [
        r
        for r in sandbox.app.state.data.records("maintenanceWorkOrders")
        if r["WorkOrderStatusCode"] in ("ORA_ON_HOLD", "ORA_RELEASED")
    ]
    assert counted["totalResults"] == len(held) > counted["count"] == 3


async def test_count_is_one_total_results_call_with_the_listings_q(sandbox, control, fusion):
    query = ListQuery(updated_after=datetime(2026, 5, 1, tzinfo=UTC), statuses=("ON_HOLD",))
    listed, cursor = [], None
    while True:
        page = await fusion.list_page("WorkOrder", query, cursor, 100)
        listed += page.records
        if (cursor := page.next_cursor) is None:
            break
    control.clear_requests()
    assert await fusion.count("WorkOrder", query) == len(listed) > 0
    [call] = control.requests()
    sent = call["query"]
    assert sent["q"] == "LastUpdateDate > '2026-05-01T00:00:00.000+00:00' and WorkOrderStatusCode IN ('ORA_ON_HOLD')"
    assert (sent["totalResults"], sent["limit"], sent["fields"]) == ("true", "1", "WorkOrderId")


def test_sandbox_answers_an_items_etag_and_refuses_a_patch_naming_an_older_one(sandbox, control):
    login, item = (LOGIN["username"], LOGIN["password"]), f"{sandbox.url}{PREFIX}/maintenanceWorkOrders/300200001"
    first = httpx.get(item, auth=login, headers=FRAMEWORK)
    tag = first.headers["etag"]
    listed = get(sandbox, "maintenanceWorkOrders", limit="1").json()["items"][0]
    assert tag == f'"{listed["links"][0]["properties"]["changeIndicator"]}"'  # the same version, both ways

    def patch(if_match: str) -> httpx.Response:
        headers = {**FRAMEWORK, "If-Match": if_match}
        return httpx.patch(item, auth=login, headers=headers, json={"WorkOrderDescription": "Checked"})

    changed = patch(tag)
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    stale = patch(tag)
    assert stale.status_code == 412 and stale.json()["status"] == "412"
    control.touch("maintenanceWorkOrders", [300200001])  # a user edits it: the tag just answered is old too
    assert patch(changed.headers["etag"]).status_code == 412
    assert patch("*").status_code == 200


async def test_an_update_naming_the_current_version_is_sent_with_the_etag_and_answers_a_new_version(sandbox, fusion):
    order = (await fusion.list_page("WorkOrder", ListQuery(), None, 1)).records[0]
    done = await fusion.update("WorkOrder", order.remote_id, {"title": "Belts checked"}, order.values["remoteVersion"])
    assert done.values["title"] == "Belts checked" and done.values["remoteVersion"] != order.values["remoteVersion"]
    with pytest.raises(Conflict) as raised:  # the version just replaced
        await fusion.update("WorkOrder", order.remote_id, {"title": "Again"}, order.values["remoteVersion"])
    assert raised.value.extensions["currentVersion"] == done.values["remoteVersion"]


async def test_a_change_between_the_read_and_the_patch_is_a_conflict(sandbox, control, fusion):
    order = (await fusion.list_page("WorkOrder", ListQuery(), None, 1)).records[0]
    control.fault("slow", delay=1.0, count=1, match="^PATCH ")  # hold the write after the connector's read
    control.clear_requests()
    writing = asyncio.create_task(
        fusion.update("WorkOrder", order.remote_id, {"title": "Raced"}, order.values["remoteVersion"])
    )
    while not any(r["method"] == "PATCH" for r in await asyncio.to_thread(control.requests)):
        await asyncio.sleep(0.02)
    await asyncio.to_thread(control.touch, "maintenanceWorkOrders", [int(order.remote_id)])  # someone else
    with pytest.raises(Conflict) as raised:
        await writing
    now = sandbox.app.state.data.get("maintenanceWorkOrders", int(order.remote_id))
    assert raised.value.extensions["currentVersion"] == now["LastUpdateDate"] != order.values["remoteVersion"]
    assert now["WorkOrderDescription"] != "Raced"  # the PATCH was refused (412), not applied
    assert [r["method"] for r in control.requests()][:2] == ["GET", "PATCH"]
