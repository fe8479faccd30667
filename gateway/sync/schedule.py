"""The sync schedule in the database: due times, backoff state and leases.

A lease (owner + expiry on the schedule row) makes each connection's sync run on
one process at a time; claims use `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite
serializes writers anyway). An expired lease is taken over, so a crashed
process's work continues elsewhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, update
from sqlmodel import Session, col, select

from ..store.sync_tables import SyncSchedule
from ..store.tables import Connection, utcnow


class LeaseLost(Exception):
    """Another process owns this connection's sync now; stop without writing."""


def ensure(session: Session, connection_id: str, run_at: datetime | None = None) -> SyncSchedule:
    row = session.get(SyncSchedule, connection_id)
    if row is None:
        row = SyncSchedule(connection_id=connection_id, next_run_at=run_at or utcnow())
        session.add(row)
    return row


def ensure_all(session: Session) -> None:
    """Connections created before scheduling existed get a schedule row (PENDING ones have nothing to sync yet)."""
    scheduled = select(SyncSchedule.connection_id)
    for connection in session.exec(
        select(Connection).where(
            col(Connection.status).not_in(("DISCONNECTED", "PENDING")), col(Connection.id).not_in(scheduled)
        )
    ):
        ensure(session, connection.id)


def request(session: Session, connection_id: str, full: bool) -> SyncSchedule:
    row = ensure(session, connection_id)
    row.next_run_at = utcnow()
    row.full_requested = row.full_requested or full
    row.requested = True
    session.add(row)
    return row


def claim_due(session: Session, owner: str, ttl: float, limit: int) -> list[str]:
    now = utcnow()
    rows = session.exec(
        select(SyncSchedule)
        .where(
            col(SyncSchedule.next_run_at) <= now,
            or_(col(SyncSchedule.lease_expires_at).is_(None), col(SyncSchedule.lease_expires_at) < now),
        )
        .order_by(col(SyncSchedule.next_run_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.lease_owner, row.lease_expires_at = owner, now + timedelta(seconds=ttl)
        session.add(row)
    return [row.connection_id for row in rows]


_TABLE = SyncSchedule.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes at run time
# Built once, on the table rather than the ORM class: every committed page runs it, and the ORM's
# update (its session synchronization, a statement built anew) cost more than the statement itself.
_RENEW = (
    update(_TABLE)
    .where(_TABLE.c.connection_id == bindparam("lease_connection"), _TABLE.c.lease_owner == bindparam("lease_owner_"))
    .values(lease_expires_at=bindparam("expires"))
)


def renew(session: Session, connection_id: str, owner: str, ttl: float) -> None:
    """Extend the lease as part of a page's transaction; raises if it was taken over."""
    expires = utcnow() + timedelta(seconds=ttl)
    result: Any = session.execute(
        _RENEW, {"lease_connection": connection_id, "lease_owner_": owner, "expires": expires}
    )
    if result.rowcount != 1:
        raise LeaseLost(connection_id)


def release(
    session: Session,
    connection_id: str,
    owner: str,
    next_run_at: datetime | None,
    failures: int | None = None,
    full_done: bool = False,
) -> SyncSchedule | None:
    row = session.get(SyncSchedule, connection_id)
    if row is None or row.lease_owner != owner:
        return None
    row.lease_owner = row.lease_expires_at = None
    row.next_run_at, row.last_run_at = next_run_at, utcnow()
    if failures is not None:
        row.failures = failures
    if full_done:  # what was asked for ran (failed entities are retried at once only when asked)
        row.full_requested = row.requested = False
    session.add(row)
    return row
