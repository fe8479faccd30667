"""The admin schema's webhook part: endpoints, deliveries with their attempts, redeliver, test."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry
from strawberry.scalars import JSON

from ..store.event_tables import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .context import RequestContext


@strawberry.type
class WebhookAttemptInfo:
    attempted_at: datetime
    status_code: Optional[int]
    error: Optional[str]
    duration_ms: int


@strawberry.type(name="WebhookDelivery")
class WebhookDeliveryInfo:
    id: strawberry.ID
    event_id: str
    event_type: str
    event_data: JSON
    status: str
    attempts: int
    last_status_code: Optional[int]
    last_error: Optional[str]
    next_attempt_at: Optional[datetime]
    created_at: datetime
    delivered_at: Optional[datetime]
    log: list[WebhookAttemptInfo]

    @classmethod
    def of(cls, delivery: WebhookDelivery, event: Event | None = None, attempts: list[WebhookAttempt] = ()) -> "WebhookDeliveryInfo":  # type: ignore[assignment]
        return cls(
            id=strawberry.ID(delivery.id),
            event_id=delivery.event_id,
            event_type=event.type if event else "",
            event_data=event.data if event else {},
            status=delivery.status,
            attempts=delivery.attempts,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            next_attempt_at=delivery.next_attempt_at,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
            log=[
                WebhookAttemptInfo(attempted_at=a.attempted_at, status_code=a.status_code, error=a.error, duration_ms=a.duration_ms)
                for a in attempts
            ],
        )


@strawberry.type(name="WebhookEndpoint")
class WebhookEndpointInfo:
    id: strawberry.ID
    url: str
    events: list[str]
    created_at: datetime

    @strawberry.field(description="Newest deliveries first, with every attempt.")
    async def deliveries(self, info: strawberry.Info, first: int = 50) -> list[WebhookDeliveryInfo]:
        ctx: RequestContext = info.context
        rows = await ctx.services.store.run(
            ctx.services.webhooks.deliveries, ctx.principal.organization_id, str(self.id), min(max(first, 1), 200)
        )
        return [WebhookDeliveryInfo.of(d, e, a) for d, e, a in rows]

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> "WebhookEndpointInfo":
        return cls(id=strawberry.ID(endpoint.id), url=endpoint.url, events=list(endpoint.events), created_at=endpoint.created_at)


@strawberry.type
class WebhookEndpointCreated:
    endpoint: WebhookEndpointInfo
    secret: str = strawberry.field(description="The signing secret. Shown once: store it now.")


@strawberry.type
class WebhookQuery:
    @strawberry.field
    async def webhook_endpoints(self, info: strawberry.Info) -> list[WebhookEndpointInfo]:
        ctx: RequestContext = info.context
        rows = await ctx.services.store.run(ctx.services.webhooks.endpoints, ctx.principal.organization_id)
        return [WebhookEndpointInfo.of(e) for e in rows]


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description="Register an endpoint; events: types to send (empty or '*' = all but opt-in ones).")
    async def create_webhook_endpoint(
        self, info: strawberry.Info, url: str, events: Optional[list[str]] = None
    ) -> WebhookEndpointCreated:
        ctx: RequestContext = info.context
        endpoint, secret = await ctx.services.webhooks.create(ctx.principal.organization_id, url, events or [])
        return WebhookEndpointCreated(endpoint=WebhookEndpointInfo.of(endpoint), secret=secret)

    @strawberry.mutation(description="Replace an endpoint's signing secret; the new one is shown once and signs every delivery from now on.")
    async def rotate_webhook_secret(self, info: strawberry.Info, id: strawberry.ID) -> WebhookEndpointCreated:  # noqa: A002
        ctx: RequestContext = info.context
        endpoint, secret = await ctx.services.store.run(
            ctx.services.webhooks.rotate_secret, ctx.principal.organization_id, str(id)
        )
        return WebhookEndpointCreated(endpoint=WebhookEndpointInfo.of(endpoint), secret=secret)

    @strawberry.mutation
    async def delete_webhook_endpoint(self, info: strawberry.Info, id: strawberry.ID) -> bool:  # noqa: A002
        ctx: RequestContext = info.context
        await ctx.services.store.run(ctx.services.webhooks.delete_endpoint, ctx.principal.organization_id, str(id))
        return True

    @strawberry.mutation(description="Send a delivery's event again (same event id).")
    async def redeliver_webhook(self, info: strawberry.Info, delivery_id: strawberry.ID) -> WebhookDeliveryInfo:
        ctx: RequestContext = info.context
        delivery = await ctx.services.store.run(ctx.services.webhooks.redeliver, ctx.principal.organization_id, str(delivery_id))
        await ctx.services.bus.poke()
        return WebhookDeliveryInfo.of(delivery)

    @strawberry.mutation(description="Send a `webhook.test` event to one endpoint.")
    async def send_test_webhook(self, info: strawberry.Info, endpoint_id: strawberry.ID) -> WebhookDeliveryInfo:
        ctx: RequestContext = info.context
        delivery = await ctx.services.store.run(ctx.services.webhooks.send_test, ctx.principal.organization_id, str(endpoint_id))
        await ctx.services.bus.poke()
        return WebhookDeliveryInfo.of(delivery)
