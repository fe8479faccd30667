"""The admin schema: catalog, credits and ledger, connections. Seen with an admin key."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any, Optional

import strawberry
from sqlalchemy import exists, func
from sqlmodel import select
from strawberry.scalars import JSON
from strawberry.tools import merge_types

from connectors.catalog import SystemEntry
from connectors.registry import catalog, connector_class
from gateway.graphql.builder import (
    STATUS_EVENTS,
    SYNC_EVENTS,
    ConnectionStatusEvent,
    EntitySyncStatus,
    SyncEvent,
    status_event,
    sync_event,
)
from gateway.graphql.closed_sets import ConnectionStatus, Hosting, SystemCategory
from schema.errors import BadUserInput

from .. import credits as credit_ops
from ..audit import AuditAction, Target
from ..connections import NewConnection
from ..credit_audit import audit
from ..reads import sync_status
from ..scrub import scrub_url
from ..store.tables import Connection as ConnectionRow
from ..store.tables import CreditLedgerEntry
from . import admin_paging as paging
from .admin_agents import AgentMutation, AgentQuery
from .admin_audit import AuditQuery, audited
from .admin_connect import ConnectMutation, ConnectQuery
from .admin_custom import CustomMutation, CustomQuery
from .admin_keys import AdminKeyMutation
from .admin_logs import RequestLogQuery
from .admin_organization import OrganizationMutation, OrganizationQuery
from .admin_webhooks import WebhookMutation, WebhookQuery
from .context import RequestContext
from .inputs import string_map as _string_map


@strawberry.type(description="A credential a system needs to connect.")
class CredentialField:
    name: str = strawberry.field(
        description="The key to use in `credentials` (createConnection, reauthorizeConnection)."
    )
    label: str = strawberry.field(description="A label for a form.")
    type: str = strawberry.field(description="The kind of input: text, password, url, …")
    secret: bool = strawberry.field(description="The value is a secret: mask it, never log it.")
    required: bool = strawberry.field(description="The system cannot connect without it.")
    help: str = strawberry.field(description="Where the customer finds the value.")


@strawberry.type(description="What the gateway can do with one entity of a system.")
class EntityCapability:
    entity: str = strawberry.field(description="The unified entity (WorkOrder, Asset, …).")
    read: bool = strawberry.field(description="Records can be listed and read.")
    incremental: bool = strawberry.field(description="Records can be read by modified time (incremental syncs).")
    create: bool = strawberry.field(description="Records can be created.")
    update: bool = strawberry.field(description="Records can be updated.")
    delete: bool = strawberry.field(description="Records can be deleted.")
    adjust: bool = strawberry.field(description="Stock adjustments (Part).")
    available: bool = strawberry.field(
        default=True,
        description="False on a connection whose system refuses this entity to its login (404 or 403 on the "
        "entity's endpoint: UNAVAILABLE in syncStatus).",
    )


@strawberry.type(
    description="Organisational context the system needs on some writes: a connection default (writeDefaults), "
    "overridable per mutation (writeOptions)."
)
class WriteSettingInfo:
    """Organisational context the system needs on some writes: a connection default (writeDefaults),
    overridable per mutation (writeOptions)."""

    name: str = strawberry.field(description="The key in writeDefaults and writeOptions.")
    label: str = strawberry.field(description="A label for a form.")
    help: str = strawberry.field(description="What the setting is, in the system's terms.")
    entities: list[str] = strawberry.field(description="Entities whose creates need it.")


@strawberry.type(description="The credits a connection consumes with one hosting.")
class HostingPrice:
    hosting: Hosting = strawberry.field(description="How the system is hosted.")
    credits: int = strawberry.field(description="Credits a connection with this hosting consumes.")


@strawberry.type(description="A system the gateway can connect to, and what it can do with it.")
class System:
    key: str = strawberry.field(description="The system's key, as createConnection takes it.")
    name: str = strawberry.field(description="The product's name.")
    vendor: str = strawberry.field(description="Who makes it.")
    category: SystemCategory = strawberry.field(description="The kind of system.")
    tier: int = strawberry.field(
        description="Price tier, 1 to 3: a connection consumes 1, 2 or 4 credits in the cloud."
    )
    hostings: list[Hosting] = strawberry.field(description="Hostings the gateway can connect to.")
    credits: list[HostingPrice] = strawberry.field(description="Credits a connection consumes, per hosting.")
    credential_fields: list[CredentialField] = strawberry.field(
        description="What createConnection needs in `credentials`."
    )
    auth_guide: Optional[str] = strawberry.field(
        description="How to obtain the credentials (Markdown), if the system needs a guide."
    )
    capabilities: list[EntityCapability] = strawberry.field(
        description="What the gateway can read and write per entity."
    )
    write_settings: list[WriteSettingInfo] = strawberry.field(
        description="Organisational values some writes need (connection defaults, per-write overrides)."
    )

    @classmethod
    def of(cls, entry: SystemEntry) -> System:
        found = connector_class(entry.key)
        settings = found.write_settings if found else ()
        return cls(
            key=entry.key,
            name=entry.name,
            vendor=entry.vendor,
            category=SystemCategory(entry.category),
            tier=entry.tier,
            hostings=[Hosting(h) for h in entry.hostings],
            credits=[HostingPrice(hosting=Hosting(h), credits=entry.credits(h)) for h in entry.hostings],
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


@strawberry.type(
    description="A connection to one customer's system, as the organization sees it (never its credentials)."
)
class Connection:
    """A connection as the organization sees it (never its credentials)."""

    id: strawberry.ID = strawberry.field(description="The connection's id.")
    name: str = strawberry.field(description="A name for people.")
    system: Optional[System] = strawberry.field(
        description="Null while a connect link without a preset system is pending."
    )
    hosting: Optional[Hosting] = strawberry.field(
        description="How the connected system is hosted (null while a connect link is pending)."
    )
    instance_url: Optional[str] = strawberry.field(
        description="The system's base URL, for systems that have one per customer."
    )
    status: ConnectionStatus = strawberry.field(
        description="Where the connection stands; only ACTIVE connections' tokens read and write."
    )
    status_reason: Optional[str] = strawberry.field(
        description="Why the connection is in its status (e.g. the system's refusal), when known."
    )
    metadata: JSON = strawberry.field(
        description="Your own {key: value} strings, given at creation; filter connections by them."
    )
    credits: int = strawberry.field(description="Credits the connection holds (returned when it is disconnected).")
    created_at: datetime = strawberry.field(description="When it was created.")
    disconnected_at: Optional[datetime] = strawberry.field(
        description="When it was disconnected (null unless DISCONNECTED)."
    )
    agent_id: Optional[strawberry.ID] = strawberry.field(
        description="The on-premises agent its calls go through (null: the gateway calls the system itself)."
    )
    credentials_in_plant: bool = strawberry.field(
        description="The login is kept by the agent in the plant; the gateway holds none of it."
    )

    @strawberry.field(description="Sync state per entity.")
    async def sync_status(self, info: strawberry.Info) -> list[EntitySyncStatus]:
        store = _ctx(info).services.store
        return [EntitySyncStatus(**s) for s in await store.run(sync_status, store, str(self.id))]

    @strawberry.field(
        description="The system's capabilities as this connection has them: entities the system "
        "refuses to this login are marked unavailable."
    )
    async def capabilities(self, info: strawberry.Info) -> list[EntityCapability]:
        if self.system is None:
            return []
        store = _ctx(info).services.store
        unavailable = {
            s["entity"] for s in await store.run(sync_status, store, str(self.id)) if s["state"] == "UNAVAILABLE"
        }
        return [dataclasses.replace(c, available=c.entity not in unavailable) for c in self.system.capabilities]

    @classmethod
    def of(cls, row: ConnectionRow) -> Connection:
        found = connector_class(row.system) if row.system else None  # "" while PENDING
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            system=System.of(found.entry) if found else None,
            hosting=Hosting(row.hosting) if row.hosting else None,
            instance_url=row.instance_url,
            status=ConnectionStatus(row.status),
            status_reason=row.status_reason,
            metadata=JSON(row.metadata_),
            credits=row.credits,
            created_at=row.created_at,
            disconnected_at=row.disconnected_at,
            agent_id=strawberry.ID(row.agent_id) if row.agent_id else None,
            credentials_in_plant=row.agent_credentials is not None,
        )


@strawberry.type(description="One consume or return of credits.")
class LedgerEntry:
    id: int = strawberry.field(description="The entry's number, increasing with time.")
    connection_id: strawberry.ID = strawberry.field(description="The connection that consumed or returned the credits.")
    amount: int = strawberry.field(description="Credits taken (negative) or returned (positive).")
    balance_after: int = strawberry.field(description="Credits available after this entry.")
    reason: str = strawberry.field(description="Why: connect, disconnect, …")
    created_at: datetime = strawberry.field(description="When.")

    @classmethod
    def of(cls, row: CreditLedgerEntry) -> LedgerEntry:
        return cls(
            id=row.id or 0,
            connection_id=strawberry.ID(row.connection_id),
            amount=row.amount,
            balance_after=row.balance_after,
            reason=row.reason,
            created_at=row.created_at,
        )


@strawberry.type(
    description="The credit invariant: pool used = credits held by live connections = ledger consumed - returned."
)
class CreditAuditInfo:
    """The credit invariant: pool used = credits held by live connections = ledger consumed - returned."""

    consistent: bool = strawberry.field(description="The three counts agree.")
    pool_used: int = strawberry.field(description="Credits the pool counts as used.")
    held_by_connections: int = strawberry.field(description="Credits held by connections that are not disconnected.")
    ledger_used: int = strawberry.field(description="Credits the ledger consumed minus those it returned.")


@strawberry.type(description="The organization's credit pool: connections consume credits from it by tier and hosting.")
class CreditPool:
    total: int = strawberry.field(description="Credits the organization has.")
    used: int = strawberry.field(description="Credits held by connections that are not disconnected.")
    available: int = strawberry.field(description="Credits left for new connections (total - used).")
    ledger: list[LedgerEntry] = strawberry.field(
        description="The newest ledger entries (as many as `ledgerSize`), newest first; ledgerPage pages through all."
    )
    audit: CreditAuditInfo = strawberry.field(description="The pool checked against the connections and the ledger.")

    @strawberry.field(description="The whole credit ledger, newest first, paged the Relay way.")
    async def ledger_page(
        self,
        info: strawberry.Info,
        first: Annotated[Optional[int], strawberry.argument(description=paging.FIRST)] = None,
        after: Annotated[Optional[str], strawberry.argument(description=paging.AFTER)] = None,
        last: Annotated[Optional[int], strawberry.argument(description=paging.LAST)] = None,
        before: Annotated[Optional[str], strawberry.argument(description=paging.BEFORE)] = None,
    ) -> paging.List[LedgerEntry]:
        ctx = _ctx(info)
        window = paging.Window(first, after, last, before)
        organization_id = ctx.principal.organization_id

        def read() -> paging.Page[CreditLedgerEntry]:
            query = select(CreditLedgerEntry).where(CreditLedgerEntry.organization_id == organization_id)
            columns = (CreditLedgerEntry.created_at, CreditLedgerEntry.id)
            with ctx.services.store.read() as session:
                return paging.keyset_page(
                    session, query, "ledger", columns, lambda r: (r.created_at, r.id), window, descending=True
                )

        page = await ctx.services.store.run(read)
        return paging.listing(page, [LedgerEntry.of(r) for r in page.rows])


@strawberry.input(description="A new connection: the system, its credentials, and your name and metadata for it.")
class CreateConnectionInput:
    system: str = strawberry.field(description="The system's key (see `systems`).")
    hosting: Hosting = strawberry.field(
        default=Hosting.CLOUD, description="How the system is hosted; decides the credits."
    )
    name: str = strawberry.field(description="A name for people.")
    credentials: JSON = strawberry.field(description="Credential fields by name (see System.credentialFields).")
    instance_url: Optional[str] = strawberry.field(
        default=None, description="The system's base URL, for systems that have one per customer."
    )
    metadata: Optional[JSON] = strawberry.field(
        default=None, description="Your own {key: value} strings, e.g. your customer's id."
    )
    agent_id: Optional[strawberry.ID] = strawberry.field(
        default=None,
        description="ON_PREMISES: the agent (createAgent) in the plant that carries this connection's calls; "
        "the instance URL is then an address inside the plant, checked by the agent's policy.",
    )
    agent_credentials: Optional[str] = strawberry.field(
        default=None,
        description="With agentId: keep the login in the plant. The name given to `plantgate agent credentials "
        "set`; credential fields left out of `credentials` are filled in by the agent and never reach the gateway.",
    )


@strawberry.type(description="The new connection and its token.")
class CreateConnectionPayload:
    connection: Connection = strawberry.field(description="The new connection, ACTIVE.")
    token: str = strawberry.field(description="The connection token. Shown once: store it now.")


ConnectionId = Annotated[strawberry.ID, strawberry.argument(description="The connection's id.")]


WatchedConnection = Annotated[
    Optional[strawberry.ID],
    strawberry.argument(description="Only this connection's events (default: every connection's)."),
]


def _ctx(info: strawberry.Info) -> RequestContext:
    return info.context


def _metadata_is(dialect: str, key: str, value: str) -> Any:
    """The condition "metadata[key] == value", evaluated by the database."""
    if dialect == "sqlite":  # a JSON path cannot quote every key: match the object's members instead
        members = func.json_each(ConnectionRow.metadata_).table_valued("key", "value")
        return exists(select(members.c.key).where(members.c.key == key, members.c.value == value))
    return ConnectionRow.metadata_[key].as_string() == value


@strawberry.type(
    description="The organization's catalog, credits, connections, connect sessions, webhooks and connection settings."
)
class Query:
    @strawberry.field(description="Systems that can be connected, optionally searched and filtered.")
    def systems(
        self,
        search: Annotated[
            Optional[str], strawberry.argument(description="Text to find in the key, name or vendor (any case).")
        ] = None,
        category: Annotated[Optional[SystemCategory], strawberry.argument(description="Only this category.")] = None,
        tier: Annotated[Optional[int], strawberry.argument(description="Only this price tier (1 to 3).")] = None,
    ) -> Optional[list[System]]:
        found = catalog()
        if search:
            needle = search.lower()
            found = [e for e in found if needle in f"{e.key} {e.name} {e.vendor}".lower()]
        if category:
            found = [e for e in found if e.category == category.value]
        if tier is not None:
            found = [e for e in found if e.tier == tier]
        return [System.of(e) for e in found]

    @strawberry.field(description="One system by key (null: no such system).")
    def system(
        self, key: Annotated[str, strawberry.argument(description="The system key, e.g. upkeep.")]
    ) -> Optional[System]:
        cls = connector_class(key)
        return System.of(cls.entry) if cls else None

    @strawberry.field(description="The organization's credit pool and its newest ledger entries.")
    async def credits(
        self,
        info: strawberry.Info,
        ledger_size: Annotated[
            int, strawberry.argument(description="How many entries `ledger` holds (1 to 500).")
        ] = 50,
    ) -> Optional[CreditPool]:
        ctx = _ctx(info)
        if not 1 <= ledger_size <= 500:
            raise BadUserInput("ledgerSize must be between 1 and 500", field="ledgerSize")

        def read() -> CreditPool:
            with ctx.services.store.read() as session:
                total, used = credit_ops.balance(session, ctx.principal.organization_id)
                rows = credit_ops.ledger(session, ctx.principal.organization_id, ledger_size)
                found = audit(session, ctx.principal.organization_id)
            return CreditPool(
                total=total,
                used=used,
                available=total - used,
                ledger=[LedgerEntry.of(r) for r in rows],
                audit=CreditAuditInfo(
                    consistent=found.consistent,
                    pool_used=found.pool_used,
                    held_by_connections=found.held_by_connections,
                    ledger_used=found.ledger_used,
                ),
            )

        return await ctx.services.store.run(read)

    @strawberry.field(
        description="The organization's connections, oldest first, filtered by status and metadata; paged the Relay way "
        "(first/after forward, last/before backward)."
    )
    async def connections(
        self,
        info: strawberry.Info,
        status: Annotated[
            Optional[ConnectionStatus], strawberry.argument(description="Only connections in this status.")
        ] = None,
        metadata: Annotated[
            Optional[JSON],
            strawberry.argument(
                description="{key: value} strings: only connections whose metadata has every one of them."
            ),
        ] = None,
        first: Annotated[Optional[int], strawberry.argument(description=paging.FIRST)] = None,
        after: Annotated[Optional[str], strawberry.argument(description=paging.AFTER)] = None,
        last: Annotated[Optional[int], strawberry.argument(description=paging.LAST)] = None,
        before: Annotated[Optional[str], strawberry.argument(description=paging.BEFORE)] = None,
        offset: Annotated[
            int,
            strawberry.argument(
                description="Rows to skip before a forward page.",
                deprecation_reason="Use `after` with the previous page's pageInfo.endCursor.",
            ),
        ] = 0,
    ) -> Optional[paging.List[Connection]]:
        ctx = _ctx(info)
        window = paging.Window(first, after, last, before, offset)
        wanted = _string_map(metadata, "metadata")
        organization_id = ctx.principal.organization_id

        def read() -> paging.Page[ConnectionRow]:
            query = select(ConnectionRow).where(ConnectionRow.organization_id == organization_id)
            if status:
                query = query.where(ConnectionRow.status == status.value)
            columns = (ConnectionRow.created_at, ConnectionRow.id)
            with ctx.services.store.read() as session:
                for key, value in wanted.items():
                    query = query.where(_metadata_is(session.get_bind().dialect.name, key, value))
                return paging.keyset_page(session, query, "connection", columns, lambda r: (r.created_at, r.id), window)

        page = await ctx.services.store.run(read)
        return paging.listing(page, [Connection.of(r) for r in page.rows])

    @strawberry.field(description="One of the organization's connections (NOT_FOUND otherwise).")
    async def connection(self, info: strawberry.Info, id: ConnectionId) -> Optional[Connection]:
        ctx = _ctx(info)
        row = await ctx.services.store.run(ctx.services.connections.get, ctx.principal.organization_id, str(id))
        return Connection.of(row)


@strawberry.type(description="Changes to the organization's connections, connect sessions, webhooks and admin key.")
class Mutation:
    @strawberry.mutation(
        description="Check the credentials against the system, then create the connection and consume its credits."
    )
    async def create_connection(
        self,
        info: strawberry.Info,
        input: Annotated[CreateConnectionInput, strawberry.argument(description="The connection to create.")],
    ) -> Optional[CreateConnectionPayload]:
        ctx = _ctx(info)
        request = NewConnection(
            system=input.system,
            hosting=input.hosting.value,
            name=input.name,
            credentials=_string_map(input.credentials, "credentials"),
            instance_url=input.instance_url,
            metadata=_string_map(input.metadata, "metadata"),
            agent_id=input.agent_id and str(input.agent_id),
            agent_credentials=input.agent_credentials,
        )
        row, token = await ctx.services.connections.create(ctx.principal.organization_id, request)
        changes = {
            "system": request.system,
            "hosting": request.hosting,
            "name": request.name,
            "instanceUrl": request.instance_url and scrub_url(request.instance_url),
            "metadata": request.metadata,
            "loginFields": sorted(request.credentials),
            "agentId": request.agent_id,
            "agentCredentials": request.agent_credentials,
        }
        await audited(ctx, AuditAction.CONNECTION_CREATE, Target("CONNECTION", row.id), changes)
        return CreateConnectionPayload(connection=Connection.of(row), token=token)

    @strawberry.mutation(description="Sync now: incremental, or a full pass that also finds deleted records.")
    async def trigger_sync(
        self,
        info: strawberry.Info,
        id: ConnectionId,
        full: Annotated[
            bool, strawberry.argument(description="A full pass (finds deleted records) instead of an incremental one.")
        ] = False,
    ) -> Optional[Connection]:
        ctx = _ctx(info)
        await ctx.services.connections.trigger_sync(ctx.principal.organization_id, str(id), full)
        await audited(ctx, AuditAction.CONNECTION_SYNC, Target("CONNECTION", str(id)), {"full": full})
        row = await ctx.services.store.run(ctx.services.connections.get, ctx.principal.organization_id, str(id))
        return Connection.of(row)

    @strawberry.mutation(description="Disconnect: the token stops working and the credits return to the pool.")
    async def disconnect(self, info: strawberry.Info, id: ConnectionId) -> Optional[Connection]:
        ctx = _ctx(info)
        row = await ctx.services.connections.disconnect(ctx.principal.organization_id, str(id))
        await audited(ctx, AuditAction.CONNECTION_DISCONNECT, Target("CONNECTION", row.id))
        return Connection.of(row)


@strawberry.type(description="Events of the organization's connections, over WebSocket (graphql-transport-ws).")
class Subscription:
    @strawberry.subscription(description="Status changes of the organization's connections (or one of them).")
    async def connection_status_changed(
        self, info: strawberry.Info, connection_id: WatchedConnection = None
    ) -> AsyncGenerator[ConnectionStatusEvent, None]:
        ctx = _ctx(info)
        await _visible(ctx, connection_id)
        events = ctx.services.bus.subscribe(
            ctx.principal.organization_id, connection_id and str(connection_id), STATUS_EVENTS
        )
        async for message in events:
            yield status_event(message)

    @strawberry.subscription(description="Sync completions and failures of the organization's connections.")
    async def sync_events(
        self, info: strawberry.Info, connection_id: WatchedConnection = None
    ) -> AsyncGenerator[SyncEvent, None]:
        ctx = _ctx(info)
        await _visible(ctx, connection_id)
        events = ctx.services.bus.subscribe(
            ctx.principal.organization_id, connection_id and str(connection_id), SYNC_EVENTS
        )
        async for message in events:
            yield sync_event(message)


async def _visible(ctx: RequestContext, connection_id: strawberry.ID | None) -> None:
    """A subscription to one connection: refused (NOT_FOUND) unless it is the organization's own."""
    if connection_id is not None:
        await ctx.services.store.run(ctx.services.connections.get, ctx.principal.organization_id, str(connection_id))


