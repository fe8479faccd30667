"""Live paging of the REST systems (UpKeep, MaintainX) against their sandboxes over real HTTP:
every record once, nothing skipped when records before the cursor are deleted between two pages,
and what `count` and `live_paging` declare."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from connectors.base import ConnectionConfig, Connector, ListQuery, Page
from connectors.http import HttpPolicy
from connectors.maintainx.connector import MaintainXConnector
from connectors.rest import OVERLAP
from connectors.upkeep.connector import UpKeepConnector
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.maintainx.app import SANDBOX as MAINTAINX
from sandboxes.maintainx.app import create_app as maintainx_app
from sandboxes.upkeep.app import SANDBOX as UPKEEP
from sandboxes.upkeep.app import create_app as upkeep_app
from schema.errors import BadUserInput

POLICY = HttpPolicy(connect_timeout=2.0, read_timeout=3.0, retries=0)


@dataclass
class System:
    """One sandboxed system: its server, a connector on it, and the resource behind WorkOrder."""

    server: ServerThread
    connector: Connector
    resource: str
    wire_id: Any  # remote id (text) -> the id the sandbox's control routes take

    def ids(self) -> list[str]:
        """The work orders' ids in the order the system lists them."""
        return [str(r["id"]) for r in self.server.app.state.data.records(self.resource)]

    def delete(self, remote_ids: list[str]) -> None:
        body = {"resource": self.resource, "ids": [self.wire_id(i) for i in remote_ids]}
        httpx.post(f"{self.server.url}/__sandbox/delete", json=body).raise_for_status()

    def control(self) -> SandboxControl:
        return SandboxControl(self.server.url)


# Per system: its sandbox app, connector, login, the resource behind WorkOrder, and its wire id type.
SYSTEMS: dict[str, tuple[Callable[[], Any], type[Connector], Mapping[str, str], str, Callable[[str], Any]]] = {
    "upkeep": (upkeep_app, UpKeepConnector, UPKEEP.credentials, "work-orders", str),
    "maintainx": (maintainx_app, MaintainXConnector, MAINTAINX.credentials, "workorders", int),
}


@pytest.fixture(params=sorted(SYSTEMS))
async def system(request: pytest.FixtureRequest) -> AsyncIterator[System]:
    """A fresh sandbox per test (tests delete records)."""
    make_app, cls, credentials, resource, wire_id = SYSTEMS[request.param]
    with ServerThread(make_app()) as server:
        connector = cls(ConnectionConfig("CLOUD", server.url, dict(credentials)), POLICY)
        try:
            yield System(server, connector, resource, wire_id)
        finally:
            await connector.aclose()


async def page(system: System, cursor: str | None, limit: int, query: ListQuery = ListQuery()) -> Page:
    return await system.connector.list_page("WorkOrder", query, cursor, limit)


async def rest_of(system: System, cursor: str | None, limit: int, query: ListQuery = ListQuery()) -> list[str]:
    """Remote ids from `cursor` to the end of the list."""
    found: list[str] = []
    for _ in range(1000):
        current = await page(system, cursor, limit, query)
        found += [r.remote_id for r in current.records]
        if current.next_cursor is None:
            return found
        cursor = current.next_cursor
    raise AssertionError("listing did not end")


@pytest.mark.parametrize("limit", [1, 7, 50, 200])
async def test_paging_to_the_end_lists_every_record_once_in_order(system: System, limit: int) -> None:
    if limit == 1:
        system.delete(system.ids()[40:])  # keep the one-by-one walk short
    assert await rest_of(system, None, limit) == system.ids()


