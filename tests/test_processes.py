"""Several real gateway processes on one database: crashes, leases, shared work, cross-process events.

Gateways run as `plantgate serve` subprocesses (see `tests/processes.py`); the
UpKeep sandboxes run in this process, so their request logs show exactly which
pages each sync fetched and when. PostgreSQL cases get a database of their own
(every process syncs every due connection in its database) and need Redis.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import websockets
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from starlette.applications import Starlette
from starlette.routing import Mount

from connectors.rest import OVERLAP
from connectors.upkeep.connector import ENTRY, UpKeepConnector
from gateway.store.engine import make_engine
from gateway.store.sync_tables import ReplicaRecord, SyncSchedule, SyncState
from sandboxes.kit import Fault, ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.conftest import CREATE_CONNECTION, UPKEEP_LOGIN
from tests.helpers import WS_PROTOCOL, data
from tests.processes import GatewayProcess, base_env, create_org, wait_until

pytestmark = pytest.mark.processes

RESOURCE = {s.mapping.entity: s.path.strip("/") for s in UpKeepConnector.streams}
SYNC_ORDER = [RESOURCE[name] for name, cap in ENTRY.capabilities.items() if cap.read]  # the runner's order
STATUS = "query($id: ID!) { connection(id: $id) { status syncStatus { entity state recordsSynced } } }"
TRIGGER = "mutation($id: ID!, $full: Boolean!) { triggerSync(id: $id, full: $full) { id } }"
RESOURCES = "|".join(map(re.escape, SYNC_ORDER))
LIST_PATH = re.compile(rf"^(?:/m(?P<mount>\d+))?/api/v2/(?P<resource>{RESOURCES})$")
SUBSCRIBE = "subscription { connectionStatusChanged { connectionId status previousStatus } }"


@dataclass
class Sandbox:
    """An UpKeep sandbox app, served alone or under mounts `/m<i>` (one per connection, told apart by path)."""

    app: Any
    server: ServerThread

    def url(self, mount: int | None = None) -> str:
        return self.server.url if mount is None else f"{self.server.url}/m{mount}"

    def fault(self, mode: str, **settings: Any) -> None:
        """As `SandboxControl.fault`, for the app under every mount at once."""
        self.app.state.sandbox.set_fault(Fault(mode=mode, **settings))

    def calls(self, page: int, since: float = 0.0, mount: int | None = None) -> list[tuple[str, int, float]]:
        """The sync's list calls (resource, offset, at) in arrival order; the connection check uses limit 1."""
        return self.calls_by_mount(page, since).get(mount, [])

    def calls_by_mount(self, page: int, since: float = 0.0) -> dict[int | None, list[tuple[str, int, float]]]:
        """`calls` of every mount in one pass over the log (it shares the GIL with the server).

        A page after the first asks `OVERLAP` rows before its cursor too (so a deletion there skips
        nothing): its offset here is the cursor it resumes at, `offset + limit - page`."""
        found: dict[int | None, list[tuple[str, int, float]]] = {}
        for r in self.app.state.sandbox.requests:
            path = LIST_PATH.match(r.path)
            limit = int(r.query.get("limit", "0"))
            if path and r.method == "GET" and limit in (page, page + OVERLAP) and r.at >= since:
                mount = None if path["mount"] is None else int(path["mount"])
                position = int(r.query.get("offset", "0")) + limit - page
                found.setdefault(mount, []).append((path["resource"], position, r.at))
        return found

    def ids(self) -> dict[str, list[str]]:
        return {resource: sorted(r["id"] for r in self.app.state.data.records(resource)) for resource in SYNC_ORDER}


