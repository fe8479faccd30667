"""Malformed HTTP requests get a clear 4xx with a code, never a 500."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    "method, kwargs, status",
    [
        ("POST", {"content": b"{bad", "headers": {"content-type": "application/json"}}, 400),
        ("POST", {"json": {}}, 400),
        ("GET", {"params": {"query": 'mutation { disconnect(id: "x") { id } }'}}, 405),
    ],
)
def test_malformed_requests(sqlite_gateway, admin_key, method, kwargs, status):
    headers = {"Authorization": f"Bearer {admin_key}", **kwargs.pop("headers", {})}
    response = httpx.request(method, f"{sqlite_gateway.url}/graphql", headers=headers, **kwargs)
    assert response.status_code == status
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert response.headers["x-request-id"] == body["errors"][0]["extensions"]["requestId"]


def test_bad_variable_value_is_bad_user_input(sqlite_gateway, admin_key):
    result = sqlite_gateway.gql(admin_key, "query($t: Int) { systems(tier: $t) { key } }", {"t": "abc"})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_queries_work_over_get(sqlite_gateway, admin_key):
    response = httpx.get(
        f"{sqlite_gateway.url}/graphql",
        params={"query": "{ credits { total } }"},
        headers={"Authorization": f"Bearer {admin_key}"},
    )
    assert response.status_code == 200 and response.json()["data"]["credits"]["total"] == 100


def test_missing_or_foreign_scheme_is_401(sqlite_gateway):
    response = httpx.post(
        f"{sqlite_gateway.url}/graphql", json={"query": "{ x }"}, headers={"Authorization": "Basic abc"}
    )
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_request_id_is_echoed(sqlite_gateway, admin_key):
    response = httpx.post(
        f"{sqlite_gateway.url}/graphql",
        json={"query": "{ credits { total } }"},
        headers={"Authorization": f"Bearer {admin_key}", "X-Request-Id": "trace-123"},
    )
    assert response.headers["x-request-id"] == "trace-123"


# -- GraphQL over HTTP: media types and status codes ------------------------------

GRAPHQL_RESPONSE = "application/graphql-response+json"


def post(gateway, key, body=None, accept=GRAPHQL_RESPONSE, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}", "Accept": accept, **kwargs.pop("headers", {})}
    if body is not None:
        kwargs["json"] = body
    return httpx.post(f"{gateway.url}/graphql", headers=headers, **kwargs)


@pytest.mark.parametrize(
    "query, variables",
    [
        ("{ credits { total ", None),  # does not parse
        ("{ credits { nope } }", None),  # does not validate
        ("query($t: Int) { systems(tier: $t) { key } }", {"t": "abc"}),  # variables do not coerce
    ],
)
def test_request_errors_are_400_without_data_under_graphql_response_json(sqlite_gateway, admin_key, query, variables):
    response = post(sqlite_gateway, admin_key, {"query": query, "variables": variables})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert "data" not in body and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("accept", [None, "application/json", "*/*", f"application/json, {GRAPHQL_RESPONSE};q=0.5"])
def test_legacy_json_clients_get_200_with_errors(sqlite_gateway, admin_key, accept):
    headers = {"Authorization": f"Bearer {admin_key}"} | ({"Accept": accept} if accept else {})
    response = httpx.post(f"{sqlite_gateway.url}/graphql", json={"query": "{ credits { nope } }"}, headers=headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_success_and_field_errors_are_200_with_data(sqlite_gateway, admin_key):
    ok = post(sqlite_gateway, admin_key, {"query": "{ credits { total } }"})
    assert ok.status_code == 200 and ok.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert ok.json() == {"data": {"credits": {"total": 100}}}
    missing = post(sqlite_gateway, admin_key, {"query": 'mutation { disconnect(id: "nope") { id } }'})
    assert missing.status_code == 200  # executed: a field error, data present (null)
    assert "data" in missing.json() and missing.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "kwargs, status, message",
    [
        (
            {"content": b'{"query": "{ credits { total } }"}', "headers": {"content-type": "text/plain"}},
            415,
            "application/json",
        ),
        ({"content": b'{"query": "{ credits { total } }"}'}, 415, "no content type"),
        ({"content": b"[1, 2]", "headers": {"content-type": "application/json"}}, 400, "batching"),
        ({"json": {"query": 42}}, 400, "'query' must be a string"),
        ({"json": {"query": "{ credits { total } }", "variables": [1]}}, 400, "'variables' must be an object"),
        ({"json": {"query": "{ credits { total } }", "operationName": 1}}, 400, "'operationName' must be a string"),
        ({"json": {"query": "{ credits { total } }", "extensions": "x"}}, 400, "'extensions' must be an object"),
        ({"content": b"\xff\xfe", "headers": {"content-type": "application/json"}}, 400, "not valid JSON"),
    ],
)
def test_malformed_requests_are_clear_4xx(sqlite_gateway, admin_key, kwargs, status, message):
    for accept in (GRAPHQL_RESPONSE, "application/json"):
        response = post(sqlite_gateway, admin_key, accept=accept, **dict(kwargs))
        assert response.status_code == status, response.text
        error = response.json()["errors"][0]
        assert message in error["message"] and error["extensions"]["code"] == "BAD_USER_INPUT"


def test_get_is_for_queries_only(sqlite_gateway, admin_key):
    url, headers = f"{sqlite_gateway.url}/graphql", {"Authorization": f"Bearer {admin_key}", "Accept": GRAPHQL_RESPONSE}
    mutation = httpx.get(url, params={"query": 'mutation { disconnect(id: "x") { id } }'}, headers=headers)
    assert mutation.status_code == 405 and mutation.headers["allow"] == "POST"
    named = 'query Q { credits { total } } mutation M { disconnect(id: "x") { id } }'
    chosen = httpx.get(url, params={"query": named, "operationName": "M"}, headers=headers)
    assert chosen.status_code == 405
    query = httpx.get(url, params={"query": named, "operationName": "Q"}, headers=headers)
    assert query.status_code == 200 and query.json()["data"]["credits"]["total"] == 100
    variables = httpx.get(
        url, params={"query": "query($t: Int) { systems(tier: $t) { tier } }", "variables": '{"t": 1}'}, headers=headers
    )
    assert variables.status_code == 200 and {s["tier"] for s in variables.json()["data"]["systems"]} == {1}
    bad = httpx.get(url, params={"query": "{ credits { total } }", "variables": "{nope"}, headers=headers)
    assert bad.status_code == 400 and "'variables' parameter is not valid JSON" in bad.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "body, message",
    [
        ({"query": "query A { credits { total } } query B { credits { total } }"}, "send 'operationName'"),
        ({"query": "query A { credits { total } }", "operationName": "Z"}, "no operation named 'Z'"),
        ({"query": "subscription { connectionStatusChanged { status } }"}, "WebSocket"),
    ],
)
def test_operations_that_cannot_run_over_http_are_request_errors(sqlite_gateway, admin_key, body, message):
    response = post(sqlite_gateway, admin_key, body)
    assert response.status_code == 400 and "data" not in response.json()
    assert message in response.json()["errors"][0]["message"]


def test_401_keeps_its_status_and_challenge_under_graphql_response_json(sqlite_gateway):
    response = post(sqlite_gateway, "pg_admin_forged", {"query": "{ credits { total } }"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