admin_schema = strawberry.Schema(
    query=merge_types(
        "Query",
        (Query, WebhookQuery, ConnectQuery, CustomQuery, OrganizationQuery, RequestLogQuery, AuditQuery, AgentQuery),
    ),
    mutation=merge_types(
        "Mutation",
        (
            Mutation,
            WebhookMutation,
            ConnectMutation,
            CustomMutation,
            AdminKeyMutation,
            OrganizationMutation,
            AgentMutation,
        ),
    ),
    subscription=Subscription,
)

# The merged root types, and the types shared with the data schemas (defined without texts in gateway.graphql.builder).
SHARED_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "Query": {
        "": "The organization's catalog, credits, connections, connect sessions, webhooks and connection settings."
    },
    "Mutation": {"": "Changes to the organization's connections, connect sessions, webhooks and admin key."},
    "EntitySyncStatus": {
        "": "One entity's sync into the gateway's replica.",
        "entity": "The unified entity (WorkOrder, Asset, …).",
        "state": "Where the sync stands: IDLE, RUNNING, SUCCEEDED, FAILED or UNAVAILABLE.",
        "mode": "The kind of the last run: incremental, or a full pass that also finds deleted records.",
        "lastStartedAt": "When the last run started.",
        "lastSucceededAt": "When a run last succeeded.",
        "lastError": "Why the last run failed.",
        "nextRunAt": "When the next run is due.",
        "recordsSynced": "Records the replica holds for this entity.",
        "retryAt": "When a failed run is retried (its own backoff).",
    },
    "ConnectionStatusEvent": {
        "": "A change of a connection's status.",
        "id": "The event's id (the webhook event id too).",
        "connectionId": "The connection whose status changed.",
        "status": "The new status.",
        "previousStatus": "The status before (null for a new connection).",
        "reason": "Why, when known (e.g. the system's refusal).",
        "at": "When it changed.",
    },
    "SyncEvent": {
        "": "A sync that completed or failed.",
        "id": "The event's id (the webhook event id too).",
        "connectionId": "The connection that synced.",
        "type": "SYNC_COMPLETED or SYNC_FAILED.",
        "at": "When.",
        "data": "The webhook event's data: entities, counts, error.",
    },
}


def _describe_shared(schema: strawberry.Schema) -> None:
    """Fill the texts the shared types lack in the admin schema (the data schemas fill theirs on build)."""
    for type_name, texts in SHARED_DESCRIPTIONS.items():
        graphql_type = schema._schema.type_map[type_name]
        graphql_type.description = graphql_type.description or texts[""]
        for field_name, field in graphql_type.fields.items():  # type: ignore[attr-defined]
            field.description = field.description or texts.get(field_name)


_describe_shared(admin_schema)
