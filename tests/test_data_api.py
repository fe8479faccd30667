"""The data schema: paging, filters, by-id, node, and tenant isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sandboxes.kit import ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.helpers import ENTITY_RESOURCES, data, error_code, page_all

PAGINGS = [(field, 200) for field in sorted(ENTITY_RESOURCES)] + [("workOrders", 23), ("locations", 7)]


@pytest.mark.slow
@pytest.mark.parametrize("field, first", PAGINGS)
def test_paging_reaches_the_end_without_gaps_or_repeats(sqlite_gateway, connection_token, upkeep_sandbox, field, first):
    nodes = page_all(sqlite_gateway, connection_token, field, "remoteId", first=first)
    expected = [r["id"] for r in upkeep_sandbox.app.state.data.records(ENTITY_RESOURCES[field])]
    assert [n["remoteId"] for n in nodes] == expected


def test_edge_cursors_resume_after_their_row(sqlite_gateway, connection_token):
    first = data(sqlite_gateway.gql(connection_token, "{ workOrders(first: 10) { edges { cursor node { number } } } }"))
    edges = first["workOrders"]["edges"]
    again = data(
        sqlite_gateway.gql(
            connection_token,
            "query($a: String) { workOrders(first: 3, after: $a) { nodes { number } } }",
            {"a": edges[4]["cursor"]},
        )
    )
    assert [n["number"] for n in again["workOrders"]["nodes"]] == [e["node"]["number"] for e in edges[5:8]]


def test_status_filter(sqlite_gateway, connection_token, upkeep_sandbox):
    nodes = page_all(
        sqlite_gateway, connection_token, "workOrders", "remoteId status", filter={"status": ["ON_HOLD", "IN_PROGRESS"]}
    )
    expected = [
        r["id"] for r in upkeep_sandbox.app.state.data.records("work-orders") if r["status"] in ("onHold", "inProgress")
    ]
    assert [n["remoteId"] for n in nodes] == expected and expected
    assert {n["status"] for n in nodes} == {"ON_HOLD", "IN_PROGRESS"}


def test_created_after_filter(sqlite_gateway, connection_token, upkeep_sandbox):
    records = upkeep_sandbox.app.state.data.records("assets")
    bound = records[150]["createdAt"]
    nodes = page_all(sqlite_gateway, connection_token, "assets", "remoteId", filter={"createdAfter": bound})
    assert [n["remoteId"] for n in nodes] == [r["id"] for r in records if r["createdAt"] > bound]


def test_updated_after_returns_exactly_the_changed_records(sqlite_gateway, admin_key):
    with ServerThread(create_upkeep_sandbox()) as sandbox:
        token = data(sqlite_gateway.connect(admin_key, sandbox.url))["createConnection"]["token"]
        dataset = sandbox.app.state.data
        changed = [r["id"] for r in dataset.records("work-orders")[100:105]]
        before = datetime.now(UTC) - timedelta(seconds=1)
        dataset.touch("work-orders", changed)
        nodes = page_all(sqlite_gateway, token, "workOrders", "remoteId", filter={"updatedAfter": before.isoformat()})
        assert sorted(n["remoteId"] for n in nodes) == sorted(changed)
        log = httpx.get(f"{sandbox.url}/__sandbox/requests").json()
        assert any("updatedAtGreaterThan" in r["query"] for r in log)  # pushed down, not filtered here


def test_by_id_remote_id_and_node(sqlite_gateway, connection_token):
    listed = data(sqlite_gateway.gql(connection_token, "{ assets(first: 1) { nodes { id remoteId name } } }"))[
        "assets"
    ]["nodes"][0]
    by_id = data(
        sqlite_gateway.gql(
            connection_token, "query($id: ID) { asset(id: $id) { remoteId name } }", {"id": listed["id"]}
        )
    )
    assert by_id["asset"] == {"remoteId": listed["remoteId"], "name": listed["name"]}
    by_remote = data(
        sqlite_gateway.gql(
            connection_token, "query($r: String) { asset(remoteId: $r) { id } }", {"r": listed["remoteId"]}
        )
    )
    assert by_remote["asset"]["id"] == listed["id"]
    node = data(
        sqlite_gateway.gql(
            connection_token, "query($id: ID!) { node(id: $id) { id ... on Asset { name } } }", {"id": listed["id"]}
        )
    )
    assert node["node"] == {"id": listed["id"], "name": listed["name"]}
    missing = data(sqlite_gateway.gql(connection_token, '{ asset(remoteId: "nope00000") { id } }'))
    assert missing["asset"] is None
    # An asset's id asked for as a work order is not that work order.
    wrong_type = data(
        sqlite_gateway.gql(connection_token, "query($id: ID) { workOrder(id: $id) { id } }", {"id": listed["id"]})
    )
    assert wrong_type["workOrder"] is None


def test_connection_field(sqlite_gateway, connection_token):
    conn = data(
        sqlite_gateway.gql(connection_token, "{ connection { name status hosting credits system { key tier } } }")
    )["connection"]
    assert conn == {
        "name": "Plant",
        "status": "ACTIVE",
        "hosting": "CLOUD",
        "credits": 1,
        "system": {"key": "upkeep", "tier": 1},
    }


@pytest.mark.parametrize(
    "query, variables",
    [
        ("{ workOrders(first: 201) { nodes { id } } }", {}),
        ("{ workOrders(first: 0) { nodes { id } } }", {}),
        ('{ workOrders(after: "not-a-cursor") { nodes { id } } }', {}),
        ('{ node(id: "garbage") { id } }', {}),
        ("{ workOrders { nodes { noSuchField } } }", {}),
        ("{ workOrders(filter: {status: [BOGUS]}) { nodes { id } } }", {}),
        ('{ workOrders(filter: {updatedAfter: "yesterday"}) { nodes { id } } }', {}),
    ],
)
def test_bad_input_is_bad_user_input(sqlite_gateway, connection_token, query, variables):
    result = sqlite_gateway.gql(connection_token, query, variables)
    assert error_code(result) == "BAD_USER_INPUT"


def test_cursor_of_another_list_is_refused(sqlite_gateway, connection_token):
    page = data(sqlite_gateway.gql(connection_token, "{ assets(first: 2) { pageInfo { endCursor } } }"))
    cursor = page["assets"]["pageInfo"]["endCursor"]
    result = sqlite_gateway.gql(
        connection_token, "query($a: String) { workOrders(after: $a) { nodes { id } } }", {"a": cursor}
    )
    assert error_code(result) == "BAD_USER_INPUT"


class TestIsolation:
    """A token reads its own connection only: not another connection's, not another organization's."""

    def test_other_connection_and_organization_ids_are_not_found(self, gateway, upkeep_sandbox):
        org_a, org_b = gateway.new_org(), gateway.new_org()
        token_a1 = data(gateway.connect(org_a, upkeep_sandbox.url, name="A1"))["createConnection"]["token"]
        token_a2 = data(gateway.connect(org_a, upkeep_sandbox.url, name="A2"))["createConnection"]["token"]
        token_b = data(gateway.connect(org_b, upkeep_sandbox.url, name="B"))["createConnection"]["token"]
        query = "{ connection { id name } workOrders(first: 3) { nodes { id } } }"
        seen = {t: data(gateway.gql(t, query)) for t in (token_a1, token_a2, token_b)}
        assert seen[token_a1]["connection"]["name"] == "A1" and seen[token_b]["connection"]["name"] == "B"
        foreign_ids = [n["id"] for t in (token_a2, token_b) for n in seen[t]["workOrders"]["nodes"]]
        own_ids = {n["id"] for n in seen[token_a1]["workOrders"]["nodes"]}
        assert own_ids.isdisjoint(foreign_ids)  # ids are per connection
        for foreign in foreign_ids:
            answer = data(
                gateway.gql(
                    token_a1, "query($id: ID!) { node(id: $id) { id } workOrder(id: $id) { id } }", {"id": foreign}
                )
            )
            assert answer == {"node": None, "workOrder": None}

    def test_admin_key_cannot_reach_another_organizations_connection(self, gateway, upkeep_sandbox):
        org_a, org_b = gateway.new_org(), gateway.new_org()
        conn_b = data(gateway.connect(org_b, upkeep_sandbox.url))["createConnection"]["connection"]["id"]
        result = gateway.gql(org_a, "query($id: ID!) { connection(id: $id) { id } }", {"id": conn_b})
        assert error_code(result) == "NOT_FOUND"
        assert (
            error_code(gateway.gql(org_a, "mutation($id: ID!) { disconnect(id: $id) { id } }", {"id": conn_b}))
            == "NOT_FOUND"
        )
        listed = data(gateway.gql(org_a, "{ connections { totalCount nodes { id } } }"))["connections"]
        assert listed == {"totalCount": 0, "nodes": []}

    def test_tokens_do_not_open_the_other_schema(self, sqlite_gateway, admin_key, connection_token):
        assert error_code(sqlite_gateway.gql(connection_token, "{ credits { total } }")) == "BAD_USER_INPUT"
        assert error_code(sqlite_gateway.gql(admin_key, "{ workOrders { nodes { id } } }")) == "BAD_USER_INPUT"
        assert error_code(sqlite_gateway.gql(None, "{ workOrders { nodes { id } } }")) == "UNAUTHENTICATED"
        assert error_code(sqlite_gateway.gql("pg_conn_forged", "{ workOrders { nodes { id } } }")) == "UNAUTHENTICATED"


def test_one_failing_list_leaves_the_other_fields_of_the_answer(sqlite_gateway, connection_token):
    """A list that fails (here: a cursor of another list) is null with its error; work orders still come back."""
    answer = sqlite_gateway.gql(
        connection_token, '{ workOrders(first: 2) { nodes { number } } vendors(after: "nope") { nodes { name } } }'
    )
    assert len(answer["data"]["workOrders"]["nodes"]) == 2
    assert answer["data"]["vendors"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in answer["errors"]] == [(["vendors"], "BAD_USER_INPUT")]
