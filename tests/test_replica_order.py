"""`orderBy` on list fields: keyset paging of the replica by (sort value, remote id) both ways, and live
orders refused where the system cannot sort that way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway import replica
from sandboxes.kit import ServerThread
from schema.record import Record
from tests.conftest import Gateway
from tests.helpers import data, error_code, wait_until

pytestmark = pytest.mark.slow  # a scheduler syncing for real, on SQLite and PostgreSQL

PAGE = """query($first: Int, $after: String, $last: Int, $before: String, $source: Source!, $order: WorkOrderOrder) {
  workOrders(first: $first, after: $after, last: $last, before: $before, source: $source, orderBy: $order) {
    edges { cursor node { remoteId } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
T0 = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)


def walk(gateway: Gateway, token: str, order: dict[str, str] | None, backward: bool, size: int) -> list[str]:
    """Every replica work order in `order`, page by page in one direction; checks PageInfo on the way."""
    seen: list[str] = []
    cursor = None
    for _ in range(500):
        page_args = {"last": size, "before": cursor} if backward else {"first": size, "after": cursor}
        variables = {"source": "REPLICA", "order": order, **page_args}
        page = data(gateway.gql(token, PAGE, variables))["workOrders"]
        ids = [e["node"]["remoteId"] for e in page["edges"]]
        info = page["pageInfo"]
        assert info["startCursor"] == (page["edges"][0]["cursor"] if ids else None)
        assert info["endCursor"] == (page["edges"][-1]["cursor"] if ids else None)
        assert info["hasNextPage" if backward else "hasPreviousPage"] == (cursor is not None)
        seen = ids + seen if backward else seen + ids
        if not info["hasPreviousPage" if backward else "hasNextPage"]:
            return seen
        cursor = info["startCursor"] if backward else info["endCursor"]
    raise AssertionError("paging did not end")


def in_order(rows: list[tuple[str, datetime | None]], descending: bool) -> list[str]:
    """Ascending: by value, records without one last, ties by remote id; descending: the exact reverse."""
    ascending = sorted(rows, key=lambda row: (row[1] is None, row[1] or T0, row[0]))
    return [remote_id for remote_id, _ in (ascending[::-1] if descending else ascending)]


def test_replica_pages_by_updated_at_descending_both_ways_with_every_record_once(upkeep_conn, upkeep):
    upkeep_conn.settings(historyDays=0)
    upkeep_conn.trigger(full=True)
    orders = upkeep.app.state.data.records("work-orders")
    count = "{ workOrders(first: 1, source: REPLICA) { totalCount } }"
    gateway, token = upkeep_conn.gateway, upkeep_conn.token
    wait_until(lambda: data(gateway.gql(token, count))["workOrders"]["totalCount"] == len(orders))
    by_update = [(r["id"], datetime.fromisoformat(r["updatedAt"].replace("Z", "+00:00"))) for r in orders]
    expected = in_order(by_update, descending=True)
    assert len({t for _, t in by_update}) < len(orders)  # ties: the remote id decides between them
    order = {"field": "UPDATED_AT", "direction": "DESC"}
    forward = walk(gateway, token, order, backward=False, size=83)
    backward = walk(gateway, token, order, backward=True, size=83)
    assert forward == backward == expected and len(set(forward)) == len(orders)


def test_live_order_is_refused_naming_the_system(upkeep_conn):
    for order in ({"field": "UPDATED_AT", "direction": "DESC"}, {"field": "REMOTE_ID"}):
        result = upkeep_conn.gateway.gql(upkeep_conn.token, PAGE, {"source": "LIVE", "first": 5, "order": order})
        assert error_code(result) == "BAD_USER_INPUT"
        error = result["errors"][0]
        assert "UpKeep" in error["message"] and "source: REPLICA" in error["message"]
        assert error["extensions"]["system"] == "upkeep" and error["extensions"]["field"] == "orderBy"
        assert result["data"]["workOrders"] is None


# -- the replica's own orders, with ties and records without a time (no scheduler: the test writes the replica) --


def record(n: int, updated: datetime | None, created: datetime | None) -> Record:
    values = {
        "remoteId": f"wo-{n:03d}",
        "title": "Inspect pump",
        "status": "OPEN",
        "createdAt": created,
        "updatedAt": updated,
        "deletedAt": None,
    }
    return Record("WorkOrder", f"wo-{n:03d}", values, {"id": n})


def written_replica(gateway: Gateway, sandbox: ServerThread, records: list[Record]) -> str:
    """A new connection whose replica holds `records`; returns its token."""
    created = data(gateway.connect(gateway.new_org(), sandbox.url))["createConnection"]
    with gateway.services.store.write() as session:
        replica.upsert(session, created["connection"]["id"], records, "run-1", "status")
    return created["token"]


def test_every_order_pages_both_ways_with_ties_and_missing_times_last_ascending(gateway, upkeep_sandbox):
    records = [
        record(n, None if n % 5 == 0 else T0 + timedelta(hours=n % 4), None if n % 7 == 3 else T0 - timedelta(days=n))
        for n in range(23)
    ]
    token = written_replica(gateway, upkeep_sandbox, records)
    columns: dict[str, Any] = {
        "UPDATED_AT": lambda r: r.values["updatedAt"],
        "CREATED_AT": lambda r: r.values["createdAt"],
        "REMOTE_ID": lambda r: None,
    }
    for field, value in columns.items():
        for direction in ("ASC", "DESC"):
            expected = in_order([(r.remote_id, value(r)) for r in records], direction == "DESC")
            order = {"field": field, "direction": direction}
            for size in (1, 4, 30):
                assert walk(gateway, token, order, backward=False, size=size) == expected, (order, size)
                assert walk(gateway, token, order, backward=True, size=size) == expected, (order, size)
    assert walk(gateway, token, None, backward=False, size=4) == sorted(r.remote_id for r in records)  # default


def test_a_cursor_only_pages_the_order_it_came_from(sqlite_gateway, upkeep_sandbox):
    """Cursors carry their order: one from another order, or from no order, is refused, not misread."""
    token = written_replica(sqlite_gateway, upkeep_sandbox, [record(n, T0 + timedelta(hours=n), T0) for n in range(3)])
    orders = [
        None,
        {"field": "UPDATED_AT", "direction": "DESC"},
        {"field": "UPDATED_AT", "direction": "ASC"},
        {"field": "CREATED_AT", "direction": "DESC"},
    ]
    for given in orders:
        page = data(sqlite_gateway.gql(token, PAGE, {"source": "REPLICA", "first": 1, "order": given}))["workOrders"]
        for other in (o for o in orders if o != given):
            after = page["pageInfo"]["endCursor"]
            result = sqlite_gateway.gql(token, PAGE, {"source": "REPLICA", "first": 1, "after": after, "order": other})
            assert error_code(result) == "BAD_USER_INPUT", (given, other)
