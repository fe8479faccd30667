"""Live connector instances: one per connection, each with its own pooled HTTP client.

A connector replaced (new credentials or settings) or evicted is closed only
after `RETIRE_AFTER` seconds, so the live reads still using it finish; a sync
opens a connector of its own for its run (`open`), closed when the run ends.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace

import httpx

from connectors.base import ConnectionConfig, Connector
from connectors.http import HttpPolicy, redact
from connectors.registry import connector_class
from schema.errors import NotFound, PlantgateError

from .agents.hub import AgentHub, Route
from .agents.transport import AgentTransport
from .customization import extension_of
from .netguard import NetGuard
from .requestlog import kinds
from .requestlog.recorder import BODY_SETTING, Owner, RequestLog
from .secrets import CredentialVault
from .store.tables import Connection

RETIRE_AFTER = 60.0  # longer than any live read's upstream calls take


class ConnectorPool:
    """Keeps connectors warm (login sessions, keep-alive sockets), least recently used evicted."""

    def __init__(
        self,
        vault: CredentialVault,
        policy: HttpPolicy,
        guard: NetGuard | None = None,
        max_size: int = 1000,
        log: RequestLog | None = None,
        agents: AgentHub | None = None,
    ) -> None:
        self.vault = vault
        self.agents = agents
        self.policy = policy
        self.guard = guard
        self.max_size = max_size
        self.log = log
        self._live: OrderedDict[str, tuple[str, Connector]] = OrderedDict()
        self._lock = asyncio.Lock()
        self._retiring: dict[asyncio.Task[None], Connector] = {}

    def build(
        self,
        system: str,
        config: ConnectionConfig,
        owner: Owner | None = None,
        kind: kinds.CallKind = kinds.LIVE_READ,
        bodies: bool = False,
        route: Route | None = None,
    ) -> Connector:
        """A connector whose calls are logged for `owner` (as `kind` unless the caller says otherwise),
        sent through the on-premises agent of `route` when there is one."""
        cls = connector_class(system)
        if cls is None:
            raise NotFound(f"unknown system '{system}'")
        secrets = tuple(config.credentials.get(f.name) or "" for f in cls.entry.credential_fields if f.secret)
        policy = replace(self.policy, redact=secrets)
        if route is not None:
            policy = replace(policy, transport=self._through_agent(route))
        if self.log is not None and owner is not None:
            policy = replace(policy, record=self.log.recorder(owner, kind, secrets), record_bodies=bodies)
        return cls(config, policy)

    def _through_agent(self, route: Route) -> Callable[[httpx.Limits], httpx.AsyncBaseTransport]:
        hub = self.agents
        if hub is None:
            raise RuntimeError("this gateway has no agent hub")
        return lambda limits: AgentTransport(hub, route, hub.settings.agent_max_payload_bytes)

    async def plant_fields(self, route: Route) -> list[str]:
        if self.agents is None:
            raise RuntimeError("this gateway has no agent hub")
        return await self.agents.plant_fields(route)

    async def check(
        self, system: str, config: ConnectionConfig, owner: Owner | None = None, route: Route | None = None
    ) -> None:
        """Refuse a forbidden instance URL, then try credentials with a throwaway connector.

        Through an agent, the agent judges the URL by the plant's policy, not this gateway's guard."""
        if self.guard and config.instance_url and route is None:
            https = config.hosting == "CLOUD"
            await self.guard.check_url(config.instance_url, field="instanceUrl", https_required=https)
        connector = self.build(system, config, owner, kinds.CHECK, route=route)
        try:
            await connector.check()
        except PlantgateError as exc:
            exc.message = redact(exc.message, connector.policy.redact)  # a vendor may echo what it was sent
            exc.args = (exc.message,)
            raise
        finally:
            await connector.aclose()

    def open(self, connection: Connection, kind: kinds.CallKind = kinds.SYNC) -> Connector:
        """A connector of the caller's own (a sync run), to be closed by the caller."""
        config = ConnectionConfig(
            connection.hosting,
            connection.instance_url,
            self.vault.decrypt(connection.credentials_encrypted),
            extension_of(connection),
            dict((connection.settings or {}).get("writeDefaults") or {}),
        )
        owner = Owner(connection.organization_id, connection.id)
        bodies = bool((connection.settings or {}).get(BODY_SETTING))
        route = None
        if connection.agent_id:
            route = Route(connection.agent_id, connection.organization_id, connection.id, connection.agent_credentials)
        return self.build(connection.system, config, owner, kind, bodies, route)

    async def get(self, connection: Connection) -> Connector:
        # The version changes with credentials and settings (updated_at), so the connector is rebuilt.
        version = f"{connection.updated_at.isoformat()}:{len(connection.credentials_encrypted)}"
        async with self._lock:
            cached = self._live.get(connection.id)
            if cached and cached[0] == version:
                self._live.move_to_end(connection.id)
                return cached[1]
            connector = self.open(connection, kinds.LIVE_READ)
            self._live[connection.id] = (version, connector)
            stale = [cached[1]] if cached else []
            while len(self._live) > self.max_size:
                stale.append(self._live.popitem(last=False)[1][1])
        for old in stale:
            self._retire(old)
        return connector

    def _retire(self, connector: Connector) -> None:
        """Close a replaced connector once the requests still using it are done."""

        async def later() -> None:
            await asyncio.sleep(RETIRE_AFTER)
            await connector.aclose()

        task = asyncio.create_task(later())
        self._retiring[task] = connector
        task.add_done_callback(lambda done: self._retiring.pop(done, None))

    async def evict(self, connection_id: str) -> None:
        async with self._lock:
            cached = self._live.pop(connection_id, None)
        if cached:
            self._retire(cached[1])

    async def aclose(self) -> None:
        async with self._lock:
            live, self._live = list(self._live.values()), OrderedDict()
        retiring, self._retiring = dict(self._retiring), {}
        for task in retiring:
            task.cancel()
        await asyncio.gather(*retiring, return_exceptions=True)
        for connector in [*retiring.values(), *(c for _, c in live)]:
            await connector.aclose()
