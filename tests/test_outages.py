"""PostgreSQL or Redis going down and coming back: clean answers, one log line each way, nothing lost.

Each test runs its own PostgreSQL or Redis (`tests/throwaway.py`) on a free
port and stops it under a running gateway; the shared instances are never
touched.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import websockets
from sqlmodel import select

from gateway.auth import Principal, hash_secret
from gateway.events import revocation
from gateway.events.broker import LocalBroker
from gateway.events.revocation import OpenSockets
from gateway.store.tables import AdminKey
from sandboxes.kit import ServerThread
from tests.conftest import Gateway, _start_gateway
from tests.helpers import WS_PROTOCOL, data, wait_until
from tests.processes import GatewayProcess, base_env, create_org
from tests.throwaway import Postgres, Redis

pytestmark = pytest.mark.processes

CREDITS = "{ credits { total } }"
STATUS = "subscription { connectionStatusChanged { connectionId status previousStatus } }"
DISCONNECT = "mutation($id: ID!) { disconnect(id: $id) { id status } }"


@pytest.fixture
def postgres() -> Iterator[Postgres]:
    server = Postgres().start()
    yield server
    server.remove()


@pytest.fixture
def redis_server() -> Iterator[Redis]:
    server = Redis().start()
    yield server
    server.stop()


def post(gateway: Gateway | GatewayProcess, token: str, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{gateway.url}/graphql",
        json={"query": CREDITS},
        timeout=30,
        headers={"Authorization": f"Bearer {token}", **headers},
    )


def lines(caplog: pytest.LogCaptureFixture, logger: str, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == logger and text in r.getMessage()]


def assert_no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    loud = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not loud, [f"{r.name}: {r.getMessage()}" for r in loud]


def test_postgres_down_answers_503_logs_once_and_recovers(
    tmp_path: Path, postgres: Postgres, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    gen = _start_gateway(tmp_path, postgres.url, "postgresql", scheduler=True, sync_tick=0.1)
    gateway = next(gen)
    try:
        admin = gateway.new_org()
        assert post(gateway, admin).status_code == 200
        postgres.stop()
        answers = [post(gateway, admin) for _ in range(5)]
        answers.append(post(gateway, admin, accept="application/graphql-response+json"))
        ready = httpx.get(f"{gateway.url}/readyz", timeout=10)
        link = httpx.get(
            f"{gateway.url}/connect/api/link", headers={"Authorization": "Bearer pg_connect_x"}, timeout=10
        )
        assert link.status_code == 503 and link.json()["error"]["code"] == "SERVICE_UNAVAILABLE", link.text
        assert link.headers["retry-after"].isdigit()
        assert asyncio.run(socket_close(gateway, admin)) == (1013, "Try again later: the database is unavailable")
        wait_until(lambda: lines(caplog, "plantgate.scheduler", "unavailable"), timeout=10, what="the scheduler's line")
        for answer in answers:
            assert answer.status_code == 503 and answer.headers["retry-after"].isdigit()
            error = answer.json()["errors"][0]
            assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert error["extensions"]["requestId"] == answer.headers["x-request-id"]
        assert answers[-1].headers["content-type"].startswith("application/graphql-response+json")
        assert ready.status_code == 503 and ready.json()["checks"]["database"].startswith("failed")
        assert len(lines(caplog, "plantgate.store", "database unavailable")) == 1  # not one per request
        assert len(lines(caplog, "plantgate.scheduler", "unavailable")) == 1  # not one per tick
        assert_no_tracebacks(caplog)

        postgres.start()
        wait_until(lambda: post(gateway, admin).status_code == 200, timeout=30, what="requests served again")
        wait_until(lambda: lines(caplog, "plantgate.scheduler", "available again"), timeout=10, what="ticks resumed")
        assert len(lines(caplog, "plantgate.store", "available again")) == 1
        assert len(lines(caplog, "plantgate.store", "database unavailable")) == 1
        assert httpx.get(f"{gateway.url}/readyz").status_code == 200
        assert_no_tracebacks(caplog)
    finally:
        next(gen, None)


async def socket_close(gateway: Gateway, token: str) -> tuple[int | None, str]:
    """How a socket opened during the outage is closed (1013: try again later, not 4403)."""
    async with websockets.connect(gateway.url.replace("http", "ws") + "/graphql", subprotocols=[WS_PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    return closed.value.rcvd.code if closed.value.rcvd else None, closed.value.rcvd.reason if closed.value.rcvd else ""


async def subscribe(gateway: Gateway, token: str) -> websockets.ClientConnection:
    ws = await websockets.connect(gateway.url.replace("http", "ws") + "/graphql", subprotocols=[WS_PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": STATUS}}))
    await asyncio.sleep(0.5)  # the protocol has no "subscribed" message: let the server start the stream
    return ws


async def next_status(ws: websockets.ClientConnection) -> dict:
    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert message["type"] == "next", message
    return message["payload"]["data"]["connectionStatusChanged"]


async def test_redis_down_degrades_readiness_keeps_local_events_and_limits(
    tmp_path: Path, redis_server: Redis, upkeep_sandbox: ServerThread, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    gen = _start_gateway(
        tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", "sqlite", redis_url=redis_server.url, rate_limit_per_token=5
    )
    gateway = next(gen)
    ws = None
    try:
        admin = gateway.new_org()
        created = data(await asyncio.to_thread(gateway.connect, admin, upkeep_sandbox.url))["createConnection"]
        ready = await asyncio.to_thread(httpx.get, f"{gateway.url}/readyz")
        assert ready.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
        ws = await subscribe(gateway, admin)

        await asyncio.to_thread(redis_server.stop)
        ready = await asyncio.to_thread(httpx.get, f"{gateway.url}/readyz", timeout=10)
        assert ready.status_code == 200  # a load balancer keeps the process: it serves
        assert ready.json()["status"] == "degraded" and ready.json()["checks"]["database"] == "ok"
        assert ready.json()["checks"]["redis"].startswith("degraded")

        result = await asyncio.to_thread(gateway.gql, admin, DISCONNECT, {"id": created["connection"]["id"]})
        assert data(result)["disconnect"]["status"] == "DISCONNECTED"  # committed, and answered as such
        seen = await next_status(ws)
        assert seen["connectionId"] == created["connection"]["id"] and seen["status"] == "DISCONNECTED"

        limited = gateway.new_org()
        statuses = [(await asyncio.to_thread(post, gateway, limited)).status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]  # counted in this process meanwhile

        assert len(lines(caplog, "plantgate.ratelimit", "unavailable")) == 1
        assert len(lines(caplog, "plantgate.events", "unavailable")) == 1
        assert_no_tracebacks(caplog)

        await asyncio.to_thread(redis_server.start)

        def back() -> bool:  # a fresh key each time: polling must not hit the limit it checks
            return post(gateway, gateway.new_org()).status_code == 200 and bool(
                lines(caplog, "plantgate.ratelimit", "available again")
            )

        await asyncio.to_thread(wait_until, back, 20, 0.5, "rate limits counted in Redis again")
        await asyncio.to_thread(wait_until, lambda: lines(caplog, "plantgate.events", "available again"), 10)
        ready = await asyncio.to_thread(httpx.get, f"{gateway.url}/readyz")
        assert ready.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
        assert len(lines(caplog, "plantgate.ratelimit", "unavailable")) == 1
        assert len(lines(caplog, "plantgate.events", "unavailable")) == 1
        assert_no_tracebacks(caplog)
        await broadcast_again(gateway, tmp_path, redis_server, admin, upkeep_sandbox, ws)
    finally:
        if ws is not None:
            await ws.close()
        next(gen, None)


async def broadcast_again(
    gateway: Gateway,
    tmp_path: Path,
    redis_server: Redis,
    admin: str,
    sandbox: ServerThread,
    ws: websockets.ClientConnection,
) -> None:
    """Redis is back: another process on the same database and Redis hears the first one's event; the first
    process's own subscriber gets it once (from the publisher, not a second time from the channel)."""
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    gen = _start_gateway(tmp_path / "other", database, "sqlite", redis_url=redis_server.url)
    other = next(gen)
    other_ws = await subscribe(other, admin)
    try:
        created = data(await asyncio.to_thread(gateway.connect, admin, sandbox.url))["createConnection"]
        data(await asyncio.to_thread(gateway.gql, admin, DISCONNECT, {"id": created["connection"]["id"]}))
        for subscriber in (ws, other_ws):
            seen = await next_status(subscriber)
            assert seen["connectionId"] == created["connection"]["id"] and seen["status"] == "DISCONNECTED"
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ws.recv(), 1.0)  # no duplicate
    finally:
        await other_ws.close()
        next(gen, None)


