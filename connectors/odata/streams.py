"""`EntitySetStream`: one entity set of a service declared as one unified entity."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ..catalog import Capability
from ..mapping import EntityMap
from .deletion import DeletionMarker
from .query import V2, Dialect, Query, all_of, eq_any


@dataclass(frozen=True)
class EntitySetStream:
    """One entity set read as one unified entity.

    `key` is the property that holds the remote id (filtered on for fetch-many);
    `select` lists every property the mapping reads, `expand` the navigations.
    `writes` (an `writes.Writes`) declares what creates and updates may
    set; `extra_keys` completes a composite key in URLs (e.g. the current time segment).
    `deletion` names the filterable property that marks a record deleted, if any.
    `dialect` is the protocol version the service speaks; `guid_key`: the key is an `Edm.Guid`
    (written bare in OData v4 URLs and filters).
    """

    mapping: EntityMap
    service: str
    entity_set: str
    key: str
    select: tuple[str, ...]
    expand: tuple[str, ...] = ()
    orderby: tuple[str, ...] = ()
    updated_field: str | None = None
    status_field: str | None = "status"
    status_property: str | None = None  # a filterable property behind `status_field`
    fixed_filter: str | None = None  # always applied (e.g. only the current time segment)
    writes: Any = None
    extra_keys: str = ""
    deletion: DeletionMarker | None = None
    dialect: Dialect = V2
    guid_key: bool = False

    @property
    def entity(self) -> str:
        return self.mapping.entity

    @property
    def keyset(self) -> bool:
        """Pages can continue after the last key seen: the set is ordered by `key` alone, and `key`
        alone tells the listed rows apart (the other parts of a composite key are pinned by `fixed_filter`)."""
        by_key = self.orderby in ((), (self.key,))
        return by_key and (not self.extra_keys or self.fixed_filter is not None)

    def key_value(self, remote_id: Any) -> Any:
        """A remote id as the key's type: a GUID key's id that is no GUID stays text (the service refuses it)."""
        if self.guid_key:
            try:
                return UUID(str(remote_id))
            except ValueError:
                pass
        return str(remote_id)

    def may_exist(self, remote_id: Any) -> bool:
        """Whether an id can name a record at all (a GUID key's id must be a GUID)."""
        return not self.guid_key or not isinstance(self.key_value(remote_id), str)

    def key_literal(self, remote_id: Any) -> str:
        return self.dialect.literal(self.key_value(remote_id))

    def key_path(self, remote_id: str) -> str:
        """`Set('1')`, or `Set(Key='1',Other=...)` when the key has more parts."""
        if self.extra_keys:
            return f"{self.entity_set}({self.key}={self.key_literal(remote_id)},{self.extra_keys})"
        return f"{self.entity_set}({self.key_literal(remote_id)})"

    def with_keys(self, remote_ids: Iterable[Any]) -> str:
        """`(key eq … or key eq …)`: the records of these ids."""
        return eq_any(self.key, (self.key_value(i) for i in remote_ids), self.dialect)

    def query(self, filter: str | None = None, extra: tuple[str, ...] = (), **options: Any) -> Query:
        return Query(
            filter=all_of([self.fixed_filter, filter]),
            select=tuple(dict.fromkeys((self.key, *self.select, *extra))),
            expand=self.expand,
            orderby=self.orderby or (self.key,),
            dialect=self.dialect,
            **options,
        )


def capability(stream: EntitySetStream) -> Capability:
    """Read everything; incremental where the set has a change time; write what the stream declares."""
    writes = stream.writes
    return Capability(
        read=True,
        incremental=stream.updated_field is not None,
        create=writes is not None and writes.create is not None,
        update=writes is not None and writes.update is not None,
        delete=writes is not None and writes.delete,
    )
