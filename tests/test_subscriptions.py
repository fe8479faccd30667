"""GraphQL subscriptions over graphql-transport-ws: connection status and sync events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import websockets
from sqlmodel import select

from gateway.store.tables import ConnectionStatusChange
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.conftest import Gateway, _start_gateway
from tests.helpers import WS_PROTOCOL, data
from tests.test_sync import FAST

STATUS = "subscription { connectionStatusChanged { connectionId status previousStatus reason at } }"
SYNCS = "subscription { syncEvents { connectionId type data } }"
TRIGGER = "mutation($id: ID!) { triggerSync(id: $id) { id } }"


@pytest.fixture(scope="module")
def ws_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gw-ws")
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", **FAST)


async def subscribe(gateway: Gateway, token: str, query: str):
    ws = await websockets.connect(gateway.url.replace("http", "ws") + "/graphql", subprotocols=[WS_PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
    return ws


async def next_payload(ws, timeout: float = 10.0) -> dict:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if message["type"] == "next":
            assert not message["payload"].get("errors"), message
            return message["payload"]["data"]
        assert message["type"] != "error", message


async def take_down(gateway: Gateway, admin: str, connection_id: str, sandbox: ServerThread) -> None:
    SandboxControl(sandbox.url).fault("down")
    await asyncio.to_thread(gateway.gql, admin, TRIGGER, {"id": connection_id})


async def connect(gateway: Gateway, admin: str, sandbox: ServerThread) -> dict:
    result = await asyncio.to_thread(gateway.connect, admin, sandbox.url)
    return data(result)["createConnection"]


async def test_a_token_sees_its_own_connection_and_an_admin_key_all_of_its_organization(ws_gateway):
    admin, stranger = ws_gateway.new_org(), ws_gateway.new_org()
    with ServerThread(create_upkeep_sandbox()) as sandbox_a, ServerThread(create_upkeep_sandbox()) as sandbox_b:
        a, b = await connect(ws_gateway, admin, sandbox_a), await connect(ws_gateway, admin, sandbox_b)
        token_ws = await subscribe(ws_gateway, a["token"], STATUS)
        admin_ws = await subscribe(ws_gateway, admin, STATUS)
        stranger_ws = await subscribe(ws_gateway, stranger, STATUS)
        await take_down(ws_gateway, admin, b["connection"]["id"], sandbox_b)
        seen_by_admin = (await next_payload(admin_ws))["connectionStatusChanged"]
        assert seen_by_admin["connectionId"] == b["connection"]["id"] and seen_by_admin["status"] == "UNREACHABLE"
        await take_down(ws_gateway, admin, a["connection"]["id"], sandbox_a)
        own = (await next_payload(token_ws))["connectionStatusChanged"]
        assert own["connectionId"] == a["connection"]["id"]  # B's change never reached A's token
        assert own["previousStatus"] == "ACTIVE" and own["status"] == "UNREACHABLE"
        with ws_gateway.services.store.read() as session:
            detected = session.exec(
                select(ConnectionStatusChange).where(
                    ConnectionStatusChange.connection_id == a["connection"]["id"],
                    ConnectionStatusChange.status == "UNREACHABLE",
                )
            ).one()
        received = datetime.now(UTC)
        assert (received - detected.created_at.replace(tzinfo=UTC)).total_seconds() < 1
        assert (datetime.fromisoformat(own["at"]) - detected.created_at.replace(tzinfo=UTC)).total_seconds() < 1
        with pytest.raises(asyncio.TimeoutError):
            await next_payload(stranger_ws, timeout=1.0)  # another organization sees nothing
        for ws in (token_ws, admin_ws, stranger_ws):
            await ws.close()


async def test_sync_events_stream(ws_gateway):
    admin = ws_gateway.new_org()
    with ServerThread(create_upkeep_sandbox()) as sandbox:
        created = await connect(ws_gateway, admin, sandbox)
        ws = await subscribe(ws_gateway, created["token"], SYNCS)
        await asyncio.to_thread(ws_gateway.gql, admin, TRIGGER, {"id": created["connection"]["id"]})
        event = (await next_payload(ws, timeout=20))["syncEvents"]
        assert event["connectionId"] == created["connection"]["id"] and event["type"] == "SYNC_COMPLETED"
        await ws.close()


async def test_bad_token_in_connection_init_is_refused(ws_gateway):
    ws = await websockets.connect(ws_gateway.url.replace("http", "ws") + "/graphql", subprotocols=[WS_PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer pg_conn_forged"}}))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd.code == 4403


@pytest.mark.parametrize("subscription", ["connectionStatusChanged", "syncEvents"])
async def test_a_subscription_to_a_connection_the_caller_cannot_see_is_refused(ws_gateway, subscription):
    owner, stranger = ws_gateway.new_org(), ws_gateway.new_org()
    with ServerThread(create_upkeep_sandbox()) as sandbox:
        theirs = (await connect(ws_gateway, owner, sandbox))["connection"]["id"]
    for connection_id in (theirs, "0" * 32):  # another organization's, and one that does not exist
        ws = await subscribe(
            ws_gateway,
            stranger,
            f'subscription {{ {subscription}(connectionId: "{connection_id}") {{ connectionId }} }}',
        )
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))  # the execution result: no data, the error
        assert message["type"] == "next" and message["payload"]["data"] is None, message
        assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == ["NOT_FOUND"]
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "complete"  # and nothing more
        await ws.close()
