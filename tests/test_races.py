"""State transitions that move credits or credentials, raced on PostgreSQL by two gateway processes.

Each round fires the competing requests at both processes at once (a barrier
releases them together, with small random offsets so the transactions overlap
in every way); afterwards exactly one transition happened, the ledger has one
entry per credit move, and `plantgate check` finds no drift.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from gateway.store.engine import make_engine
from gateway.store.tables import ConnectionStatusChange
from sandboxes.kit import ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.conftest import CREATE_CONNECTION, UPKEEP_LOGIN
from tests.helpers import data
from tests.processes import REPO, GatewayProcess, base_env, create_org

pytestmark = pytest.mark.processes

DISCONNECT = "mutation($id: ID!) { disconnect(id: $id) { id status } }"
ROTATE = "mutation($id: ID!) { rotateConnectionToken(id: $id) { token } }"
CREDITS = "{ credits(ledgerSize: 500) { used available ledger { connectionId amount reason } audit { consistent poolUsed heldByConnections ledgerUsed } } }"
CONNECTION = "query($id: ID!) { connection(id: $id) { status credits } }"
CREATE_SESSION = 'mutation { createConnectSession(input: {system: "upkeep", name: "Plant"}) { url connection { id } } }'


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ServerThread]:
    app = create_upkeep_sandbox()
    app.state.data.snapshot()
    with ServerThread(app) as server:
        yield server


@pytest.fixture
def pair(tmp_path, pg_url, redis_url, secret_key, launch) -> tuple[list[GatewayProcess], dict[str, str]]:
    env = base_env(
        PLANTGATE_DATABASE_URL=pg_url,
        PLANTGATE_REDIS_URL=redis_url,
        PLANTGATE_SECRET_KEY=secret_key,
        PLANTGATE_DATA_DIR=str(tmp_path),
        PLANTGATE_SCHEDULER="0",
    )
    gateways = [launch("a", env), launch("b", env)]
    for gateway in gateways:
        gateway.wait_healthy()
    return gateways, env


def at_once(*calls: Callable[[], Any], jitter: float = 0.0) -> list[Any]:
    """Run the calls in threads released together (each after a random delay up to `jitter` seconds)."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        if jitter:
            threading.Event().wait(random.uniform(0, jitter))
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def connect(gateway: GatewayProcess, admin: str, sandbox: ServerThread) -> tuple[str, str]:
    created = data(
        gateway.gql(
            admin,
            CREATE_CONNECTION,
            {"input": {"system": "upkeep", "name": "Plant", "instanceUrl": sandbox.url, "credentials": UPKEEP_LOGIN}},
        )
    )
    return created["createConnection"]["connection"]["id"], created["createConnection"]["token"]


def audit(gateway: GatewayProcess, admin: str) -> dict[str, Any]:
    return data(gateway.gql(admin, CREDITS))["credits"]


def check_command(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", "check"], env=env, cwd=REPO, capture_output=True, text=True, timeout=60
    )


def disconnected_transitions(env: dict[str, str], connection_ids: list[str]) -> list[str]:
    """The connections of `connection_ids` moved to DISCONNECTED, one entry per recorded transition."""
    engine = make_engine(env["PLANTGATE_DATABASE_URL"])
    with Session(engine) as session:
        changes = session.exec(
            select(ConnectionStatusChange.connection_id).where(
                ConnectionStatusChange.status == "DISCONNECTED",
                col(ConnectionStatusChange.connection_id).in_(connection_ids),
            )
        ).all()
    engine.dispose()
    return sorted(changes)


