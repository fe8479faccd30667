"""Live connector instances: one per connection, each with its own pooled HTTP client."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import replace

from connectors.base import ConnectionConfig, Connector
from connectors.http import HttpPolicy, redact
from connectors.registry import connector_class
from schema.errors import NotFound, PlantgateError

from .netguard import NetGuard
from .customization import extension_of
from .secrets import CredentialVault
from .store.tables import Connection


class ConnectorPool:
    """Keeps connectors warm (login sessions, keep-alive sockets), least recently used evicted."""

    def __init__(
        self, vault: CredentialVault, policy: HttpPolicy, guard: NetGuard | None = None, max_size: int = 1000
    ) -> None:
        self.vault = vault
        self.policy = policy
        self.guard = guard
        self.max_size = max_size
        self._live: OrderedDict[str, tuple[str, Connector]] = OrderedDict()
        self._lock = asyncio.Lock()

    def build(self, system: str, config: ConnectionConfig) -> Connector:
        cls = connector_class(system)
        if cls is None:
            raise NotFound(f"unknown system '{system}'")
        secrets = tuple(config.credentials.get(f.name) or "" for f in cls.entry.credential_fields if f.secret)
        return cls(config, replace(self.policy, redact=secrets))

    async def check(self, system: str, config: ConnectionConfig) -> None:
        """Refuse a forbidden instance URL, then try credentials with a throwaway connector."""
        if self.guard and config.instance_url:
            https = config.hosting == "CLOUD"
            await self.guard.check_url(config.instance_url, field="instanceUrl", https_required=https)
        connector = self.build(system, config)
        try:
            await connector.check()
        except PlantgateError as exc:
            exc.message = redact(exc.message, connector.policy.redact)  # a vendor may echo what it was sent
            exc.args = (exc.message,)
            raise
        finally:
            await connector.aclose()

    async def get(self, connection: Connection) -> Connector:
        # The version changes with credentials and settings (updated_at), so the connector is rebuilt.
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
                extension_of(connection),
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
