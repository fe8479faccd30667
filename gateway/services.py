"""The gateway's long-lived parts, built once from settings and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.http import HttpPolicy
from schema.builder import SchemaCache

from .connections import ConnectionService
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

    @classmethod
    def start(cls, settings: Settings) -> "Services":
        """Open (and migrate) the store and prepare the connector pool."""
        engine = make_engine(settings.effective_database_url)
        migrate(engine)
        store = Store(engine)
        vault = CredentialVault(load_or_create_key(settings.secret_key, settings.data_dir))
        policy = HttpPolicy(
            connect_timeout=settings.upstream_connect_timeout,
            read_timeout=settings.upstream_read_timeout,
            retries=settings.upstream_retries,
        )
        pool = ConnectorPool(vault, policy)
        return cls(settings, store, pool, ConnectionService(store, pool), SchemaCache())

    async def aclose(self) -> None:
        await self.pool.aclose()
        self.store.close()
