"""Plain graphql-core resolvers for the data schema's fields that only read a value off their record.

Strawberry wraps every resolver (arguments, `info`, field extensions, awaitables);
for a field that reads one value that costs more than the read, and a 100-row
list runs it for every field of every row. A resolver marked here with its
plain `(root, info)` twin gets that twin in the built schema: same value, same
serialization (graphql-core's), no wrapper. Middleware still applies: graphql-core
wraps the resolver it is given. A plain resolver reads its root and `info.context`
only: `plain_execution.py` hands every row of a list the same info.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLField, GraphQLObjectType, GraphQLSchema
from strawberry.schema.schema_converter import GraphQLCoreConverter

_PLAIN = "__plain_resolver__"
_VALUE = "__plain_value__"
PlainResolver = Callable[[Any, Any], Any]


def with_plain(resolver: Callable[..., Any], plain: PlainResolver) -> Callable[..., Any]:
    """Mark `resolver` (Strawberry's) as replaceable by `plain` once the schema is built."""
    setattr(resolver, _PLAIN, plain)
    return resolver


def reading_value(name: str, plain: PlainResolver) -> PlainResolver:
    """`plain`, marked as reading the value `name` of a `Record` root (`plain_execution.py` reads it directly)."""
    setattr(plain, _VALUE, name)
    return plain


def value_name(resolver: Callable[..., Any]) -> str | None:
    """The record value a plain resolver reads, where `reading_value` marked it."""
    return getattr(resolver, _VALUE, None)


def apply(schema: GraphQLSchema) -> int:
    """Put the plain twins in place; returns how many fields got one."""
    replaced = 0
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType):
            continue
        for field in type_.fields.values():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            base = getattr(definition, "base_resolver", None)
            plain = getattr(getattr(base, "wrapped_func", None), _PLAIN, None)
            if plain is not None:
                field.resolve = plain
                field.extensions = {**(field.extensions or {}), _PLAIN: True}
                replaced += 1
    return replaced


def is_plain(field: GraphQLField) -> bool:
    """Whether `apply` gave this field its plain resolver."""
    return bool(field.extensions and field.extensions.get(_PLAIN))
