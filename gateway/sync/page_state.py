"""What a committed page reads and writes of its entity's `SyncState`, without the ORM.

Every page's transaction reads the pass's run and advances its cursor; through
the ORM (an object loaded, then flushed) that cost more than the statements
themselves. The end of a pass, once per pass, still goes through the ORM.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from ..store.sync_tables import SyncState

_TABLE: Any = SyncState.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes at run time
_ROW = (_TABLE.c.connection_id == bindparam("state_connection")) & (_TABLE.c.entity == bindparam("state_entity"))
_READ = select(_TABLE.c.run_id, _TABLE.c.watermark).where(_ROW)
_ADVANCE = (
    update(_TABLE)
    .where(_ROW)
    .values(cursor=bindparam("next_cursor"), records_synced=_TABLE.c.records_synced + bindparam("read"))
)


def _key(connection_id: str, entity: str) -> dict[str, str]:
    return {"state_connection": connection_id, "state_entity": entity}


def running(session: Session, connection_id: str, entity: str) -> tuple[str, datetime | None]:
    """The running pass's id, and the entity's watermark (None: it never synced, so this is its first load)."""
    run_id, watermark = session.execute(_READ, _key(connection_id, entity)).one()
    if not run_id:
        raise RuntimeError(f"no pass of {entity} is running for {connection_id}")
    return run_id, watermark


def advance(session: Session, connection_id: str, entity: str, next_cursor: str | None, read: int) -> None:
    """The cursor after the page and the records the pass has read, in the page's transaction."""
    session.execute(_ADVANCE, {**_key(connection_id, entity), "next_cursor": next_cursor, "read": read})
