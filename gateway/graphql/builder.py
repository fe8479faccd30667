"""Unified model + a connection's extension -> a Strawberry schema, at runtime.

Every GraphQL type of the data schema is generated from the declarations in
`entities.py` (plus the extension's custom fields and objects), so the model is
written once. Schemas are cached per distinct extension: all connections on the
default model share one schema object.
"""

from __future__ import annotations

import enum
import inspect
import threading
from collections import OrderedDict
from collections.abc import AsyncGenerator, Callable
from datetime import datetime
from typing import Any, Optional

import strawberry
from strawberry.scalars import JSON
from strawberry.tools import create_type

from schema.entities import ENTITIES
from schema.model import (
    STANDARD_FIELDS,
    Component,
    CustomField,
    CustomObject,
    Entity,
    EnumDef,
    Extension,
    Field,
    Relation,
    Shape,
    Sources,
)
from schema.record import DEFAULT_PAGE_SIZE, DataSource, Record, ResultPage

from . import plain_fields
from .closed_sets import ConnectionStatus, Hosting, SyncEventType, SyncMode, SyncState
from .descriptions import describe
from .passthrough import passthrough_field
from .plain_execution import PlainFieldsExecutor
from .plain_fields import reading_value, with_plain
from .selected import record_fields

MAX_PAGE_SIZE = 200

# The record times a system may or may not keep: their fields and their filters (`updatedAfter`, ...)
STAMPS = {
    "updatedAt": "Changed after this time (refused where the system does not say when a record changed).",
    "createdAt": "Created after this time (refused where the system does not say when a record was created).",
}

_SCALARS: dict[str, Any] = {
    "ID": strawberry.ID,
    "String": str,
    "Int": int,
    "Float": float,
    "Boolean": bool,
    "DateTime": datetime,
    "JSON": JSON,
}


def _source(info: strawberry.Info) -> DataSource:
    return info.context.source


def _value(root: Any, name: str) -> Any:
    """Read a value from a Record or from an embedded dict."""
    if isinstance(root, Record):
        return root.values.get(name)
    return root.get(name) if isinstance(root, dict) else None


def _origin(root: Any) -> str:
    """Relations are read where their parent was (embedded dicts carry it as `__origin`)."""
    if isinstance(root, Record):
        return root.origin
    return root.get("__origin", "LIVE") if isinstance(root, dict) else "LIVE"


def _given(value: Any) -> Any:
    """An optional argument's value; None when the query left it out."""
    return None if value is strawberry.UNSET else value


async def _total_count(root: Any) -> int | None:
    """A page's `totalCount`: known with the page, or counted now (only when a client selects it)."""
    page: ResultPage = root._result
    if page.total_count is None and page.counter is not None:
        page.total_count = await page.counter()
    return page.total_count


def _edges_of(edge_type: type) -> Callable:
    """`edges` made when selected: most list reads ask for nodes only, and a page's edges cost a cursor each."""

    def resolve_edges(root) -> Any:
        page: ResultPage = root._result
        return [edge_type(cursor=c, node=r) for c, r in zip(page.cursors, page.records, strict=True)]

    return with_plain(resolve_edges, lambda root, _info: resolve_edges(root))


def _named(fn: Callable, name: str, annotations: dict[str, Any]) -> Callable:
    """Give a generated resolver a unique name and typed arguments for Strawberry."""
    fn.__name__ = name
    fn.__annotations__ = annotations
    return fn


@strawberry.type(description="Where a page sits in its list (Relay's PageInfo).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More records follow the end cursor.")
    end_cursor: Optional[str] = strawberry.field(description="The last edge's cursor: pass it as `after`.")
    has_previous_page: bool = strawberry.field(
        default=False, description="Records precede the start cursor (known when paging backward or after a cursor)."
    )
    start_cursor: Optional[str] = strawberry.field(
        default=None, description="The first edge's cursor: pass it as `before`."
    )


@strawberry.type(name="System")
class SystemInfo:
    key: str
    name: str
    vendor: str
    category: str
    tier: int


@strawberry.enum
class Source(enum.Enum):
    """Where a list is read: the system itself (default) or the gateway's synced replica."""

    LIVE = "LIVE"
    REPLICA = "REPLICA"


@strawberry.enum(description="Which way a list is sorted.")
class OrderDirection(enum.Enum):
    ASC = strawberry.enum_value("ASC", description="Smallest first; records without the value last.")
    DESC = strawberry.enum_value("DESC", description="Largest first; records without the value first.")


# `<Entity>OrderField` values: the unified field each sorts by (the replica's indexed columns).
ORDER_FIELDS = {
    "REMOTE_ID": ("remoteId", "By `remoteId`, the system's own key (the default order of replica lists)."),
    "UPDATED_AT": ("updatedAt", "By `updatedAt`, then `remoteId`."),
    "CREATED_AT": ("createdAt", "By `createdAt`, then `remoteId`."),
}


