"""The replica's version per connection and entity: bumped by every committed change to its records.

A process keeps replica pages and answers in memory (see `replica_cache.py`
and `answers.py`) and serves one again only while the version it was read at
is still the current one (and, for an answer, the entity's sync window too).
The bump commits in the same transaction as the change, so a process that can
see a change also sees its version, whichever process made it.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from .store.sync_tables import ReplicaVersion, SyncState
from .store.tables import as_utc

_TABLE = ReplicaVersion.__table__  # type: ignore[attr-defined]
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@cache  # one per dialect: every committed sync page runs it, and building it cost more than running it
def _bump_statement(dialect: str) -> Any:
    insert: Any = _INSERTS[dialect](_TABLE).values(
        connection_id=bindparam("bump_connection"), entity=bindparam("bump_entity"), version=1
    )
    return insert.on_conflict_do_update(
        index_elements=["connection_id", "entity"], set_={"version": _TABLE.c.version + 1}
    )


def bump(session: Session, connection_id: str, entity: str) -> None:
    """Call in the transaction that changed the entity's records, after the change (it locks the row last)."""
    statement = _bump_statement(session.get_bind().dialect.name)
    session.execute(statement, {"bump_connection": connection_id, "bump_entity": entity})


# An entity's replica as a read saw it: version, last synced, history start (its window).
Stamp = tuple[int, datetime | None, datetime | None]


def _stamp_query() -> Any:
    versions = ReplicaVersion.__table__.c  # type: ignore[attr-defined]
    states = SyncState.__table__.c  # type: ignore[attr-defined]
    connection: Any = bindparam("connection_id")
    entity: Any = bindparam("entity")
    state = (states.connection_id == connection) & (states.entity == entity)
    return select(
        select(versions.version)
        .where(versions.connection_id == connection, versions.entity == entity)
        .scalar_subquery(),
        select(states.last_succeeded_at).where(state).scalar_subquery(),
        select(states.history_start).where(state).scalar_subquery(),
    )


# Built once: a polled answer costs this read per entity, and building the statement cost as much as running it.
_STAMP = _stamp_query()


def stamps(session: Session, connection_id: str, entities: list[str]) -> dict[str, Stamp]:
    """The current stamp of each entity: one read each, its version and window together."""
    made: dict[str, Stamp] = {}
    for entity in entities:
        version, synced_at, history_start = session.execute(
            _STAMP, {"connection_id": connection_id, "entity": entity}
        ).one()
        if synced_at is None:  # never synced: no window
            history_start = None
        made[entity] = (version or 0, as_utc(synced_at), as_utc(history_start))
    return made
