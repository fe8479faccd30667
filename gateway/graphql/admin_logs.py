"""The admin schema's request log: every call the gateway made to a connected system, newest first."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Optional

import strawberry
from sqlmodel import select

from ..requestlog import kinds
from ..store.log_tables import RequestLogEntry
from . import admin_paging as paging
from .context import RequestContext
from .described_enum import described

RequestKind = described(
    kinds.CallKind,
    "RequestKind",
    "What a call to a connected system was made for.",
    {
        "SYNC": "A sync run reading the system into the replica.",
        "LIVE_READ": "A read of the data API with a connection token (source: LIVE).",
        "WRITE": "A create, update, delete or stock adjustment of the data API.",
        "PASSTHROUGH": "A raw request sent through the gateway with a connection token.",
        "CHECK": "Credentials tried by createConnection, reauthorizeConnection or a connect link.",
        "DISCOVERY": "Custom field and object candidates, write setting choices (admin schema).",
    },
)


@strawberry.enum(description="How a call ended, from the system's HTTP status.")
class RequestOutcome(Enum):
    _value_: str
    OK = strawberry.enum_value("OK", description="Answered below 400.")
    REJECTED = strawberry.enum_value("REJECTED", description="Refused with a 4xx other than 401, 403 and 429.")
    AUTH_FAILED = strawberry.enum_value("AUTH_FAILED", description="Refused the login (401 or 403).")
    RATE_LIMITED = strawberry.enum_value("RATE_LIMITED", description="Asked to slow down (429).")
    ERROR = strawberry.enum_value("ERROR", description="Failed on the system's side (5xx).")
    UNREACHABLE = strawberry.enum_value("UNREACHABLE", description="No answer: refused, timed out, cut off.")


@strawberry.type(
    name="RequestLog",
    description="One attempt of one call to a connected system (a retried call has one entry per attempt).",
)
class RequestLogInfo:
    id: strawberry.ID = strawberry.field(description="The entry's id.")
    connection_id: Optional[strawberry.ID] = strawberry.field(
        description="The connection (null: credentials checked by createConnection before the connection existed)."
    )
    at: datetime = strawberry.field(description="When the attempt started.")
    kind: RequestKind = strawberry.field(description="What the call was made for.")  # type: ignore[valid-type]
    method: str = strawberry.field(description="The HTTP method.")
    path: str = strawberry.field(description="The URL's path on the system.")
    query: Optional[str] = strawberry.field(
        description="The URL's query string, values of secret-looking parameters redacted."
    )
    status: Optional[int] = strawberry.field(description="The system's HTTP status (null: no answer came).")
    outcome: RequestOutcome = strawberry.field(description="How the attempt ended.")
    duration_ms: int = strawberry.field(description="How long the attempt took, in milliseconds.")
    attempt: int = strawberry.field(description="1 for the first try, 2 and up for retries.")
    request_id: Optional[str] = strawberry.field(
        description="The gateway request that made the call (its X-Request-Id); null for syncs."
    )
    error: Optional[str] = strawberry.field(description="Why no answer came (e.g. ConnectTimeout).")
    request_body: Optional[str] = strawberry.field(
        description="The body sent, redacted and cut short; null unless the connection's logBodies setting is on."
    )
    response_body: Optional[str] = strawberry.field(
        description="The body received, redacted and cut short; null unless the connection's logBodies setting is on."
    )

    @classmethod
    def of(cls, row: RequestLogEntry) -> RequestLogInfo:
        return cls(
            id=strawberry.ID(str(row.id)),
            connection_id=strawberry.ID(row.connection_id) if row.connection_id else None,
            at=row.created_at,
            kind=RequestKind(row.kind),
            method=row.method,
            path=row.path,
            query=row.query,
            status=row.status,
            outcome=RequestOutcome(row.outcome),
            duration_ms=row.duration_ms,
            attempt=row.attempt,
            request_id=row.request_id,
            error=row.error,
            request_body=row.request_body,
            response_body=row.response_body,
        )


@strawberry.type
class RequestLogQuery:
    @strawberry.field(
        description="Calls the gateway made to the organization's systems, newest first, filtered; paged the Relay "
        "way. Kept PLANTGATE_REQUEST_LOG_RETENTION_DAYS days (14 unless set)."
    )
    async def request_logs(
        self,
        info: strawberry.Info,
        connection_id: Annotated[
            Optional[strawberry.ID], strawberry.argument(description="Only this connection's calls.")
        ] = None,
        kind: Annotated[
            Optional[RequestKind],  # type: ignore[valid-type]
            strawberry.argument(description="Only calls made for this."),
        ] = None,
        outcome: Annotated[
            Optional[RequestOutcome], strawberry.argument(description="Only calls that ended this way.")
        ] = None,
        status: Annotated[
            Optional[int], strawberry.argument(description="Only calls answered with this status.")
        ] = None,
        request_id: Annotated[
            Optional[str],
            strawberry.argument(description="Only calls made by this gateway request (its X-Request-Id)."),
        ] = None,
        since: paging.Since = None,
        until: paging.Until = None,
        first: paging.First = None,
        after: paging.After = None,
        last: paging.Last = None,
        before: paging.Before = None,
    ) -> paging.List[RequestLogInfo]:
        ctx: RequestContext = info.context
        organization_id = ctx.principal.organization_id
        if connection_id is not None:  # NOT_FOUND for a connection not the organization's
            await ctx.services.store.run(ctx.services.connections.get, organization_id, str(connection_id))
        window = paging.Window(first, after, last, before)
        query = select(RequestLogEntry).where(RequestLogEntry.organization_id == organization_id)
        if connection_id is not None:
            query = query.where(RequestLogEntry.connection_id == str(connection_id))
        if kind is not None:
            query = query.where(RequestLogEntry.kind == kind.value)
        if outcome is not None:
            query = query.where(RequestLogEntry.outcome == outcome.value)
        if status is not None:
            query = query.where(RequestLogEntry.status == status)
        if request_id is not None:
            query = query.where(RequestLogEntry.request_id == request_id)
        query = paging.between(query, RequestLogEntry.created_at, since, until)
        created, key = RequestLogEntry.created_at, RequestLogEntry.id
        page = await paging.newest_first(ctx.services.store, query, "request_log", created, key, window)
        return paging.listing(page, [RequestLogInfo.of(r) for r in page.rows])
