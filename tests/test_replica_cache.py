"""Replica reads served from memory: a repeated read is answered again only while nothing changed.

A gateway keeps replica pages, and whole answers of queries that read only
replica lists, and serves them again while the entity's replica version (bumped
in the transaction of every sync page, deletion mark and write into the
replica) and window have not moved. Each test runs a query whose whole answer
is kept and one that reads the connection too (only its page is kept), first
shows the read is really kept (a change made behind the gateway's back, without
a bump, is not seen), then that a sync page or a write, also one made by another
gateway process on the same PostgreSQL database, makes the very next read fresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select, text

from gateway.store.engine import make_engine
from gateway.store.sync_tables import ReplicaRecord
from sandboxes.kit import ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.conftest import CREATE_CONNECTION, UPKEEP_LOGIN, Gateway, _start_gateway
from tests.helpers import data, wait_until
from tests.processes import GatewayProcess, base_env, create_org
from tests.test_processes import small, synced
from tests.test_sync import FAST, Conn

LIST = "workOrders(first: 20, source: REPLICA) { nodes { remoteId title updatedAt } }"
QUERIES = {"answer kept": f"{{ {LIST} }}", "page kept": f"{{ connection {{ id }} {LIST} }}"}
UPDATE = "mutation($id: ID!, $t: String!) { updateWorkOrder(id: $id, input: {title: $t}) { record { title } } }"


@pytest.fixture(scope="module")
def cache_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gw-cache")
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", **FAST)


@pytest.fixture
def conn(cache_gateway: Gateway) -> Iterator[Conn]:
    app = create_upkeep_sandbox()
    app.state.data.snapshot()
    with ServerThread(app) as sandbox:
        made = Conn(cache_gateway, sandbox)
        yield made
        made.close()


@pytest.fixture(params=list(QUERIES))
def page(request: pytest.FixtureRequest) -> str:
    return QUERIES[request.param]


@pytest.fixture
def small_sandbox() -> Iterator[ServerThread]:
    """An UpKeep sandbox of its own with a few pages of work orders (the processes sync it in seconds)."""
    app = create_upkeep_sandbox()
    for resource, keep in small().items():
        app.state.data.remove(resource, [r["id"] for r in app.state.data.records(resource)[keep:]])
    with ServerThread(app) as server:
        yield server


def nodes(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return data(answer)["workOrders"]["nodes"]


def hide_behind_the_gateways_back(engine: Engine, connection_id: str, remote_id: str) -> None:
    """Mark a replica record deleted without bumping the version: only a re-read page would leave it out."""
    with engine.begin() as db:
        db.execute(
            text("UPDATE replica_record SET deleted_at = synced_at WHERE connection_id = :c AND remote_id = :r"),
            {"c": connection_id, "r": remote_id},
        )


def stored(engine: Engine, connection_id: str, remote_ids: list[str]) -> dict[str, tuple[Any, Any]]:
    """What the replica holds for these records (updated, deleted), read beside the gateway."""
    table = ReplicaRecord.__table__  # type: ignore[attr-defined]
    query = select(table.c.remote_id, table.c.remote_updated_at, table.c.deleted_at).where(
        table.c.connection_id == connection_id, table.c.remote_id.in_(remote_ids)
    )
    with engine.connect() as db:
        return {row[0]: (row[1], row[2]) for row in db.execute(query)}


def test_a_sync_page_makes_the_next_replica_read_fresh(conn, page):
    wait_until(conn.synced)
    first = nodes(conn.gateway.gql(conn.token, page))
    assert len(first) == 20 and nodes(conn.gateway.gql(conn.token, page)) == first
    hidden = first[0]["remoteId"]
    hide_behind_the_gateways_back(conn.gateway.services.store.engine, conn.id, hidden)
    assert nodes(conn.gateway.gql(conn.token, page)) == first  # the kept page, not a new read

    touched = [n["remoteId"] for n in first[5:8]]
    engine = conn.gateway.services.store.engine
    before = stored(engine, conn.id, touched)
    conn.sandbox.app.state.data.touch("work-orders", touched)
    conn.trigger()
    wait_until(lambda: all(stored(engine, conn.id, touched)[i][0] != before[i][0] for i in touched))  # committed
    fresh = {n["remoteId"]: n for n in nodes(conn.gateway.gql(conn.token, page))}
    assert hidden not in fresh  # read again from the database
    stamps = {r["id"]: r["updatedAt"] for r in conn.sandbox.app.state.data.records("work-orders") if r["id"] in touched}
    for remote_id in touched:
        assert fresh[remote_id]["updatedAt"] != next(n for n in first if n["remoteId"] == remote_id)["updatedAt"]
        assert fresh[remote_id]["updatedAt"].startswith(stamps[remote_id][:19])


def test_a_write_makes_the_next_replica_read_fresh(conn, page):
    wait_until(conn.synced)
    first = nodes(conn.gateway.gql(conn.token, page))
    hide_behind_the_gateways_back(conn.gateway.services.store.engine, conn.id, first[0]["remoteId"])
    assert nodes(conn.gateway.gql(conn.token, page)) == first

    target = first[3]["remoteId"]
    data(conn.gateway.gql(conn.token, UPDATE, {"id": target, "t": "Retitled through the gateway"}))
    fresh = {n["remoteId"]: n for n in nodes(conn.gateway.gql(conn.token, page))}
    assert fresh[target]["title"] == "Retitled through the gateway"
    assert first[0]["remoteId"] not in fresh


def test_a_delete_makes_the_next_replica_read_fresh(conn, page):
    wait_until(conn.synced)
    first = nodes(conn.gateway.gql(conn.token, page))
    assert nodes(conn.gateway.gql(conn.token, page)) == first
    gone = first[2]["remoteId"]
    deleted = "mutation($id: ID!) { deleteWorkOrder(id: $id) { remoteId } }"
    data(conn.gateway.gql(conn.token, deleted, {"id": gone}))
    assert gone not in {n["remoteId"] for n in nodes(conn.gateway.gql(conn.token, page))}


def test_a_full_sync_that_marks_records_deleted_makes_the_next_read_fresh(conn, page):
    """Reconciliation writes no record it finds unchanged: the deletion marks alone must move the version."""
    wait_until(conn.synced)
    first = nodes(conn.gateway.gql(conn.token, page))
    assert nodes(conn.gateway.gql(conn.token, page)) == first
    gone = [n["remoteId"] for n in first[1:3]]
    httpx.post(f"{conn.sandbox.url}/__sandbox/delete", json={"resource": "work-orders", "ids": gone}).raise_for_status()
    conn.trigger(full=True)
    engine = conn.gateway.services.store.engine
    wait_until(lambda: all(row[1] is not None for row in stored(engine, conn.id, gone).values()))  # committed
    fresh = [n["remoteId"] for n in nodes(conn.gateway.gql(conn.token, page))]
    assert not set(gone) & set(fresh) and fresh[:2] == [first[0]["remoteId"], first[3]["remoteId"]]


def test_a_sync_that_changed_nothing_still_moves_synced_at(conn):
    """The window is part of what a kept answer stands on, though no record changed."""
    wait_until(conn.synced)
    query = "{ workOrders(first: 5, source: REPLICA) { syncedAt nodes { remoteId } } }"
    first = data(conn.gateway.gql(conn.token, query))["workOrders"]
    assert data(conn.gateway.gql(conn.token, query))["workOrders"] == first
    before = conn.status()["syncStatus"]
    conn.trigger()
    wait_until(lambda: conn.synced() and conn.status()["syncStatus"] != before)
    again = data(conn.gateway.gql(conn.token, query))["workOrders"]
    assert again["nodes"] == first["nodes"] and again["syncedAt"] > first["syncedAt"]


async def test_a_change_made_by_another_process_is_seen_by_the_next_read(
    tmp_path, pg_url, secret_key, small_sandbox, launch, page
):
    """Two processes on one PostgreSQL database: one serves reads, the other syncs and writes."""
    env = base_env(PLANTGATE_DATABASE_URL=pg_url, PLANTGATE_SECRET_KEY=secret_key, PLANTGATE_DATA_DIR=str(tmp_path))
    admin = await asyncio.to_thread(create_org, env, "cache", 10)
    reader: GatewayProcess = launch("reader", {**env, "PLANTGATE_SCHEDULER": "0"})  # never syncs
    worker: GatewayProcess = launch("worker", env)
    sandbox = small_sandbox
    await asyncio.to_thread(reader.wait_healthy)
    await asyncio.to_thread(worker.wait_healthy)
    created = data(
        await asyncio.to_thread(
            reader.gql,
            admin,
            CREATE_CONNECTION,
            {"input": {"system": "upkeep", "name": "Plant", "instanceUrl": sandbox.url, "credentials": UPKEEP_LOGIN}},
        )
    )["createConnection"]
    connection_id, token = created["connection"]["id"], created["token"]
    await asyncio.to_thread(wait_until, lambda: synced(reader, admin, connection_id), 20, 0.2, "sync by the worker")

    def read() -> list[dict[str, Any]]:
        return nodes(reader.gql(token, page))

    first = await asyncio.to_thread(read)
    engine = make_engine(pg_url)
    try:
        await asyncio.to_thread(hide_behind_the_gateways_back, engine, connection_id, first[0]["remoteId"])
        assert await asyncio.to_thread(read) == first  # kept in the reader's memory

        target = first[4]["remoteId"]
        await asyncio.to_thread(lambda: data(worker.gql(token, UPDATE, {"id": target, "t": "Retitled elsewhere"})))
        fresh = {n["remoteId"]: n for n in await asyncio.to_thread(read)}  # at once: no waiting, no retry
        assert fresh[target]["title"] == "Retitled elsewhere"
        assert first[0]["remoteId"] not in fresh

        touched = [n["remoteId"] for n in first[6:9]]
        before = stored(engine, connection_id, touched)
        sandbox.app.state.data.touch("work-orders", touched)
        trigger = "mutation($id: ID!) { triggerSync(id: $id, full: false) { id } }"
        await asyncio.to_thread(lambda: data(worker.gql(admin, trigger, {"id": connection_id})))

        def committed() -> bool:
            return all(stored(engine, connection_id, touched)[i][0] != before[i][0] for i in touched)

        await asyncio.to_thread(wait_until, committed, 20, 0.2, "the worker's sync page committed")
        now = {n["remoteId"]: n["updatedAt"] for n in await asyncio.to_thread(read)}  # the next read: fresh
        assert all(now[i] != fresh[i]["updatedAt"] for i in touched)
    finally:
        engine.dispose()
