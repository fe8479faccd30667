"""The admin schema: catalog, credits and ledger, connections. Seen with an admin key."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import AsyncGenerator, Optional

import strawberry
from strawberry.scalars import JSON
from strawberry.tools import merge_types

from connectors.catalog import SystemEntry
from connectors.registry import catalog, connector_class
from schema.builder import (
    STATUS_EVENTS,
    SYNC_EVENTS,
    ConnectionStatusEvent,
    EntitySyncStatus,
    SyncEvent,
    status_event,
    sync_event,
)
from schema.closed_sets import ConnectionStatus, Hosting
from schema.errors import BadUserInput

from .. import credits as credit_ops
from ..connections import NewConnection
from ..credit_audit import audit
from ..store.tables import Connection as ConnectionRow
from ..store.tables import CreditLedgerEntry
from .admin_connect import ConnectMutation, ConnectQuery
from .admin_custom import CustomMutation, CustomQuery
from .admin_keys import AdminKeyMutation
from .admin_webhooks import WebhookMutation, WebhookQuery
from .context import RequestContext
from .inputs import string_map as _string_map
from .source import sync_status


@strawberry.type
class CredentialField:
    name: str
    label: str
    type: str
    secret: bool
    required: bool
    help: str


@strawberry.type
class EntityCapability:
    entity: str
    read: bool
    incremental: bool
    create: bool
    update: bool
    delete: bool
    adjust: bool = strawberry.field(description="Stock adjustments (Part).")
    available: bool = strawberry.field(
        default=True,
        description="False on a connection whose system refuses this entity to its login (404 or 403 on the "
        "entity's endpoint: UNAVAILABLE in syncStatus).",
    )


@strawberry.type
class WriteSettingInfo:
    """Organisational context the system needs on some writes: a connection default (writeDefaults),
    overridable per mutation (writeOptions)."""

    name: str
    label: str
    help: str
    entities: list[str] = strawberry.field(description="Entities whose creates need it.")


@strawberry.type
class HostingPrice:
    hosting: Hosting
    credits: int


@strawberry.type
class System:
    key: str
    name: str
    vendor: str
    category: str
    tier: int
    hostings: list[Hosting]
    credits: list[HostingPrice]
    credential_fields: list[CredentialField]
    auth_guide: Optional[str]
    capabilities: list[EntityCapability]
    write_settings: list[WriteSettingInfo]

    @classmethod
    def of(cls, entry: SystemEntry) -> "System":
        found = connector_class(entry.key)
        settings = found.write_settings if found else ()
        return cls(
            key=entry.key,
            name=entry.name,
            vendor=entry.vendor,
            category=entry.category,
            tier=entry.tier,
            hostings=list(entry.hostings),
            credits=[HostingPrice(hosting=h, credits=entry.credits(h)) for h in entry.hostings],
            credential_fields=[
                CredentialField(
                    name=f.name,
                    label=f.label,
                    type=f.type,
                    secret=f.secret,
                    required=f.required,
                    help=f.help,
                )
                for f in entry.credential_fields
            ],
            auth_guide=entry.auth_guide or None,
            capabilities=[
                EntityCapability(
                    entity=name,
                    read=c.read,
                    incremental=c.incremental,
                    create=c.create,
                    update=c.update,
                    delete=c.delete,
                    adjust=c.adjust,
                )
                for name, c in entry.capabilities.items()
            ],
            write_settings=[
                WriteSettingInfo(name=w.name, label=w.label, help=w.help, entities=list(w.entities)) for w in settings
            ],
        )


@strawberry.type
class Connection:
    """A connection as the organization sees it (never its credentials)."""

    id: strawberry.ID
    name: str
    system: Optional[System] = strawberry.field(description="Null while a connect link without a preset system is pending.")
    hosting: Optional[Hosting]
    instance_url: Optional[str]
    status: ConnectionStatus
    status_reason: Optional[str]
    metadata: JSON
    credits: int
    created_at: datetime
    disconnected_at: Optional[datetime]

    @strawberry.field(description="Sync state per entity.")
    async def sync_status(self, info: strawberry.Info) -> list[EntitySyncStatus]:
        store = _ctx(info).services.store
        return [EntitySyncStatus(**s) for s in await store.run(sync_status, store, str(self.id))]

    @strawberry.field(description="The system's capabilities as this connection has them: entities the system "
                      "refuses to this login are marked unavailable.")
    async def capabilities(self, info: strawberry.Info) -> list[EntityCapability]:
        if self.system is None:
            return []
        store = _ctx(info).services.store
        unavailable = {s["entity"] for s in await store.run(sync_status, store, str(self.id)) if s["state"] == "UNAVAILABLE"}
        return [dataclasses.replace(c, available=c.entity not in unavailable) for c in self.system.capabilities]

    @classmethod
    def of(cls, row: ConnectionRow) -> "Connection":
        found = connector_class(row.system) if row.system else None  # "" while PENDING
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            system=System.of(found.entry) if found else None,
            hosting=row.hosting or None,
            instance_url=row.instance_url,
            status=row.status,
            status_reason=row.status_reason,
            metadata=row.metadata_,
            credits=row.credits,
            created_at=row.created_at,
            disconnected_at=row.disconnected_at,
        )


@strawberry.type
class ConnectionList:
    nodes: list[Connection]
    total_count: int


@strawberry.type
class LedgerEntry:
    id: int
    connection_id: strawberry.ID
    amount: int
    balance_after: int
    reason: str
    created_at: datetime

    @classmethod
    def of(cls, row: CreditLedgerEntry) -> "LedgerEntry":
        return cls(
            id=row.id or 0,
            connection_id=strawberry.ID(row.connection_id),
            amount=row.amount,
            balance_after=row.balance_after,
            reason=row.reason,
            created_at=row.created_at,
        )


@strawberry.type
class CreditAuditInfo:
    """The credit invariant: pool used = credits held by live connections = ledger consumed - returned."""

    consistent: bool
    pool_used: int
    held_by_connections: int
    ledger_used: int


@strawberry.type
class CreditPool:
    total: int
    used: int
    available: int
    ledger: list[LedgerEntry]
    audit: CreditAuditInfo


@strawberry.input
class CreateConnectionInput:
    system: str
    hosting: Hosting = Hosting.CLOUD
    name: str
    credentials: JSON = strawberry.field(description="Credential fields by name (see System.credentialFields).")
    instance_url: Optional[str] = None
    metadata: Optional[JSON] = None


@strawberry.type
class CreateConnectionPayload:
    connection: Connection
    token: str = strawberry.field(description="The connection token. Shown once: store it now.")


def _ctx(info: strawberry.Info) -> RequestContext:
    return info.context


@strawberry.type
class Query:
    @strawberry.field(description="Systems that can be connected, optionally searched and filtered.")
    def systems(
        self, search: Optional[str] = None, category: Optional[str] = None, tier: Optional[int] = None
    ) -> list[System]:
        found = catalog()
        if search:
            needle = search.lower()
            found = [e for e in found if needle in f"{e.key} {e.name} {e.vendor}".lower()]
        if category:
            found = [e for e in found if e.category.lower() == category.lower()]
        if tier is not None:
            found = [e for e in found if e.tier == tier]
        return [System.of(e) for e in found]

    @strawberry.field
    def system(self, key: str) -> Optional[System]:
        cls = connector_class(key)
        return System.of(cls.entry) if cls else None

    @strawberry.field(description="The organization's credit pool and its newest ledger entries.")
    async def credits(self, info: strawberry.Info, ledger_size: int = 50) -> CreditPool:
        ctx = _ctx(info)
        if not 1 <= ledger_size <= 500:
            raise BadUserInput("ledgerSize must be between 1 and 500", field="ledgerSize")

        def read() -> CreditPool:
            with ctx.services.store.read() as session:
                total, used = credit_ops.balance(session, ctx.principal.organization_id)
                rows = credit_ops.ledger(session, ctx.principal.organization_id, ledger_size)
                found = audit(session, ctx.principal.organization_id)
            return CreditPool(
                total=total, used=used, available=total - used, ledger=[LedgerEntry.of(r) for r in rows],
                audit=CreditAuditInfo(consistent=found.consistent, pool_used=found.pool_used,
                                      held_by_connections=found.held_by_connections, ledger_used=found.ledger_used),
            )

        return await ctx.services.store.run(read)

    @strawberry.field(description="Connections, filtered by status and by metadata values.")
    async def connections(
        self,
        info: strawberry.Info,
        status: Optional[ConnectionStatus] = None,
        metadata: Optional[JSON] = None,
        first: int = 50,
        offset: int = 0,
    ) -> ConnectionList:
        ctx = _ctx(info)
        if not 1 <= first <= 200 or offset < 0:
            raise BadUserInput("first must be 1 to 200 and offset not negative", field="first")
        rows, total = await ctx.services.store.run(
            lambda: ctx.services.connections.list(
                ctx.principal.organization_id,
                status.value if status else None,
                _string_map(metadata, "metadata"),
                first,
                offset,
            )
        )
        return ConnectionList(nodes=[Connection.of(r) for r in rows], total_count=total)

    @strawberry.field
    async def connection(self, info: strawberry.Info, id: strawberry.ID) -> Connection:  # noqa: A002
        ctx = _ctx(info)
        row = await ctx.services.store.run(
            ctx.services.connections.get, ctx.principal.organization_id, str(id)
        )
        return Connection.of(row)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Check the credentials against the system, then create the connection and consume its credits."
    )
    async def create_connection(
        self, info: strawberry.Info, input: CreateConnectionInput  # noqa: A002
    ) -> CreateConnectionPayload:
        ctx = _ctx(info)
        request = NewConnection(
            system=input.system,
            hosting=input.hosting.value,
            name=input.name,
            credentials=_string_map(input.credentials, "credentials"),
            instance_url=input.instance_url,
            metadata=_string_map(input.metadata, "metadata"),
        )
        row, token = await ctx.services.connections.create(ctx.principal.organization_id, request)
        return CreateConnectionPayload(connection=Connection.of(row), token=token)

    @strawberry.mutation(description="Sync now: incremental, or a full pass that also finds deleted records.")
    async def trigger_sync(self, info: strawberry.Info, id: strawberry.ID, full: bool = False) -> Connection:  # noqa: A002
        ctx = _ctx(info)
        await ctx.services.connections.trigger_sync(ctx.principal.organization_id, str(id), full)
        row = await ctx.services.store.run(ctx.services.connections.get, ctx.principal.organization_id, str(id))
        return Connection.of(row)

    @strawberry.mutation(description="Disconnect: the token stops working and the credits return to the pool.")
    async def disconnect(self, info: strawberry.Info, id: strawberry.ID) -> Connection:  # noqa: A002
        ctx = _ctx(info)
        row = await ctx.services.connections.disconnect(ctx.principal.organization_id, str(id))
        return Connection.of(row)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Status changes of the organization's connections (or one of them).")
    async def connection_status_changed(
        self, info: strawberry.Info, connection_id: Optional[strawberry.ID] = None
    ) -> AsyncGenerator[ConnectionStatusEvent, None]:
        ctx = _ctx(info)
        await _visible(ctx, connection_id)
        events = ctx.services.bus.subscribe(ctx.principal.organization_id, connection_id and str(connection_id), STATUS_EVENTS)
        async for message in events:
            yield status_event(message)

    @strawberry.subscription(description="Sync completions and failures of the organization's connections.")
    async def sync_events(
        self, info: strawberry.Info, connection_id: Optional[strawberry.ID] = None
    ) -> AsyncGenerator[SyncEvent, None]:
        ctx = _ctx(info)
        await _visible(ctx, connection_id)
        events = ctx.services.bus.subscribe(ctx.principal.organization_id, connection_id and str(connection_id), SYNC_EVENTS)
        async for message in events:
            yield sync_event(message)


async def _visible(ctx: RequestContext, connection_id: strawberry.ID | None) -> None:
    """A subscription to one connection: refused (NOT_FOUND) unless it is the organization's own."""
    if connection_id is not None:
        await ctx.services.store.run(ctx.services.connections.get, ctx.principal.organization_id, str(connection_id))


admin_schema = strawberry.Schema(
    query=merge_types("Query", (Query, WebhookQuery, ConnectQuery, CustomQuery)),
    mutation=merge_types("Mutation", (Mutation, WebhookMutation, ConnectMutation, CustomMutation, AdminKeyMutation)),
    subscription=Subscription,
)
