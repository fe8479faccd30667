"""Maximo counting, keyset paging under upstream deletes, and cancel/retire markers, against the sandbox over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from connectors.base import ConnectionConfig, ListQuery
from connectors.maximo.connector import MaximoConnector
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.maximo.app import DEMO_API_KEY, create_app
from schema.model import CustomField, Extension
from tests.helpers import list_all, remote_ids

STRUCTURES = {
    "WorkOrder": "mxapiwodetail",
    "Asset": "mxapiasset",
    "Location": "mxapilocations",
    "Part": "mxapiinventory",
    "Vendor": "mxapivendor",
    "PurchaseOrder": "mxapipo",
    "User": "mxapiperson",
    "MaintenanceRequest": "mxapisr",
}
SHIFT = CustomField("WorkOrder", "shift", "String", "cust_shift", filterable=True)
FLAG = CustomField("Asset", "flag", "Boolean", "cust_flag", filterable=True)
SYSTEM = CustomField("Location", "parentSystem", "String", "lochierarchy.systemid", filterable=True)
KEYS = {
    "mxapiwodetail": "wonum",
    "mxapiasset": "assetnum",
    "mxapilocations": "location",
    "mxapiinventory": "itemnum",
    "mxapivendor": "company",
    "mxapipo": "ponum",
    "mxapiperson": "personid",
    "mxapisr": "ticketid",
}


@pytest.fixture
def sandbox() -> Iterator[ServerThread]:
    """A sandbox of each test's own: tests here delete records upstream."""
    with ServerThread(create_app()) as server:
        yield server


@pytest.fixture
async def connector(sandbox) -> AsyncIterator[MaximoConnector]:
    extension = Extension(custom_fields=(SHIFT, FLAG, SYSTEM))
    made = MaximoConnector(ConnectionConfig("ON_PREMISES", sandbox.url, {"apiKey": DEMO_API_KEY}, extension))
    yield made
    await made.aclose()


def drop(sandbox: ServerThread, entity: str, remote_ids: set[str]) -> None:
    """Delete records upstream, as another Maximo user would (every storeroom row of an item)."""
    structure = STRUCTURES[entity]
    dataset = sandbox.app.state.data
    for row in dataset.view(structure):
        if str(row.get(KEYS[structure])) in remote_ids:
            dataset.drop(structure, row)


# -- counting ----------------------------------------------------------------------------


async def test_count_is_the_number_of_records_listed(connector):
    for entity in STRUCTURES:
        counted = await connector.count(entity, ListQuery())
        if entity == "Part":
            assert counted is None  # rows per storeroom: Maximo cannot count distinct items
            continue
        assert counted == len(await list_all(connector, entity)), entity


async def test_count_takes_the_same_filters_in_one_call(connector, sandbox):
    control = SandboxControl(sandbox.url)
    since = datetime.now(UTC) - timedelta(days=200)
    for entity, query in (
        ("WorkOrder", ListQuery(statuses=("OPEN", "CANCELLED"))),
        ("WorkOrder", ListQuery(created_after=since, statuses=("COMPLETED",))),
        ("WorkOrder", ListQuery(custom=((SHIFT, "NIGHT"),))),
        ("Asset", ListQuery(updated_after=since)),
        ("Location", ListQuery(statuses=("STORAGE",))),
    ):
        listed = await list_all(connector, entity, query)
        assert 0 < len(listed) < len(await list_all(connector, entity)), (entity, query)
        control.clear_requests()
        assert await connector.count(entity, query) == len(listed), (entity, query)
        [call] = control.requests()
        assert call["query"]["collectioncount"] == "1" and call["query"]["oslc.pageSize"] == "1"


async def test_count_is_none_where_part_of_the_filter_stays_local(connector, sandbox):
    control = SandboxControl(sandbox.url)
    control.clear_requests()
    assert await connector.count("Asset", ListQuery(custom=((FLAG, True),))) is None
    assert await connector.count("Location", ListQuery(custom=((SYSTEM, "PRIMARY"),))) is None
    assert await connector.count("WorkOrder", ListQuery(statuses=())) == 0
    assert control.requests() == []  # decided without asking Maximo


# -- keyset paging -------------------------------------------------------------------------


def test_maximo_declares_keyset_paging():
    assert MaximoConnector.live_paging == "keyset"


async def test_deleting_records_before_the_cursor_skips_none(connector, sandbox):
    for entity in STRUCTURES:
        everything = remote_ids(await list_all(connector, entity))
        first = await connector.list_page(entity, ListQuery(), None, 20)
        assert remote_ids(first.records) == everything[:20] and first.next_cursor, entity
        drop(sandbox, entity, set(everything[3:8]))  # between two pages, before the cursor
        rest = await list_all(connector, entity, cursor=first.next_cursor, limit=20)
        assert remote_ids(rest) == everything[20:], f"{entity}: a record after the cursor was skipped or repeated"


# -- cancel and retire markers ---------------------------------------------------------------


async def test_cancelled_and_retired_records_are_statuses_not_deletions(connector, sandbox):
    tables = sandbox.app.state.data
    markers = (
        ("WorkOrder", "mxapiwodetail", "status", "CAN", "status", "CANCELLED"),
        ("PurchaseOrder", "mxapipo", "status", "CAN", "status", "CANCELLED"),
        ("Asset", "mxapiasset", "status", "DECOMMISSIONED", "status", "RETIRED"),
        ("Vendor", "mxapivendor", "disabled", True, "active", False),
        ("User", "mxapiperson", "status", "INACTIVE", "active", False),
    )
    for entity, structure, attr, raw, field, value in markers:
        marked = {str(r[KEYS[structure]]) for r in tables.records(structure) if r.get(attr) == raw}
        assert marked, entity
        live = await list_all(connector, entity, ListQuery(include_deleted=False))
        found = {r.remote_id: r for r in live if r.remote_id in marked}
        assert set(found) == marked, f"{entity}: a {raw} record left the default listing"
        assert all(r.values[field] == value and r.values["deletedAt"] is None for r in found.values()), entity
        assert await connector.count(entity, ListQuery(include_deleted=False)) == len(live)
