"""Shared fixtures: real servers on local ports, real SQLite and PostgreSQL.

Gateway tests run once per database backend. PostgreSQL cases need a server
(default `postgresql://postgres@127.0.0.1:5432/postgres`, or
`PLANTGATE_TEST_POSTGRES_URL`); without one they are skipped, and said so, unless
`PLANTGATE_REQUIRE_POSTGRES=1` (as in CI), where its absence fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis
from cryptography.fernet import Fernet

from gateway.app import create_app
from gateway.organizations import create_organization
from gateway.services import Services
from gateway.settings import Settings
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.processes import GatewayProcess

POSTGRES_ADMIN_URL = os.environ.get("PLANTGATE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = os.environ.get("PLANTGATE_REQUIRE_POSTGRES") == "1"
REDIS_URL = os.environ.get("PLANTGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
UPKEEP_LOGIN = {"email": "demo@upkeep.example", "password": "upkeep-demo"}
# The example manifests are systems of every test gateway (read at the registry's first use), so the
# conformance kit runs against the manifest-defined Limble as against its Python twin.
EXAMPLE_MANIFESTS = Path(__file__).resolve().parents[1] / "docs" / "examples" / "connectors"
os.environ.setdefault("PLANTGATE_CONNECTOR_DIR", str(EXAMPLE_MANIFESTS))

pytest_plugins = ["tests.replica_fixtures"]  # the replica tests' gateway, sandboxes and connection handle


def _postgres_unavailable() -> str | None:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL} ({type(exc).__name__})"


_PG_PROBLEM = _postgres_unavailable()


def pytest_report_header(config: pytest.Config) -> str:
    if _PG_PROBLEM:
        return f"PostgreSQL cases: SKIPPED - {_PG_PROBLEM}"
    return f"PostgreSQL cases: running against {POSTGRES_ADMIN_URL}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    if _PG_PROBLEM:
        if REQUIRE_POSTGRES:
            pytest.fail(_PG_PROBLEM)
        pytest.skip(_PG_PROBLEM)
    with fresh_postgres_database() as url:
        yield url


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new empty database on the test server (ask for `postgres_url` first: it skips without one)."""
    name = f"plantgate_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def upkeep_sandbox() -> Iterator[ServerThread]:
    """The UpKeep sandbox on a local port, shared by the session (read-only use)."""
    with ServerThread(create_upkeep_sandbox()) as server:
        yield server


@pytest.fixture(scope="session")
def tryton_scratch() -> Iterator[Any]:
    """One trytond on its own copy of the seeded database, for the Tryton modules that write.

    Those tests count relative to what they find, so they share it; the read-mapping
    tests keep their own untouched copy.
    """
    from tests.tryton_server import serve_copy

    server = serve_copy()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tryton_truth(tryton_scratch: Any) -> Iterator[Any]:
    """An admin RPC client of `tryton_scratch`: what Tryton itself kept, to check writes against."""
    rpc = tryton_scratch.rpc()
    yield rpc
    rpc.close()


@pytest.fixture(scope="module")
def tryton() -> Iterator[Any]:
    """A trytond on a fresh copy of the seeded database, for one module (its reads see only the seed)."""
    from tests.tryton_server import serve_copy

    server = serve_copy()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def truth(tryton: Any) -> Iterator[Any]:
    """The module's server's own answers, read over RPC as the admin."""
    rpc = tryton.rpc()
    yield rpc
    rpc.close()


