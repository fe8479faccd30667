"""Open sockets obey revocation and HTTP's limits: a revoked credential closes them (4403) before any further
upstream call, each operation counts against the rate limits, and mutations are refused (they go by POST).

The UpKeep sandbox runs in this process, so its request log shows every upstream call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import select

from gateway.auth import hash_secret
from gateway.events import revocation
from gateway.events.broker import make_broker
from gateway.events.bus import EventBus
from gateway.organizations import issue_admin_key
from gateway.store.tables import AdminKey, ConnectionToken, utcnow
from sandboxes.kit import ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.conftest import (
    CREATE_CONNECTION,
    REDIS_URL,
    UPKEEP_LOGIN,
    Gateway,
    _start_gateway,
)
from tests.helpers import data
from tests.processes import GatewayProcess, base_env, create_org
from tests.test_ws_protocol import close_frame, init, open_socket, receive, send

ROTATE = "mutation($id: ID!) { rotateConnectionToken(id: $id) { token } }"
DISCONNECT = "mutation($id: ID!) { disconnect(id: $id) { status } }"
LIVE = "{ workOrders(first: 2) { nodes { number } } }"
STATUS = "subscription { connectionStatusChanged { connectionId status } }"
CREATE_VENDOR = "mutation($i: VendorCreateInput!) { createVendor(input: $i) { record { name } } }"
RATE = 5  # operations per minute per token on `limited_gateway`


@pytest.fixture
def sandbox() -> Iterator[ServerThread]:
    with ServerThread(create_upkeep_sandbox()) as server:
        yield server


@pytest.fixture(scope="module")
def limited_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gw-ws-limited")
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", rate_limit_per_token=RATE)


@pytest.fixture(scope="module")
def redis_gateway(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gw-ws-redis")
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", redis_url=redis_url)


def upstream_calls(sandbox: ServerThread) -> int:
    return len(sandbox.app.state.sandbox.requests)


async def connected(gateway: Gateway, sandbox: ServerThread) -> tuple[str, str, str]:
    """A fresh organization's admin key, and the token and id of its new UpKeep connection."""
    admin = gateway.new_org()
    created = data(await asyncio.to_thread(gateway.connect, admin, sandbox.url))["createConnection"]
    return admin, created["token"], created["connection"]["id"]


async def socket_of(gateway: Gateway, token: str) -> Any:
    ws = await open_socket(gateway)
    await init(ws, token)
    return ws


async def read_live(ws: Any, id_: str) -> dict[str, Any]:
    await send(ws, {"id": id_, "type": "subscribe", "payload": {"query": LIVE}})
    answer = await receive(ws)
    assert answer["type"] == "next" and answer["id"] == id_, answer
    assert await receive(ws) == {"id": id_, "type": "complete"}
    return data(answer["payload"])


async def still_open(ws: Any) -> bool:
    await send(ws, {"type": "ping"})
    return (await receive(ws))["type"] == "pong"


async def test_rotating_the_token_closes_its_sockets_with_4403_before_another_upstream_call(gateway, sandbox):
    admin, token, connection_id = await connected(gateway, sandbox)
    ws = await socket_of(gateway, token)
    await send(ws, {"id": "status", "type": "subscribe", "payload": {"query": STATUS}})  # a long-lived one too
    assert (await read_live(ws, "before"))["workOrders"]["nodes"]
    admin_ws = await socket_of(gateway, admin)
    before = upstream_calls(sandbox)
    rotated = await asyncio.to_thread(gateway.gql, admin, ROTATE, {"id": connection_id})
    new_token = data(rotated)["rotateConnectionToken"]["token"]
    frame = await close_frame(ws)  # closed by the announcement: nothing was sent on it
    assert frame is not None and frame.code == 4403
    assert upstream_calls(sandbox) == before
    assert await still_open(admin_ws)  # the organization's admin key was not revoked
    assert (await read_live(await socket_of(gateway, new_token), "after"))["workOrders"]["nodes"]


async def test_disconnect_closes_the_socket_with_4403(gateway, sandbox):
    admin, token, connection_id = await connected(gateway, sandbox)
    ws = await socket_of(gateway, token)
    assert (await read_live(ws, "before"))["workOrders"]["nodes"]
    before = upstream_calls(sandbox)
    disconnected = await asyncio.to_thread(gateway.gql, admin, DISCONNECT, {"id": connection_id})
    assert data(disconnected)["disconnect"]["status"] == "DISCONNECTED"
    frame = await close_frame(ws)
    assert frame is not None and frame.code == 4403
    assert upstream_calls(sandbox) == before


async def test_an_operation_with_a_revoked_token_never_reaches_the_system_even_unannounced(gateway, sandbox):
    """Revoked as another process without Redis would: in the database only, no announcement here."""
    _, token, connection_id = await connected(gateway, sandbox)
    ws = await socket_of(gateway, token)
    assert (await read_live(ws, "before"))["workOrders"]["nodes"]
    with gateway.services.store.write() as session:
        for row in session.exec(select(ConnectionToken).where(ConnectionToken.connection_id == connection_id)):
            row.revoked_at = utcnow()
            session.add(row)
    before = upstream_calls(sandbox)
    await send(ws, {"id": "after", "type": "subscribe", "payload": {"query": LIVE}})
    frame = await close_frame(ws)
    assert frame is not None and frame.code == 4403
    assert upstream_calls(sandbox) == before


