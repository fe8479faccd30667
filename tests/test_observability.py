"""Observability: Prometheus metrics move with traffic, /readyz tells a broken dependency, JSON logs carry request ids."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families

from sandboxes.kit import ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.conftest import POSTGRES_ADMIN_URL, Gateway, _start_gateway
from tests.helpers import WS_PROTOCOL, data
from tests.processes import GatewayProcess, base_env, create_org, wait_until
from tests.test_webhooks import HOOKS
from tests.webhook_receiver import Receiver


def scrape(gateway: Gateway) -> dict[tuple[str, frozenset], float]:
    response = httpx.get(f"{gateway.url}/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway that syncs and delivers webhooks on fast timers."""
    tmp = tmp_path_factory.mktemp("gw-metrics")
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", **HOOKS)


def test_metrics_count_requests_upstream_calls_syncs_and_webhooks(busy):
    before = scrape(busy)
    admin = busy.new_org()
    receiver = Receiver()
    with ServerThread(create_upkeep_sandbox()) as sandbox, ServerThread(receiver.app()) as hooks:
        data(
            busy.gql(
                admin, "mutation($u: String!) { createWebhookEndpoint(url: $u) { secret } }", {"u": f"{hooks.url}/hook"}
            )
        )
        token = data(busy.connect(admin, sandbox.url))["createConnection"]["token"]
        data(busy.gql(token, "{ workOrders(first: 2) { nodes { remoteId } } }"))
        wait_until(lambda: receiver.events("sync.completed"), timeout=30, what="a sync and its webhook")
    httpx.get(f"{busy.url}/no-such-route")
    after = wait_until(
        lambda: (
            (s := scrape(busy))
            and value(s, "plantgate_webhook_deliveries_total", outcome="delivered")
            > value(before, "plantgate_webhook_deliveries_total", outcome="delivered")
            and s
        ),
        timeout=10,
    )

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("plantgate_http_requests_total", route="/graphql", method="POST", status="200") >= 3
    assert moved("plantgate_http_requests_total", route="unmatched", method="GET", status="404") == 1
    assert moved("plantgate_http_request_duration_seconds_count", route="/graphql", method="POST") >= 3
    assert moved("plantgate_upstream_calls_total", system="UpKeep", outcome="ok") >= 2
    assert moved("plantgate_upstream_call_duration_seconds_count", system="UpKeep") >= 2
    assert moved("plantgate_sync_runs_total", outcome="succeeded") >= 1
    assert moved("plantgate_sync_records_total", entity="WorkOrder") > 0


def test_failures_are_counted_by_outcome(busy):
    before = scrape(busy)
    admin = busy.new_org()
    with ServerThread(create_upkeep_sandbox()) as sandbox:
        token = data(busy.connect(admin, sandbox.url))["createConnection"]["token"]
    busy.gql(token, "{ workOrders(first: 2) { nodes { remoteId } } }")  # the sandbox is gone now
    after = scrape(busy)
    assert value(after, "plantgate_upstream_calls_total", system="UpKeep", outcome="unreachable") > value(
        before, "plantgate_upstream_calls_total", system="UpKeep", outcome="unreachable"
    )


def test_readyz_ok_with_its_dependencies(sqlite_gateway):
    response = httpx.get(f"{sqlite_gateway.url}/readyz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "checks": {"database": "ok"}}
    assert httpx.get(f"{sqlite_gateway.url}/healthz").status_code == 200


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once it is closed


def test_readyz_200_degraded_when_redis_is_unreachable(tmp_path: Path):
    gen = _start_gateway(
        tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", "sqlite", redis_url=f"redis://127.0.0.1:{closed_port()}/0"
    )
    gateway = next(gen)
    try:
        response = httpx.get(f"{gateway.url}/readyz", timeout=10)
    finally:
        next(gen, None)
    assert response.status_code == 200  # Redis is optional: the process serves without it
    assert response.json()["status"] == "degraded"
    checks = response.json()["checks"]
    assert checks["database"] == "ok" and checks["redis"].startswith("degraded")


def test_readyz_503_when_the_database_is_gone(tmp_path: Path, postgres_url: str):
    name = f"plantgate_ready_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    gen = _start_gateway(tmp_path, f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}", "postgresql")
    gateway = next(gen)
    try:
        assert httpx.get(f"{gateway.url}/readyz").status_code == 200
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        response = httpx.get(f"{gateway.url}/readyz", timeout=10)
    finally:
        next(gen, None)
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("failed")
    assert name not in response.text  # no connection string in the answer


