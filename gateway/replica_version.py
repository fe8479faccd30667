"""The replica's version per connection and entity: bumped by every committed change to its records.

A process keeps replica pages in memory (see `replica_cache.py`) and serves
one again only while the version it was read at is still the current one.
The bump commits in the same transaction as the change, so a process that can
see a change also sees its version, whichever process made it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from .store.sync_tables import ReplicaVersion

_TABLE = ReplicaVersion.__table__  # type: ignore[attr-defined]
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def bump(session: Session, connection_id: str, entity: str) -> None:
    """Call in the transaction that changed the entity's records, after the change (it locks the row last)."""
    insert: Any = _INSERTS[session.get_bind().dialect.name](_TABLE).values(
        connection_id=connection_id, entity=entity, version=1
    )
    session.execute(
        insert.on_conflict_do_update(index_elements=["connection_id", "entity"], set_={"version": _TABLE.c.version + 1})
    )


def current(session: Session, connection_id: str, entity: str) -> int:
    """The committed version (0: never changed since the table exists)."""
    query = select(_TABLE.c.version).where(_TABLE.c.connection_id == connection_id, _TABLE.c.entity == entity)
    return session.execute(query).scalar() or 0
