"""The gateway's long-lived parts, built once from settings and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.http import HttpPolicy
from gateway.graphql.builder import SchemaCache

from .connections import ConnectionService
from .events.broker import make_broker
from .events.bus import EventBus
from .events.webhooks import WebhookService
from .graphql.shapes import field_sources
from .health import Health
from .metrics import observe_upstream
from .netguard import NetGuard
from .ratelimit import RateLimiter
from .replica_cache import PageCache
from .secrets import CredentialVault, load_or_create_key
from .settings import Settings
from .store.engine import Store, make_engine, migrate
from .upstream import ConnectorPool


@dataclass
class Services:
    settings: Settings
    store: Store
    pool: ConnectorPool
    connections: ConnectionService
    schemas: SchemaCache
    bus: EventBus
    health: Health
    webhooks: WebhookService
    guard: NetGuard
    limiter: RateLimiter
    pages: PageCache = field(default_factory=PageCache)  # replica pages served again while current

    @classmethod
    def start(cls, settings: Settings) -> Services:
        """Open (and migrate) the store and prepare the connector pool."""
        engine = make_engine(settings.effective_database_url)
        migrate(engine)
        store = Store(engine)
        vault = CredentialVault(load_or_create_key(settings.secret_key, settings.data_dir))
        guard = NetGuard(settings)
        policy = HttpPolicy(
            connect_timeout=settings.upstream_connect_timeout,
            read_timeout=settings.upstream_read_timeout,
            retries=settings.upstream_retries,
            max_connections=settings.upstream_concurrency,
            observe=observe_upstream,
            transport=guard.transport,
        )
        pool = ConnectorPool(vault, policy, guard)
        bus = EventBus(make_broker(settings.redis_url))
        connections = ConnectionService(store, pool, bus)
        health = Health(store, bus, settings)
        webhooks = WebhookService(store, vault, bus, guard, settings.webhook_rotation_overlap_hours)
        return cls(
            settings,
            store,
            pool,
            connections,
            SchemaCache(settings.schema_cache_size, field_sources()),
            bus,
            health,
            webhooks,
            guard,
            RateLimiter(settings),
            PageCache(settings.replica_cache_pages),
        )

    async def aclose(self) -> None:
        await self.pool.aclose()
        await self.bus.broker.aclose()
        self.store.close()
