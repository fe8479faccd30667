"""Subscriptions over `graphql-transport-ws` on `/graphql`, authenticated in `connection_init`.

Browsers cannot set headers on a WebSocket, so the token comes in the
`connection_init` payload (`{"Authorization": "Bearer ..."}`); the header works
too. The schema depends on the token, so this endpoint accepts the socket,
reads `connection_init`, picks the schema, and hands the socket to Strawberry's
protocol handler with that first message replayed. Operations are checked
against the caller's cost limits before they start, like over HTTP.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from graphql import GraphQLError
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.types import ExecutionResult

from schema.errors import PlantgateError

from .. import auth
from ..requestid import current_request_id
from .endpoint import GraphQLEndpoint, PlantgateView
from .errors import RequestError, format_error
from .limits import Limits

PROTOCOL = "graphql-transport-ws"


class SubscriptionEndpoint:
    def __init__(self, graphql: GraphQLEndpoint, init_timeout: float | None = None) -> None:
        self.graphql = graphql
        self.init_timeout = graphql.services.settings.ws_init_timeout if init_timeout is None else init_timeout

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
        await SubscriptionView(schema).run(websocket, context=context)


class CheckedOperation(Operation):
    """An operation whose errors leave in our format (codes, no internal detail)."""

    async def send_initial_errors(self, errors: list[GraphQLError]) -> None:
        await self.send_operation_message({"id": self.id, "type": "error", "payload": _formatted(errors)})

    async def send_next(self, execution_result: ExecutionResult) -> None:
        payload: dict[str, Any] = {"data": execution_result.data}
        if execution_result.errors:
            payload["errors"] = _formatted(execution_result.errors)
        await self.send_operation_message({"id": self.id, "type": "next", "payload": payload})


class CheckedTransportWS(BaseGraphQLTransportWSHandler):
    """Strawberry's graphql-transport-ws, refusing malformed messages and over-limit documents.

    Protocol closes: 4400 malformed message, 4401 subscribe before ack,
    4409 duplicate operation id, 4429 second connection_init (Strawberry's).
    """

    async def handle_message(self, message: Any) -> None:
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.handle_invalid_message("Invalid message")
            return
        await super().handle_message(message)  # type: ignore[arg-type]

    async def handle_subscribe(self, message: Any) -> None:
        payload, id_ = message.get("payload"), message.get("id")
        if not (isinstance(id_, str) and isinstance(payload, dict) and isinstance(payload.get("query"), str)):
            await self.handle_invalid_message("Invalid subscribe message")
            return
        if not isinstance(payload.get("variables") or {}, dict) or not isinstance(payload.get("operationName") or "", str):
            await self.handle_invalid_message("Invalid subscribe message")
            return
        if not self.connection_acknowledged:
            await self.websocket.close(code=4401, reason="Unauthorized")
            return
        if id_ in self.operations:
            await self.websocket.close(code=4409, reason=f"Subscriber for {id_} already exists")
            return
        limits = Limits.for_caller(self.context.services.settings, self.context.principal.is_admin)
        cap = self.max_subscriptions_per_connection
        try:
            if cap is not None and len(self.operations) >= cap:
                raise RequestError([GraphQLError(f"at most {cap} operations at a time on one socket")])
            limits.vet(self.schema._schema, payload["query"], payload.get("variables"))
        except RequestError as exc:
            await self.send_message({"id": id_, "type": "error", "payload": _formatted(exc.errors)})
            return
        operation = CheckedOperation(self, id_, payload["query"], payload.get("variables"), payload.get("operationName"))
        operation.task = asyncio.create_task(self.run_operation(operation))
        operation.task.add_done_callback(self._task_done)
        self.operations[id_] = operation


class SubscriptionView(PlantgateView):
    graphql_transport_ws_handler_class = CheckedTransportWS


def _formatted(errors: list[GraphQLError]) -> list[dict[str, Any]]:
    request_id = current_request_id.get()
    return [format_error(e, request_id) for e in errors]


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
