"""GraphQL argument types as JSON Schema, so an MCP client can fill a tool's arguments with the schema's own words."""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)
from graphql.pyutils import Undefined

_SCALARS: dict[str, dict[str, Any]] = {
    "Int": {"type": "integer"},
    "Float": {"type": "number"},
    "Boolean": {"type": "boolean"},
    "String": {"type": "string"},
    "ID": {"type": "string"},
    "DateTime": {"type": "string", "format": "date-time"},
    "Date": {"type": "string", "format": "date"},
    "Decimal": {"type": "string"},
}
_DEPTH = 4  # input objects nest shallowly; the bound only guards against a self-referencing input


def input_schema(kind: GraphQLInputType, depth: int = _DEPTH) -> dict[str, Any]:
    """The JSON Schema of one input type (nullability is expressed by the caller's `required`)."""
    if isinstance(kind, GraphQLNonNull):
        return input_schema(kind.of_type, depth)
    if isinstance(kind, GraphQLList):
        return {"type": "array", "items": input_schema(kind.of_type, depth)}
    if isinstance(kind, GraphQLEnumType):
        return {"type": "string", "enum": list(kind.values)}
    if isinstance(kind, GraphQLInputObjectType):
        if depth <= 0:
            return {"type": "object"}
        return _object(kind.fields, depth - 1) | _described(kind.description)
    if isinstance(kind, GraphQLScalarType):
        return dict(_SCALARS.get(kind.name, {}))  # JSON and unknown scalars take any value
    return {}


def arguments_schema(arguments: dict[str, GraphQLArgument]) -> dict[str, Any]:
    """A tool's `inputSchema`: one property per argument, required where GraphQL has no default."""
    return _object(arguments, _DEPTH)


def _object(fields: dict[str, Any], depth: int) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, field in fields.items():
        value = input_schema(field.type, depth)
        if not isinstance(field.type, GraphQLNonNull):
            value = _nullable(value)
        properties[name] = value | _described(field.description)
        if isinstance(field.type, GraphQLNonNull) and not _has_default(field):
            required.append(name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """A nullable GraphQL input takes null too: in an update's input, null clears the field."""
    if "enum" in schema:
        return schema | {"type": [schema["type"], "null"], "enum": [*schema["enum"], None]}
    if isinstance(schema.get("type"), str):
        return schema | {"type": [schema["type"], "null"]}
    return schema


def _has_default(field: Any) -> bool:
    """A schema read by introspection keeps defaults as literals (`default`), a built one as values."""
    return field.default_value is not Undefined or getattr(field, "default", None) is not None


def _described(description: str | None) -> dict[str, Any]:
    return {"description": description} if description else {}