@pytest.mark.parametrize("where", ["last seen", "spread", "first page"])
async def test_deleting_records_before_the_cursor_skips_nothing(system: System, where: str) -> None:
    before = system.ids()
    first = await page(system, None, 50)
    seen = [r.remote_id for r in first.records]
    assert seen == before[:50] and first.next_cursor
    gone = {"last seen": seen[-3:], "spread": seen[5:50:9], "first page": seen[: OVERLAP - 1]}[where]
    system.delete(gone)
    rest = await rest_of(system, first.next_cursor, 50)
    assert rest == before[50:], "records after the cursor are each listed once, none skipped"


async def test_insertions_are_listed_once(system: System) -> None:
    """Records created between two pages come last (creation order) and are listed once."""
    first = await page(system, None, 50)
    created = await system.connector.create("WorkOrder", {"title": "Created while paging"})
    rest = await rest_of(system, first.next_cursor, 50)
    assert [r.remote_id for r in first.records] + rest == system.ids()
    assert rest.count(created.remote_id) == 1


async def test_a_page_costs_one_call_within_the_page_size(system: System) -> None:
    first = await page(system, None, 200)
    control = system.control()
    control.clear_requests()
    await page(system, first.next_cursor, 200)
    calls = [c for c in control.requests() if c["path"].endswith(system.resource)]
    assert len(calls) == 1, calls
    assert int(calls[0]["query"]["limit"]) <= 200


async def test_count_is_not_offered_where_lists_carry_no_total(system: System) -> None:
    assert await system.connector.count("WorkOrder", ListQuery()) is None


def test_live_paging_declarations() -> None:
    assert UpKeepConnector.live_paging == "keyset"
    assert MaintainXConnector.live_paging == "cursor"


# -- UpKeep's offset cursor -------------------------------------------------------


@pytest.fixture
async def upkeep() -> AsyncIterator[System]:
    with ServerThread(upkeep_app()) as server:
        connector = UpKeepConnector(ConnectionConfig("CLOUD", server.url, dict(UPKEEP.credentials)), POLICY)
        try:
            yield System(server, connector, "work-orders", str)
        finally:
            await connector.aclose()


async def test_upkeep_plain_offset_cursors_still_work(upkeep: System) -> None:
    """Cursors stored before the rework (a bare offset) resume at that position."""
    resumed = await page(upkeep, "50", 20)
    assert [r.remote_id for r in resumed.records] == upkeep.ids()[50:70]
    assert await rest_of(upkeep, "50", 20) == upkeep.ids()[50:]


async def test_upkeep_re_reads_an_overlap_before_the_cursor(upkeep: System) -> None:
    first = await page(upkeep, None, 50)
    control = upkeep.control()
    control.clear_requests()
    await page(upkeep, first.next_cursor, 50)
    (call,) = [c for c in control.requests() if c["path"].endswith("/work-orders")]
    assert call["query"]["offset"] == str(50 - OVERLAP) and call["query"]["limit"] == str(50 + OVERLAP)


async def test_upkeep_falls_back_to_the_offset_past_the_overlap(upkeep: System) -> None:
    """More deletions before the cursor than the overlap re-reads: the plain offset (which may skip)."""
    before = upkeep.ids()
    first = await page(upkeep, None, 50)
    upkeep.delete(before[: OVERLAP + 10] + before[45:50])
    rest = await rest_of(upkeep, first.next_cursor, 50)
    assert rest == upkeep.ids()[50:], "resumes at the cursor's position in the list as it is now"


async def test_upkeep_filtered_paging_resumes_after_deletions(upkeep: System) -> None:
    statuses = ListQuery(statuses=("OPEN", "IN_PROGRESS"))
    everything = await rest_of(upkeep, None, 200, statuses)
    first = await page(upkeep, None, 30, statuses)
    upkeep.delete([r.remote_id for r in first.records[-4:]])
    assert [r.remote_id for r in first.records] + await rest_of(upkeep, first.next_cursor, 30, statuses) == everything


async def test_upkeep_refuses_a_cursor_it_did_not_write(upkeep: System) -> None:
    with pytest.raises(BadUserInput):
        await page(upkeep, "not-a-cursor", 10)
