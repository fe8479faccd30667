"""Connect sessions (magic links): the link's token and the redirect's one-time code, both hashed."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from .tables import new_id, utcnow


class ConnectSession(SQLModel, table=True):
    """A single-use link that completes one PENDING connection.

    The preset name and metadata live on the pending connection itself; the
    session keeps what only the Connect page needs.
    """

    __tablename__ = "connect_session"
    __table_args__ = (Index("ix_connect_session_due", "status", "expires_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    organization_id: str = Field(foreign_key="organization.id", index=True, max_length=32)
    connection_id: str = Field(foreign_key="connection.id", index=True, max_length=32)
    token_hash: str = Field(unique=True, max_length=64)
    system: Optional[str] = Field(default=None, max_length=64)  # preset, or picked on the page
    hosting: Optional[str] = Field(default=None, max_length=16)
    redirect_url: Optional[str] = Field(default=None, max_length=2000)
    status: str = Field(default="PENDING", max_length=16)  # PENDING COMPLETED EXPIRED
    expires_at: datetime
    created_at: datetime = Field(default_factory=utcnow)
    completed_at: Optional[datetime] = None
    code_hash: Optional[str] = Field(default=None, unique=True, max_length=64)
    code_expires_at: Optional[datetime] = None
    code_used_at: Optional[datetime] = None
