"""Writing a page of records into the replica: one statement per page, and the rows it changed.

A sync writes every page of every pass through here, so it is the sync's hot
path. The statements go straight to the driver, with each value prepared once:

- PostgreSQL gets the page as one array per column and inserts `unnest` of them.
  The statement's text never changes, so psycopg parses it once and the server
  runs it prepared, however many rows a page holds (a multi-row `VALUES` with
  2,200 parameters was parsed again in Python on every page);
- SQLite gets a multi-row `VALUES` (its statement cache keeps one per page size).

Both insert or update only the rows that are new or differ (`ON CONFLICT .. DO
UPDATE .. WHERE <differs>`), tell which those are, and stamp the rest as seen
by the run. PostgreSQL stamps the unchanged rows first (so a re-sync writes each
once) and the upsert names the rows it wrote (`RETURNING`); SQLite first finds
the unchanged rows in one statement that answers one row (see `_sqlite_upsert`).
The rows are made by `PageWriter.rows`, which a sync calls where it reads the
page. The stored times are exactly what SQLAlchemy's column types bind. The JSON
text is orjson's (compact, UTF-8), several times faster to make than the standard
encoder's, which SQLAlchemy's JSON type and earlier versions wrote: a row whose
stored text differs from the page's is compared by its content before it counts
as changed, so text written by an earlier version (or through the ORM) is
rewritten once, silently, and never reported as a change.

An entity's first load (`load`) emits no `record.changed`, so it needs neither the
look for unchanged rows nor the read-back: on PostgreSQL the upsert alone names
what it wrote and the rest are stamped; SQLite's upsert then rewrites every row
(a resumed load meets its own rows again), so every row counts as written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from itertools import chain
from typing import Any

import orjson
from sqlalchemy.engine import Dialect
from sqlmodel import Session

from schema.record import Record

from .store.sync_tables import ReplicaRecord

_TABLE = ReplicaRecord.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes at run time
DATETIME_TAG = "$dt"  # a datetime in stored JSON: {"$dt": iso}
_COLUMNS = (
    "connection_id",
    "entity",
    "remote_id",
    "values",
    "remote_data",
    "status",
    "remote_created_at",
    "remote_updated_at",
    "deleted_at",
    "synced_at",
    "last_seen_run",
)
_UPDATED = _COLUMNS[3:]
_MAX_ROWS = 500  # rows per SQLite statement, within its limit on parameters (32,766 since 3.32)


def _tagged(value: Any) -> Any:
    """The JSON encoder's hook: datetimes become `{"$dt": iso}` (see `replica.encode`); nothing else is JSON."""
    if isinstance(value, datetime):
        return {DATETIME_TAG: value.astimezone(UTC).isoformat()}
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_ENCODER = json.JSONEncoder(default=_tagged)
# Datetimes (and dates, times, dataclasses) go through `_tagged`, as with the standard encoder.
_ORJSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def json_text(value: Any) -> str:
    """The stored JSON of `replica.encode(value)`, in one pass of orjson.

    What orjson refuses (an integer past 64 bits, a key that is not a string) the
    standard encoder writes, as before. A NaN, which no JSON parser of the stores
    accepts, is stored as null."""
    try:
        return orjson.dumps(value, default=_tagged, option=_ORJSON).decode()
    except TypeError:
        return _ENCODER.encode(value)


def _canonical(text: str | None) -> str | None:
    """One spelling of a JSON text: keys sorted, standard separators (1 and 1.0, true and 1 stay apart)."""
    return None if text is None else json.dumps(json.loads(text), sort_keys=True)


def _respelled(stored: Iterable[tuple[str, str | None, str | None, Any]], rows: Sequence[tuple]) -> set[str]:
    """The remote ids whose stored values and raw data say what the page's do, in another spelling."""
    page = {row[1]: row for row in rows}
    same: set[str] = set()
    for remote_id, values, data, deleted in stored:
        row = page[remote_id]
        if deleted != row[7]:
            continue
        try:
            if _canonical(values) == _canonical(row[2]) and _canonical(data) == _canonical(row[3]):
                same.add(remote_id)
        except ValueError:
            continue  # not JSON as stored: a change
    return same


