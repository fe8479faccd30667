"""On-premises agents: who may open the agent socket, and whether one is open now."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlmodel import Field, SQLModel

from .tables import new_id, utcnow


class Agent(SQLModel, table=True):
    """An organization's agent; its key is stored hashed, shown once at creation or rotation."""

    __tablename__ = "agent"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    organization_id: str = Field(foreign_key="organization.id", index=True, max_length=32)
    name: str = Field(max_length=200)
    key_hash: str = Field(unique=True, max_length=64)
    key_prefix: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    deleted_at: Optional[datetime] = None
    # The socket: which process holds it (and which of its sockets), and what it last said.
    holder: Optional[str] = Field(default=None, max_length=80)
    version: Optional[str] = Field(default=None, max_length=64)
    connected_at: Optional[datetime] = None
    last_heartbeat_at: Optional[datetime] = None
    disconnected_at: Optional[datetime] = None
