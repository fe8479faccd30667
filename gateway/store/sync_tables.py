"""Replica and sync-state tables: what syncs write and `source: REPLICA` reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from .tables import utcnow


class ReplicaRecord(SQLModel, table=True):
    """One mapped record of one connection, as of its last sync."""

    __tablename__ = "replica_record"
    __table_args__ = (
        Index("ix_replica_updated", "connection_id", "entity", "remote_updated_at", "remote_id"),
        Index("ix_replica_created", "connection_id", "entity", "remote_created_at", "remote_id"),
        Index("ix_replica_status", "connection_id", "entity", "status", "remote_id"),
        {"postgresql_with": {"fillfactor": 50}},  # room for a full pass's stamps: migration 0012
    )

    connection_id: str = Field(foreign_key="connection.id", primary_key=True, max_length=32)
    entity: str = Field(primary_key=True, max_length=64)
    remote_id: str = Field(primary_key=True, max_length=255)
    values: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    remote_data: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    status: Optional[str] = Field(default=None, max_length=64)
    remote_created_at: Optional[datetime] = None
    remote_updated_at: Optional[datetime] = None
    deleted_at: Optional[datetime] = None
    synced_at: datetime = Field(default_factory=utcnow)
    last_seen_run: Optional[str] = Field(default=None, max_length=32)


class SyncState(SQLModel, table=True):
    """Where a connection's sync of one entity stands; the cursor moves only with committed pages."""

    __tablename__ = "sync_state"

    connection_id: str = Field(foreign_key="connection.id", primary_key=True, max_length=32)
    entity: str = Field(primary_key=True, max_length=64)
    state: str = Field(default="IDLE", max_length=16)  # IDLE RUNNING SUCCEEDED FAILED UNAVAILABLE
    run_id: Optional[str] = Field(default=None, max_length=32)
    mode: Optional[str] = Field(default=None, max_length=16)  # FULL INCREMENTAL
    cursor: Optional[str] = Field(default=None, max_length=2000)
    run_since: Optional[datetime] = None  # modified-since bound of the running pass
    run_started_at: Optional[datetime] = None
    watermark: Optional[datetime] = None  # next incremental pass reads changes after this
    last_started_at: Optional[datetime] = None
    last_succeeded_at: Optional[datetime] = None
    last_error: Optional[str] = Field(default=None, max_length=1000)
    records_synced: int = 0
    failures: int = 0  # consecutive failed passes of this entity (its own backoff)
    retry_at: Optional[datetime] = None  # a failed entity is not read again before this
    history_start: Optional[datetime] = None  # the replica holds every record changed since (None: all)
    reconciled_at: Optional[datetime] = None  # start of the last full pass (deletions found up to then)


class SyncSchedule(SQLModel, table=True):
    """A connection's place in the sync schedule, its backoff and its lease."""

    __tablename__ = "sync_schedule"
    __table_args__ = (Index("ix_sync_due", "next_run_at"),)

    connection_id: str = Field(foreign_key="connection.id", primary_key=True, max_length=32)
    next_run_at: Optional[datetime] = None  # None: not scheduled (disconnected, needs re-auth)
    full_requested: bool = False
    requested: bool = False  # someone asked for this run: failed entities are retried at once
    failures: int = 0
    lease_owner: Optional[str] = Field(default=None, max_length=64)
    lease_expires_at: Optional[datetime] = None
    last_run_at: Optional[datetime] = None


class ReplicaVersion(SQLModel, table=True):
    """Counts the committed changes to one entity's replica, so a cached page can tell it is still current.

    Bumped in the transaction that changes the records; every gateway process
    reads it before serving a cached page.
    """

    __tablename__ = "replica_version"

    connection_id: str = Field(foreign_key="connection.id", primary_key=True, max_length=32)
    entity: str = Field(primary_key=True, max_length=64)
    version: int = 0
