"""The request log: every upstream call of a connection, by kind, paged, filtered, per organization, pruned."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import select

from gateway.auth import resolve_caller
from gateway.requestlog.writer import RequestLogWriter
from gateway.store.engine import Store, make_engine, migrate
from gateway.store.log_tables import RequestLogEntry
from sandboxes.kit import ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.conftest import UPKEEP_LOGIN, Gateway, backend_gateway
from tests.helpers import data, error_code, wait_until
from tests.test_sync import FAST

LOGS = """
query($c: ID, $kind: RequestKind, $outcome: RequestOutcome, $status: Int, $request: String, $since: DateTime,
      $until: DateTime, $first: Int, $after: String, $last: Int, $before: String) {
  requestLogs(connectionId: $c, kind: $kind, outcome: $outcome, status: $status, requestId: $request, since: $since,
              until: $until, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { id connectionId at kind method path query status outcome durationMs attempt requestId error
            requestBody responseBody }
  }
}
"""
SETTINGS = (
    "mutation($id: ID!, $i: ConnectionSettingsInput!) { updateConnectionSettings(id: $id, input: $i) { logBodies } }"
)
REAUTH = "mutation($id: ID!, $c: JSON!) { reauthorizeConnection(id: $id, credentials: $c) { id } }"
CANDIDATES = 'query($id: ID!) { customFieldCandidates(id: $id, entity: "WorkOrder") { remotePath } }'
CREATE_WO = 'mutation { createWorkOrder(input: {title: "Check the belt"}) { record { remoteId } } }'
WORK_ORDERS = "{ workOrders(first: 2) { nodes { number } } }"
PASSTHROUGH = "mutation($input: PassthroughInput!) { passthrough(input: $input) { status } }"
FASTER = {**FAST, "request_log_flush_interval": 0.05, "retention_interval": 0.2}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def gw(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway with the scheduler on (syncs, pruning), on each database."""
    yield from backend_gateway(request, tmp_path_factory, "requestlog", **FASTER)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ServerThread]:
    with ServerThread(create_upkeep_sandbox()) as server:
        yield server


def logs(gw: Gateway, admin: str, **filters: Any) -> dict:
    return data(gw.gql(admin, LOGS, filters))["requestLogs"]


def connected(gw: Gateway, admin: str, sandbox: ServerThread) -> tuple[str, str]:
    created = data(gw.connect(admin, sandbox.url))["createConnection"]
    return created["connection"]["id"], created["token"]


def logged(gw: Gateway, admin: str, paths: set[str] | None = None, **filters: Any) -> list[dict]:
    """The entries matching `filters` once one is written for each of `paths` (the log is written in batches)."""

    def found() -> list[dict]:
        nodes = logs(gw, admin, first=200, **filters)["nodes"]
        return nodes if nodes and (paths or set()) <= {e["path"] for e in nodes} else []

    return wait_until(found, what=f"request log {filters} {paths or ''}")


