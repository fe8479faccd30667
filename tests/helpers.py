"""Small helpers shared by tests (no fixtures here: see conftest)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from websockets.typing import Subprotocol

from sandboxes.kit import ServerThread

WS_PROTOCOL = Subprotocol("graphql-transport-ws")  # the subprotocol every WebSocket test speaks

ENTITY_RESOURCES = {
    "workOrders": "work-orders",
    "assets": "assets",
    "locations": "locations",
    "maintenanceRequests": "requests",
    "parts": "parts",
    "vendors": "vendors",
    "purchaseOrders": "purchase-orders",
    "users": "users",
}


def data(result: dict[str, Any]) -> dict[str, Any]:
    """The data of a successful GraphQL answer (fails the test with the errors otherwise)."""
    assert not result.get("errors"), result.get("errors")
    return result["data"]


def error_code(result: dict[str, Any]) -> str:
    assert result.get("errors"), f"expected an error, got {result}"
    return result["errors"][0]["extensions"]["code"]


def page_all(
    gateway: Any,
    token: str,
    field: str,
    selection: str,
    first: int = 200,
    filter: dict | None = None,
    source: str = "LIVE",
) -> list[dict]:
    """Every node of a list field, following endCursor to the end."""
    nodes: list[dict] = []
    after = None
    for _ in range(1000):
        result = gateway.gql(
            token,
            f"query($first: Int, $after: String, $filter: {filter_type(field)}, $source: Source!) "
            f"{{ {field}(first: $first, after: $after, filter: $filter, source: $source) "
            f"{{ nodes {{ {selection} }} pageInfo {{ hasNextPage endCursor }} }} }}",
            {"first": first, "after": after, "filter": filter, "source": source},
        )
        page = data(result)[field]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("paging did not end")


def filter_type(field: str) -> str:
    singular = {"maintenanceRequests": "MaintenanceRequest"}.get(field) or field[0].upper() + field[1:-1]
    return f"{singular}Filter"


def wait_until(check: Callable[[], Any], timeout: float = 30.0, every: float = 0.05, what: str = "condition") -> Any:
    """Poll `check` until it is truthy (and return that); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"{what} not met within {timeout} s")


async def list_all(
    connector: Any, entity: str, query: Any = None, limit: int = 50, cursor: str | None = None
) -> list[Any]:
    """Every record a connector lists for `query`, page by page from `cursor`."""
    from connectors.base import ListQuery

    records: list[Any] = []
    while True:
        page = await connector.list_page(entity, query or ListQuery(), cursor, limit)
        records += page.records
        if page.next_cursor is None:
            return records
        cursor = page.next_cursor


def remote_ids(records: list[Any]) -> list[str]:
    return [r.remote_id for r in records]


def type_fields(gateway: Any, token: str, type_name: str) -> set[str]:
    """The fields of one type in the schema a token is served (a connection's: shaped by its system)."""
    found = data(gateway.gql(token, f'{{ __type(name: "{type_name}") {{ fields {{ name }} }} }}'))
    return {f["name"] for f in found["__type"]["fields"]}


def own_sandbox(request: Any, create_app: Callable[..., Any]) -> Iterator[ServerThread]:
    """A sandbox served for one test; `@pytest.mark.parametrize("sandbox", [{...}], indirect=True)` passes
    `create_app` its options (a shorter token lifetime, a smaller server page)."""
    with ServerThread(create_app(**getattr(request, "param", {}))) as server:
        yield server