@strawberry.type
class EntitySyncStatus:
    """One entity's sync. `state`: IDLE, RUNNING, SUCCEEDED, FAILED (retried on its own backoff from
    `retryAt`) or UNAVAILABLE (the system has no such endpoint for this login: asked again rarely)."""

    entity: str
    state: SyncState
    mode: Optional[SyncMode]
    last_started_at: Optional[datetime]
    last_succeeded_at: Optional[datetime]
    last_error: Optional[str]
    next_run_at: Optional[datetime]
    records_synced: int
    retry_at: Optional[datetime] = None
    history_start: Optional[datetime] = strawberry.field(
        default=None, description="The replica holds every record changed since then (null: the whole history)."
    )
    reconciled_at: Optional[datetime] = strawberry.field(
        default=None, description="Start of the last full pass, which marked records deleted upstream until then."
    )


@strawberry.type
class ConnectionStatusEvent:
    id: strawberry.ID
    connection_id: strawberry.ID
    status: ConnectionStatus
    previous_status: Optional[ConnectionStatus]
    reason: Optional[str]
    at: datetime


@strawberry.type
class SyncEvent:
    id: strawberry.ID
    connection_id: strawberry.ID
    type: SyncEventType
    at: datetime
    data: JSON


STATUS_EVENTS = frozenset({"connection.status_changed"})
SYNC_EVENTS = frozenset({"sync.completed", "sync.failed"})


def status_event(message: dict[str, Any]) -> ConnectionStatusEvent:
    """An event-bus message as the `connectionStatusChanged` payload."""
    data = message["data"]
    return ConnectionStatusEvent(
        id=strawberry.ID(message["id"]),
        connection_id=strawberry.ID(message["connectionId"]),
        status=data["status"],
        previous_status=data.get("previousStatus"),
        reason=data.get("reason"),
        at=datetime.fromisoformat(message["createdAt"]),
    )


def sync_event(message: dict[str, Any]) -> SyncEvent:
    return SyncEvent(
        id=strawberry.ID(message["id"]),
        connection_id=strawberry.ID(message["connectionId"]),
        type=message["type"],
        at=datetime.fromisoformat(message["createdAt"]),
        data=message["data"],
    )


@strawberry.type(name="Connection")
class ConnectionInfo:
    """The connection a token belongs to (not a paged list: see `*Connection`)."""

    id: strawberry.ID
    name: str
    status: ConnectionStatus
    status_reason: Optional[str]
    hosting: Hosting
    instance_url: Optional[str]
    system: SystemInfo
    metadata: JSON
    credits: int
    created_at: datetime
    sync_status: list[EntitySyncStatus]


@strawberry.interface
class Node:
    id: strawberry.ID


