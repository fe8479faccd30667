"""graphql-transport-ws compliance on /graphql: each protocol violation gets its close code."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from websockets import Subprotocol

from tests.conftest import Gateway, _start_gateway
from tests.helpers import WS_PROTOCOL, data

STATUS = "subscription { connectionStatusChanged { connectionId status } }"


@pytest.fixture(scope="module")
def ws_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gw-wsproto")
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", ws_init_timeout=0.5)


async def open_socket(gateway: Gateway) -> Any:
    url = gateway.url.replace("http", "ws") + "/graphql"
    return await websockets.connect(url, subprotocols=[WS_PROTOCOL])


async def send(ws: Any, message: dict | str) -> None:
    await ws.send(message if isinstance(message, str) else json.dumps(message))


async def receive(ws: Any) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), 5))


async def init(ws: Any, token: str) -> None:
    await send(ws, {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    assert (await receive(ws))["type"] == "connection_ack"


async def close_frame(ws: Any) -> Any:
    """The server's close frame (None if the connection dropped without one), reading what comes before it."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    return closed.value.rcvd


async def closed_with(ws: Any) -> int:
    frame = await close_frame(ws)
    assert frame is not None, "dropped without a close code"
    return frame.code


async def test_no_connection_init_in_time_closes_4408(ws_gateway):
    ws = await open_socket(ws_gateway)
    assert await closed_with(ws) == 4408


async def test_ping_is_answered_with_pong(ws_gateway):
    ws = await open_socket(ws_gateway)
    await init(ws, ws_gateway.new_org())
    await send(ws, {"type": "ping", "payload": {"n": 1}})
    assert (await receive(ws))["type"] == "pong"
    await send(ws, {"type": "pong"})  # an unsolicited pong is allowed and unanswered
    await send(ws, {"type": "ping"})
    assert (await receive(ws))["type"] == "pong"
    await ws.close()


async def test_legacy_offered_first_still_gets_graphql_transport_ws_with_its_checks(ws_gateway):
    """Python gql's default offer: the legacy subprotocol first. The gateway answers and speaks
    graphql-transport-ws: ping gets pong and the cost limits apply (the legacy path had neither)."""
    url = ws_gateway.url.replace("http", "ws") + "/graphql"
    ws = await websockets.connect(url, subprotocols=[Subprotocol("graphql-ws"), WS_PROTOCOL])
    assert ws.subprotocol == WS_PROTOCOL
    await init(ws, ws_gateway.new_org())
    await send(ws, {"type": "ping"})
    assert (await receive(ws))["type"] == "pong"
    bomb = " ".join(f"a{i}: credits {{ total }}" for i in range(51))
    await send(ws, {"id": "bomb", "type": "subscribe", "payload": {"query": f"{{ {bomb} }}"}})
    error = await receive(ws)
    assert error["type"] == "error" and error["payload"][0]["extensions"]["limit"] == "maxAliases"
    await ws.close()


async def test_the_legacy_subprotocol_alone_is_refused_at_the_handshake(ws_gateway):
    """graphql-ws (subscriptions-transport-ws) is not spoken: the upgrade is refused before any message."""
    url = ws_gateway.url.replace("http", "ws") + "/graphql"
    for offered in ([Subprotocol("graphql-ws")], None):
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(url, subprotocols=offered)
        assert refused.value.response.status_code == 403


async def test_duplicate_operation_id_closes_4409(ws_gateway):
    ws = await open_socket(ws_gateway)
    await init(ws, ws_gateway.new_org())
    await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": STATUS}})
    await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": STATUS}})
    assert await closed_with(ws) == 4409


async def test_subscribe_before_connection_init_closes_4401(ws_gateway):
    ws = await open_socket(ws_gateway)
    await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": STATUS}})
    assert await closed_with(ws) == 4401


async def test_second_connection_init_closes_4429(ws_gateway):
    ws = await open_socket(ws_gateway)
    await init(ws, ws_gateway.new_org())
    await send(ws, {"type": "connection_init", "payload": {}})
    assert await closed_with(ws) == 4429


