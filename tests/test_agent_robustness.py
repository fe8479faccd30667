"""A real `plantgate agent` against a peer speaking the gateway's side of the protocol, badly.

A bug on the gateway's side (or a frame it should not have sent) must cost one
call at most: the agent stays up, answers what it can, and a socket that
closes takes its calls with it instead of keeping them in its slots.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from agent.runner import backoff
from gateway.agents import protocol
from tests.agent_process import AGENT_STATE, CREATE_AGENT, AgentProcess
from tests.conftest import Gateway, _start_gateway
from tests.helpers import data, wait_until
from tests.throwaway import Postgres

WELCOME = protocol.frame("welcome", agentId="a1", organizationId="org-a", heartbeat=5, connections=["c-mine"])


def call(call_id: str, url: str, **fields: Any) -> str:
    base = {
        "organizationId": "org-a",
        "connectionId": "c-mine",
        "method": "GET",
        "headers": [],
        "body": "",
        "timeout": 30,
    }
    return json.dumps(protocol.frame("call", id=call_id, url=url, **{**base, **fields}))


@pytest.fixture
async def silent_upstream() -> AsyncIterator[str]:
    """A plant system that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    for writer in held:
        writer.close()
    server.close()


async def test_malformed_frames_cost_the_agent_nothing(tmp_path: Path, silent_upstream: str) -> None:
    answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def gateway_side(socket: ServerConnection) -> None:
        await socket.recv()
        await socket.send(json.dumps(WELCOME))
        for junk in (
            "not json",
            "[1, 2]",
            "[" * 100_000,
            "42",
            '{"type": "reboot"}',
            '{"type": "assign"}',
            '{"type": "call"}',
        ):
            await socket.send(junk)
        await socket.send(call("bad-headers", silent_upstream + "/x", headers=5))
        await socket.send(call("theirs", silent_upstream + "/x", connectionId="c-theirs"))
        for _ in range(2):
            await answers.put(json.loads(await socket.recv()))
        await socket.close()

    async with serve(gateway_side, "127.0.0.1", 0) as server:
        agent = _agent(server.sockets[0].getsockname()[1], silent_upstream, tmp_path)
        agent.start()
        try:
            got = {a["id"]: a for a in [await asyncio.wait_for(answers.get(), 20) for _ in range(2)]}
            assert agent.exited(0.5) is None, agent.log()
        finally:
            agent.stop()
    assert got["bad-headers"]["type"] == "error" and got["bad-headers"]["kind"] == protocol.REFUSED_CALL
    assert "not assigned" in got["theirs"]["message"]  # still serving after all that
    assert "Traceback" not in agent.log().split("could not make call")[0]


async def test_a_closed_socket_frees_the_slots_of_its_calls(tmp_path: Path, silent_upstream: str) -> None:
    """With one slot, a call left hanging by a socket that closed must not make the next socket's call busy."""
    sockets = 0
    answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    async def gateway_side(socket: ServerConnection) -> None:
        nonlocal sockets
        sockets += 1
        await socket.recv()
        await socket.send(json.dumps(WELCOME))
        if sockets == 1:
            await socket.send(call("hangs", silent_upstream + "/slow"))
            await asyncio.sleep(1.0)  # the agent is waiting on the silent system
            await socket.close()
            return
        await socket.send(call("next", silent_upstream + "/x", connectionId="c-theirs"))
        await socket.send(call("next-2", silent_upstream + "/y", timeout=0.5))
        frames = [json.loads(await socket.recv()) for _ in range(2)]
        answer.set_result({f["id"]: f for f in frames}["next-2"])
        await socket.close()

    async with serve(gateway_side, "127.0.0.1", 0) as server:
        agent = _agent(server.sockets[0].getsockname()[1], silent_upstream, tmp_path, "--concurrency", "1")
        agent.start()
        try:
            got = await asyncio.wait_for(answer, 30)
        finally:
            agent.stop()
    assert got["type"] == "error" and got["kind"] == protocol.TIMEOUT, got  # made, not refused as busy


def test_the_backoff_stays_within_its_cap_however_long_the_gateway_is_gone() -> None:
    delays = [backoff(failures, 1.0, 60.0) for failures in (0, 1, 10, 2000, 10**6)]
    assert all(0 <= delay <= 60.0 for delay in delays)
    assert all(backoff(0, 1.0, 60.0) <= 1.0 for _ in range(50))


