"""Unified model + a connection's extension -> a Strawberry schema, at runtime.

Every GraphQL type of the data schema is generated from the declarations in
`entities.py` (plus the extension's custom fields and objects), so the model is
written once. Schemas are cached per distinct extension: all connections on the
default model share one schema object.
"""

from __future__ import annotations

import enum
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any, AsyncGenerator, Callable, Optional

import strawberry
from strawberry.scalars import JSON
from strawberry.tools import create_type

from .entities import ENTITIES
from .model import (
    STANDARD_FIELDS,
    Component,
    CustomObject,
    Embedded,
    EnumDef,
    Extension,
    Field,
    Relation,
)
from .record import DataSource, Record

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50

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


def _named(fn: Callable, name: str, annotations: dict[str, Any]) -> Callable:
    """Give a generated resolver a unique name and typed arguments for Strawberry."""
    fn.__name__ = name
    fn.__annotations__ = annotations
    return fn


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: Optional[str]


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


@strawberry.type
class EntitySyncStatus:
    entity: str
    state: str
    mode: Optional[str]
    last_started_at: Optional[datetime]
    last_succeeded_at: Optional[datetime]
    last_error: Optional[str]
    next_run_at: Optional[datetime]
    records_synced: int


@strawberry.type
class ConnectionStatusEvent:
    id: strawberry.ID
    connection_id: strawberry.ID
    status: str
    previous_status: Optional[str]
    reason: Optional[str]
    at: datetime


