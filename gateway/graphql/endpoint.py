"""`/graphql`: authenticate, pick the caller's schema, execute, format errors.

Admin keys get the admin schema; a connection token gets the schema built for
its connection's extension (shared by every connection with the same one).
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry.asgi import GraphQL
from cross_web import HTTPException
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from schema.errors import BadUserInput, PlantgateError, Unauthenticated
from schema.model import Extension

from .. import auth
from ..requestid import current_request_id
from ..services import Services
from .admin import admin_schema
from .context import RequestContext
from .errors import format_error
from .ide import render_ide
from .source import ConnectionSource


class PlantgateView(GraphQL):
    """Strawberry's HTTP handling, with our error format and our GraphiQL page."""

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        request_id = current_request_id.get()
        data: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            data["errors"] = [format_error(e, request_id) for e in result.errors]
        if result.extensions:
            data["extensions"] = result.extensions
        return data

    async def render_graphql_ide(self, request: Request) -> Response:
        return render_ide(request)


class GraphQLEndpoint:
    """One ASGI endpoint serving every caller's schema."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        if request.method == "GET" and _wants_html(request) and "query" not in request.query_params:
            await render_ide(request)(scope, receive, send)
            return
        try:
            context, schema = await self.resolve(request)
            # A view is a few attributes: made per request, so evicted schemas are freed.
            response = await PlantgateView(schema).run(request, context=context)
        except PlantgateError as exc:
            response = error_response(exc, 401 if isinstance(exc, Unauthenticated) else 400)
        except HTTPException as exc:  # malformed HTTP request: bad JSON, no query, GET mutation
            response = error_response(BadUserInput(exc.reason), exc.status_code)
        await response(scope, receive, send)

    async def resolve(self, request: Request) -> tuple[RequestContext, strawberry.Schema]:
        token = auth.bearer(request.headers.get("authorization"))
        if token is None:
            raise Unauthenticated("send 'Authorization: Bearer <admin key or connection token>'")
        return await self.for_token(token, request)

    async def for_token(self, token: str, request: Any) -> tuple[RequestContext, strawberry.Schema]:
        """The caller's context and schema: admin, or the token's connection."""
        services = self.services
        principal = await services.store.run(auth.resolve, services.store, token)
        context = RequestContext(request=request, services=services, principal=principal)
        if principal.is_admin:
            return context, admin_schema
        connection = await services.store.run(
            services.connections.get, principal.organization_id, principal.connection_id
        )
        connector = await services.pool.get(connection)
        context.source = ConnectionSource(
            connection, connector, services.store, services.health, services.bus, services.settings.max_page_size
        )
        return context, services.schemas.get(extension_of(connection))


def error_response(exc: PlantgateError, status: int) -> Response:
    """A request-level error as a GraphQL response body, with a fitting HTTP status."""
    body = {"errors": [format_error(GraphQLError(exc.message, original_error=exc), current_request_id.get())]}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def extension_of(connection: Any) -> Extension:
    """A connection's schema extension (custom fields and objects come with their issue)."""
    return Extension()


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")
