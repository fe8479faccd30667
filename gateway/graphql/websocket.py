"""Subscriptions over `graphql-transport-ws` on `/graphql`, authenticated in `connection_init`.

Browsers cannot set headers on a WebSocket, so the token comes in the
`connection_init` payload (`{"Authorization": "Bearer ..."}`); the header works
too. The schema depends on the token, so this endpoint accepts the socket,
reads `connection_init`, picks the schema, and hands the socket to Strawberry's
protocol handler with that first message replayed.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from schema.errors import PlantgateError

from .. import auth
from .endpoint import GraphQLEndpoint, PlantgateView

PROTOCOL = "graphql-transport-ws"


class SubscriptionEndpoint:
    def __init__(self, graphql: GraphQLEndpoint, init_timeout: float = 10.0) -> None:
        self.graphql = graphql
        self.init_timeout = init_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        connect = await receive()
        if connect["type"] != "websocket.connect":
            return
        if PROTOCOL not in scope.get("subprotocols", []):
            await send({"type": "websocket.close", "code": 4406, "reason": "Subprotocol not acceptable"})
            return
        await send({"type": "websocket.accept", "subprotocol": PROTOCOL})
        try:
            init = await asyncio.wait_for(receive(), timeout=self.init_timeout)
        except asyncio.TimeoutError:
            await _close(send, 4408, "Connection initialisation timeout")
            return
        if init["type"] != "websocket.receive":
            return
        message = _json(init)
        if not message or message.get("type") != "connection_init":
            await _close(send, 4401, "Unauthorized")
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        token = _token(message.get("payload"), headers.get("authorization"))
        websocket = WebSocket(scope, _replay([connect, init], receive), _without_accept(send))
        try:
            if token is None:
                raise PlantgateError("no token")
            context, schema = await self.graphql.for_token(token, websocket)
        except PlantgateError:
            await _close(send, 4403, "Forbidden")
            return
        await PlantgateView(schema).run(websocket, context=context)


def _token(payload: Any, header: str | None) -> str | None:
    if isinstance(payload, dict):
        for key in ("Authorization", "authorization"):
            if isinstance(payload.get(key), str):
                return auth.bearer(payload[key])
        if isinstance(payload.get("token"), str):
            return payload["token"]
    return auth.bearer(header)


def _json(message: Message) -> dict[str, Any] | None:
    try:
        parsed = json.loads(message.get("text") or message.get("bytes") or b"")
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _replay(first: list[Message], receive: Receive) -> Receive:
    pending = list(first)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


def _without_accept(send: Send) -> Send:
    """The socket is already accepted; Strawberry's own accept is swallowed."""

    async def sending(message: Message) -> None:
        if message["type"] != "websocket.accept":
            await send(message)

    return sending


async def _close(send: Send, code: int, reason: str) -> None:
    await send({"type": "websocket.close", "code": code, "reason": reason})