async def test_retiring_an_admin_key_elsewhere_closes_its_sockets_only(redis_gateway):
    """Retired by another process (here: this test's own bus on the same Redis), announced across processes."""
    admin = redis_gateway.new_org()
    store = redis_gateway.services.store
    with store.read() as session:
        key = session.exec(select(AdminKey).where(AdminKey.key_hash == hash_secret(admin))).one()
    other = issue_admin_key(store, key.organization_id)
    retired_ws, other_ws = await socket_of(redis_gateway, admin), await socket_of(redis_gateway, other)
    bus = EventBus(make_broker(REDIS_URL))
    try:
        assert await revocation.retire_admin_key(store, bus, key.organization_id, key.id)
    finally:
        await bus.broker.aclose()
    frame = await close_frame(retired_ws)
    assert frame is not None and frame.code == 4403
    assert await still_open(other_ws)


async def test_a_token_rate_limit_stops_the_next_subscribe_on_a_socket_before_the_system(limited_gateway, sandbox):
    _, token, _ = await connected(limited_gateway, sandbox)
    ws = await socket_of(limited_gateway, token)  # the handshake itself is not counted
    for n in range(RATE):
        assert (await read_live(ws, f"q{n}"))["workOrders"]["nodes"]
    before = upstream_calls(sandbox)
    await send(ws, {"id": "over", "type": "subscribe", "payload": {"query": LIVE}})
    refused = await receive(ws)
    assert refused["type"] == "error" and refused["id"] == "over"
    extensions = refused["payload"][0]["extensions"]
    assert extensions["code"] == "RATE_LIMITED" and extensions["scope"] == "token" and extensions["retryAfter"] >= 1
    assert upstream_calls(sandbox) == before
    assert await still_open(ws)
    over_http = await asyncio.to_thread(limited_gateway.gql, token, LIVE)  # one counter for both
    assert over_http["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_mutations_are_refused_on_the_socket_before_the_system(sqlite_gateway, sandbox):
    _, token, _ = await connected(sqlite_gateway, sandbox)
    ws = await socket_of(sqlite_gateway, token)
    before = upstream_calls(sandbox)
    variables = {"i": {"name": "Acme Bearings", "email": "sales@acme.example"}}
    await send(ws, {"id": "m", "type": "subscribe", "payload": {"query": CREATE_VENDOR, "variables": variables}})
    refused = await receive(ws)
    assert refused["type"] == "error" and refused["id"] == "m"
    assert refused["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "POST" in refused["payload"][0]["message"]
    assert upstream_calls(sandbox) == before
    assert await still_open(ws)


def connect_on(gateway: GatewayProcess, admin: str, instance_url: str) -> tuple[str, str]:
    created = data(
        gateway.gql(
            admin,
            CREATE_CONNECTION,
            {"input": {"system": "upkeep", "name": "Plant", "instanceUrl": instance_url, "credentials": UPKEEP_LOGIN}},
        )
    )["createConnection"]
    return created["token"], created["connection"]["id"]


@pytest.mark.processes
@pytest.mark.parametrize("with_redis", [True, False], ids=["announced-through-redis", "no-redis"])
async def test_rotation_on_one_process_closes_the_socket_on_another(
    tmp_path, pg_url, redis_url, secret_key, launch, sandbox, with_redis
):
    """With Redis the other process closes the socket at once; without, at its next operation, before the system."""
    env = base_env(
        PLANTGATE_DATABASE_URL=pg_url,
        PLANTGATE_SECRET_KEY=secret_key,
        PLANTGATE_DATA_DIR=str(tmp_path),
        PLANTGATE_SCHEDULER="0",
        **({"PLANTGATE_REDIS_URL": redis_url} if with_redis else {}),
    )
    admin = await asyncio.to_thread(create_org, env, "sockets", 10)
    rotating, serving = launch("rotating", env), launch("serving", env)
    await asyncio.to_thread(rotating.wait_healthy)
    await asyncio.to_thread(serving.wait_healthy)
    token, connection_id = await asyncio.to_thread(connect_on, rotating, admin, sandbox.url)
    ws = await socket_of(serving, token)  # a GatewayProcess has the `url` a Gateway has
    assert (await read_live(ws, "before"))["workOrders"]["nodes"]
    before = upstream_calls(sandbox)
    assert data(await asyncio.to_thread(rotating.gql, admin, ROTATE, {"id": connection_id}))["rotateConnectionToken"]
    if not with_redis:
        await send(ws, {"id": "after", "type": "subscribe", "payload": {"query": LIVE}})
    frame = await close_frame(ws)
    assert frame is not None and frame.code == 4403
    assert upstream_calls(sandbox) == before


async def test_rotating_the_admin_key_retires_it_over_http_and_on_its_sockets(gateway, sandbox):
    admin = await asyncio.to_thread(gateway.new_org)
    ws = await socket_of(gateway, admin)
    rotated = await asyncio.to_thread(gateway.gql, admin, "mutation { rotateAdminKey { key } }")
    new_key = data(rotated)["rotateAdminKey"]["key"]
    frame = await close_frame(ws)
    assert frame is not None and frame.code == 4403
    refused = await asyncio.to_thread(gateway.gql, admin, "{ credits { total } }")
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert data(await asyncio.to_thread(gateway.gql, new_key, "{ credits { total } }"))["credits"]["total"] == 100
    assert await still_open(await socket_of(gateway, new_key))