@pytest.fixture
def sandboxes() -> Iterator[Callable[..., Sandbox]]:
    """Starts UpKeep sandboxes, optionally trimmed (`sizes`: resource -> records kept) and mounted `mounts` times."""
    with ExitStack() as stack:

        def start(sizes: dict[str, int] | None = None, mounts: int = 0) -> Sandbox:
            app = create_upkeep_sandbox()
            dataset = app.state.data
            for resource, keep in (sizes or {}).items():
                dataset.remove(resource, [r["id"] for r in dataset.records(resource)[keep:]])
            served = Starlette(routes=[Mount(f"/m{i}", app=app) for i in range(mounts)]) if mounts else app
            return Sandbox(app, stack.enter_context(ServerThread(served)))

        yield start


def offset_of(cursor: str | None) -> int:
    """The position in an UpKeep sync cursor (`offset:last ids seen`)."""
    return int((cursor or "0").partition(":")[0])


def small(work_orders: int = 30, others: int = 5) -> dict[str, int]:
    """Sizes for `sandboxes`: a few pages of work orders, one page of everything else (cheap runs)."""
    return {resource: work_orders if resource == "work-orders" else others for resource in SYNC_ORDER}


# -- reading sandboxes, the API and the database ------------------------------------


def split_runs(calls: list[tuple[str, int, float]], page: int) -> int:
    """Complete sync runs in a call log; fails if two runs of the connection interleaved.

    A run reads every resource in SYNC_ORDER page by page, so after each call the
    next is the same resource's next page, the next resource's first page, or, after
    the last resource, the first page of a new run. Two runs at once break that.
    """
    previous: tuple[str, int] | None = None
    complete = 0
    for resource, offset, at in calls:
        allowed = {(SYNC_ORDER[0], 0)}
        if previous is not None:
            index = SYNC_ORDER.index(previous[0])
            allowed = {(previous[0], previous[1] + page)}
            allowed.add((SYNC_ORDER[index + 1], 0) if index + 1 < len(SYNC_ORDER) else (SYNC_ORDER[0], 0))
        assert (resource, offset) in allowed, f"{resource}@{offset} at {at:.3f} after {previous}: overlapping runs"
        complete += resource == SYNC_ORDER[-1] and offset == 0
        previous = (resource, offset)
    return complete


def connect(gateway: GatewayProcess, admin: str, instance_url: str) -> str:
    created = data(
        gateway.gql(
            admin,
            CREATE_CONNECTION,
            {"input": {"system": "upkeep", "name": "Plant", "instanceUrl": instance_url, "credentials": UPKEEP_LOGIN}},
        )
    )
    return created["createConnection"]["connection"]["id"]


def synced(gateway: GatewayProcess, admin: str, connection_id: str) -> bool:
    states = data(gateway.gql(admin, STATUS, {"id": connection_id}))["connection"]["syncStatus"]
    return len(states) == len(SYNC_ORDER) and all(s["state"] == "SUCCEEDED" for s in states)


