"""Live connector instances: one per connection, each with its own pooled HTTP client."""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from connectors.base import ConnectionConfig, Connector
from connectors.http import HttpPolicy
from connectors.registry import connector_class
from schema.errors import NotFound

from .secrets import CredentialVault
from .store.tables import Connection


class ConnectorPool:
    """Keeps connectors warm (login sessions, keep-alive sockets), least recently used evicted."""

    def __init__(self, vault: CredentialVault, policy: HttpPolicy, max_size: int = 1000) -> None:
        self.vault = vault
        self.policy = policy
        self.max_size = max_size
        self._live: OrderedDict[str, tuple[str, Connector]] = OrderedDict()
        self._lock = asyncio.Lock()

    def build(self, system: str, config: ConnectionConfig) -> Connector:
        cls = connector_class(system)
        if cls is None:
            raise NotFound(f"unknown system '{system}'")
        return cls(config, self.policy)

    async def check(self, system: str, config: ConnectionConfig) -> None:
        """Try credentials with a throwaway connector (nothing is kept)."""
        connector = self.build(system, config)
        try:
            await connector.check()
        finally:
            await connector.aclose()

    async def get(self, connection: Connection) -> Connector:
        # The version changes when credentials do, so a re-authorized connection gets a new client.
        version = f"{connection.updated_at.isoformat()}:{len(connection.credentials_encrypted)}"
        async with self._lock:
            cached = self._live.get(connection.id)
            if cached and cached[0] == version:
                self._live.move_to_end(connection.id)
                return cached[1]
            config = ConnectionConfig(
                connection.hosting,
                connection.instance_url,
                self.vault.decrypt(connection.credentials_encrypted),
            )
            connector = self.build(connection.system, config)
            self._live[connection.id] = (version, connector)
            stale = [cached[1]] if cached else []
            while len(self._live) > self.max_size:
                stale.append(self._live.popitem(last=False)[1][1])
        for old in stale:
            await old.aclose()
        return connector

    async def evict(self, connection_id: str) -> None:
        async with self._lock:
            cached = self._live.pop(connection_id, None)
        if cached:
            await cached[1].aclose()

    async def aclose(self) -> None:
        async with self._lock:
            live, self._live = list(self._live.values()), OrderedDict()
        for _, connector in live:
            await connector.aclose()
