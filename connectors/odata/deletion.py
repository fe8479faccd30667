"""Soft-delete markers: records a system still lists but marks deleted.

A `DeletionMarker` is a filterable property whose value marks a record deleted
(SAP's purchase order deletion code `L`): the service can leave marked records
out (`include_deleted=False`) and filter a status the marker decides, so counts
stay exact. `Marked` is a status that such a marker overrides; `DeletedAt` sets
`deletedAt` on a marked record from the best time the system gives for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..mapping import Spec, dig
from .query import eq_any, literal
from .specs import Code, ODate


@dataclass(frozen=True)
class DeletionMarker:
    """`property eq value` marks a record deleted; a marked record has the normalized `status`."""

    property: str
    value: Any
    status: str | None = None

    def marks(self, raw: Any) -> bool:
        return dig(raw, self.property) == self.value

    def deleted(self) -> str:
        return f"{self.property} eq {literal(self.value)}"

    def kept(self) -> str:
        return f"{self.property} ne {literal(self.value)}"

    def status_filter(self, property: str, raw: list[Any], statuses: tuple[str, ...]) -> str | None:
        """The records whose status is one of `statuses`, given the `raw` values of `property` behind
        them: unmarked records by their raw value, marked ones by `status` (None: none can match)."""
        if self.status is None:  # the marker leaves the status alone
            return eq_any(property, raw) if raw else None
        by_value = f"({eq_any(property, raw)} and {self.kept()})" if raw else None
        if self.status not in statuses:
            return by_value
        return f"({by_value} or {self.deleted()})" if by_value else self.deleted()


@dataclass(frozen=True)
class Marked(Code):
    """A coded status that a deletion marker overrides; the raw value stays the code."""

    marker: DeletionMarker | None = None

    def extract(self, raw: Any) -> Any:
        if self.marker is not None and self.marker.marks(raw):
            return self.marker.status
        return super().extract(raw)


@dataclass(frozen=True)
class DeletedAt(Spec):
    """`deletedAt` of a record marked deleted: `time` (the system keeps no deletion time of its own)."""

    marked: Callable[[Any], bool]
    time: ODate

    def extract(self, raw: Any) -> Any:
        return self.time.extract(raw) if self.marked(raw) else None
