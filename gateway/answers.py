"""Whole answers served again: a query that read only replica lists, asked again while they stand.

A frontend polling a list sends the same query with the same token over and
over. The first answer is kept with what it was read at: per entity, the
replica version (see `replica_version.py`) and the window (`syncedAt`,
`historyStart`). The same query from the same connection is answered with
those bytes again while every one of them is still what the database holds,
which costs one small read instead of the page, the execution and the encoding.

Only answers that read nothing but replica lists qualify: any live read, load
by id, count, connection field, write or error leaves the answer out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import Session

from .store.engine import Store
from .store.sync_tables import ReplicaVersion, SyncState

ANSWERS = 256  # kept answers (each one response body)

# An entity's replica as a read saw it: version, last synced, history start.
Stamp = tuple[int, datetime | None, datetime | None]


@dataclass
class Trail:
    """What one request read: the replica stamp of every entity listed, and whether it read anything else."""

    stamps: dict[str, Stamp] = field(default_factory=dict)
    other: bool = False

    def replica(self, entity: str, stamp: Stamp) -> None:
        if self.stamps.setdefault(entity, stamp) != stamp:
            self.other = True  # listed twice across a change: no single stamp holds for the answer

    @property
    def reusable(self) -> bool:
        return bool(self.stamps) and not self.other


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
        made[entity] = (version or 0, _utc(synced_at), _utc(history_start))
    return made


def _utc(value: datetime | None) -> datetime | None:
    """As `replica.window` gives them (SQLite hands back naive times)."""
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Answer:
    owner: object  # the connector (and so the custom fields) the answer was read with
    stamps: dict[str, Stamp]
    body: bytes


class AnswerCache:
    """Answers by request key, least recently used dropped; 0 keeps none."""

    def __init__(self, size: int = ANSWERS) -> None:
        self.size = size
        self._answers: OrderedDict[Hashable, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, owner: object) -> Answer | None:
        with self._lock:
            answer = self._answers.get(key)
            if answer is None or answer.owner is not owner:
                return None
            self._answers.move_to_end(key)
            return answer

    def put(self, key: Hashable, answer: Answer) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._answers[key] = answer
            self._answers.move_to_end(key)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)

    def drop(self, key: Hashable) -> None:
        with self._lock:
            self._answers.pop(key, None)


def current(store: Store, connection_id: str, entities: list[str]) -> dict[str, Stamp]:
    """`stamps` in a read of its own (blocking: run through the store)."""
    with store.read() as session:
        return stamps(session, connection_id, entities)
