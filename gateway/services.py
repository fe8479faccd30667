"""The gateway's long-lived parts, built once from settings and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio

from connectors.http import HttpPolicy
from gateway.graphql.builder import SchemaCache

from .agents.hub import AgentHub
from .audit import KeyUse
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
from .requestlog.recorder import RequestLog
from .requestlog.writer import RequestLogWriter
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
    requests: RequestLog
    agents: AgentHub
    pages: PageCache = field(default_factory=PageCache)  # replica pages served again while current
    key_use: KeyUse = field(default_factory=KeyUse)  # admin keys recently recorded as used (audit.py)

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
        requests = RequestLog(
            RequestLogWriter(store, interval=settings.request_log_flush_interval), settings.request_log_body_bytes
        )
        bus = EventBus(make_broker(settings.redis_url))
        agents = AgentHub(store, bus, settings)
        pool = ConnectorPool(vault, policy, guard, log=requests, agents=agents)
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
            requests,
            agents,
            PageCache(settings.replica_cache_pages),
        )

    async def aclose(self) -> None:
        await self.agents.aclose()
        await self.pool.aclose()
        await self.bus.broker.aclose()
        await anyio.to_thread.run_sync(self.requests.close)  # what the last calls logged, before the store goes
        self.store.close()
