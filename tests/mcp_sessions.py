"""MCP client sessions against `plantgate mcp` subprocesses, through the SDK's own client transports."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import mcp_types as types
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from tests.helpers import wait_until
from tests.processes import REPO, base_env, free_port


def mcp_args(gateway_url: str, token: str, *extra: str) -> list[str]:
    """`plantgate mcp` as run from this checkout."""
    return ["-m", "gateway.cli", "mcp", "--url", gateway_url, "--token", token, *extra]


def run_to_exit(gateway_url: str, token: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """`plantgate mcp` run to its end, for the cases where it must stop by itself at startup."""
    return subprocess.run(
        [sys.executable, *mcp_args(gateway_url, token, *extra)],
        env=base_env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


@asynccontextmanager
async def stdio_session(gateway_url: str, token: str) -> AsyncIterator[ClientSession]:
    """Start `plantgate mcp` on stdio, as a desktop client would, and open a session to it."""
    params = StdioServerParameters(
        command=sys.executable, args=mcp_args(gateway_url, token), env=base_env(), cwd=str(REPO)
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


@contextmanager
def http_server(gateway_url: str, token: str) -> Iterator[str]:
    """`plantgate mcp --transport http` on a free local port; yields its endpoint."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, *mcp_args(gateway_url, token, "--transport", "http", "--port", str(port))],
        env=base_env(),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    endpoint = f"http://127.0.0.1:{port}/mcp"
    try:
        wait_until(lambda: process.poll() is not None or _listening(port), what="plantgate mcp to listen")
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=15)


def _listening(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
    except httpx.HTTPError:
        return False
    return True


@asynccontextmanager
async def http_session(endpoint: str) -> AsyncIterator[ClientSession]:
    """A session over streamable HTTP to a running `plantgate mcp --transport http`."""
    async with streamable_http_client(endpoint) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def text(result: types.CallToolResult) -> str:
    """The text a tool answered (its one text block)."""
    block = result.content[0]
    assert isinstance(block, types.TextContent), block
    return block.text


def payload(result: types.CallToolResult) -> Any:
    """The JSON a successful tool call answered."""
    assert not result.is_error, text(result)
    return json.loads(text(result))
