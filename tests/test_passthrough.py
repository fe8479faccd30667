"""Passthrough: raw requests to every system with the connection's login, under the organization's setting.

Every sandbox and the real Tryton take a read and a write through `passthrough(input:)`; SAP's write
fetches its CSRF token first; writes are sent once while reads are retried; the organization setting
(OFF, READ_ONLY by default, FULL) refuses before any call; bad paths and headers are refused before
any call; an instance whose name now resolves to an internal address is not dialled; a vendor echoing
what it was sent never gets a secret back to the caller; `POST /passthrough` answers the same.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from gateway.netguard import system_resolver
from gateway.ratelimit import RateLimiter
from sandboxes.business_central.app import COMPANY_ID as BC_COMPANY_ID
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.limble.app import SANDBOX as LIMBLE
from sandboxes.oracle_fusion.app import PREFIX as FUSION
from sandboxes.sap.app import LOGIN as SAP_LOGIN
from sandboxes.sap.app import create_app as create_sap_sandbox
from sandboxes.upkeep.app import SANDBOX as UPKEEP
from tests.conformance.case import Running, SystemCase
from tests.conformance.cases import all_cases, case_params
from tests.conftest import Gateway, _start_gateway
from tests.helpers import data, error_code

PASSTHROUGH = """
mutation($input: PassthroughInput!) {
  passthrough(input: $input) { status headers { name value } body bodyBase64 }
}
"""
SET_MODE = "mutation($m: PassthroughMode!) { updateOrganizationSettings(input: {passthrough: $m}) { passthrough } }"
JSON_ACCEPT = [{"name": "accept", "value": "application/json"}]


class Dns:
    """Answers `plant.example` with whatever address a test sets, like a DNS record an attacker re-points."""

    def __init__(self) -> None:
        self.answer = "127.0.0.1"

    async def __call__(self, host: str, port: int) -> list[str]:
        return [self.answer] if host == "plant.example" else await system_resolver(host, port)


@pytest.fixture(scope="module")
def dns() -> Dns:
    return Dns()


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory, dns: Dns) -> Iterator[Gateway]:
    """A gateway of this module's own, resolving through `dns`."""
    tmp = tmp_path_factory.mktemp("gw-passthrough")
    for gateway in _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite"):
        gateway.services.guard.resolver = dns
        yield gateway


def connect(gw: Gateway, admin: str, system: str, hosting: str, url: str, credentials: dict[str, str]) -> str:
    answer = gw.connect(admin, url, system=system, hosting=hosting, credentials=credentials)
    return data(answer)["createConnection"]["token"]


def send(gw: Gateway, token: str, **request: Any) -> dict[str, Any]:
    return gw.gql(token, PASSTHROUGH, {"input": request})


def answered(result: dict[str, Any]) -> dict[str, Any]:
    return data(result)["passthrough"]


def set_mode(gw: Gateway, admin: str, mode: str) -> None:
    assert data(gw.gql(admin, SET_MODE, {"m": mode}))["updateOrganizationSettings"]["passthrough"] == mode


# -- every system -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One raw request and what its answer must hold."""

    method: str
    path: str
    body: Any = None
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = (("accept", "application/json"),)
    status: int = 200
    holds: str = ""  # text the answer's body holds

    def input(self) -> dict[str, Any]:
        given: dict[str, Any] = {
            "method": self.method,
            "path": self.path,
            "query": [{"name": n, "value": v} for n, v in self.query],
            "headers": [{"name": n, "value": v} for n, v in self.headers],
        }
        if self.body is not None:
            given["body"] = json.dumps(self.body)
        return given


SAP_ORDER = "/sap/opu/odata/sap/API_MAINTENANCEORDER/MaintenanceOrder"
SAP_CALLS = (
    Call("GET", SAP_ORDER, query=(("$top", "2"), ("$format", "json")), holds='"MaintenanceOrder":"4000000"'),
    Call(
        "MERGE",
        f"{SAP_ORDER}('4000000')",
        {"MaintenanceOrderDesc": "Passthrough title"},
        headers=(("if-match", "*"), ("content-type", "application/json")),
        status=204,
    ),
)