def _agent(port: int, instance: str, tmp: Path, *extra: str) -> AgentProcess:
    return AgentProcess(f"http://127.0.0.1:{port}", "pg_agent_x", [instance], tmp, tmp / "agent.log", list(extra))


def test_a_database_outage_at_the_handshake_makes_the_agent_redial_not_quit(tmp_path: Path) -> None:
    """The gateway answers 503 (not the 403 of a refused key), so the agent dials again and comes online."""
    postgres = Postgres().start()
    gen = _start_gateway(tmp_path, postgres.url, "postgresql", agent_heartbeat_interval=0.5)
    gateway = next(gen)
    agent: AgentProcess | None = None
    try:
        admin = gateway.new_org(credits=10)
        made = data(gateway.gql(admin, CREATE_AGENT, {"n": "Plant 1"}))["createAgent"]
        postgres.stop()
        agent = AgentProcess(gateway.url, made["key"], ["http://127.0.0.1:9"], tmp_path, tmp_path / "agent.log")
        agent.start()
        wait_until(lambda: "answered 503" in agent.log(), timeout=20, what="the agent told to try again")
        assert agent.exited(1.0) is None, agent.log()
        postgres.start()
        state = lambda: data(gateway.gql(admin, AGENT_STATE, {"id": made["agent"]["id"]}))["agent"]  # noqa: E731
        wait_until(lambda: state()["online"], timeout=30, what="the agent online once the database is back")
    finally:
        if agent is not None:
            agent.stop()
        next(gen, None)
        postgres.remove()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gw-agent-robust")
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", agent_heartbeat_interval=5.0)


HELLO = json.dumps(protocol.frame("hello", version="0", protocol=protocol.VERSION))


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("[1]", None),  # a hello that is no object
        ("[" * 100_000, None),  # nested past the parser's recursion limit
        (HELLO, b"\x00binary"),  # frames are text
        (HELLO, "42"),
        (HELLO, "[" * 100_000),
    ],
)
async def test_a_malformed_agent_frame_closes_its_socket_as_a_protocol_error(
    gateway: Gateway, first: str, then: str | bytes | None
) -> None:
    admin = gateway.new_org(credits=10)
    key = data(gateway.gql(admin, CREATE_AGENT, {"n": "Plant 1"}))["createAgent"]["key"]
    url = gateway.url.replace("http", "ws") + protocol.PATH
    async with connect(url, additional_headers={"Authorization": f"Bearer {key}"}) as socket:
        await socket.send(first)
        if then is not None:
            assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "welcome"
            await socket.send(then)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == protocol.REFUSED  # not 1011, a crash


def test_a_second_agent_process_with_the_same_key_stops_the_first_instead_of_taking_turns(
    gateway: Gateway, tmp_path: Path
) -> None:
    admin = gateway.new_org(credits=10)
    made = data(gateway.gql(admin, CREATE_AGENT, {"n": "Plant 1"}))["createAgent"]
    state = lambda: data(gateway.gql(admin, AGENT_STATE, {"id": made["agent"]["id"]}))["agent"]  # noqa: E731
    agents = [
        AgentProcess(gateway.url, made["key"], ["http://127.0.0.1:9"], tmp_path / name, tmp_path / f"{name}.log")
        for name in ("first", "second")
    ]
    try:
        agents[0].start()
        wait_until(lambda: state()["online"], timeout=20, what="the first agent online")
        agents[1].start()
        assert agents[0].exited(timeout=20) not in (None, 0), agents[0].log()
        assert "another agent process connected with this key" in agents[0].log()
        assert agents[1].exited(timeout=2) is None, agents[1].log()  # the newer one serves on
        assert state()["online"]
    finally:
        for agent in agents:
            agent.stop()


