"""`passthrough(input:)` in every data schema: a raw request to the connection's system.

A mutation, even for a GET: the gateway cannot tell what a raw call changes, so it never
runs over `GET /graphql`, is never kept as a cached answer, and stays out of read-only
tools. The checks and the call are `gateway/passthrough.py`'s, shared with `POST /passthrough`.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any, Optional

import strawberry

from .. import passthrough


@strawberry.enum(description="The HTTP method of a passthrough request (MERGE: OData v2 updates).")
class PassthroughMethod(enum.Enum):
    GET = "GET"
    HEAD = "HEAD"
    OPTIONS = "OPTIONS"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"
    MERGE = "MERGE"


@strawberry.input(description="A query parameter or header of a passthrough request.")
class NameValueInput:
    name: str = strawberry.field(description="The parameter or header name.")
    value: str = strawberry.field(description="Its value.")


@strawberry.type(description="A header of a passthrough answer.")
class NameValue:
    name: str = strawberry.field(description="The header name, as the system sent it.")
    value: str = strawberry.field(description="Its value (secrets redacted).")


@strawberry.input(description="A raw request to the connection's system, sent with the connection's login.")
class PassthroughInput:
    method: PassthroughMethod = strawberry.field(
        description="GET, HEAD and OPTIONS are reads; the others are writes, sent once and never retried."
    )
    path: str = strawberry.field(
        description="Relative to the connection's instance URL, starting with '/': no scheme, host, query or '..'."
    )
    query: Optional[list[NameValueInput]] = strawberry.field(
        default=None, description="Query parameters, in order (repeat a name to send it twice)."
    )
    headers: Optional[list[NameValueInput]] = strawberry.field(
        default=None,
        description="Request headers from the allow-list (accept, content-type, if-match, prefer, ...); the "
        "gateway adds the credentials, cookies and session.",
    )
    body: Optional[str] = strawberry.field(default=None, description="The request body as text (UTF-8).")
    body_base64: Optional[str] = strawberry.field(
        default=None, description="The request body as base64, for bytes that are not text (not with `body`)."
    )


@strawberry.type(description="The system's answer, whatever its status; session headers left out, secrets redacted.")
class PassthroughResponse:
    status: int = strawberry.field(description="The HTTP status the system answered.")
    headers: list[NameValue] = strawberry.field(description="Response headers (no cookies or session headers).")
    body: Optional[str] = strawberry.field(description="The body when it is UTF-8 text (else null).")
    body_base64: Optional[str] = strawberry.field(description="The body as base64 when it is not text (else null).")


def _plain(given: PassthroughInput) -> dict[str, Any]:
    def pairs(items: list[NameValueInput] | None) -> list[dict[str, str]] | None:
        return None if items is None else [{"name": p.name, "value": p.value} for p in items]

    return {
        "method": given.method.value,
        "path": given.path,
        "query": pairs(given.query),
        "headers": pairs(given.headers),
        "body": given.body,
        "bodyBase64": given.body_base64,
    }


async def resolve_passthrough(
    info: strawberry.Info,
    input: Annotated[PassthroughInput, strawberry.argument(description="The request to send.")],
) -> PassthroughResponse:
    source = info.context.source
    connector = source.connector
    request = passthrough.request_from(_plain(input), connector.passthrough_headers)
    answer = passthrough.response_json(
        await passthrough.passthrough(source.store, source.health, source.connection, connector, request)
    )
    return PassthroughResponse(
        status=answer["status"],
        headers=[NameValue(**h) for h in answer["headers"]],
        body=answer["body"],
        body_base64=answer["bodyBase64"],
    )


def passthrough_field() -> Any:
    """The `passthrough` mutation field, made anew for each schema built."""
    return strawberry.mutation(
        resolver=resolve_passthrough,
        name="passthrough",
        description="Send a raw request to the connection's system (method, path relative to the instance URL, "
        "query, allow-listed headers, body) with the connection's login; the organization's `passthrough` setting "
        "decides whether it may (FORBIDDEN with reason PASSTHROUGH_DISABLED or PASSTHROUGH_READ_ONLY). Writes are "
        "never retried.",
    )
