"""The replica: mapped records per connection, written by syncs, read with `source: REPLICA`."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select

from schema.record import Record

from .store.sync_tables import ReplicaRecord, SyncState
from .store.tables import utcnow

_DT = "$dt"


def encode(value: Any) -> Any:
    """JSON-safe values; datetimes are tagged so they come back as datetimes."""
    if isinstance(value, datetime):
        return {_DT: value.astimezone(timezone.utc).isoformat()}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_DT}:
            return datetime.fromisoformat(value[_DT])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def to_record(row: ReplicaRecord) -> Record:
    values = decode(row.values)
    values["deletedAt"] = _utc(row.deleted_at)
    return Record(row.entity, row.remote_id, values, row.remote_data, origin="REPLICA")


def upsert(
    session: Session, connection_id: str, records: list[Record], run_id: str, status_field: str | None
) -> list[Record]:
    """Write a page of records; returns those that are new or changed (for record.changed)."""
    if not records:
        return []
    entity = records[0].entity
    ids = [r.remote_id for r in records]
    existing = {
        row.remote_id: row
        for row in session.exec(
            select(ReplicaRecord).where(
                ReplicaRecord.connection_id == connection_id,
                ReplicaRecord.entity == entity,
                ReplicaRecord.remote_id.in_(ids),  # type: ignore[attr-defined]
            )
        )
    }
    now = utcnow()
    changed: list[Record] = []
    for record in records:
        values = encode({k: v for k, v in record.values.items() if k != "deletedAt"})
        remote_data = encode(record.remote_data)
        row = existing.get(record.remote_id)
        if row is None:
            row = ReplicaRecord(connection_id=connection_id, entity=entity, remote_id=record.remote_id)
            changed.append(record)
        elif row.values != values or row.remote_data != remote_data or row.deleted_at is not None:
            changed.append(record)
        row.values, row.remote_data = values, remote_data
        row.status = record.values.get(status_field) if status_field else None
        row.remote_created_at = record.values.get("createdAt")
        row.remote_updated_at = record.values.get("updatedAt")
        row.deleted_at, row.synced_at, row.last_seen_run = None, now, run_id
        session.add(row)
    return changed


def mark_deleted(
    session: Session, connection_id: str, entity: str, run_id: str, since: datetime | None
) -> list[str]:
    """After a full pass: records in its window that it did not see are gone upstream."""
    query = select(ReplicaRecord).where(
        ReplicaRecord.connection_id == connection_id,
        ReplicaRecord.entity == entity,
        ReplicaRecord.deleted_at.is_(None),  # type: ignore[union-attr]
        or_(ReplicaRecord.last_seen_run.is_(None), ReplicaRecord.last_seen_run != run_id),  # type: ignore[union-attr]
    )
    if since is not None:
        query = query.where(ReplicaRecord.remote_updated_at > since)  # type: ignore[operator]
    now = utcnow()
    gone = []
    for row in session.exec(query):
        row.deleted_at = now
        session.add(row)
        gone.append(row.remote_id)
    return gone


def mark_gone(session: Session, connection_id: str, entity: str, remote_ids: list[str]) -> None:
    """Records deleted through the gateway: gone from replica reads at once."""
    now = utcnow()
    for row in session.exec(
        select(ReplicaRecord).where(
            ReplicaRecord.connection_id == connection_id,
            ReplicaRecord.entity == entity,
            ReplicaRecord.remote_id.in_(remote_ids),  # type: ignore[attr-defined]
        )
    ):
        row.deleted_at = now
        session.add(row)


def list_page(
    session: Session,
    connection_id: str,
    entity: str,
    first: int,
    after_id: str | None,
    filter: dict[str, Any],
    status_field: str | None,
) -> tuple[list[Record], bool]:
    """Keyset paging by remote id over the indexed filters; deleted records are left out."""
    query = select(ReplicaRecord).where(
        ReplicaRecord.connection_id == connection_id,
        ReplicaRecord.entity == entity,
        ReplicaRecord.deleted_at.is_(None),  # type: ignore[union-attr]
    )
    if after_id is not None:
        query = query.where(ReplicaRecord.remote_id > after_id)
    if filter.get("updatedAfter"):
        query = query.where(ReplicaRecord.remote_updated_at > filter["updatedAfter"])  # type: ignore[operator]
    if filter.get("createdAfter"):
        query = query.where(ReplicaRecord.remote_created_at > filter["createdAfter"])  # type: ignore[operator]
    if status_field and status_field in filter:
        query = query.where(ReplicaRecord.status.in_(filter[status_field]))  # type: ignore[union-attr]
    rows = list(session.exec(query.order_by(ReplicaRecord.remote_id).limit(first + 1)))
    return [to_record(r) for r in rows[:first]], len(rows) > first


def get_many(session: Session, connection_id: str, entity: str, ids: list[str]) -> list[Record]:
    rows = session.exec(
        select(ReplicaRecord).where(
            ReplicaRecord.connection_id == connection_id,
            ReplicaRecord.entity == entity,
            ReplicaRecord.remote_id.in_(ids),  # type: ignore[attr-defined]
        )
    )
    return [to_record(r) for r in rows]


def count(session: Session, connection_id: str, entity: str) -> int:
    return session.exec(
        select(func.count()).where(
            ReplicaRecord.connection_id == connection_id,
            ReplicaRecord.entity == entity,
            ReplicaRecord.deleted_at.is_(None),  # type: ignore[union-attr]
        )
    ).one()


def last_synced(session: Session, connection_id: str, entity: str) -> datetime | None:
    state = session.get(SyncState, (connection_id, entity))
    return _utc(state.last_succeeded_at) if state else None
