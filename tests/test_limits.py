"""Cost limits and automatic persisted queries: each abuse is refused before it runs, with BAD_USER_INPUT."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import Gateway, _start_gateway
from tests.helpers import data, error_code

GRAPHQL_RESPONSE = "application/graphql-response+json"


def post(gateway: Gateway, token: str, body: dict, accept: str = GRAPHQL_RESPONSE) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Accept": accept}
    return httpx.post(f"{gateway.url}/graphql", json=body, headers=headers, timeout=30)


def refused(response: httpx.Response, limit: str) -> str:
    """The message of a request refused for `limit`, checked to be a 400 with no data."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert "data" not in body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["limit"] == limit, error
    return error["message"]


def test_deep_query_is_refused(sqlite_gateway, connection_token):
    deep = "parent { " * 16 + "name" + " }" * 16
    response = post(sqlite_gateway, connection_token, {"query": f"{{ locations {{ nodes {{ {deep} }} }} }}"})
    assert "exceeds maximum operation depth of 15" in refused(response, "maxDepth")
    fine = "parent { " * 3 + "name" + " }" * 3
    data(
        post(sqlite_gateway, connection_token, {"query": f"{{ locations(first: 2) {{ nodes {{ {fine} }} }} }}"}).json()
    )


def test_alias_bomb_is_refused(sqlite_gateway, admin_key):
    bomb = " ".join(f"a{i}: credits {{ total }}" for i in range(51))
    assert "51 aliases found. Allowed: 50" in refused(
        post(sqlite_gateway, admin_key, {"query": f"{{ {bomb} }}"}), "maxAliases"
    )


def test_huge_token_count_is_refused(sqlite_gateway, admin_key):
    huge = "{ credits { " + "total " * 5000 + "} }"
    assert "more than 5000 tokens" in refused(post(sqlite_gateway, admin_key, {"query": huge}), "maxTokens")


def test_list_size_times_nesting_over_the_budget_is_refused(sqlite_gateway, connection_token):
    fields = "id remoteId title status priority dueDate asset { id name location { id name } } assignees { id name }"
    # 12 aliases x 200 records x 14 fields: ~34,000 > 20,000, though each piece alone is modest.
    query = " ".join(f"w{i}: workOrders(first: 200) {{ nodes {{ {fields} }} }}" for i in range(12))
    assert "more than the budget of 20000" in refused(
        post(sqlite_gateway, connection_token, {"query": f"{{ {query} }}"}), "maxComplexity"
    )
    # The same through a variable: `first` is read from the variables.
    varied = " ".join(f"w{i}: workOrders(first: $n) {{ nodes {{ {fields} }} }}" for i in range(12))
    response = post(
        sqlite_gateway, connection_token, {"query": f"query($n: Int) {{ {varied} }}", "variables": {"n": 200}}
    )
    refused(response, "maxComplexity")
    small = post(sqlite_gateway, connection_token, {"query": f"query($n: Int) {{ {varied} }}", "variables": {"n": 2}})
    assert small.status_code == 200 and len(data(small.json())["w0"]["nodes"]) == 2


@pytest.mark.parametrize("first", [201, 0, -5])
def test_first_outside_the_page_cap_is_refused_before_any_upstream_call(sqlite_gateway, connection_token, first):
    response = post(
        sqlite_gateway, connection_token, {"query": f"{{ workOrders(first: {first}) {{ nodes {{ id }} }} }}"}
    )
    assert "'first' must be between 1 and 200" in refused(response, "maxPageSize")


def test_limits_apply_to_legacy_json_clients_with_200(sqlite_gateway, admin_key):
    bomb = " ".join(f"a{i}: credits {{ total }}" for i in range(51))
    response = post(sqlite_gateway, admin_key, {"query": f"{{ {bomb} }}"}, accept="application/json")
    assert response.status_code == 200 and error_code(response.json()) == "BAD_USER_INPUT"


# -- introspection switched off for connection tokens -------------------------------