def make_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    """Settings from the environment (e.g. PLANTGATE_UI_ASSETS), pinned where tests need it."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "secret_key": Fernet.generate_key().decode(),
        "upstream_connect_timeout": 2.0,
        "upstream_read_timeout": 3.0,
        "upstream_retries": 1,
        "scheduler": False,  # sync tests start their own gateways with the scheduler on
        # Sandboxes and webhook receivers listen on plain-http loopback, which production refuses.
        "allowed_hosts": ("127.0.0.1",),
        "allow_insecure_http": True,
        "rate_limit_per_token": 0,  # tests of the limits turn them on
        "rate_limit_per_org": 0,
    }
    values.update(overrides)
    return Settings.from_env(**values)


@dataclass
class Gateway:
    """A running gateway and what tests need to talk to it."""

    url: str
    services: Services
    backend: str

    def gql(self, token: str | None, query: str, variables: dict | None = None, **kw: Any) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
            timeout=30,
            **kw,
        )
        return response.json()

    def new_org(self, credits: int = 100, name: str | None = None) -> str:
        """A fresh organization (isolates tests sharing a gateway); returns its admin key."""
        created = create_organization(self.services.store, name or f"org-{uuid.uuid4().hex[:8]}", credits)
        return created.admin_key

    def connect(self, admin_key: str, instance_url: str, name: str = "Plant", **extra: Any) -> dict:
        data = self.gql(
            admin_key,
            CREATE_CONNECTION,
            {
                "input": {
                    "system": "upkeep",
                    "name": name,
                    "instanceUrl": instance_url,
                    "credentials": extra.pop("credentials", UPKEEP_LOGIN),
                    **extra,
                }
            },
        )
        return data


CREATE_CONNECTION = """
mutation($input: CreateConnectionInput!) {
  createConnection(input: $input) {
    token
    connection { id name status credits hosting metadata system { key tier } }
  }
}
"""


def _start_gateway(tmp: Path, database_url: str, backend: str, **overrides: Any) -> Iterator[Gateway]:
    settings = make_settings(tmp, database_url, **overrides)
    services = Services.start(settings)
    with ServerThread(create_app(settings, services), lifespan="on") as server:
        yield Gateway(server.url, services, backend)
    services.requests.close()  # its last entries, before the database goes
    services.store.close()


def backend_gateway(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, name: str, **overrides: Any
) -> Iterator[Gateway]:
    """A test module's own gateway on the backend its fixture is parametrized with ("sqlite" or "postgres").

    Each gets a database of its own: its scheduler must not meet rows that another gateway
    encrypted with another key (connections to sync, webhooks to deliver).
    """
    backend = request.param
    tmp = tmp_path_factory.mktemp(f"gw-{name}-{backend}")
    if backend == "sqlite":
        yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", backend, **overrides)
        return
    request.getfixturevalue("postgres_url")  # skips (or fails in CI) without a server
    with fresh_postgres_database() as url:
        yield from _start_gateway(tmp, url, backend, **overrides)


@pytest.fixture(scope="session")
def sqlite_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gw-sqlite")
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'plantgate.db'}", "sqlite")


@pytest.fixture(scope="session")
def postgres_gateway(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> Iterator[Gateway]:
    yield from _start_gateway(tmp_path_factory.mktemp("gw-pg"), postgres_url, "postgresql")


@pytest.fixture(params=["sqlite", "postgres"])
def gateway(request: pytest.FixtureRequest) -> Gateway:
    """The gateway on each database backend."""
    return request.getfixturevalue(f"{request.param}_gateway")


@pytest.fixture
def admin_key(sqlite_gateway: Gateway) -> str:
    return sqlite_gateway.new_org()


@pytest.fixture
def connection_token(sqlite_gateway: Gateway, admin_key: str, upkeep_sandbox: ServerThread) -> str:
    """A token of a fresh UpKeep connection on the SQLite gateway."""
    data = sqlite_gateway.connect(admin_key, upkeep_sandbox.url)
    return data["data"]["createConnection"]["token"]


# -- gateway processes (multi-process tests) ---------------------------------------


@pytest.fixture
def secret_key() -> str:
    """One key for every process of a test: each must decrypt what another stored."""
    return Fernet.generate_key().decode()


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    """A database of the test's own: its gateways sync every due connection they find."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """Redis for cross-process events; skipped without it, unless CI requires the services."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"Redis not reachable at {REDIS_URL} ({type(exc).__name__})"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    return REDIS_URL


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Callable[[str, dict[str, str]], GatewayProcess]]:
    """Spawns gateway processes (`tests.processes`); every one is stopped (or killed) at teardown."""
    started: list[GatewayProcess] = []

    def start(name: str, env: dict[str, str]) -> GatewayProcess:
        process = GatewayProcess(name, env, tmp_path).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def control(sandbox: ServerThread) -> SandboxControl:
    """The control routes (request log, touch, delete) of the test module's own `sandbox` fixture."""
    return SandboxControl(sandbox.url)
