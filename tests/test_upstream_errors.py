"""Every upstream failure reaches the client as one of the API's codes (faults injected in a sandbox)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from sandboxes.kit import ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.conftest import UPKEEP_LOGIN, Gateway, _start_gateway
from tests.helpers import data, error_code

QUERY = "{ workOrders(first: 2) { nodes { number } } }"


@pytest.fixture(scope="module")
def fast_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway with short upstream timeouts, so timeouts are tested quickly."""
    tmp = tmp_path_factory.mktemp("gw-fast")
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", upstream_read_timeout=0.5)


@pytest.fixture
def sandbox() -> Iterator[ServerThread]:
    with ServerThread(create_upkeep_sandbox()) as server:
        yield server


@pytest.fixture
def token(fast_gateway: Gateway, sandbox: ServerThread) -> str:
    key = fast_gateway.new_org()
    return data(fast_gateway.connect(key, sandbox.url))["createConnection"]["token"]


def fault(sandbox: ServerThread, **settings) -> None:
    httpx.put(f"{sandbox.url}/__sandbox/fault", json=settings).raise_for_status()


def upstream_calls(sandbox: ServerThread) -> list[dict]:
    return httpx.get(f"{sandbox.url}/__sandbox/requests").json()


@pytest.mark.parametrize(
    "settings, code",
    [
        ({"mode": "down"}, "SYSTEM_UNREACHABLE"),
        ({"mode": "error", "status": 503}, "SYSTEM_UNREACHABLE"),
        ({"mode": "malformed"}, "SYSTEM_UNREACHABLE"),
        ({"mode": "slow", "delay": 3}, "SYSTEM_UNREACHABLE"),
        ({"mode": "unauthorized"}, "SYSTEM_AUTH_FAILED"),
        ({"mode": "error", "status": 400}, "SYSTEM_REJECTED"),
    ],
)
def test_fault_maps_to_code(fast_gateway, token, sandbox, settings, code):
    data(fast_gateway.gql(token, QUERY))  # logged in: the fault hits the read itself
    fault(sandbox, **settings)
    result = fast_gateway.gql(token, QUERY)
    assert error_code(result) == code
    assert UPKEEP_LOGIN["password"] not in str(result)
    assert "Traceback" not in str(result)


def test_rate_limit_carries_retry_after(fast_gateway, token, sandbox):
    fault(sandbox, mode="rate_limit", retry_after=7)
    result = fast_gateway.gql(token, QUERY)
    assert error_code(result) == "RATE_LIMITED"
    assert result["errors"][0]["extensions"]["retryAfter"] == 7


def test_refused_connection_is_unreachable(fast_gateway):
    key = fast_gateway.new_org()
    with ServerThread(create_upkeep_sandbox()) as sandbox:
        token = data(fast_gateway.connect(key, sandbox.url))["createConnection"]["token"]
    started = time.monotonic()
    assert error_code(fast_gateway.gql(token, QUERY)) == "SYSTEM_UNREACHABLE"  # the port is closed now
    assert time.monotonic() - started < 5


def test_one_5xx_is_retried_for_reads(fast_gateway, token, sandbox):
    fault(sandbox, mode="error", status=502, count=1)
    assert data(fast_gateway.gql(token, QUERY))["workOrders"]["nodes"][0]["number"] == "WO-00001"


def test_expired_session_logs_in_again_once(fast_gateway, token, sandbox):
    data(fast_gateway.gql(token, QUERY))  # warm: logged in
    httpx.delete(f"{sandbox.url}/__sandbox/requests")
    fault(sandbox, mode="unauthorized", count=1)
    assert data(fast_gateway.gql(token, QUERY))["workOrders"]["nodes"]
    calls = [(c["method"], c["path"]) for c in upstream_calls(sandbox)]
    assert calls == [("GET", "/api/v2/work-orders"), ("POST", "/api/v2/auth"), ("GET", "/api/v2/work-orders")]


def test_rejected_credentials_are_not_hammered(fast_gateway, token, sandbox):
    fault(sandbox, mode="unauthorized")
    httpx.delete(f"{sandbox.url}/__sandbox/requests")
    assert error_code(fast_gateway.gql(token, QUERY)) == "SYSTEM_AUTH_FAILED"
    assert len(upstream_calls(sandbox)) <= 3  # the call, one fresh login, one retry: no loop
