"""The request log (every upstream call) and the audit trail (every admin action), both pruned by age."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from .tables import utcnow


class RequestLogEntry(SQLModel, table=True):
    """One attempt of one call to a connected system: what was asked, what came back, how long it took."""

    __tablename__ = "request_log"
    __table_args__ = (
        Index("ix_request_log_org_time", "organization_id", "created_at"),
        Index("ix_request_log_connection_time", "connection_id", "created_at"),
        Index("ix_request_log_time", "created_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    organization_id: str = Field(max_length=32)
    connection_id: Optional[str] = Field(default=None, max_length=32)  # None: a login checked before it existed
    created_at: datetime = Field(default_factory=utcnow)  # when the attempt started
    kind: str = Field(max_length=16)  # SYNC LIVE_READ WRITE PASSTHROUGH CHECK DISCOVERY
    method: str = Field(max_length=16)
    path: str = Field(max_length=2000)
    query: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))  # secret-like values redacted
    status: Optional[int] = None  # None: no answer
    outcome: str = Field(max_length=16)  # OK REJECTED AUTH_FAILED RATE_LIMITED ERROR UNREACHABLE
    duration_ms: int = 0
    attempt: int = 1
    request_id: Optional[str] = Field(default=None, max_length=64)
    error: Optional[str] = Field(default=None, max_length=200)
    request_body: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    response_body: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))


class AuditEvent(SQLModel, table=True):
    """One admin action: who (which admin key), what, on what, and the change, secrets removed."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_org_time", "organization_id", "created_at"),
        Index("ix_audit_event_time", "created_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    organization_id: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    action: str = Field(max_length=64)
    actor_type: str = Field(max_length=16)  # ADMIN_KEY CONNECT_LINK OPERATOR
    actor_id: Optional[str] = Field(default=None, max_length=32)  # the admin key's or connect session's id
    target_type: str = Field(max_length=32)
    target_id: Optional[str] = Field(default=None, max_length=64)
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    request_id: Optional[str] = Field(default=None, max_length=64)
