"""Turns each upstream attempt (`connectors.http.UpstreamCall`) into a request log row for its connection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from connectors.http import UpstreamCall

from ..requestid import current_request_id
from ..scrub import scrub_body, scrub_query
from ..store.tables import utcnow
from .kinds import CallKind, current_kind
from .writer import RequestLogWriter

BODY_SETTING = "logBodies"  # a connection setting: keep request and response bodies, redacted


@dataclass(frozen=True)
class Owner:
    """Whose calls these are; no connection yet while a login is checked for createConnection."""

    organization_id: str
    connection_id: str | None = None


class RequestLog:
    def __init__(self, writer: RequestLogWriter, body_limit: int = 4096) -> None:
        self.writer = writer
        self.body_limit = body_limit

    def recorder(
        self, owner: Owner, default_kind: CallKind, secrets: tuple[str, ...]
    ) -> Callable[[UpstreamCall], None]:
        """`HttpPolicy.record` for one connection's connector."""

        def record(call: UpstreamCall) -> None:
            self.writer.add(self.row(call, owner, current_kind.get() or default_kind, secrets))

        return record

    def row(self, call: UpstreamCall, owner: Owner, kind: CallKind, secrets: tuple[str, ...]) -> dict[str, Any]:
        url = call.url
        query = url.query.decode("ascii", errors="replace") if url is not None else ""
        request_id = current_request_id.get()
        return {
            "organization_id": owner.organization_id,
            "connection_id": owner.connection_id,
            "created_at": utcnow() - timedelta(seconds=call.seconds),
            "kind": kind,
            "method": call.method[:16],
            "path": (url.path if url is not None else "")[:2000],
            "query": scrub_query(query, secrets) if query else None,
            "status": call.status,
            "outcome": call.outcome.upper(),
            "duration_ms": round(call.seconds * 1000),
            "attempt": call.attempt,
            "request_id": None if request_id == "-" else request_id,
            "error": call.error[:200] if call.error else None,
            "request_body": self._body(call.request_body, secrets),
            "response_body": self._body(call.response_body, secrets),
        }

    def _body(self, body: bytes | None, secrets: tuple[str, ...]) -> str | None:
        return scrub_body(body, secrets, self.body_limit) if body else None

    def close(self) -> None:
        self.writer.close()
