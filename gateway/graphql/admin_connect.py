"""The admin schema's connect part: connect sessions (magic links), code exchange, token rotation, re-authorization.

`admin.py` merges these types into the admin schema and owns the `Connection`
type they return, so it is referred to lazily (strawberry's way across modules).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Optional

import strawberry
from sqlmodel import select
from strawberry.scalars import JSON
from strawberry.types.lazy_type import LazyType

from ..audit import AuditAction, Target
from ..connect_sessions import ConnectSessions, SessionRequest
from ..connection_secrets import ConnectionSecrets, Reauthorization
from ..events import revocation
from ..scrub import scrub_url
from ..store.connect_tables import ConnectSession as SessionRow
from ..store.tables import Connection as ConnectionRow
from . import admin_paging as paging
from .admin_audit import audited
from .closed_sets import ConnectSessionStatus, Hosting
from .context import RequestContext
from .inputs import string_map

if TYPE_CHECKING:
    from .admin import Connection

ADMIN = "gateway.graphql.admin"
AdminConnection = Annotated["Connection", strawberry.lazy(ADMIN)]


def connection_of(row: ConnectionRow) -> Any:
    """The admin schema's view of a connection row."""
    return LazyType("Connection", ADMIN).resolve_type().of(row)


@strawberry.type(
    name="ConnectSession",
    description="A magic link for a customer to connect its system (its URL is shown once, at creation).",
)
class ConnectSessionInfo:
    id: strawberry.ID = strawberry.field(description="The session's id.")
    connection_id: strawberry.ID = strawberry.field(description="The PENDING connection the link completes.")
    system: Optional[str] = strawberry.field(description="The preset system key (null: the customer picks one).")
    hosting: Optional[Hosting] = strawberry.field(description="The preset hosting (null: the customer picks one).")
    redirect_url: Optional[str] = strawberry.field(
        description="Where the customer goes, with `?code=`, when done (null: the page shows the token)."
    )
    status: ConnectSessionStatus = strawberry.field(description="Where the link stands.")
    expires_at: datetime = strawberry.field(description="When the link stops working.")
    created_at: datetime = strawberry.field(description="When it was created.")
    completed_at: Optional[datetime] = strawberry.field(description="When the customer completed it.")

    @classmethod
    def of(cls, row: SessionRow) -> ConnectSessionInfo:
        return cls(
            id=strawberry.ID(row.id),
            connection_id=strawberry.ID(row.connection_id),
            system=row.system,
            hosting=Hosting(row.hosting) if row.hosting else None,
            redirect_url=row.redirect_url,
            status=ConnectSessionStatus(row.status),
            expires_at=row.expires_at,
            created_at=row.created_at,
            completed_at=row.completed_at,
        )


@strawberry.input(description="What to preset on a connect link; anything left out the customer chooses.")
class CreateConnectSessionInput:
    system: Optional[str] = strawberry.field(
        default=None, description="Preset system key; else the customer picks one."
    )
    hosting: Optional[Hosting] = strawberry.field(
        default=None, description="Preset hosting; else the customer picks one."
    )
    name: Optional[str] = strawberry.field(
        default=None, description="Preset connection name; else the customer names it."
    )
    metadata: Optional[JSON] = strawberry.field(
        default=None, description="Your own {key: value} strings for the connection."
    )
    redirect_url: Optional[str] = strawberry.field(
        default=None,
        description="Send the customer here with `?code=` when done (exchange it with exchangeConnectCode); else the page shows the token.",
    )
    expires_in_minutes: int = strawberry.field(default=24 * 60, description="How long the link works (default a day).")


@strawberry.type(description="A new magic link, its session and the connection it will complete.")
class ConnectSessionCreated:
    url: str = strawberry.field(description="The magic link. Shown once: send it to your customer now.")
    session: ConnectSessionInfo = strawberry.field(description="The session behind the link.")
    connection: AdminConnection = strawberry.field(description="The connection the link completes; PENDING until then.")


@strawberry.type(description="A connection and a new token for it.")
class ConnectionTokenIssued:
    connection: AdminConnection = strawberry.field(description="The connection.")
    token: str = strawberry.field(description="The connection token. Shown once: store it now.")


ConnectionId = Annotated[strawberry.ID, strawberry.argument(description="The connection's id.")]


def _sessions(info: strawberry.Info) -> tuple[RequestContext, ConnectSessions]:
    ctx: RequestContext = info.context
    return ctx, ConnectSessions(ctx.services.connections)


def _public_url(ctx: RequestContext) -> str:
    return ctx.services.settings.public_url or str(ctx.request.base_url)


SESSION_STATUS = "Only sessions in this status."