def test_a_serving_process_logs_each_outage_once_and_no_traceback(
    tmp_path: Path, postgres: Postgres, redis_server: Redis, launch: Callable[[str, dict[str, str]], GatewayProcess]
) -> None:
    """What an operator reads in the process's own log through a Redis outage, then a database outage."""
    env = base_env(
        PLANTGATE_DATA_DIR=str(tmp_path / "data"),
        PLANTGATE_DATABASE_URL=postgres.url,
        PLANTGATE_REDIS_URL=redis_server.url,
        PLANTGATE_RATE_LIMIT_PER_TOKEN="100",
    )
    admin = create_org(env, "outages", 1)
    gateway = launch("outages", env).wait_healthy()

    def logged(text: str) -> int:
        return gateway.log_tail(1_000_000).count(text)

    redis_server.stop()
    assert {post(gateway, admin).status_code for _ in range(5)} == {200}
    assert httpx.get(f"{gateway.url}/readyz").json()["checks"]["redis"].startswith("degraded")
    redis_server.start()
    wait_until(
        lambda: post(gateway, admin).status_code == 200 and logged("Redis for rate limits available again"),
        timeout=20,
        every=0.5,
        what="rate limits back in Redis",
    )

    postgres.stop()
    assert {post(gateway, admin).status_code for _ in range(5)} == {503}
    wait_until(lambda: logged("database for the scheduler unavailable"), timeout=10, what="the scheduler's line")
    postgres.start()
    wait_until(lambda: post(gateway, admin).status_code == 200, timeout=30, what="requests served again")
    wait_until(lambda: logged("database for the scheduler available again"), timeout=10, what="ticks resumed")
    gateway.stop()

    for what in ("Redis for rate limits", "database", "database for the scheduler"):  # no event: no events line
        assert logged(f"{what} unavailable") == 1, gateway.log_tail()
        assert logged(f"{what} available again") == 1, gateway.log_tail()
    assert "Traceback" not in gateway.log_tail(1_000_000), gateway.log_tail()


