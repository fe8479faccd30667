"""Webhook endpoints and deliveries: signed (Standard Webhooks), retried with backoff, durable, logged.

Deliveries are rows written with their event (see `bus.record`), so a restart
loses none; each due delivery is leased by one process, sent, and its attempt
logged. A delivery is retried from `webhook_backoff_base` seconds, doubling,
until `webhook_max_age` after it was created, then marked FAILED.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import or_
from sqlmodel import Session, col, select

from schema.errors import BadUserInput, NotFound

from ..metrics import WEBHOOK_DELIVERIES
from ..netguard import ForbiddenAddress, NetGuard
from ..secrets import CredentialVault
from ..settings import Settings
from ..store.engine import Store
from ..store.event_tables import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from ..store.tables import as_utc, utcnow
from . import rotation, signing
from .bus import EVENT_TYPES, EventBus, as_message
from .records import without_record
from .signing import SigningSecret

log = logging.getLogger("plantgate.webhooks")


def payload(event: Event, include_record: bool = False) -> bytes:
    message = as_message(event)
    data = message["data"] if include_record else without_record(message["data"])
    body = {"id": message["id"], "type": message["type"], "createdAt": message["createdAt"], "data": data}
    return json.dumps(body, separators=(",", ":"), default=str).encode()


class WebhookService:
    """What the admin API does with endpoints and deliveries."""

    def __init__(
        self, store: Store, vault: CredentialVault, bus: EventBus, guard: NetGuard, overlap_hours: float = 24.0
    ) -> None:
        self.store = store
        self.vault = vault
        self.bus = bus
        self.guard = guard
        self.overlap_hours = overlap_hours  # a rotation's default overlap (webhook_rotation_overlap_hours)

    async def create(
        self, organization_id: str, url: str, events: list[str], include_record: bool = False
    ) -> tuple[WebhookEndpoint, str]:
        """Register an endpoint whose URL passed the SSRF guard (https unless insecure http is allowed)."""
        await self.guard.check_url(url, field="url", https_required=True)
        return await self.store.run(self.create_endpoint, organization_id, url, events, include_record)

    def create_endpoint(
        self, organization_id: str, url: str, events: list[str], include_record: bool = False
    ) -> tuple[WebhookEndpoint, str]:
        secret = SigningSecret.new()
        with self.store.write() as session:
            endpoint = WebhookEndpoint(
                organization_id=organization_id,
                url=url,
                events=_known(events),
                secret_encrypted=self.vault.encrypt(secret.sealed()),
                include_record=include_record,
            )
            session.add(endpoint)
        return endpoint, secret.value

    def update_endpoint(
        self, organization_id: str, endpoint_id: str, events: list[str] | None, include_record: bool | None
    ) -> WebhookEndpoint:
        """Change what an endpoint receives; arguments left out keep their value."""
        with self.store.write() as session:
            endpoint = _owned_endpoint(session, organization_id, endpoint_id)
            if events is not None:
                endpoint.events = _known(events)
            if include_record is not None:
                endpoint.include_record = include_record
            session.add(endpoint)
        return endpoint

    def rotate_secret(
        self, organization_id: str, endpoint_id: str, overlap_hours: float | None = None
    ) -> tuple[WebhookEndpoint, str]:
        """A new signing secret; the old one also signs for the overlap (the settings' default when None)."""
        hours = self.overlap_hours if overlap_hours is None else overlap_hours
        return rotation.rotate(self.store, self.vault, organization_id, endpoint_id, hours)

    def endpoints(self, organization_id: str) -> list[WebhookEndpoint]:
        with self.store.read() as session:
            return list(
                session.exec(
                    select(WebhookEndpoint)
                    .where(
                        WebhookEndpoint.organization_id == organization_id, col(WebhookEndpoint.deleted_at).is_(None)
                    )
                    .order_by(col(WebhookEndpoint.created_at))
                )
            )

    def delete_endpoint(self, organization_id: str, endpoint_id: str) -> None:
        with self.store.write() as session:
            endpoint = _owned_endpoint(session, organization_id, endpoint_id)
            endpoint.deleted_at = utcnow()
            session.add(endpoint)

    def deliveries(
        self, organization_id: str, endpoint_id: str, limit: int = 50
    ) -> list[tuple[WebhookDelivery, Event, list[WebhookAttempt]]]:
        with self.store.read() as session:
            _owned_endpoint(session, organization_id, endpoint_id)
            rows = session.exec(
                select(WebhookDelivery, Event)
                .join(Event, col(Event.id) == col(WebhookDelivery.event_id))
                .where(WebhookDelivery.endpoint_id == endpoint_id)
                .order_by(col(WebhookDelivery.created_at).desc(), WebhookDelivery.id)
                .limit(limit)
            ).all()
            return [
                (
                    delivery,
                    event,
                    list(
                        session.exec(
                            select(WebhookAttempt)
                            .where(WebhookAttempt.delivery_id == delivery.id)
                            .order_by(col(WebhookAttempt.id))
                        )
                    ),
                )
                for delivery, event in rows
            ]

    def redeliver(self, organization_id: str, delivery_id: str) -> WebhookDelivery:
        """Send an event again (same event id) as a new delivery."""
        with self.store.write() as session:
            old = session.get(WebhookDelivery, delivery_id)
            if old is None:
                raise NotFound(f"no delivery '{delivery_id}'")
            _owned_endpoint(session, organization_id, old.endpoint_id)
            again = WebhookDelivery(endpoint_id=old.endpoint_id, event_id=old.event_id)
            session.add(again)
        return again

    def send_test(self, organization_id: str, endpoint_id: str) -> WebhookDelivery:
        with self.store.write() as session:
            endpoint = _owned_endpoint(session, organization_id, endpoint_id)
            event = Event(organization_id=organization_id, type="webhook.test", data={"endpointId": endpoint.id})
            session.add(event)
            session.flush()
            delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id=event.id)
            session.add(delivery)
        return delivery


