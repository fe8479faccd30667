"""Events and webhook delivery tables: durable, so pending deliveries survive a restart."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from .tables import new_id, utcnow


class Event(SQLModel, table=True):
    """Something that happened to a connection, as webhooks and subscriptions see it."""

    __tablename__ = "event"

    id: str = Field(default_factory=lambda: "evt_" + new_id(), primary_key=True, max_length=40)
    organization_id: str = Field(foreign_key="organization.id", index=True, max_length=32)
    connection_id: Optional[str] = Field(default=None, index=True, max_length=32)
    type: str = Field(max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoint"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    organization_id: str = Field(foreign_key="organization.id", index=True, max_length=32)
    url: str = Field(max_length=2000)
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    secret_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    # After a rotation the old secret still signs until it expires, so receivers can switch without a gap.
    previous_secret_encrypted: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    previous_secret_expires_at: Optional[datetime] = None
    include_record: bool = False  # record.changed carries the whole unified record
    created_at: datetime = Field(default_factory=utcnow)
    deleted_at: Optional[datetime] = None


class WebhookDelivery(SQLModel, table=True):
    """One event to one endpoint, retried until acknowledged or given up."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_delivery_due", "status", "next_attempt_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    endpoint_id: str = Field(foreign_key="webhook_endpoint.id", index=True, max_length=32)
    event_id: str = Field(foreign_key="event.id", index=True, max_length=40)
    status: str = Field(default="PENDING", max_length=16)  # PENDING DELIVERED FAILED
    attempts: int = 0
    next_attempt_at: Optional[datetime] = Field(default_factory=utcnow)
    lease_owner: Optional[str] = Field(default=None, max_length=64)
    lease_expires_at: Optional[datetime] = None
    last_status_code: Optional[int] = None
    last_error: Optional[str] = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: Optional[datetime] = None


class WebhookAttempt(SQLModel, table=True):
    """The delivery log: every attempt with its outcome."""

    __tablename__ = "webhook_attempt"

    id: Optional[int] = Field(default=None, primary_key=True)
    delivery_id: str = Field(foreign_key="webhook_delivery.id", index=True, max_length=32)
    attempted_at: datetime = Field(default_factory=utcnow)
    status_code: Optional[int] = None
    error: Optional[str] = Field(default=None, max_length=500)
    duration_ms: int = 0
