"""Idempotency records for writes: one row per (connection, idempotency key)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from .tables import utcnow


class IdempotentWrite(SQLModel, table=True):
    """A create (or stock adjustment) sent under a client's idempotency key.

    `state` is PENDING while the upstream call runs, DONE with the stored result,
    or UNKNOWN when the call may have reached the system but no answer came back
    (then a retry must not send it again).
    """

    __tablename__ = "idempotent_write"

    connection_id: str = Field(foreign_key="connection.id", primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=255)
    request_hash: str = Field(max_length=64)
    state: str = Field(default="PENDING", max_length=16)
    entity: str = Field(max_length=64)
    remote_id: Optional[str] = Field(default=None, max_length=255)
    result: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