def _known(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENT_TYPES) - {"*"})
    if unknown:
        raise BadUserInput(f"unknown event type(s): {', '.join(unknown)}", field="events")
    return sorted(set(events))


def _owned_endpoint(session: Session, organization_id: str, endpoint_id: str) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.organization_id != organization_id or endpoint.deleted_at is not None:
        raise NotFound(f"no webhook endpoint '{endpoint_id}'")
    return endpoint


class WebhookDeliverer:
    """Sends due deliveries; run every scheduler tick by every process (leases keep them apart)."""

    def __init__(
        self,
        store: Store,
        vault: CredentialVault,
        settings: Settings,
        owner: str,
        guard: NetGuard,
        concurrency: int = 16,
    ) -> None:
        self.store = store
        self.vault = vault
        self.settings = settings
        self.owner = owner
        self.concurrency = concurrency
        self.in_flight: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        # Every delivery dials through the SSRF guard: a URL re-pointed at an internal address is refused.
        transport = guard.transport(httpx.Limits(max_connections=concurrency))
        self.client = httpx.AsyncClient(timeout=settings.webhook_timeout, follow_redirects=False, transport=transport)

    async def tick(self) -> None:
        free = self.concurrency - len(self.in_flight)
        if free <= 0:
            return
        for job in await self.store.run(self._claim, free):
            self.in_flight.add(job["id"])
            task = asyncio.create_task(self._send(job))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _claim(self, limit: int) -> list[dict[str, Any]]:
        now = utcnow()
        lease = timedelta(seconds=self.settings.webhook_timeout + 30)
        with self.store.write() as session:
            rows = session.exec(
                select(WebhookDelivery)
                .where(
                    WebhookDelivery.status == "PENDING",
                    col(WebhookDelivery.next_attempt_at) <= now,
                    or_(col(WebhookDelivery.lease_expires_at).is_(None), col(WebhookDelivery.lease_expires_at) < now),
                )
                .order_by(col(WebhookDelivery.next_attempt_at))
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            jobs = []
            for delivery in rows:
                delivery.lease_owner, delivery.lease_expires_at = self.owner, now + lease
                session.add(delivery)
                endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
                event = session.get(Event, delivery.event_id)
                if endpoint is None or event is None:
                    continue
                jobs.append(
                    {
                        "id": delivery.id,
                        "url": endpoint.url,
                        "signers": self._signers(endpoint),
                        "event_id": event.id,
                        "body": payload(event, endpoint.include_record),
                    }
                )
            return jobs

    def _signers(self, endpoint: WebhookEndpoint) -> list[SigningSecret]:
        """The current secret, then the rotated-out one while its overlap lasts."""
        signers = [SigningSecret.unsealed(self.vault.decrypt(endpoint.secret_encrypted))]
        if rotation.live_previous(endpoint) and endpoint.previous_secret_encrypted:
            signers.append(SigningSecret.unsealed(self.vault.decrypt(endpoint.previous_secret_encrypted)))
        return signers

    async def _send(self, job: dict[str, Any]) -> None:
        started = time.monotonic()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Plantgate-Webhooks/1",
            **signing.headers(job["event_id"], job["body"], job["signers"], int(time.time())),
        }
        status, error = None, None
        try:
            response = await self.client.post(job["url"], content=job["body"], headers=headers)
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        except ForbiddenAddress as exc:
            error = exc.message
        try:
            await self.store.run(self._record, job["id"], status, error, int((time.monotonic() - started) * 1000))
        finally:
            self.in_flight.discard(job["id"])

    def _record(self, delivery_id: str, status: int | None, error: str | None, duration_ms: int) -> None:
        now = utcnow()
        with self.store.write() as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            if delivery is None or delivery.lease_owner != self.owner:
                return
            session.add(
                WebhookAttempt(delivery_id=delivery_id, status_code=status, error=error, duration_ms=duration_ms)
            )
            delivery.attempts += 1
            delivery.last_status_code, delivery.last_error = status, error
            delivery.lease_owner = delivery.lease_expires_at = None
            if error is None:
                delivery.status, delivery.delivered_at, delivery.next_attempt_at = "DELIVERED", now, None
                WEBHOOK_DELIVERIES.labels(outcome="delivered").inc()
            else:
                wait = self.settings.webhook_backoff_base * 2 ** (delivery.attempts - 1)
                retry_at = now + timedelta(seconds=wait)
                if retry_at > as_utc(delivery.created_at) + timedelta(seconds=self.settings.webhook_max_age):
                    delivery.status, delivery.next_attempt_at = "FAILED", None
                else:
                    delivery.next_attempt_at = retry_at
                WEBHOOK_DELIVERIES.labels(outcome="failed" if delivery.status == "FAILED" else "retrying").inc()
            session.add(delivery)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.client.aclose()