@pytest.fixture(scope="module")
def closed_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gw-closed")
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", introspection_for_connections=False)


def test_introspection_can_be_switched_off_for_connection_tokens(closed_gateway, upkeep_sandbox):
    admin = closed_gateway.new_org()
    token = data(closed_gateway.connect(admin, upkeep_sandbox.url))["createConnection"]["token"]
    for query in ("{ __schema { types { name } } }", '{ __type(name: "WorkOrder") { fields { name } } }'):
        assert "introspection" in refused(post(closed_gateway, token, {"query": query}), "introspection").lower()
    assert data(post(closed_gateway, token, {"query": "{ connection { __typename } }"}).json())
    assert data(post(closed_gateway, admin, {"query": "{ __schema { queryType { name } } }"}).json())  # admins keep it


def test_introspection_is_on_for_connection_tokens_by_default(sqlite_gateway, connection_token):
    result = data(post(sqlite_gateway, connection_token, {"query": "{ __schema { queryType { name } } }"}).json())
    assert result["__schema"]["queryType"]["name"] == "Query"


# -- automatic persisted queries -----------------------------------------------------


def apq(query: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}}


def test_automatic_persisted_query_round_trip(sqlite_gateway, admin_key):
    query = "query Pool { credits { total available } }"
    unknown = post(sqlite_gateway, admin_key, {"extensions": apq(query)}, accept="application/json")
    assert unknown.status_code == 200 and error_code(unknown.json()) == "PERSISTED_QUERY_NOT_FOUND"
    assert unknown.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    registered = post(sqlite_gateway, admin_key, {"query": query, "extensions": apq(query)})
    assert data(registered.json())["credits"]["total"] == 100
    by_hash = post(sqlite_gateway, admin_key, {"extensions": apq(query)})
    assert by_hash.status_code == 200 and data(by_hash.json())["credits"]["total"] == 100
    over_get = httpx.get(
        f"{sqlite_gateway.url}/graphql",
        params={"extensions": json.dumps(apq(query))},
        headers={"Authorization": f"Bearer {admin_key}"},
    )
    assert over_get.status_code == 200 and data(over_get.json())["credits"]["total"] == 100
    stranger = sqlite_gateway.new_org()  # another organization does not share the store
    assert error_code(post(sqlite_gateway, stranger, {"extensions": apq(query)}).json()) == "PERSISTED_QUERY_NOT_FOUND"


def test_persisted_query_hash_mismatch_and_bad_shapes(sqlite_gateway, admin_key):
    query = "{ credits { total } }"
    mismatch = post(sqlite_gateway, admin_key, {"query": query, "extensions": apq("{ credits { available } }")})
    assert mismatch.status_code == 400 and "does not match" in mismatch.json()["errors"][0]["message"]
    assert error_code(mismatch.json()) == "BAD_USER_INPUT"
    for bad in ({"version": 2, "sha256Hash": "0" * 64}, {"version": 1, "sha256Hash": "xyz"}, "nope"):
        response = post(sqlite_gateway, admin_key, {"query": query, "extensions": {"persistedQuery": bad}})
        assert response.status_code == 400 and error_code(response.json()) == "BAD_USER_INPUT"


def test_invalid_documents_are_not_persisted_and_mutations_stay_off_get(sqlite_gateway, admin_key):
    invalid = "{ credits { nope } }"
    assert post(sqlite_gateway, admin_key, {"query": invalid, "extensions": apq(invalid)}).status_code == 400
    assert (
        error_code(post(sqlite_gateway, admin_key, {"extensions": apq(invalid)}).json()) == "PERSISTED_QUERY_NOT_FOUND"
    )
    mutation = 'mutation { disconnect(id: "x") { id } }'
    post(sqlite_gateway, admin_key, {"query": mutation, "extensions": apq(mutation)})
    over_get = httpx.get(
        f"{sqlite_gateway.url}/graphql",
        params={"extensions": json.dumps(apq(mutation))},
        headers={"Authorization": f"Bearer {admin_key}"},
    )
    assert over_get.status_code == 405