def _stored_values(record: Record) -> dict[str, Any]:
    """The record's values and unmapped fields, in that order, without `deletedAt` (a column of its own)."""
    merged = {**record.values, **record.unmapped}
    merged.pop("deletedAt", None)
    return merged


def _text(value: Any) -> str | None:
    """A plain column's value as the VARCHAR cast would give it."""
    return value if value is None or isinstance(value, str) else str(value)


class PageWriter:
    """The replica upsert for one dialect; built once per engine, used by every page."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.name = dialect.name
        kind = _TABLE.c.synced_at.type
        stamp = kind.dialect_impl(dialect).bind_processor(dialect)
        # UTCDateTime: aware datetimes in UTC; on SQLite the text SQLAlchemy stores for them.
        self.time: Callable[[Any], Any] = stamp or (lambda value: value)

    def rows(self, records: Sequence[Record], status_field: str | None) -> list[tuple]:
        """The records as the statements bind them (entity, remote id, values, raw data, status, times).

        The JSON encoding is most of a page's write; it needs no database, so the sync does it
        where it read the page, not in the transaction."""
        time = self.time
        return [
            (
                record.entity,
                record.remote_id,
                # The system's own mapping (remapped fields are read from `remote_data` on every read).
                json_text(_stored_values(record)),
                json_text(record.remote_data),
                _text(record.values.get(status_field)) if status_field else None,
                time(record.values.get("createdAt")),
                time(record.values.get("updatedAt")),
                time(record.values.get("deletedAt")),  # a system's soft-delete marker
            )
            for record in records
        ]

    def write(
        self, session: Session, connection_id: str, rows: Sequence[tuple], run_id: str, now: datetime, load: bool
    ) -> set[str]:
        """Upsert the rows (one per remote id, from `rows`); returns the remote ids of those new or changed
        (with `load`, an entity's first load: those written, see the module's docstring)."""
        raw = session.connection().connection.driver_connection
        stamped = self.time(now)
        if self.name == "postgresql":
            written, unchanged = _postgres_upsert(raw, connection_id, rows, stamped, run_id, load)
            seen = [row[1] for row in rows if row[1] not in written and row[1] not in unchanged]
        elif load:
            written, seen = _sqlite_load(raw, connection_id, rows, stamped, run_id), []
        else:
            written, seen = _sqlite_upsert(raw, connection_id, rows, stamped, run_id)
        if seen:
            _stamp_seen(raw, self.name, connection_id, rows[0][0], seen, stamped, run_id)
        return written


@lru_cache(maxsize=16)  # one per engine
def page_writer(dialect: Dialect) -> PageWriter:
    return PageWriter(dialect)


# -- PostgreSQL ---------------------------------------------------------------------------------

_DIFFERS = (
    'CAST(r."values" AS TEXT) IS DISTINCT FROM CAST(excluded."values" AS TEXT)'
    " OR CAST(r.remote_data AS TEXT) IS DISTINCT FROM CAST(excluded.remote_data AS TEXT)"
    " OR r.deleted_at IS DISTINCT FROM excluded.deleted_at"
)
_ON_CONFLICT = (
    " ON CONFLICT (connection_id, entity, remote_id) DO UPDATE SET "
    + ", ".join(f'"{name}" = excluded."{name}"' for name in _UPDATED)
    + f" WHERE {_DIFFERS} RETURNING remote_id"
)
_INTO = "INSERT INTO replica_record AS r (" + ", ".join(f'"{name}"' for name in _COLUMNS) + ")"
_PG_UPSERT = (
    _INTO + " SELECT %s, p.entity, p.remote_id, CAST(p.v AS JSON), CAST(p.d AS JSON), p.status, p.created, p.updated,"
    " p.deleted, %s, %s FROM unnest(CAST(%b AS TEXT[]), CAST(%b AS TEXT[]), CAST(%b AS TEXT[]), CAST(%b AS TEXT[]),"
    " CAST(%b AS TEXT[]), CAST(%b AS TIMESTAMPTZ[]), CAST(%b AS TIMESTAMPTZ[]), CAST(%b AS TIMESTAMPTZ[]))"
    " AS p(entity, remote_id, v, d, status, created, updated, deleted)" + _ON_CONFLICT
)
_PG_SEEN = (
    "UPDATE replica_record SET last_seen_run = %s, synced_at = %s"
    " WHERE connection_id = %s AND entity = %s AND remote_id = ANY(CAST(%b AS TEXT[]))"
)


# Rows stored exactly as the page has them (the negation of _DIFFERS): stamped seen, in one pass.
_PG_UNCHANGED = (
    "UPDATE replica_record AS r SET last_seen_run = %s, synced_at = %s"
    " FROM unnest(CAST(%b AS TEXT[]), CAST(%b AS TEXT[]), CAST(%b AS TEXT[]), CAST(%b AS TEXT[]),"
    " CAST(%b AS TIMESTAMPTZ[])) AS p(entity, remote_id, v, d, deleted)"
    " WHERE r.connection_id = %s AND r.entity = p.entity AND r.remote_id = p.remote_id"
    ' AND CAST(r."values" AS TEXT) IS NOT DISTINCT FROM p.v AND CAST(r.remote_data AS TEXT) IS NOT DISTINCT FROM p.d'
    " AND r.deleted_at IS NOT DISTINCT FROM p.deleted RETURNING r.remote_id"
)


# The stored rows the page differs from, locked: what is judged a respelling stays what the upsert then writes over.
_PG_STORED = (
    'SELECT remote_id, CAST("values" AS TEXT), CAST(remote_data AS TEXT), deleted_at FROM replica_record'
    " WHERE connection_id = %s AND entity = %s AND remote_id = ANY(CAST(%b AS TEXT[])) FOR UPDATE"
)


def _postgres_upsert(
    raw: Any, connection_id: str, rows: Sequence[tuple], now: Any, run_id: str, load: bool
) -> tuple[set[str], set[str]]:
    """Stamp the rows stored unchanged, then upsert the others (new, changed, or written meanwhile).

    A re-sync finds most rows unchanged: the UPDATE writes each of them once, where the
    upsert's conflict check would lock it and the stamp then write it. Returns the ids
    written (new or changed; not those only spelled anew) and those stamped unchanged.
    A first load (`load`) finds next to nothing stored: the upsert alone.
    """
    if load:
        return _postgres_insert(raw, connection_id, rows, now, run_id), set()
    entities, ids, values, data, _, _, _, deleted = (list(column) for column in zip(*rows))
    cursor = raw.execute(_PG_UNCHANGED, (run_id, now, entities, ids, values, data, deleted, connection_id))
    unchanged = {remote_id for (remote_id,) in cursor.fetchall()}
    rest = [row for row in rows if row[1] not in unchanged] if unchanged else rows
    if not rest:
        return set(), unchanged
    stored = raw.execute(_PG_STORED, (connection_id, rest[0][0], [row[1] for row in rest])).fetchall()
    respelled = _respelled(stored, rest) if stored else set()
    return _postgres_insert(raw, connection_id, rest, now, run_id) - respelled, unchanged | respelled


def _postgres_insert(raw: Any, connection_id: str, rows: Sequence[tuple], now: Any, run_id: str) -> set[str]:
    """The upsert of the rows, one array per column; returns the remote ids it wrote."""
    cursor = raw.execute(_PG_UPSERT, (connection_id, now, run_id, *(list(column) for column in zip(*rows))))
    return {remote_id for (remote_id,) in cursor.fetchall()}


# -- SQLite -------------------------------------------------------------------------------------


@lru_cache(maxsize=16)  # a sync's pages come in one or two sizes
def _sqlite_statement(count: int, every: bool = False) -> str:
    """The upsert of `count` rows, without RETURNING (see `_sqlite_upsert`); `every`: stored rows rewritten
    whether they differ or not."""
    row = "(" + ", ".join("?" * len(_COLUMNS)) + ")"
    conflict = _ON_CONFLICT.removesuffix(" RETURNING remote_id").replace("IS DISTINCT FROM", "IS NOT")
    if every:
        conflict = conflict.partition(" WHERE ")[0]
    return f"{_INTO} VALUES {', '.join([row] * count)}{conflict}"


@lru_cache(maxsize=8)
def _sqlite_unchanged_statement(count: int) -> str:
    """The remote ids of `count` page rows stored exactly as the page has them (the negation of _DIFFERS), as one
    JSON array: one row, so one step of the statement."""
    values = ", ".join(["(?, ?, ?, ?)"] * count)
    return (
        f"WITH p(remote_id, v, d, deleted) AS (VALUES {values})"
        " SELECT json_group_array(r.remote_id) FROM p JOIN replica_record AS r"
        " ON r.connection_id = ? AND r.entity = ? AND r.remote_id = p.remote_id"
        ' WHERE CAST(r."values" AS TEXT) IS CAST(p.v AS TEXT) AND CAST(r.remote_data AS TEXT) IS CAST(p.d AS TEXT)'
        " AND r.deleted_at IS p.deleted"
    )


def _sqlite_params(connection_id: str, rows: Sequence[tuple], now: Any, run_id: str) -> list[Any]:
    return list(chain.from_iterable((connection_id, *row, now, run_id) for row in rows))


def _sqlite_upsert(
    raw: Any, connection_id: str, rows: Sequence[tuple], now: Any, run_id: str
) -> tuple[set[str], list[str]]:
    """Find the rows stored unchanged, then upsert the others; returns the ids written and those unchanged.

    No RETURNING: sqlite3 lets go of the GIL at every row it steps, and under load the committing
    thread then waited for the event loop's thread row after row (a first load returns every row).
    The write transaction (BEGIN IMMEDIATE) holds SQLite's only write lock, so what the first
    statement finds unchanged is still unchanged at the second: the others are exactly the rows
    the upsert writes.
    """
    unchanged: set[str] = set()
    entity = rows[0][0]
    for start in range(0, len(rows), _MAX_ROWS):
        chunk = rows[start : start + _MAX_ROWS]
        params = [*chain.from_iterable((row[1], row[2], row[3], row[7]) for row in chunk), connection_id, entity]
        (found,) = raw.execute(_sqlite_unchanged_statement(len(chunk)), params).fetchone()
        unchanged.update(json.loads(found))
    rest = [row for row in rows if row[1] not in unchanged] if unchanged else rows
    if not rest:
        return set(), [row[1] for row in rows]
    stored = raw.execute(_SQLITE_STORED, (connection_id, entity, json.dumps([row[1] for row in rest]))).fetchall()
    respelled = _respelled(stored, rest) if stored else set()
    _sqlite_write(raw, connection_id, rest, now, run_id)
    return {row[1] for row in rest} - respelled, [row[1] for row in rows if row[1] in unchanged]


def _sqlite_load(raw: Any, connection_id: str, rows: Sequence[tuple], now: Any, run_id: str) -> set[str]:
    """A first load's page: every row written (and so stamped seen), stored or not."""
    _sqlite_write(raw, connection_id, rows, now, run_id, every=True)
    return {row[1] for row in rows}


