"""An agent going offline or coming back, as its connections' statuses and syncs.

Offline: each connection it serves becomes UNREACHABLE with that reason (the
same events and webhooks as any outage); their syncs then fail fast and back
off. Back: each such connection gets a sync at once, whose success returns it
to ACTIVE, so recovery is observed on the system itself, not assumed.
"""

from __future__ import annotations

from sqlmodel import Session

from ..events.bus import EventBus
from ..status import ACTIVE, DEGRADED, UNREACHABLE, locked, set_status
from ..store.agent_tables import Agent
from ..store.engine import Store
from ..store.event_tables import Event
from ..sync import schedule
from . import registry
from .session import offline


class Presence:
    def __init__(self, store: Store, bus: EventBus) -> None:
        self.store = store
        self.bus = bus

    async def offline(self, agent_id: str, name: str) -> None:
        reason = offline(name)

        def mark() -> list[Event]:
            events: list[Event] = []
            with self.store.write() as session:
                # Locked: a socket attaching now waits, and then finds these UNREACHABLE to resume.
                agent = session.get(Agent, agent_id, with_for_update=True, populate_existing=True)
                if agent is not None and agent.holder is not None:
                    return []  # a newer socket took the agent since this one let go: not offline
                for connection_id in registry.serving(session, agent_id):
                    connection = locked(session, connection_id)
                    if connection is not None and connection.status in (ACTIVE, DEGRADED):
                        events += set_status(session, self.bus, connection, UNREACHABLE, reason)
            return events

        await self.bus.publish(*await self.store.run(mark))

    async def online(self, agent_id: str) -> None:
        def resume() -> None:
            with self.store.write() as session:
                for connection_id in registry.serving(session, agent_id):
                    _resume(session, connection_id)

        await self.store.run(resume)


def _resume(session: Session, connection_id: str) -> None:
    connection = locked(session, connection_id)
    if connection is not None and connection.status == UNREACHABLE:
        schedule.request(session, connection_id, full=False)
