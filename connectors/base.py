"""The connector contract every system implements.

A connector reads one connection's system: `check` the login, list pages of an
entity (cursor + modified-since), count, fetch many records by id, and map remote
records to the unified model. Protocol code lives in `rest.py`, `jsonrpc.py`,
`odata/` and the paging styles in `paging.py`, so a connector is mostly declarations.

A listing's filter is split once, here, by `plan_filter`: given what a stream's
system filters (`Filterable`), it returns a `FilterPlan` (the part to push, which
the protocol renders, and the residual matched on the mapped records), or None
when nothing can match, the one signal every protocol answers with an empty page.

How far a listing can be trusted is declared too: an entity is read
incrementally only where its capability says `incremental` (the system filters by
a modified field); its records carry `updatedAt`/`createdAt` only where its
mapping has them, and a time filter on an entity without that time is refused
rather than answered with an empty list.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, ClassVar

from schema.errors import BadUserInput, Conflict, NotFound, UnsupportedOperation
from schema.model import CustomField, CustomObject, Extension
from schema.record import Record

from .catalog import SystemEntry
from .discovery import FieldCandidate, ObjectCandidate, coerce
from .http import HttpPolicy
from .mapping import EntityMap, dig
from .passthrough import RawRequest, RawResponse
from .remote_ids import id_problem
from .writes import WriteMap


@dataclass(frozen=True)
class ConnectionConfig:
    """What a connector needs to reach one instance (credentials decrypted)."""

    hosting: str
    instance_url: str | None
    credentials: dict[str, str] = field(default_factory=dict)
    extension: Extension = Extension()  # custom fields to read along, custom objects to serve
    write_defaults: Mapping[str, str] = field(default_factory=dict)  # the connection's `writeDefaults`


@dataclass(frozen=True)
class WriteSetting:
    """Organisational context a system needs on some writes (an SAP company code, a Maximo site):
    a connection default (`writeDefaults`), overridable per mutation (`writeOptions`)."""

    name: str
    label: str
    help: str = ""
    entities: tuple[str, ...] = ()  # whose creates need it


@dataclass(frozen=True)
class ListQuery:
    """Filters a list call may push down to the system (normalized values)."""

    updated_after: datetime | None = None
    created_after: datetime | None = None
    statuses: tuple[str, ...] | None = None
    custom: tuple[tuple[CustomField, Any], ...] = ()  # custom field equal to value
    # Records the system still lists but marks deleted (SAP deletion codes, ...): syncs
    # want them (the replica marks them deleted); default API lists leave them out.
    include_deleted: bool = True
    # `orderBy` of a live list as (field, "ASC" | "DESC"): only a field the connector's `live_order` has.
    order_by: tuple[str, str] | None = None

    def matches(self, record: Record, status_field: str | None) -> bool:
        """The same filters applied locally, for what the system cannot filter."""
        values = record.values
        if not self.include_deleted and values.get("deletedAt") is not None:
            return False
        if any(values.get(f.name) != value for f, value in self.custom):
            return False
        if self.updated_after and not _after(values.get("updatedAt"), self.updated_after):
            return False
        if self.created_after and not _after(values.get("createdAt"), self.created_after):
            return False
        if self.statuses is not None and status_field:
            return values.get(status_field) in self.statuses
        return True


def _after(value: datetime | None, bound: datetime) -> bool:
    return value is not None and value > bound


def _takes_none(custom: CustomField, value: Any) -> bool:
    return False


TIMES = ("updated_after", "created_after")  # the time filters, as `Filterable.recheck` names them


@dataclass(frozen=True)
class Filterable:
    """What a system filters itself on one stream's records: the filter planner's input.

    Each protocol builds one from its stream's declarations (query parameters, filterable
    properties, domain fields). A status is filtered by the raw values behind the `status_field`
    enum; `marked_status` is one the system filters by a deletion marker instead, so it can match
    with no raw value. `recheck` names pushed filters applied here again, where the system's form
    is coarser than the unified one (inclusive `…Gte` bounds, whole seconds): any of `TIMES` and
    `"custom"`.
    """

    mapping: EntityMap
    status_field: str | None = None
    updated_after: bool = False
    created_after: bool = False
    statuses: bool = False
    marked_status: str | None = None
    deleted: bool = False  # leaves records marked deleted out
    custom: Callable[[CustomField, Any], bool] = _takes_none  # which custom-field filters it takes
    recheck: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FilterPlan:
    """A listing's filter split in two: `pushed` for the system to render, `residual` to match here.

    `raw_statuses` are the system's values behind `pushed.statuses`. `exact`: the system alone
    lists the records the whole filter keeps (re-checks aside), so its count is the listing's.
    """

    pushed: ListQuery
    residual: ListQuery
    raw_statuses: tuple[Any, ...] = ()
    exact: bool = True

    @property
    def screened(self) -> bool:
        """Whether some records the system lists may be left out here."""
        return replace(self.residual, order_by=None) != ListQuery()


def _split_time(
    bound: datetime | None, pushable: bool, recheck: bool, mapped: Any
) -> tuple[datetime | None, datetime | None, bool] | None:
    """A time bound as (pushed, matched here, exact); None: the records carry no such time."""
    if bound is None:
        return None, None, True
    if pushable:
        return bound, bound if recheck else None, True
    return None if mapped is None else (None, bound, False)


def plan_filter(query: ListQuery, can: Filterable) -> FilterPlan | None:
    """Split `query` into what the system filters and what is matched here; None: nothing can match
    (a status no raw value stands for, or a time bound on records that carry no such time).

    The one planner every protocol uses, so each renders only `pushed`. A stream that never marks a
    record deleted needs no filter to leave deleted records out, nor one without a status field a
    status filter.
    """
    updated = _split_time(
        query.updated_after, can.updated_after, "updated_after" in can.recheck, can.mapping.updated_at
    )
    created = _split_time(
        query.created_after, can.created_after, "created_after" in can.recheck, can.mapping.created_at
    )
    if updated is None or created is None:
        return None
    pushed = ListQuery(updated_after=updated[0], created_after=created[0])
    residual = replace(query, updated_after=updated[1], created_after=created[1], custom=())
    exact = updated[2] and created[2]
    if not query.include_deleted:
        if can.deleted:
            pushed, residual = replace(pushed, include_deleted=False), replace(residual, include_deleted=True)
        elif "deletedAt" in can.mapping.fields:
            exact = False
        else:
            residual = replace(residual, include_deleted=True)
    raw: tuple[Any, ...] = ()
    spec = can.mapping.enum_spec(can.status_field) if can.status_field else None
    if query.statuses is not None and can.status_field is None:
        residual = replace(residual, statuses=None)
    elif query.statuses is not None and can.statuses and spec:
        raw = tuple(r for s in query.statuses for r in spec.raw_values(s))
        if not raw and can.marked_status not in query.statuses:
            return None
        pushed, residual = replace(pushed, statuses=query.statuses), replace(residual, statuses=None)
    elif query.statuses is not None:
        exact = False
    taken = tuple((f, v) for f, v in query.custom if can.custom(f, v))
    left = tuple(c for c in query.custom if c not in taken)
    exact = exact and not left
    residual = replace(residual, custom=query.custom if "custom" in can.recheck else left)
    return FilterPlan(replace(pushed, custom=taken), residual, raw, exact)


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
    # What live paging guarantees when records change between pages (README, per system):
    # "keyset" - pages continue after the last key seen: a deletion or insertion before
    #            the cursor neither skips nor repeats a record;
    # "cursor" - the system's own cursor: as stable as the system makes it;
    # "offset" - positions: a deletion before the cursor can skip a record.
    live_paging: ClassVar[str] = "offset"
    # The unified fields (`remoteId`, `updatedAt`, `createdAt`) a live list can be sorted by, both ways,
    # honoured in `list_page` through `ListQuery.order_by` without breaking its paging; any other
    # `orderBy` is refused before an upstream call (the replica sorts by all three).
    live_order: ClassVar[frozenset[str]] = frozenset()
    write_settings: ClassVar[tuple[WriteSetting, ...]] = ()
    # Unified fields a hook fills beyond the entity's mapping (`component.field` inside lines), by entity:
    # the connection's schema has a field only where the mapping or this says the system fills it.
    enriched: ClassVar[dict[str, frozenset[str]]] = {}
    # Request headers a passthrough call may carry beyond `passthrough.ALLOWED_HEADERS` (a vendor's own).
    passthrough_headers: ClassVar[frozenset[str]] = frozenset()
    # The form of this system's record ids where stricter than a safe path segment: (regex, what it says).
    id_pattern: ClassVar[tuple[str, str] | None] = None

    def __init__(self, config: ConnectionConfig, policy: HttpPolicy | None = None) -> None:
        self.config = config
        self.policy = policy or HttpPolicy()

    @property
    def instance_root(self) -> str:
        """The instance URL as the connection stores it (the vendor's default where it has one)."""
        return (self.config.instance_url or self.entry.default_base_url or "").rstrip("/")

    @property
    def base_url(self) -> str:
        return self.instance_root

    def require(self, entity: str) -> None:
        if not self.entry.supports(entity):
            raise UnsupportedOperation(
                f"{self.entry.name} has no {entity} records", system=self.entry.key, entity=entity
            )

    def check_id(self, entity: str, remote_id: str, argument: str = "id") -> None:
        """Refuse an id that cannot name a record of this system, before any upstream call."""
        problem = id_problem(remote_id)
        pattern = self.id_pattern if self.entry.supports(entity) else None
        if problem is None and pattern is not None and not re.fullmatch(pattern[0], remote_id):
            problem = f"is not an id of {self.entry.name}: {self.entry.name} ids are {pattern[1]}"
        if problem is not None:
            raise BadUserInput(f"'{argument}' {problem}", field=argument, system=self.entry.key)

    @abstractmethod
    async def check(self) -> None:
        """Log in and make one cheap read; raise the matching error if it fails."""

    @abstractmethod
    async def list_page(self, entity: str, query: ListQuery, cursor: str | None, limit: int) -> Page:
        """One page of an entity in a stable order, starting at `cursor`."""

    async def read_pages(
        self, entity: str, query: ListQuery, cursor: str | None, limit: int
    ) -> AsyncGenerator[Page, None]:
        """Every page from `cursor` to the end, in order, as a sync reads them: `list_page` after `list_page`.
        A system whose next page is known before a page is mapped is asked for it meanwhile
        (`RestConnector`); close the iterator (`contextlib.aclosing`) when stopping early."""
        while True:
            page = await self.list_page(entity, query, cursor, limit)
            yield page
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    @abstractmethod
    async def fetch_many(self, entity: str, remote_ids: list[str]) -> list[Record]:
        """The records with these ids that exist, in as few calls as the API allows."""

    async def count(self, entity: str, query: ListQuery) -> int | None:
        """How many records `list_page` would list for `query`, where the system can count
        them in one call (None: it cannot, or part of the filter is applied here)."""
        return None

    def entity_map(self, entity: str) -> EntityMap | None:
        """The mapping of a unified entity (None for systems without declarative maps)."""
        return None

    def incremental(self, entity: str) -> bool:
        """Whether the system filters this entity by a modified time (else syncs read it whole)."""
        capability = self.entry.capabilities.get(entity)
        return bool(capability and capability.incremental)

    def check_query(self, entity: str, query: ListQuery) -> None:
        """Refuse a time filter the records cannot answer (no such time on this entity)."""
        mapping = self.entity_map(entity)
        if mapping is None:
            return
        for bound, mapped, name in (
            (query.updated_after, mapping.updated_at, "updatedAfter"),
            (query.created_after, mapping.created_at, "createdAfter"),
        ):
            if bound is not None and mapped is None:
                what = "changed" if name == "updatedAfter" else "was created"
                raise BadUserInput(
                    f"{self.entry.name} does not say when a {entity} {what}: '{name}' cannot filter {entity} records",
                    field=f"filter.{name}",
                    system=self.entry.key,
                )

    # -- customization --------------------------------------------------------

    async def discover_fields(self, entity: str) -> list[FieldCandidate]:
        """Remote fields of an entity beyond the unified mapping (for a settings picker)."""
        return []

    async def discover_objects(self) -> list[ObjectCandidate]:
        """Remote tables or object types a connection may expose as custom objects."""
        return []

    def custom_value(self, raw: Any, custom: CustomField) -> Any:
        """A custom field's value from the raw record; systems with odd formats override."""
        return coerce(dig(raw, custom.remote_path), custom.type)

    def with_custom_values(self, records: list[Record]) -> list[Record]:
        """Add the connection's custom field values to mapped records (live or replica), and read its
        remapped unified fields from their source fields, keeping what the system's mapping gave
        in `unmapped` (the replica stores that, so a changed mapping applies to stored records at once)."""
        extension = self.config.extension
        if not (extension.custom_fields or extension.field_mappings):
            return records  # nothing to add: most connections, on every list read
        for record in records:
            if extension.object(record.entity) is not None:
                continue
            for custom in extension.fields_for(record.entity):
                record.values[custom.name] = self.custom_value(record.remote_data, custom)
            for remap in extension.mappings_for(record.entity):
                record.unmapped.setdefault(remap.name, record.values.get(remap.name))
                record.values[remap.name] = self.custom_value(record.remote_data, remap)
        return records

    async def list_objects(self, obj: CustomObject, cursor: str | None, limit: int) -> Page:
        raise UnsupportedOperation(
            f"{self.entry.name} cannot serve custom objects", system=self.entry.key, operation="listObjects"
        )

    async def fetch_objects(self, obj: CustomObject, remote_ids: list[str]) -> list[Record]:
        raise UnsupportedOperation(
            f"{self.entry.name} cannot serve custom objects", system=self.entry.key, operation="fetchObjects"
        )

    # -- writes -----------------------------------------------------------------

    def write_map(self, entity: str) -> WriteMap | None:
        """The declared writable fields of an entity (None: no field-level check here)."""
        return None

    def write_payload(self, operation: str, entity: str, values: dict[str, Any]) -> dict[str, Any]:
        """The request payload by the entity's write map, custom fields included (none: no such write)."""
        writes = self.write_map(entity)
        if writes is None:
            raise self._unsupported(operation, entity)
        return writes.payload(operation, values, self.config.extension.sourced_for(entity))

    async def current_version(
        self, entity: str, remote_id: str, if_match: str | None, must_exist: bool = False
    ) -> None:
        """Optimistic concurrency where the system checks none: before a write, read the record and
        compare its `remoteVersion` with the client's `ifMatch` (a Conflict names the current one).

        `ifMatch` on records that carry no version is refused, as it could never match. With
        `must_exist` the record is read even without `ifMatch`, for systems whose writes to a
        missing id answer no error the caller could tell apart.
        """
        self.check_id(entity, remote_id)
        mapping = self.entity_map(entity)
        if if_match is not None and mapping is not None and not mapping.versioned:
            raise BadUserInput(
                f"{self.entry.name} keeps no version of {entity} records: leave ifMatch out", field="ifMatch"
            )
        if if_match is None and not must_exist:
            return
        found = await self.fetch_many(entity, [remote_id])
        if not found:
            raise NotFound(f"{self.entry.name} has no {entity} {remote_id}")
        current = found[0].values.get("remoteVersion")
        if if_match is not None and current != if_match:
            raise Conflict(
                f"{entity} {remote_id} changed in {self.entry.name} since version {if_match}; read it again",
                current_version=current,
            )

    def check_write(self, operation: str, entity: str, values: dict[str, Any]) -> None:
        """Refuse before any upstream call: unsupported operation, or input the system cannot take."""
        capability = self.entry.capabilities.get(entity)
        if capability is None or not capability.allows(operation):
            raise self._unsupported(operation, entity)
        writes = self.write_map(entity)
        if writes is not None and operation != "delete":
            writes.validate(operation, values, self.config.extension.sourced_for(entity))

    async def create(self, entity: str, values: dict[str, Any], options: Mapping[str, str] | None = None) -> Record:
        raise self._unsupported("create", entity)

    async def update(
        self,
        entity: str,
        remote_id: str,
        values: dict[str, Any],
        if_match: str | None,
        options: Mapping[str, str] | None = None,
    ) -> Record:
        raise self._unsupported("update", entity)

    def write_option(self, name: str, options: Mapping[str, str] | None) -> str | None:
        """A write setting for one call: the mutation's `writeOptions`, else the connection's `writeDefaults`."""
        value = (options or {}).get(name) or self.config.write_defaults.get(name)
        return str(value) if value not in (None, "") else None

    def required_option(self, name: str, options: Mapping[str, str] | None, entity: str) -> str:
        """A write setting the system cannot do without; the error names the setting and where to give it."""
        value = self.write_option(name, options)
        if value is None:
            setting = next((s for s in self.write_settings if s.name == name), None)
            label = f" ({setting.label})" if setting else ""
            raise BadUserInput(
                f"{self.entry.name} needs '{name}'{label} to create a {entity}: set it in the connection's "
                f"writeDefaults, or pass writeOptions: {{{name}: ...}} with the mutation",
                field=f"writeOptions.{name}",
                system=self.entry.key,
            )
        return value

    async def write_setting_choices(self, name: str) -> list[tuple[str, str]]:
        """Values a settings picker may offer for a write setting, as (value, label), read from the system."""
        return []

    async def delete(self, entity: str, remote_id: str, if_match: str | None) -> Record | None:
        """Delete one record; a system that only marks records deleted returns the record as it now reads."""
        raise self._unsupported("delete", entity)

    async def adjust_stock(self, part_id: str, location_id: str | None, delta: float) -> Record:
        """Change a part's quantity on hand (at a location) by `delta`; returns the part."""
        raise self._unsupported("adjust", "Part")

    # -- passthrough ------------------------------------------------------------

    async def passthrough(self, request: RawRequest) -> RawResponse:
        """Send a checked raw request to the instance with this connection's login, on the connector's own
        client (`connectors/passthrough.py`); each protocol family implements it once."""
        raise UnsupportedOperation(
            f"{self.entry.name} does not take passthrough requests", system=self.entry.key, operation="passthrough"
        )

    def _unsupported(self, operation: str, entity: str) -> UnsupportedOperation:
        return UnsupportedOperation(
            f"{self.entry.name} does not support {operation} of {entity}",
            system=self.entry.key,
            operation=f"{operation}{entity}",
        )

    async def aclose(self) -> None:
        """Release the connection's HTTP pool (a connector without one has nothing to release)."""
        return None