@strawberry.type
class SyncEvent:
    id: strawberry.ID
    connection_id: strawberry.ID
    type: str
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
    status: str
    status_reason: Optional[str]
    hosting: str
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
    """Builds one schema; holds the types made so far so each is made once."""

    def __init__(self, extension: Extension) -> None:
        self.extension = extension
        self.enums: dict[str, type] = {}
        self.types: dict[str, type] = {}

    # -- types -------------------------------------------------------------

    def enum(self, definition: EnumDef) -> type:
        if definition.name not in self.enums:
            members = {v: v for v in definition.values}
            self.enums[definition.name] = strawberry.enum(enum.Enum(definition.name, members))
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
        def resolve(root) -> Any:  # noqa: ANN001
            return _value(root, name)

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

            async def resolve_many(root, info) -> Any:  # noqa: ANN001
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

        async def resolve_one(root, info) -> Any:  # noqa: ANN001
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

    def embedded(self, embedded: Embedded) -> type:
        if embedded.name not in self.types:
            fields: list[Any] = []
            for f in embedded.fields:
                fields.extend(self.value_field(f))
            self.types[embedded.name] = create_type(embedded.name, fields)
        return self.types[embedded.name]

    def component_field(self, component: Component) -> Any:
        embedded_type = self.embedded(component.embedded)
        if component.many:
            name = component.name

            def resolve(root) -> Any:  # noqa: ANN001
                return _value(root, name) or []

            return strawberry.field(
                resolver=_named(resolve, name, {}),
                graphql_type=list[embedded_type],  # type: ignore[valid-type]
                name=name,
            )
        return self._getter(component.name, Optional[embedded_type])

    def standard_fields(self) -> list[Any]:
        def resolve_id(root, info) -> Any:  # noqa: ANN001
            return _source(info).global_id(root)

        def resolve_remote_data(root) -> Any:  # noqa: ANN001
            return root.remote_data

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
            fields.extend(self.value_field(f))
        return fields

    def object_type(
        self, name: str, value_fields: tuple[Field, ...], components: tuple[Component, ...] = ()
    ) -> type:
        """An entity type with its values; relations are added in a second pass."""
        fields = self.standard_fields()
        for f in value_fields:
            fields.extend(self.value_field(f))
        fields.extend(self.component_field(c) for c in components)
        made = create_type(name, fields)
        definition = made.__strawberry_definition__  # type: ignore[attr-defined]
        definition.interfaces = [Node.__strawberry_definition__]  # type: ignore[attr-defined]
        definition.is_type_of = lambda obj, info: _record_of(obj, name)
        self.types[name] = made
        return made

    def filter_input(self, name: str, status: EnumDef | None, status_name: str | None) -> type:
        fields = [
            strawberry.field(name="updatedAfter", graphql_type=Optional[datetime], default=None),
            strawberry.field(name="createdAfter", graphql_type=Optional[datetime], default=None),
        ]
        if status and status_name:
            fields.append(
                strawberry.field(
                    name=status_name,
                    graphql_type=Optional[list[self.enum(status)]],  # type: ignore[misc]
                    default=None,
                    description=f"Any of these {status_name} values.",
                )
            )
        return create_type(f"{name}Filter", fields, is_input=True)

    def page_type(self, name: str, node_type: type) -> tuple[type, type]:
        edge = create_type(
            f"{name}Edge",
            [
                strawberry.field(name="cursor", graphql_type=str),
                strawberry.field(name="node", graphql_type=node_type),
            ],
        )
        page = create_type(
            f"{name}Connection",
            [
                strawberry.field(name="nodes", graphql_type=list[node_type]),  # type: ignore[valid-type]
                strawberry.field(name="edges", graphql_type=list[edge]),  # type: ignore[valid-type]
                strawberry.field(name="pageInfo", graphql_type=PageInfo),
                strawberry.field(name="totalCount", graphql_type=Optional[int]),
                strawberry.field(
                    name="syncedAt",
                    graphql_type=Optional[datetime],
                    description="For replica reads: when this entity last synced successfully.",
                ),
            ],
        )
        return page, edge

    # -- root fields -------------------------------------------------------

    def root_fields(self, name: str, plural: str, singular: str, node_type: type, filter_type: type) -> list[Any]:
        page_type, edge_type = self.page_type(name, node_type)

        async def resolve_list(  # noqa: ANN202
            info, first=strawberry.UNSET, after=strawberry.UNSET, filter=strawberry.UNSET, source=Source.LIVE  # noqa: ANN001, A002
        ) -> Any:
            criteria = strawberry.asdict(filter) if filter else {}
            page = await _source(info).list(
                name,
                first=None if first is strawberry.UNSET else first,
                after=None if after is strawberry.UNSET else after,
                filter={k: _plain(v) for k, v in criteria.items() if v is not None},
                source=source.value,
            )
            return page_type(  # type: ignore[call-arg]
                nodes=page.records,
                edges=[
                    edge_type(cursor=c, node=r)  # type: ignore[call-arg]
                    for c, r in zip(page.cursors, page.records, strict=True)
                ],
                pageInfo=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
                totalCount=page.total_count,
                syncedAt=page.synced_at,
            )

        async def resolve_one(info, id=strawberry.UNSET, remoteId=strawberry.UNSET) -> Any:  # noqa: ANN001, A002, N803
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
        }
        one_args = {"info": strawberry.Info, "id": Optional[strawberry.ID], "remoteId": Optional[str]}
        return [
            strawberry.field(
                resolver=_named(resolve_list, plural, list_args),
                graphql_type=page_type,
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
        for entity in ENTITIES:
            custom = tuple(
                Field(cf.name, cf.type) for cf in self.extension.fields_for(entity.name)
            )
            self.object_type(entity.name, entity.fields + custom, entity.components)
        for entity in ENTITIES:
            self.add_relations(entity.name, entity.relations)
            for component in entity.components:
                self.add_relations(component.embedded.name, component.embedded.relations)
        for entity in ENTITIES:
            status = entity.status_enum
            filter_type = self.filter_input(entity.name, status, entity.status_field)
            query_fields += self.root_fields(
                entity.name, entity.plural, entity.singular, self.types[entity.name], filter_type
            )
        for obj in self.extension.custom_objects:
            query_fields += self.custom_object_fields(obj)

        async def resolve_node(info, id) -> Any:  # noqa: ANN001, A002
            return await _source(info).node(id)

        async def resolve_connection(info) -> Any:  # noqa: ANN001
            return ConnectionInfo(**await _source(info).connection_info())

        query_fields += [
            strawberry.field(
                resolver=_named(resolve_node, "node", {"info": strawberry.Info, "id": strawberry.ID}),
                graphql_type=Optional[Node],
                name="node",
            ),
            strawberry.field(
                resolver=_named(resolve_connection, "connection", {"info": strawberry.Info}),
                graphql_type=ConnectionInfo,
                name="connection",
                description="The connection this token belongs to.",
            ),
        ]
        query = create_type("Query", query_fields)
        return strawberry.Schema(query=query, subscription=_DataSubscription, types=list(self.types.values()))

    def custom_object_fields(self, obj: CustomObject) -> list[Any]:
        node_type = self.object_type(obj.name, obj.fields)
        filter_type = self.filter_input(obj.name, None, None)
        singular = obj.name[0].lower() + obj.name[1:]
        return self.root_fields(obj.name, obj.plural, singular, node_type, filter_type)


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
    """Schemas by extension, least recently used evicted past `max_size`."""

    def __init__(self, max_size: int = 256) -> None:
        self.max_size = max_size
        self._schemas: OrderedDict[Extension, strawberry.Schema] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, extension: Extension = Extension()) -> strawberry.Schema:
        with self._lock:
            schema = self._schemas.get(extension)
            if schema is not None:
                self._schemas.move_to_end(extension)
                return schema
        schema = build_schema(extension)
        with self._lock:
            schema = self._schemas.setdefault(extension, schema)
            self._schemas.move_to_end(extension)
            while len(self._schemas) > self.max_size:
                self._schemas.popitem(last=False)
        return schema

    def __len__(self) -> int:
        return len(self._schemas)


def build_schema(extension: Extension = Extension()) -> strawberry.Schema:
    """Generate the data schema for one extension of the unified model."""
    return _Builder(extension).build()