@pytest.mark.parametrize(
    "payload", [{}, {"Authorization": "Bearer pg_admin_forged"}, {"Authorization": "Basic x"}, "junk"]
)
async def test_unauthenticated_connection_init_closes_4403(ws_gateway, payload):
    ws = await open_socket(ws_gateway)
    await send(ws, {"type": "connection_init", "payload": payload})
    assert await closed_with(ws) == 4403


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        "[1, 2]",
        {"type": 7},
        {"type": "subscribe", "id": "1", "payload": "junk"},
        {"type": "subscribe", "id": 1, "payload": {"query": STATUS}},
        {"type": "subscribe", "id": "1", "payload": {"query": STATUS, "variables": [1]}},
        {"type": "no-such-type"},
    ],
)
async def test_malformed_messages_close_4400(ws_gateway, message):
    ws = await open_socket(ws_gateway)
    await init(ws, ws_gateway.new_org())
    await send(ws, message)
    assert await closed_with(ws) == 4400


async def test_over_limit_documents_get_an_error_message_and_the_socket_stays(ws_gateway):
    admin = ws_gateway.new_org()
    ws = await open_socket(ws_gateway)
    await init(ws, admin)
    bomb = " ".join(f"a{i}: credits {{ total }}" for i in range(51))
    await send(ws, {"id": "bomb", "type": "subscribe", "payload": {"query": f"{{ {bomb} }}"}})
    error = await receive(ws)
    assert error["type"] == "error" and error["id"] == "bomb"
    assert error["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["payload"][0]["extensions"]["limit"] == "maxAliases"
    await send(ws, {"id": "q", "type": "subscribe", "payload": {"query": "{ credits { total } }"}})
    answer = await receive(ws)
    assert answer["type"] == "next" and data(answer["payload"])["credits"]["total"] == 100
    assert (await receive(ws)) == {"id": "q", "type": "complete"}
    await ws.close()


@pytest.fixture
def tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """Records logged with a traceback, uvicorn's own included (its loggers do not propagate)."""
    uvicorn = logging.getLogger("uvicorn")
    uvicorn.addHandler(caplog.handler)
    try:
        yield caplog.records
    finally:
        uvicorn.removeHandler(caplog.handler)


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


SUBSCRIBE_NESTED = (
    '{"id": "1", "type": "subscribe", "payload": {"query": "{ credits { total } }", "variables": {"v": %s}}}'
)


@pytest.mark.parametrize(
    "message",
    [
        SUBSCRIBE_NESTED % nested(100_000),  # past the JSON decoder's own recursion guard
        SUBSCRIBE_NESTED % nested(70),  # decodes, but past PLANTGATE_MAX_JSON_DEPTH (64)
        '{"type": "subscribe", "id": "1", "payload": ' + nested(100_000) + "}",
    ],
    ids=["variables-100000", "variables-70", "payload-100000"],
)
async def test_deeply_nested_json_closes_4400_with_a_reason_and_no_traceback(ws_gateway, tracebacks, message):
    ws = await open_socket(ws_gateway)
    await init(ws, ws_gateway.new_org())
    await send(ws, message)
    frame = await close_frame(ws)
    assert frame is not None and frame.code == 4400 and "nested" in frame.reason
    assert not [r for r in tracebacks if r.exc_info], [r.getMessage() for r in tracebacks]


async def test_deeply_nested_connection_init_closes_4400(ws_gateway, tracebacks):
    ws = await open_socket(ws_gateway)
    await send(ws, '{"type": "connection_init", "payload": {"Authorization": ' + nested(100_000) + "}}")
    frame = await close_frame(ws)
    assert frame is not None and frame.code == 4400 and "nested" in frame.reason
    assert not [r for r in tracebacks if r.exc_info], [r.getMessage() for r in tracebacks]


async def test_variables_nested_as_deep_as_over_http_are_accepted(ws_gateway):
    ws = await open_socket(ws_gateway)
    await init(ws, ws_gateway.new_org())
    await send(ws, SUBSCRIBE_NESTED % nested(60))
    answer = await receive(ws)
    assert answer["type"] == "next" and data(answer["payload"])["credits"]["total"] == 100
    await ws.close()
