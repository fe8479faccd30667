"""The operations of one authenticated socket: each handled like an HTTP request.

Strawberry's graphql-transport-ws handler, with every `subscribe` authenticated
again (a revoked token closes the socket with 4403 before anything runs),
counted against the rate limits, vetted against the cost limits and run with
a context (and connector) of its own, so a rotated token, a disconnect or a
re-authorization takes effect on an open socket as on the next HTTP request.
Mutations are refused: they go by POST, like writes over HTTP.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, cast

import strawberry
from graphql import DocumentNode, GraphQLError, OperationType, get_operation_ast
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ErrorMessage, NextMessage
from strawberry.types import ExecutionResult
from strawberry.utils.aio import aclosing

from schema.errors import PlantgateError, Unauthenticated

from .. import auth
from ..auth import Principal
from ..events.revocation import OpenSockets
from ..requestid import current_request_id
from . import nesting
from .context import RequestContext
from .endpoint import GraphQLEndpoint, PlantgateView
from .errors import RequestError, format_error
from .limits import Limits


@dataclass
class Caller:
    """Who opened the socket, and how to authenticate each of its operations again."""

    graphql: GraphQLEndpoint
    token: str
    request: WebSocket
    principal: Principal
    sockets: OpenSockets
    json_depth: int
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        self.digest = auth.hash_secret(self.token)

    async def authorize(self) -> tuple[RequestContext, strawberry.Schema]:
        """As for an HTTP request: a valid token, one more request counted, a fresh context and connector."""
        return await self.graphql.for_token(self.token, self.request)


class CheckedOperation(Operation[RequestContext, None]):
    """An operation with its own context and schema; its errors leave in our format (codes, no internal detail)."""

    def __init__(
        self,
        handler: CheckedTransportWS,
        payload: dict[str, Any],
        id_: str,
        context: RequestContext,
        schema: strawberry.Schema,
    ) -> None:
        super().__init__(handler, id_, payload["query"], payload.get("variables"), payload.get("operationName"))
        self.context = context
        self.schema = schema

    async def send_initial_errors(self, errors: list[GraphQLError]) -> None:
        # cast: the payloads carry our error format (codes), wider than graphql-core's TypedDict
        await self.send_operation_message(
            cast(ErrorMessage, {"id": self.id, "type": "error", "payload": _formatted(errors)})
        )

    async def send_next(self, execution_result: ExecutionResult) -> None:
        payload: dict[str, Any] = {"data": execution_result.data}
        if execution_result.errors:
            payload["errors"] = _formatted(execution_result.errors)
        await self.send_operation_message(cast(NextMessage, {"id": self.id, "type": "next", "payload": payload}))


class _QuietClose:
    """The socket adapter, except that closing a socket already closed (the client left, or an
    earlier refusal closed it) does nothing instead of raising into the ASGI server."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def close(self, code: int, reason: str) -> None:
        with suppress(RuntimeError, WebSocketDisconnect):
            await self._inner.close(code=code, reason=reason)


