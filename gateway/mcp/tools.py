"""The connection's tools, read off its shaped schema: what it can list, get and write, in the schema's words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLArgument, GraphQLField, GraphQLObjectType, GraphQLSchema, get_named_type

from .jsonschema import arguments_schema
from .selection import leaves

LIST_ARGUMENTS = ("first", "after", "filter", "source")  # forward paging is enough for a model; REPLICA for long lists
PAGE_INFO = "pageInfo { hasNextPage endCursor }"
ADDITIVE_WRITES = ("create",)  # a create adds a record; every other write changes or removes one
NOT_TOOLS = frozenset({"passthrough"})  # raw requests stay with scripts: a model gets the unified model's writes


@dataclass(frozen=True)
class ToolSpec:
    """One MCP tool as one GraphQL field: its arguments become variables, its answer the field's value."""

    name: str
    description: str
    input_schema: dict[str, Any]
    root: str  # "query" or "mutation"
    field: str
    arguments: dict[str, GraphQLArgument]
    selection: str
    destructive: bool = False

    @property
    def read_only(self) -> bool:
        return self.root == "query"

    def operation(self, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The document and variables for these tool arguments; unknown or missing ones are refused, not guessed."""
        unknown = sorted(set(values) - set(self.arguments))
        if unknown:
            raise ValueError(f"{self.name} takes no argument {', '.join(unknown)}")
        missing = [name for name in self.input_schema.get("required", []) if values.get(name) is None]
        if missing:
            raise ValueError(f"{self.name} needs {', '.join(missing)}")
        given = {name: value for name, value in values.items() if value is not None}
        declared = ", ".join(f"${name}: {self.arguments[name].type}" for name in given)
        passed = ", ".join(f"{name}: ${name}" for name in given)
        head = f"{self.root}({declared})" if declared else self.root
        call = f"{self.field}({passed})" if passed else self.field
        return f"{head} {{ {call} {self.selection} }}", given


def snake(name: str) -> str:
    """`workOrders` → `work_orders`: tool names read like the rest of an MCP client's tools."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _text(*parts: str | None) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def _list_tool(name: str, field: GraphQLField, node: GraphQLObjectType) -> ToolSpec:
    arguments = {k: v for k, v in field.args.items() if k in LIST_ARGUMENTS}
    return ToolSpec(
        name=f"list_{snake(name)}",
        description=_text(
            field.description,
            node.description,
            "Returns {nodes, pageInfo} as JSON; pass pageInfo.endCursor as `after` for the next page.",
        ),
        input_schema=arguments_schema(arguments),
        root="query",
        field=name,
        arguments=arguments,
        selection=f"{{ nodes {leaves(node)} {PAGE_INFO} }}",
    )


def _get_tool(name: str, field: GraphQLField, record: GraphQLObjectType) -> ToolSpec:
    arguments = {"id": field.args["id"]}
    schema = arguments_schema(arguments)
    schema["required"] = ["id"]  # GraphQL also takes remoteId instead; the tool keeps one way in
    return ToolSpec(
        name=f"get_{snake(name)}",
        description=_text(field.description, record.description, "Returns the record as JSON, or null."),
        input_schema=schema,
        root="query",
        field=name,
        arguments=arguments,
        selection=leaves(record),
    )


def _write_tool(name: str, field: GraphQLField) -> ToolSpec:
    payload = get_named_type(field.type)
    return ToolSpec(
        name=snake(name),
        description=_text(field.description, getattr(payload, "description", None)),
        input_schema=arguments_schema(field.args),
        root="mutation",
        field=name,
        arguments=dict(field.args),
        selection=leaves(payload, depth=1),
        destructive=not name.startswith(ADDITIVE_WRITES),
    )


def _node_type(field: GraphQLField) -> GraphQLObjectType | None:
    """The record type of a Relay list field, or None for anything else."""
    connection = get_named_type(field.type)
    if not isinstance(connection, GraphQLObjectType) or "pageInfo" not in connection.fields:
        return None
    nodes = connection.fields.get("nodes")
    node = get_named_type(nodes.type) if nodes else None
    return node if isinstance(node, GraphQLObjectType) else None


def entity_tools(schema: GraphQLSchema) -> list[ToolSpec]:
    """`list_<entities>` for each list field and `get_<entity>` for each by-id field of a listed record type."""
    query = schema.query_type
    if query is None:
        return []
    lists: list[ToolSpec] = []
    listed: set[str] = set()
    for name, field in query.fields.items():
        node = _node_type(field)
        if node is not None:
            lists.append(_list_tool(name, field, node))
            listed.add(node.name)
    gets = [
        _get_tool(name, field, record)
        for name, field in query.fields.items()
        if "id" in field.args
        and isinstance(record := get_named_type(field.type), GraphQLObjectType)
        and record.name in listed
    ]
    return lists + gets


def write_tools(schema: GraphQLSchema) -> list[ToolSpec]:
    """One tool per mutation the connection's schema has: its system's writes, no more (not passthrough)."""
    mutation = schema.mutation_type
    fields = mutation.fields.items() if mutation else ()
    return [_write_tool(name, field) for name, field in fields if name not in NOT_TOOLS]
