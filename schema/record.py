"""What resolvers work on: mapped records and pages, and the source they come from.

Connectors produce `Record`s; the gateway implements `DataSource`; the builder
only reads both, so the schema package depends on nothing above it.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

DEFAULT_PAGE_SIZE = 50  # records per page when a list does not say `first`/`last`


@dataclass
class Record:
    """One record of a unified entity or custom object, already mapped.

    `values` holds unified field values by GraphQL name; enum fields hold the
    normalized value and `<name>Raw` the system's own; relations hold remote ids;
    components hold lists of plain dicts. `remote_data` is the raw record.
    `origin` says where it was read (LIVE or REPLICA); its relations are read there too.
    `unmapped` keeps what the system's own mapping gave for fields a connection remaps, so the
    replica stores the system's mapping and each read applies the connection's current one.
    `unread`, on a record a live list mapped for its query's fields only, maps all of them
    from `remote_data`.
    """

    entity: str
    remote_id: str
    values: dict[str, Any] = field(default_factory=dict)
    remote_data: Any = None
    origin: str = "LIVE"
    unmapped: dict[str, Any] = field(default_factory=dict)
    unread: Callable[[Any], dict[str, Any]] | None = field(default=None, repr=False, compare=False)

    def complete(self) -> Record:
        """This record with every value its mapping gives (what was set since, custom values, stays)."""
        if self.unread is not None:
            whole, self.unread = self.unread(self.remote_data), None
            for name, value in whole.items():
                self.values.setdefault(name, value)
        return self


@dataclass
class ResultPage:
    """A page of records as the GraphQL list fields return it."""

    records: list[Record]
    cursors: Sequence[str]  # a list, or made lazily (replica pages)
    end_cursor: str | None
    has_next_page: bool
    total_count: int | None = None
    has_previous_page: bool = False
    synced_at: datetime | None = None
    history_start: datetime | None = None  # replica reads: every record changed since is held (None: all)
    counter: Callable[[], Awaitable[int | None]] | None = None  # counts the whole list when asked


class DataSource(Protocol):
    """The per-request context a generated schema resolves against."""

    async def list(
        self,
        entity: str,
        *,
        first: int | None,
        after: str | None,
        filter: dict[str, Any],
        source: str,
        last: int | None = None,
        before: str | None = None,
        order: dict[str, str] | None = None,
        fields: frozenset[str] | None = None,
    ) -> ResultPage:
        """`fields`: the values the query reads of each record (None: any); a live list may map only those."""
        ...

    async def load(self, entity: str, remote_id: str, origin: str = "LIVE") -> Record | None: ...

    async def load_many(
        self, entity: str, remote_ids: builtins.list[str], origin: str = "LIVE"
    ) -> builtins.list[Record | None]: ...

    async def node(self, global_id: str) -> Record | None: ...

    async def write(
        self,
        operation: str,
        entity: str,
        id: str | None,
        values: dict[str, Any],
        *,
        if_match: str | None = None,
        idempotency_key: str | None = None,
        write_options: dict[str, Any] | None = None,
    ) -> tuple[Record, bool]:
        """create / update / delete / adjust; returns the record and whether it was replayed.

        `write_options` override, for this call, the system's write settings (`writeDefaults`)."""
        ...

    def global_id(self, record: Record) -> str: ...

    async def connection_info(self) -> dict[str, Any]: ...

    def events(self, types: frozenset[str]) -> AsyncIterator[dict[str, Any]]: ...
