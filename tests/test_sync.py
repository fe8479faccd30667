"""Sync into the replica, outages and recovery, with the scheduler running for real."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from gateway.store.event_tables import Event
from gateway.store.sync_tables import ReplicaRecord, SyncSchedule
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.conftest import Gateway, _start_gateway
from tests.helpers import ENTITY_RESOURCES, data, page_all, wait_until

FAST = {
    "scheduler": True,
    "sync_tick": 0.05,
    "sync_interval": 30.0,
    "min_sync_interval": 0.1,
    "sync_page_size": 100,
    "history_days": 3650,
    "backoff_base": 0.2,
    "backoff_cap": 1.6,
    "retry_after_cap": 2.0,
    "lease_ttl": 5.0,
    "breaker_probe_interval": 0.5,
    "upstream_read_timeout": 3.0,  # faults here drop connections or answer at once; a loaded CI box needs headroom
    "upstream_retries": 0,
}
STATUS = "query($id: ID!) { connection(id: $id) { status statusReason syncStatus { entity state mode lastError recordsSynced lastSucceededAt } } }"


@pytest.fixture(scope="module")
def sync_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gw-sync")
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", **FAST)


@pytest.fixture
def sandbox() -> Iterator[ServerThread]:
    app = create_upkeep_sandbox()
    app.state.data.snapshot()  # seed now, not inside the first request the gateway times
    with ServerThread(app) as server:
        yield server


class Conn:
    """A connection under test: its ids and a way to read its state."""

    def __init__(self, gateway: Gateway, sandbox: ServerThread) -> None:
        self.gateway, self.sandbox = gateway, sandbox
        self.control = SandboxControl(sandbox.url)
        self.admin = gateway.new_org()
        created = data(gateway.connect(self.admin, sandbox.url))["createConnection"]
        self.id, self.token = created["connection"]["id"], created["token"]

    def status(self) -> dict[str, Any]:
        return data(self.gateway.gql(self.admin, STATUS, {"id": self.id}))["connection"]

    def synced(self) -> bool:
        states = self.status()["syncStatus"]
        return len(states) == len(ENTITY_RESOURCES) and all(s["state"] == "SUCCEEDED" for s in states)

    def trigger(self, full: bool = False) -> None:
        data(
            self.gateway.gql(
                self.admin,
                "mutation($id: ID!, $f: Boolean!) { triggerSync(id: $id, full: $f) { id } }",
                {"id": self.id, "f": full},
            )
        )

    def schedule(self) -> SyncSchedule:
        with self.gateway.services.store.read() as session:
            found = session.get(SyncSchedule, self.id)
        assert found is not None
        return found

    def replica_ids(self, entity_field: str) -> list[str]:
        return sorted(
            n["remoteId"] for n in page_all(self.gateway, self.token, entity_field, "remoteId", source="REPLICA")
        )

    def close(self) -> None:
        self.control.clear_fault()
        data(self.gateway.gql(self.admin, "mutation($id: ID!) { disconnect(id: $id) { id } }", {"id": self.id}))


@pytest.fixture
def conn(sync_gateway: Gateway, sandbox: ServerThread) -> Iterator[Conn]:
    made = Conn(sync_gateway, sandbox)
    yield made
    made.close()


def sandbox_ids(sandbox: ServerThread) -> dict[str, list[str]]:
    dataset = sandbox.app.state.data
    return {field: sorted(r["id"] for r in dataset.records(resource)) for field, resource in ENTITY_RESOURCES.items()}


def test_initial_sync_fills_the_replica_and_replica_reads_match_live(conn):
    wait_until(conn.synced)
    assert {field: conn.replica_ids(field) for field in ENTITY_RESOURCES} == sandbox_ids(conn.sandbox)
    query = "query($s: Source!) { workOrders(first: 30, source: $s) { syncedAt nodes { remoteId number title status statusRaw dueDate asset { name location { name } } assignees { remoteId } } } }"
    live = data(conn.gateway.gql(conn.token, query, {"s": "LIVE"}))["workOrders"]
    replica = data(conn.gateway.gql(conn.token, query, {"s": "REPLICA"}))["workOrders"]
    assert live["syncedAt"] is None and replica["syncedAt"] is not None
    by_id = {n["remoteId"]: n for n in live["nodes"]}
    for node in replica["nodes"]:
        if node["remoteId"] in by_id:
            assert node == by_id[node["remoteId"]]
    states = {s["entity"]: s for s in conn.status()["syncStatus"]}
    assert states["WorkOrder"]["mode"] == "FULL" and states["WorkOrder"]["recordsSynced"] == 620


def test_replica_filters_and_paging(conn):
    wait_until(conn.synced)
    on_hold = page_all(
        conn.gateway,
        conn.token,
        "workOrders",
        "remoteId status",
        filter={"status": ["ON_HOLD"]},
        source="REPLICA",
        first=13,
    )
    expected = sorted(r["id"] for r in conn.sandbox.app.state.data.records("work-orders") if r["status"] == "onHold")
    assert sorted(n["remoteId"] for n in on_hold) == expected and len(on_hold) == len(
        set(n["remoteId"] for n in on_hold)
    )


def test_incremental_sync_picks_up_changes(conn):
    wait_until(conn.synced)
    changed = [r["id"] for r in conn.sandbox.app.state.data.records("work-orders")[10:13]]
    conn.sandbox.app.state.data.touch("work-orders", changed)
    conn.control.clear_requests()
    conn.trigger()
    wait_until(lambda: conn.synced() and any("updatedAtGreaterThan" in r["query"] for r in conn.control.requests()))
    wait_until(conn.synced)
    states = {s["entity"]: s for s in conn.status()["syncStatus"]}
    assert states["WorkOrder"]["mode"] == "INCREMENTAL" and states["WorkOrder"]["recordsSynced"] < 620
    expected = {
        r["id"]: r["updatedAt"] for r in conn.sandbox.app.state.data.records("work-orders") if r["id"] in changed
    }
    with conn.gateway.services.store.read() as session:
        rows = session.exec(
            select(ReplicaRecord).where(ReplicaRecord.connection_id == conn.id, ReplicaRecord.remote_id.in_(changed))
        ).all()
    assert {r.remote_id: r.remote_data["updatedAt"] for r in rows} == expected


def test_full_sync_marks_records_no_longer_found_as_deleted(conn):
    wait_until(conn.synced)
    gone = [r["id"] for r in conn.sandbox.app.state.data.records("assets")[:2]]
    httpx.post(f"{conn.sandbox.url}/__sandbox/delete", json={"resource": "assets", "ids": gone}).raise_for_status()
    before = conn.status()["syncStatus"]
    conn.trigger(full=True)
    wait_until(lambda: conn.synced() and conn.status()["syncStatus"] != before)
    wait_until(lambda: not set(gone) & set(conn.replica_ids("assets")))
    with conn.gateway.services.store.read() as session:
        rows = session.exec(
            select(ReplicaRecord).where(ReplicaRecord.connection_id == conn.id, ReplicaRecord.remote_id.in_(gone))
        ).all()
    assert len(rows) == 2 and all(r.deleted_at is not None for r in rows)
    assert conn.replica_ids("assets") == sandbox_ids(conn.sandbox)["assets"]


def test_outage_mid_sync_backs_off_then_recovers_with_an_exact_replica(sync_gateway, sandbox):
    control = SandboxControl(sandbox.url)
    control.fault("slow", delay=0.05)  # slow pages, so the outage lands mid-sync
    conn = Conn(sync_gateway, sandbox)
    try:
        wait_until(
            lambda: (
                sum(
                    1
                    for r in control.requests()
                    if r["path"].endswith("/work-orders") and r["query"].get("offset", "0") != "0"
                )
                >= 3
            )
        )
        control.fault("down")
        wait_until(lambda: conn.status()["status"] == "UNREACHABLE", timeout=10)
        # Retries back off: each wait is at most min(cap, base * 2**(n-1)) and failures keep counting.
        seen: list[tuple[int, float]] = []

        def record_retry() -> bool:
            plan = conn.schedule()
            if plan.next_run_at and plan.last_run_at and (not seen or seen[-1][0] != plan.failures):
                seen.append((plan.failures, (plan.next_run_at - plan.last_run_at).total_seconds()))
            return len(seen) >= 4

        wait_until(record_retry, timeout=20, every=0.01)
        failures = [f for f, _ in seen]
        assert failures == sorted(failures) and failures[-1] >= 4
        for count, wait in seen:
            assert 0 <= wait <= min(FAST["backoff_cap"], FAST["backoff_base"] * 2 ** (count - 1)) + 0.05
        # Live reads fail fast while the system is known down.
        started = time.monotonic()
        result = sync_gateway.gql(conn.token, "{ workOrders(first: 1) { nodes { id } } }")
        assert result["errors"][0]["extensions"]["code"] == "SYSTEM_UNREACHABLE"
        assert time.monotonic() - started < 0.5

        control.clear_fault()
        wait_until(lambda: conn.status()["status"] == "ACTIVE" and conn.synced(), timeout=20)
        assert {field: conn.replica_ids(field) for field in ENTITY_RESOURCES} == sandbox_ids(sandbox)
        with sync_gateway.services.store.read() as session:
            rows = session.exec(
                select(ReplicaRecord.remote_id).where(
                    ReplicaRecord.connection_id == conn.id, ReplicaRecord.entity == "WorkOrder"
                )
            ).all()
        assert len(rows) == len(set(rows)) == 620
    finally:
        conn.close()


@pytest.mark.slow
def test_rejected_credentials_need_reauth_and_are_not_hammered(conn):
    wait_until(conn.synced)
    conn.control.fault("unauthorized")
    conn.trigger()
    wait_until(lambda: conn.status()["status"] == "REAUTH_REQUIRED")
    time.sleep(0.3)
    conn.control.clear_requests()
    time.sleep(1.0)
    assert conn.control.requests() == []  # nothing scheduled until someone re-authorizes
    assert conn.schedule().next_run_at is None
    result = conn.gateway.gql(conn.token, "{ workOrders(first: 1) { nodes { id } } }")
    assert result["errors"][0]["extensions"]["code"] == "SYSTEM_AUTH_FAILED"
    assert conn.control.requests() == []  # live reads do not hammer either


def test_retry_after_is_honoured_and_capped(conn):
    wait_until(conn.synced)
    conn.control.fault("rate_limit", retry_after=60)
    conn.trigger()
    plan = wait_until(lambda: (p := conn.schedule()).failures >= 1 and p.lease_owner is None and p)
    wait = (plan.next_run_at - plan.last_run_at).total_seconds()
    assert FAST["retry_after_cap"] - 0.1 <= wait <= FAST["retry_after_cap"] + 0.1
    assert conn.status()["status"] == "ACTIVE"  # throttled is not down


def test_sync_events_are_recorded(sync_gateway, sandbox):
    """connection.created and sync.completed are recorded as events (webhooks read them)."""
    conn = Conn(sync_gateway, sandbox)
    try:
        wait_until(conn.synced)

        def types() -> list[str]:
            with sync_gateway.services.store.read() as session:
                events = session.exec(
                    select(Event).where(Event.connection_id == conn.id).order_by(col(Event.created_at))
                )
                return [e.type for e in events]

        # The run records sync.completed when it finishes, just after the last entity's state is committed.
        wait_until(lambda: "sync.completed" in types())
        assert types()[0] == "connection.created"
    finally:
        conn.close()
