"""Revoked credentials close open WebSockets, on every gateway process.

A token rotation, a disconnect or a retired admin key is committed first, then
announced on the event bus (through Redis to every process when configured).
The announcement names an organization and a connection, never a credential:
each process re-reads, in one query, whether the credentials of its sockets
concerned still authenticate, and closes those that do not. A late or lost
announcement is covered twice: every socket operation authenticates afresh
(as an HTTP request does), and every `SWEEP_INTERVAL` all sockets are re-checked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any, Protocol

from .. import auth
from ..auth import Principal
from ..store.engine import DatabaseUnavailable, Store
from .broker import Broker, listen
from .bus import EventBus

log = logging.getLogger("plantgate.events")
KIND = "credentials.revoked"
SWEEP_INTERVAL = 30.0


async def publish(bus: EventBus, organization_id: str, connection_id: str | None = None) -> None:
    """After the commit: credentials of `connection_id` (None: of the organization's admin keys) were revoked.

    Never raises: the revocation is committed, and sockets notice it on their next operation anyway.
    """
    try:
        await bus.broker.publish({"type": KIND, "organizationId": organization_id, "connectionId": connection_id})
    except Exception:
        log.warning("could not announce a revocation; open sockets re-check it on their next operation", exc_info=True)


async def retire_admin_key(store: Store, bus: EventBus, organization_id: str, key_id: str) -> bool:
    """Revoke one of the organization's admin keys and close the sockets it opened; False if none such."""
    retired = await store.run(auth.revoke_admin_key, store, organization_id, key_id)
    if retired:
        await publish(bus, organization_id)
    return retired


class Socket(Protocol):
    """An authenticated socket as the registry sees it."""

    @property
    def principal(self) -> Principal: ...

    @property
    def digest(self) -> str: ...  # hash of the credential it authenticated with

    async def revoke(self) -> None: ...  # stop its operations and close it with 4403


def concerns(message: dict[str, Any], principal: Principal) -> bool:
    """Whether an announcement may affect a socket of `principal` (admin keys: connectionId None)."""
    return message["organizationId"] == principal.organization_id and message["connectionId"] == principal.connection_id


class OpenSockets:
    """This process's authenticated sockets; listens for revocations while it has any."""

    def __init__(self, store: Store, broker: Broker, sweep_interval: float = SWEEP_INTERVAL) -> None:
        self.store = store
        self.broker = broker
        self.sweep_interval = sweep_interval
        self._sockets: set[Socket] = set()
        self._tasks: list[asyncio.Task[None]] = []

    def add(self, socket: Socket) -> None:
        self._sockets.add(socket)
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._sweep())]

    def discard(self, socket: Socket) -> None:
        self._sockets.discard(socket)
        if not self._sockets:
            for task in self._tasks:
                task.cancel()
            self._tasks = []

    async def recheck(self, sockets: Iterable[Socket]) -> None:
        """Close those of `sockets` whose credential no longer authenticates (one database read)."""
        sockets = list(sockets)
        if not sockets:
            return
        try:
            valid = await self.store.run(auth.still_valid, self.store, {s.digest for s in sockets})
        except DatabaseUnavailable:
            return  # an outage is no revocation; the store logs it once, and the next re-check reads again
        except Exception:
            log.warning("could not re-check the credentials of open sockets", exc_info=True)
            return
        for socket in sockets:
            if socket.digest not in valid:
                await socket.revoke()

    async def _listen(self) -> None:
        await listen(self.broker, KIND, self._revoked, "revocation")

    async def _revoked(self, message: dict[str, Any]) -> None:
        await self.recheck([s for s in self._sockets if concerns(message, s.principal)])

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval)
            await self.recheck(list(self._sockets))
