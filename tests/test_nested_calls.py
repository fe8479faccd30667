"""A nested query costs one upstream call per entity type and page, or per distinct id: never per row."""

from __future__ import annotations

from collections import Counter

import httpx

from sandboxes.kit import ServerThread
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
