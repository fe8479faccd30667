"""Routes calls to agents: down a socket this process holds, or through the relay to the one that does.

The hub also enforces, on the gateway's side, what the agent checks again on
its own: a call goes only to the agent of the connection's organization, for a
connection routed through it. A revoked key closes its socket on every process
within the broker's delivery time (and at the latest on its next heartbeat).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket

from schema.errors import BadUserInput, SystemUnreachable

from ..events.broker import listen
from ..events.bus import EventBus
from ..settings import Settings
from ..store.agent_tables import Agent
from ..store.engine import Store
from . import protocol, registry
from .presence import Presence
from .relay import Relay
from .session import AgentSession, Sink, offline
from .stream import CallStream

log = logging.getLogger("plantgate.agents")
REVOKED_KIND = "agent.revoked"
REPLACED_REASON = "another agent process connected with this key"


class AgentOffline(SystemUnreachable):
    """No gateway process holds the agent's socket now: the call was not sent."""


@dataclass(frozen=True)
class Route:
    """Where a connection's calls go: its agent, and whose they are."""

    agent_id: str
    organization_id: str
    connection_id: str | None  # None: credentials checked before the connection exists
    credentials: str | None = None  # the name of credentials kept in the plant


class AgentHub:
    def __init__(self, store: Store, bus: EventBus, settings: Settings) -> None:
        self.store = store
        self.bus = bus
        self.settings = settings
        self.process = uuid.uuid4().hex
        self.sessions: dict[str, AgentSession] = {}
        self.presence = Presence(store, bus)
        self.relay = Relay(settings.redis_url, self.process, self.deliver) if settings.redis_url else None
        self._listener: asyncio.Task[None] | None = None

    # -- sockets ---------------------------------------------------------------

    async def attach(self, websocket: WebSocket, agent: Agent, version: str) -> AgentSession | None:
        """Take the agent's socket for this process (None: its key was revoked meanwhile)."""
        holder = f"{self.process}/{uuid.uuid4().hex}"
        if not await self.store.run(self._attach, agent.id, agent.key_hash, holder, version):
            return None
        assigned = await self.store.run(self._serving, agent.id)
        session = AgentSession(
            websocket,
            agent.id,
            agent.organization_id,
            agent.name,
            agent.key_hash,
            holder,
            self.settings.agent_max_calls,
            set(assigned),
        )
        older = self.sessions.get(agent.id)
        self.sessions[agent.id] = session
        if older is not None:
            older.fail_all()
            with contextlib.suppress(Exception):
                await older.websocket.close(protocol.REPLACED, REPLACED_REASON)
        if self.relay is not None:
            await self.relay.start()
        self._listen()
        await self.presence.online(agent.id)
        return session

    async def detach(self, session: AgentSession) -> None:
        session.fail_all()
        if self.sessions.get(session.agent_id) is session:
            del self.sessions[session.agent_id]
        if await self.store.run(self._detach, session.agent_id, session.holder):
            await self.presence.offline(session.agent_id, session.name)

    async def beat(self, session: AgentSession) -> int | None:
        """Record a heartbeat; the close code for a socket that no longer holds the agent (None: it does)."""
        return await self.store.run(self._beat, session.agent_id, session.key_hash, session.holder)

    def _attach(self, agent_id: str, key_hash: str, holder: str, version: str) -> bool:
        with self.store.write() as session:
            return registry.attach(session, agent_id, key_hash, holder, version)

    def _detach(self, agent_id: str, holder: str) -> bool:
        with self.store.write() as session:
            return registry.detach(session, agent_id, holder)

    def _beat(self, agent_id: str, key_hash: str, holder: str) -> int | None:
        with self.store.write() as session:
            if registry.beat(session, agent_id, key_hash, holder):
                return None
            return protocol.REPLACED if registry.keyed(session, agent_id, key_hash) else protocol.REVOKED

    def _serving(self, agent_id: str) -> list[str]:
        with self.store.read() as session:
            return registry.serving(session, agent_id)

    # -- calls -----------------------------------------------------------------

    async def call(self, route: Route, request: dict[str, Any], purpose: str | None = None) -> CallStream:
        """Send one HTTP request (method, url, headers, body, timeout) to the route's agent."""
        call_id = uuid.uuid4().hex
        frame = protocol.frame(
            "call",
            id=call_id,
            organizationId=route.organization_id,
            connectionId=route.connection_id,
            purpose=purpose or (protocol.CALL if route.connection_id else protocol.CHECK),
            credentials=route.credentials,
            **request,
        )
        if route.agent_id in self.sessions:
            stream = CallStream(call_id, self._forget_local(route.agent_id), self.settings.agent_max_payload_bytes)
            await self.deliver(route.agent_id, frame, stream.put)
            return stream
        holder, name = await self.store.run(self._holder, route.agent_id)
        if holder is None:
            raise AgentOffline(offline(name))
        if self.relay is None:
            raise AgentOffline(
                "the agent is connected to another gateway process; calls reach it through Redis (PLANTGATE_REDIS_URL)"
            )
        stream = CallStream(call_id, self.relay.forget, self.settings.agent_max_payload_bytes)
        await self.relay.forward(holder, route.agent_id, frame, stream.put)
        return stream

    async def plant_fields(self, route: Route) -> list[str]:
        """The field names (never the values) of the login the route names, as its agent holds it."""
        request = {"method": "GET", "url": "", "headers": [], "body": "", "timeout": 10.0}
        stream = await self.call(route, request, protocol.DESCRIBE)
        try:
            frames = [await stream.next(10.0)]
            while frames[-1].get("type") not in ("end", "error"):
                frames.append(await stream.next(10.0))
        except TimeoutError:
            raise SystemUnreachable("the on-premises agent did not answer in time") from None
        finally:
            stream.close()
        if frames[-1]["type"] == "error":
            raise BadUserInput(str(frames[-1].get("message")), field="agentCredentials")
        body = b"".join(protocol.decode(f.get("data") or "") for f in frames if f.get("type") == "chunk")
        return [str(name) for name in json.loads(body)["fields"]]

    async def deliver(self, agent_id: str, frame: dict[str, Any], sink: Sink) -> None:
        """Send a call down this process's socket of the agent, after the gateway's own checks."""
        call_id = frame["id"]
        session = self.sessions.get(agent_id)
        if session is None:
            sink(protocol.error(call_id, protocol.OFFLINE, "the on-premises agent went offline"))
            return
        refusal = await self._refusal(session, frame)
        if refusal is not None:
            sink(protocol.error(call_id, protocol.REFUSED_CALL, refusal))
            return
        await session.start(frame, sink)

    async def _refusal(self, session: AgentSession, frame: dict[str, Any]) -> str | None:
        if frame.get("organizationId") != session.organization_id:
            return "the agent serves another organization"
        connection = frame.get("connectionId")
        if connection is None or connection in session.assigned:
            return None
        if not await self.store.run(self._serves, session, connection):
            return f"connection {connection} is not routed through agent '{session.name}'"
        await session.assign(session.assigned | {connection})  # routed through it since the socket opened
        return None

    def _serves(self, agent: AgentSession, connection_id: str) -> bool:
        with self.store.read() as session:
            return registry.serves(session, agent.agent_id, agent.organization_id, connection_id)

    def _holder(self, agent_id: str) -> tuple[str | None, str]:
        """The process holding the agent's socket if it still beats, and the agent's name."""
        with self.store.read() as session:
            agent = session.get(Agent, agent_id)
            if agent is None:
                return None, agent_id
            if not registry.online(agent, self.settings.agent_heartbeat_interval):
                return None, agent.name
            return (agent.holder or "").split("/", 1)[0] or None, agent.name

    def _forget_local(self, agent_id: str) -> Callable[[str], None]:
        def forget(call_id: str) -> None:
            session = self.sessions.get(agent_id)
            if session is not None:
                session.cancel(call_id)

        return forget

    # -- revocation ------------------------------------------------------------

    async def revoked(self, agent_id: str) -> None:
        """After the commit of a rotation or deletion: close the agent's socket wherever it is."""
        await self._close(agent_id)
        try:
            await self.bus.broker.publish({"type": REVOKED_KIND, "agentId": agent_id})
        except Exception:
            log.warning("could not announce an agent key revocation; its next heartbeat closes it", exc_info=True)

    async def _close(self, agent_id: str) -> None:
        session = self.sessions.get(agent_id)
        if session is not None:
            with contextlib.suppress(Exception):
                await session.websocket.close(protocol.REVOKED, "the agent key was revoked")

    def _listen(self) -> None:
        if self._listener is None or self._listener.done():
            self._listener = asyncio.create_task(self._revocations())

    async def _revocations(self) -> None:
        await listen(self.bus.broker, REVOKED_KIND, self._revoked, "agent revocation")

    async def _revoked(self, message: dict[str, Any]) -> None:
        await self._close(str(message.get("agentId")))

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        for session in list(self.sessions.values()):
            session.fail_all()
            with contextlib.suppress(Exception):
                await session.websocket.close(1001, "the gateway is shutting down")
        if self.relay is not None:
            await self.relay.aclose()
