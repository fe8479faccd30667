"""The replica: mapped records per connection, written by syncs, read with `source: REPLICA`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Text, and_, bindparam, cast, func, or_, tuple_
from sqlalchemy.engine import Dialect
from sqlmodel import Session, col, select

from schema.record import Record

from .replica_upsert import DATETIME_TAG as _DT
from .replica_upsert import page_writer
from .store.sync_tables import ReplicaRecord, SyncState
from .store.tables import as_utc, utcnow

_TABLE = ReplicaRecord.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes at run time


def encode(value: Any) -> Any:
    """JSON-safe values; datetimes are tagged so they come back as datetimes."""
    if isinstance(value, datetime):
        return {_DT: value.astimezone(UTC).isoformat()}
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


def _decoded_object(value: dict[str, Any]) -> Any:
    """`decode` as a json hook: called for every object as it is parsed, innermost first."""
    if len(value) == 1 and _DT in value:
        return datetime.fromisoformat(value[_DT])
    return value


_DECODER = json.JSONDecoder(object_hook=_decoded_object)  # json.loads with a hook builds one per call


def decode_text(text: str) -> Any:
    """`decode(json.loads(text))` in one pass of the parser."""
    return _DECODER.decode(text)


class StoredRecord(Record):
    """A replica record whose raw payload stays JSON text until something reads it.

    Most lists never read `remote_data` (only custom fields and a selected
    `remoteData` do), and decoding it was a large part of every replica page.
    """

    def __init__(self, entity: str, remote_id: str, values: dict[str, Any], raw: str | None) -> None:
        self._raw = raw
        self._data: Any = _UNREAD
        super().__init__(entity, remote_id, values, _UNREAD, "REPLICA")

    @property
    def remote_data(self) -> Any:
        if self._data is _UNREAD:
            self._data = None if self._raw is None else json.loads(self._raw)
        return self._data

    @remote_data.setter
    def remote_data(self, value: Any) -> None:
        self._data = value
        if value is not _UNREAD:
            self._raw = None


_UNREAD: Any = object()
# What a served record needs, JSON as text (PostgreSQL's `json` keeps the text it was given).
_SERVED = (
    _TABLE.c.remote_id,
    cast(_TABLE.c["values"], Text),
    cast(_TABLE.c.remote_data, Text),
    _TABLE.c.deleted_at,
)


def _served(entity: str, row: Any) -> Record:
    values = decode_text(row[1])
    values["deletedAt"] = as_utc(row[3])
    return StoredRecord(entity, row[0], values, row[2])


def to_record(row: ReplicaRecord) -> Record:
    values = decode(row.values)
    values["deletedAt"] = as_utc(row.deleted_at)
    return Record(row.entity, row.remote_id, values, row.remote_data, origin="REPLICA")


@dataclass
class PageRows:
    """Pages of records as the replica stores them (`PageWriter.rows`), by remote id: the last read wins.

    A sync prepares each page where it reads it and keeps only this: the rows to write and the
    unified values `record.changed` carries, not the raw records."""

    entity: str
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    rows: dict[str, tuple] = field(default_factory=dict)

    def extend(self, other: PageRows) -> PageRows:
        self.values.update(other.values)
        self.rows.update(other.rows)
        return self


def prepare(dialect: Dialect, entity: str, records: list[Record], status_field: str | None) -> PageRows:
    rows = page_writer(dialect).rows(records, status_field)
    return PageRows(entity, {r.remote_id: r.values for r in records}, {row[1]: row for row in rows})


def upsert_rows(session: Session, connection_id: str, page: PageRows, run_id: str, load: bool = False) -> list[Record]:
    """Write prepared rows; returns the records new or changed (for record.changed), in page order.
    `load`: the entity's first load, which tells no changes (see `replica_upsert`).

    New and changed rows are written by one upsert over the page, the rest stamped
    as seen by this run (`replica_upsert`): no ORM object per row, and the conflict
    check uses the primary key whatever the planner's statistics.
    """
    if not page.rows:
        return []
    writer = page_writer(session.get_bind().dialect)
    written = writer.write(session, connection_id, list(page.rows.values()), run_id, utcnow(), load)
    return [Record(page.entity, i, values) for i, values in page.values.items() if i in written]


def upsert(
    session: Session, connection_id: str, records: list[Record], run_id: str, status_field: str | None
) -> list[Record]:
    """Write records (a remote id twice: the last wins); returns those new or changed, in order."""
    if not records:
        return []
    page = prepare(session.get_bind().dialect, records[0].entity, records, status_field)
    written = {r.remote_id for r in upsert_rows(session, connection_id, page, run_id)}
    latest = {record.remote_id: record for record in records}
    return [record for remote_id, record in latest.items() if remote_id in written]


def mark_deleted(session: Session, connection_id: str, entity: str, run_id: str, since: datetime | None) -> list[str]:
    """After a full pass: records in its window that it did not see are gone upstream."""
    query = select(ReplicaRecord).where(
        ReplicaRecord.connection_id == connection_id,
        ReplicaRecord.entity == entity,
        col(ReplicaRecord.deleted_at).is_(None),
        or_(col(ReplicaRecord.last_seen_run).is_(None), col(ReplicaRecord.last_seen_run) != run_id),
    )
    if since is not None:
        query = query.where(col(ReplicaRecord.remote_updated_at) > since)
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
            col(ReplicaRecord.remote_id).in_(remote_ids),
        )
    ):
        row.deleted_at = now
        session.add(row)


def _listed(connection_id: str, entity: str, filter: dict[str, Any], status_field: str | None) -> Any:
    """The WHERE of a replica list: its filters over indexed columns; deleted records only when asked."""
    conditions = [col(ReplicaRecord.connection_id) == connection_id, col(ReplicaRecord.entity) == entity]
    if not filter.get("includeDeleted"):
        conditions.append(col(ReplicaRecord.deleted_at).is_(None))
    if filter.get("updatedAfter"):
        conditions.append(col(ReplicaRecord.remote_updated_at) > filter["updatedAfter"])
    if filter.get("createdAfter"):
        conditions.append(col(ReplicaRecord.remote_created_at) > filter["createdAfter"])
    if status_field and status_field in filter:
        conditions.append(col(ReplicaRecord.status).in_(filter[status_field]))
    return conditions


def list_page(
    session: Session,
    connection_id: str,
    entity: str,
    size: int,
    anchor_id: str | None,
    filter: dict[str, Any],
    status_field: str | None,
    backward: bool = False,
) -> tuple[list[Record], bool]:
    """Keyset paging by remote id: a cursor is the last id seen, so records inserted or deleted
    before it neither shift nor repeat what follows. Backward: the `size` ids before the anchor.
    Returns the records in id order and whether more lie beyond them in the paging direction."""
    anchor = None if anchor_id is None else (None, anchor_id)
    rows, more = sorted_page(session, connection_id, entity, size, anchor, filter, status_field, None, False, backward)
    return [record for record, _ in rows], more


# The orders a replica list can be read in (`orderBy.field`): columns of ReplicaRecord's indexes.
ORDER_COLUMNS: dict[str, str | None] = {
    "remoteId": None,
    "updatedAt": "remote_updated_at",
    "createdAt": "remote_created_at",
}


def sorted_page(
    session: Session,
    connection_id: str,
    entity: str,
    size: int,
    anchor: tuple[datetime | None, str] | None,
    filter: dict[str, Any],
    status_field: str | None,
    column: str | None,
    descending: bool,
    backward: bool,
) -> tuple[list[tuple[Record, datetime | None]], bool]:
    """Keyset paging by (`column`, remote id), or by remote id alone when `column` is None.

    Ascending puts records without a value last, descending is its exact reverse,
    so backward is forward read the other way. `anchor` is the (value, remote id)
    of the cursor. Returns each record with its sort value (as stored: the next
    cursor's), in list order, and whether more lie beyond them in the paging direction.
    One select of the columns a record needs, as text: no ORM object, and the raw
    payload is decoded only if something reads it (see `StoredRecord`).
    """
    statuses = filter[status_field] if status_field and status_field in filter else None
    kind = None if anchor is None else "key" if column is None else "null" if anchor[0] is None else "value"
    statement = _page_statement(
        bool(filter.get("includeDeleted")),
        bool(filter.get("updatedAfter")),
        bool(filter.get("createdAfter")),
        statuses is not None,
        column,
        descending != backward,  # read toward the start of the ascending order
        kind,
    )
    params: dict[str, Any] = {"connection_id": connection_id, "entity": entity, "limit": size + 1}
    if filter.get("updatedAfter"):
        params["updated_after"] = filter["updatedAfter"]
    if filter.get("createdAfter"):
        params["created_after"] = filter["createdAfter"]
    if statuses is not None:
        params["statuses"] = list(statuses)
    if anchor is not None:
        params["anchor_id"] = anchor[1]
        if kind == "value":
            params["anchor_value"] = anchor[0]
    rows = list(session.execute(statement, params))
    kept = rows[:size]
    if backward:
        kept.reverse()
    return [(_served(entity, row), row[4] if column else None) for row in kept], len(rows) > size


@cache  # a few hundred shapes at most
def _page_statement(
    include_deleted: bool,
    updated: bool,
    created: bool,
    statuses: bool,
    column: str | None,
    down: bool,
    anchor: str | None,
) -> Any:
    """The select of one shape of replica list, its values bound at execution.

    Built once per shape: building the statement and its cache key on every
    read cost about as much as running it. `anchor`: None, "key" (by remote
    id), "value" (sort value and remote id) or "null" (a record without one).
    """
    columns = _TABLE.c
    key = columns.remote_id
    sort = columns[column] if column else None
    conditions = [columns.connection_id == bindparam("connection_id"), columns.entity == bindparam("entity")]
    if not include_deleted:
        conditions.append(columns.deleted_at.is_(None))
    if updated:
        conditions.append(columns.remote_updated_at > bindparam("updated_after", type_=columns.remote_updated_at.type))
    if created:
        conditions.append(columns.remote_created_at > bindparam("created_after", type_=columns.remote_created_at.type))
    if statuses:
        conditions.append(columns.status.in_(bindparam("statuses", expanding=True)))
    if anchor is not None:
        value = bindparam("anchor_value", type_=sort.type) if anchor == "value" and sort is not None else None
        conditions.append(_beyond(sort, key, (value, bindparam("anchor_id", type_=key.type)), down))
    if sort is None:
        order = [key.desc() if down else key]
    elif down:
        order = [sort.desc().nulls_first(), key.desc()]
    else:
        order = [sort.asc().nulls_last(), key]
    query = select(*_SERVED, *([sort] if sort is not None else []))
    return query.where(*conditions).order_by(*order).limit(bindparam("limit"))


def _beyond(sort: Any, key: Any, anchor: tuple[Any, Any], down: bool) -> Any:
    """The records past the anchor in the ascending order (`down`: before it), nulls last."""
    value, remote_id = anchor
    if sort is None:
        return key < remote_id if down else key > remote_id
    if value is None:  # the anchor is among the records without a value, after every other
        return or_(sort.is_not(None), key < remote_id) if down else and_(sort.is_(None), key > remote_id)
    if down:
        return tuple_(sort, key) < tuple_(value, remote_id)  # a null value compares as null: left out
    return or_(tuple_(sort, key) > tuple_(value, remote_id), sort.is_(None))


def count_listed(
    session: Session, connection_id: str, entity: str, filter: dict[str, Any], status_field: str | None
) -> int:
    """How many records the same list holds in all (`totalCount` of a replica read)."""
    query = select(func.count()).select_from(ReplicaRecord).where(*_listed(connection_id, entity, filter, status_field))
    return session.exec(query).one()


def get_many(session: Session, connection_id: str, entity: str, ids: list[str]) -> list[Record]:
    rows = session.exec(
        select(ReplicaRecord).where(
            ReplicaRecord.connection_id == connection_id,
            ReplicaRecord.entity == entity,
            col(ReplicaRecord.remote_id).in_(ids),
        )
    )
    return [to_record(r) for r in rows]


def count(session: Session, connection_id: str, entity: str) -> int:
    return session.exec(
        select(func.count()).where(
            ReplicaRecord.connection_id == connection_id,
            ReplicaRecord.entity == entity,
            col(ReplicaRecord.deleted_at).is_(None),
        )
    ).one()


def last_synced(session: Session, connection_id: str, entity: str) -> datetime | None:
    state = session.get(SyncState, (connection_id, entity))
    return as_utc(state.last_succeeded_at) if state else None


def window(session: Session, connection_id: str, entity: str) -> tuple[datetime | None, datetime | None]:
    """When an entity last synced, and since when it holds every changed record (None: all of them)."""
    table = SyncState.__table__  # type: ignore[attr-defined]
    row = session.execute(
        select(table.c.last_succeeded_at, table.c.history_start).where(
            table.c.connection_id == connection_id, table.c.entity == entity
        )
    ).first()
    if row is None or row[0] is None:
        return None, None
    return as_utc(row[0]), as_utc(row[1])