def test_every_kind_of_call_is_logged_with_its_request(gw: Gateway, sandbox: ServerThread) -> None:
    admin = gw.new_org()
    cid, token = connected(gw, admin, sandbox)

    # createConnection's login, before the connection existed
    checked = logged(gw, admin, {"/api/v2/auth", "/api/v2/work-orders"}, kind="CHECK")
    assert {(e["method"], e["path"], e["connectionId"]) for e in checked} == {
        ("POST", "/api/v2/auth", None),
        ("GET", "/api/v2/work-orders", None),
    }

    synced = logged(gw, admin, {"/api/v2/work-orders", "/api/v2/assets"}, c=cid, kind="SYNC")
    assert all(e["requestId"] is None and e["outcome"] == "OK" and e["status"] == 200 for e in synced)

    request_id = f"support-{uuid.uuid4().hex[:8]}"
    headers = {"Authorization": f"Bearer {token}", "X-Request-Id": request_id}
    answer = httpx.post(f"{gw.url}/graphql", json={"query": WORK_ORDERS}, headers=headers, timeout=30)
    data(answer.json())
    read = logged(gw, admin, {"/api/v2/work-orders"}, c=cid, kind="LIVE_READ")
    assert {e["requestId"] for e in read} == {request_id}
    entry = next(e for e in read if e["path"] == "/api/v2/work-orders")
    assert entry["method"] == "GET" and entry["attempt"] == 1 and entry["durationMs"] >= 0
    assert entry["requestBody"] is None and entry["responseBody"] is None  # bodies are off by default
    assert logs(gw, admin, request=request_id)["nodes"] == read  # what a support engineer is handed

    data(gw.gql(token, CREATE_WO))
    written = logged(gw, admin, c=cid, kind="WRITE")
    assert [(e["method"], e["path"], e["status"]) for e in written] == [("POST", "/api/v2/work-orders", 200)]

    data(gw.gql(admin, CANDIDATES, {"id": cid}))
    assert logged(gw, admin, c=cid, kind="DISCOVERY")

    raw = {"method": "GET", "path": "/api/v2/assets", "query": [{"name": "limit", "value": "1"}]}
    assert data(gw.gql(token, PASSTHROUGH, {"input": raw}))["passthrough"]["status"] == 200
    [sent] = logged(gw, admin, c=cid, kind="PASSTHROUGH")
    assert (sent["method"], sent["path"], sent["query"], sent["status"]) == ("GET", "/api/v2/assets", "limit=1", 200)

    data(gw.gql(admin, REAUTH, {"id": cid, "c": UPKEEP_LOGIN}))
    assert logged(gw, admin, {"/api/v2/auth"}, c=cid, kind="CHECK")


def test_refused_calls_are_logged_with_their_outcome(gw: Gateway, sandbox: ServerThread) -> None:
    admin = gw.new_org()
    wrong = {"email": UPKEEP_LOGIN["email"], "password": "not-the-password"}
    assert error_code(gw.connect(admin, sandbox.url, credentials=wrong)) == "SYSTEM_AUTH_FAILED"
    checked = logged(gw, admin, kind="CHECK")
    assert {(e["path"], e["status"], e["outcome"], e["connectionId"]) for e in checked} == {
        ("/api/v2/auth", 400, "REJECTED", None)
    }, checked
    assert logs(gw, admin, outcome="OK")["totalCount"] == 0
    assert logs(gw, admin, status=400)["totalCount"] == len(checked)


