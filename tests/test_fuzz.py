"""Fuzzing the GraphQL API of a running gateway: generated documents, bodies and headers.

Schema-driven cases come from schemathesis (GraphQL introspection of the
caller's own schema: admin, and a connection's data schema); raw HTTP cases and
graphql-transport-ws sessions from hypothesis (inputs in fuzz_inputs.py). Every
answer must be below 500, free of stack traces and INTERNAL codes, and free of
the other organization's ids, names and secrets. Example counts keep the whole
module to about two minutes (PLANTGATE_FUZZ_EXAMPLES scales them); the long run
against a `plantgate serve` process is bench/fuzz.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode

from gateway.ids import parse_global_id
from sandboxes.kit import ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from schema.errors import BadUserInput
from tests.conftest import Gateway, _start_gateway
from tests.fuzz_inputs import (
    GRAPHQL_RESPONSE,
    accepts,
    bodies,
    content_types,
    failure,
    get_parameters,
    graphql_api,
    register_json_scalar,
    run_ws_session,
    strings,
    ws_sessions,
)
from tests.helpers import data

pytestmark = pytest.mark.slow  # generated inputs by the hundred

SCALE = float(os.environ.get("PLANTGATE_FUZZ_EXAMPLES", "1"))
FUZZ = settings(
    print_blob=True,
    deadline=None,
    derandomize=True,  # the same cases on every run: a CI failure reproduces locally
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    database=None,
)
register_json_scalar()


@dataclass
class Tenant:
    admin_key: str
    token: str
    connection_id: str
    markers: list[str]  # strings that must never reach another organization


@pytest.fixture(scope="module")
def fuzz_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway of its own (generated mutations change its state), rate limits off (thousands of requests)."""
    tmp = tmp_path_factory.mktemp("gw-fuzz")
    yield from _start_gateway(
        tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", rate_limit_per_token=0, rate_limit_per_org=0
    )


@pytest.fixture(scope="module")
def tenants(fuzz_gateway: Gateway) -> Iterator[tuple[Tenant, Tenant]]:
    """Two organizations, each with an UpKeep connection to its own sandbox."""
    with ServerThread(create_upkeep_sandbox()) as sandbox_a, ServerThread(create_upkeep_sandbox()) as sandbox_b:
        yield _tenant(fuzz_gateway, sandbox_a), _tenant(fuzz_gateway, sandbox_b)


def _tenant(gateway: Gateway, sandbox: ServerThread) -> Tenant:
    suffix = uuid.uuid4().hex[:10]
    org_name = f"org-{suffix}"
    admin = gateway.new_org(name=org_name)
    created = data(gateway.connect(admin, sandbox.url, name=f"Plant {suffix}"))["createConnection"]
    connection_id, token = created["connection"]["id"], created["token"]
    nodes = data(gateway.gql(token, "{ workOrders(first: 3) { nodes { id } } }"))["workOrders"]["nodes"]
    markers = [admin, token, connection_id, org_name, f"Plant {suffix}", *(n["id"] for n in nodes)]
    return Tenant(admin, token, connection_id, markers)


def assert_safe(status: int, text: str, other: Tenant, own_connections: set[str] | None) -> None:
    """No 5xx, no stack trace or INTERNAL code, nothing of the other tenant, only own connections' global ids."""
    assert failure(status, text) is None, text[:2000]
    for marker in other.markers:
        assert marker not in text, f"another organization's {marker!r} leaked: {text[:2000]}"
    if own_connections is not None:
        for value in strings(json.loads(text)):
            try:
                connection_id, _, _ = parse_global_id(value)
            except BadUserInput:
                continue
            assert connection_id in own_connections, f"foreign global id {value}"


def fuzz(examples: int) -> settings:
    return settings(FUZZ, max_examples=max(1, int(examples * SCALE)))


# -- schema-driven: schemathesis over each caller's own schema ------------------------


@pytest.mark.parametrize("caller", ["admin", "connection"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schema_driven_requests_are_safe(fuzz_gateway, tenants, caller, mode):
    a, b = tenants
    token = a.admin_key if caller == "admin" else a.token
    headers = {"Authorization": f"Bearer {token}"}
    api = graphql_api(fuzz_gateway.url, headers)
    own = {a.connection_id} if caller == "connection" else None

    @fuzz(150)
    @given(case=api.as_strategy(generation_mode=mode), accept=st.sampled_from([GRAPHQL_RESPONSE, "application/json"]))
    def run(case: Any, accept: str) -> None:
        response = case.call(headers={**headers, "Accept": accept}, timeout=30)
        assert_safe(response.status_code, response.text, b, own)
        executed = "data" in response.json()
        # GraphQL over HTTP: a request error is a 400 under graphql-response+json, a 200 under legacy JSON.
        assert response.status_code == (200 if executed or accept != GRAPHQL_RESPONSE else 400), response.text

    run()


# -- raw HTTP: whatever a client may send ------------------------------------------------


@pytest.mark.parametrize("caller", ["admin", "connection"])
def test_arbitrary_http_bodies_are_safe(fuzz_gateway, tenants, caller):
    a, b = tenants
    token = a.admin_key if caller == "admin" else a.token

    @fuzz(150)
    @given(body=bodies, content_type=content_types, accept=accepts)
    def run(body: bytes, content_type: str, accept: str) -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type, "Accept": accept}
        response = httpx.post(f"{fuzz_gateway.url}/graphql", content=body, headers=headers, timeout=30)
        assert_safe(response.status_code, response.text, b, None)
        assert response.headers["content-type"].split(";")[0] in ("application/json", GRAPHQL_RESPONSE)
        assert response.json().get("errors") or "data" in response.json()

    run()


@given(params=get_parameters)
@fuzz(100)
def test_arbitrary_get_parameters_are_safe(fuzz_gateway, tenants, params):
    a, b = tenants
    headers = {"Authorization": f"Bearer {a.token}", "Accept": "application/json"}
    response = httpx.get(f"{fuzz_gateway.url}/graphql", params=params, headers=headers, timeout=30)
    assert_safe(response.status_code, response.text, b, {a.connection_id})


@given(
    authorization=st.text(max_size=60), query=st.sampled_from(["{ credits { total } }", "{ connection { id name } }"])
)
@fuzz(60)
def test_arbitrary_credentials_are_401_or_own_data(fuzz_gateway, tenants, authorization, query):
    a, b = tenants
    try:
        response = httpx.post(
            f"{fuzz_gateway.url}/graphql", json={"query": query}, headers={"Authorization": authorization}, timeout=30
        )
    except (httpx.LocalProtocolError, UnicodeEncodeError):
        return  # not a header a client could send
    assert_safe(response.status_code, response.text, b, None)
    assert response.status_code in (400, 401)


@given(drawn=st.data())
@fuzz(40)
def test_arbitrary_websocket_sessions_are_safe(fuzz_gateway, tenants, drawn):
    """graphql-transport-ws: any frames after the handshake end in a protocol close code or answers, never a crash."""
    a, b = tenants
    frames = drawn.draw(ws_sessions(a.token), label="frames")
    outcome = asyncio.run(run_ws_session(fuzz_gateway.url.replace("http", "ws") + "/graphql", frames))
    assert outcome.failure is None, outcome
    text = json.dumps(outcome.received)
    assert not [m for m in b.markers if m in text], text[:2000]