def _sqlite_write(
    raw: Any, connection_id: str, rows: Sequence[tuple], now: Any, run_id: str, every: bool = False
) -> None:
    for start in range(0, len(rows), _MAX_ROWS):
        chunk = rows[start : start + _MAX_ROWS]
        raw.execute(_sqlite_statement(len(chunk), every), _sqlite_params(connection_id, chunk, now, run_id))


_SQLITE_STORED = (
    'SELECT remote_id, "values", remote_data, deleted_at FROM replica_record'
    " WHERE connection_id = ? AND entity = ? AND remote_id IN (SELECT value FROM json_each(?))"
)
_SQLITE_SEEN = (
    "UPDATE replica_record SET last_seen_run = ?, synced_at = ?"
    " WHERE connection_id = ? AND entity = ? AND remote_id IN (SELECT value FROM json_each(?))"
)


def _stamp_seen(
    raw: Any, dialect: str, connection_id: str, entity: str, seen: list[str], now: Any, run_id: str
) -> None:
    """Rows the page holds unchanged: seen by this run (what a full pass's deletion check reads)."""
    if dialect == "postgresql":
        raw.execute(_PG_SEEN, (run_id, now, connection_id, entity, seen))
    else:
        raw.execute(_SQLITE_SEEN, (run_id, now, connection_id, entity, json.dumps(seen)))
