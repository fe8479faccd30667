"""Rate limits per token and per organization (in-process and in Redis), and the per-connection upstream cap."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.conftest import Gateway, _start_gateway
from tests.helpers import data

REDIS_URL = "redis://127.0.0.1:6379/0"
CATALOG = "{ credits { total } }"


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="module", params=["memory", "redis"])
def limited(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway allowing 3 requests a minute per token and 5 per organization."""
    redis_url = ""
    if request.param == "redis":
        if not _redis_available():
            pytest.skip(f"Redis not reachable at {REDIS_URL}")
        redis_url = REDIS_URL
    tmp = tmp_path_factory.mktemp(f"gw-limited-{request.param}")
    yield from _start_gateway(
        tmp,
        f"sqlite:///{tmp / 'db.sqlite'}",
        "sqlite",
        rate_limit_per_token=3,
        rate_limit_per_org=5,
        redis_url=redis_url,
    )


def post(gateway: Gateway, token: str) -> httpx.Response:
    return httpx.post(f"{gateway.url}/graphql", json={"query": CATALOG}, headers={"Authorization": f"Bearer {token}"})


def test_token_limit_answers_429_with_retry_after(limited):
    admin = limited.new_org()
    assert [post(limited, admin).status_code for _ in range(3)] == [200, 200, 200]
    refused = post(limited, admin)
    assert refused.status_code == 429
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] == retry_after and error["extensions"]["scope"] == "token"
    assert refused.headers["x-request-id"] == error["extensions"]["requestId"]
    assert post(limited, limited.new_org()).status_code == 200  # another organization's token is unaffected


def test_organization_limit_spans_its_tokens(limited, upkeep_sandbox):
    admin = limited.new_org()
    token = data(limited.connect(admin, upkeep_sandbox.url))["createConnection"]["token"]  # request 1 of the org
    answers = [post(limited, admin) for _ in range(2)] + [post(limited, token) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]  # the token's limit (3) is not reached
    assert answers[-1].json()["errors"][0]["extensions"]["scope"] == "organization"


def test_redis_counters_are_shared_by_every_process(tmp_path: Path):
    """Two gateways on one Redis see one count: a client cannot double its rate by switching process."""
    if not _redis_available():
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    settings = {"rate_limit_per_token": 4, "rate_limit_per_org": 0, "redis_url": REDIS_URL}
    first_gw = _start_gateway(tmp_path / "a", db, "sqlite", **settings)
    first = next(first_gw)
    second_gw = _start_gateway(tmp_path / "b", db, "sqlite", **settings)
    second = next(second_gw)
    try:
        admin = first.new_org(name=f"shared-{uuid.uuid4().hex[:6]}")
        statuses = [post(gw, admin).status_code for gw in (first, second, first, second, first)]
        assert statuses == [200, 200, 200, 200, 429]
    finally:
        for gen in (second_gw, first_gw):
            next(gen, None)


def test_limits_off_when_zero(sqlite_gateway, admin_key):
    assert {post(sqlite_gateway, admin_key).status_code for _ in range(20)} == {200}


@pytest.fixture
def capped(tmp_path: Path) -> Iterator[Gateway]:
    yield from _start_gateway(
        tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", "sqlite", upstream_concurrency=2, upstream_read_timeout=20.0
    )


def max_concurrent(requests: list[dict], delay: float) -> int:
    """The most requests the sandbox had in flight at once (each lasted about `delay` seconds)."""
    starts = sorted(r["at"] for r in requests)
    return max(sum(1 for s in starts if start <= s < start + delay * 0.9) for start in starts)


@pytest.mark.slow
def test_parallel_queries_never_exceed_the_connection_cap(capped):
    admin = capped.new_org()
    with ServerThread(create_upkeep_sandbox()) as sandbox:
        token = data(capped.connect(admin, sandbox.url))["createConnection"]["token"]
        query = {"query": "{ workOrders(first: 1) { nodes { remoteId } } }"}
        data(capped.gql(token, query["query"]))  # warm: the connector has logged in
        control = SandboxControl(sandbox.url)
        control.clear_requests()
        delay = 0.5
        control.fault("slow", delay=delay)

        async def fire() -> list[int]:
            async with httpx.AsyncClient(timeout=60) as client:
                headers = {"Authorization": f"Bearer {token}"}
                calls = [client.post(f"{capped.url}/graphql", headers=headers, json=query) for _ in range(12)]
                return [r.status_code for r in await asyncio.gather(*calls)]

        statuses = asyncio.run(fire())
        control.clear_fault()
        seen = [r for r in control.requests() if "work-orders" in r["path"]]
    assert statuses == [200] * 12 and len(seen) >= 12
    assert max_concurrent(seen, delay) == 2  # queued in the gateway, never more than the cap at the system
