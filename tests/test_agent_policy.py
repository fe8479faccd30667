"""What the agent itself enforces, whatever the gateway asks: its address policy, its instance URLs,
its connections and organization, and credentials filled in and scrubbed out."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from websockets.asyncio.server import ServerConnection, serve

from agent.caller import execute, stream
from agent.inject import MissingCredential, Scrubber, fill_body, fill_header
from agent.policy import PlantPolicy
from agent.runner import socket_url
from gateway.agents import protocol
from gateway.netguard import ForbiddenAddress, guarded_transport
from sandboxes.kit import ServerThread
from tests.agent_process import AgentProcess


def resolving(*addresses: str) -> Callable[[str, int], Awaitable[list[str]]]:
    async def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("10.1.2.3", True),
        ("192.168.0.10", True),
        ("172.20.0.5", True),
        ("fd12:3456::1", True),
        ("8.8.8.8", False),  # the internet: an agent is no proxy
        ("127.0.0.1", False),  # loopback unless the operator allows it
        ("169.254.169.254", False),  # cloud metadata, never
        ("::ffff:8.8.8.8", False),
        ("2002:0808:0808::1", False),  # 6to4 of a public address
    ],
)
async def test_the_agent_reaches_only_the_plants_private_ranges(address: str, allowed: bool) -> None:
    policy = PlantPolicy.of(["http://sap.plant.local:8000"], resolver=resolving(address))
    if allowed:
        assert await policy.addresses("sap.plant.local", 8000) == [address]
    else:
        with pytest.raises(ForbiddenAddress):
            await policy.addresses("sap.plant.local", 8000)


async def test_allowed_networks_widen_the_policy_but_never_to_metadata() -> None:
    widened = PlantPolicy.of(["http://x"], ["127.0.0.0/8", "169.254.0.0/16"], resolver=resolving("127.0.0.1"))
    assert await widened.addresses("x", 80) == ["127.0.0.1"]
    metadata = PlantPolicy.of(["http://x"], ["169.254.0.0/16"], resolver=resolving("169.254.169.254"))
    with pytest.raises(ForbiddenAddress):
        await metadata.addresses("x", 80)


def test_only_the_listed_instance_urls_are_called() -> None:
    policy = PlantPolicy.of(["https://maximo.plant.local/maximo", "http://10.0.0.5:8069"])
    assert policy.refusal_of_url("https://maximo.plant.local/maximo/api/os/mxapiasset?lean=1") is None
    assert policy.refusal_of_url("http://10.0.0.5:8069/jsonrpc") is None
    for url in (
        "https://maximo.plant.local/other",  # outside the path
        "https://maximo.plant.local/maximox/api",  # a prefix of a name is not the path
        "http://maximo.plant.local/maximo/api",  # another scheme
        "https://maximo.plant.local:8443/maximo/api",  # another port
        "http://10.0.0.6:8069/jsonrpc",
        "file:///etc/passwd",
        "https://maximo.plant.local/maximo/../admin",  # the path httpx sends is /admin
        "https://maximo.plant.local/maximo/%2e%2E/admin",  # a server may resolve it after the check
        "https://maximo.plant.local/maximo/a%5C..%5Cadmin",
    ):
        assert policy.refusal_of_url(url), url
    with pytest.raises(ValueError):
        PlantPolicy.of(["not a url"])


def test_credentials_are_filled_in_headers_bodies_and_base64_tokens() -> None:
    values = {"username": "maint", "password": "s3cret-pw"}
    basic = base64.b64encode(b"__plantgate_agent_username__:__plantgate_agent_password__").decode()
    assert fill_header(f"Basic {basic}", values) == "Basic " + base64.b64encode(b"maint:s3cret-pw").decode()
    assert fill_header(basic, values) == base64.b64encode(b"maint:s3cret-pw").decode()  # Maximo's maxauth
    assert fill_header("__plantgate_agent_password__", values) == "s3cret-pw"
    assert fill_header("Bearer abc", values) == "Bearer abc"
    body = b'{"params": ["db", "__plantgate_agent_username__", "__plantgate_agent_password__"]}'
    assert json.loads(fill_body(body, values))["params"] == ["db", "maint", "s3cret-pw"]
    with pytest.raises(MissingCredential):
        fill_body(b"__plantgate_agent_apiKey__", values)


async def test_an_echoed_credential_is_scrubbed_even_across_chunks() -> None:
    secret = "s3cret-password-value"
    payload = (b"x" * (protocol.CHUNK_BYTES - 5)) + f'"echo": "{secret}"'.encode() + b"y" * 10
    frames: list[dict[str, Any]] = []

    async def send(frame: dict[str, Any]) -> None:
        frames.append(frame)

    response = httpx.Response(200, headers={"X-Echo": secret}, content=payload)
    await stream("c1", response, send, Scrubber({"password": secret}), max_bytes=10 * protocol.CHUNK_BYTES)
    body = b"".join(protocol.decode(f["data"]) for f in frames if f["type"] == "chunk")
    assert secret.encode() not in body and b"__plantgate_agent_password__" in body
    assert secret not in json.dumps(frames)
    assert frames[-1] == {"type": "end", "id": "c1"}


async def echo(request: Request) -> Response:
    """A plant system that checks the login it got, then echoes the request back, as error pages do."""
    body = (await request.body()).decode()
    user, _, password = base64.b64decode(request.headers["authorization"].split()[1]).decode().partition(":")
    got = {"query": request.query_params["pw"], "json": json.loads(body)["password"], "basic": password}
    echoed = {"url": str(request.url), "body": body, "auth": request.headers["authorization"], "got": got}
    return JSONResponse(echoed, headers={"X-Echo": request.headers["authorization"]})


async def test_credentials_reach_the_system_intact_and_no_echoed_form_of_them_comes_back() -> None:
    """A password with characters each encoding treats specially: filled escaped, scrubbed in every form."""
    secret = 'p@ss "w&rd"/\\ é#1'
    values = {"username": "maint", "password": secret}
    frames: list[dict[str, Any]] = []

    async def send(frame: dict[str, Any]) -> None:
        frames.append(frame)

    basic = base64.b64encode(b"__plantgate_agent_username__:__plantgate_agent_password__").decode()
    with ServerThread(Starlette(routes=[Route("/echo", echo, methods=["POST"])])) as server:
        policy = PlantPolicy.of([server.url], ["127.0.0.1/32"])
        call = {
            "id": "c3",
            "method": "POST",
            "url": f"{server.url}/echo?pw=__plantgate_agent_password__",
            "headers": [["Authorization", f"Basic {basic}"], ["Content-Type", "application/json"]],
            "body": protocol.encode(b'{"password": "__plantgate_agent_password__"}'),
        }
        async with httpx.AsyncClient(transport=guarded_transport(policy, httpx.Limits())) as client:
            await execute(call, send, client, policy, values, 10**6)
    assert frames[0]["type"] == "response" and frames[0]["status"] == 200, frames
    answer = json.loads(b"".join(protocol.decode(f["data"]) for f in frames if f["type"] == "chunk"))
    assert answer["got"] == {k: "__plantgate_agent_password__" for k in ("query", "json", "basic")}
    wire = json.dumps(frames) + json.dumps(answer)
    token = base64.b64encode(f"maint:{secret}".encode()).decode()
    for form in (secret, json.dumps(secret)[1:-1], quote(secret, safe=""), quote_plus(secret), token):
        assert form not in wire, form
    assert basic in answer["auth"] and basic in dict(frames[0]["headers"])["x-echo"]


async def test_an_answer_over_the_agents_limit_is_cut_off() -> None:
    frames: list[dict[str, Any]] = []

    async def send(frame: dict[str, Any]) -> None:
        frames.append(frame)

    await stream("c2", httpx.Response(200, content=b"z" * 5000), send, Scrubber({}), max_bytes=1000)
    assert frames[-1]["type"] == "error" and frames[-1]["kind"] == protocol.TOO_LARGE


def test_the_gateway_url_becomes_the_agent_route() -> None:
    assert socket_url("https://gw.example.com") == "wss://gw.example.com/agent"
    assert socket_url("http://127.0.0.1:8000/") == "ws://127.0.0.1:8000/agent"
    assert socket_url("wss://gw.example.com/agent") == "wss://gw.example.com/agent"
    with pytest.raises(ValueError):
        socket_url("ftp://gw")


async def test_the_agent_refuses_calls_for_connections_not_assigned_to_it(tmp_path: Path) -> None:
    """A peer speaking the gateway's side of the protocol asks a real agent process for calls it must refuse."""
    answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def gateway_side(socket: ServerConnection) -> None:
        hello = json.loads(await socket.recv())
        assert hello["type"] == "hello" and hello["protocol"] == protocol.VERSION
        welcome = protocol.frame("welcome", agentId="a1", organizationId="org-a", heartbeat=5, connections=["c-mine"])
        await socket.send(json.dumps(welcome))
        calls: list[dict[str, Any]] = [
            {"id": "1", "organizationId": "org-b", "connectionId": "c-mine"},  # another organization
            {"id": "2", "organizationId": "org-a", "connectionId": "c-theirs"},  # not assigned
            {"id": "3", "organizationId": "org-a", "connectionId": None, "purpose": "call"},  # no connection
            {"id": "4", "organizationId": "org-a", "connectionId": "c-mine", "url": "http://10.9.9.9/"},  # not listed
        ]
        base: dict[str, Any] = {"method": "GET", "url": "http://127.0.0.1:9/x", "headers": [], "body": "", "timeout": 2}
        for call in calls:
            await socket.send(json.dumps(protocol.frame("call", **{**base, **call})))
        for _ in calls:
            await answers.put(json.loads(await socket.recv()))
        await socket.close()

    async with serve(gateway_side, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        agent = AgentProcess(
            f"http://127.0.0.1:{port}", "pg_agent_x", ["http://127.0.0.1:9"], tmp_path, tmp_path / "a.log"
        )
        agent.start()
        try:
            got = [await asyncio.wait_for(answers.get(), 20) for _ in range(4)]
        finally:
            agent.stop()
    by_id = {a["id"]: a for a in got}
    assert {a["type"] for a in got} == {"error"} and {a["kind"] for a in got} == {protocol.REFUSED_CALL}
    assert "another organization" in by_id["1"]["message"]
    assert "not assigned" in by_id["2"]["message"]
    assert "names no connection" in by_id["3"]["message"]
    assert "not one of this agent's instance URLs" in by_id["4"]["message"]


async def ok(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def test_a_login_bound_to_an_instance_is_never_filled_into_a_call_to_another(tmp_path: Path) -> None:
    """Two systems in the plant: the gateway asking for the SAP login on a call to Maximo is refused."""
    answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    app = Starlette(routes=[Route("/x", ok)])
    with ServerThread(app) as sap, ServerThread(app) as maximo:

        async def gateway_side(socket: ServerConnection) -> None:
            await socket.recv()
            welcome = protocol.frame("welcome", agentId="a1", organizationId="org-a", heartbeat=5, connections=["c"])
            await socket.send(json.dumps(welcome))
            base = {"organizationId": "org-a", "connectionId": "c", "method": "GET", "body": "", "timeout": 5}
            headers = [["Authorization", "Bearer __plantgate_agent_password__"]]
            for call_id, url in (("to-sap", f"{sap.url}/x"), ("to-maximo", f"{maximo.url}/x")):
                call = {**base, "id": call_id, "url": url, "headers": headers, "credentials": "sap-login"}
                await socket.send(json.dumps(protocol.frame("call", **call)))
            while answers.qsize() < 2:
                frame = json.loads(await socket.recv())
                if frame["type"] in ("response", "error"):
                    await answers.put(frame)
            await socket.close()

        async with serve(gateway_side, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            agent = AgentProcess(
                f"http://127.0.0.1:{port}", "pg_agent_x", [sap.url, maximo.url], tmp_path, tmp_path / "a.log"
            )
            agent.credentials("sap-login", bound_to=sap.url, password="sap-secret-pw")
            agent.start()
            try:
                got = {a["id"]: a for a in [await asyncio.wait_for(answers.get(), 20) for _ in range(2)]}
            finally:
                agent.stop()
    assert got["to-sap"]["type"] == "response" and got["to-sap"]["status"] == 200, got
    assert got["to-maximo"]["type"] == "error" and got["to-maximo"]["kind"] == protocol.REFUSED_CALL
    assert "only for" in got["to-maximo"]["message"]
