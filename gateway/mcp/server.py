"""The MCP server: the connection's tools, each call one GraphQL request to the gateway."""

from __future__ import annotations

import json
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server

from .gateway_client import GatewayClient, GatewayError, GraphQLAnswer
from .readonly import NotReadOnly, check_read_only
from .tools import ToolSpec, entity_tools, write_tools

GRAPHQL_TOOL = types.Tool(
    name="graphql_query",
    description=(
        "Run a read-only GraphQL query against this connection's data schema (the same schema the other tools "
        "come from; mutations and subscriptions are refused). Returns the `data` object as JSON."
    ),
    input_schema={
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "A GraphQL query document."},
            "variables": {"type": "object", "description": "Values for the query's variables."},
        },
        "required": ["query"],
    },
    annotations=types.ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=True),
)


def _tool(spec: ToolSpec) -> types.Tool:
    return types.Tool(
        name=spec.name,
        description=spec.description,
        input_schema=spec.input_schema,
        annotations=types.ToolAnnotations(
            read_only_hint=spec.read_only,
            destructive_hint=spec.destructive,
            open_world_hint=True,  # every call reaches the connected system (or its replica)
        ),
    )


def _result(payload: Any) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=json.dumps(payload, indent=1))])


def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True)


def _answered(answer: GraphQLAnswer, field: str | None) -> types.CallToolResult:
    """GraphQL errors fail the call with the gateway's own messages (and codes), which a model can act on."""
    if answer.errors:
        return _error(json.dumps({"errors": answer.errors}, indent=1))
    data = answer.data or {}
    return _result(data.get(field) if field else data)


class Tools:
    """The tool table of one connection and how to call each one."""

    def __init__(self, client: GatewayClient, specs: list[ToolSpec]) -> None:
        self.client = client
        self.specs = {spec.name: spec for spec in specs}
        self.listing = [_tool(spec) for spec in specs] + [GRAPHQL_TOOL]

    async def call(self, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        try:
            if name == GRAPHQL_TOOL.name:
                return await self._graphql(arguments)
            spec = self.specs.get(name)
            if spec is None:
                return _error(f"no tool {name!r}: this connection's schema does not offer it")
            document, variables = spec.operation(arguments)
            return _answered(await self.client.execute(document, variables), spec.field)
        except (ValueError, GatewayError) as exc:
            return _error(str(exc))

    async def _graphql(self, arguments: dict[str, Any]) -> types.CallToolResult:
        query = arguments.get("query")
        if not isinstance(query, str):
            return _error("graphql_query needs a `query` string")
        try:
            check_read_only(query)
        except NotReadOnly as exc:
            return _error(str(exc))
        return _answered(await self.client.execute(query, arguments.get("variables")), None)


def build_tools(client: GatewayClient) -> Tools:
    """Introspect the connection's schema once; a bad token or an unreachable gateway raises GatewayError here."""
    schema = client.schema()
    return Tools(client, entity_tools(schema) + write_tools(schema))


def build_server(tools: Tools) -> Server[Any]:
    """A low-level server: the tools come from the schema at run time, not from decorated functions."""

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools.listing)

    async def call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> types.CallToolResult:
        return await tools.call(params.name, dict(params.arguments or {}))

    return Server(
        "plantgate",
        instructions=(
            "Tools over one Plantgate connection: list_* and get_* read the unified records, graphql_query runs "
            "read-only queries, and the remaining tools write to the connected system."
        ),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )
