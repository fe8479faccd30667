"""`POST /passthrough`: passthrough for scripts, with `Authorization: Bearer <connection token>`.

The JSON body and answer mirror the GraphQL `passthrough(input:)`: `{method, path, query,
headers, body | bodyBase64}` in, `{status, headers, body, bodyBase64}` out. Errors are the
GraphQL error shape with the same codes, under a fitting HTTP status. The same rate limit as
GraphQL applies to the token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from schema.errors import (
    BadUserInput,
    Forbidden,
    NotFound,
    PlantgateError,
    RateLimited,
    SystemAuthFailed,
    SystemRejected,
    SystemUnreachable,
    Unauthenticated,
    UnsupportedOperation,
)

from . import auth
from .bodylimit import BodyTooLarge
from .graphql.endpoint import error_response
from .graphql.http import JSON
from .graphql.nesting import TooDeep, loads_bounded
from .passthrough import passthrough, request_from, response_json
from .ratelimit import retry_after_header
from .services import Services


class BodyOverLimit(BadUserInput):
    """The request body passed `PLANTGATE_MAX_BODY_BYTES` while streaming in (413)."""


STATUS: dict[type[PlantgateError], int] = {
    BodyOverLimit: 413,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    UnsupportedOperation: 501,
    RateLimited: 429,
    SystemAuthFailed: 502,
    SystemRejected: 502,
    SystemUnreachable: 502,
}


def passthrough_endpoint(services: Services) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            return JSONResponse(await _answer(services, request))
        except PlantgateError as exc:
            status = next((s for kind, s in STATUS.items() if isinstance(exc, kind)), 400)
            headers = retry_after_header(exc) if isinstance(exc, RateLimited) else None
            return error_response(exc, status, JSON, headers)

    return endpoint


async def _answer(services: Services, request: Request) -> dict[str, Any]:
    token = auth.bearer(request.headers.get("authorization"))
    if token is None:
        raise Unauthenticated("send 'Authorization: Bearer <connection token>'")
    principal, connection = await services.store.read_now(auth.resolve_caller, services.store, token)
    if connection is None:
        raise Forbidden("passthrough takes a connection token, not an admin key")
    await services.limiter.hit(principal, token)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise BadUserInput(f"send the request as {JSON} (got {content_type or 'no content type'})")
    try:
        given = loads_bounded(await request.body(), services.settings.max_json_depth)
    except BodyTooLarge as exc:
        raise BodyOverLimit(exc.message, limit="maxBodyBytes", max=exc.limit) from None
    except TooDeep as exc:
        raise BadUserInput(f"the request body is {exc}", limit="maxJsonDepth") from None
    except (ValueError, UnicodeDecodeError):
        raise BadUserInput("the request body is not valid JSON") from None
    connector = await services.pool.get(connection)
    raw = request_from(given, connector.passthrough_headers, field="")
    return response_json(await passthrough(services.store, services.health, connection, connector, raw))
