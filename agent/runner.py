"""The agent's one socket to the gateway: dial out, say hello, heartbeat, serve calls, redial.

The gateway may be restarted or unreachable for a while: the agent redials
with exponential backoff and full jitter (so a fleet of agents does not return
at once), and gives up only when the gateway says its key is revoked.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from gateway.agents import protocol
from gateway.netguard import guarded_transport

from .caller import execute
from .credentials import PlantCredentials, bound
from .policy import PlantPolicy, within

log = logging.getLogger("plantgate.agent")


def agent_version() -> str:
    try:
        return version("plantgate")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree without install
        return "0"


def socket_url(gateway: str) -> str:
    """The agent route of a gateway given as its base URL (https://gw.example.com) or the route itself."""
    parts = urlsplit(gateway)
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError(f"'{gateway}' is not the gateway's http(s) or ws(s) URL")
    path = parts.path.rstrip("/")
    if not path.endswith(protocol.PATH):
        path += protocol.PATH
    return urlunsplit((scheme, parts.netloc, path, "", ""))


def backoff(failures: int, base: float, cap: float) -> float:
    """Full jitter: uniform up to base·2^failures, capped (the exponent too, so days offline cannot overflow)."""
    return random.uniform(0, min(cap, base * 2 ** min(failures, 32)))


class KeyRefused(Exception):
    """The gateway does not accept the agent key (wrong, rotated or deleted): redialling cannot help."""


class Replaced(Exception):
    """Another agent process connected with the same key: redialling would only take turns with it."""


@dataclass
class AgentConfig:
    gateway: str
    key: str
    policy: PlantPolicy
    credentials: PlantCredentials | None = None
    concurrency: int = 8  # calls in flight; more are answered `busy`
    max_bytes: int = 16 * 1024 * 1024  # per request body and per answer
    backoff_base: float = 1.0
    backoff_cap: float = 60.0


@dataclass
class Session:
    """What one socket knows: the connections it serves and when the gateway last answered."""

    socket: ClientConnection
    heartbeat: float
    organization_id: str
    assigned: set[str] = field(default_factory=set)
    last_heard: float = field(default_factory=time.monotonic)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    calls: set[asyncio.Task[None]] = field(default_factory=set)  # in flight on this socket

    async def send(self, frame: dict[str, Any]) -> None:
        async with self.lock:
            await self.socket.send(json.dumps(frame))


def _parsed(raw: str | bytes) -> dict[str, Any]:
    """A frame as a JSON object; anything else (not JSON, a list, a number) as an empty one."""
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError):
        return {}
    return message if isinstance(message, dict) else {}


def _names(connections: object) -> set[str]:
    if not isinstance(connections, list):
        raise TypeError("connections is not a list")
    return {c for c in connections if isinstance(c, str)}


