"""The one event bus: record an event with its webhook deliveries, then broadcast it.

`record` runs inside the caller's transaction, so an event exists exactly when
the change it reports was committed; `publish` runs after the commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlmodel import Session, col, select

from ..store.event_tables import Event, WebhookDelivery, WebhookEndpoint
from .broker import Broker
from .records import without_record

EVENT_TYPES = (
    "connection.created",
    "connection.status_changed",
    "connection.reauth_required",
    "connection.disconnected",
    "sync.completed",
    "sync.failed",
    "record.changed",
    "record.deleted",
    "webhook.test",
)
OPT_IN = frozenset({"record.changed", "record.deleted"})  # sent only to endpoints that ask for them by name


def wants(endpoint: WebhookEndpoint, event_type: str) -> bool:
    if event_type in endpoint.events:
        return True
    return event_type not in OPT_IN and (not endpoint.events or "*" in endpoint.events)


def as_message(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "createdAt": event.created_at.isoformat(),
        "organizationId": event.organization_id,
        "connectionId": event.connection_id,
        "data": event.data,
    }


class EventBus:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self._after_publish: list[Callable[[], Awaitable[None]]] = []

    def after_publish(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run `hook` after each publish (the webhook deliverer: no wait for the next tick)."""
        self._after_publish.append(hook)

    def record(
        self,
        session: Session,
        organization_id: str,
        event_type: str,
        data: dict[str, Any],
        connection_id: str | None = None,
    ) -> Event:
        event = Event(organization_id=organization_id, connection_id=connection_id, type=event_type, data=data)
        session.add(event)
        session.flush()
        endpoints = session.exec(
            select(WebhookEndpoint).where(
                WebhookEndpoint.organization_id == organization_id,
                col(WebhookEndpoint.deleted_at).is_(None),
            )
        )
        for endpoint in endpoints:
            if wants(endpoint, event_type):
                session.add(WebhookDelivery(endpoint_id=endpoint.id, event_id=event.id))
        return event

    def has_listeners(self, session: Session, organization_id: str, event_type: str) -> bool:
        """Whether an opt-in event is worth recording at all."""
        endpoints = session.exec(
            select(WebhookEndpoint).where(
                WebhookEndpoint.organization_id == organization_id,
                col(WebhookEndpoint.deleted_at).is_(None),
            )
        )
        return any(event_type in e.events for e in endpoints)

    def wants_records(self, session: Session, organization_id: str) -> bool:
        """Whether some endpoint takes `record.changed` with the whole record (worth capturing it)."""
        endpoints = session.exec(
            select(WebhookEndpoint).where(
                WebhookEndpoint.organization_id == organization_id,
                col(WebhookEndpoint.deleted_at).is_(None),
                col(WebhookEndpoint.include_record).is_(True),
            )
        )
        return any("record.changed" in e.events for e in endpoints)

    async def publish(self, *events: Event) -> None:
        for event in events:
            # The record is a webhook endpoint's option: subscribers see the same event data either way.
            await self.broker.publish({**as_message(event), "data": without_record(event.data)})
        if events:
            await self.poke()

    async def poke(self) -> None:
        """Something new to deliver (an event, a redelivery): run the hooks now."""
        for hook in self._after_publish:
            await hook()

    async def subscribe(
        self, organization_id: str, connection_id: str | None = None, types: frozenset[str] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Live events of one organization (or one of its connections)."""
        async for message in self.broker.subscribe():
            if message["type"] not in EVENT_TYPES:  # the channel also carries control messages (revocations)
                continue
            if message["organizationId"] != organization_id:
                continue
            if connection_id and message["connectionId"] != connection_id:
                continue
            if types and message["type"] not in types:
                continue
            yield message
