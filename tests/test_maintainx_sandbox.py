"""The MaintainX sandbox over real HTTP: auth, envelopes, cursor paging, filters, errors, faults."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator

import httpx
import pytest

from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.maintainx.app import DEMO_API_KEY, ENVELOPES, create_app, encode_cursor
from sandboxes.maintainx.seed import (
    COUNTS,
    DEMO_EMAIL,
    ORGANIZATION_ID,
    RESOURCES,
    WINDOW_END,
    WINDOW_START,
    iso,
    parse_ms,
)

API = "/v1"
BEARER = {"Authorization": f"Bearer {DEMO_API_KEY}"}


@pytest.fixture(scope="module")
def app():
    return create_app(api_keys={DEMO_API_KEY: (ORGANIZATION_ID,), "mx-two-orgs": (ORGANIZATION_ID, 777)})


@pytest.fixture(scope="module")
def server(app) -> Iterator[ServerThread]:
    with ServerThread(app) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5) as http:
        yield http


@pytest.fixture(scope="module")
def authed(server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5, headers=BEARER) as http:
        yield http


@pytest.fixture(scope="module")
def control(server: ServerThread) -> SandboxControl:
    return SandboxControl(server.url)


@pytest.fixture(autouse=True)
def no_fault(app) -> Iterator[None]:
    yield
    app.state.sandbox.clear_fault()


def error_message(response: httpx.Response, status: int) -> str:
    """The one message of MaintainX's error body, checking its shape."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["errors"] and len(body["errors"]) == 1
    assert isinstance(body["errors"][0]["message"], str)
    return body["errors"][0]["message"]


# --- auth -------------------------------------------------------------------


def test_bearer_key_is_required(client: httpx.Client) -> None:
    assert "Bearer" in error_message(client.get(f"{API}/workorders"), 401)
    basic = client.get(f"{API}/workorders", headers={"Authorization": "Basic ZGVtbzpkZW1v"})
    assert "Bearer" in error_message(basic, 401)
    keyless = client.get(f"{API}/workorders", headers={"Authorization": "Bearer"})
    error_message(keyless, 401)


def test_unknown_key_is_401(client: httpx.Client) -> None:
    response = client.get(f"{API}/workorders", headers={"Authorization": "Bearer mx-forged"})
    assert error_message(response, 401) == "Invalid API key"


def test_good_key_reads_and_the_scheme_is_case_insensitive(client: httpx.Client) -> None:
    assert client.get(f"{API}/users", headers=BEARER).status_code == 200
    assert client.get(f"{API}/users", headers={"Authorization": f"bearer {DEMO_API_KEY}"}).status_code == 200


def test_organization_header_selects_one_of_the_keys_organizations(client: httpx.Client) -> None:
    def get(key: str, org: str) -> httpx.Response:
        return client.get(f"{API}/users", headers={"Authorization": f"Bearer {key}", "x-organization-id": org})

    assert get(DEMO_API_KEY, str(ORGANIZATION_ID)).status_code == 200
    assert "777" in error_message(get(DEMO_API_KEY, "777"), 403)
    error_message(get(DEMO_API_KEY, "acme"), 403)
    assert get("mx-two-orgs", "777").status_code == 200
    assert get("mx-two-orgs", str(ORGANIZATION_ID)).status_code == 200


# --- envelopes --------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
def test_list_and_single_envelopes_are_named_after_the_resource(authed: httpx.Client, resource: str) -> None:
    plural, singular = ENVELOPES[resource]
    body = authed.get(f"{API}/{resource}", params={"limit": 3}).json()
    assert set(body) == {plural, "nextCursor"}
    rows = body[plural]
    assert rows and all(type(r["id"]) is int for r in rows)
    one = authed.get(f"{API}/{resource}/{rows[1]['id']}").json()
    assert one == {singular: rows[1]}


def test_work_order_wire_fields(authed: httpx.Client) -> None:
    rows = authed.get(f"{API}/workorders", params={"limit": 200}).json()["workOrders"]
    for wo in rows:
        assert wo["priority"] in ("NONE", "LOW", "MEDIUM", "HIGH")
        assert wo["status"] in ("OPEN", "IN_PROGRESS", "ON_HOLD", "DONE")
        assert all(a["type"] in ("USER", "TEAM") and type(a["id"]) is int for a in wo["assignees"])
        assert isinstance(wo["categories"], list)
        for key in ("dueDate", "completedAt", "createdAt", "updatedAt"):
            assert wo[key] is None or re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", wo[key])
    assert {a["type"] for wo in rows for a in wo["assignees"]} == {"USER", "TEAM"}


