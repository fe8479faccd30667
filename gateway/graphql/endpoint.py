"""`/graphql`: authenticate, pick the caller's schema, check the document, execute, format errors.

Admin keys get the admin schema; a connection token gets the schema built for
its connection's extension (shared by every connection with the same one).
The HTTP wire rules live in `http.py`, the cost limits in `limits.py`.
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, get_operation_ast
from starlette.requests import Request
from starlette.responses import Response
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from schema.errors import BadUserInput, PlantgateError, RateLimited, Unauthenticated

from .. import answers, auth
from ..accesslog import note_operation
from ..answers import Answer, AnswerCache
from ..audit import Actor, ActorType, AuditAction, Target, audit
from ..ratelimit import retry_after_header
from ..reads import ConnectionSource
from ..requestid import current_request_id
from ..services import Services
from ..store.engine import DatabaseUnavailable
from .admin import admin_schema
from .context import RequestContext
from .documents import DocumentCache
from .errors import RequestError, format_error
from .execution import execute
from .http import GraphQLRequest, HttpError, is_request_error, read_request, respond, response_media_type, result_body
from .ide import render_ide
from .inputs import check_arguments
from .limits import Limits
from .persisted import Persisted, PersistedQueries
from .shapes import shape_of


class PlantgateView(GraphQL[RequestContext, None]):
    """Strawberry's view, used for WebSocket subscriptions: our error format and GraphiQL page."""

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        return result_body(result, current_request_id.get())  # type: ignore[return-value]  # our body, with error codes

    async def render_graphql_ide(self, request: Request) -> Response:
        return render_ide(request)


