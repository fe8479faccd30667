"""What a tool asks the gateway for: every plain field of a record, so a result is the whole unified record."""

from __future__ import annotations

from graphql import (
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLOutputType,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
)


def leaves(kind: GraphQLOutputType | GraphQLNamedType, depth: int = 0) -> str:
    """`{ a b nested { c } }`: leaf fields without required arguments, and objects `depth` levels down."""
    named = get_named_type(kind)
    if not isinstance(named, GraphQLObjectType):
        return ""
    parts: list[str] = []
    for name, field in named.fields.items():
        if any(is_non_null_type(arg.type) for arg in field.args.values()):
            continue
        inner = get_named_type(field.type)
        if is_leaf_type(inner):
            parts.append(name)
        elif depth > 0 and isinstance(inner, GraphQLObjectType):
            nested = leaves(inner, depth - 1)
            if nested:
                parts.append(f"{name} {nested}")
    return "{ " + " ".join(parts) + " }" if parts else ""