class Agent:
    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.url = socket_url(config.gateway)
        self._slots = asyncio.Semaphore(config.concurrency)
        limits = httpx.Limits(max_connections=config.concurrency)
        self.client = httpx.AsyncClient(transport=guarded_transport(config.policy, limits), follow_redirects=False)

    async def run(self) -> None:
        """Serve until the key is refused (KeyRefused), another process takes over (Replaced), or cancelled."""
        failures = 0
        try:
            while True:
                served = await self._once()
                failures = 0 if served else failures + 1
                delay = backoff(failures, self.config.backoff_base, self.config.backoff_cap)
                log.info("redialling the gateway in %.1f s", delay)
                await asyncio.sleep(delay)
        finally:
            await self.client.aclose()

    async def _once(self) -> bool:
        """One socket's life; True if it got as far as serving (the backoff starts over)."""
        headers = {"Authorization": f"Bearer {self.config.key}", "User-Agent": f"plantgate-agent/{agent_version()}"}
        try:
            async with connect(
                self.url,
                additional_headers=headers,
                max_size=self.config.max_bytes * 2,
                ping_interval=None,  # the protocol's own heartbeat
                open_timeout=10,
            ) as socket:
                return await self._serve(socket)
        except InvalidStatus as exc:
            if exc.response.status_code in (401, 403):
                raise KeyRefused("the gateway refused the agent key") from None
            log.warning("the gateway answered %s to the agent's handshake", exc.response.status_code)
        except (OSError, ConnectionClosed, TimeoutError) as exc:
            if isinstance(exc, ConnectionClosed) and exc.rcvd and exc.rcvd.code == protocol.REVOKED:
                raise KeyRefused("the agent key was revoked") from None
            if isinstance(exc, ConnectionClosed) and exc.rcvd and exc.rcvd.code == protocol.REPLACED:
                raise Replaced("another agent process connected with this key; run one per key") from None
            log.warning("lost the gateway: %s", type(exc).__name__)
        return False

    async def _serve(self, socket: ClientConnection) -> bool:
        await socket.send(json.dumps(protocol.frame("hello", version=agent_version(), protocol=protocol.VERSION)))
        welcome = _parsed(await asyncio.wait_for(socket.recv(), 10))
        try:
            heartbeat, connections = float(welcome["heartbeat"]), welcome["connections"]
            session = Session(socket, heartbeat, str(welcome["organizationId"]), _names(connections))
        except (KeyError, TypeError, ValueError):
            log.warning("the gateway's first frame is no welcome; redialling")
            return False
        log.info(
            "connected to %s as agent %s, serving %d connection(s)",
            self.url,
            welcome.get("agentId"),
            len(session.assigned),
        )
        beating = asyncio.create_task(self._heartbeat(session))
        try:
            async for raw in socket:
                session.last_heard = time.monotonic()
                self._received(session, _parsed(raw))
        finally:
            # Calls of a closed socket cannot be answered: stop them, so they free their slots now.
            for task in [beating, *session.calls]:
                task.cancel()
            await asyncio.gather(beating, *session.calls, return_exceptions=True)
        return True

    def _received(self, session: Session, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "assign" and isinstance(message.get("connections"), list):
            session.assigned = _names(message["connections"])
        elif kind == "call" and isinstance(message.get("id"), str):
            task = asyncio.create_task(self._call(session, message))
            session.calls.add(task)
            task.add_done_callback(session.calls.discard)
        elif kind not in ("ack", "assign", "call"):
            log.warning("ignored a frame the agent does not know (%s)", str(kind)[:40])

    async def _call(self, session: Session, call: dict[str, Any]) -> None:
        try:
            await self._answer(session, call)
        except ConnectionClosed:
            pass  # the socket went: the gateway fails the call on its side
        except Exception as exc:  # a malformed call must not go unanswered
            log.warning("the agent could not make call %s", call["id"], exc_info=True)
            message = f"the agent could not make the call ({type(exc).__name__})"
            with contextlib.suppress(ConnectionClosed):
                await session.send(protocol.error(call["id"], protocol.REFUSED_CALL, message))

    async def _answer(self, session: Session, call: dict[str, Any]) -> None:
        call_id = call["id"]
        refusal = self._refusal(session, call)
        if refusal is not None:
            await session.send(protocol.error(call_id, protocol.REFUSED_CALL, refusal))
            return
        if call.get("purpose") == protocol.DESCRIBE:
            await self._describe(session, call)
            return
        if self._slots.locked():
            message = f"the agent is at its limit of {self.config.concurrency} calls in flight"
            await session.send(protocol.error(call_id, protocol.BUSY, message))
            return
        async with self._slots:
            credentials = None
            if call.get("credentials"):
                credentials, refusal = self._login(call)
                if refusal is not None:
                    await session.send(protocol.error(call_id, protocol.REFUSED_CALL, refusal))
                    return
            await execute(call, session.send, self.client, self.config.policy, credentials, self.config.max_bytes)

    async def _describe(self, session: Session, call: dict[str, Any]) -> None:
        """The field names of a login kept here, so the gateway knows which fields it need not hold."""
        entry = self._credentials(str(call.get("credentials") or ""))
        if entry is None:
            message = f"the agent has no credentials named '{call.get('credentials')}'"
            await session.send(protocol.error(call["id"], protocol.REFUSED_CALL, message))
            return
        body = json.dumps({"fields": sorted(bound(entry)[0])}).encode()
        await session.send(protocol.frame("response", id=call["id"], status=200, headers=[]))
        await session.send(protocol.frame("chunk", id=call["id"], data=protocol.encode(body)))
        await session.send(protocol.frame("end", id=call["id"]))

    def _refusal(self, session: Session, call: dict[str, Any]) -> str | None:
        """Why a call is refused before anything is dialled (None: it may go ahead)."""
        if call.get("organizationId") != session.organization_id:
            return "the call is for another organization's connection"
        connection = call.get("connectionId")
        if connection is None and call.get("purpose") not in (protocol.CHECK, protocol.DESCRIBE):
            return "a call names no connection"
        if connection is not None and connection not in session.assigned:
            return f"connection {connection} is not assigned to this agent"
        if len(call.get("body") or "") > self.config.max_bytes * 4 // 3 + 4:
            return f"the request body is larger than the agent's limit of {self.config.max_bytes} bytes"
        return None

    def _login(self, call: dict[str, Any]) -> tuple[dict[str, str], str | None]:
        """The fields of the login a call names, or why it is not filled into this call."""
        entry = self._credentials(call["credentials"])
        if entry is None:
            return {}, f"the agent has no credentials named '{call['credentials']}'"
        fields, instance = bound(entry)
        if instance is not None and not within(str(call.get("url")), instance):
            return {}, f"the credentials '{call['credentials']}' are only for {instance}"
        return fields, None

    def _credentials(self, name: str) -> dict[str, str] | None:
        if self.config.credentials is None:
            return None
        return self.config.credentials.load().get(name)

    async def _heartbeat(self, session: Session) -> None:
        """Tell the gateway the agent is alive; drop a socket the gateway stopped answering."""
        while True:
            await asyncio.sleep(session.heartbeat)
            if time.monotonic() - session.last_heard > 2 * session.heartbeat:
                log.warning("no answer from the gateway for %.0f s; redialling", 2 * session.heartbeat)
                await session.socket.close()
                return
            await session.send(protocol.frame("heartbeat"))
