"""The UpKeep sandbox over real HTTP: auth, paging, filters, faults, request log."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest

from sandboxes.kit import Fault, SandboxControl, SandboxState, ServerThread
from sandboxes.upkeep.app import create_app
from sandboxes.upkeep.seed import COUNTS, DEMO_EMAIL, RESOURCES, WINDOW_END, WINDOW_START, parse_ms

API = "/api/v2"
GOOD_LOGIN = {"email": DEMO_EMAIL, "password": "upkeep-demo"}


@pytest.fixture(scope="module")
def app():
    return create_app()


@pytest.fixture(scope="module")
def server(app) -> Iterator[ServerThread]:
    with ServerThread(app) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5) as http:
        yield http


@pytest.fixture(scope="module")
def token(client: httpx.Client) -> str:
    return client.post(f"{API}/auth", json=GOOD_LOGIN).json()["result"]["sessionToken"]


@pytest.fixture(scope="module")
def authed(server: ServerThread, token: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5, headers={"Session-Token": token}) as http:
        yield http


@pytest.fixture(scope="module")
def control(server: ServerThread) -> SandboxControl:
    return SandboxControl(server.url)


@pytest.fixture(autouse=True)
def no_fault(app) -> Iterator[None]:
    yield
    app.state.sandbox.clear_fault()


def error_shape(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status
    body = response.json()
    assert body["success"] is False and body["statusCode"] == status and isinstance(body["message"], str)
    return body


# --- auth -------------------------------------------------------------------


def test_login_returns_token_and_demo_user(client: httpx.Client, app) -> None:
    response = client.post(f"{API}/auth", json=GOOD_LOGIN)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["result"]["sessionToken"]
    assert body["result"]["userId"] == app.state.data.records("users")[0]["id"]


def test_login_rejects_bad_password_and_missing_fields(client: httpx.Client) -> None:
    bad = client.post(f"{API}/auth", json={"email": DEMO_EMAIL, "password": "nope"})
    assert error_shape(bad, 400)["message"] == "Invalid email or password"
    missing = client.post(f"{API}/auth", json={"email": DEMO_EMAIL})
    assert error_shape(missing, 400)["message"] == "email and password are required"


def test_missing_or_unknown_token_is_401(client: httpx.Client) -> None:
    assert error_shape(client.get(f"{API}/assets"), 401)["message"] == "Invalid session token"
    error_shape(client.get(f"{API}/assets", headers={"Session-Token": "forged"}), 401)


def test_logout_invalidates_the_token(client: httpx.Client) -> None:
    token = client.post(f"{API}/auth", json=GOOD_LOGIN).json()["result"]["sessionToken"]
    headers = {"Session-Token": token}
    assert client.get(f"{API}/users", headers=headers).status_code == 200
    response = client.delete(f"{API}/auth", headers=headers)
    assert response.status_code == 200 and response.json() == {"success": True}
    error_shape(client.get(f"{API}/users", headers=headers), 401)


# --- reads ------------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
def test_paging_reaches_every_record_once(authed: httpx.Client, resource: str) -> None:
    seen: list[str] = []
    offset = 0
    while True:
        response = authed.get(f"{API}/{resource}", params={"offset": offset, "limit": 200})
        assert response.status_code == 200
        page = response.json()["results"]
        seen += [r["id"] for r in page]
        if len(page) < 200:
            break
        offset += 200
    assert len(seen) == len(set(seen)) == COUNTS[resource]


def test_default_limit_and_stable_order(authed: httpx.Client) -> None:
    page = authed.get(f"{API}/work-orders").json()["results"]
    assert len(page) == 100
    keys = [(r["createdAt"], r["id"]) for r in page]
    assert keys == sorted(keys)
    assert page[0]["workOrderNo"] == "WO-00001"


def test_bad_paging_parameters_are_400(authed: httpx.Client) -> None:
    error_shape(authed.get(f"{API}/assets", params={"limit": 201}), 400)
    error_shape(authed.get(f"{API}/assets", params={"offset": "ten"}), 400)
    error_shape(authed.get(f"{API}/assets", params={"updatedAtGreaterThan": "yesterday"}), 400)


def test_get_one_and_404(authed: httpx.Client, app) -> None:
    asset = app.state.data.records("assets")[5]
    response = authed.get(f"{API}/assets/{asset['id']}")
    assert response.json() == {"success": True, "result": asset}
    missing = authed.get(f"{API}/assets/zzzzzzzzz")
    assert missing.json() == {"success": False, "statusCode": 404, "message": "Not found"}
    error_shape(authed.get(f"{API}/gizmos"), 404)


def test_updated_filter_returns_exactly_the_touched_records(client, authed, app) -> None:
    records = app.state.data.records("work-orders")
    since = max(parse_ms(r["updatedAt"]) for r in records)
    assert authed.get(f"{API}/work-orders", params={"updatedAtGreaterThan": since}).json()["results"] == []
    ids = [records[3]["id"], records[400]["id"]]
    touched = client.post("/__sandbox/touch", json={"resource": "work-orders", "ids": ids}).json()["results"]
    assert [r["id"] for r in touched] == ids
    page = authed.get(f"{API}/work-orders", params={"updatedAtGreaterThan": since}).json()["results"]
    assert sorted(r["id"] for r in page) == sorted(ids)
    assert all(parse_ms(r["updatedAt"]) > since for r in page)


def test_created_filter_is_strict(authed: httpx.Client, app) -> None:
    records = app.state.data.records("requests")
    pivot = parse_ms(records[59]["createdAt"])
    params = {"createdAtGreaterThan": pivot, "limit": 200}
    page = authed.get(f"{API}/requests", params=params).json()["results"]
    assert [r["id"] for r in page] == [r["id"] for r in records if parse_ms(r["createdAt"]) > pivot]
    assert records[59]["id"] not in {r["id"] for r in page}


def test_status_filter(authed: httpx.Client, app) -> None:
    page = authed.get(f"{API}/work-orders", params={"status": "open,onHold", "limit": 200}).json()["results"]
    expected = [r["id"] for r in app.state.data.records("work-orders") if r["status"] in ("open", "onHold")]
    assert page and [r["id"] for r in page] == expected[:200]


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
        for record in data.records(name):
            assert re.fullmatch(r"[0-9A-Za-z]{9}", record["id"])
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["createdAt"])
            assert WINDOW_START <= parse_ms(record["createdAt"]) <= WINDOW_END
            assert record["updatedAt"] >= record["createdAt"]
    assets = {a["id"]: a for a in data.records("assets")}
    for wo in data.records("work-orders"):
        assert wo["asset"] is None or wo["location"] == assets[wo["asset"]]["location"]
        assert (wo["dateCompleted"] is not None) == (wo["status"] == "complete")
    for asset in assets.values():
        assert asset["location"] in ids["locations"]
        assert asset["parentAsset"] is None or asset["parentAsset"] in assets
    for po in data.records("purchase-orders"):
        assert po["vendor"] in ids["vendors"] and 1 <= len(po["partsOrdered"]) <= 5
        assert all(line["part"] in ids["parts"] for line in po["partsOrdered"])
    for request in data.records("requests"):
        assert (request["workOrder"] is not None) == (request["status"] == "approved")
        assert request["workOrder"] is None or request["workOrder"] in ids["work-orders"]


# --- faults -----------------------------------------------------------------


def test_fault_down_is_a_transport_error(authed: httpx.Client, control: SandboxControl) -> None:
    control.fault("down")
    with pytest.raises(httpx.TransportError):
        authed.get(f"{API}/assets")


def test_fault_slow_times_the_client_out(authed: httpx.Client, control: SandboxControl) -> None:
    control.fault("slow", delay=2)
    with pytest.raises(httpx.ReadTimeout):
        authed.get(f"{API}/assets", timeout=0.2)


def test_fault_slow_still_answers_a_patient_client(authed: httpx.Client, control: SandboxControl) -> None:
    control.fault("slow", delay=0.1, count=1)
    assert authed.get(f"{API}/assets", params={"limit": 1}).status_code == 200


def test_fault_error_uses_vendor_body(authed: httpx.Client, control: SandboxControl) -> None:
    control.fault("error", status=503)
    error_shape(authed.get(f"{API}/assets"), 503)


def test_fault_rate_limit_sends_retry_after(authed: httpx.Client, control: SandboxControl) -> None:
    control.fault("rate_limit", retry_after=7)
    response = authed.get(f"{API}/assets")
    error_shape(response, 429)
    assert response.headers["Retry-After"] == "7"


def test_fault_unauthorized_looks_like_an_expired_session(authed: httpx.Client, control: SandboxControl) -> None:
    control.fault("unauthorized")
    assert error_shape(authed.get(f"{API}/assets"), 401)["message"] == "Invalid session token"


def test_fault_malformed_is_invalid_json(authed: httpx.Client, control: SandboxControl) -> None:
    control.fault("malformed")
    response = authed.get(f"{API}/assets")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_fault_with_count_clears_itself(authed: httpx.Client, control: SandboxControl) -> None:
    control.fault("error", status=500, count=1)
    assert authed.get(f"{API}/assets", params={"limit": 1}).status_code == 500
    assert authed.get(f"{API}/assets", params={"limit": 1}).status_code == 200
    assert authed.get("/__sandbox/fault").json()["mode"] == "none"


def test_faults_spare_control_routes_and_can_be_cleared(authed: httpx.Client, control: SandboxControl) -> None:
    control.fault("down")
    assert authed.get("/__sandbox/requests").status_code == 200
    assert authed.delete("/__sandbox/fault").status_code == 200
    assert authed.get(f"{API}/assets", params={"limit": 1}).status_code == 200


def test_invalid_fault_is_rejected(client: httpx.Client) -> None:
    assert client.put("/__sandbox/fault", json={"mode": "explode"}).status_code == 400
    assert client.put("/__sandbox/fault", json={"mode": "error", "count": 0}).status_code == 400


def test_fault_count_counts_down_in_state() -> None:
    state = SandboxState()
    state.set_fault(Fault("error", status=502, count=2))
    assert state.take_fault() == Fault("error", status=502, count=2)
    assert state.fault.count == 1
    assert state.take_fault() is not None
    assert state.take_fault() is None


# --- request log ------------------------------------------------------------


def test_request_log_records_and_clears(authed: httpx.Client, app) -> None:
    assert authed.delete("/__sandbox/requests").status_code == 200
    authed.get(f"{API}/parts", params={"offset": 200, "limit": 50})
    authed.get(f"{API}/vendors")
    logged = authed.get("/__sandbox/requests").json()
    assert [(r["method"], r["path"], r["query"]) for r in logged] == [
        ("GET", f"{API}/parts", {"offset": "200", "limit": "50"}),
        ("GET", f"{API}/vendors", {}),
    ]
    assert all(isinstance(r["at"], float) for r in logged)
    assert len(app.state.sandbox.requests) == 2
    authed.delete("/__sandbox/requests")
    assert authed.get("/__sandbox/requests").json() == []


def test_truncate_fault_drops_the_connection_mid_body():
    with ServerThread(create_app()) as server:
        token = httpx.post(
            f"{server.url}/api/v2/auth", json={"email": "demo@upkeep.example", "password": "upkeep-demo"}
        ).json()["result"]["sessionToken"]
        SandboxControl(server.url).fault("truncate", count=1)
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{server.url}/api/v2/work-orders", params={"limit": 200}, headers={"Session-Token": token})
        ok = httpx.get(f"{server.url}/api/v2/work-orders", params={"limit": 200}, headers={"Session-Token": token})
        assert len(ok.json()["results"]) == 200
