"""Two gateway processes on PostgreSQL and Redis, one agent: calls for its connection work from either process.

The agent holds one socket, to process A. A call made on process B goes to A
through Redis (gateway/agents/relay.py) and down that socket; a key rotated on B
closes the socket held by A.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.maximo.app import SANDBOX
from tests.agent_process import AGENT_STATE, CREATE_AGENT, AgentProcess
from tests.helpers import data, wait_until
from tests.processes import GatewayProcess, base_env, create_org

pytestmark = pytest.mark.processes
CONNECT = "mutation($i: CreateConnectionInput!) { createConnection(input: $i) { token connection { id status } } }"
READ = "{ workOrders(first: 5, source: LIVE) { nodes { remoteId title } } }"


def start_agent(gateway: GatewayProcess, admin: str, maximo: ServerThread, tmp: Path) -> tuple[str, AgentProcess]:
    """A new agent of the organization, running and online (seen through `gateway`)."""
    made = data(gateway.gql(admin, CREATE_AGENT, {"n": "Plant"}))["createAgent"]
    agent_id = made["agent"]["id"]
    agent = AgentProcess(gateway.url, made["key"], [maximo.url], tmp / "agent", tmp / "agent.log").start()
    try:
        wait_until(lambda: data(gateway.gql(admin, AGENT_STATE, {"id": agent_id}))["agent"]["online"], timeout=30)
    except BaseException:
        agent.stop()
        raise
    return agent_id, agent


def maximo_through(maximo: ServerThread, agent_id: str) -> dict[str, Any]:
    return {
        "system": "maximo",
        "hosting": "ON_PREMISES",
        "name": "Plant Maximo",
        "instanceUrl": maximo.url,
        "credentials": dict(SANDBOX.credentials),
        "agentId": agent_id,
    }


def test_calls_for_an_agent_routed_connection_succeed_from_either_process(
    launch: Callable[[str, dict[str, str]], GatewayProcess],
    pg_url: str,
    redis_url: str,
    secret_key: str,
    tmp_path: Path,
) -> None:
    env = base_env(
        PLANTGATE_DATABASE_URL=pg_url,
        PLANTGATE_REDIS_URL=redis_url,
        PLANTGATE_SECRET_KEY=secret_key,
        PLANTGATE_ALLOWED_HOSTS="",  # the sandbox's loopback address is refused to both processes
        PLANTGATE_AGENT_HEARTBEAT_INTERVAL="2",
    )
    first, second = launch("a", env), launch("b", env)
    first.wait_healthy()
    second.wait_healthy()
    admin = create_org(env, "Two processes", 100)
    with ServerThread(SANDBOX.create_app()) as maximo:
        agent_id, agent = start_agent(first, admin, maximo, tmp_path)
        try:
            given = maximo_through(maximo, agent_id)
            created = data(second.gql(admin, CONNECT, {"i": given}))["createConnection"]  # checked through A
            assert created["connection"]["status"] == "ACTIVE"
            token = created["token"]
            control = SandboxControl(maximo.url)
            for process in (second, first, second):
                control.clear_requests()
                nodes = data(process.gql(token, READ))["workOrders"]["nodes"]
                assert len(nodes) == 5, process.name
                assert any("mxapiwodetail" in c["path"] for c in control.requests()), process.name

            rotate = "mutation($id: ID!) { rotateAgentKey(id: $id) { key } }"
            data(second.gql(admin, rotate, {"id": agent_id}))
            rotated = time.monotonic()
            assert agent.exited(timeout=10) not in (None, 0), agent.log()
            assert time.monotonic() - rotated < 1.5, "the socket on the other process closed late"
        finally:
            agent.stop()


def test_the_agent_redials_a_restarted_gateway_and_its_connection_serves_again(
    launch: Callable[[str, dict[str, str]], GatewayProcess],
    pg_url: str,
    secret_key: str,
    tmp_path: Path,
) -> None:
    env = base_env(
        PLANTGATE_DATABASE_URL=pg_url,
        PLANTGATE_SECRET_KEY=secret_key,
        PLANTGATE_ALLOWED_HOSTS="",
        PLANTGATE_AGENT_HEARTBEAT_INTERVAL="2",
    )
    gateway = launch("gateway", env).wait_healthy()
    admin = create_org(env, "Restart", 100)
    with ServerThread(SANDBOX.create_app()) as maximo:
        agent_id, agent = start_agent(gateway, admin, maximo, tmp_path)
        try:
            given = maximo_through(maximo, agent_id)
            token = data(gateway.gql(admin, CONNECT, {"i": given}))["createConnection"]["token"]

            connected = "query($id: ID!) { agent(id: $id) { connectedAt } }"
            first_socket = data(gateway.gql(admin, connected, {"id": agent_id}))["agent"]["connectedAt"]
            gateway.kill()  # the gateway goes away without a goodbye; the agent must notice and redial
            wait_until(lambda: "redialling the gateway" in agent.log(), timeout=10, what="the agent redialling")
            back = GatewayProcess("gateway-again", env, tmp_path)
            back.port, back.env["PLANTGATE_PORT"] = gateway.port, str(gateway.port)  # the address the agent dials
            try:
                back.start().wait_healthy()
                # A new socket (the dead process's row still looks online for up to three heartbeats).
                redialled = lambda: data(back.gql(admin, connected, {"id": agent_id}))["agent"]["connectedAt"]  # noqa: E731
                wait_until(lambda: redialled() != first_socket, timeout=90, what="the agent back on the gateway")
                assert len(data(back.gql(token, READ))["workOrders"]["nodes"]) == 5
                assert agent.proc is not None and agent.proc.poll() is None, "the agent kept running"
            finally:
                back.stop()
        finally:
            agent.stop()
