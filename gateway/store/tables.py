"""The gateway's tables (SQLModel). Alembic migrations in `migrations/` create them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Optional, overload

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: datetime | None) -> datetime | None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC time (SQLite hands times back naive)."""
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class Organization(SQLModel, table=True):
    __tablename__ = "organization"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    # Raw requests connection tokens may send (gateway/passthrough.py): OFF, READ_ONLY or FULL.
    passthrough: str = Field(default="READ_ONLY", max_length=16)


class AdminKey(SQLModel, table=True):
    __tablename__ = "admin_key"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    organization_id: str = Field(foreign_key="organization.id", index=True, max_length=32)
    key_hash: str = Field(unique=True, max_length=64)
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: Optional[datetime] = None


class CreditPool(SQLModel, table=True):
    """An organization's credits; `used` always equals the credits held by live connections."""

    __tablename__ = "credit_pool"

    organization_id: str = Field(foreign_key="organization.id", primary_key=True, max_length=32)
    total: int = 0
    used: int = 0


class Connection(SQLModel, table=True):
    __tablename__ = "connection"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    organization_id: str = Field(foreign_key="organization.id", index=True, max_length=32)
    system: str = Field(max_length=64)
    hosting: str = Field(max_length=16)
    name: str = Field(max_length=200)
    instance_url: Optional[str] = Field(default=None, max_length=2000)
    credentials_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    metadata_: dict[str, Any] = Field(default_factory=dict, sa_column=Column("metadata", JSON, nullable=False))
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="ACTIVE", max_length=32, index=True)
    status_reason: Optional[str] = Field(default=None, max_length=500)
    credits: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    disconnected_at: Optional[datetime] = None
    # On premises through an agent (gateway/agents/): its id, and the name of the credentials
    # kept in the plant when the gateway holds only placeholders for them.
    agent_id: Optional[str] = Field(default=None, foreign_key="agent.id", index=True, max_length=32)
    agent_credentials: Optional[str] = Field(default=None, max_length=64)


class ConnectionToken(SQLModel, table=True):
    __tablename__ = "connection_token"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    connection_id: str = Field(foreign_key="connection.id", index=True, max_length=32)
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: Optional[datetime] = None


class CreditLedgerEntry(SQLModel, table=True):
    """Every consume (negative amount) and return (positive) of credits."""

    __tablename__ = "credit_ledger"

    id: Optional[int] = Field(default=None, primary_key=True)
    organization_id: str = Field(foreign_key="organization.id", index=True, max_length=32)
    connection_id: str = Field(foreign_key="connection.id", index=True, max_length=32)
    amount: int
    balance_after: int
    reason: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class ConnectionStatusChange(SQLModel, table=True):
    """Each status a connection entered, with why and when."""

    __tablename__ = "connection_status_change"

    id: Optional[int] = Field(default=None, primary_key=True)
    connection_id: str = Field(foreign_key="connection.id", index=True, max_length=32)
    status: str = Field(max_length=32)
    reason: Optional[str] = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