def epoch(value: datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def pid_of(owner: str) -> int:
    return int(owner.rsplit(":", 2)[1])  # "<host>:<pid>:<random>"


def leases(engine: Engine) -> dict[str, SyncSchedule]:
    with Session(engine) as session:
        held = select(SyncSchedule).where(col(SyncSchedule.lease_owner).is_not(None))
        return {row.connection_id: row for row in session.exec(held)}


def sync_states(engine: Engine, connection_id: str) -> dict[str, SyncState]:
    with Session(engine) as session:
        return {s.entity: s for s in session.exec(select(SyncState).where(SyncState.connection_id == connection_id))}


def replica_ids(engine: Engine, connection_id: str) -> dict[str, list[str]]:
    """Live replica ids per resource (a list, so a duplicate would show)."""
    with Session(engine) as session:
        rows = session.exec(
            select(ReplicaRecord.entity, ReplicaRecord.remote_id).where(
                ReplicaRecord.connection_id == connection_id, col(ReplicaRecord.deleted_at).is_(None)
            )
        ).all()
    found: dict[str, list[str]] = {resource: [] for resource in SYNC_ORDER}
    for entity, remote_id in rows:
        found[RESOURCE[entity]].append(remote_id)
    return {resource: sorted(ids) for resource, ids in found.items()}


class LeaseWatch:
    """Polls the schedule in a thread, remembering which process held which connection's lease."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.held: dict[int, set[str]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            for connection_id, row in leases(self.engine).items():
                self.held.setdefault(pid_of(row.lease_owner or ""), set()).add(connection_id)

    def __enter__(self) -> LeaseWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# -- tests ----------------------------------------------------------------------


def test_sigkill_mid_sync_resumes_from_the_last_committed_page(tmp_path, secret_key, sandboxes, launch):
    """A crash loses no committed page and repeats none: the next process continues from the cursor."""
    page = 20
    env = base_env(
        PLANTGATE_DATABASE_URL=f"sqlite:///{tmp_path / 'gateway.db'}",
        PLANTGATE_SECRET_KEY=secret_key,
        PLANTGATE_DATA_DIR=str(tmp_path),
        PLANTGATE_SYNC_PAGE_SIZE=str(page),
    )
    engine = make_engine(env["PLANTGATE_DATABASE_URL"])
    admin = create_org(env, "crash", 10)
    first = launch("first", env)
    sandbox = sandboxes({resource: 40 for resource in SYNC_ORDER[1:]})  # all 620 work orders, fewer others
    sandbox.fault("slow", delay=0.05)  # a few seconds of work orders to kill the process in
    first.wait_healthy()
    connection_id = connect(first, admin, sandbox.url())

    def work_orders(since: float = 0.0) -> list[tuple[int, float]]:
        return [(offset, at) for resource, offset, at in sandbox.calls(page, since) if resource == "work-orders"]

    wait_until(lambda: sum(1 for o, _ in work_orders() if o > 0) >= 5, timeout=20, what="mid work orders")
    first.kill()
    fetched = [o for o, _ in work_orders()]
    state = sync_states(engine, connection_id)["WorkOrder"]
    lease = leases(engine)[connection_id]
    assert state.state == "RUNNING" and state.cursor is not None, state
    cursor = offset_of(state.cursor)
    # The cursor is a page boundary the dead process had fetched up to; the replica holds exactly those pages.
    assert cursor > 0 and cursor % page == 0, cursor
    assert cursor - page in fetched and cursor <= max(fetched) + page, (cursor, fetched)
    assert len(replica_ids(engine, connection_id)["work-orders"]) == cursor
    assert pid_of(lease.lease_owner or "") == first.pid

    restarted_at = time.time() + 0.5  # later calls are the new process's (it takes longer than that to boot)
    second = launch("second", env).wait_healthy()
    wait_until(lambda: synced(second, admin, connection_id), timeout=30, every=0.2, what="sync done after restart")
    after = work_orders(restarted_at)
    total = sandbox.app.state.data.count("work-orders")
    # Resumed at the cursor once the dead process's lease had expired, and no page was read twice.
    assert [o for o, _ in after] == list(range(cursor, total + 1, page)), (cursor, after)
    assert after[0][1] >= epoch(lease.lease_expires_at) - 0.1
    assert replica_ids(engine, connection_id) == sandbox.ids()
    states = data(second.gql(admin, STATUS, {"id": connection_id}))["connection"]["syncStatus"]
    assert {s["entity"]: s["recordsSynced"] for s in states}["WorkOrder"] == total
    engine.dispose()


def test_two_processes_share_fifty_connections_and_never_run_one_twice(
    tmp_path, pg_url, redis_url, secret_key, sandboxes, launch
):
    """Leases split the work between processes, and one connection's syncs never overlap."""
    page, count = 20, 50
    env = base_env(
        PLANTGATE_DATABASE_URL=pg_url,
        PLANTGATE_REDIS_URL=redis_url,
        PLANTGATE_SECRET_KEY=secret_key,
        PLANTGATE_DATA_DIR=str(tmp_path),
        PLANTGATE_SYNC_PAGE_SIZE=str(page),
        PLANTGATE_LEASE_TTL="10",  # takeover is not under test here: none of a live process on a busy machine
    )  # the 30 s sync interval leaves only the runs the test asks for: initial, and two triggered
    engine = make_engine(pg_url)
    admin = create_org(env, "fifty", count)
    gateways = [launch("a", env), launch("b", env)]
    sandbox = sandboxes(small(), mounts=count)  # connection i reads /m<i>: its calls alone under that path
    sandbox.fault("slow", delay=0.02)
    for gateway in gateways:
        gateway.wait_healthy()

    def runs() -> list[int]:
        by_mount = sandbox.calls_by_mount(page)
        return [split_runs(by_mount.get(i, []), page) for i in range(count)]

    def trigger_during(run: int, full: bool) -> None:
        """Trigger each connection once its `run`-th sync has started: it must queue the next, not overlap it."""
        pending = set(range(count))

        def step() -> bool:
            by_mount = sandbox.calls_by_mount(page)
            for i in sorted(pending):
                if sum(1 for call in by_mount.get(i, []) if call[:2] == (SYNC_ORDER[0], 0)) >= run:
                    pending.discard(i)
                    data(gateways[(i + run) % 2].gql(admin, TRIGGER, {"id": ids[i], "full": full}))
            return not pending

        wait_until(step, timeout=45, every=0.1, what=f"sync run {run} of every connection")

    with LeaseWatch(engine) as watch, ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda i: connect(gateways[i % 2], admin, sandbox.url(i)), range(count)))
        trigger_during(1, full=True)  # both processes race to claim each queued run
        trigger_during(2, full=False)
        wait_until(lambda: min(runs()) >= 3, timeout=45, every=0.2, what="three runs per connection")

    for gateway in gateways:
        assert gateway.proc is not None and gateway.proc.poll() is None, gateway.log_tail()
        log = gateway.log_path.read_text(errors="replace")
        assert "Traceback" not in log and "lost the sync lease" not in log, gateway.log_tail()
    for gateway in gateways:  # work was shared
        assert len(watch.held.get(gateway.pid, set())) >= 10, {pid: len(held) for pid, held in watch.held.items()}
    with Session(engine) as session:
        counts = session.exec(
            select(ReplicaRecord.connection_id, ReplicaRecord.entity, func.count()).group_by(
                ReplicaRecord.connection_id, ReplicaRecord.entity
            )
        ).all()
    assert {(c, RESOURCE[e]): n for c, e, n in counts} == {(c, r): n for c in ids for r, n in small().items()}
    engine.dispose()