@strawberry.type
class ConnectQuery:
    @strawberry.field(
        description="The 100 newest connect sessions, optionally by status; connectSessionsPage pages "
        "through all of them."
    )
    async def connect_sessions(
        self,
        info: strawberry.Info,
        status: Annotated[Optional[ConnectSessionStatus], strawberry.argument(description=SESSION_STATUS)] = None,
    ) -> Optional[list[ConnectSessionInfo]]:
        ctx, sessions = _sessions(info)
        rows = await ctx.services.store.run(sessions.list, ctx.principal.organization_id, status and status.value)
        return [ConnectSessionInfo.of(r) for r in rows]

    @strawberry.field(description="Connect sessions, newest first, optionally by status; paged the Relay way.")
    async def connect_sessions_page(
        self,
        info: strawberry.Info,
        status: Annotated[Optional[ConnectSessionStatus], strawberry.argument(description=SESSION_STATUS)] = None,
        first: Annotated[Optional[int], strawberry.argument(description=paging.FIRST)] = None,
        after: Annotated[Optional[str], strawberry.argument(description=paging.AFTER)] = None,
        last: Annotated[Optional[int], strawberry.argument(description=paging.LAST)] = None,
        before: Annotated[Optional[str], strawberry.argument(description=paging.BEFORE)] = None,
    ) -> Optional[paging.List[ConnectSessionInfo]]:
        ctx: RequestContext = info.context
        window = paging.Window(first, after, last, before)
        organization_id = ctx.principal.organization_id

        def read() -> paging.Page[SessionRow]:
            query = select(SessionRow).where(SessionRow.organization_id == organization_id)
            if status:
                query = query.where(SessionRow.status == status.value)
            columns = (SessionRow.created_at, SessionRow.id)
            with ctx.services.store.read() as session:
                return paging.keyset_page(
                    session, query, "connect_session", columns, lambda r: (r.created_at, r.id), window, descending=True
                )

        page = await ctx.services.store.run(read)
        return paging.listing(page, [ConnectSessionInfo.of(r) for r in page.rows])


@strawberry.type
class ConnectMutation:
    @strawberry.mutation(description="A single-use, expiring magic link that lets a customer connect its system.")
    async def create_connect_session(
        self,
        info: strawberry.Info,
        input: Annotated[
            Optional[CreateConnectSessionInput], strawberry.argument(description="What to preset (default: nothing).")
        ] = None,
    ) -> Optional[ConnectSessionCreated]:
        ctx, sessions = _sessions(info)
        given = input or CreateConnectSessionInput()
        request = SessionRequest(
            system=given.system,
            hosting=given.hosting.value if given.hosting else None,
            name=given.name,
            metadata=string_map(given.metadata, "metadata"),
            redirect_url=given.redirect_url,
            expires_in_minutes=given.expires_in_minutes,
        )
        link, connection, url = await ctx.services.store.run(
            sessions.create, ctx.principal.organization_id, request, _public_url(ctx)
        )
        changes = {
            "connectionId": connection.id,
            "system": request.system,
            "hosting": request.hosting,
            "name": request.name,
            "metadata": request.metadata,
            "redirectUrl": request.redirect_url and scrub_url(request.redirect_url),
            "expiresAt": link.expires_at.isoformat(),
        }
        await audited(ctx, AuditAction.CONNECT_LINK_CREATE, Target("CONNECT_SESSION", link.id), changes)
        return ConnectSessionCreated(url=url, session=ConnectSessionInfo.of(link), connection=connection_of(connection))

    @strawberry.mutation(
        description="Exchange the one-time code of a redirecting connect link for the connection's token (once)."
    )
    async def exchange_connect_code(
        self,
        info: strawberry.Info,
        code: Annotated[str, strawberry.argument(description="The `code` the redirect carried.")],
    ) -> Optional[ConnectionTokenIssued]:
        ctx, sessions = _sessions(info)
        connection, token = await ctx.services.store.run(sessions.exchange, ctx.principal.organization_id, code)
        await audited(ctx, AuditAction.CONNECT_LINK_EXCHANGE, Target("CONNECTION", connection.id))
        return ConnectionTokenIssued(connection=connection_of(connection), token=token)

    @strawberry.mutation(description="A new token for the connection; the old ones stop working at once.")
    async def rotate_connection_token(self, info: strawberry.Info, id: ConnectionId) -> Optional[ConnectionTokenIssued]:
        ctx: RequestContext = info.context
        secrets = ConnectionSecrets(ctx.services.connections)
        connection, token = await ctx.services.store.run(secrets.rotate_token, ctx.principal.organization_id, str(id))
        await revocation.publish(ctx.services.bus, ctx.principal.organization_id, connection.id)  # closes old sockets
        await audited(ctx, AuditAction.CONNECTION_TOKEN_ROTATE, Target("CONNECTION", connection.id))
        return ConnectionTokenIssued(connection=connection_of(connection), token=token)

    @strawberry.mutation(
        description="New credentials (checked live) for the same connection and credits; back to ACTIVE and synced."
    )
    async def reauthorize_connection(
        self,
        info: strawberry.Info,
        id: ConnectionId,
        credentials: Annotated[
            JSON, strawberry.argument(description="The new credential fields by name (see System.credentialFields).")
        ],
        instance_url: Annotated[
            Optional[str], strawberry.argument(description="A new base URL (default: the current one).")
        ] = None,
    ) -> Optional[AdminConnection]:
        ctx: RequestContext = info.context
        change = Reauthorization(string_map(credentials, "credentials"), instance_url)
        row = await ConnectionSecrets(ctx.services.connections).reauthorize(
            ctx.principal.organization_id, str(id), change
        )
        changes = {
            "instanceUrl": row.instance_url and scrub_url(row.instance_url),
            "loginFields": sorted(change.credentials),
        }
        await audited(ctx, AuditAction.CONNECTION_REAUTHORIZE, Target("CONNECTION", row.id), changes)
        return connection_of(row)
