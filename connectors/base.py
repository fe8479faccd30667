"""The connector contract every system implements.

A connector reads one connection's system: `check` the login, list pages of an
entity (cursor + modified-since), fetch many records by id, and map remote
records to the unified model. Protocol code (REST paging, OData) lives in
`rest.py` / `odata.py`, so a connector is mostly declarations.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from schema.errors import UnsupportedOperation
from schema.record import Record

from .catalog import SystemEntry
from .http import HttpPolicy


@dataclass(frozen=True)
class ConnectionConfig:
    """What a connector needs to reach one instance (credentials decrypted)."""

    hosting: str
    instance_url: str | None
    credentials: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ListQuery:
    """Filters a list call may push down to the system (normalized values)."""

    updated_after: datetime | None = None
    created_after: datetime | None = None
    statuses: tuple[str, ...] | None = None

    def matches(self, record: Record, status_field: str | None) -> bool:
        """The same filters applied locally, for what the system cannot filter."""
        values = record.values
        if self.updated_after and not _after(values.get("updatedAt"), self.updated_after):
            return False
        if self.created_after and not _after(values.get("createdAt"), self.created_after):
            return False
        if self.statuses is not None and status_field:
            return values.get(status_field) in self.statuses
        return True


def _after(value: datetime | None, bound: datetime) -> bool:
    return value is not None and value > bound


@dataclass
class Page:
    """One upstream page: mapped records and where the next one starts."""

    records: list[Record]
    next_cursor: str | None
    total: int | None = None


class Connector(ABC):
    """One system's reader, bound to one connection."""

    entry: ClassVar[SystemEntry]
    max_page_size: ClassVar[int] = 200

    def __init__(self, config: ConnectionConfig, policy: HttpPolicy | None = None) -> None:
        self.config = config
        self.policy = policy or HttpPolicy()

    @property
    def base_url(self) -> str:
        return (self.config.instance_url or self.entry.default_base_url or "").rstrip("/")

    def require(self, entity: str) -> None:
        if not self.entry.supports(entity):
            raise UnsupportedOperation(
                f"{self.entry.name} has no {entity} records", system=self.entry.key, entity=entity
            )

    @abstractmethod
    async def check(self) -> None:
        """Log in and make one cheap read; raise the matching error if it fails."""

    @abstractmethod
    async def list_page(
        self, entity: str, query: ListQuery, cursor: str | None, limit: int
    ) -> Page:
        """One page of an entity in a stable order, starting at `cursor`."""

    @abstractmethod
    async def fetch_many(self, entity: str, remote_ids: list[str]) -> list[Record]:
        """The records with these ids that exist, in as few calls as the API allows."""

    async def aclose(self) -> None:
        """Release the connection's HTTP pool."""