async def test_a_subscriber_on_one_process_sees_a_status_change_detected_by_another(
    tmp_path, pg_url, redis_url, secret_key, sandboxes, launch
):
    """Behind a load balancer the subscriber and the sync are rarely on the same process."""
    env = base_env(
        PLANTGATE_DATABASE_URL=pg_url,
        PLANTGATE_REDIS_URL=redis_url,
        PLANTGATE_SECRET_KEY=secret_key,
        PLANTGATE_DATA_DIR=str(tmp_path),
    )
    admin = await asyncio.to_thread(create_org, env, "events", 10)
    quiet = launch("quiet", {**env, "PLANTGATE_SCHEDULER": "0"})  # serves the subscriber; never syncs
    worker = launch("worker", env)
    sandbox = sandboxes(small())
    await asyncio.to_thread(quiet.wait_healthy)
    await asyncio.to_thread(worker.wait_healthy)
    connection_id = await asyncio.to_thread(connect, quiet, admin, sandbox.url())
    await asyncio.to_thread(wait_until, lambda: synced(quiet, admin, connection_id), 20, 0.2, "sync by the worker")

    ws = await websockets.connect(quiet.url.replace("http", "ws") + "/graphql", subprotocols=[WS_PROTOCOL])
    try:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {admin}"}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        await asyncio.sleep(1.0)  # the protocol has no "subscribed" message: let the server start the stream
        sandbox.fault("down")
        await asyncio.to_thread(lambda: data(worker.gql(admin, TRIGGER, {"id": connection_id, "full": False})))
        message = json.loads(await asyncio.wait_for(ws.recv(), 15))
    finally:
        await ws.close()
    assert message["type"] == "next", message
    assert message["payload"]["data"]["connectionStatusChanged"] == {
        "connectionId": connection_id,
        "status": "UNREACHABLE",
        "previousStatus": "ACTIVE",
    }


