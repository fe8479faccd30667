"""On-premises connections through a real `plantgate agent` process (issue: reach plant systems without opening them).

The Maximo sandbox listens on loopback, which this gateway's SSRF guard refuses:
only the agent, allowed to reach 127.0.0.1, can call it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from gateway.store.event_tables import Event
from gateway.store.log_tables import RequestLogEntry
from gateway.store.sync_tables import SyncSchedule, SyncState
from gateway.store.tables import Connection
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.maximo.app import SANDBOX
from tests.agent_process import AGENT_STATE, CREATE_AGENT, AgentProcess
from tests.conformance.cases.maximo import CASE as MAXIMO
from tests.conftest import Gateway, _start_gateway
from tests.helpers import data, error_code, wait_until
from tests.write_helpers import create, record

assert MAXIMO.writes is not None
WRITE_DEFAULTS = MAXIMO.writes.write_defaults
HEARTBEAT = 2.0  # generous: a loaded machine must not drop a live socket for a late heartbeat
SETTINGS: dict[str, Any] = {
    "allowed_hosts": (),  # loopback refused: the plant's address is reachable only through the agent
    "scheduler": True,
    "sync_tick": 0.1,
    "min_sync_interval": 0.1,
    "sync_interval": 3600.0,
    "history_days": 0,
    "backoff_base": 0.2,
    "backoff_cap": 1.0,
    "lease_ttl": 10.0,
    "upstream_read_timeout": 5.0,
    "upstream_retries": 0,
    "breaker_probe_interval": 0.2,
    "agent_heartbeat_interval": HEARTBEAT,
    "sync_page_size": 50,
}
CONNECT = """mutation($i: CreateConnectionInput!) {
  createConnection(input: $i) { token connection { id status agentId credentialsInPlant } } }"""
STATUS = "query($id: ID!) { connection(id: $id) { status statusReason } }"
SYNC = "mutation($id: ID!, $full: Boolean!) { triggerSync(id: $id, full: $full) { id } }"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gw-agent")
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", **SETTINGS)


@pytest.fixture
def maximo() -> Iterator[ServerThread]:
    with ServerThread(SANDBOX.create_app()) as server:
        yield server


class Plant:
    """An organization with an agent running next to its Maximo."""

    def __init__(self, gateway: Gateway, maximo: ServerThread, tmp: Path) -> None:
        self.gateway, self.maximo, self.tmp = gateway, maximo, tmp
        self.admin = gateway.new_org(credits=100)
        made = data(gateway.gql(self.admin, CREATE_AGENT, {"n": "Plant 1"}))["createAgent"]
        self.agent_id, self.key = made["agent"]["id"], made["key"]
        self.process = self.agent()

    def agent(self, key: str | None = None) -> AgentProcess:
        return AgentProcess(
            self.gateway.url, key or self.key, [self.maximo.url], self.tmp / "agent", self.tmp / "agent.log"
        )

    def state(self) -> dict[str, Any]:
        return data(self.gateway.gql(self.admin, AGENT_STATE, {"id": self.agent_id}))["agent"]

    def wait_online(self, online: bool = True) -> None:
        wait_until(lambda: self.state()["online"] is online, timeout=20, what=f"agent online={online}")

    def connect(self, **extra: Any) -> dict[str, Any]:
        given = {
            "system": "maximo",
            "hosting": "ON_PREMISES",
            "name": "Plant Maximo",
            "instanceUrl": self.maximo.url,
            "credentials": dict(SANDBOX.credentials),
            "agentId": self.agent_id,
            **extra,
        }
        return self.gateway.gql(self.admin, CONNECT, {"i": given})

    def status(self, connection_id: str) -> dict[str, Any]:
        return data(self.gateway.gql(self.admin, STATUS, {"id": connection_id}))["connection"]


@pytest.fixture
def plant(gateway: Gateway, maximo: ServerThread, tmp_path: Path) -> Iterator[Plant]:
    made = Plant(gateway, maximo, tmp_path)
    made.process.start()
    made.wait_online()
    yield made
    made.process.stop()


def connected(plant: Plant, **extra: Any) -> tuple[str, str]:
    created = data(plant.connect(**extra))["createConnection"]
    return created["connection"]["id"], created["token"]


def test_the_gateway_refuses_the_plant_address_and_the_agent_reaches_it(plant: Plant) -> None:
    direct = plant.connect(agentId=None)
    assert error_code(direct) == "BAD_USER_INPUT" and "loopback" in direct["errors"][0]["message"]

    created = data(plant.connect())["createConnection"]
    assert created["connection"] == {
        "id": created["connection"]["id"],
        "status": "ACTIVE",
        "agentId": plant.agent_id,
        "credentialsInPlant": False,
    }
    state = plant.state()
    assert state["online"] and state["version"] and created["connection"]["id"] in state["connectionsServed"]


def test_a_cloud_connection_cannot_name_an_agent_nor_another_organizations_agent(plant: Plant) -> None:
    assert error_code(plant.connect(hosting="CLOUD")) == "BAD_USER_INPUT"
    other = plant.gateway.new_org()
    stolen = {
        "system": "maximo",
        "hosting": "ON_PREMISES",
        "name": "x",
        "instanceUrl": plant.maximo.url,
        "credentials": dict(SANDBOX.credentials),
        "agentId": plant.agent_id,
    }
    answer = plant.gateway.gql(other, CONNECT, {"i": stolen})
    assert error_code(answer) == "BAD_USER_INPUT" and answer["errors"][0]["extensions"]["field"] == "agentId"


def test_a_nested_live_read_through_the_agent_makes_the_minimum_upstream_calls(plant: Plant) -> None:
    connection_id, token = connected(plant)
    wait_until(lambda: (s := _schedule(plant.gateway, connection_id)) and s.last_run_at, timeout=60)  # sync done
    control = SandboxControl(plant.maximo.url)
    data(plant.gateway.gql(token, "{ workOrders(first: 1) { nodes { remoteId } } }"))
    control.clear_requests()
    answer = data(plant.gateway.gql(token, MAXIMO.nested_query))
    calls = control.requests()
    assert answer["workOrders"]["nodes"]
    assert len(calls) == MAXIMO.expected_calls(answer, None), [c["path"] for c in calls]  # type: ignore[arg-type]


def test_writes_go_through_the_agent(plant: Plant) -> None:
    connection_id, token = connected(plant)
    defaults = (
        "mutation($id: ID!, $d: JSON!) { updateConnectionSettings(id: $id, input: {writeDefaults: $d}) { logBodies } }"
    )
    data(plant.gateway.gql(plant.admin, defaults, {"id": connection_id, "d": WRITE_DEFAULTS}))
    made = record(create(plant.gateway, token, "WorkOrder", {"title": "Through the agent"}, "title"), "createWorkOrder")
    assert made["title"] == "Through the agent"
    found = data(plant.gateway.gql(token, "query($id: ID!) { workOrder(id: $id) { title } }", {"id": made["id"]}))[
        "workOrder"
    ]
    assert found == {"title": "Through the agent"}


def _schedule(gateway: Gateway, connection_id: str) -> SyncSchedule | None:
    with gateway.services.store.read() as session:
        return session.get(SyncSchedule, connection_id)


def _replica_ids(gateway: Gateway, token: str, plural: str, source: str) -> list[str]:
    ids: list[str] = []
    after = None
    while True:
        page = data(
            gateway.gql(
                token,
                f"query($after: String, $s: Source!) {{ {plural}(first: 100, after: $after, source: $s) "
                "{ nodes { remoteId } pageInfo { hasNextPage endCursor } } }",
                {"after": after, "s": source},
            )
        )[plural]
        ids += [n["remoteId"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        after = page["pageInfo"]["endCursor"]


def _work_order_state(gateway: Gateway, connection_id: str) -> SyncState | None:
    with gateway.services.store.read() as session:
        return session.get(SyncState, (connection_id, "WorkOrder"))


def test_killing_the_agent_mid_sync_makes_the_connection_unreachable_and_the_sync_resumes(plant: Plant) -> None:
    control = SandboxControl(plant.maximo.url)
    control.fault("slow", delay=0.2)  # every page takes a while: the kill lands inside the first sync
    connection_id, token = connected(plant)
    wait_until(
        lambda: (s := _work_order_state(plant.gateway, connection_id)) and s.cursor and s.records_synced >= 100,
        timeout=90,
        what="work orders half synced",
    )
    plant.process.kill()
    killed = time.monotonic()
    wait_until(lambda: plant.status(connection_id)["status"] == "UNREACHABLE", timeout=10, every=0.02)
    assert time.monotonic() - killed <= HEARTBEAT + 0.5  # the socket's close is seen at once
    assert "agent 'Plant 1' is offline" in plant.status(connection_id)["statusReason"]
    assert not plant.state()["online"]
    live = plant.gateway.gql(token, "{ workOrders(first: 1, source: LIVE) { nodes { remoteId } } }")
    assert error_code(live) == "SYSTEM_UNREACHABLE" and "offline" in live["errors"][0]["message"]
    wait_until(lambda: (s := _schedule(plant.gateway, connection_id)) and s.failures >= 1, timeout=10)
    cut = _work_order_state(plant.gateway, connection_id)
    assert cut is not None and cut.state == "RUNNING" and cut.cursor, cut  # committed pages keep their cursor

    restarted = time.time()
    plant.process = plant.agent().start()
    plant.wait_online()
    wait_until(lambda: plant.status(connection_id)["status"] == "ACTIVE", timeout=90, what="back to ACTIVE")
    control.clear_fault()
    size = SETTINGS["sync_page_size"]
    after = [  # the sync's pages (live reads ask other page sizes)
        c
        for c in control.requests()
        if c["at"] >= restarted and c["path"].endswith("/mxapiwodetail") and c["query"]["oslc.pageSize"] == str(size)
    ]
    total = len(_replica_ids(plant.gateway, token, "workOrders", "LIVE"))
    # Resumed at the cursor: only the pages after it were read again, not the whole list.
    assert len(after) <= -(-(total - cut.records_synced) // size) + 1 < -(-total // size), (len(after), cut)
    for plural in ("workOrders", "assets", "locations"):
        live_ids = _replica_ids(plant.gateway, token, plural, "LIVE")
        replica_ids = _replica_ids(plant.gateway, token, plural, "REPLICA")
        assert len(replica_ids) == len(set(replica_ids)), f"{plural}: duplicated in the replica"
        assert sorted(replica_ids) == sorted(live_ids), f"{plural}: the replica lost or kept records"
    with plant.gateway.services.store.read() as session:  # what webhooks and subscriptions are made of
        changes = session.exec(
            select(Event)
            .where(Event.connection_id == connection_id, Event.type == "connection.status_changed")
            .order_by(col(Event.created_at))
        ).all()
    assert [(e.data["status"], e.data["reason"]) for e in changes] == [
        ("UNREACHABLE", "on-premises agent 'Plant 1' is offline"),
        ("ACTIVE", "sync succeeded"),
    ]


def test_a_revoked_agent_key_closes_the_socket_within_a_second(plant: Plant) -> None:
    rotated = data(
        plant.gateway.gql(plant.admin, "mutation($id: ID!) { rotateAgentKey(id: $id) { key } }", {"id": plant.agent_id})
    )
    revoked = time.monotonic()
    assert plant.process.exited(timeout=5) not in (None, 0)
    assert time.monotonic() - revoked < 1.0
    assert "revoked" in plant.process.log()
    assert not plant.state()["online"]

    stale = plant.agent(plant.key).start()  # the old key is refused at the handshake: the agent stops
    assert stale.exited(timeout=20) not in (None, 0)
    fresh = plant.agent(rotated["rotateAgentKey"]["key"])
    plant.process = fresh.start()
    plant.wait_online()


def test_an_agent_in_use_is_not_deleted_and_a_deleted_agent_is_cut_off(plant: Plant) -> None:
    connection_id, _ = connected(plant)
    delete = "mutation($id: ID!) { deleteAgent(id: $id) }"
    refused = plant.gateway.gql(plant.admin, delete, {"id": plant.agent_id})
    assert error_code(refused) == "BAD_USER_INPUT" and connection_id in refused["errors"][0]["message"]
    data(plant.gateway.gql(plant.admin, "mutation($id: ID!) { disconnect(id: $id) { id } }", {"id": connection_id}))
    assert data(plant.gateway.gql(plant.admin, delete, {"id": plant.agent_id}))["deleteAgent"] is True
    assert plant.process.exited(timeout=5) not in (None, 0)
    assert error_code(plant.gateway.gql(plant.admin, AGENT_STATE, {"id": plant.agent_id})) == "NOT_FOUND"


def test_an_instance_url_the_agent_does_not_list_is_refused_by_the_agent(plant: Plant) -> None:
    answer = plant.connect(instanceUrl="http://127.0.0.2:9")
    assert error_code(answer) == "SYSTEM_UNREACHABLE"
    assert "agent refused" in answer["errors"][0]["message"]


def test_credentials_kept_in_the_plant_never_reach_the_gateway(plant: Plant, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = SANDBOX.credentials["apiKey"]
    plant.process.credentials("plant-maximo", apiKey=secret)
    unknown = plant.connect(credentials={}, agentCredentials="no-such-login")
    assert error_code(unknown) == "BAD_USER_INPUT" and unknown["errors"][0]["extensions"]["field"] == "agentCredentials"
    assert "no-such-login" in unknown["errors"][0]["message"]
    created = data(plant.connect(credentials={}, agentCredentials="plant-maximo"))["createConnection"]
    connection_id, token = created["connection"]["id"], created["token"]
    assert created["connection"]["credentialsInPlant"] is True
    settings = """mutation($id: ID!, $d: JSON!) {
      updateConnectionSettings(id: $id, input: {logBodies: true, writeDefaults: $d}) { logBodies } }"""
    data(plant.gateway.gql(plant.admin, settings, {"id": connection_id, "d": WRITE_DEFAULTS}))
    answers = [
        plant.gateway.gql(token, "{ workOrders(first: 5) { nodes { remoteId title } } }"),
        create(plant.gateway, token, "WorkOrder", {"title": "Kept in the plant"}),
        plant.gateway.gql(
            plant.admin, "query($id: ID!) { connection(id: $id) { id credentialsInPlant } }", {"id": connection_id}
        ),
    ]
    assert all("errors" not in a for a in answers), answers
    assert answers[0]["data"]["workOrders"]["nodes"], "the agent filled in the key: Maximo answered"
    wait_until(lambda: (s := _schedule(plant.gateway, connection_id)) and s.last_run_at, timeout=60)
    plant.gateway.services.requests.writer.flush()

    store = plant.gateway.services.store
    with store.read() as session:
        row = session.get(Connection, connection_id)
        assert row is not None
        stored = plant.gateway.services.pool.vault.decrypt(row.credentials_encrypted)
        logged = session.exec(select(RequestLogEntry).where(RequestLogEntry.connection_id == connection_id)).all()
    assert stored == {"apiKey": "__plantgate_agent_apiKey__"}  # the fields the plant's login holds
    assert logged, "the calls are in the request log"
    database = Path(plant.gateway.services.settings.effective_database_url.removeprefix("sqlite:///"))
    seen = {
        "the database file": database.read_bytes().decode("latin-1"),
        "the request log": json.dumps([r.model_dump(mode="json") for r in logged]),
        "the gateway's log": caplog.text,
        "the responses": json.dumps(answers),
    }
    assert [where for where, text in seen.items() if secret in text] == []


@pytest.fixture
def narrow_plant(gateway: Gateway, maximo: ServerThread, tmp_path: Path) -> Iterator[Plant]:
    """A plant whose agent carries one call at a time and answers of at most 4 KB."""
    made = Plant(gateway, maximo, tmp_path)
    made.process.args += ["--concurrency", "1", "--max-bytes", "4096"]
    made.process.start()
    made.wait_online()
    yield made
    made.process.stop()


def test_the_agent_bounds_its_calls_in_flight_and_the_size_of_answers(narrow_plant: Plant) -> None:
    connection_id, token = connected(narrow_plant)
    wait_until(lambda: (s := _schedule(narrow_plant.gateway, connection_id)) and s.last_run_at, timeout=60)
    big = narrow_plant.gateway.gql(token, "{ workOrders(first: 100) { nodes { remoteId description } } }")
    assert error_code(big) == "SYSTEM_REJECTED" and "4096 bytes" in big["errors"][0]["message"]

    control = SandboxControl(narrow_plant.maximo.url)
    control.fault("slow", delay=1.0)
    one = "{ workOrders(first: 1) { nodes { remoteId } } }"
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: narrow_plant.gateway.gql(token, one), range(2)))
    control.clear_fault()
    codes = sorted(error_code(a) if a.get("errors") else "OK" for a in answers)
    assert codes == ["OK", "RATE_LIMITED"], answers