# --- cursor paging ----------------------------------------------------------


def walk(authed: httpx.Client, resource: str, limit: int, **params) -> list[dict]:
    plural, _ = ENVELOPES[resource]
    rows: list[dict] = []
    cursor = None
    for _ in range(1000):
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        response = authed.get(f"{API}/{resource}", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        rows += body[plural]
        cursor = body["nextCursor"]
        if cursor is None:
            return rows
        assert len(body[plural]) == limit  # only the last page is short
    raise AssertionError("paging did not end")


@pytest.mark.parametrize("resource", RESOURCES)
def test_paging_reaches_every_record_once_in_id_order(authed: httpx.Client, resource: str) -> None:
    ids = [r["id"] for r in walk(authed, resource, 200)]
    assert len(ids) == COUNTS[resource] and ids == sorted(set(ids))
    assert [r["id"] for r in walk(authed, resource, 37)] == ids


def test_default_limit_and_no_cursor_after_the_last_page(authed: httpx.Client) -> None:
    body = authed.get(f"{API}/workorders").json()
    assert len(body["workOrders"]) == 100 and body["nextCursor"]
    exact = authed.get(f"{API}/teams", params={"limit": COUNTS["teams"]}).json()
    assert len(exact["teams"]) == COUNTS["teams"] and exact["nextCursor"] is None


def test_a_cursor_resumes_after_the_last_record_whatever_the_limit(authed: httpx.Client) -> None:
    first = authed.get(f"{API}/assets", params={"limit": 10}).json()
    wide = authed.get(f"{API}/assets", params={"limit": 200}).json()["assets"]
    for limit in (1, 5, 50):
        page = authed.get(f"{API}/assets", params={"limit": limit, "cursor": first["nextCursor"]}).json()
        assert page["assets"] == wide[10 : 10 + limit]


def test_cursor_is_opaque_and_garbage_is_400(authed: httpx.Client) -> None:
    cursor = authed.get(f"{API}/parts", params={"limit": 5}).json()["nextCursor"]
    assert not cursor.isdigit()
    for bad in (
        "garbage!",
        "bm90IGpzb24",
        encode_cursor("assets", 1),
        base64.urlsafe_b64encode(json.dumps({"r": "parts", "after": "x"}).encode()).decode(),
    ):
        assert error_message(authed.get(f"{API}/parts", params={"cursor": bad}), 400) == "Invalid cursor"


def test_bad_limits_are_400(authed: httpx.Client) -> None:
    for limit in ("0", "201", "ten", "-5"):
        assert "limit" in error_message(authed.get(f"{API}/assets", params={"limit": limit}), 400)
    assert len(authed.get(f"{API}/assets", params={"limit": 200}).json()["assets"]) == 200


# --- filters ----------------------------------------------------------------


def test_updated_filter_is_inclusive_and_sees_touched_records(client, authed, app) -> None:
    records = app.state.data.records("workorders")
    latest = max(records, key=lambda r: r["updatedAt"])
    page = authed.get(f"{API}/workorders", params={"updatedAtGte": latest["updatedAt"]}).json()["workOrders"]
    assert latest["id"] in {r["id"] for r in page}  # Gte: the bound itself is included
    since = iso(parse_ms(latest["updatedAt"]) + 1)
    assert authed.get(f"{API}/workorders", params={"updatedAtGte": since}).json()["workOrders"] == []
    ids = [records[4]["id"], records[500]["id"]]
    touched = client.post("/__sandbox/touch", json={"resource": "workorders", "ids": ids}).json()["workOrders"]
    assert [r["id"] for r in touched] == ids
    page = walk(authed, "workorders", 50, updatedAtGte=since)
    assert [r["id"] for r in page] == ids


def test_created_filter_with_paging(authed: httpx.Client, app) -> None:
    records = app.state.data.records("workrequests")
    pivot = records[60]["createdAt"]
    found = walk(authed, "workrequests", 25, createdAtGte=pivot)
    assert [r["id"] for r in found] == [r["id"] for r in records if r["createdAt"] >= pivot]
    assert found[0]["id"] == records[60]["id"]


def test_filters_take_offsets_and_reject_garbage(authed: httpx.Client, app) -> None:
    pivot = app.state.data.records("assets")[100]["createdAt"]
    offset = pivot.replace("Z", "+00:00")
    assert walk(authed, "assets", 200, createdAtGte=pivot) == walk(authed, "assets", 200, createdAtGte=offset)
    assert "createdAtGte" in error_message(authed.get(f"{API}/assets", params={"createdAtGte": "yesterday"}), 400)
    assert "updatedAtGte" in error_message(authed.get(f"{API}/assets", params={"updatedAtGte": "1700000000"}), 400)


# --- expand -----------------------------------------------------------------


def test_expand_embeds_related_records(authed: httpx.Client, app) -> None:
    data = app.state.data
    for params in (
        httpx.QueryParams({"expand": "asset,location"}),
        httpx.QueryParams([("expand", "asset"), ("expand", "location")]),
    ):
        rows = authed.get(f"{API}/workorders", params=params).json()["workOrders"]
        for wo in rows:
            assert wo["asset"] == (data.get("assets", wo["assetId"]) if wo["assetId"] else None)
            assert wo["location"] == data.get("locations", wo["locationId"])
        assert any(wo["asset"] is None for wo in rows)
    plain = authed.get(f"{API}/workorders").json()["workOrders"][0]
    assert "asset" not in plain and "location" not in plain
    po = data.records("purchaseorders")[0]
    one = authed.get(f"{API}/purchaseorders/{po['id']}", params={"expand": "vendor"}).json()["purchaseOrder"]
    assert one["vendor"] == data.get("vendors", po["vendorId"])


def test_unknown_expansion_is_400(authed: httpx.Client) -> None:
    assert "gizmo" in error_message(authed.get(f"{API}/workorders", params={"expand": "gizmo"}), 400)
    error_message(authed.get(f"{API}/vendors", params={"expand": "asset"}), 400)


# --- single records and errors ---------------------------------------------


def test_get_one_404_and_400(authed: httpx.Client, app) -> None:
    asset = app.state.data.records("assets")[7]
    assert authed.get(f"{API}/assets/{asset['id']}").json() == {"asset": asset}
    assert authed.get(f"{API}/assets/999999999").json() == {"errors": [{"message": "Not found"}]}
    assert error_message(authed.get(f"{API}/assets/abc"), 400) == "id must be an integer"
    error_message(authed.get(f"{API}/gizmos"), 404)
    error_message(authed.get(f"{API}/gizmos/1"), 404)
    error_message(authed.get("/v2/workorders"), 404)
    error_message(authed.put(f"{API}/workorders", json={"title": "x"}), 405)  # writes: tests/test_writes_maintainx.py


def test_auth_is_checked_before_anything_else(client: httpx.Client) -> None:
    error_message(client.get(f"{API}/gizmos"), 401)
    error_message(client.get(f"{API}/assets", params={"limit": 999}), 401)


# --- seed data --------------------------------------------------------------


def test_seed_is_deterministic_and_depends_on_the_seed() -> None:
    first, second = create_app(seed=7).state.data, create_app(seed=7).state.data
    assert json.dumps(first.snapshot()) == json.dumps(second.snapshot())
    assert create_app(seed=8).state.data.snapshot() != first.snapshot()


def test_seed_shape_ids_dates_and_references(app) -> None:
    data = app.state.data
    ids = {name: {r["id"] for r in data.records(name)} for name in RESOURCES}
    assert data.records("users")[0]["email"] == DEMO_EMAIL
    for name in RESOURCES:
        rows = data.records(name)
        assert [r["createdAt"] for r in rows] == sorted(r["createdAt"] for r in rows)  # ids grow with time
        for record in rows:
            assert type(record["id"]) is int
            assert WINDOW_START <= parse_ms(record["createdAt"]) <= WINDOW_END
            assert record["updatedAt"] >= record["createdAt"]
    assets = {a["id"]: a for a in data.records("assets")}
    locations = {loc["id"]: loc for loc in data.records("locations")}
    for wo in data.records("workorders"):
        assert wo["assetId"] is None or wo["locationId"] == assets[wo["assetId"]]["locationId"]
        assert wo["locationId"] in locations
        assert (wo["completedAt"] is not None) == (wo["status"] == "DONE")
        for assignee in wo["assignees"]:
            assert assignee["id"] in ids["users" if assignee["type"] == "USER" else "teams"]
    for asset in assets.values():
        assert asset["locationId"] in locations and (asset["parentId"] is None or asset["parentId"] in assets)
    for loc in locations.values():
        assert loc["parentId"] is None or loc["parentId"] < loc["id"]  # parents come first
    for part in data.records("parts"):
        assert all(s["locationId"] in locations for s in part["stock"])
        assert set(part["vendorIds"]) <= ids["vendors"]
    for po in data.records("purchaseorders"):
        assert po["vendorId"] in ids["vendors"] and 1 <= len(po["items"]) <= 5
        assert all(item["partId"] in ids["parts"] for item in po["items"])
    for request in data.records("workrequests"):
        assert (request["workOrderId"] is not None) == (request["status"] == "APPROVED")
        assert request["workOrderId"] is None or request["workOrderId"] in ids["workorders"]


# --- faults -----------------------------------------------------------------


def test_fault_down_is_a_transport_error(authed: httpx.Client, control: SandboxControl) -> None:
    control.fault("down")
    with pytest.raises(httpx.TransportError):
        authed.get(f"{API}/assets")


def test_fault_slow_times_the_client_out_but_answers_a_patient_one(
    authed: httpx.Client, control: SandboxControl
) -> None:
    control.fault("slow", delay=2, count=1)
    with pytest.raises(httpx.ReadTimeout):
        authed.get(f"{API}/assets", timeout=0.2)
    control.fault("slow", delay=0.1, count=1)
    assert authed.get(f"{API}/assets", params={"limit": 1}).status_code == 200


def test_fault_error_rate_limit_and_unauthorized_use_the_vendor_body(
    authed: httpx.Client, control: SandboxControl
) -> None:
    control.fault("error", status=503)
    assert error_message(authed.get(f"{API}/assets"), 503) == "Service Unavailable"
    control.fault("rate_limit", retry_after=7)
    response = authed.get(f"{API}/assets")
    error_message(response, 429)
    assert response.headers["Retry-After"] == "7"
    control.fault("unauthorized")
    error_message(authed.get(f"{API}/assets"), 401)


def test_fault_malformed_is_invalid_json(authed: httpx.Client, control: SandboxControl) -> None:
    control.fault("malformed")
    response = authed.get(f"{API}/assets")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_fault_with_count_clears_itself_and_spares_control_routes(
    authed: httpx.Client, control: SandboxControl
) -> None:
    control.fault("error", status=500, count=1)
    assert authed.get("/__sandbox/requests").status_code == 200
    assert authed.get(f"{API}/assets", params={"limit": 1}).status_code == 500
    assert authed.get(f"{API}/assets", params={"limit": 1}).status_code == 200
    assert authed.get("/__sandbox/fault").json()["mode"] == "none"


# --- request log ------------------------------------------------------------


def test_request_log_records_and_clears(authed: httpx.Client, app) -> None:
    assert authed.delete("/__sandbox/requests").status_code == 200
    cursor = authed.get(f"{API}/parts", params={"limit": 50}).json()["nextCursor"]
    authed.get(f"{API}/parts", params={"limit": 50, "cursor": cursor})
    authed.get(f"{API}/vendors/1")
    logged = authed.get("/__sandbox/requests").json()
    assert [(r["method"], r["path"], r["query"]) for r in logged] == [
        ("GET", f"{API}/parts", {"limit": "50"}),
        ("GET", f"{API}/parts", {"limit": "50", "cursor": cursor}),
        ("GET", f"{API}/vendors/1", {}),
    ]
    assert len(app.state.sandbox.requests) == 3
    authed.delete("/__sandbox/requests")
    assert authed.get("/__sandbox/requests").json() == []


def test_truncate_fault_drops_the_connection_mid_body() -> None:
    with ServerThread(create_app()) as server:
        SandboxControl(server.url).fault("truncate", count=1)
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{server.url}{API}/workorders", params={"limit": 200}, headers=BEARER)
        ok = httpx.get(f"{server.url}{API}/workorders", params={"limit": 200}, headers=BEARER)
        assert len(ok.json()["workOrders"]) == 200


def test_deleted_records_leave_lists_and_answer_404() -> None:
    with ServerThread(create_app()) as server, httpx.Client(base_url=server.url, headers=BEARER) as http:
        ids = [a["id"] for a in http.get(f"{API}/assets", params={"limit": 3}).json()["assets"]]
        gone = http.post("/__sandbox/delete", json={"resource": "assets", "ids": ids[:2]}).json()["assets"]
        assert [a["id"] for a in gone] == ids[:2]
        assert http.get(f"{API}/assets", params={"limit": 1}).json()["assets"][0]["id"] == ids[2]
        assert len(walk(http, "assets", 200)) == COUNTS["assets"] - 2
        error_message(http.get(f"{API}/assets/{ids[0]}"), 404)
        again = http.post("/__sandbox/delete", json={"resource": "assets", "ids": [ids[0]]})
        error_message(again, 404)
        error_message(http.post("/__sandbox/delete", json={"resource": "gizmos", "ids": [1]}), 400)
