"""Bounded input and clean errors: body size, JSON nesting, unsafe ids, tampered cursors, NUL and lone surrogates.

Every malformed value is refused before any upstream call or database query,
as BAD_USER_INPUT naming the argument; the sandboxes' request logs prove that
nothing reached the system.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.rest import record_path
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.maintainx.app import DEMO_API_KEY
from sandboxes.maintainx.app import create_app as create_maintainx_sandbox
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from schema.errors import BadUserInput
from tests.conftest import Gateway, _start_gateway
from tests.helpers import data
from tests.processes import GatewayProcess, base_env, create_org
from tests.write_helpers import connection_of, module_sandbox

GRAPHQL_RESPONSE = "application/graphql-response+json"
MiB = 1024 * 1024
UNSAFE_IDS = [".", "..", "a/b", "%2e%2e", "%252E%252e", "a\\b", "", " "]

upkeep = module_sandbox(create_upkeep_sandbox)
maintainx = module_sandbox(create_maintainx_sandbox)


def post_raw(
    url: str, token: str | None, body: bytes | str, accept: str = GRAPHQL_RESPONSE, **kw: Any
) -> httpx.Response:
    """A POST of exactly these bytes (json.dumps keeps a lone surrogate as an escape; httpx's `json=` cannot)."""
    headers = {"Content-Type": "application/json", "Accept": accept, **kw.pop("headers", {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(f"{url}/graphql", content=body, headers=headers, timeout=60, **kw)


def ask(url: str, token: str, query: str, variables: dict | None = None) -> dict:
    return post_raw(
        url, token, json.dumps({"query": query, "variables": variables or {}}), accept="application/json"
    ).json()


def refusal(result: dict, field: str | None = None) -> str:
    """The message of a BAD_USER_INPUT (naming `field` when given); fails on any other answer."""
    assert result.get("errors"), result
    error = result["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    if field is not None:
        assert error["extensions"].get("field") == field, error
    return error["message"]


# -- body size ---------------------------------------------------------------------


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def hundred_mib() -> Iterator[bytes]:
    chunk = b'{"query": "' + b" " * (MiB - 11)
    for _ in range(100):
        yield chunk


@pytest.fixture(scope="module")
def gateway_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GatewayProcess, str]]:
    """One `plantgate serve` of its own, so its memory can be read."""
    tmp = tmp_path_factory.mktemp("bounded")
    env = base_env(PLANTGATE_DATA_DIR=str(tmp), PLANTGATE_SCHEDULER="0")
    admin = create_org(env, "bounded", 10)
    process = GatewayProcess("bounded", env, tmp).start().wait_healthy()
    yield process, admin
    process.stop()


@pytest.mark.processes
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_100_mib_body_is_413_and_never_held_in_memory(gateway_process, declared):
    process, admin = gateway_process
    assert data(process.gql(admin, "{ credits { total } }"))
    before = peak_rss_kib(process.pid)
    headers = {"Content-Length": str(100 * MiB)} if declared else {}
    response = post_raw(process.url, admin, hundred_mib(), headers=headers)
    assert response.status_code == 413, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["max"] == MiB
    assert "larger than 1048576 bytes" in error["message"]
    grown_mib = (peak_rss_kib(process.pid) - before) / 1024
    assert grown_mib < 8, f"the gateway's peak memory grew by {grown_mib:.0f} MiB"
    assert data(process.gql(admin, "{ credits { total } }")), "the process still serves"


def test_the_body_bound_holds_on_every_route_before_authentication(sqlite_gateway, admin_key):
    over = b"{" + b" " * MiB + b"}"
    assert post_raw(sqlite_gateway.url, None, over).status_code == 413  # before authentication
    assert httpx.post(f"{sqlite_gateway.url}/healthz", content=over).status_code == 413
    under = json.dumps({"query": "{ credits { total } }", "pad": " " * (MiB // 2)})
    assert post_raw(sqlite_gateway.url, admin_key, under).status_code == 200


@pytest.fixture
def tight_gateway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    """A gateway whose body and nesting bounds come from the environment, as an operator sets them."""
    monkeypatch.setenv("PLANTGATE_MAX_BODY_BYTES", "4096")
    monkeypatch.setenv("PLANTGATE_MAX_JSON_DEPTH", "8")
    yield from _start_gateway(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", "sqlite")


def test_the_body_and_nesting_bounds_follow_their_settings(tight_gateway):
    admin = tight_gateway.new_org()
    padded = json.dumps({"query": "{ credits { total } }", "pad": " " * 4096})
    refused = post_raw(tight_gateway.url, admin, padded)
    assert refused.status_code == 413 and refused.json()["errors"][0]["extensions"]["max"] == 4096
    assert post_raw(tight_gateway.url, admin, padded[:3500] + '"}').status_code == 200

    def nested(depth: int) -> str:
        return '{"query": "{ credits { total } }", "variables": {"v": ' + "[" * depth + "]" * depth + "}}"

    too_deep = post_raw(tight_gateway.url, admin, nested(12))
    assert too_deep.status_code == 400 and "nested more than 8 levels deep" in refusal(too_deep.json())
    assert post_raw(tight_gateway.url, admin, nested(3)).status_code == 200


# -- JSON nesting -----------------------------------------------------------------


@pytest.mark.parametrize("depth", [70, 100_000])
@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, "application/json"])
def test_deeply_nested_variables_are_400_not_500(sqlite_gateway, admin_key, depth, accept):
    body = '{"query": "{ credits { total } }", "variables": {"v": ' + "[" * depth + "]" * depth + "}}"
    response = post_raw(sqlite_gateway.url, admin_key, body, accept=accept)
    assert response.status_code == 400, response.text
    assert "nested more than 64 levels deep" in refusal(response.json())
    short = min(depth, 2000)  # a URL stays short
    get = httpx.get(
        f"{sqlite_gateway.url}/graphql",
        params={"query": "{ credits { total } }", "variables": '{"v": ' + "[" * short + "]" * short + "}"},
        headers={"Authorization": f"Bearer {admin_key}"},
    )
    assert get.status_code == 400 and "nested more than 64" in get.text


def test_a_deeply_nested_json_argument_is_refused_naming_it(sqlite_gateway, admin_key):
    deep = "{a: " * 70 + "1" + "}" * 70
    query = f'mutation {{ createConnection(input: {{system: "upkeep", name: "x", credentials: {{}}, metadata: {deep}}}) {{ token }} }}'
    assert "nested more than 64 levels deep" in refusal(ask(sqlite_gateway.url, admin_key, query), "input")
    fine = "{a: " * 10 + "1" + "}" * 10  # well within the bound: refused for what it is, not for its depth
    query = f'mutation {{ createConnection(input: {{system: "upkeep", name: "x", credentials: {{}}, metadata: {fine}}}) {{ token }} }}'
    assert "string values" in refusal(ask(sqlite_gateway.url, admin_key, query))


# -- unsafe ids ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def upkeep_token(sqlite_gateway, upkeep) -> str:
    made = data(sqlite_gateway.connect(sqlite_gateway.new_org(), upkeep.url))["createConnection"]
    data(sqlite_gateway.gql(made["token"], "{ users(first: 1) { nodes { id } } }"))  # logged in
    return made["token"]


@pytest.fixture(scope="module")
def maintainx_token(sqlite_gateway, maintainx) -> str:
    admin = sqlite_gateway.new_org()
    return connection_of(sqlite_gateway, admin, maintainx.url, "maintainx", "CLOUD", {"apiKey": DEMO_API_KEY})[1]


ID_OPERATIONS = {
    "delete": ("mutation($v: ID!) { deleteWorkOrder(id: $v) { id } }", "id"),
    "update": ('mutation($v: ID!) { updateWorkOrder(id: $v, input: {title: "x"}) { record { id } } }', "id"),
    "by remoteId": ("query($v: String) { workOrder(remoteId: $v) { id } }", "remoteId"),
    "relation": ('mutation($v: ID!) { createWorkOrder(input: {title: "x", asset: $v}) { record { id } } }', "asset"),
}


@pytest.mark.parametrize("system", ["upkeep", "maintainx"])
@pytest.mark.parametrize("operation", list(ID_OPERATIONS))
def test_unsafe_ids_never_reach_the_system(request, sqlite_gateway, system, operation):
    server: ServerThread = request.getfixturevalue(system)
    token = request.getfixturevalue(f"{system}_token")
    control = SandboxControl(server.url)
    control.clear_requests()
    query, field = ID_OPERATIONS[operation]
    for value in UNSAFE_IDS:
        refusal(ask(sqlite_gateway.url, token, query, {"v": value}), field)
    assert control.requests() == []


def test_a_global_id_carrying_a_dot_segment_is_refused(sqlite_gateway, upkeep, upkeep_token):
    node = data(sqlite_gateway.gql(upkeep_token, "{ workOrders(first: 1) { nodes { id } } }"))["workOrders"]["nodes"][0]
    connection_id = json.loads(base64.urlsafe_b64decode(node["id"] + "=" * (-len(node["id"]) % 4)))[0]
    forged = base64.urlsafe_b64encode(json.dumps([connection_id, "WorkOrder", ".."]).encode()).decode()
    control = SandboxControl(upkeep.url)
    control.clear_requests()
    refusal(
        ask(sqlite_gateway.url, upkeep_token, "mutation($v: ID!) { deleteWorkOrder(id: $v) { id } }", {"v": forged}),
        "id",
    )
    refusal(ask(sqlite_gateway.url, upkeep_token, "query($v: ID!) { node(id: $v) { id } }", {"v": forged}), "id")
    assert control.requests() == []


def test_maintainx_ids_are_integers(sqlite_gateway, maintainx, maintainx_token):
    control = SandboxControl(maintainx.url)
    control.clear_requests()
    message = refusal(
        ask(sqlite_gateway.url, maintainx_token, 'query { workOrder(remoteId: "abc") { id } }'), "remoteId"
    )
    assert "not an id of MaintainX" in message and control.requests() == []


@pytest.mark.parametrize("value", [".", "..", "a/b", "%2e%2e", "%2F", ""])
def test_record_path_refuses_what_would_leave_its_collection(value):
    with pytest.raises(BadUserInput):
        record_path("/api/v2/work-orders", value)
    assert record_path("/api/v2/work-orders", "wo 1") == "/api/v2/work-orders/wo%201"


# -- cursors, NUL and lone surrogates, on both backends ------------------------------------


@pytest.fixture
def live_token(gateway: Gateway, upkeep_sandbox: ServerThread) -> str:
    return data(gateway.connect(gateway.new_org(), upkeep_sandbox.url))["createConnection"]["token"]


def _cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _decoded(cursor: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


LIST = "query($a: String, $s: Source!) { workOrders(first: 2, after: $a, source: $s) { nodes { id } pageInfo { endCursor } } }"


@pytest.mark.parametrize("source", ["LIVE", "REPLICA"])
def test_tampered_and_foreign_cursors_are_bad_user_input(gateway, live_token, upkeep_sandbox, source):
    page = data(gateway.gql(live_token, LIST, {"s": "LIVE", "a": None}))["workOrders"]["pageInfo"]["endCursor"]
    real = _decoded(page)
    key = real["k"].replace("LIVE:", f"{source}:")
    tampered = [
        {"k": key, "c": "wo\x00", "s": 0},  # PostgreSQL refuses NUL in text
        {"k": key, "c": "id>\u00b2", "s": 0},  # a digit int() cannot read
        {"k": key, "c": "\ud800", "s": 0},
        {"k": key, "c": None, "s": True},
        {"k": key, "c": None, "s": 10**20},
    ]
    for payload in tampered:
        refusal(ask(gateway.url, live_token, LIST, {"s": source, "a": _cursor(payload)}), "after")
    nested = base64.urlsafe_b64encode(b"[" * 100_000 + b"]" * 100_000).decode()
    refusal(ask(gateway.url, live_token, LIST, {"s": source, "a": nested}), "after")
    other = data(gateway.connect(gateway.new_org(), upkeep_sandbox.url))["createConnection"]["token"]
    foreign = {**real, "k": key}  # a real cursor of the same list, from another connection
    refusal(ask(gateway.url, other, LIST, {"s": source, "a": _cursor(foreign)}), "after")


def test_a_live_cursor_without_an_offset_the_system_can_read_never_reaches_it(sqlite_gateway, upkeep, upkeep_token):
    """UpKeep pages by offset: a cursor whose offset is not a whole number, or is past any list's length, is
    refused as BAD_USER_INPUT rather than sent (the sandbox, like a real system, cannot read 10**23)."""
    page = data(sqlite_gateway.gql(upkeep_token, LIST, {"s": "LIVE", "a": None}))["workOrders"]["pageInfo"]
    real = _decoded(page["endCursor"])
    control = SandboxControl(upkeep.url)
    control.clear_requests()
    for offset in ["abc", "1.5", "-1", "2147483648", "9" * 23, f"{'9' * 23}:{real['r']}"]:
        refusal(
            ask(sqlite_gateway.url, upkeep_token, LIST, {"s": "LIVE", "a": _cursor({**real, "c": offset})}), "after"
        )
    assert control.requests() == []


BAD_TEXT = {"NUL": "wo\x00", "lone surrogate": "\ud800"}


@pytest.mark.parametrize("kind", list(BAD_TEXT))
def test_nul_and_lone_surrogates_are_refused_naming_the_argument(gateway, live_token, upkeep_sandbox, kind):
    bad = BAD_TEXT[kind]
    by_id = "query($v: String) { workOrder(remoteId: $v) { id } }"
    refusal(ask(gateway.url, live_token, by_id, {"v": bad}), "remoteId")
    refusal(ask(gateway.url, live_token, LIST, {"s": "REPLICA", "a": bad}), "after")
    admin = gateway.new_org()
    create = "mutation($i: CreateConnectionInput!) { createConnection(input: $i) { token } }"
    base = {
        "system": "upkeep",
        "name": "Plant",
        "instanceUrl": upkeep_sandbox.url,
        "credentials": {"email": "demo@upkeep.example", "password": "upkeep-demo"},
    }
    for path, value in [
        ("input.name", {**base, "name": f"Plant {bad}"}),
        ("input.metadata.site", {**base, "metadata": {"site": bad}}),
        ("input.credentials.password", {**base, "credentials": {**base["credentials"], "password": bad}}),
    ]:
        refusal(ask(gateway.url, admin, create, {"i": value}), path)
    listed = data(gateway.gql(admin, "{ connections { totalCount } }"))["connections"]
    assert listed["totalCount"] == 0, "nothing was stored"
    literal = 'mutation { createConnection(input: {system: "upkeep", name: "a\\u0000b", credentials: {}}) { token } }'
    refusal(ask(gateway.url, admin, literal), "input.name")
    filtered = "query($m: JSON) { connections(metadata: $m) { totalCount } }"
    refusal(ask(gateway.url, admin, filtered, {"m": {"site": bad}}), "metadata.site")


def test_a_lone_surrogate_in_the_query_text_is_400(sqlite_gateway, admin_key):
    body = json.dumps({"query": "{ credits { total } }", "operationName": "\ud800"})
    response = post_raw(sqlite_gateway.url, admin_key, body)
    assert response.status_code == 400 and "lone surrogate" in refusal(response.json())


def test_ordinary_text_and_ids_stay_accepted(sqlite_gateway, admin_key, upkeep_sandbox):
    """The checks refuse bad text only: ordinary Unicode, dots inside ids and percent signs pass."""
    name = f"Usine Zürich ✓ {uuid.uuid4().hex[:6]}"
    made = data(sqlite_gateway.connect(admin_key, upkeep_sandbox.url, name=name))["createConnection"]
    assert made["connection"]["name"] == name
    for value in ["wo.1", "50%off", "..a", "a..b"]:
        assert data(
            sqlite_gateway.gql(made["token"], "query($v: String) { workOrder(remoteId: $v) { id } }", {"v": value})
        ) == {"workOrder": None}
