"""GraphQL over HTTP (the graphql-over-http draft): reading requests, media types, status codes.

A client that accepts `application/graphql-response+json` gets it, and a
request that never executed (it does not parse, validate or coerce its
variables) is then a 400 whose body has no `data`. Everyone else gets
`application/json` with the legacy rule: 200 for every well-formed request,
the errors in the body. A request that is not well-formed (bad JSON, no
query, wrong content type) is a 4xx under both, and so is a body over the size
bound (413, see `bodylimit.py`) or JSON nested past the depth bound (400).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from ..bodylimit import BodyTooLarge
from .errors import format_error
from .inputs import text_problem
from .nesting import TooDeep, loads_bounded

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


class HttpError(Exception):
    """Not a well-formed GraphQL-over-HTTP request: answered with `status` under any media type."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None, **extensions: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.extensions = extensions


@dataclass(frozen=True)
class GraphQLRequest:
    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


async def read_request(request: Request, max_depth: int) -> GraphQLRequest:
    """The GraphQL parameters of a GET (query string) or POST (JSON body) request; JSON nests `max_depth` deep."""
    if request.method == "GET":
        params = request.query_params
        return _parameters(
            {
                "query": params.get("query"),
                "operationName": params.get("operationName"),
                "variables": _json_parameter(params.get("variables"), "variables", max_depth),
                "extensions": _json_parameter(params.get("extensions"), "extensions", max_depth),
            }
        )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise HttpError(415, f"send the request body as {JSON} (got {content_type or 'no content type'})")
    try:
        body = loads_bounded(await request.body(), max_depth)
    except BodyTooLarge as exc:  # the middleware's bound, met while streaming
        raise HttpError(413, exc.message, limit="maxBodyBytes", max=exc.limit) from None
    except TooDeep as exc:
        raise HttpError(400, f"the request body is {exc}", limit="maxJsonDepth", max=exc.limit) from None
    except (ValueError, UnicodeDecodeError):
        raise HttpError(400, "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise HttpError(400, "the request body must be a JSON object (batching is not supported)")
    return _parameters(body)


def _json_parameter(value: str | None, name: str, max_depth: int) -> Any:
    if value is None or value == "":
        return None
    try:
        return loads_bounded(value, max_depth)
    except TooDeep as exc:
        raise HttpError(400, f"the '{name}' parameter is {exc}", limit="maxJsonDepth", max=exc.limit) from None
    except ValueError:
        raise HttpError(400, f"the '{name}' parameter is not valid JSON") from None


def _parameters(body: dict[str, Any]) -> GraphQLRequest:
    expected = {"query": str, "operationName": str, "variables": dict, "extensions": dict}
    for name, kind in expected.items():
        value = body.get(name)
        if value is not None and not isinstance(value, kind):
            what = "a string" if kind is str else "an object"
            raise HttpError(400, f"'{name}' must be {what} or null")
        problem = text_problem(value) if isinstance(value, str) else None
        if problem:
            raise HttpError(400, f"'{name}' {problem}")
    return GraphQLRequest(body.get("query"), body.get("variables"), body.get("operationName"), body.get("extensions"))


def response_media_type(accept: str | None) -> str:
    """`application/graphql-response+json` when accepted at least as well as JSON, else JSON."""
    quality: dict[str, float] = {}
    for part in (accept or "").split(","):
        media, *params = (p.strip().lower() for p in part.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        quality[media] = max(q, quality.get(media, 0.0))
    wants = quality.get(GRAPHQL_RESPONSE, 0.0)
    json_q = max(quality.get(JSON, 0.0), quality.get("application/*", 0.0), quality.get("*/*", 0.0))
    return GRAPHQL_RESPONSE if wants > 0 and wants >= json_q else JSON


def result_body(result: ExecutionResult, request_id: str) -> dict[str, Any]:
    """A result as sent: no `data` when the request never executed (the GraphQL spec's rule)."""
    body: dict[str, Any] = {} if is_request_error(result) else {"data": result.data}
    if result.errors:
        body["errors"] = [format_error(e, request_id) for e in result.errors]
    if result.extensions:
        body["extensions"] = result.extensions
    return body


def is_request_error(result: ExecutionResult) -> bool:
    """Parse, validation or variable-coercion failure: no field ran, so no error has a path."""
    if isinstance(result, PreExecutionError):
        return True
    errors = result.errors or []
    return result.data is None and bool(errors) and all(not e.path for e in errors)


def respond(body: dict[str, Any], media: str, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A GraphQL response; request errors are 400 only under graphql-response+json."""
    if status == 200 and media == GRAPHQL_RESPONSE and "data" not in body:
        status = 400
    return Response(encode(body), status_code=status, headers=dict(headers or {}), media_type=media)


def encode(body: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as Starlette's JSONResponse writes it, several times faster.

    orjson refuses what the standard library writes (an integer past 64 bits, a non-string
    key in a `JSON` scalar's value): that rare body goes through `json` as before."""
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
