"""Malformed HTTP requests get a clear 4xx with a code, never a 500."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    "method, kwargs, status",
    [
        ("POST", {"content": b"{bad", "headers": {"content-type": "application/json"}}, 400),
        ("POST", {"json": {}}, 400),
        ("GET", {"params": {"query": 'mutation { disconnect(id: "x") { id } }'}}, 400),
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
    response = httpx.get(f"{sqlite_gateway.url}/graphql", params={"query": "{ credits { total } }"},
                         headers={"Authorization": f"Bearer {admin_key}"})
    assert response.status_code == 200 and response.json()["data"]["credits"]["total"] == 100


def test_missing_or_foreign_scheme_is_401(sqlite_gateway):
    response = httpx.post(f"{sqlite_gateway.url}/graphql", json={"query": "{ x }"}, headers={"Authorization": "Basic abc"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_request_id_is_echoed(sqlite_gateway, admin_key):
    response = httpx.post(f"{sqlite_gateway.url}/graphql", json={"query": "{ credits { total } }"},
                          headers={"Authorization": f"Bearer {admin_key}", "X-Request-Id": "trace-123"})
    assert response.headers["x-request-id"] == "trace-123"
