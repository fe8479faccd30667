"""Sandbox faults scoped to a path or entity, control routes under a mount, and the conformance hooks.

Everything runs over real HTTP: a small app on the sandbox kit, the fault proxy in
front of a real upstream, a vendor sandbox mounted under a prefix as the gateway
mounts it, and every conformance case with its real connector.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from connectors.base import Connector, ListQuery
from sandboxes.kit import SandboxApp, SandboxControl, ServerThread, fault_proxy
from sandboxes.upkeep.app import create_app as upkeep_app
from schema.errors import PlantgateError
from tests.conformance.case import Running, SystemCase
from tests.conformance.cases import all_cases, case_params
from tests.conformance.test_conformance import list_all, make_connector, readable

CASES = all_cases()
RPC_PARTY = {"id": 1, "method": "model.party.party.search_read", "params": [[], 0, 10]}
RPC_LOCATION = {"id": 1, "method": "model.stock.location.search_read", "params": [[], 0, 10]}


def _error_body(status: int, message: str) -> dict[str, Any]:
    return {"error": message}


async def _echo(request: Request) -> Response:
    """What the app received: the path, the query and the body (to see a replayed body arrive whole)."""
    body = await request.body()
    return JSONResponse({"path": request.url.path, "query": dict(request.query_params), "body": body.decode()})


def _echo_routes() -> list[BaseRoute]:
    return [Route("/{path:path}", _echo, methods=["GET", "POST"])]


@pytest.fixture(scope="module")
def kit() -> Iterator[ServerThread]:
    with ServerThread(SandboxApp(_echo_routes(), error_body=_error_body)) as server:
        yield server


@pytest.fixture
def control(kit: ServerThread) -> Iterator[SandboxControl]:
    control = SandboxControl(kit.url)
    yield control
    control.clear_fault()


def _fault(url: str) -> dict[str, Any]:
    answer = httpx.get(f"{url}/__sandbox/fault")
    assert answer.status_code == 200
    return answer.json()


# --- scoped faults --------------------------------------------------------------------


def test_a_scoped_fault_fails_matching_requests_only_and_counts_only_them(kit, control) -> None:
    control.fault("error", status=503, match=r"^GET /api/vendors(?:[/?]|$)", count=2)
    for _ in range(3):
        assert httpx.get(f"{kit.url}/api/assets").status_code == 200
        assert httpx.get(f"{kit.url}/api/vendorsx").status_code == 200
        assert httpx.post(f"{kit.url}/api/vendors", content=b"{}").status_code == 200
    assert _fault(kit.url)["count"] == 2
    assert httpx.get(f"{kit.url}/api/vendors", params={"limit": 5}).json() == {"error": "Service Unavailable"}
    assert _fault(kit.url)["count"] == 1
    assert httpx.get(f"{kit.url}/api/vendors/7").status_code == 503
    assert _fault(kit.url)["mode"] == "none"
    assert httpx.get(f"{kit.url}/api/vendors").status_code == 200


def test_a_scoped_fault_reads_the_query_decoded(kit, control) -> None:
    control.fault("error", status=500, match=r"\$filter=Supplier eq '17'")
    assert httpx.get(f"{kit.url}/api/A_Supplier", params={"$filter": "Supplier eq '17'"}).status_code == 500
    assert httpx.get(f"{kit.url}/api/A_Supplier", params={"$filter": "Supplier eq '18'"}).status_code == 200


def test_a_scoped_fault_matches_the_body_and_the_app_still_gets_it_whole(kit, control) -> None:
    control.fault("error", status=404, match=r"model\.party\.party\.", count=1)
    spared = httpx.post(f"{kit.url}/plant/rpc/", json=RPC_LOCATION)
    assert spared.status_code == 200
    assert json.loads(spared.json()["body"]) == RPC_LOCATION
    assert _fault(kit.url)["count"] == 1
    assert httpx.post(f"{kit.url}/plant/rpc/", json=RPC_PARTY).status_code == 404
    assert httpx.post(f"{kit.url}/plant/rpc/", json=RPC_PARTY).status_code == 200


def test_a_slow_fault_matched_in_the_body_answers_with_the_body_intact(kit, control) -> None:
    control.fault("slow", delay=0.2, match=r"model\.party\.party\.")
    answer = httpx.post(f"{kit.url}/plant/rpc/", json=RPC_PARTY, timeout=5)
    assert answer.elapsed.total_seconds() >= 0.2
    assert json.loads(answer.json()["body"]) == RPC_PARTY


@pytest.mark.parametrize("match, reason", [("(", "not a valid regular expression"), (7, "must be a string")])
def test_a_match_that_is_no_regex_is_refused_with_the_reason(kit, match, reason) -> None:
    answer = httpx.put(f"{kit.url}/__sandbox/fault", json={"mode": "error", "match": match})
    assert answer.status_code == 400
    assert reason in answer.json()["error"]
    assert _fault(kit.url)["mode"] == "none"


def test_the_fault_proxy_scopes_faults_by_the_forwarded_body() -> None:
    with (
        ServerThread(Starlette(routes=_echo_routes())) as upstream,
        ServerThread(fault_proxy(upstream.url, _error_body)) as proxy,
    ):
        SandboxControl(proxy.url).fault("error", status=404, match=r'"method":\s*"model\.party\.party\.')
        assert httpx.post(f"{proxy.url}/plant/rpc/", json=RPC_PARTY).status_code == 404
        forwarded = httpx.post(f"{proxy.url}/plant/rpc/", json=RPC_LOCATION)
        assert forwarded.status_code == 200
        assert json.loads(forwarded.json()["body"]) == RPC_LOCATION


# --- control routes under a mount -------------------------------------------------------


@pytest.fixture(scope="module")
def mounted() -> Iterator[str]:
    """An UpKeep sandbox mounted under a prefix, as the gateway mounts its sandboxes; its base URL."""
    app = Starlette(routes=[Mount("/sandboxes/upkeep", app=upkeep_app())])
    with ServerThread(app) as server:
        yield f"{server.url}/sandboxes/upkeep"


def test_control_routes_under_a_mount_escape_the_fault_and_its_count(mounted: str) -> None:
    control = SandboxControl(mounted)
    control.fault("down", count=2)
    for _ in range(3):
        assert _fault(mounted)["count"] == 2
        assert httpx.get(f"{mounted}/__sandbox/requests").status_code == 200
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{mounted}/api/v2/assets")
    assert _fault(mounted)["count"] == 1
    control.fault("down")
    control.clear_fault()
    assert httpx.get(f"{mounted}/api/v2/assets").status_code == 401  # answered (no session token)


def test_a_scoped_fault_under_a_mount_matches_the_path_inside_it(mounted: str) -> None:
    control = SandboxControl(mounted)
    control.fault("error", status=503, match=r"^GET /api/v2/vendors(?:[/?]|$)")
    try:
        assert httpx.get(f"{mounted}/api/v2/vendors").status_code == 503
        assert httpx.get(f"{mounted}/api/v2/assets").status_code == 401
    finally:
        control.clear_fault()


# --- conformance hooks, with every system's real connector --------------------------------


@pytest.fixture(scope="module", params=case_params(CASES))
def case_running(request: pytest.FixtureRequest) -> Iterator[tuple[SystemCase, Running]]:
    case: SystemCase = request.param
    with case.start() as running:
        yield case, running
        running.control.clear_fault()


@pytest.fixture
async def connector(case_running) -> AsyncIterator[Connector]:
    made = make_connector(*case_running)
    yield made
    await made.aclose()


@pytest.mark.slow
async def test_a_fault_scoped_to_an_entity_fails_that_entity_only(case_running, connector) -> None:
    _, running = case_running
    entities = readable(connector)
    assert "Vendor" in entities
    await connector.check()  # logged in: only reads are left to hit
    ids = {e: [r.remote_id for r in (await connector.list_page(e, ListQuery(), None, 3)).records] for e in entities}
    try:
        for entity in entities:
            running.control.fault("error", status=404, match=running.entity_match(entity))
            with pytest.raises(PlantgateError):
                await connector.list_page(entity, ListQuery(), None, 10)
            for other in entities:
                if other != entity:
                    page = await connector.list_page(other, ListQuery(), None, 10)
                    assert page.records, f"{other} lists while {entity} fails"
            # A 404 on a fetch by id can mean "no such record"; a 503 cannot.
            running.control.fault("error", status=503, match=running.entity_match(entity))
            with pytest.raises(PlantgateError):
                await connector.fetch_many(entity, ids[entity])
    finally:
        running.control.clear_fault()


async def test_remove_deletes_records_upstream(case_running, connector) -> None:
    """The first record listed can go (the invariants delete one before the cursor), and so can one `create` made."""
    _, running = case_running
    entity = running.removable
    assert entity in readable(connector)
    created = [running.create(entity)] if running.create else []
    before = [r.remote_id for r in await list_all(connector, entity)]
    gone = [before[0], *created]
    assert set(created) <= set(before)
    running.remove(entity, gone)
    after = [r.remote_id for r in await list_all(connector, entity)]
    assert after == [i for i in before if i not in gone]