def tryton_calls(running: Running) -> tuple[Call, Call]:
    path = f"/{running.credentials['database']}/rpc/"  # trytond's JSON-RPC endpoint
    read = {"id": 1, "method": "model.party.party.search_read", "params": [[], 0, 2, None, ["name"], {}]}
    write = {"id": 2, "method": "model.party.party.create", "params": [[{"name": "Passthrough Supply"}], {}]}
    return Call("POST", path, read, holds='"name"'), Call("POST", path, write, holds='"result"')


def odoo_call(model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """`object.execute_kw` without the login, which the connector puts in front of `args`."""
    params = {"service": "object", "method": "execute_kw", "args": [model, method, args, kwargs]}
    return {"jsonrpc": "2.0", "method": "call", "params": params, "id": 1}


BC_COMPANY = f"/api/v2.0/companies({BC_COMPANY_ID})"

# A read and a write per system, each in the vendor's own wire format (docs/vendors/<system>.md).
CALLS: dict[str, Callable[[Running], tuple[Call, Call]]] = {
    "upkeep": lambda r: (
        Call("GET", "/api/v2/work-orders", query=(("limit", "2"),), holds='"workOrderNo"'),
        Call("PATCH", "/api/v2/work-orders/pwDMhYtpZ", {"title": "Passthrough title"}, holds="Passthrough title"),
    ),
    "maintainx": lambda r: (
        Call("GET", "/v1/workorders", query=(("limit", "2"),), holds='"workOrders"'),
        Call("PATCH", "/v1/workorders/617556", {"title": "Passthrough title"}, holds="Passthrough title"),
    ),
    "limble": lambda r: (
        Call("GET", "/v2/tasks", query=(("limit", "2"),), holds='"taskID"'),
        Call("PATCH", "/v2/tasks/610001", {"name": "Passthrough title"}, holds="Passthrough title"),
    ),
    "maximo": lambda r: (
        Call("GET", "/maximo/api/os/mxapiasset", query=(("oslc.pageSize", "2"), ("lean", "1")), holds='"member"'),
        Call(
            "POST",
            "/maximo/api/os/mxapiwodetail",
            {"description": "Passthrough title", "siteid": "BEDFORD"},
            query=(("lean", "1"),),
            headers=(("properties", "wonum,description"),),
            status=201,
            holds="Passthrough title",
        ),
    ),
    "sap_s4hana": lambda r: SAP_CALLS,
    "sap_ecc": lambda r: SAP_CALLS,
    "fiix": lambda r: (
        Call("POST", "/api/", {"_maCn": "FindRequest", "className": "WorkOrder", "fields": "id", "maxObjects": 2}),
        Call(
            "POST",
            "/api/",
            {
                "_maCn": "ChangeRequest",
                "className": "WorkOrder",
                "changeFields": "strDescription",
                "fields": "id, strDescription",
                "object": {"id": 20001, "strDescription": "Passthrough title"},
            },
            holds="Passthrough title",
        ),
    ),
    "tryton": tryton_calls,
    "odoo": lambda r: (
        Call(
            "POST",
            "/jsonrpc",
            odoo_call("res.partner", "search_read", [[]], {"fields": ["name"], "limit": 2}),
            holds='"name"',
        ),
        Call(
            "POST",
            "/jsonrpc",
            odoo_call("maintenance.request", "write", [[1], {"name": "Passthrough title"}], {}),
            holds='"result":true',
        ),
    ),
    "business_central": lambda r: (
        Call("GET", f"{BC_COMPANY}/vendors", query=(("$top", "2"),), holds='"displayName"'),
        Call("POST", f"{BC_COMPANY}/vendors", {"displayName": "Passthrough Supply"}, status=201, holds="Passthrough"),
    ),
    "d365_scm": lambda r: (
        Call("GET", "/data/VendorsV2", query=(("$top", "2"),), holds='"VendorOrganizationName"'),
        Call(
            "POST",
            "/data/VendorsV2",
            {"VendorOrganizationName": "Passthrough Supply", "dataAreaId": "usmf"},
            status=201,
            holds="Passthrough",
        ),
    ),
    "oracle_fusion": lambda r: (
        Call("GET", f"{FUSION}/suppliers", query=(("limit", "2"), ("onlyData", "true")), holds='"Supplier"'),
        Call(
            "PATCH",
            f"{FUSION}/maintenanceWorkOrders/300200001",
            {"WorkOrderDescription": "Passthrough title"},
            holds="Passthrough title",
        ),
    ),
}
CALLS["limble_manifest"] = CALLS["limble"]  # Limble declared as a manifest: the same wire, the same login


@pytest.fixture(scope="module", params=case_params(all_cases()))
def system(request: pytest.FixtureRequest) -> Iterator[tuple[SystemCase, Running]]:
    case: SystemCase = request.param
    with case.start() as running:
        yield case, running


def test_every_system_takes_a_read_and_a_write_with_its_login(gw, system):
    case, running = system
    admin = gw.new_org()
    token = connect(gw, admin, case.system, case.hosting, running.instance_url, running.credentials)
    read, write = CALLS[case.system](running)
    if read.method == "POST":  # an RPC system: every call is a POST, which READ_ONLY (the default) refuses
        assert error_code(send(gw, token, **read.input())) == "FORBIDDEN"
        set_mode(gw, admin, "FULL")
    got = answered(send(gw, token, **read.input()))
    assert got["status"] == read.status and read.holds in got["body"], got
    running.control.clear_requests()
    assert answered(send(gw, token, **read.input()))["status"] == read.status
    assert len(running.control.requests()) == 1  # logged in once: the session is kept

    set_mode(gw, admin, "FULL")
    running.control.clear_requests()
    got = answered(send(gw, token, **write.input()))
    assert got["status"] == write.status and write.holds in (got["body"] or ""), got
    assert sum(r["method"] == write.method for r in running.control.requests()) == 1
    if case.system.startswith("sap"):
        # A write carries the CSRF token, fetched once from the service the path names.
        assert [(r["method"], r["path"]) for r in running.control.requests()] == [
            ("GET", "/sap/opu/odata/sap/API_MAINTENANCEORDER/"),
            ("MERGE", f"{SAP_ORDER}('4000000')"),
        ]
        order = Call("GET", f"{SAP_ORDER}('4000000')", query=(("$format", "json"),), holds="Passthrough title")
        assert order.holds in answered(send(gw, token, **order.input()))["body"]  # SAP answers 204: read it back


def test_sap_refetches_a_stale_csrf_token_once(gw):
    with ServerThread(create_sap_sandbox()) as sap:
        admin = gw.new_org()
        token = connect(gw, admin, "sap_s4hana", "CLOUD", sap.url, SAP_LOGIN)
        set_mode(gw, admin, "FULL")
        write = SAP_CALLS[1]
        assert answered(send(gw, token, **write.input()))["status"] == 204
        sap.app.state.sessions.expire()  # the server forgot the session: the kept token is stale
        control = SandboxControl(sap.url)
        control.clear_requests()
        assert answered(send(gw, token, **write.input()))["status"] == 204
        assert [r["method"] for r in control.requests()] == ["MERGE", "GET", "MERGE"]


# -- one UpKeep sandbox for the rest ----------------------------------------------------------------


@pytest.fixture(scope="module")
def upkeep() -> Iterator[ServerThread]:
    with ServerThread(UPKEEP.create_app()) as server:
        yield server


@pytest.fixture
def control(upkeep: ServerThread) -> Iterator[SandboxControl]:
    control = SandboxControl(upkeep.url)
    control.clear_requests()
    yield control
    control.clear_fault()


@pytest.fixture
def org(gw: Gateway, upkeep: ServerThread) -> tuple[str, str]:
    """A fresh organization's admin key and a token of its UpKeep connection."""
    admin = gw.new_org()
    return admin, connect(gw, admin, "upkeep", "CLOUD", upkeep.url, UPKEEP.credentials)


RENAME = {"method": "PATCH", "path": "/api/v2/work-orders/pwDMhYtpZ", "body": json.dumps({"title": "Renamed"})}
LIST = {"method": "GET", "path": "/api/v2/work-orders", "query": [{"name": "limit", "value": "1"}]}


def test_the_organization_setting_is_read_only_by_default_and_refuses_before_any_call(gw, org, control):
    admin, token = org
    assert data(gw.gql(admin, "{ organizationSettings { passthrough } }"))["organizationSettings"] == {
        "passthrough": "READ_ONLY"
    }
    assert answered(send(gw, token, **LIST))["status"] == 200
    control.clear_requests()
    refused = send(gw, token, **RENAME)
    assert error_code(refused) == "FORBIDDEN"
    assert refused["errors"][0]["extensions"]["reason"] == "PASSTHROUGH_READ_ONLY"

    set_mode(gw, admin, "OFF")
    off = send(gw, token, **LIST)
    assert error_code(off) == "FORBIDDEN" and off["errors"][0]["extensions"]["reason"] == "PASSTHROUGH_DISABLED"
    assert control.requests() == []  # nothing reached the system

    set_mode(gw, admin, "FULL")
    assert answered(send(gw, token, **RENAME))["status"] == 200
    other = gw.new_org()  # another organization keeps its own setting
    assert data(gw.gql(other, "{ organizationSettings { passthrough } }"))["organizationSettings"] == {
        "passthrough": "READ_ONLY"
    }


def test_a_write_is_sent_once_and_a_read_is_retried(gw, org, control):
    admin, token = org
    set_mode(gw, admin, "FULL")
    answered(send(gw, token, **LIST))  # logged in
    control.fault("error", status=503, count=1, match="^PATCH ")
    control.clear_requests()
    got = answered(send(gw, token, **RENAME))
    assert got["status"] == 503  # the system's answer, as it came
    assert [r["method"] for r in control.requests()] == ["PATCH"]  # never sent again

    control.fault("error", status=503, count=1, match="^GET ")
    control.clear_requests()
    assert answered(send(gw, token, **LIST))["status"] == 200
    assert [r["method"] for r in control.requests()] == ["GET", "GET"]  # the client's retry policy

    control.fault("rate_limit", retry_after=7, count=5)
    limited = send(gw, token, **LIST)
    assert error_code(limited) == "RATE_LIMITED" and limited["errors"][0]["extensions"]["retryAfter"] == 7


BAD_INPUTS = [
    ({"path": "http://10.0.0.1/latest"}, "input.path"),
    ({"path": "//169.254.169.254/latest/meta-data/"}, "input.path"),
    ({"path": "api/v2/work-orders"}, "input.path"),
    ({"path": "/api/v2/../../graphql"}, "input.path"),
    ({"path": "/api/v2/%2e%2e/%2E%2E/graphql"}, "input.path"),
    ({"path": "/api/v2/..%2f..%2fgraphql"}, "input.path"),
    ({"path": "/api/v2/work-orders\r\nX-Injected: 1"}, "input.path"),
    ({"path": "/api/v2/work-orders%0d%0aX-Injected: 1"}, "input.path"),
    ({"path": "/api/v2\\..\\graphql"}, "input.path"),
    ({"path": "/api/v2/work-orders?limit=1"}, "input.path"),
    ({"headers": [{"name": "Authorization", "value": "Bearer mine"}]}, "input.headers"),
    ({"headers": [{"name": "Cookie", "value": "a=b"}]}, "input.headers"),
    ({"headers": [{"name": "Session-Token", "value": "stolen"}]}, "input.headers"),
    ({"headers": [{"name": "Host", "value": "10.0.0.1"}]}, "input.headers"),
    ({"headers": [{"name": "accept", "value": "a\r\nX-Injected: 1"}]}, "input.headers"),
    ({"query": [{"name": "limit", "value": "1\r\n"}]}, "input.query"),
    ({"body": "{}"}, "input.body"),  # a GET has no body
    ({"bodyBase64": "not base64!"}, "input.bodyBase64"),
]


@pytest.mark.parametrize("change, field", BAD_INPUTS)
def test_bad_paths_and_headers_are_refused_before_any_call(gw, org, control, change, field):
    admin, token = org
    set_mode(gw, admin, "FULL")
    refused = send(gw, token, **{**LIST, **change})
    assert error_code(refused) == "BAD_USER_INPUT", refused
    assert refused["errors"][0]["extensions"]["field"] == field
    assert control.requests() == []


@pytest.mark.parametrize("address, reason", [("10.20.30.40", "a private address"), ("169.254.169.254", "metadata")])
def test_an_instance_now_resolving_to_an_internal_address_is_not_dialled(gw, dns, upkeep, control, address, reason):
    dns.answer = "127.0.0.1"  # allowed in these tests (PLANTGATE_ALLOWED_HOSTS)
    try:
        token = connect(gw, gw.new_org(), "upkeep", "CLOUD", f"http://plant.example:{upkeep.port}", UPKEEP.credentials)
        control.clear_requests()
        dns.answer = address  # re-pointed after the connection was made
        refused = send(gw, token, **LIST)
    finally:
        dns.answer = "127.0.0.1"
    assert error_code(refused) == "SYSTEM_UNREACHABLE" and reason in refused["errors"][0]["message"], refused
    assert control.requests() == []  # no socket to the sandbox: the guard refused the address it resolved


# -- a careless vendor: echoes what it was sent ---------------------------------------------------


async def _echo(request: Request) -> Response:
    """Repeats the request headers, the Basic password and the body, in the body and in headers."""
    headers = dict(request.headers)
    basic = headers.get("authorization", "").removeprefix("Basic ")
    password = base64.b64decode(basic).decode().partition(":")[2] if basic else ""
    body = {"headers": headers, "message": f"Invalid client secret {password}", "body": (await request.body()).decode()}
    echoed = {"x-echo-auth": headers.get("authorization", ""), "x-echo-session": headers.get("session-token", "")}
    response = JSONResponse(body, headers={k: v for k, v in echoed.items() if v})
    response.set_cookie("vendor-session", "s3cr3t-session-cookie-value")
    return response


async def _bytes(request: Request) -> Response:
    return Response(await request.body(), media_type="application/octet-stream")


def careless(sandbox_app: Any, prefix: str) -> Starlette:
    """A vendor sandbox with echo routes beside its API (no real vendor documents one: a test double)."""
    return Starlette(
        routes=[
            Route(f"{prefix}/echo", _echo, methods=["GET", "POST"]),
            Route(f"{prefix}/bytes", _bytes, methods=["POST"]),
            Mount("/", app=sandbox_app),
        ]
    )


@pytest.mark.parametrize("spec, prefix", [(UPKEEP, "/api/v2"), (LIMBLE, "/v2")], ids=["session", "basic"])
def test_a_secret_is_never_echoed(gw, spec, prefix):
    with ServerThread(careless(spec.create_app(), prefix)) as vendor:
        admin = gw.new_org()
        token = connect(gw, admin, spec.system, "CLOUD", vendor.url, spec.credentials)
        got = answered(send(gw, token, method="GET", path=f"{prefix}/echo", headers=JSON_ACCEPT))
    echoed = json.loads(got["body"])
    secrets = [v for k, v in spec.credentials.items() if k in ("password", "client_secret")]
    pair = ":".join(spec.credentials[k] for k in ("client_id", "client_secret") if k in spec.credentials)
    hidden = [*secrets, *([base64.b64encode(pair.encode()).decode()] if pair else [])]
    assert not [s for s in hidden if s in json.dumps(got)], got
    sent = "session-token" if spec is UPKEEP else "authorization"
    assert "[redacted]" in echoed["headers"][sent]
    if spec is LIMBLE:
        assert echoed["message"] == "Invalid client secret [redacted]"
    names = {h["name"].lower() for h in got["headers"]}
    assert "set-cookie" not in names and "s3cr3t-session-cookie-value" not in json.dumps(got)
    assert all("[redacted]" in h["value"] for h in got["headers"] if h["name"].startswith("x-echo"))


def test_the_session_cookie_is_redacted_and_plain_cookies_are_not(gw):
    with ServerThread(careless(create_sap_sandbox(), "/sap/opu/odata/sap")) as vendor:
        admin = gw.new_org()
        token = connect(gw, admin, "sap_s4hana", "CLOUD", vendor.url, SAP_LOGIN)
        set_mode(gw, admin, "FULL")
        assert answered(send(gw, token, **SAP_CALLS[1].input()))["status"] == 204  # the CSRF fetch set cookies
        got = answered(send(gw, token, method="GET", path="/sap/opu/odata/sap/echo", headers=JSON_ACCEPT))
    echoed = json.loads(got["body"])
    session, _, rest = echoed["headers"]["cookie"].partition(";")
    assert session.startswith("SAP_SESSIONID_") and session.endswith("=[redacted]")
    assert "sap-client=100" in rest  # not a secret: left as it is
    assert echoed["message"] == "Invalid client secret [redacted]" and SAP_LOGIN["password"] not in json.dumps(got)


def test_binary_bodies_travel_as_base64(gw):
    with ServerThread(careless(UPKEEP.create_app(), "/api/v2")) as vendor:
        admin = gw.new_org()
        token = connect(gw, admin, "upkeep", "CLOUD", vendor.url, UPKEEP.credentials)
        set_mode(gw, admin, "FULL")
        raw = bytes(range(256))
        given = {"method": "POST", "path": "/api/v2/bytes", "bodyBase64": base64.b64encode(raw).decode()}
        got = answered(send(gw, token, **given))
    assert got["body"] is None and base64.b64decode(got["bodyBase64"]) == raw


# -- POST /passthrough -------------------------------------------------------------------------


def rest(gw: Gateway, token: str | None, body: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{gw.url}/passthrough", json=body, headers=headers, timeout=30)


def test_the_rest_route_mirrors_graphql(gw, org, control):
    admin, token = org
    answer = rest(gw, token, {**LIST, "headers": JSON_ACCEPT})
    assert answer.status_code == 200
    got = answer.json()
    assert got["status"] == 200 and json.loads(got["body"])["results"][0]["id"] == "pwDMhYtpZ"
    assert {"name": "content-type", "value": "application/json"} in got["headers"] and got["bodyBase64"] is None

    def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
        assert response.status_code == status, response.text
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == code
        return error

    refused(rest(gw, None, LIST), 401, "UNAUTHENTICATED")
    refused(rest(gw, admin, LIST), 403, "FORBIDDEN")  # an admin key has no system to talk to
    bad = refused(rest(gw, token, {**LIST, "path": "/../graphql"}), 400, "BAD_USER_INPUT")
    assert bad["extensions"]["field"] == "path"
    error = refused(rest(gw, token, RENAME), 403, "FORBIDDEN")
    assert error["extensions"]["reason"] == "PASSTHROUGH_READ_ONLY"
    set_mode(gw, admin, "FULL")
    assert rest(gw, token, RENAME).json()["status"] == 200
    refused(rest(gw, token, [LIST]), 400, "BAD_USER_INPUT")
    control.fault("rate_limit", retry_after=3, count=5)
    limited = rest(gw, token, LIST)
    refused(limited, 429, "RATE_LIMITED")
    assert limited.headers["retry-after"] == "3"


def test_the_tokens_rate_limit_counts_passthrough_calls(gw, org):
    admin, token = org
    unlimited = gw.services.limiter
    gw.services.limiter = RateLimiter(replace(gw.services.settings, rate_limit_per_token=2))
    try:
        assert answered(send(gw, token, **LIST))["status"] == 200  # GraphQL and REST count alike
        assert rest(gw, token, LIST).json()["status"] == 200
        limited = rest(gw, token, LIST)
        graphql = send(gw, token, **LIST)
    finally:
        gw.services.limiter = unlimited
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert limited.json()["errors"][0]["extensions"]["scope"] == "token"
    assert error_code(graphql) == "RATE_LIMITED"


def test_the_setting_is_stored_per_organization_on_each_backend(gateway, upkeep_sandbox):
    admin = gateway.new_org()
    token = connect(gateway, admin, "upkeep", "CLOUD", upkeep_sandbox.url, UPKEEP.credentials)
    setting = "{ organizationSettings { passthrough } }"
    assert data(gateway.gql(admin, setting))["organizationSettings"]["passthrough"] == "READ_ONLY"
    set_mode(gateway, admin, "OFF")
    assert error_code(send(gateway, token, **LIST)) == "FORBIDDEN"
    set_mode(gateway, admin, "FULL")
    assert data(gateway.gql(admin, setting))["organizationSettings"]["passthrough"] == "FULL"
    assert answered(send(gateway, token, **LIST))["status"] == 200
    assert data(gateway.gql(gateway.new_org(), setting))["organizationSettings"]["passthrough"] == "READ_ONLY"
