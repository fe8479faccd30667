"""`/agent`: the WebSocket an on-premises agent dials, authenticated by its key at the handshake.

A bad key is refused before the socket opens (HTTP 403), so the agent knows
not to redial. Then: `hello` with the protocol version, `welcome` with the
connections it serves and the heartbeat interval, and frames until it closes,
misses two heartbeats, or its key is revoked (4403).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..auth import bearer
from ..store.agent_tables import Agent
from ..store.engine import DatabaseUnavailable, Store
from . import protocol, registry
from .hub import REPLACED_REASON, AgentHub
from .session import AgentSession

log = logging.getLogger("plantgate.agents")
ANSWERS = frozenset({"response", "chunk", "end", "error"})


class AgentEndpoint:
    def __init__(self, store: Store, hub: AgentHub) -> None:
        self.store = store
        self.hub = hub
        self.settings = hub.settings

    async def handle(self, websocket: WebSocket) -> None:
        key = bearer(websocket.headers.get("authorization")) or ""
        try:
            agent = await self.store.run(self._authenticate, key)
        except DatabaseUnavailable:
            await _unavailable(websocket)
            return
        if agent is None:
            await websocket.close(protocol.REVOKED)  # before accept: the handshake is answered 403
            return
        await websocket.accept()
        try:
            hello = await _receive(websocket, self.settings.ws_init_timeout, self.settings.agent_max_payload_bytes)
        except (TimeoutError, WebSocketDisconnect):
            hello = None
        if hello is None:
            await _close(websocket, protocol.REFUSED, "expected hello")
            return
        if hello.get("type") != "hello" or hello.get("protocol") != protocol.VERSION:
            await _close(websocket, protocol.REFUSED, f"this gateway speaks agent protocol {protocol.VERSION}")
            return
        session = await self.hub.attach(websocket, agent, str(hello.get("version") or "unknown"))
        if session is None:
            await _close(websocket, protocol.REVOKED, "the agent key was revoked")
            return
        log.info("agent '%s' (%s) connected", agent.name, agent.id)
        try:
            await session.send(
                protocol.frame(
                    "welcome",
                    agentId=agent.id,
                    organizationId=agent.organization_id,
                    heartbeat=self.settings.agent_heartbeat_interval,
                    connections=sorted(session.assigned),
                )
            )
            await self._serve(websocket, session)
        except WebSocketDisconnect:
            pass
        finally:
            log.info("agent '%s' (%s) disconnected", agent.name, agent.id)
            await self.hub.detach(session)

    async def _beat(self, session: AgentSession) -> int | None:
        """Record the heartbeat; the close code once the key is revoked or another socket took over.

        A store outage is neither: the socket stays.
        """
        try:
            return await self.hub.beat(session)
        except DatabaseUnavailable:
            return None

    def _authenticate(self, key: str) -> Agent | None:
        with self.store.read() as session:
            return registry.authenticate(session, key)

    async def _serve(self, websocket: WebSocket, session: AgentSession) -> None:
        silence = 2 * self.settings.agent_heartbeat_interval
        largest = self.settings.agent_max_payload_bytes * 2
        while True:
            try:
                frame = await _receive(websocket, silence, largest)
            except TimeoutError:
                await _close(websocket, 1001, "no heartbeat")
                return
            if frame is None:
                await _close(websocket, protocol.REFUSED, f"frames are JSON objects in text, {largest} bytes at most")
                return
            kind = frame.get("type")
            if kind in ANSWERS:
                session.received(frame)
            elif kind == "heartbeat":
                if (code := await self._beat(session)) is not None:
                    reason = REPLACED_REASON if code == protocol.REPLACED else "the agent key was revoked"
                    await _close(websocket, code, reason)
                    return
                try:
                    await session.send(protocol.frame("ack"))
                except Exception:  # closed meanwhile (a revocation from another task): the loop's end
                    return


async def _receive(websocket: WebSocket, timeout: float, largest: int) -> dict[str, Any] | None:
    """The next frame as a JSON object; None if it is none (binary, not JSON, an array, too large)."""
    message = await asyncio.wait_for(websocket.receive(), timeout)
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    if not isinstance(text, str) or len(text) > largest:
        return None
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return frame if isinstance(frame, dict) else None


async def _unavailable(websocket: WebSocket) -> None:
    """HTTP 503 at the handshake: the agent redials (a close before accept is a 403, which stops it)."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(PlainTextResponse("the database is unavailable", status_code=503))
    else:  # pragma: no cover - every server the gateway runs on has the extension
        await websocket.close(1013)


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await websocket.close(code, reason)