def test_pages_and_time_filters(gw: Gateway, sandbox: ServerThread) -> None:
    admin = gw.new_org()
    cid, _ = connected(gw, admin, sandbox)
    wait_until(lambda: logs(gw, admin, c=cid, kind="SYNC")["totalCount"] >= 5, what="a synced connection")
    everything = logs(gw, admin, c=cid, first=200)
    ids = [e["id"] for e in everything["nodes"]]
    times = [e["at"] for e in everything["nodes"]]
    assert times == sorted(times, reverse=True)  # newest first

    seen, after = [], None
    while True:
        page = logs(gw, admin, c=cid, first=2, after=after, until=everything["nodes"][0]["at"])
        seen += [e["id"] for e in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    newest = everything["nodes"][0]
    assert seen == [i for i, e in zip(ids, everything["nodes"], strict=True) if e["at"] < newest["at"]]

    back = logs(gw, admin, c=cid, last=2, before=everything["pageInfo"]["endCursor"])
    assert [e["id"] for e in back["nodes"]] == ids[-3:-1]
    middle = everything["nodes"][len(ids) // 2]["at"]
    assert all(e["at"] >= middle for e in logs(gw, admin, c=cid, since=middle, first=200)["nodes"])
    assert error_code(gw.gql(admin, LOGS, {"since": newest["at"], "until": times[-1]})) == "BAD_USER_INPUT"
    assert error_code(gw.gql(admin, LOGS, {"after": "bm90LWEtY3Vyc29y"})) == "BAD_USER_INPUT"


def test_organizations_see_only_their_own_calls(gw: Gateway, sandbox: ServerThread) -> None:
    admin, stranger = gw.new_org(), gw.new_org()
    cid, _ = connected(gw, admin, sandbox)
    logged(gw, admin, c=cid, kind="SYNC")
    assert logs(gw, stranger)["totalCount"] == 0
    assert error_code(gw.gql(stranger, LOGS, {"c": cid})) == "NOT_FOUND"


def test_bodies_are_kept_redacted_when_the_connection_asks(gw: Gateway, sandbox: ServerThread) -> None:
    admin = gw.new_org()
    cid, token = connected(gw, admin, sandbox)
    assert data(gw.gql(admin, SETTINGS, {"id": cid, "i": {"logBodies": True}}))["updateConnectionSettings"] == {
        "logBodies": True
    }
    since = datetime.now(UTC).isoformat()
    data(gw.gql(token, WORK_ORDERS))  # a rebuilt connector: logs in again, then reads
    read = logged(gw, admin, {"/api/v2/auth", "/api/v2/work-orders"}, c=cid, kind="LIVE_READ", since=since)
    login = next(e for e in read if e["path"] == "/api/v2/auth")
    assert json.loads(login["requestBody"]) == {"email": UPKEEP_LOGIN["email"], "password": "[redacted]"}
    assert json.loads(login["responseBody"])["result"]["sessionToken"] == "[redacted]"
    listing = next(e for e in read if e["path"] == "/api/v2/work-orders")
    assert '"results"' in listing["responseBody"]
    everything = json.dumps(logs(gw, admin, first=200))
    assert UPKEEP_LOGIN["password"] not in everything and token not in everything


def aged(organization_id: str, days: int) -> RequestLogEntry:
    at = datetime.now(UTC) - timedelta(days=days)
    return RequestLogEntry(
        organization_id=organization_id, created_at=at, kind="SYNC", method="GET", path=f"/aged-{days}", outcome="OK"
    )


def test_old_entries_are_pruned_by_the_scheduler(gw: Gateway) -> None:
    admin = gw.new_org()
    owner = resolve_caller(gw.services.store, admin)[0].organization_id
    rows = [aged(owner, days) for days in (1, 13, 15, 40)]
    gw.services.store.run_sync(lambda session: session.add_all(rows))
    wait_until(lambda: logs(gw, admin)["totalCount"] == 2, what="entries past 14 days pruned")
    assert sorted(e["path"] for e in logs(gw, admin)["nodes"]) == ["/aged-1", "/aged-13"]


def entry(organization_id: str, path: str) -> dict[str, Any]:
    """A request log row as the recorder hands it to the writer."""
    return {
        "organization_id": organization_id,
        "created_at": datetime.now(UTC),
        "kind": "SYNC",
        "method": "GET",
        "path": path,
        "outcome": "OK",
        "duration_ms": 1,
        "attempt": 1,
    }


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_writer_keeps_a_bounded_buffer_and_flushes_on_close(backend, tmp_path, request) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    migrate(engine)
    store = Store(engine)
    owner = uuid.uuid4().hex
    writer = RequestLogWriter(store, capacity=5, batch=100, interval=60)
    for n in range(8):
        writer.add(entry(owner, f"/{n}"))
    writer.close()  # the thread waits a minute between writes: only close() can have written them
    with store.read() as session:
        paths = sorted(session.exec(select(RequestLogEntry.path).where(RequestLogEntry.organization_id == owner)))
    assert paths == ["/3", "/4", "/5", "/6", "/7"]  # the oldest three dropped, the rest kept
    store.close()


def test_entries_wait_in_memory_while_the_database_is_down(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    migrate(engine)
    store = Store(engine)
    store.engine = make_engine("postgresql://postgres@127.0.0.1:1/nowhere")  # nothing listens there
    writer = RequestLogWriter(store, interval=60)  # only these flush() calls write
    for n in range(5):
        writer.add(entry("o", f"/{n}"))
    assert writer.flush() == 0
    store.engine = engine  # the database is back
    assert writer.flush() == 5
    with store.read() as session:
        assert sorted(session.exec(select(RequestLogEntry.path))) == ["/0", "/1", "/2", "/3", "/4"]
    writer.close()
    store.close()
