"""Serving the MCP server over stdio (for a client that starts it) or streamable HTTP (for one that connects)."""

from __future__ import annotations

from typing import Any

import anyio
import uvicorn
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server


def run_stdio(server: Server[Any]) -> None:
    """Serve one client on stdin/stdout until it closes them."""

    async def serve() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(serve)


def run_http(server: Server[Any], host: str, port: int) -> None:
    """Serve streamable HTTP at `http://host:port/mcp`; the SDK guards loopback hosts against DNS rebinding."""
    app = server.streamable_http_app(host=host)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
