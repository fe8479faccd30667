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

from collections.abc import Hashable
from dataclasses import dataclass, field

from .lru import Lru
from .replica_version import Stamp, stamps
from .store.engine import Store

ANSWERS = 256  # kept answers (each one response body)


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


@dataclass(frozen=True)
class Answer:
    owner: object  # the connector (and so the custom fields) the answer was read with
    stamps: dict[str, Stamp]
    body: bytes


class AnswerCache:
    """Answers by request key, least recently used dropped; 0 keeps none."""

    def __init__(self, size: int = ANSWERS) -> None:
        self._answers: Lru[Answer] = Lru(size)

    def get(self, key: Hashable, owner: object) -> Answer | None:
        answer = self._answers.get(key)
        return answer if answer is not None and answer.owner is owner else None

    def put(self, key: Hashable, answer: Answer) -> None:
        self._answers.put(key, answer)

    def drop(self, key: Hashable) -> None:
        self._answers.drop(key)


def current(store: Store, connection_id: str, entities: list[str]) -> dict[str, Stamp]:
    """`stamps` in a read of its own (blocking: run through the store)."""
    with store.read() as session:
        return stamps(session, connection_id, entities)
