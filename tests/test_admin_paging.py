"""The admin schema's lists page the Relay way: keyset cursors forward and backward, nothing skipped or repeated."""

from __future__ import annotations

import pytest

from tests.helpers import data, error_code

PAGE = """query($first: Int, $after: String, $last: Int, $before: String, $m: JSON) {
  connections(first: $first, after: $after, last: $last, before: $before, metadata: $m) {
    totalCount nodes { name } edges { cursor node { name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


def page(gateway, key, **variables):
    return data(gateway.gql(key, PAGE, variables))["connections"]


@pytest.mark.slow
def test_paging_forward_and_backward_through_25_connections(gateway, upkeep_sandbox):
    key = gateway.new_org(credits=30)
    names = [f"c{i:02d}" for i in range(25)]
    for i, name in enumerate(names):
        data(gateway.connect(key, upkeep_sandbox.url, name=name, metadata={"batch": "b", "odd": str(i % 2)}))

    seen, after, infos = [], None, []
    while True:
        got = page(gateway, key, first=7, after=after)
        assert got["totalCount"] == 25
        assert [e["node"]["name"] for e in got["edges"]] == [n["name"] for n in got["nodes"]]
        seen += [n["name"] for n in got["nodes"]]
        infos.append(got["pageInfo"])
        assert got["pageInfo"]["startCursor"] == got["edges"][0]["cursor"]
        assert got["pageInfo"]["endCursor"] == got["edges"][-1]["cursor"]
        if not got["pageInfo"]["hasNextPage"]:
            break
        after = got["pageInfo"]["endCursor"]
    assert seen == names  # oldest first, nothing skipped or repeated
    flags = [(i["hasPreviousPage"], i["hasNextPage"]) for i in infos]
    assert flags == [(False, True), (True, True), (True, True), (True, False)]

    seen, before, infos = [], None, []
    while True:
        got = page(gateway, key, last=7, before=before)
        seen = [n["name"] for n in got["nodes"]] + seen
        infos.append(got["pageInfo"])
        if not got["pageInfo"]["hasPreviousPage"]:
            break
        before = got["pageInfo"]["startCursor"]
    assert seen == names
    flags = [(i["hasPreviousPage"], i["hasNextPage"]) for i in infos]
    assert flags == [(True, False), (True, True), (True, True), (False, True)]

    # A window between two cursors, and the metadata filter applied with paging.
    full = page(gateway, key, first=25)["edges"]
    between = page(gateway, key, first=10, after=full[4]["cursor"], before=full[9]["cursor"])
    assert [n["name"] for n in between["nodes"]] == names[5:9] and not between["pageInfo"]["hasNextPage"]
    odd = page(gateway, key, first=5, m={"odd": "1"})
    assert odd["totalCount"] == 12 and [n["name"] for n in odd["nodes"]] == names[1:10:2]
    rest = page(gateway, key, first=10, after=odd["pageInfo"]["endCursor"], m={"odd": "1"})
    assert [n["name"] for n in rest["nodes"]] == names[11::2] and not rest["pageInfo"]["hasNextPage"]


def test_offset_still_pages_and_bad_paging_is_bad_user_input(sqlite_gateway, upkeep_sandbox):
    key = sqlite_gateway.new_org(credits=5)
    for name in ("a", "b", "c"):
        data(sqlite_gateway.connect(key, upkeep_sandbox.url, name=name))
    legacy = data(sqlite_gateway.gql(key, "{ connections(first: 1, offset: 1) { totalCount nodes { name } } }"))
    assert legacy["connections"] == {"totalCount": 3, "nodes": [{"name": "b"}]}
    for args in ("first: 0", "last: 201", "first: 1, last: 1", 'after: "nonsense"', "offset: -1", "last: 1, offset: 1"):
        assert error_code(sqlite_gateway.gql(key, f"{{ connections({args}) {{ totalCount }} }}")) == "BAD_USER_INPUT"
    sessions = data(sqlite_gateway.gql(key, "{ connectSessionsPage(first: 1) { pageInfo { endCursor } } }"))
    assert sessions["connectSessionsPage"]["pageInfo"]["endCursor"] is None
    foreign = data(sqlite_gateway.gql(key, "{ connections(first: 1) { pageInfo { endCursor } } }"))
    cursor = foreign["connections"]["pageInfo"]["endCursor"]
    other_list = "query($a: String) { connectSessionsPage(after: $a) { totalCount } }"
    refused = sqlite_gateway.gql(key, other_list, {"a": cursor})
    assert error_code(refused) == "BAD_USER_INPUT"


def test_the_ledger_pages_newest_first(sqlite_gateway, upkeep_sandbox):
    key = sqlite_gateway.new_org(credits=5)
    for name in ("a", "b", "c"):
        data(sqlite_gateway.connect(key, upkeep_sandbox.url, name=name))
    query = """query($after: String, $before: String, $last: Int) { credits { ledger { id }
      ledgerPage(first: 2, after: $after) { totalCount nodes { id } pageInfo { hasNextPage hasPreviousPage endCursor } }
      back: ledgerPage(last: $last, before: $before) { nodes { id } pageInfo { hasNextPage hasPreviousPage } } } }"""
    credits = data(sqlite_gateway.gql(key, query, {"last": 1}))["credits"]
    newest = [e["id"] for e in credits["ledger"]]
    first = credits["ledgerPage"]
    assert first["totalCount"] == 3 and [e["id"] for e in first["nodes"]] == newest[:2]
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    assert [e["id"] for e in credits["back"]["nodes"]] == newest[2:]
    rest = data(
        sqlite_gateway.gql(
            key, query, {"after": first["pageInfo"]["endCursor"], "last": 1, "before": first["pageInfo"]["endCursor"]}
        )
    )["credits"]
    assert [e["id"] for e in rest["ledgerPage"]["nodes"]] == newest[2:]
    assert rest["ledgerPage"]["pageInfo"]["hasPreviousPage"] and not rest["ledgerPage"]["pageInfo"]["hasNextPage"]
    assert [e["id"] for e in rest["back"]["nodes"]] == newest[:1]
    assert rest["back"]["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False}


def test_webhook_deliveries_page_newest_first(tmp_path):
    from tests.conftest import _start_gateway
    from tests.test_webhooks import HOOKS, endpoint, free_port

    for gateway in _start_gateway(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", "sqlite", **HOOKS):
        admin = gateway.new_org()
        endpoint_id, _ = endpoint(gateway, admin, f"http://127.0.0.1:{free_port()}/hook")
        sent = [
            data(
                gateway.gql(admin, "mutation($e: ID!) { sendTestWebhook(endpointId: $e) { id } }", {"e": endpoint_id})
            )["sendTestWebhook"]["id"]
            for _ in range(3)
        ]
        query = """query($after: String) { webhookEndpoints { deliveriesPage(first: 2, after: $after) {
          totalCount nodes { id eventType log { attemptedAt } } pageInfo { hasNextPage endCursor } } } }"""
        first = data(gateway.gql(admin, query))["webhookEndpoints"][0]["deliveriesPage"]
        rest = data(gateway.gql(admin, query, {"after": first["pageInfo"]["endCursor"]}))["webhookEndpoints"][0]
        ids = [n["id"] for n in first["nodes"] + rest["deliveriesPage"]["nodes"]]
        assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"] and ids == sent[::-1]
        assert {n["eventType"] for n in first["nodes"]} == {"webhook.test"}
