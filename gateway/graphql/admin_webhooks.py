"""The admin schema's webhook part: endpoints, deliveries with their attempts, redeliver, test."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Optional

import strawberry
from sqlmodel import col, select
from strawberry.scalars import JSON

from ..audit import AuditAction, Target
from ..events import rotation
from ..events.records import without_record
from ..scrub import scrub_url
from ..store.event_tables import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from . import admin_paging as paging
from .admin_audit import audited
from .closed_sets import WebhookDeliveryStatus
from .context import RequestContext

EndpointId = Annotated[strawberry.ID, strawberry.argument(description="The endpoint's id.")]
INCLUDE_RECORD = (
    "Whether record.changed events carry the whole unified record (data.record, as it was when the change was "
    "synced) next to entity, remoteId and change."
)


@strawberry.type(description="One attempt to deliver an event.")
class WebhookAttemptInfo:
    attempted_at: datetime = strawberry.field(description="When the attempt was made.")
    status_code: Optional[int] = strawberry.field(description="The endpoint's HTTP status (null when no answer came).")
    error: Optional[str] = strawberry.field(description="Why the attempt failed (null on success).")
    duration_ms: int = strawberry.field(description="How long the attempt took, in milliseconds.")


@strawberry.type(
    name="WebhookDelivery",
    description="One event sent to one endpoint, retried with backoff until acknowledged or given up.",
)
class WebhookDeliveryInfo:
    id: strawberry.ID = strawberry.field(description="The delivery's id (for redeliverWebhook).")
    event_id: str = strawberry.field(
        description="The event's id, the same on every delivery of it (deduplicate on it)."
    )
    event_type: str = strawberry.field(description="The event's type, e.g. connection.created.")
    event_data: JSON = strawberry.field(
        description="The event's payload, as sent (record.changed shows the record only while the endpoint asks for it)."
    )
    status: WebhookDeliveryStatus = strawberry.field(description="Where the delivery stands.")
    attempts: int = strawberry.field(description="Attempts made so far.")
    last_status_code: Optional[int] = strawberry.field(description="The last attempt's HTTP status.")
    last_error: Optional[str] = strawberry.field(description="Why the last attempt failed.")
    next_attempt_at: Optional[datetime] = strawberry.field(
        description="When the next attempt is due (null once delivered or given up)."
    )
    created_at: datetime = strawberry.field(description="When the event was queued for this endpoint.")
    delivered_at: Optional[datetime] = strawberry.field(description="When the endpoint acknowledged it (2xx).")
    log: list[WebhookAttemptInfo] = strawberry.field(description="Every attempt, oldest first.")

    @classmethod
    def of(
        cls,
        delivery: WebhookDelivery,
        event: Event | None = None,
        attempts: Sequence[WebhookAttempt] = (),
        include_record: bool = False,
    ) -> WebhookDeliveryInfo:
        data = event.data if event else {}
        return cls(
            id=strawberry.ID(delivery.id),
            event_id=delivery.event_id,
            event_type=event.type if event else "",
            event_data=JSON(data if include_record else without_record(data)),
            status=WebhookDeliveryStatus(delivery.status),
            attempts=delivery.attempts,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            next_attempt_at=delivery.next_attempt_at,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
            log=[
                WebhookAttemptInfo(
                    attempted_at=a.attempted_at, status_code=a.status_code, error=a.error, duration_ms=a.duration_ms
                )
                for a in attempts
            ],
        )


@strawberry.type(name="WebhookEndpoint", description="A URL that receives the organization's events.")
class WebhookEndpointInfo:
    id: strawberry.ID = strawberry.field(description="The endpoint's id.")
    url: str = strawberry.field(description="Where events are POSTed (signed with the endpoint's secret).")
    events: list[str] = strawberry.field(description="Event types it receives (empty or '*': all but opt-in ones).")
    include_record: bool = strawberry.field(description=INCLUDE_RECORD)
    previous_secret_expires_at: Optional[datetime] = strawberry.field(
        description="Until when the secret replaced by the last rotation still signs deliveries, next to the new one "
        "(null: only the current secret signs)."
    )
    created_at: datetime = strawberry.field(description="When it was registered.")

    @strawberry.field(description="The newest deliveries first, with every attempt; deliveriesPage pages through all.")
    async def deliveries(
        self,
        info: strawberry.Info,
        first: Annotated[int, strawberry.argument(description="How many of the newest (1 to 200).")] = 50,
    ) -> list[WebhookDeliveryInfo]:
        ctx: RequestContext = info.context
        rows = await ctx.services.store.run(
            ctx.services.webhooks.deliveries, ctx.principal.organization_id, str(self.id), min(max(first, 1), 200)
        )
        return [WebhookDeliveryInfo.of(d, e, a, self.include_record) for d, e, a in rows]

    @strawberry.field(description="Deliveries to this endpoint, newest first, with every attempt; paged the Relay way.")
    async def deliveries_page(
        self,
        info: strawberry.Info,
        first: Annotated[Optional[int], strawberry.argument(description=paging.FIRST)] = None,
        after: Annotated[Optional[str], strawberry.argument(description=paging.AFTER)] = None,
        last: Annotated[Optional[int], strawberry.argument(description=paging.LAST)] = None,
        before: Annotated[Optional[str], strawberry.argument(description=paging.BEFORE)] = None,
    ) -> paging.List[WebhookDeliveryInfo]:
        ctx: RequestContext = info.context
        window = paging.Window(first, after, last, before)
        organization_id, endpoint_id = ctx.principal.organization_id, str(self.id)

        def read() -> tuple[paging.Page[tuple[WebhookDelivery, Event]], dict[str, list[WebhookAttempt]]]:
            query = (
                select(WebhookDelivery, Event)
                .join(Event, col(Event.id) == col(WebhookDelivery.event_id))
                .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
                .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookEndpoint.organization_id == organization_id)
            )
            columns = (WebhookDelivery.created_at, WebhookDelivery.id)
            with ctx.services.store.read() as session:
                page = paging.keyset_page(
                    session,
                    query,
                    "webhook_delivery",
                    columns,
                    lambda r: (r[0].created_at, r[0].id),
                    window,
                    descending=True,
                )
                attempts: dict[str, list[WebhookAttempt]] = {d.id: [] for d, _ in page.rows}
                if attempts:
                    for attempt in session.exec(
                        select(WebhookAttempt)
                        .where(col(WebhookAttempt.delivery_id).in_(attempts))
                        .order_by(col(WebhookAttempt.id))
                    ):
                        attempts[attempt.delivery_id].append(attempt)
                return page, attempts

        page, attempts = await ctx.services.store.run(read)
        return paging.listing(
            page, [WebhookDeliveryInfo.of(d, e, attempts[d.id], self.include_record) for d, e in page.rows]
        )

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> WebhookEndpointInfo:
        return cls(
            id=strawberry.ID(endpoint.id),
            url=endpoint.url,
            events=list(endpoint.events),
            include_record=endpoint.include_record,
            previous_secret_expires_at=endpoint.previous_secret_expires_at
            if rotation.live_previous(endpoint)
            else None,
            created_at=endpoint.created_at,
        )


def _endpoint(endpoint_id: str) -> Target:
    return Target("WEBHOOK_ENDPOINT", endpoint_id)


@strawberry.type(description="An endpoint and its signing secret.")
class WebhookEndpointCreated:
    endpoint: WebhookEndpointInfo = strawberry.field(description="The endpoint.")
    secret: str = strawberry.field(description="The signing secret. Shown once: store it now.")


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="The organization's webhook endpoints.")
    async def webhook_endpoints(self, info: strawberry.Info) -> Optional[list[WebhookEndpointInfo]]:
        ctx: RequestContext = info.context
        rows = await ctx.services.store.run(ctx.services.webhooks.endpoints, ctx.principal.organization_id)
        return [WebhookEndpointInfo.of(e) for e in rows]


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        description="Register an endpoint; events: types to send (empty or '*' = all but opt-in ones)."
    )
    async def create_webhook_endpoint(
        self,
        info: strawberry.Info,
        url: Annotated[str, strawberry.argument(description="Where to POST the events.")],
        events: Annotated[
            Optional[list[str]],
            strawberry.argument(description="Event types to send; empty or ['*']: all but opt-in ones."),
        ] = None,
        include_record: Annotated[bool, strawberry.argument(description=INCLUDE_RECORD)] = False,
    ) -> Optional[WebhookEndpointCreated]:
        ctx: RequestContext = info.context
        endpoint, secret = await ctx.services.webhooks.create(
            ctx.principal.organization_id, url, events or [], include_record
        )
        changes = {"url": scrub_url(endpoint.url), "events": endpoint.events, "includeRecord": include_record}
        await audited(ctx, AuditAction.WEBHOOK_CREATE, _endpoint(endpoint.id), changes)
        return WebhookEndpointCreated(endpoint=WebhookEndpointInfo.of(endpoint), secret=secret)

    @strawberry.mutation(description="Change what an endpoint receives; arguments left out keep their value.")
    async def update_webhook_endpoint(
        self,
        info: strawberry.Info,
        id: EndpointId,
        events: Annotated[
            Optional[list[str]],
            strawberry.argument(description="Event types to send; empty or ['*']: all but opt-in ones."),
        ] = None,
        include_record: Annotated[Optional[bool], strawberry.argument(description=INCLUDE_RECORD)] = None,
    ) -> Optional[WebhookEndpointInfo]:
        ctx: RequestContext = info.context
        endpoint = await ctx.services.store.run(
            ctx.services.webhooks.update_endpoint, ctx.principal.organization_id, str(id), events, include_record
        )
        given = {"events": events, "includeRecord": include_record}
        changes = {k: v for k, v in given.items() if v is not None}
        await audited(ctx, AuditAction.WEBHOOK_UPDATE, _endpoint(endpoint.id), changes)
        return WebhookEndpointInfo.of(endpoint)

    @strawberry.mutation(
        description="Replace an endpoint's signing secret; the new one is shown once and signs every delivery from "
        "now on. The old one keeps signing next to it for overlapHours (webhook-signature carries both), so the "
        "receiver can switch without refusing a delivery; a rotation during an overlap ends that overlap."
    )
    async def rotate_webhook_secret(
        self,
        info: strawberry.Info,
        id: EndpointId,
        overlap_hours: Annotated[
            Optional[float],
            strawberry.argument(
                description="How long the old secret still signs, in hours (0: stop at once; at most 720; "
                "null: the gateway's PLANTGATE_WEBHOOK_ROTATION_OVERLAP_HOURS, 24 unless set)."
            ),
        ] = None,
    ) -> Optional[WebhookEndpointCreated]:
        ctx: RequestContext = info.context
        endpoint, secret = await ctx.services.store.run(
            ctx.services.webhooks.rotate_secret, ctx.principal.organization_id, str(id), overlap_hours
        )
        expires = endpoint.previous_secret_expires_at
        changes = {"previousSecretExpiresAt": expires.isoformat() if expires else None}
        await audited(ctx, AuditAction.WEBHOOK_SECRET_ROTATE, _endpoint(endpoint.id), changes)
        return WebhookEndpointCreated(endpoint=WebhookEndpointInfo.of(endpoint), secret=secret)

    @strawberry.mutation(description="Remove an endpoint: it receives nothing more. True when done.")
    async def delete_webhook_endpoint(self, info: strawberry.Info, id: EndpointId) -> Optional[bool]:
        ctx: RequestContext = info.context
        await ctx.services.store.run(ctx.services.webhooks.delete_endpoint, ctx.principal.organization_id, str(id))
        await audited(ctx, AuditAction.WEBHOOK_DELETE, _endpoint(str(id)))
        return True

    @strawberry.mutation(description="Send a delivery's event again (same event id).")
    async def redeliver_webhook(
        self,
        info: strawberry.Info,
        delivery_id: Annotated[strawberry.ID, strawberry.argument(description="The delivery to send again.")],
    ) -> Optional[WebhookDeliveryInfo]:
        ctx: RequestContext = info.context
        delivery = await ctx.services.store.run(
            ctx.services.webhooks.redeliver, ctx.principal.organization_id, str(delivery_id)
        )
        target = Target("WEBHOOK_DELIVERY", delivery.id)
        await audited(ctx, AuditAction.WEBHOOK_REDELIVER, target, {"eventId": delivery.event_id})
        await ctx.services.bus.poke()
        return WebhookDeliveryInfo.of(delivery)

    @strawberry.mutation(description="Send a `webhook.test` event to one endpoint.")
    async def send_test_webhook(self, info: strawberry.Info, endpoint_id: EndpointId) -> Optional[WebhookDeliveryInfo]:
        ctx: RequestContext = info.context
        delivery = await ctx.services.store.run(
            ctx.services.webhooks.send_test, ctx.principal.organization_id, str(endpoint_id)
        )
        await audited(ctx, AuditAction.WEBHOOK_TEST, _endpoint(str(endpoint_id)), {"deliveryId": delivery.id})
        await ctx.services.bus.poke()
        return WebhookDeliveryInfo.of(delivery)
