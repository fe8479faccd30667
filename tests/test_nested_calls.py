"""A nested query costs one upstream call per entity type and page, or per distinct id: never per row."""

from __future__ import annotations

from collections import Counter

import httpx

from sandboxes.kit import ServerThread
from sandboxes.oracle_fusion.app import PREFIX as FUSION
from sandboxes.oracle_fusion.app import SANDBOX as FUSION_SANDBOX
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.helpers import data

NESTED = "{ workOrders(first: 100) { nodes { number asset { name location { name } } location { name } } } }"


def test_nested_query_fetches_each_distinct_id_once(sqlite_gateway, admin_key):
    with ServerThread(create_upkeep_sandbox()) as sandbox:
        token = data(sqlite_gateway.connect(admin_key, sandbox.url))["createConnection"]["token"]
        data(sqlite_gateway.gql(token, "{ users(first: 1) { nodes { id } } }"))  # logged in already
        httpx.delete(f"{sandbox.url}/__sandbox/requests")

        nodes = data(sqlite_gateway.gql(token, NESTED))["workOrders"]["nodes"]
        calls = httpx.get(f"{sandbox.url}/__sandbox/requests").json()

    dataset = sandbox.app.state.data
    raw = {r["workOrderNo"]: r for r in dataset.records("work-orders")}
    assets = {raw[n["number"]]["asset"] for n in nodes} - {None}
    locations = (
        {dataset.get("assets", a)["location"] for a in assets} | {raw[n["number"]]["location"] for n in nodes}
    ) - {None}
    by_kind = Counter(c["path"].split("/")[3] + ("/id" if c["path"].count("/") > 3 else "") for c in calls)
    assert by_kind == {"work-orders": 1, "assets/id": len(assets), "locations/id": len(locations)}
    assert len(nodes) == 100 and len(assets) < 100  # shared assets are fetched once, not per row
    paths = [c["path"] for c in calls]
    assert len(paths) == len(set(paths))


FUSION_NESTED = "{ workOrders(first: 100) { nodes { remoteId asset { remoteId parent { remoteId } } } } }"


def test_oracle_fusion_nested_query_is_one_q_in_call_per_related_resource(sqlite_gateway, admin_key):
    """Oracle Fusion: the work orders, then one `q=AssetId IN (…)` naming each distinct asset once, then one
    for the parents not read yet: three calls for a hundred rows, read from the sandbox's log."""
    with ServerThread(FUSION_SANDBOX.create_app()) as sandbox:
        connected = sqlite_gateway.connect(
            admin_key, sandbox.url, system="oracle_fusion", hosting="CLOUD", credentials=FUSION_SANDBOX.credentials
        )
        token = data(connected)["createConnection"]["token"]
        httpx.delete(f"{sandbox.url}/__sandbox/requests")
        nodes = data(sqlite_gateway.gql(token, FUSION_NESTED))["workOrders"]["nodes"]
        calls = httpx.get(f"{sandbox.url}/__sandbox/requests").json()

    assets = {n["asset"]["remoteId"] for n in nodes if n["asset"]}
    parents = {n["asset"]["parent"]["remoteId"] for n in nodes if n["asset"] and n["asset"]["parent"]}
    assert len(nodes) == 100 and len(assets) < 100 and parents - assets
    paths = [c["path"].removeprefix(FUSION) for c in calls]
    assert paths == ["/maintenanceWorkOrders", "/installedBaseAssets", "/installedBaseAssets"]
    asked = [c["query"]["q"] for c in calls[1:]]
    # each distinct id once, in one call; a parent read already as a work order's asset is not read again
    assert [_in_list(q, "AssetId") for q in asked] == [assets, parents - assets]


def _in_list(q: str, key: str) -> set[str]:
    """The ids of a `<key> IN (1, 2, …)` expression; an id named twice would fail the comparison."""
    prefix = f"{key} IN ("
    assert q.startswith(prefix) and q.endswith(")"), q
    ids = q[len(prefix) : -1].split(", ")
    assert len(ids) == len(set(ids)), q
    return set(ids)
