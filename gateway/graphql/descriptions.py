"""Descriptions of the data schema, in one place: from the unified model, plus standard texts.

Typed clients (graphql-codegen, ariadne-codegen) and GraphiQL's Docs show these,
so every type, field, argument and enum value has one. Entity and field texts
come from `entities.py`, with the systems that fill each field (`Sources`, which
the gateway computes from the connectors' mappings); the generated families
(pages, edges, filters, inputs, payloads) and the standard fields and arguments
have the texts below. `describe` fills what a built schema still lacks.
"""

from __future__ import annotations

import re

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
)

from schema.entities import BY_NAME, ENTITIES
from schema.model import Embedded, Field, Sources

EMBEDDED: dict[str, Embedded] = {c.embedded.name: c.embedded for e in ENTITIES for c in e.components}

TYPES = {
    "Query": "Reads of the connection's system: one list and one by-id field per entity it has.",
    "Mutation": "Writes to the connection's system: only those its system supports.",
    "Subscription": "Events of this connection, over WebSocket (graphql-transport-ws).",
    "Node": "Anything with a global id, readable with node(id:).",
    "PageInfo": "Where a page sits in its list: pass endCursor as `after` (startCursor as `before`) for the next.",
    "System": "The system a connection reaches.",
    "Connection": "The connection a token belongs to (not a paged list: see the `*Connection` types).",
    "EntitySyncStatus": "One entity's sync into the gateway's replica.",
    "ConnectionStatusEvent": "A change of the connection's status.",
    "SyncEvent": "A sync that completed or failed.",
    "DeletePayload": "What a delete removed.",
}

SUFFIXES = (
    ("CreateInput", "Values of a new {0}; non-null fields are the ones this system requires."),
    ("UpdateInput", "Values to change on a {0}: only the fields given change (null clears)."),
    ("Input", "Values of one {0}."),
    ("Connection", "A page of {0} records."),
    ("Edge", "A {0} with its cursor."),
    ("Filter", "Which {0} records to list (all given conditions hold)."),
    ("Payload", "The {0} a write left, as the system answered."),
)

FIELDS = {
    "id": "Opaque global id, usable with node(id:).",
    "nodes": "The page's records.",
    "edges": "The page's records with their cursors.",
    "pageInfo": "Where this page sits in the list.",
    "cursor": "Where this record sits in its list: pass it as `after` or `before`.",
    "node": "The record.",
    "record": "The record after the write (null when the system answers without it).",
    "hasNextPage": "More records follow this page.",
    "hasPreviousPage": "More records precede this page.",
    "endCursor": "The last record's cursor (null on an empty page).",
    "startCursor": "The first record's cursor (null on an empty page).",
    "remoteId": "The system's own key.",
    "displayValue": "A human-readable label for the record, as the system shows it.",
    "createdAt": "When the record was created, where the system says.",
    "updatedAt": "When the record last changed, where the system says.",
    "deletedAt": "When the record was deleted (upstream, or marked deleted by the system); null while it exists.",
    "deleted": "Always true: the record is gone.",
    "connectionId": "The connection the event belongs to.",
    "at": "When it happened.",
    "data": "The event's details, as webhooks deliver them.",
    "reason": "Why the status changed.",
    "entity": "The unified entity.",
    "lastStartedAt": "When the last sync run started.",
    "lastSucceededAt": "When a sync run last succeeded.",
    "lastError": "The last failure's message.",
    "nextRunAt": "When the next run is due.",
    "recordsSynced": "Records the replica holds for this entity.",
    "retryAt": "When a failed sync is tried again.",
    "key": "The system's catalog key.",
    "name": "The name.",
    "vendor": "Who makes the system.",
    "category": "The kind of system (CMMS, EAM, ERP).",
    "tier": "The price tier (credits per connection).",
    "statusReason": "Why the connection has its status.",
    "instanceUrl": "The system's address (null: the vendor's cloud).",
    "metadata": "Your own key-value data about the connection.",
    "credits": "Credits the connection holds.",
    "syncStatus": "Sync state per entity.",
}

