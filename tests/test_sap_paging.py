"""SAP counting (`/$count`), keyset paging under upstream deletes and soft-delete markers, against the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest

from connectors.base import ConnectionConfig, ListQuery
from connectors.sap.connector import STREAMS, S4HanaConnector
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.sap.app import LOGIN, create_app
from schema.errors import BadUserInput
from schema.model import CustomField, Extension
from schema.record import Record

SETS = {s.entity: s.entity_set for s in STREAMS}
SHIFT = CustomField("WorkOrder", "shift", "String", "YY1_ShiftCode_ORD", filterable=True)
DOWNTIME = CustomField("WorkOrder", "downtime", "Float", "YY1_DowntimeHours_ORD")  # not filterable in SAP
SINCE = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def sandbox() -> Iterator[ServerThread]:
    """A sandbox of each test's own: tests here delete records upstream."""
    with ServerThread(create_app()) as server:
        yield server


@pytest.fixture
def control(sandbox) -> SandboxControl:
    return SandboxControl(sandbox.url)


@pytest.fixture
async def connector(sandbox) -> AsyncIterator[S4HanaConnector]:
    extension = Extension(custom_fields=(SHIFT, DOWNTIME))
    made = S4HanaConnector(ConnectionConfig("CLOUD", sandbox.url, dict(LOGIN), extension))
    yield made
    await made.aclose()


async def list_all(
    connector: S4HanaConnector, entity: str, query: ListQuery = ListQuery(), limit: int = 40, cursor: str | None = None
) -> list[Record]:
    records: list[Record] = []
    for _ in range(1000):
        page = await connector.list_page(entity, query, cursor, limit)
        records += page.records
        if page.next_cursor is None:
            return records
        cursor = page.next_cursor
    raise AssertionError("paging did not end")


def ids(records: list[Record]) -> list[str]:
    return [r.remote_id for r in records]


# -- counting ----------------------------------------------------------------------------


async def test_count_is_the_number_of_records_listed(connector):
    for entity in SETS:
        for query in (ListQuery(), ListQuery(include_deleted=False)):
            counted = await connector.count(entity, query)
            if entity == "WorkOrder" and not query.include_deleted:
                continue  # the deletion flag is in a status line SAP cannot filter: see below
            assert counted == len(await list_all(connector, entity, query)), (entity, query)


@pytest.mark.parametrize(
    "entity, query",
    [
        ("PurchaseOrder", ListQuery(include_deleted=False)),
        ("PurchaseOrder", ListQuery(statuses=("CANCELLED",))),
        ("PurchaseOrder", ListQuery(statuses=("CANCELLED",), include_deleted=False)),
        ("PurchaseOrder", ListQuery(statuses=("APPROVED", "DRAFT"))),
        ("PurchaseOrder", ListQuery(updated_after=SINCE, statuses=("APPROVED", "CANCELLED"))),
        ("MaintenanceRequest", ListQuery(statuses=("CLOSED",), updated_after=SINCE)),
        ("WorkOrder", ListQuery(custom=((SHIFT, "N"),))),
        ("Asset", ListQuery(updated_after=SINCE)),
    ],
)
async def test_count_takes_the_same_filter_in_one_call(connector, control, entity, query):
    listed = await list_all(connector, entity, query)
    assert 0 < len(listed) < len(await list_all(connector, entity)), (entity, query)
    control.clear_requests()
    assert await connector.count(entity, query) == len(listed), (entity, query)
    [call] = control.requests()
    assert call["path"].endswith(f"/{SETS[entity]}/$count") and "$format" not in call["query"]
    assert "$filter" in call["query"]


async def test_a_deleted_purchase_order_counts_as_cancelled_whatever_its_processing_status(connector, sandbox):
    rows = sandbox.app.state.data.rows("A_PurchaseOrder")
    deleted = {r["PurchaseOrder"] for r in rows if r["PurchasingDocumentDeletionCode"] == "L"}
    assert any(r["PurchasingProcessingStatus"] != "08" for r in rows if r["PurchaseOrder"] in deleted)
    cancelled = await list_all(connector, "PurchaseOrder", ListQuery(statuses=("CANCELLED",)))
    assert deleted <= set(ids(cancelled)) and all(r.values["status"] == "CANCELLED" for r in cancelled)
    approved = await list_all(connector, "PurchaseOrder", ListQuery(statuses=("APPROVED",)))
    assert not deleted & set(ids(approved))


async def test_count_is_none_where_part_of_the_filter_stays_local(connector, control):
    control.clear_requests()
    assert await connector.count("WorkOrder", ListQuery(include_deleted=False)) is None  # DLFL: not filterable
    assert await connector.count("WorkOrder", ListQuery(custom=((DOWNTIME, 2.5),))) is None
    assert await connector.count("MaintenanceRequest", ListQuery(created_after=SINCE)) is None
    assert await connector.count("PurchaseOrder", ListQuery(statuses=())) == 0
    assert control.requests() == []  # decided without asking SAP


