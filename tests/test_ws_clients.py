"""Real GraphQL clients over the WebSocket: Python `gql` with its default transport settings.

`gql` offers both `graphql-ws` (legacy) and `graphql-transport-ws` in its
handshake; the gateway accepts graphql-transport-ws and speaks it, so queries,
subscriptions and pings work and the gateway's own checks apply.
"""

from __future__ import annotations

import asyncio

from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from tests.helpers import data

DISCONNECT = "mutation($id: ID!) { disconnect(id: $id) { id } }"


def transport(gateway, token: str) -> WebsocketsTransport:
    url = gateway.url.replace("http", "ws") + "/graphql"
    return WebsocketsTransport(url=url, init_payload={"Authorization": f"Bearer {token}"}, ping_interval=0.2)


async def test_gql_default_websocket_transport_queries_and_subscribes(sqlite_gateway, upkeep_sandbox):
    admin = sqlite_gateway.new_org()
    created = data(await asyncio.to_thread(sqlite_gateway.connect, admin, upkeep_sandbox.url))["createConnection"]
    ws = transport(sqlite_gateway, created["token"])
    async with Client(transport=ws) as session:
        assert ws.subprotocol == "graphql-transport-ws"  # offered second by gql, chosen by the gateway
        answer = await session.execute(gql("{ workOrders(first: 2) { nodes { remoteId } } }"))
        assert len(answer["workOrders"]["nodes"]) == 2

    other = data(await asyncio.to_thread(sqlite_gateway.connect, admin, upkeep_sandbox.url))["createConnection"]
    async with Client(transport=transport(sqlite_gateway, admin)) as session:

        async def first_status_event() -> dict:
            query = gql("subscription { connectionStatusChanged { connectionId status previousStatus } }")
            async for event in session.subscribe(query):
                return event["connectionStatusChanged"]
            raise AssertionError("the subscription ended")

        waiting = asyncio.create_task(first_status_event())
        await asyncio.sleep(0.3)  # subscribed before the change
        data(await asyncio.to_thread(sqlite_gateway.gql, admin, DISCONNECT, {"id": other["connection"]["id"]}))
        event = await asyncio.wait_for(waiting, 20)
        assert event == {
            "connectionId": other["connection"]["id"],
            "status": "DISCONNECTED",
            "previousStatus": "ACTIVE",
        }


async def test_gql_sees_the_gateways_checks_on_the_socket(sqlite_gateway, upkeep_sandbox):
    """Mutations are refused on the socket (an HTTP POST carries them): a check the legacy path skipped."""
    admin = sqlite_gateway.new_org()
    created = data(await asyncio.to_thread(sqlite_gateway.connect, admin, upkeep_sandbox.url))["createConnection"]
    async with Client(transport=transport(sqlite_gateway, created["token"])) as session:
        try:
            await session.execute(gql('mutation { createVendor(input: {name: "Acme"}) { record { id } } }'))
        except TransportQueryError as exc:
            assert "send them with POST" in str(exc)
        else:
            raise AssertionError("a mutation ran over the socket")