def test_two_concurrent_disconnects_refund_once(pair, sandbox):
    (a, b), env = pair
    admin = create_org(env, "disconnects", 100)
    rounds = 50
    ids = [connect(a, admin, sandbox)[0] for _ in range(rounds)]
    for connection_id in ids:
        answers = at_once(
            partial(a.gql, admin, DISCONNECT, {"id": connection_id}),
            partial(b.gql, admin, DISCONNECT, {"id": connection_id}),
            jitter=0.01,
        )
        assert all(data(answer)["disconnect"]["status"] == "DISCONNECTED" for answer in answers)
    credits = audit(a, admin)
    for connection_id in ids:
        moves = [e["reason"] for e in credits["ledger"] if e["connectionId"] == connection_id]
        assert sorted(moves) == ["connect", "disconnect"], (connection_id, moves)
    assert disconnected_transitions(env, ids) == sorted(ids)  # exactly one transition per connection
    assert credits["used"] == 0 and credits["available"] == 100
    assert credits["audit"]["consistent"], credits["audit"]
    done = check_command(env)
    assert done.returncode == 0 and "0 with drift" in done.stdout, done.stdout + done.stderr


def test_concurrent_rotations_leave_exactly_one_valid_token(pair, sandbox):
    (a, b), env = pair
    admin = create_org(env, "rotations", 10)
    connection_id, first = connect(a, admin, sandbox)
    for _ in range(10):
        answers = at_once(
            *[(lambda g=g: g.gql(admin, ROTATE, {"id": connection_id})) for g in (a, b, a, b, a)], jitter=0.01
        )
        tokens = [data(answer)["rotateConnectionToken"]["token"] for answer in answers]
        valid = [
            t
            for t in [first, *tokens]
            if httpx.post(
                f"{b.url}/graphql",
                json={"query": "{ connection { id } }"},
                headers={"Authorization": f"Bearer {t}"},
                timeout=10,
            ).status_code
            == 200
        ]
        assert len(valid) == 1, f"{len(valid)} tokens still valid"
        first = valid[0]


def new_link(gateway: GatewayProcess, admin: str) -> tuple[str, str]:
    """A connect link's token and its PENDING connection's id."""
    link = data(gateway.gql(admin, CREATE_SESSION))["createConnectSession"]
    return link["url"].rsplit("/", 1)[1], link["connection"]["id"]


def complete(gateway: GatewayProcess, token: str, sandbox: ServerThread) -> httpx.Response:
    body = {"system": "upkeep", "hosting": "CLOUD", "name": "Plant", "instanceUrl": sandbox.url}
    return httpx.post(
        f"{gateway.url}/connect/api/link",
        json={**body, "credentials": UPKEEP_LOGIN},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def after(seconds: float, call: Callable[[], Any]) -> Any:
    threading.Event().wait(seconds)
    return call()


def test_link_completion_racing_disconnect_ends_disconnected_with_credits_returned(pair, sandbox):
    (a, b), env = pair
    admin = create_org(env, "links", 100)
    token, connection_id = new_link(a, admin)
    started = time.monotonic()
    assert complete(a, token, sandbox).status_code == 200
    span = time.monotonic() - started  # a completion checks the login live first: disconnects land all along it
    data(b.gql(admin, DISCONNECT, {"id": connection_id}))
    outcomes: dict[str, str] = {}
    for _ in range(50):
        token, connection_id = new_link(a, admin)
        completed, disconnected = at_once(
            partial(complete, a, token, sandbox),
            partial(after, random.uniform(0, span), partial(b.gql, admin, DISCONNECT, {"id": connection_id})),
        )
        assert data(disconnected)["disconnect"]["status"] == "DISCONNECTED"
        assert completed.status_code in (200, 410), completed.text  # 410: the link was closed first
        outcomes[connection_id] = "completed first" if completed.status_code == 200 else "disconnected first"
        final = data(a.gql(admin, CONNECTION, {"id": connection_id}))["connection"]
        assert final["status"] == "DISCONNECTED", (final, completed.text)
    credits = audit(a, admin)
    for connection_id, outcome in outcomes.items():
        moves = sorted(e["reason"] for e in credits["ledger"] if e["connectionId"] == connection_id)
        assert moves == (["connect", "disconnect"] if outcome == "completed first" else []), (outcome, moves)
    assert disconnected_transitions(env, list(outcomes)) == sorted(outcomes)  # exactly one each
    assert set(outcomes.values()) == {"completed first", "disconnected first"}, outcomes  # raced both ways
    assert credits["used"] == 0 and credits["audit"]["consistent"], credits
    assert check_command(env).returncode == 0
