"""Webhooks per PRODUCT.md: signed, retried with backoff, durable, logged, redeliverable."""

from __future__ import annotations

import hashlib
import hmac
import socket
import time
from collections.abc import Iterator

import pytest
from sqlmodel import select

from gateway.store.tables import ConnectionStatusChange
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.conftest import Gateway, _start_gateway
from tests.helpers import data, error_code
from tests.test_sync import FAST, wait_until
from tests.webhook_receiver import Receiver

HOOKS = {**FAST, "webhook_backoff_base": 0.2, "webhook_max_age": 4.0, "webhook_timeout": 2.0}
CREATE = "mutation($u: String!, $e: [String!]) { createWebhookEndpoint(url: $u, events: $e) { secret endpoint { id url events } } }"
DELIVERIES = "{ webhookEndpoints { id deliveries { id eventId eventType status attempts lastStatusCode log { statusCode error } } } }"


@pytest.fixture(scope="module")
def hook_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gw-hooks")
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", **HOOKS)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, ServerThread]]:
    made = Receiver()
    with ServerThread(made.app()) as server:
        yield made, server


def verify(secret: str, received) -> bool:
    timestamp = received.headers["plantgate-webhook-timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(received.headers["plantgate-webhook-signature"], "v1=" + expected)


def endpoint(gateway: Gateway, admin: str, url: str, events: list[str] | None = None) -> tuple[str, str]:
    created = data(gateway.gql(admin, CREATE, {"u": url, "e": events}))["createWebhookEndpoint"]
    return created["endpoint"]["id"], created["secret"]


def test_test_event_is_signed_and_shaped(hook_gateway, receiver):
    got, server = receiver
    admin = hook_gateway.new_org()
    endpoint_id, secret = endpoint(hook_gateway, admin, f"{server.url}/hook")
    assert secret.startswith("whsec_")
    listed = data(hook_gateway.gql(admin, "{ webhookEndpoints { id url } }"))["webhookEndpoints"]
    assert secret not in str(listed)  # shown once
    data(hook_gateway.gql(admin, "mutation($e: ID!) { sendTestWebhook(endpointId: $e) { id } }", {"e": endpoint_id}))
    received = wait_until(lambda: got.events("webhook.test"), timeout=5)[0]
    assert verify(secret, received)
    body = received.json
    assert set(body) == {"id", "type", "createdAt", "data"} and body["data"] == {"endpointId": endpoint_id}
    assert received.headers["plantgate-webhook-id"] == body["id"]
    assert abs(int(received.headers["plantgate-webhook-timestamp"]) - time.time()) < 5


def test_status_change_arrives_within_a_second(hook_gateway, receiver):
    got, server = receiver
    admin = hook_gateway.new_org()
    _, secret = endpoint(hook_gateway, admin, f"{server.url}/hook")
    with ServerThread(create_upkeep_sandbox()) as sandbox:
        created = data(hook_gateway.connect(admin, sandbox.url))["createConnection"]["connection"]
        wait_until(lambda: got.events("sync.completed"), timeout=20)
        SandboxControl(sandbox.url).fault("down")
        data(hook_gateway.gql(admin, "mutation($id: ID!) { triggerSync(id: $id) { id } }", {"id": created["id"]}))
        change = wait_until(lambda: got.events("connection.status_changed"), timeout=10)[0]
        assert change.json["data"]["status"] == "UNREACHABLE" and verify(secret, change)
        with hook_gateway.services.store.read() as session:
            detected = session.exec(
                select(ConnectionStatusChange).where(
                    ConnectionStatusChange.connection_id == created["id"],
                    ConnectionStatusChange.status == "UNREACHABLE",
                )
            ).one()
        assert change.at - detected.created_at.timestamp() < 1.0
        types = [r.json["type"] for r in got.events()]
        assert types[0] == "connection.created" and "sync.failed" in types
        data(hook_gateway.gql(admin, "mutation($id: ID!) { disconnect(id: $id) { id } }", {"id": created["id"]}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_receiver_down_for_a_while_gets_every_event_after_it_returns(hook_gateway):
    got = Receiver()
    port = free_port()
    admin = hook_gateway.new_org()
    endpoint_id, secret = endpoint(hook_gateway, admin, f"http://127.0.0.1:{port}/hook")
    for _ in range(3):
        data(
            hook_gateway.gql(admin, "mutation($e: ID!) { sendTestWebhook(endpointId: $e) { id } }", {"e": endpoint_id})
        )

    def attempted() -> bool:
        rows = data(hook_gateway.gql(admin, DELIVERIES))["webhookEndpoints"][0]["deliveries"]
        return all(d["attempts"] >= 2 for d in rows) and rows

    failing = wait_until(attempted, timeout=10)
    assert all(d["status"] == "PENDING" and d["log"][0]["error"] for d in failing)  # refused, logged, retried
    with ServerThread(got.app(), port=port):
        wait_until(lambda: len({r.json["id"] for r in got.events()}) == 3, timeout=10)
        rows = wait_until(
            lambda: [
                d
                for d in data(hook_gateway.gql(admin, DELIVERIES))["webhookEndpoints"][0]["deliveries"]
                if d["status"] == "DELIVERED"
            ],
            timeout=5,
        )
    assert all(verify(secret, r) for r in got.events())
    assert {r.json["id"] for r in got.events()} == {d["eventId"] for d in failing}
    assert all(d["log"][-1]["statusCode"] == 200 for d in rows)


@pytest.mark.slow
def test_non_2xx_is_retried_then_failed_then_redelivered(hook_gateway, receiver):
    got, server = receiver
    got.status = 500
    admin = hook_gateway.new_org()
    endpoint_id, _ = endpoint(hook_gateway, admin, f"{server.url}/hook")
    data(hook_gateway.gql(admin, "mutation($e: ID!) { sendTestWebhook(endpointId: $e) { id } }", {"e": endpoint_id}))
    failed = wait_until(
        lambda: [
            d
            for d in data(hook_gateway.gql(admin, DELIVERIES))["webhookEndpoints"][0]["deliveries"]
            if d["status"] == "FAILED"
        ],
        timeout=15,
    )[0]
    assert failed["attempts"] >= 3 and failed["lastStatusCode"] == 500
    arrivals = [r.at for r in got.events()]
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert gaps == sorted(gaps) or gaps[-1] > gaps[0]  # backoff grows
    got.status = 200
    data(hook_gateway.gql(admin, "mutation($d: ID!) { redeliverWebhook(deliveryId: $d) { id } }", {"d": failed["id"]}))
    wait_until(
        lambda: (
            got.events()
            and got.received[-1].headers["plantgate-webhook-id"] == failed["eventId"]
            and len(got.events()) > len(arrivals)
        ),
        timeout=5,
    )


def test_record_changed_is_opt_in(hook_gateway, receiver):
    got, server = receiver
    admin = hook_gateway.new_org()
    endpoint(hook_gateway, admin, f"{server.url}/hook", ["record.changed"])
    everything = Receiver()
    with ServerThread(everything.app()) as other, ServerThread(create_upkeep_sandbox()) as sandbox:
        endpoint(hook_gateway, admin, f"{other.url}/hook")
        created = data(hook_gateway.connect(admin, sandbox.url))["createConnection"]["connection"]
        wait_until(lambda: everything.events("sync.completed"), timeout=20)
        assert got.events() == []  # the initial load is not a change
        touched = [r["id"] for r in sandbox.app.state.data.records("work-orders")[:2]]
        sandbox.app.state.data.touch("work-orders", touched)
        data(hook_gateway.gql(admin, "mutation($id: ID!) { triggerSync(id: $id) { id } }", {"id": created["id"]}))
        changed = wait_until(
            lambda: len(got.events("record.changed")) >= 2 and got.events("record.changed"), timeout=10
        )
        assert {r.json["type"] for r in got.events()} == {"record.changed"}
        assert not everything.events("record.changed")
        assert {(r.json["data"]["entity"], r.json["data"]["remoteId"], r.json["data"]["change"]) for r in changed} == {
            ("WorkOrder", i, "upserted") for i in touched
        }
        data(hook_gateway.gql(admin, "mutation($id: ID!) { disconnect(id: $id) { id } }", {"id": created["id"]}))


@pytest.mark.parametrize("url, events", [("ftp://x/hook", None), ("http://127.0.0.1/hook", ["no.such.event"])])
def test_bad_endpoint_input(hook_gateway, url, events):
    result = hook_gateway.gql(hook_gateway.new_org(), CREATE, {"u": url, "e": events})
    assert error_code(result) == "BAD_USER_INPUT"


def test_pending_deliveries_survive_a_restart(tmp_path, receiver):
    got, server = receiver
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    stopped = {**HOOKS, "scheduler": False}
    key = None
    # First process: records deliveries but never sends them (no background worker).
    for gateway in _start_gateway(tmp_path, db, "sqlite", **stopped):
        admin = gateway.new_org()
        endpoint_id, secret = endpoint(gateway, admin, f"{server.url}/hook")
        for _ in range(2):
            data(gateway.gql(admin, "mutation($e: ID!) { sendTestWebhook(endpointId: $e) { id } }", {"e": endpoint_id}))
        key = gateway.services.settings.secret_key
    time.sleep(0.3)
    assert got.events() == []
    # A new process on the same database delivers them.
    for _gateway in _start_gateway(tmp_path, db, "sqlite", **{**HOOKS, "secret_key": key}):
        wait_until(lambda: len(got.events("webhook.test")) == 2, timeout=10)
    assert all(verify(secret, r) for r in got.events())