class _Builder:
    """Builds one schema; holds the types made so far (by name) so each is made once.

    A builder may start from the types of the schema of its system without an
    extension (`reuse`; that one from the unified schema's): every type an extension
    does not reach is shared, so a connection's schema only makes what its custom
    fields and objects change.
    """

    def __init__(self, extension: Extension, shape: Shape = Shape(), sources: Sources = Sources()) -> None:
        self.extension = extension
        self.shape = shape
        self.sources = sources
        self.enums: dict[str, type] = {}
        self.types: dict[str, type] = {}

    def reuse(self, base: _Builder, shared: set[str]) -> None:
        self.enums.update(base.enums)
        self.types.update({n: base.types[n] for n in shared if n in base.types})

    def once(self, name: str, make: Callable[[], type]) -> type:
        if name not in self.types:
            self.types[name] = make()
        return self.types[name]

    # -- types -------------------------------------------------------------

    def enum(self, definition: EnumDef) -> type:
        if definition.name not in self.enums:
            members = {v: strawberry.enum_value(v, description=definition.meaning(v)) for v in definition.values}
            made = enum.Enum(definition.name, members)  # type: ignore[misc]
            self.enums[definition.name] = strawberry.enum(made, description=definition.description or None)
        return self.enums[definition.name]

    def scalar(self, type_: str | EnumDef) -> Any:
        return self.enum(type_) if isinstance(type_, EnumDef) else _SCALARS[type_]

    def value_field(self, field: Field) -> list[Any]:
        """A field read straight from the record, plus `<name>Raw` for enums."""
        graphql_type = self.scalar(field.type)
        if field.many:
            graphql_type = list[graphql_type]  # type: ignore[valid-type]
        made = [self._getter(field.name, Optional[graphql_type], field.description)]
        if field.enum:
            made.append(self._getter(f"{field.name}Raw", Optional[str], "The system's own value."))
        return made

    def _getter(self, name: str, graphql_type: Any, description: str = "") -> Any:
        def resolve(root) -> Any:
            return _value(root, name)

        with_plain(resolve, reading_value(name, lambda root, _info: _value(root, name)))
        return strawberry.field(
            resolver=_named(resolve, name, {}),
            graphql_type=graphql_type,
            name=name,
            description=description or None,
        )

    def relation_field(self, relation: Relation) -> Any:
        """A reference resolved through the request's DataLoaders.

        Called once every type exists, so self-references (Location.parent) work.
        """
        target_type = self.types[relation.target]
        name, entity = relation.name, relation.target
        if relation.many:

            async def resolve_many(root, info) -> Any:
                ids = _value(root, name) or []
                records = await _source(info).load_many(entity, list(ids), _origin(root))
                return [r for r in records if r is not None]

            return self._attached(
                strawberry.field(
                    resolver=_named(resolve_many, name, {"info": strawberry.Info}),
                    graphql_type=list[target_type],  # type: ignore[valid-type]
                    name=name,
                )
            )

        async def resolve_one(root, info) -> Any:
            remote_id = _value(root, name)
            if remote_id is None:
                return None
            return await _source(info).load(entity, remote_id, _origin(root))

        return self._attached(
            strawberry.field(
                resolver=_named(resolve_one, name, {"info": strawberry.Info}),
                graphql_type=Optional[target_type],
                name=name,
            )
        )

    @staticmethod
    def _attached(field: Any) -> Any:
        field.python_name = field.graphql_name
        return field

    def add_relations(self, type_name: str, relations: tuple[Relation, ...]) -> None:
        """Second pass: append relation fields to an already created type."""
        definition = self.types[type_name].__strawberry_definition__  # type: ignore[attr-defined]
        for relation in relations:
            made = self.relation_field(relation)
            made.origin = self.types[type_name]
            definition.fields.append(made)

    def embedded(self, owner: str, component: Component) -> type:
        """An embedded object's type, with the fields the system fills in its lines."""
        embedded = component.embedded
        if embedded.name not in self.types:
            fields: list[Any] = []
            for f in embedded.fields:
                if self.shape.fills(owner, f"{component.name}.{f.name}"):
                    fields.extend(self.value_field(f))
            self.types[embedded.name] = create_type(embedded.name, fields)
        return self.types[embedded.name]

    def component_field(self, owner: str, component: Component) -> Any:
        embedded_type = self.embedded(owner, component)
        if component.many:
            name = component.name

            def resolve(root) -> Any:
                return _value(root, name) or []

            return strawberry.field(
                resolver=_named(resolve, name, {}),
                graphql_type=list[embedded_type],  # type: ignore[valid-type]
                name=name,
            )
        return self._getter(component.name, Optional[embedded_type])

    def standard_fields(self, owner: str) -> list[Any]:
        def resolve_id(root, info) -> Any:
            return _source(info).global_id(root)

        def resolve_remote_data(root) -> Any:
            return root.remote_data

        with_plain(resolve_id, lambda root, info: info.context.source.global_id(root))
        with_plain(resolve_remote_data, lambda root, _info: root.remote_data)
        fields: list[Any] = [
            strawberry.field(
                resolver=_named(resolve_id, "id", {"info": strawberry.Info}),
                graphql_type=strawberry.ID,
                name="id",
                description="Opaque global id, usable with node(id:).",
            ),
            strawberry.field(
                resolver=_named(resolve_remote_data, "remoteData", {}),
                graphql_type=Optional[JSON],
                name="remoteData",
                description="The raw record as the system returned it.",
            ),
        ]
        for f in STANDARD_FIELDS:
            if f.name not in STAMPS or self.shape.fills(owner, f.name):
                fields.extend(self.value_field(f))
        return fields

    def object_type(self, name: str, value_fields: tuple[Field, ...], components: tuple[Component, ...] = ()) -> type:
        """An entity type with its values; relations are added in a second pass."""
        fields = self.standard_fields(name)
        for f in value_fields:
            fields.extend(self.value_field(f))
        fields.extend(self.component_field(name, c) for c in components)
        made = create_type(name, fields)
        definition = made.__strawberry_definition__  # type: ignore[attr-defined]
        definition.interfaces = [Node.__strawberry_definition__]  # type: ignore[attr-defined]
        definition.is_type_of = lambda obj, info: _record_of(obj, name)
        self.types[name] = made
        return made

    def filter_input(self, name: str, status: EnumDef | None, status_name: str | None) -> type:
        return self.once(f"{name}Filter", lambda: self._filter_input(name, status, status_name))

    def _filter_input(self, name: str, status: EnumDef | None, status_name: str | None) -> type:
        fields = [
            strawberry.field(
                name=f"{stamp[:-2]}After",
                graphql_type=Optional[datetime],
                default=None,
                description=text,
            )
            for stamp, text in STAMPS.items()
            if self.shape.fills(name, stamp)
        ]
        fields += [
            strawberry.field(
                name="includeDeleted",
                graphql_type=Optional[bool],
                default=None,
                description="Also list records the system marks deleted and, from the replica, records deleted "
                "upstream since they were synced (with `deletedAt` set); left out by default.",
            ),
        ]
        remapped = {f.name for f in self.extension.mappings_for(name)}
        fields += [
            strawberry.field(
                name=custom.name,
                graphql_type=Optional[self.scalar(custom.type)],
                default=None,
                description=f"Equal to this value ({'read from' if custom.name in remapped else 'custom field'} "
                f"{custom.remote_path}, filtered by the system where it can, else by the gateway; live reads).",
            )
            for custom in self.extension.sourced_for(name)
            if custom.filterable and custom.type not in ("JSON", "DateTime")
        ]
        if status and status_name and self.shape.filters_status(name):
            fields.append(
                strawberry.field(
                    name=status_name,
                    graphql_type=Optional[list[self.enum(status)]],  # type: ignore[misc]
                    default=None,
                    description=f"Any of these {status_name} values.",
                )
            )
        return create_type(f"{name}Filter", fields, is_input=True)

    def order_input(self, name: str) -> type:
        return self.once(f"{name}Order", lambda: self._order_input(name))

    def _order_input(self, name: str) -> type:
        enum_name = f"{name}OrderField"
        if enum_name not in self.enums:
            members = {k: strawberry.enum_value(v, description=text) for k, (v, text) in ORDER_FIELDS.items()}
            made = enum.Enum(enum_name, members)  # type: ignore[misc]
            self.enums[enum_name] = strawberry.enum(made, description=f"What {name} lists can be sorted by.")
        fields = [
            strawberry.field(name="field", graphql_type=self.enums[enum_name], description="The field to sort by."),
            strawberry.field(
                name="direction",
                graphql_type=OrderDirection,
                default=OrderDirection.ASC,
                description="Ascending (default) or descending.",
            ),
        ]
        return create_type(
            f"{name}Order",
            fields,
            is_input=True,
            description=f"The order of a {name} list: with `source: REPLICA` by any field (keyset paging by the "
            "field and remoteId); live only where the system can sort that way, else refused.",
        )

    def page_type(self, name: str, node_type: type) -> tuple[type, type]:
        edge = self.once(
            f"{name}Edge",
            lambda: create_type(
                f"{name}Edge",
                [
                    strawberry.field(name="cursor", graphql_type=str),
                    strawberry.field(name="node", graphql_type=node_type),
                ],
            ),
        )
        page = self.once(
            f"{name}Connection",
            lambda: create_type(
                f"{name}Connection",
                [
                    strawberry.field(name="nodes", graphql_type=list[node_type]),  # type: ignore[valid-type]
                    strawberry.field(
                        resolver=_named(_edges_of(edge), "edges", {"root": Any}),
                        name="edges",
                        graphql_type=list[edge],  # type: ignore[valid-type]
                    ),
                    strawberry.field(name="pageInfo", graphql_type=PageInfo),
                    strawberry.field(
                        resolver=_named(_total_count, "totalCount", {"root": Any}),
                        name="totalCount",
                        graphql_type=Optional[int],
                        description="All records of the list with its filters (one count, asked only when selected); "
                        "null where the system cannot count them.",
                    ),
                    strawberry.field(
                        name="syncedAt",
                        graphql_type=Optional[datetime],
                        description="For replica reads: when this entity last synced successfully.",
                    ),
                    strawberry.field(
                        name="historyStart",
                        graphql_type=Optional[datetime],
                        description="For replica reads: the replica holds every record changed since this time "
                        "(null: the whole history; set the connection's historyDays to 0 for that).",
                    ),
                ],
            ),
        )
        return page, edge

    # -- root fields -------------------------------------------------------

    def root_fields(
        self, name: str, plural: str, singular: str, node_type: type, filter_type: type, order_type: type | None = None
    ) -> list[Any]:
        """The list and by-id fields; the list takes `orderBy` where `order_type` is given (unified entities)."""
        page_type, _ = self.page_type(name, node_type)

        async def resolve_list(
            info,
            first=strawberry.UNSET,
            after=strawberry.UNSET,
            filter=strawberry.UNSET,
            source=Source.LIVE,
            last=strawberry.UNSET,
            before=strawberry.UNSET,
            orderBy=strawberry.UNSET,
        ) -> Any:
            criteria = strawberry.asdict(filter) if filter else {}
            page = await _source(info).list(
                name,
                first=_given(first),
                after=_given(after),
                filter={k: _plain(v) for k, v in criteria.items() if v is not None},
                source=source.value,
                last=_given(last),
                before=_given(before),
                order=_input_values(orderBy) if _given(orderBy) else None,
                fields=record_fields(info.selected_fields),
            )
            made = page_type(
                nodes=page.records,
                pageInfo=PageInfo(
                    has_next_page=page.has_next_page,
                    end_cursor=page.end_cursor,
                    has_previous_page=page.has_previous_page,
                    start_cursor=page.cursors[0] if page.cursors else None,
                ),
                syncedAt=page.synced_at,
                historyStart=page.history_start,
            )
            made._result = page
            return made

        async def resolve_one(info, id=strawberry.UNSET, remoteId=strawberry.UNSET) -> Any:
            source = _source(info)
            if id is not strawberry.UNSET and id is not None:
                record = await source.node(id)
                return record if record is not None and record.entity == name else None
            if remoteId is not strawberry.UNSET and remoteId is not None:
                return await source.load(name, remoteId)
            return None

        list_args = {
            "info": strawberry.Info,
            "first": Optional[int],
            "after": Optional[str],
            "filter": Optional[filter_type],
            "source": Source,
            "last": Optional[int],
            "before": Optional[str],
            **({"orderBy": Optional[order_type]} if order_type else {}),
        }
        if order_type is None:  # custom objects: listed in the system's order only, no `orderBy`
            signature = inspect.signature(resolve_list)
            kept = [
                p.replace(annotation=list_args[p.name]) for p in signature.parameters.values() if p.name in list_args
            ]
            resolve_list.__signature__ = signature.replace(parameters=kept)  # type: ignore[attr-defined]
        one_args = {"info": strawberry.Info, "id": Optional[strawberry.ID], "remoteId": Optional[str]}
        return [
            strawberry.field(
                resolver=_named(resolve_list, plural, list_args),
                graphql_type=Optional[page_type],  # null with an error on its own path: the rest of the answer stays
                name=plural,
                description=f"{name} records, {DEFAULT_PAGE_SIZE} per page unless `first` says (at most {MAX_PAGE_SIZE}).",
            ),
            strawberry.field(
                resolver=_named(resolve_one, singular, one_args),
                graphql_type=Optional[node_type],
                name=singular,
                description=f"One {name} by global `id` or by `remoteId`.",
            ),
        ]

    def build(self) -> strawberry.Schema:
        query_fields: list[Any] = []
        made = [e for e in ENTITIES if e.name not in self.types]  # the others are shared, complete
        for entity in made:
            remapped = {m.name for m in self.extension.mappings_for(entity.name)}  # read from a field of its own
            filled = tuple(f for f in entity.fields if f.name in remapped or self.shape.fills(entity.name, f.name))
            custom = tuple(cf.as_field() for cf in self.extension.fields_for(entity.name))
            components = tuple(c for c in entity.components if self.shape.fills(entity.name, c.name))
            self.object_type(entity.name, filled + custom, components)
        for entity in made:
            self.add_relations(entity.name, tuple(r for r in entity.relations if self.shape.fills(entity.name, r.name)))
            for c in entity.components:
                if c.embedded.name in self.types:
                    kept = (r for r in c.embedded.relations if self.shape.fills(entity.name, f"{c.name}.{r.name}"))
                    self.add_relations(c.embedded.name, tuple(kept))
        for entity in (e for e in ENTITIES if self.shape.reads(e.name)):
            status = entity.status_enum
            filter_type = self.filter_input(entity.name, status, entity.status_field)
            query_fields += self.root_fields(
                entity.name,
                entity.plural,
                entity.singular,
                self.types[entity.name],
                filter_type,
                self.order_input(entity.name),
            )
        for obj in self.extension.custom_objects:
            query_fields += self.custom_object_fields(obj)

        async def resolve_node(info, id) -> Any:
            return await _source(info).node(id)

        async def resolve_connection(info) -> Any:
            found = await _source(info).connection_info()
            statuses = [EntitySyncStatus(**s) for s in found.pop("sync_status")]
            return ConnectionInfo(**found, sync_status=statuses)

        query_fields += [
            strawberry.field(
                resolver=_named(resolve_node, "node", {"info": strawberry.Info, "id": strawberry.ID}),
                graphql_type=Optional[Node],
                name="node",
            ),
            strawberry.field(
                resolver=_named(resolve_connection, "connection", {"info": strawberry.Info}),
                graphql_type=Optional[ConnectionInfo],
                name="connection",
                description="The connection this token belongs to.",
            ),
        ]
        query = create_type("Query", query_fields)
        mutation_fields = [f for e in ENTITIES if e.writable for f in self.write_fields(e)]
        if self.shape.allows("Part", "adjust"):
            mutation_fields.append(self.adjust_stock_field())
        mutation = create_type("Mutation", [*mutation_fields, passthrough_field()])
        unread = {n for e in ENTITIES if not self.shape.reads(e.name) for n in entity_type_names(e.name)}
        made_schema = strawberry.Schema(
            query=query,
            mutation=mutation,
            subscription=_DataSubscription,
            types=[t for n, t in self.types.items() if n not in unread],
            execution_context_class=PlainFieldsExecutor,
        )
        describe(made_schema._schema, self.sources)
        plain_fields.apply(made_schema._schema)
        made_schema._schema.extensions = {
            **(made_schema._schema.extensions or {}),
            UNSUPPORTED: unsupported(self.shape),
        }
        return made_schema

    def custom_object_fields(self, obj: CustomObject) -> list[Any]:
        node_type = self.object_type(obj.name, tuple(f.as_field() for f in obj.fields))
        filter_type = self.filter_input(obj.name, None, None)
        return self.root_fields(obj.name, obj.plural, obj.singular, node_type, filter_type)

    # -- writes ------------------------------------------------------------

    def input_value(self, field: Field, required: bool = False) -> Any:
        graphql_type = self.scalar(field.type)
        graphql_type = list[graphql_type] if field.many else graphql_type  # type: ignore[valid-type]
        return _input_field(field.name, graphql_type, field.description, required)

    def input_fields(
        self,
        fields: tuple[Field, ...],
        relations: tuple[Relation, ...],
        custom: tuple[CustomField, ...] = (),
        required: tuple[str, ...] = (),
        writable: frozenset[str] | None = None,
    ) -> list[Any]:
        """Input fields: the unified ones (only those in `writable` when given) and the writable custom ones."""
        allowed = (lambda name: True) if writable is None else writable.__contains__
        made = [self.input_value(f, f.name in required) for f in fields if not f.read_only and allowed(f.name)]
        made += [
            _input_field(
                r.name,
                list[strawberry.ID] if r.many else strawberry.ID,
                f"{r.target} id (global or remote).",
                r.name in required,
            )
            for r in relations
            if allowed(r.name)
        ]
        made += [self.input_value(c.as_field()) for c in custom if c.writable]
        return made

    def create_input(self, entity: Entity) -> type:
        name = f"{entity.name}CreateInput"
        return self.once(name, lambda: self._input_type(entity, name, "create", self.shape.required(entity.name)))

    def update_input(self, entity: Entity) -> type:
        name = f"{entity.name}UpdateInput"
        return self.once(name, lambda: self._input_type(entity, name, "update", ()))

    def _input_type(self, entity: Entity, name: str, operation: str, required: tuple[str, ...]) -> type:
        """A write input: only what the system can write; what it requires on a create is non-null."""
        writable = self.shape.writable(entity.name, operation)
        custom = self.extension.fields_for(entity.name)
        fields = self.input_fields(entity.fields, entity.relations, custom, required, writable)
        for component in entity.components:
            if component.writable and (writable is None or component.name in writable):
                line = self._line_input(entity.name, component)
                line_type = list[line] if component.many else line  # type: ignore[valid-type]
                fields.append(_input_field(component.name, line_type, "", component.name in required))
        return create_type(name, fields, is_input=True)

    def _line_input(self, owner: str, component: Component) -> type:
        """The input of one embedded line (a purchase order's line), made once per schema: the fields
        the system's line write map takes (for a create or an update)."""
        embedded = component.embedded
        name = f"{embedded.name}Input"
        writable = line_writable(self.shape, owner, component.name)
        return self.once(
            name,
            lambda: create_type(
                name, self.input_fields(embedded.fields, embedded.relations, writable=writable), is_input=True
            ),
        )

    def payload_type(self, name: str) -> type:
        return self.once(f"{name}Payload", lambda: self._payload_type(name))

    def _payload_type(self, name: str) -> type:
        return create_type(
            f"{name}Payload",
            [
                strawberry.field(name="record", graphql_type=Optional[self.types[name]]),
                strawberry.field(
                    name="replayed",
                    graphql_type=bool,
                    description="True when this is the stored result of an earlier create with the same idempotencyKey.",
                ),
            ],
        )

    def write_fields(self, entity: Entity) -> list[Any]:
        name = entity.name
        payload = self.payload_type(name)

        async def resolve_create(info, input, idempotencyKey=None, writeOptions=None) -> Any:
            record, replayed = await _source(info).write(
                "create", name, None, _input_values(input), idempotency_key=idempotencyKey, write_options=writeOptions
            )
            return payload(record=record, replayed=replayed)

        async def resolve_update(info, id, input, ifMatch=None, writeOptions=None) -> Any:
            record, _ = await _source(info).write(
                "update", name, id, _input_values(input), if_match=ifMatch, write_options=writeOptions
            )
            return payload(record=record, replayed=False)

        async def resolve_delete(info, id, ifMatch=None) -> Any:
            source = _source(info)
            record, _ = await source.write("delete", name, id, {}, if_match=ifMatch)
            return DeletePayload(id=strawberry.ID(source.global_id(record)), remote_id=record.remote_id)

        key = {"idempotencyKey": Optional[str]}
        check = {"ifMatch": Optional[str]}
        options = {"writeOptions": Optional[JSON]}
        info = {"info": strawberry.Info}
        made = []
        if self.shape.allows(name, "create"):
            made.append(
                _mutation(
                    f"create{name}",
                    resolve_create,
                    payload,
                    {**info, "input": self.create_input(entity), **key, **options},
                    f"Create one {name}. A retry with the same idempotencyKey returns the first result.",
                )
            )
        if self.shape.allows(name, "update"):
            made.append(
                _mutation(
                    f"update{name}",
                    resolve_update,
                    payload,
                    {**info, "id": strawberry.ID, "input": self.update_input(entity), **check, **options},
                    f"Update one {name}: only the fields given change. `ifMatch` = the remoteVersion you read.",
                )
            )
        if self.shape.allows(name, "delete"):
            made.append(
                _mutation(
                    f"delete{name}",
                    resolve_delete,
                    DeletePayload,
                    {**info, "id": strawberry.ID, **check},
                    f"Delete one {name}.",
                )
            )
        return made

    def adjust_stock_field(self) -> Any:
        payload = self.payload_type("Part")

        async def resolve(info, partId, delta, locationId=None, idempotencyKey=None) -> Any:
            values = {"delta": delta, "location": locationId}
            record, replayed = await _source(info).write(
                "adjust", "Part", partId, values, idempotency_key=idempotencyKey
            )
            return payload(record=record, replayed=replayed)

        args = {
            "info": strawberry.Info,
            "partId": strawberry.ID,
            "delta": float,
            "locationId": Optional[strawberry.ID],
            "idempotencyKey": Optional[str],
        }
        return _mutation(
            "adjustPartStock",
            resolve,
            payload,
            args,
            "Change a part's quantity on hand by `delta` (at a location where the system keeps stock per location).",
        )


