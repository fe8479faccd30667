"""Real JavaScript clients in Node against a running gateway: npm graphql-ws and Apollo Client.

The scripts are in tests/clients/; the packages are those `make setup` installs
(clients/package.json). Apollo pages with `relayStylePagination`, which merges
pages by their cursors: a skipped or repeated record shows in the merged list.
"""

from __future__ import annotations

import pytest

from tests.client_tools import node_script
from tests.conftest import Gateway
from tests.helpers import data, page_all

pytestmark = pytest.mark.processes

PAGE_SIZE = 25


@pytest.fixture
def connection(sqlite_gateway: Gateway, upkeep_sandbox) -> dict:
    admin = sqlite_gateway.new_org()
    created = data(sqlite_gateway.connect(admin, upkeep_sandbox.url))["createConnection"]
    return {"admin": admin, "token": created["token"], "id": created["connection"]["id"]}


def test_graphql_ws_client_queries_and_subscribes(sqlite_gateway: Gateway, upkeep_sandbox, connection: dict) -> None:
    other = data(sqlite_gateway.connect(connection["admin"], upkeep_sandbox.url))["createConnection"]["connection"]
    seen = node_script(
        "graphql_ws_client.cjs",
        {
            "PLANTGATE_URL": f"{sqlite_gateway.url}/graphql",
            "PLANTGATE_WS_URL": f"{sqlite_gateway.url.replace('http', 'ws', 1)}/graphql",
            "CONNECTION_TOKEN": connection["token"],
            "ADMIN_KEY": connection["admin"],
            "DISCONNECT_ID": other["id"],
        },
    )
    assert seen["protocols"] == ["graphql-transport-ws", "graphql-transport-ws"]
    assert "errors" not in seen["query"] and len(seen["query"]["data"]["workOrders"]["nodes"]) == 2
    assert data(seen["disconnected"])["disconnect"]["id"] == other["id"]
    assert "errors" not in seen["event"], seen["event"]
    assert seen["event"]["data"]["connectionStatusChanged"] == {
        "connectionId": other["id"],
        "status": "DISCONNECTED",
        "previousStatus": "ACTIVE",
    }


def _apollo(gateway: Gateway, token: str, direction: str) -> dict:
    return node_script(
        "apollo_paging.cjs",
        {
            "PLANTGATE_URL": f"{gateway.url}/graphql",
            "PLANTGATE_TOKEN": token,
            "DIRECTION": direction,
            "PAGE_SIZE": str(PAGE_SIZE),
        },
    )


def test_apollo_pages_forward_through_every_work_order(sqlite_gateway: Gateway, connection: dict) -> None:
    every = [n["id"] for n in page_all(sqlite_gateway, connection["token"], "workOrders", "id")]
    assert len(every) > 3 * PAGE_SIZE  # several pages, or the test proves little
    paged = _apollo(sqlite_gateway, connection["token"], "forward")
    assert paged["ids"] == every  # nothing skipped, nothing repeated, in list order
    assert paged["requests"] == -(-len(every) // PAGE_SIZE)


def test_apollo_pages_backward_through_every_work_order(sqlite_gateway: Gateway, connection: dict) -> None:
    every = [n["id"] for n in page_all(sqlite_gateway, connection["token"], "workOrders", "id")]
    paged = _apollo(sqlite_gateway, connection["token"], "backward")
    assert paged["ids"] == every  # pages prepended in order: the same list, from the end
    assert paged["requests"] == -(-len(every) // PAGE_SIZE)