@dataclass(eq=False)  # kept in a set, by identity
class HeldSocket:
    """What the open-socket registry knows of a socket: who opened it, with which credential; closed or not."""

    principal: Principal
    digest: str
    revoked: bool = False

    async def revoke(self) -> None:
        self.revoked = True


async def test_sockets_rechecked_during_a_database_outage_stay_open_without_a_traceback(
    tmp_path: Path, postgres: Postgres, caplog: pytest.LogCaptureFixture
) -> None:
    """The periodic re-check of open sockets cannot read the database: an outage is no revocation, and the
    store's one outage line is all that is logged; once the database is back, the re-check closes what it must."""
    caplog.set_level(logging.INFO)
    gen = _start_gateway(tmp_path, postgres.url, "postgresql")
    gateway = next(gen)
    try:
        admin = await asyncio.to_thread(gateway.new_org)
        store = gateway.services.store
        with store.read() as session:
            key = session.exec(select(AdminKey).where(AdminKey.key_hash == hash_secret(admin))).one()
        socket = HeldSocket(Principal(key.organization_id), key.key_hash)
        sockets = OpenSockets(store, LocalBroker(), sweep_interval=0.1)
        sockets.add(socket)
        try:
            await asyncio.to_thread(postgres.stop)
            await asyncio.to_thread(wait_until, lambda: store.outage.down, 10, 0.1, "the store's outage")
            await asyncio.sleep(1)  # ten re-checks, all failing
            assert not socket.revoked
            assert len(lines(caplog, "plantgate.store", "database unavailable")) == 1
            assert_no_tracebacks(caplog)
            await asyncio.to_thread(postgres.start)
            await asyncio.to_thread(wait_until, lambda: not store.outage.down, 30, 0.2, "the re-checks reading again")
            assert not socket.revoked
            assert await revocation.retire_admin_key(store, gateway.services.bus, key.organization_id, key.id)
            await asyncio.to_thread(
                wait_until, lambda: socket.revoked, 10, 0.1, "closed by a re-check"
            )  # not announced to it
        finally:
            sockets.discard(socket)
        assert_no_tracebacks(caplog)
    finally:
        next(gen, None)