ARGUMENTS = {
    "first": "At most this many records, from the start (or after `after`).",
    "after": "Continue after this cursor (an endCursor or an edge's cursor).",
    "last": "At most this many records, from the end (or before `before`).",
    "before": "Continue before this cursor (a startCursor or an edge's cursor).",
    "filter": "Only records that match.",
    "source": "Read the system itself (LIVE, default) or the gateway's synced replica (REPLICA).",
    "orderBy": "The order of the list.",
    "id": "Global id (or the system's remote id, where accepted).",
    "remoteId": "The system's own key.",
    "input": "The values to write.",
    "idempotencyKey": "Retries with the same key return the first result instead of writing again.",
    "ifMatch": "The remoteVersion you read: refused if the record changed since.",
    "writeOptions": "Organisational context for this write (see the system's writeSettings), over writeDefaults.",
    "partId": "The part (global or remote id).",
    "delta": "How much to add (negative: remove).",
    "locationId": "The stock location (global or remote id), where the system keeps stock per location.",
}


def humanized(name: str) -> str:
    """`serialNumber` -> "Serial number": the fallback text of a model field."""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()
    return words[:1].upper() + words[1:]


def field_text(owner: str, field: Field | None, name: str, sources: Sources) -> str:
    """A model field's text: its declared description (or its name), plus which systems fill it."""
    text = field.description if field and field.description else FIELDS.get(name) or humanized(name) + "."
    systems = sources.systems(owner, name)
    if systems and owner in BY_NAME:
        text += f" Filled by {', '.join(systems)}."
    return text


def _model_field(owner: str, name: str) -> Field | None:
    fields: tuple[Field, ...] = ()
    if owner in BY_NAME:
        fields = BY_NAME[owner].fields
    elif owner in EMBEDDED:
        fields = EMBEDDED[owner].fields
    return next((f for f in fields if f.name == name), None)


def _relation_text(owner: str, name: str) -> str | None:
    entity = BY_NAME.get(owner)
    relations = entity.relations if entity else EMBEDDED[owner].relations if owner in EMBEDDED else ()
    found = next((r for r in relations if r.name == name), None)
    if found is None:
        return None
    return f"The {found.target} records this refers to." if found.many else f"The {found.target} this refers to."


def type_text(name: str) -> str:
    if name in TYPES:
        return TYPES[name]
    if name in BY_NAME:
        return BY_NAME[name].description
    if name in EMBEDDED:
        return EMBEDDED[name].description
    for suffix, text in SUFFIXES:
        if name.endswith(suffix) and name != suffix:
            return text.format(name[: -len(suffix)])
    return f"{humanized(name)}."


def member_text(owner: str, name: str, sources: Sources) -> str:
    """The text of a field of `owner` that its builder left without one."""
    if name.endswith("Raw") and _model_field(owner, name[:-3]):
        return f"The system's own value of `{name[:-3]}`, before normalizing."
    relation = _relation_text(owner, name)
    if relation is not None:
        return relation
    return field_text(owner, _model_field(owner, name), name, sources)


def describe(schema: GraphQLSchema, sources: Sources = Sources()) -> GraphQLSchema:
    """Fill every description a built schema lacks (introspection types excepted)."""
    for name, graphql_type in schema.type_map.items():
        if not name.startswith("__"):
            _describe_type(graphql_type, sources)
    return schema


def _describe_type(graphql_type: GraphQLNamedType, sources: Sources) -> None:
    name = graphql_type.name
    graphql_type.description = graphql_type.description or type_text(name)
    if isinstance(graphql_type, GraphQLEnumType):
        for value_name, value in graphql_type.values.items():
            value.description = value.description or f"{humanized(value_name.lower())}."
        return
    if not isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
        return
    owner = _owner(name)
    for field_name, field in graphql_type.fields.items():
        field.description = field.description or member_text(owner, field_name, sources)
        for arg_name, arg in getattr(field, "args", {}).items():
            arg.description = arg.description or ARGUMENTS.get(arg_name) or f"{humanized(arg_name)}."


def _owner(type_name: str) -> str:
    """The model name behind a generated type (`WorkOrderCreateInput` -> `WorkOrder`)."""
    for suffix in ("CreateInput", "UpdateInput", "Input", "Filter"):
        if type_name.endswith(suffix) and type_name[: -len(suffix)] in (*BY_NAME, *EMBEDDED):
            return type_name[: -len(suffix)]
    return type_name