@pytest.mark.parametrize(
    "answer",
    [
        {"type": "response", "status": "200", "headers": []},  # a status that is no number
        {"type": "chunk", "data": ""},  # a body before any response
        {"type": "response", "status": 200, "headers": [["x-only-a-name"]]},
    ],
)
async def test_a_malformed_answer_from_an_agent_fails_that_call_only(gateway: Gateway, answer: dict) -> None:
    """A peer in the agent's place answers the credential check faithfully (it forwards it to the
    Maximo sandbox), then answers live reads with broken frames: a read whose every attempt is broken
    fails as an unreachable system (the circuit breaker then waits for its probe), and the socket
    stays open without the broken calls."""
    from sandboxes.kit import ServerThread
    from sandboxes.maximo.app import SANDBOX

    admin = gateway.new_org(credits=10)
    made = data(gateway.gql(admin, CREATE_AGENT, {"n": "Plant 1"}))["createAgent"]
    url = gateway.url.replace("http", "ws") + protocol.PATH
    broken = {"left": 0}

    async def answer_calls(socket: Any) -> None:
        async with httpx.AsyncClient() as client:
            async for raw in socket:
                call = json.loads(raw)
                if call.get("type") != "call":
                    continue
                if broken["left"]:
                    broken["left"] -= 1
                    await socket.send(json.dumps({**answer, "id": call["id"]}))
                    continue
                got = await client.request(
                    call["method"], call["url"], headers=call["headers"], content=protocol.decode(call["body"])
                )
                head = [[k, v] for k, v in got.headers.items() if k not in ("content-length", "content-encoding")]
                frames = [
                    protocol.frame("response", id=call["id"], status=got.status_code, headers=head),
                    protocol.frame("chunk", id=call["id"], data=protocol.encode(got.content)),
                    protocol.frame("end", id=call["id"]),
                ]
                for frame in frames:
                    await socket.send(json.dumps(frame))

    with ServerThread(SANDBOX.create_app()) as maximo:
        async with connect(url, additional_headers={"Authorization": f"Bearer {made['key']}"}) as socket:
            await socket.send(HELLO)
            assert json.loads(await socket.recv())["type"] == "welcome"
            serving = asyncio.create_task(answer_calls(socket))
            given = {
                "system": "maximo",
                "hosting": "ON_PREMISES",
                "name": "Plant",
                "instanceUrl": maximo.url,
                "credentials": dict(SANDBOX.credentials),
                "agentId": made["agent"]["id"],
            }
            mutation = "mutation($i: CreateConnectionInput!) { createConnection(input: $i) { token } }"
            created = await asyncio.to_thread(gateway.gql, admin, mutation, {"i": given})
            token = data(created)["createConnection"]["token"]
            read = "{ workOrders(first: 2, source: LIVE) { nodes { remoteId } } }"
            broken["left"] = 1  # one broken answer: the read's retry gets a good one
            assert len(data(await asyncio.to_thread(gateway.gql, token, read))["workOrders"]["nodes"]) == 2
            broken["left"] = 2  # the read and its one retry
            failed = await asyncio.to_thread(gateway.gql, token, read)
            assert failed["errors"][0]["extensions"]["code"] == "SYSTEM_UNREACHABLE", failed
            session = gateway.services.agents.sessions[made["agent"]["id"]]  # the socket stays open
            assert not session.pending  # and the broken calls are forgotten
            serving.cancel()


async def test_an_answer_sent_faster_than_it_is_read_waits_within_the_size_bound() -> None:
    """What an agent sends waits for its reader up to the largest answer the gateway takes; past
    that, the call is cancelled and the reader gets `too_large` after the frames before it."""
    from gateway.agents.stream import CallStream

    forgotten: list[str] = []
    stream = CallStream("c1", forgotten.append, max_bytes=1000)
    chunk = protocol.frame("chunk", id="c1", data=protocol.encode(b"x" * 300))
    stream.put(protocol.frame("response", id="c1", status=200, headers=[]))
    for _ in range(3):
        stream.put(chunk)
    assert [(await stream.next(1))["type"] for _ in range(3)] == ["response", "chunk", "chunk"]
    stream.put(chunk)  # the frames read made room: 900 bytes wait now
    stream.put(chunk)
    assert not forgotten
    stream.put(chunk)  # 1,200 would wait
    stream.put(protocol.frame("end", id="c1"))  # dropped: the call is over
    got = [await stream.next(1) for _ in range(4)]
    assert [f["type"] for f in got] == ["chunk", "chunk", "chunk", "error"] and got[-1]["kind"] == protocol.TOO_LARGE
    assert forgotten == ["c1"]
    with pytest.raises(TimeoutError):
        await stream.next(0.05)
