"""A live list maps only the fields its query selects; every read of a record still sees all it asks for."""

from __future__ import annotations

import httpx
import pytest

from connectors.mapping import EntityMap
from connectors.selection import mapping_only
from connectors.upkeep.connector import ASSETS, LOCATIONS, WORK_ORDERS
from sandboxes.kit import ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.helpers import data

RESOURCES = {"Location": "locations", "Asset": "assets", "WorkOrder": "work-orders"}


@pytest.mark.parametrize("mapping", [WORK_ORDERS, ASSETS, LOCATIONS], ids=lambda m: m.entity)
@pytest.mark.parametrize(
    "names", [{"number", "title", "statusRaw", "dueDate"}, {"remoteVersion"}, {"displayValue", "createdAt"}, set()]
)
def test_mapping_for_some_fields_gives_those_and_completes_to_the_whole_record(
    mapping: EntityMap, names: set[str]
) -> None:
    rows = create_upkeep_sandbox().state.data.records(RESOURCES[mapping.entity])
    for raw in rows:
        whole = mapping.map(raw).values
        with mapping_only(mapping.entity, frozenset(names)):
            some = mapping.map(raw)
        wanted = {n for n in whole if n in names or f"{n}Raw" in names} | {"remoteId", "deletedAt"}
        assert some.values == {n: whole[n] for n in wanted}
        assert some.complete().values == whole
    with mapping_only("SomeOtherEntity", frozenset()):
        assert mapping.map(rows[0]).values == mapping.map(rows[0]).complete().values  # other entities: whole


def test_parents_read_from_a_list_that_selected_few_of_their_fields_have_all_they_ask_for(
    sqlite_gateway, admin_key
) -> None:
    """Records a list maps for its selection serve later loads of the same entity (here each location's
    parent, from the same page) complete: without a call of their own, with the fields the list skipped."""
    with ServerThread(create_upkeep_sandbox()) as sandbox:
        token = data(sqlite_gateway.connect(admin_key, sandbox.url))["createConnection"]["token"]
        every = "{ locations(first: 100) { nodes { remoteId name address displayValue updatedAt remoteVersion } } }"
        whole = {n["remoteId"]: n for n in data(sqlite_gateway.gql(token, every))["locations"]["nodes"]}
        httpx.delete(f"{sandbox.url}/__sandbox/requests")

        query = (
            "{ locations(first: 100) { nodes { remoteId parent { remoteId name address displayValue updatedAt } } } }"
        )
        nodes = data(sqlite_gateway.gql(token, query))["locations"]["nodes"]
        calls = httpx.get(f"{sandbox.url}/__sandbox/requests").json()

    raw = {r["id"]: r for r in sandbox.app.state.data.records("locations")}
    parents = [n["parent"] for n in nodes if n["parent"] is not None]
    assert len(nodes) == len(raw) and len(parents) == sum(1 for r in raw.values() if r["parentLocation"])
    assert any(p["address"] for p in parents)
    for node in nodes:
        parent_id = raw[node["remoteId"]]["parentLocation"]
        fields = ("remoteId", "name", "address", "displayValue", "updatedAt")
        assert node["parent"] == ({k: whole[parent_id][k] for k in fields} if parent_id else None)
    assert [c["path"].rsplit("/", 1)[-1] for c in calls] == ["locations"]  # parents came from the list itself


def test_fields_selected_through_fragments_and_edges_are_mapped(connection_token, sqlite_gateway) -> None:
    every = "{ workOrders(first: 20) { nodes { remoteId number title status statusRaw dueDate displayValue } } }"
    expected = data(sqlite_gateway.gql(connection_token, every))["workOrders"]["nodes"]
    query = """
        query { workOrders(first: 20) { ...Page } }
        fragment Page on WorkOrderConnection { edges { node { remoteId ...Fields ... on WorkOrder { displayValue } } } }
        fragment Fields on WorkOrder { number title ... on WorkOrder { status statusRaw } dueDate }
    """
    edges = data(sqlite_gateway.gql(connection_token, query))["workOrders"]["edges"]
    assert [e["node"] for e in edges] == expected
    assert all(any(e["node"][k] for e in edges) for k in expected[0])  # values compared, not nulls