@strawberry.type
class DeletePayload:
    id: strawberry.ID
    remote_id: str
    deleted: bool = True


def _input_field(name: str, graphql_type: Any, description: str = "", required: bool = False) -> Any:
    if required:
        return strawberry.field(name=name, graphql_type=graphql_type, description=description or None)
    return strawberry.field(
        name=name, graphql_type=Optional[graphql_type], default=strawberry.UNSET, description=description or None
    )


def _mutation(name: str, resolver: Callable, payload: type, args: dict[str, Any], description: str) -> Any:
    return strawberry.mutation(
        resolver=_named(resolver, name, args), graphql_type=Optional[payload], name=name, description=description
    )


def _input_values(value: Any) -> Any:
    """An input object as a plain dict of the fields the client gave (null kept: it clears)."""
    if isinstance(value, list):
        return [_input_values(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "__strawberry_definition__"):
        return {
            f.python_name: _input_values(getattr(value, f.python_name))
            for f in value.__strawberry_definition__.fields
            if getattr(value, f.python_name) is not strawberry.UNSET
        }
    return _plain(value)


@strawberry.type(name="Subscription")
class _DataSubscription:
    @strawberry.subscription(description="Status changes of this connection.")
    async def connection_status_changed(self, info: strawberry.Info) -> AsyncGenerator[ConnectionStatusEvent, None]:
        async for message in _source(info).events(STATUS_EVENTS):
            yield status_event(message)

    @strawberry.subscription(description="Sync completions and failures of this connection.")
    async def sync_events(self, info: strawberry.Info) -> AsyncGenerator[SyncEvent, None]:
        async for message in _source(info).events(SYNC_EVENTS):
            yield sync_event(message)


def _plain(value: Any) -> Any:
    """Enum members (and lists of them) from filter inputs, as their string values."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.value if isinstance(value, enum.Enum) else value


def _record_of(obj: Any, entity: str) -> bool:
    return isinstance(obj, Record) and obj.entity == entity


class SchemaCache:
    """Schemas by (extension, shape), least recently used evicted past `max_size`.

    Connections whose systems have the same shape and who add the same custom
    fields and objects share one schema. `sources` (which systems fill each field)
    goes into every schema's descriptions.
    """

    def __init__(self, max_size: int = 256, sources: Sources = Sources()) -> None:
        self.max_size = max_size
        self.sources = sources
        self._schemas: OrderedDict[tuple[Extension, Shape], strawberry.Schema] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, extension: Extension = Extension(), shape: Shape = Shape()) -> strawberry.Schema:
        key = (extension, shape)
        with self._lock:
            schema = self._schemas.get(key)
            if schema is not None:
                self._schemas.move_to_end(key)
                return schema
        schema = build_schema(extension, shape, self.sources)
        with self._lock:
            schema = self._schemas.setdefault(key, schema)
            self._schemas.move_to_end(key)
            while len(self._schemas) > self.max_size:
                self._schemas.popitem(last=False)
        return schema

    def __len__(self) -> int:
        return len(self._schemas)


UNSUPPORTED = "plantgate.unsupported"  # key of a schema's extensions: root field -> why this system lacks it
ENTITY_TYPES = ("", "Connection", "Edge", "Filter", "Payload", "CreateInput", "UpdateInput", "Order")


def entity_type_names(entity: str) -> tuple[str, ...]:
    """The types made for one entity (dropped from a schema whose system does not have it)."""
    return tuple(f"{entity}{suffix}" for suffix in ENTITY_TYPES)


def unsupported(shape: Shape) -> dict[str, str]:
    """Why each unified root field or write input field is missing from a shaped schema, naming the system."""
    why: dict[str, str] = {}
    for e in ENTITIES:
        if not shape.reads(e.name):
            no_records = f"{shape.system} has no {e.name} records"
            why |= {f"Query.{e.plural}": no_records, f"Query.{e.singular}": no_records}
        for operation in ("create", "update", "delete") if e.writable else ():
            if not shape.allows(e.name, operation):
                why[f"Mutation.{operation}{e.name}"] = f"{shape.system} does not support {operation} of {e.name}"
    if not shape.allows("Part", "adjust"):
        why["Mutation.adjustPartStock"] = f"{shape.system} does not support adjust of Part"
    return why | unwritable(shape) | unfilled(shape)


def unwritable(shape: Shape) -> dict[str, str]:
    """Why each unified input field is missing from a shaped write input, naming the system."""
    why: dict[str, str] = {}
    for e in ENTITIES if not shape.unified else ():
        names = [f.name for f in e.fields if not f.read_only] + [r.name for r in e.relations]
        names += [c.name for c in e.components if c.writable]
        for operation, suffix in (("create", "CreateInput"), ("update", "UpdateInput")):
            writable = shape.writable(e.name, operation)
            if writable is None or not shape.allows(e.name, operation):
                continue
            why |= {
                f"{e.name}{suffix}.{name}": f"{shape.system} cannot write {e.name}.{name}"
                for name in names
                if name not in writable
            }
    return why


def line_writable(shape: Shape, entity: str, component: str) -> frozenset[str] | None:
    """The fields of one embedded line the system's write maps take, for a create or an update
    (None: no line write map, so every unified line field)."""
    prefix = f"{component}."
    taken: set[str] = set()
    for operation in ("create", "update"):
        writable = shape.writable(entity, operation) if shape.allows(entity, operation) else None
        taken |= {n[len(prefix) :] for n in writable or () if n.startswith(prefix)}
    return frozenset(taken) or None


def unfilled(shape: Shape) -> dict[str, str]:
    """Why each unified object field (and time filter) is missing from a shaped schema, naming the system."""
    why: dict[str, str] = {}
    for e in ENTITIES if not shape.unified else ():
        if not shape.reads(e.name):
            continue
        lacks = f"{shape.system} does not fill {e.name}.{{}}"
        names = [f.name for f in e.fields] + [r.name for r in e.relations] + [c.name for c in e.components]
        names += [f"{f.name}Raw" for f in e.fields if f.enum]
        why |= {f"{e.name}.{n}": lacks.format(n) for n in names if not shape.fills(e.name, n.removesuffix("Raw"))}
        for stamp in STAMPS:
            if not shape.fills(e.name, stamp):
                why[f"{e.name}.{stamp}"] = lacks.format(stamp)
                what = "changed" if stamp == "updatedAt" else "was created"
                why[f"{e.name}Filter.{stamp[:-2]}After"] = f"{shape.system} does not say when a {e.name} {what}"
        for c in e.components:
            fields = [f.name for f in c.embedded.fields] + [r.name for r in c.embedded.relations]
            part = f"{shape.system} does not fill {e.name}.{c.name}.{{}}"
            why |= {
                f"{c.embedded.name}.{n}": part.format(n) for n in fields if not shape.fills(e.name, f"{c.name}.{n}")
            }
            writable = line_writable(shape, e.name, c.name) if c.writable else None
            why |= {
                f"{c.embedded.name}Input.{n}": f"{shape.system} cannot write {e.name}.{c.name}.{n}"
                for n in fields
                if writable is not None and n not in writable
            }
    return why


def unchanged_types(extension: Extension, shape: Shape = Shape()) -> set[str]:
    """Names of the unified types an extension and a shape leave as they are.

    An entity with custom fields changes its type, filter and inputs (a remapped field, its type where
    the system does not fill it, and its filter where filterable); every entity whose type reaches a changed one (through relations, its lines' included)
    changes its type, page and payload types too. A system's shape changes the
    filters (status and times where the system fills them), the write inputs (what it writes and
    requires) and the entity types (the fields its records carry).
    """
    customized = {f.entity for f in extension.custom_fields}
    refiltered = customized | {f.entity for f in extension.field_mappings if f.filterable}
    retyped = customized | {f.entity for f in extension.field_mappings}  # a remapped field is filled
    reaches = {
        e.name: {r.target for r in e.relations} | {r.target for c in e.components for r in c.embedded.relations}
        for e in ENTITIES
    }
    shaped = {e.name for e in ENTITIES if (found := shape.of(e.name)) is not None and found.fields is not None}
    changed = retyped | (set() if shape.unified else shaped)
    while grown := {name for name, targets in reaches.items() if name not in changed and targets & changed}:
        changed |= grown
    names: set[str] = set()
    for e in ENTITIES:
        embedded = [c.embedded.name for c in e.components]
        names.add(f"{e.name}Order")  # the same fields whatever the extension and shape
        if e.name not in customized:
            names |= {f"{c.embedded.name}Input" for c in e.components if line_writable(shape, e.name, c.name) is None}
            if shape.unified:
                names.add(f"{e.name}CreateInput")
            if shape.unified or not shape.allows(e.name, "update"):  # a shape's own update input: its write map
                names.add(f"{e.name}UpdateInput")
        if shape.unified and e.name not in refiltered:
            names.add(f"{e.name}Filter")
        if e.name not in changed:
            names |= {e.name, f"{e.name}Connection", f"{e.name}Edge", f"{e.name}Payload", *embedded}
    return names


_bases: dict[tuple[Shape, Sources], _Builder] = {}
_bases_lock = threading.RLock()


def _base_types(shape: Shape, sources: Sources) -> _Builder:
    """The builder of the schema of a system's shape without an extension (of the unified schema with
    `Shape()`), built once per process; its types are shared by every extension of that system."""
    with _bases_lock:
        if (shape, sources) not in _bases:
            builder = _Builder(Extension(), shape, sources)
            if not shape.unified:
                builder.reuse(_base_types(Shape(), sources), unchanged_types(Extension(), shape))
            builder.schema = builder.build()  # type: ignore[attr-defined]
            _bases[shape, sources] = builder
        return _bases[shape, sources]


def build_schema(
    extension: Extension = Extension(), shape: Shape = Shape(), sources: Sources = Sources()
) -> strawberry.Schema:
    """Generate the data schema for one extension of the unified model, shaped by a system (unchanged types shared)."""
    base = _base_types(shape, sources)
    if extension == Extension():
        return base.schema  # type: ignore[attr-defined]
    builder = _Builder(extension, shape, sources)
    builder.reuse(base, unchanged_types(extension))
    return builder.build()
