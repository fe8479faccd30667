"""Relay paging both ways: first/after forward, last/before backward, with full PageInfo."""

from __future__ import annotations

from tests.helpers import data, error_code

PAGE = """query($first: Int, $after: String, $last: Int, $before: String, $source: Source!) {
  workOrders(first: $first, after: $after, last: $last, before: $before, source: $source) {
    edges { cursor node { remoteId } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


def walk(gateway, token: str, source: str, backward: bool, size: int) -> list[str]:
    """Every work order, page by page in one direction; checks PageInfo on the way."""
    seen: list[str] = []
    cursor = None
    for _ in range(500):
        variables = {
            "source": source,
            **({"last": size, "before": cursor} if backward else {"first": size, "after": cursor}),
        }
        page = data(gateway.gql(token, PAGE, variables))["workOrders"]
        ids = [e["node"]["remoteId"] for e in page["edges"]]
        info = page["pageInfo"]
        assert info["startCursor"] == (page["edges"][0]["cursor"] if ids else None)
        assert info["endCursor"] == (page["edges"][-1]["cursor"] if ids else None)
        seen = ids + seen if backward else seen + ids
        more = info["hasPreviousPage"] if backward else info["hasNextPage"]
        if not more:
            return seen
        cursor = info["startCursor"] if backward else info["endCursor"]
    raise AssertionError("paging did not end")


def test_live_paging_backward_returns_every_record_once_in_the_same_order(
    sqlite_gateway, connection_token, upkeep_sandbox
):
    forward = walk(sqlite_gateway, connection_token, "LIVE", backward=False, size=97)
    backward = walk(sqlite_gateway, connection_token, "LIVE", backward=True, size=97)
    assert len(forward) == len(set(forward)) == len(upkeep_sandbox.app.state.data.records("work-orders"))
    assert backward == forward


def test_a_before_cursor_from_any_page_size_pages_backward_from_that_record(sqlite_gateway, connection_token):
    first = data(sqlite_gateway.gql(connection_token, PAGE, {"source": "LIVE", "first": 30}))["workOrders"]
    ids = [e["node"]["remoteId"] for e in first["edges"]]
    before = data(
        sqlite_gateway.gql(
            connection_token, PAGE, {"source": "LIVE", "last": 5, "before": first["edges"][20]["cursor"]}
        )
    )
    page = before["workOrders"]
    assert [e["node"]["remoteId"] for e in page["edges"]] == ids[15:20]
    assert page["pageInfo"]["hasPreviousPage"] and page["pageInfo"]["hasNextPage"]


def test_forward_and_backward_arguments_do_not_mix(sqlite_gateway, connection_token):
    mixed = sqlite_gateway.gql(connection_token, PAGE, {"source": "LIVE", "first": 2, "last": 2})
    assert error_code(mixed) == "BAD_USER_INPUT"
    assert error_code(sqlite_gateway.gql(connection_token, PAGE, {"source": "LIVE", "last": 0})) == "BAD_USER_INPUT"