def test_a_survivor_completes_the_syncs_of_a_killed_process_after_its_leases_expire(
    tmp_path, pg_url, redis_url, secret_key, sandboxes, launch
):
    """A dead process's syncs are not stuck: another takes them over once its leases expire."""
    page, ttl, count = 20, 3.0, 4
    env = base_env(
        PLANTGATE_DATABASE_URL=pg_url,
        PLANTGATE_REDIS_URL=redis_url,
        PLANTGATE_SECRET_KEY=secret_key,
        PLANTGATE_DATA_DIR=str(tmp_path),
        PLANTGATE_SYNC_PAGE_SIZE=str(page),
        PLANTGATE_LEASE_TTL=str(ttl),
    )
    engine = make_engine(pg_url)
    admin = create_org(env, "takeover", 10)
    gateways = [launch("a", env), launch("b", env)]
    sandbox = sandboxes(small(work_orders=200, others=40), mounts=count)
    sandbox.fault("slow", delay=0.05)
    for gateway in gateways:
        gateway.wait_healthy()
    ids = [connect(gateways[i % 2], admin, sandbox.url(i)) for i in range(count)]
    mount = {connection_id: i for i, connection_id in enumerate(ids)}

    def victim() -> GatewayProcess | None:
        """The process holding the most leases, once one of its syncs is well into the work orders."""
        held: dict[int, list[str]] = {}
        for connection_id, row in leases(engine).items():
            held.setdefault(pid_of(row.lease_owner or ""), []).append(connection_id)
        for gateway in sorted(gateways, key=lambda g: -len(held.get(g.pid, []))):
            for connection_id in held.get(gateway.pid, []):
                calls = sandbox.calls(page, mount=mount[connection_id])
                if sum(1 for r, o, _ in calls if r == "work-orders" and o > 0) >= 3:
                    return gateway
        return None

    doomed = wait_until(victim, timeout=20, what="a process mid-sync")
    doomed.kill()
    killed_at = time.time()
    survivor = next(g for g in gateways if g is not doomed)
    orphaned = {c: row for c, row in leases(engine).items() if pid_of(row.lease_owner or "") == doomed.pid}
    assert orphaned
    resume_at = {
        c: {s.entity: offset_of(s.cursor) for s in sync_states(engine, c).values() if s.state == "RUNNING"}
        for c in orphaned
    }
    expires = max(epoch(row.lease_expires_at) for row in orphaned.values())

    margin = 15.0  # for the rest of the slow syncs
    wait_until(
        lambda: all(synced(survivor, admin, c) for c in ids),
        timeout=expires - time.time() + margin,
        every=0.2,
        what="every sync done by the survivor",
    )
    since = killed_at + 0.5  # past any request the dead process sent just before the kill
    for connection_id, row in orphaned.items():
        calls = sandbox.calls(page, since, mount=mount[connection_id])
        assert calls and calls[0][2] >= epoch(row.lease_expires_at) - 0.1
        for entity, cursor in resume_at[connection_id].items():  # picked up where the dead process committed
            assert next(o for r, o, _ in calls if r == RESOURCE[entity]) == cursor, (entity, cursor, calls[:3])
    for connection_id in ids:
        assert replica_ids(engine, connection_id) == sandbox.ids()
    assert survivor.proc is not None and survivor.proc.poll() is None, survivor.log_tail()
    engine.dispose()