async def test_sets_without_a_deletion_marker_need_no_filter_to_leave_deleted_records_out(connector, control):
    control.clear_requests()
    everything = await connector.count("Vendor", ListQuery())
    assert await connector.count("Vendor", ListQuery(include_deleted=False)) == everything
    assert all("$filter" not in c["query"] for c in control.requests())


# -- keyset paging -------------------------------------------------------------------------


def test_sap_declares_keyset_paging():
    assert S4HanaConnector.live_paging == "keyset"
    assert all(s.keyset for s in STREAMS)


async def test_pages_continue_after_the_last_key(connector, control):
    first = await connector.list_page("Asset", ListQuery(), None, 20)
    assert first.next_cursor == f"k:{first.records[-1].remote_id}" and first.total is not None
    control.clear_requests()
    second = await connector.list_page("Asset", ListQuery(updated_after=SINCE), first.next_cursor, 20)
    [call] = control.requests()
    assert call["query"]["$filter"].endswith(f"Equipment gt '{first.records[-1].remote_id}'")
    assert "ValidityEndDate eq datetime'9999-12-31T00:00:00'" in call["query"]["$filter"]
    assert call["query"]["$orderby"] == "Equipment" and "$skip" not in call["query"]
    assert second.total is None  # `__count` after a cursor counts only what is left


async def test_deleting_records_before_the_cursor_skips_none(connector, control):
    for entity, entity_set in SETS.items():
        everything = ids(await list_all(connector, entity))
        first = await connector.list_page(entity, ListQuery(), None, 20)
        assert ids(first.records) == everything[:20] and first.next_cursor, entity
        control.remove(entity_set, everything[3:8])  # between two pages, before the cursor
        rest = await list_all(connector, entity, cursor=first.next_cursor, limit=20)
        assert ids(rest) == everything[20:], f"{entity}: a record after the cursor was skipped or repeated"


async def test_an_offset_cursor_from_before_resumes_there(connector):
    everything = ids(await list_all(connector, "WorkOrder"))
    page = await connector.list_page("WorkOrder", ListQuery(), "40", 20)
    assert ids(page.records) == everything[40:60] and page.next_cursor == f"k:{everything[59]}"
    assert ids(await list_all(connector, "WorkOrder", cursor=page.next_cursor)) == everything[60:]
    with pytest.raises(BadUserInput) as refused:
        await connector.list_page("WorkOrder", ListQuery(), "page-two", 20)
    assert refused.value.extensions["field"] == "after"


# -- soft-delete markers -------------------------------------------------------------------


async def test_a_purchase_order_deleted_through_the_connector_stays_listed_as_deleted(connector, sandbox):
    before = await list_all(connector, "PurchaseOrder", ListQuery(include_deleted=False))
    target = before[4]
    kept = await connector.count("PurchaseOrder", ListQuery(include_deleted=False))
    await connector.delete("PurchaseOrder", target.remote_id, target.values["remoteVersion"])

    header = next(r for r in sandbox.app.state.data.rows("A_PurchaseOrder") if r["PurchaseOrder"] == target.remote_id)
    items = [r for r in sandbox.app.state.data.rows("A_PurchaseOrderItem") if r["PurchaseOrder"] == target.remote_id]
    assert header["PurchasingDocumentDeletionCode"] == "L" and items
    assert {i["PurchasingDocumentDeletionCode"] for i in items} == {"L"}

    [read] = await connector.fetch_many("PurchaseOrder", [target.remote_id])
    assert read.values["deletedAt"] is not None and read.values["deletedAt"] == read.values["updatedAt"]
    assert (read.values["status"], read.values["statusRaw"]) == ("CANCELLED", target.values["statusRaw"])
    assert read.values["remoteVersion"] != target.values["remoteVersion"]
    everything = await list_all(connector, "PurchaseOrder")
    assert target.remote_id in ids(everything)
    remaining = ids(await list_all(connector, "PurchaseOrder", ListQuery(include_deleted=False)))
    assert remaining == [i for i in ids(before) if i != target.remote_id]
    assert await connector.count("PurchaseOrder", ListQuery(include_deleted=False)) == kept - 1


async def test_flagged_work_orders_are_left_out_locally(connector, sandbox):
    rows = sandbox.app.state.data.rows("MaintenanceOrder")
    flagged = {r["MaintenanceOrder"] for r in rows if "DLFL" in r["SystemStatusText"].split()}
    live = await list_all(connector, "WorkOrder", ListQuery(include_deleted=False))
    assert flagged and set(ids(live)) == {r["MaintenanceOrder"] for r in rows} - flagged
    listed = {r.remote_id: r for r in await list_all(connector, "WorkOrder")}
    for remote_id in flagged:
        assert listed[remote_id].values["deletedAt"] is not None and listed[remote_id].values["status"] == "CANCELLED"
