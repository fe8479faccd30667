"""Passthrough: a connection token's raw request to its system, under its organization's setting.

The organization decides what its tokens may send: `OFF`, `READ_ONLY` (GET, HEAD and OPTIONS;
the default, so scripts can read what the unified model leaves out while writes, which skip the
gateway's checks, idempotency keys and replica, need an admin's choice) or `FULL`. Everything
else is the connector's (`Connector.passthrough`): login, pinned address, concurrency cap,
retries of reads only, 429 handling, redaction. The call goes through the connection's health
like a live read, so a system known to be down fails fast and a refused login marks the connection.
"""

from __future__ import annotations

import base64
import binascii
import enum
from typing import Any

from sqlmodel import Session

from connectors.base import Connector
from connectors.http import IDEMPOTENT
from connectors.passthrough import RawRequest, RawResponse, at, raw_request
from schema.errors import BadUserInput, Forbidden, NotFound, SystemRejected

from .health import Health
from .requestlog.kinds import PASSTHROUGH, calling
from .store.engine import Store
from .store.tables import Connection, Organization


class PassthroughMode(enum.Enum):
    OFF = "OFF"
    READ_ONLY = "READ_ONLY"
    FULL = "FULL"


DEFAULT = PassthroughMode.READ_ONLY
MAX_RESPONSE_BYTES = 10 * 1024 * 1024  # an answer is returned whole, in JSON: ask the system for less


def mode_of(store: Store, organization_id: str) -> PassthroughMode:
    with store.read() as session:
        organization = session.get(Organization, organization_id)
    return PassthroughMode(organization.passthrough) if organization else DEFAULT


def set_mode(store: Store, organization_id: str, mode: PassthroughMode) -> PassthroughMode:
    with store.write() as session:
        organization = _organization(session, organization_id)
        organization.passthrough = mode.value
        session.add(organization)
    return mode


def _organization(session: Session, organization_id: str) -> Organization:
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound("no such organization")
    return organization


def check_allowed(mode: PassthroughMode, method: str) -> None:
    """FORBIDDEN (`reason` PASSTHROUGH_DISABLED or PASSTHROUGH_READ_ONLY) unless the setting allows `method`."""
    if mode is PassthroughMode.OFF:
        raise Forbidden(
            "passthrough is turned off for this organization (an admin can turn it on: updateOrganizationSettings)",
            reason="PASSTHROUGH_DISABLED",
        )
    if mode is PassthroughMode.READ_ONLY and method not in IDEMPOTENT:
        raise Forbidden(
            f"passthrough is read-only for this organization: {method} is refused (GET, HEAD and OPTIONS are "
            "allowed; an admin can allow writes: updateOrganizationSettings)",
            reason="PASSTHROUGH_READ_ONLY",
        )


async def passthrough(
    store: Store, health: Health, connection: Connection, connector: Connector, request: RawRequest
) -> RawResponse:
    """Send `request` if the organization allows it; the system's answer, whatever its status."""
    check_allowed(await store.run(mode_of, store, connection.organization_id), request.method)
    with calling(PASSTHROUGH):  # the request log's kind for these calls
        answer = await health.call(connection, connector.entry.name, lambda: connector.passthrough(request))
    if len(answer.body) > MAX_RESPONSE_BYTES:
        raise SystemRejected(
            f"{connector.entry.name} answered {len(answer.body)} bytes, more than passthrough returns "
            f"({MAX_RESPONSE_BYTES}): ask for less (a page, a field list)",
            limit="maxResponseBytes",
        )
    return answer


def request_from(given: Any, extra_headers: frozenset[str], field: str = "input") -> RawRequest:
    """A raw request from its JSON form (the REST body, the GraphQL input as a dict), checked:
    `{method, path, query: [{name, value}], headers: [{name, value}], body | bodyBase64}`."""
    if not isinstance(given, dict):
        raise BadUserInput(f"{field or 'the body'} must be a JSON object", field=field or None)
    unknown = sorted(set(given) - {"method", "path", "query", "headers", "body", "bodyBase64"})
    if unknown:
        raise BadUserInput(f"{field or 'the body'} has no member '{unknown[0]}'", field=at(field, unknown[0]))
    text, encoded = given.get("body"), given.get("bodyBase64")
    if text is not None and encoded is not None:
        raise BadUserInput("give body or bodyBase64, not both", field=at(field, "bodyBase64"))
    return raw_request(
        _string(given.get("method"), at(field, "method")),
        _string(given.get("path"), at(field, "path")),
        _pairs(given.get("query"), at(field, "query")),
        _pairs(given.get("headers"), at(field, "headers")),
        _body(text, encoded, field),
        extra_headers=extra_headers,
        field=field,
    )


def _string(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise BadUserInput(f"{field} must be a string", field=field)
    return value


def _pairs(value: Any, field: str) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("value"), str) for p in value
    ):
        raise BadUserInput(f"{field} must be a list of {{name, value}} strings", field=field)
    return [(p["name"], p["value"]) for p in value]


def _body(text: Any, encoded: Any, field: str) -> bytes | None:
    if text is not None:
        return _string(text, at(field, "body")).encode()
    if encoded is None:
        return None
    try:
        return base64.b64decode(_string(encoded, at(field, "bodyBase64")), validate=True)
    except (binascii.Error, ValueError):
        raise BadUserInput("bodyBase64 is not base64", field=at(field, "bodyBase64")) from None


def response_json(answer: RawResponse) -> dict[str, Any]:
    """The answer's JSON form: `body` when it is UTF-8 text, else `bodyBase64`."""
    text = answer.text
    return {
        "status": answer.status,
        "headers": [{"name": name, "value": value} for name, value in answer.headers],
        "body": text,
        "bodyBase64": None if text is not None else base64.b64encode(answer.body).decode(),
    }
