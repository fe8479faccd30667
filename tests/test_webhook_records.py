"""`record.changed` with the whole unified record, for the endpoints that ask for it (includeRecord)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from sandboxes.kit import ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.conftest import Gateway
from tests.helpers import data, error_code, wait_until
from tests.webhook_flow import endpoint, hook_gateway
from tests.webhook_receiver import Received, Receiver
from tests.webhook_verifiers import python_verifies

UPDATE = """mutation($id: ID!, $r: Boolean) {
  updateWebhookEndpoint(id: $id, includeRecord: $r) { id events includeRecord }
}"""
DELIVERIES = "{ webhookEndpoints { id deliveries { eventType eventData } } }"
SYNC = "mutation($id: ID!) { triggerSync(id: $id) { id } }"


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from hook_gateway(tmp_path_factory.mktemp("gw-records"))


def _changes(got: Receiver, count: int) -> list[Received]:
    wait_until(lambda: len(got.events("record.changed")) >= count, timeout=15, what=f"{count} record.changed")
    return got.events("record.changed")


def test_record_changed_carries_the_record_only_where_asked(hooks):
    admin = hooks.new_org()
    full, bare, everything = Receiver(), Receiver(), Receiver()
    with (
        ServerThread(full.app()) as full_server,
        ServerThread(bare.app()) as bare_server,
        ServerThread(everything.app()) as everything_server,
        ServerThread(create_upkeep_sandbox()) as sandbox,
    ):
        full_id, full_secret = endpoint(hooks, admin, f"{full_server.url}/hook", ["record.changed"], True)
        bare_id, _ = endpoint(hooks, admin, f"{bare_server.url}/hook", ["record.changed"])
        endpoint(hooks, admin, f"{everything_server.url}/hook")
        connection = data(hooks.connect(admin, sandbox.url))["createConnection"]["connection"]
        wait_until(lambda: everything.events("sync.completed"), timeout=20, what="the first sync")
        store = sandbox.app.state.data
        first = store.records("work-orders")[:2]
        store.touch("work-orders", [r["id"] for r in first])
        data(hooks.gql(admin, SYNC, {"id": connection["id"]}))

        with_record = _changes(full, 2)
        by_id = {r.json["data"]["remoteId"]: r for r in with_record}
        for raw in first:
            received = by_id[str(raw["id"])]
            record = received.json["data"]["record"]
            assert record["title"] == raw["title"]
            datetime.fromisoformat(record["updatedAt"])  # plain ISO 8601, not the replica's tagged form
            assert python_verifies(full_secret, received)
        assert all("record" not in r.json["data"] for r in _changes(bare, 2))
        shown = {e["id"]: e["deliveries"] for e in data(hooks.gql(admin, DELIVERIES))["webhookEndpoints"]}
        assert all("record" in d["eventData"] for d in shown[full_id])
        assert shown[bare_id] and all("record" not in d["eventData"] for d in shown[bare_id])

        turned_off = data(hooks.gql(admin, UPDATE, {"id": full_id, "r": False}))["updateWebhookEndpoint"]
        assert turned_off == {"id": full_id, "events": ["record.changed"], "includeRecord": False}
        second = store.records("work-orders")[2:3]
        store.touch("work-orders", [r["id"] for r in second])
        data(hooks.gql(admin, SYNC, {"id": connection["id"]}))
        latest = _changes(full, 3)[-1]
        assert latest.json["data"]["remoteId"] == str(second[0]["id"]) and "record" not in latest.json["data"]
        data(hooks.gql(admin, "mutation($id: ID!) { disconnect(id: $id) { id } }", {"id": connection["id"]}))


def test_an_update_with_unknown_events_or_of_a_foreign_endpoint_is_refused(hooks):
    admin = hooks.new_org()
    endpoint_id, _ = endpoint(hooks, admin, "http://127.0.0.1:9/hook")
    refused = hooks.gql(
        admin, 'mutation($id: ID!) { updateWebhookEndpoint(id: $id, events: ["no.such"]) { id } }', {"id": endpoint_id}
    )
    assert error_code(refused) == "BAD_USER_INPUT"
    assert error_code(hooks.gql(hooks.new_org(), UPDATE, {"id": endpoint_id, "r": True})) == "NOT_FOUND"
    listed = data(hooks.gql(admin, "{ webhookEndpoints { events includeRecord } }"))["webhookEndpoints"]
    assert listed == [{"events": [], "includeRecord": False}]