@pytest.mark.processes
def test_serve_logs_json_lines_with_the_request_id(tmp_path: Path):
    env = base_env(PLANTGATE_DATA_DIR=str(tmp_path / "data"), PLANTGATE_LOG_FORMAT="json", PLANTGATE_SCHEDULER="0")
    admin = create_org(env, "logged", 1)
    gateway = GatewayProcess("json", env, tmp_path).start().wait_healthy()
    try:
        request_id = f"req-{uuid.uuid4().hex[:12]}"
        response = httpx.post(
            f"{gateway.url}/graphql",
            json={"query": "{ credits { total } }"},
            headers={"Authorization": f"Bearer {admin}", "X-Request-Id": request_id},
        )
        assert response.headers["x-request-id"] == request_id
        lines = wait_until(
            lambda: [line for line in gateway.log_tail(100_000).splitlines() if request_id in line],
            timeout=5,
            what="a log line of the request",
        )
    finally:
        gateway.stop()
    records = [
        json.loads(line) for line in gateway.log_tail(100_000).splitlines() if line.strip()
    ]  # every line is JSON
    assert {"time", "level", "logger", "message", "request_id"} <= set(records[0])
    mine = [json.loads(line) for line in lines]
    assert mine and all(r["request_id"] == request_id for r in mine)
    assert any(r["logger"] == "plantgate.access" and "POST /graphql" in r["message"] for r in mine)
    assert admin not in gateway.log_tail(100_000)


SECRET = "Pw-" + uuid.uuid4().hex  # a password, a link token and a WebSocket parameter each embed it
LEAKY_MUTATION = (
    'mutation { createConnection(input: {system: "upkeep", name: "x", instanceUrl: "https://e.example", '
    f'credentials: {{username: "u", password: "{SECRET}"}}}}) {{ token }} }}'
)


async def open_and_close_socket(url: str) -> None:
    """A client that puts a secret in the WebSocket URL (uvicorn printed it on its handshake line)."""
    async with websockets.connect(
        f"{url.replace('http', 'ws')}/graphql?token={SECRET}", subprotocols=[WS_PROTOCOL]
    ) as ws:
        assert ws.subprotocol == "graphql-transport-ws"


@pytest.mark.processes
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_access_log_holds_no_query_string_or_credential(tmp_path: Path, log_format: str):
    """A refused GET mutation, a named POST, a magic link and a WebSocket: logged by method, path, status, time."""
    env = base_env(PLANTGATE_DATA_DIR=str(tmp_path / "data"), PLANTGATE_LOG_FORMAT=log_format, PLANTGATE_SCHEDULER="0")
    admin = create_org(env, "logged", 1)
    gateway = GatewayProcess(log_format, env, tmp_path).start().wait_healthy()
    headers = {"Authorization": f"Bearer {admin}"}
    try:
        refused = httpx.get(f"{gateway.url}/graphql", params={"query": LEAKY_MUTATION}, headers=headers)
        assert refused.status_code == 405 and refused.headers["allow"] == "POST"
        named = httpx.get(
            f"{gateway.url}/graphql",
            headers=headers,
            params={"query": "query Balance { credits { total } }", "variables": f'{{"p": "{SECRET}"}}'},
        )
        assert named.status_code == 200
        assert httpx.get(f"{gateway.url}/connect/pg_connect_{SECRET}").status_code == 200
        asyncio.run(open_and_close_socket(gateway.url))
        wait_until(lambda: "WEBSOCKET /graphql" in gateway.log_tail(100_000), timeout=5, what="the socket's line")
    finally:
        gateway.stop()
    log = gateway.log_tail(1_000_000)
    assert SECRET not in log and admin not in log and "query=" not in log
    if log_format == "json":
        access = [r for r in map(json.loads, log.splitlines()) if r["logger"] == "plantgate.access"]
        lines = [(r["method"], r["path"], r["status"], r.get("operation")) for r in access]
        assert all(r["duration_ms"] >= 0 and r["request_id"] != "-" for r in access)
    else:
        found = (
            re.search(r"plantgate\.access \[\w+\] (\S+) (\S+) (\d+) [\d.]+ ms(?: operation=(\w+))?$", line)
            for line in log.splitlines()
        )
        lines = [(m[1], m[2], int(m[3]), m[4]) for m in found if m]
    assert ("GET", "/graphql", 405, None) in lines  # an anonymous mutation: no name to log
    assert ("GET", "/graphql", 200, "Balance") in lines
    assert ("GET", "/connect/…", 200, None) in lines
    assert ("WEBSOCKET", "/graphql", 101, None) in lines