class CheckedTransportWS(BaseGraphQLTransportWSHandler[RequestContext, None]):
    """Strawberry's graphql-transport-ws, re-authenticating, counting and vetting every operation.

    Protocol closes: 4400 malformed message, 4401 subscribe before ack, 4403
    credential revoked, 4409 duplicate operation id, 4429 second connection_init.
    """

    view: SubscriptionView
    revoked = False

    @property
    def principal(self) -> Principal:
        return self.view.caller.principal

    @property
    def digest(self) -> str:
        return self.view.caller.digest

    async def handle(self) -> None:
        self.websocket = _QuietClose(self.websocket)  # type: ignore[assignment]  # wraps the adapter, duck-typed
        sockets = self.view.caller.sockets
        sockets.add(self)
        try:
            await super().handle()
        finally:
            sockets.discard(self)

    async def send_message(self, message: Any) -> None:
        """A message to the client; none once the socket is closing (the client left, or we closed it)."""
        with suppress(WebSocketDisconnected, RuntimeError):
            await super().send_message(message)

    async def revoke(self) -> None:
        """The credential no longer authenticates: stop every operation and close with 4403."""
        if self.revoked:
            return
        self.revoked = True
        for id_ in list(self.operations):
            await self.cleanup_operation(id_)
        await self.websocket.close(code=4403, reason="Forbidden")

    async def handle_message(self, message: Any) -> None:
        if isinstance(message, nesting.TooDeep):
            await self.handle_invalid_message(str(message))
            return
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.handle_invalid_message("Invalid message")
            return
        await super().handle_message(message)  # type: ignore[arg-type]  # a dict with a string `type`, as it dispatches

    async def handle_subscribe(self, message: Any) -> None:
        payload, id_ = message.get("payload"), message.get("id")
        if not (isinstance(id_, str) and isinstance(payload, dict) and isinstance(payload.get("query"), str)):
            await self.handle_invalid_message("Invalid subscribe message")
            return
        variables, name = payload.get("variables") or {}, payload.get("operationName") or ""
        if not isinstance(variables, dict) or not isinstance(name, str):
            await self.handle_invalid_message("Invalid subscribe message")
            return
        if not self.connection_acknowledged:
            await self.websocket.close(code=4401, reason="Unauthorized")
            return
        if id_ in self.operations:
            await self.websocket.close(code=4409, reason=f"Subscriber for {id_} already exists")
            return
        try:
            context, schema = await self.view.caller.authorize()
        except Unauthenticated:
            await self.revoke()
            return
        except PlantgateError as exc:  # RATE_LIMITED, or the connection cannot be served now
            await self.send_message({"id": id_, "type": "error", "payload": _formatted([_error(exc)])})
            return
        try:
            self._vet(schema, payload)
        except RequestError as exc:
            await self.send_message({"id": id_, "type": "error", "payload": _formatted(exc.errors)})
            return
        operation = CheckedOperation(self, payload, id_, context, schema)
        operation.task = asyncio.create_task(self.run_operation(operation))
        operation.task.add_done_callback(self._task_done)
        self.operations[id_] = operation

    def _vet(self, schema: strawberry.Schema, payload: dict[str, Any]) -> None:
        """The operation cap, the cost limits and no mutations; RequestError otherwise."""
        cap = self.max_subscriptions_per_connection
        if cap is not None and len(self.operations) >= cap:
            raise RequestError([GraphQLError(f"at most {cap} operations at a time on one socket")])
        limits = Limits.for_caller(self.context.services.settings, self.principal.is_admin)
        documents = self.view.caller.graphql.documents  # shared with HTTP: a repeated query is parsed once
        document = limits.vet(schema._schema, payload["query"], payload.get("variables"), documents)
        _refuse_mutations(document, payload.get("operationName"))

    async def run_operation(self, operation: Operation[RequestContext, None]) -> None:
        """Strawberry's, on the operation's own context and schema rather than the socket's."""
        assert isinstance(operation, CheckedOperation)
        try:
            result_source = await operation.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=operation.context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )
            async with aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except Exception as error:
            await self.handle_task_exception(error)
            with suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise


class SubscriptionView(PlantgateView):
    graphql_transport_ws_handler_class = CheckedTransportWS

    async def pick_websocket_subprotocol(self, request: WebSocket) -> str | None:
        """graphql-transport-ws, as the handshake accepted, whatever else the client offered and in what order:
        the legacy graphql-ws is never spoken (it would skip these checks)."""
        return GRAPHQL_TRANSPORT_WS_PROTOCOL

    def __init__(self, schema: strawberry.Schema, caller: Caller) -> None:
        super().__init__(schema)
        self.caller = caller

    def decode_json(self, data: str | bytes) -> object:
        """Too deep a message comes back as TooDeep, for a 4400 (raising here would drop the socket)."""
        try:
            return nesting.loads_bounded(data, self.caller.json_depth)
        except nesting.TooDeep as exc:
            return exc


def _refuse_mutations(document: DocumentNode, operation_name: str | None) -> None:
    operation = get_operation_ast(document, operation_name)
    if operation is not None and operation.operation == OperationType.MUTATION:
        raise RequestError([GraphQLError("mutations are not run over WebSocket: send them with POST")])


def _error(exc: PlantgateError) -> GraphQLError:
    return GraphQLError(exc.message, original_error=exc)


def _formatted(errors: list[GraphQLError]) -> list[dict[str, Any]]:
    request_id = current_request_id.get()
    return [format_error(e, request_id) for e in errors]
