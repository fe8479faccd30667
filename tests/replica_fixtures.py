"""Fixtures of the replica tests: a gateway whose scheduler syncs for real (SQLite and PostgreSQL), fresh
sandboxes, and a connection handle. Registered in `tests/conftest.py` (`pytest_plugins`) so that every
module asking for them gets its own instances without importing fixture functions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandboxes.kit import ServerThread
from sandboxes.sap.app import LOGIN as SAP_LOGIN
from sandboxes.sap.app import create_app as create_sap_sandbox
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.conftest import Gateway, _start_gateway, fresh_postgres_database
from tests.helpers import data, page_all

FAST = {
    "scheduler": True,
    "sync_tick": 0.05,
    "sync_interval": 1.0,
    "min_sync_interval": 0.1,
    "sync_page_size": 100,
    "reconcile_interval": 3.0,
    "backoff_base": 0.2,
    "backoff_cap": 3.0,  # wide enough to observe an unavailable entity waiting on a loaded machine
    "lease_ttl": 5.0,
    "breaker_probe_interval": 0.5,
    "upstream_read_timeout": 3.0,
    "upstream_retries": 0,
}
STATUS = """query($id: ID!) { connection(id: $id) { status statusReason capabilities { entity available }
  syncStatus { entity state mode lastError recordsSynced retryAt historyStart reconciledAt } } }"""


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def trust_gateway(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp(f"gw-trust-{request.param}")
    if request.param == "sqlite":
        yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", **FAST)
        return
    request.getfixturevalue("postgres_url")  # skips without a server
    with fresh_postgres_database() as url:  # its own database: this scheduler syncs only these connections
        yield from _start_gateway(tmp, url, "postgresql", **FAST)


@pytest.fixture(scope="module")
def sap() -> Iterator[ServerThread]:
    app = create_sap_sandbox()
    with ServerThread(app) as server:
        yield server


@pytest.fixture
def upkeep() -> Iterator[ServerThread]:
    app = create_upkeep_sandbox()
    app.state.data.snapshot()
    with ServerThread(app) as server:
        yield server


class Conn:
    def __init__(self, gateway: Gateway, url: str, **connect: Any) -> None:
        self.gateway = gateway
        self.admin = gateway.new_org()
        created = data(gateway.connect(self.admin, url, **connect))["createConnection"]
        self.id, self.token = created["connection"]["id"], created["token"]

    def status(self) -> dict[str, Any]:
        return data(self.gateway.gql(self.admin, STATUS, {"id": self.id}))["connection"]

    def states(self) -> dict[str, dict[str, Any]]:
        return {s["entity"]: s for s in self.status()["syncStatus"]}

    def synced(self, entities: int) -> bool:
        states = self.states()
        return len(states) == entities and all(s["state"] == "SUCCEEDED" for s in states.values())

    def ids(self, field: str, source: str = "REPLICA", **filter: Any) -> list[str]:
        return sorted(
            n["remoteId"]
            for n in page_all(self.gateway, self.token, field, "remoteId", filter=filter or None, source=source)
        )

    def settings(self, **values: Any) -> None:
        data(
            self.gateway.gql(
                self.admin,
                "mutation($id: ID!, $i: ConnectionSettingsInput!) { updateConnectionSettings(id: $id, input: $i) { historyDays } }",
                {"id": self.id, "i": values},
            )
        )

    def trigger(self, full: bool = False) -> None:
        data(
            self.gateway.gql(
                self.admin,
                "mutation($id: ID!, $f: Boolean!) { triggerSync(id: $id, full: $f) { id } }",
                {"id": self.id, "f": full},
            )
        )

    def close(self) -> None:
        data(self.gateway.gql(self.admin, "mutation($id: ID!) { disconnect(id: $id) { id } }", {"id": self.id}))


@pytest.fixture
def sap_conn(trust_gateway: Gateway, sap: ServerThread) -> Iterator[Conn]:
    made = Conn(trust_gateway, sap.url, name="S/4", system="sap_s4hana", hosting="CLOUD", credentials=SAP_LOGIN)
    yield made
    made.close()


@pytest.fixture
def upkeep_conn(trust_gateway: Gateway, upkeep: ServerThread) -> Iterator[Conn]:
    made = Conn(trust_gateway, upkeep.url)
    yield made
    made.close()