class GraphQLEndpoint:
    """One ASGI endpoint serving every caller's schema."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.persisted = PersistedQueries(services.settings.apq_cache_size)
        self.documents = DocumentCache()
        self.answers = AnswerCache(services.settings.replica_cache_pages)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        if request.method == "GET" and _wants_html(request) and "query" not in request.query_params:
            await render_ide(request)(scope, receive, send)
            return
        media = response_media_type(request.headers.get("accept"))
        try:
            context, schema = await self.resolve(request)
            response = await self.run(request, context, schema, media)
        except DatabaseUnavailable:
            raise  # a 503 from the app's handler, like any route's
        except RateLimited as exc:  # the caller's request rate (see ratelimit.py)
            response = error_response(exc, 429, media, retry_after_header(exc))
        except PlantgateError as exc:
            response = error_response(exc, 401 if isinstance(exc, Unauthenticated) else 400, media)
        except HttpError as exc:  # not a well-formed GraphQL-over-HTTP request
            response = error_response(BadUserInput(exc.message, **exc.extensions), exc.status, media, exc.headers)
        await response(scope, receive, send)

    async def run(self, request: Request, context: RequestContext, schema: strawberry.Schema, media: str) -> Response:
        """One GraphQL-over-HTTP request: read, check (APQ, parse, method, limits), execute."""
        params = await read_request(request, self.services.settings.max_json_depth)
        request_id = current_request_id.get()
        try:
            persisted, document = self.prepare(request.method, params, context, schema)
        except RequestError as exc:
            return respond({"errors": [format_error(e, request_id) for e in exc.errors]}, media)
        key = _answer_key(context, schema, document, persisted.query, params)
        if key is not None and (kept := await self.kept_answer(key, context.source)) is not None:
            self.persisted.remember(persisted)
            return Response(kept, media_type=media)
        result = await execute(
            schema,
            document,
            persisted.query,  # type: ignore[arg-type]  # prepare refuses a request without one
            variables=params.variables,
            context=context,
            operation_name=params.operation_name,
            operation_extensions=params.extensions,
        )
        if not is_request_error(result):
            self.persisted.remember(persisted)
        response = respond(result_body(result, request_id), media)
        if context.source is not None:
            context.source.finish()
        trail = context.source.trail if context.source is not None else None
        if key is not None and trail is not None and trail.reusable and not result.errors:
            self.answers.put(key, Answer(context.source.connector, dict(trail.stamps), bytes(response.body)))
        return response

    async def kept_answer(self, key: Hashable, source: ConnectionSource) -> bytes | None:
        """The body kept for this request, if every replica it read still stands as it was read."""
        answer = self.answers.get(key, source.connector)
        if answer is None:
            return None
        store = self.services.store
        now = await store.read_now(answers.current, store, source.connection.id, list(answer.stamps))
        if now != answer.stamps:
            self.answers.drop(key)
            return None
        return answer.body

    def prepare(
        self, method: str, params: GraphQLRequest, context: RequestContext, schema: strawberry.Schema
    ) -> tuple[Persisted, DocumentNode]:
        """The query to run and its vetted document; RequestError or HttpError otherwise."""
        try:
            persisted = self.persisted.resolve(context.principal.organization_id, params.query, params.extensions)
        except PlantgateError as exc:  # APQ: unknown hash, hash mismatch
            raise RequestError([GraphQLError(exc.message, original_error=exc)]) from None
        if persisted.query is None:
            raise HttpError(400, "no GraphQL query in the request: send 'query'")
        limits = Limits.for_caller(self.services.settings, context.principal.is_admin)
        document = limits.vet(schema._schema, persisted.query, params.variables, self.documents)
        try:
            check_arguments(document, params.variables, self.services.settings.max_json_depth)
        except BadUserInput as exc:
            raise RequestError([GraphQLError(exc.message, original_error=exc)]) from None
        operation = _operation(document, params.operation_name)
        note_operation(operation.name.value if operation.name else None)
        if operation.operation.value == OperationType.SUBSCRIPTION.value:
            raise RequestError(
                [GraphQLError("subscriptions are served over WebSocket (graphql-transport-ws) on this path")]
            )
        if method == "GET" and operation.operation.value != OperationType.QUERY.value:
            raise HttpError(405, "only queries may be sent with GET: send mutations with POST", {"Allow": "POST"})
        return persisted, document

    async def resolve(self, request: Request) -> tuple[RequestContext, strawberry.Schema]:
        token = auth.bearer(request.headers.get("authorization"))
        if token is None:
            raise Unauthenticated("send 'Authorization: Bearer <admin key or connection token>'")
        return await self.for_token(token, request)

    async def for_token(self, token: str, request: Any, count: bool = True) -> tuple[RequestContext, strawberry.Schema]:
        """The caller's context and schema: admin, or the token's connection (`count`: a rate-limited request)."""
        services = self.services
        principal, connection = await services.store.read_now(auth.resolve_caller, services.store, token)
        if count:
            await services.limiter.hit(principal, token)
        context = RequestContext(request=request, services=services, principal=principal)
        if connection is None:  # an admin key
            await self.note_key_use(principal)
            return context, admin_schema
        connector = await services.pool.get(connection)
        context.source = ConnectionSource(
            connection,
            connector,
            services.store,
            services.health,
            services.bus,
            services.settings.max_page_size,
            services.pages,
        )
        return context, services.schemas.get(connector.config.extension, shape_of(type(connector)))

    async def note_key_use(self, principal: auth.Principal) -> None:
        """ADMIN_KEY_USE in the audit trail, once per key and window (see audit.py)."""
        key_id = principal.key_id
        if key_id is not None and self.services.key_use.due(key_id):
            target = Target("ADMIN_KEY", key_id)
            actor = Actor(ActorType.ADMIN_KEY, key_id)
            await audit(self.services.store, principal.organization_id, actor, AuditAction.ADMIN_KEY_USE, target)


def error_response(exc: PlantgateError, status: int, media: str, headers: dict[str, str] | None = None) -> Response:
    """A request-level error as a GraphQL response body, with a fitting HTTP status."""
    body = {"errors": [format_error(GraphQLError(exc.message, original_error=exc), current_request_id.get())]}
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return respond(body, media, status, headers)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operation = get_operation_ast(document, name)
    if operation is None:
        message = (
            f"no operation named '{name}' in the document"
            if name
            else "the document has several operations: send 'operationName'"
        )
        raise RequestError([GraphQLError(message)])
    return operation


def _answer_key(
    context: RequestContext,
    schema: strawberry.Schema,
    document: DocumentNode,
    query: str | None,
    params: GraphQLRequest,
) -> Hashable | None:
    """What a kept answer is found by: connection, schema, query, variables, operation; None: never kept."""
    if context.source is None:
        return None
    operation = get_operation_ast(document, params.operation_name)
    if operation is None or operation.operation.value != OperationType.QUERY.value:
        return None
    variables = json.dumps(params.variables, sort_keys=True, default=str)
    return (context.source.connection.id, schema, query, variables, params.operation_name)


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")
