"""Connection status transitions: recorded with reason and time, announced as events."""

from __future__ import annotations

from sqlmodel import Session

from .events.bus import EventBus
from .store.event_tables import Event
from .store.tables import Connection, ConnectionStatusChange, utcnow

PENDING = "PENDING"
ACTIVE = "ACTIVE"
DEGRADED = "DEGRADED"  # the system answers, but some entities fail or are unavailable (named in the reason)
UNREACHABLE = "UNREACHABLE"
REAUTH_REQUIRED = "REAUTH_REQUIRED"
DISCONNECTED = "DISCONNECTED"


def locked(session: Session, connection_id: str) -> Connection | None:
    """The connection's current row, locked until the transaction ends: every transition reads it here.

    FOR NO KEY UPDATE on PostgreSQL, so two transitions (a disconnect and a link completion,
    two rotations, a sync's outcome and a disconnect) queue instead of both deciding on the same
    old state; SQLite's write transactions already exclude each other. NO KEY: the foreign-key
    checks of a sync writing replica rows (KEY SHARE) need not wait, so they cannot deadlock with it.
    """
    return session.get(Connection, connection_id, with_for_update={"key_share": True}, populate_existing=True)


def set_status(session: Session, bus: EventBus, connection: Connection, status: str, reason: str) -> list[Event]:
    """Move a connection to `status` (inside the caller's transaction, on a row it read with `locked`);
    events to publish after commit."""
    if connection.status == status or connection.status == DISCONNECTED:
        return []
    previous = connection.status
    connection.status, connection.status_reason = status, reason[:500]
    session.add(connection)
    session.add(
        ConnectionStatusChange(connection_id=connection.id, status=status, reason=reason[:500], created_at=utcnow())
    )
    data = {"connectionId": connection.id, "status": status, "previousStatus": previous, "reason": reason}
    events = [bus.record(session, connection.organization_id, "connection.status_changed", data, connection.id)]
    if status == REAUTH_REQUIRED:
        events.append(
            bus.record(session, connection.organization_id, "connection.reauth_required", data, connection.id)
        )
    if status == DISCONNECTED:
        events.append(bus.record(session, connection.organization_id, "connection.disconnected", data, connection.id))
    return events
