"""A replica you can trust: complete, reconciled, honest about its window and its health.

A gateway with the scheduler running for real, on SQLite and on PostgreSQL,
syncs sandboxes that speak the vendors' wire formats.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import select

from connectors.registry import connectors
from gateway.store.event_tables import Event
from sandboxes.kit import SandboxControl, ServerThread
from tests.helpers import data, error_code, page_all, wait_until
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.slow  # a scheduler syncing for real, on SQLite and PostgreSQL


def readable(system: str) -> int:
    entry = connectors()[system].entry
    return sum(1 for capability in entry.capabilities.values() if capability.read)


SAP_ENTITIES, UPKEEP_ENTITIES = readable("sap_s4hana"), readable("upkeep")


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, ServerThread]]:
    made = Receiver()
    with ServerThread(made.app()) as server:
        yield made, server


def subscribe(conn: Any, hook: ServerThread, events: list[str]) -> None:
    """A webhook endpoint of the connection's organization, taking `events`, at the receiver."""
    data(
        conn.gateway.gql(
            conn.admin,
            "mutation($u: String!, $e: [String!]) { createWebhookEndpoint(url: $u, events: $e) { endpoint { id } } }",
            {"u": f"{hook.url}/hook", "e": events},
        )
    )


def test_an_entity_without_a_change_time_is_replicated_whole(sap_conn, sap):
    """SAP's A_Supplier has no change date: every supplier reaches the replica, every pass."""
    wait_until(lambda: sap_conn.synced(SAP_ENTITIES))
    suppliers = sorted(r["Supplier"] for r in sap.app.state.data.rows("A_Supplier"))
    assert len(suppliers) > 20
    assert sap_conn.ids("vendors", includeDeleted=True) == suppliers
    assert sap_conn.states()["Vendor"]["recordsSynced"] == len(suppliers)
    assert sap_conn.states()["Vendor"]["historyStart"] is None  # read whole: no window
    counted = data(
        sap_conn.gateway.gql(
            sap_conn.token, "{ vendors(first: 1, source: REPLICA, filter: {includeDeleted: true}) { totalCount } }"
        )
    )
    assert counted["vendors"]["totalCount"] == len(suppliers)


def test_a_time_filter_the_records_cannot_answer_is_refused_not_empty(sap_conn):
    for source in ("LIVE", "REPLICA"):
        result = sap_conn.gateway.gql(
            sap_conn.token,
            'query($s: Source!) { vendors(first: 5, source: $s, filter: {updatedAfter: "2020-01-01T00:00:00Z"}) { nodes { remoteId } } }',
            {"s": source},
        )
        assert error_code(result) == "BAD_USER_INPUT"
        assert "does not say when a Vendor changed" in result["errors"][0]["message"]
    # Where the records carry the time, the filter works as before.
    ok = sap_conn.gateway.gql(
        sap_conn.token,
        '{ workOrders(first: 5, filter: {updatedAfter: "2020-01-01T00:00:00Z"}) { nodes { remoteId } } }',
    )
    assert data(ok)["workOrders"]["nodes"]


def test_the_connection_token_reads_its_sync_status(upkeep_conn):
    wait_until(lambda: upkeep_conn.synced(UPKEEP_ENTITIES))
    answer = data(
        upkeep_conn.gateway.gql(
            upkeep_conn.token, "{ connection { status syncStatus { entity state recordsSynced historyStart } } }"
        )
    )
    states = {s["entity"]: s for s in answer["connection"]["syncStatus"]}
    assert set(states) >= {"WorkOrder", "Asset", "Vendor"} and states["WorkOrder"]["state"] == "SUCCEEDED"


def test_replica_reads_say_which_window_they_hold_and_history_days_zero_means_everything(upkeep_conn, upkeep):
    wait_until(lambda: upkeep_conn.synced(UPKEEP_ENTITIES))
    query = "{ workOrders(first: 1, source: REPLICA) { totalCount syncedAt historyStart } }"
    windowed = data(upkeep_conn.gateway.gql(upkeep_conn.token, query))["workOrders"]
    start = datetime.fromisoformat(windowed["historyStart"])
    assert abs(start - (datetime.now(UTC) - timedelta(days=90))) < timedelta(minutes=5)
    all_orders = upkeep.app.state.data.records("work-orders")
    in_window = [r for r in all_orders if datetime.fromisoformat(r["updatedAt"].replace("Z", "+00:00")) > start]
    assert windowed["totalCount"] == len(in_window) < len(all_orders)  # honest: older records are not there

    upkeep_conn.settings(historyDays=0)
    upkeep_conn.trigger(full=True)
    # The window widens when the full pass completes, not with its last page: wait for both.
    everything = {"totalCount": len(all_orders), "historyStart": None}
    wait_until(
        lambda: (
            {
                k: v
                for k, v in data(upkeep_conn.gateway.gql(upkeep_conn.token, query))["workOrders"].items()
                if k != "syncedAt"
            }
            == everything
        )
    )
    assert upkeep_conn.ids("workOrders") == sorted(r["id"] for r in all_orders)


def test_replica_total_count_equals_the_records_paged(upkeep_conn):
    wait_until(lambda: upkeep_conn.synced(UPKEEP_ENTITIES))
    for field, filter in (("workOrders", {"status": ["OPEN"]}), ("assets", None), ("users", None)):
        paged = page_all(
            upkeep_conn.gateway, upkeep_conn.token, field, "remoteId", first=37, filter=filter, source="REPLICA"
        )
        counted = upkeep_conn.gateway.gql(
            upkeep_conn.token,
            f"query($f: {field[0].upper() + field[1:-1]}Filter) {{ {field}(first: 1, source: REPLICA, filter: $f) {{ totalCount }} }}",
            {"f": filter},
        )
        assert data(counted)[field]["totalCount"] == len(paged) == len({n["remoteId"] for n in paged})


def test_scheduled_reconciliation_marks_deleted_records_and_announces_them(upkeep_conn, upkeep, receiver):
    """No full sync asked for: the daily (here: 3 s) reconciliation pass finds what was deleted upstream."""
    gateway, (got, hook) = upkeep_conn.gateway, receiver
    subscribe(upkeep_conn, hook, ["record.deleted"])
    upkeep_conn.settings(historyDays=0)
    upkeep_conn.trigger(full=True)
    vendors = sorted(r["id"] for r in upkeep.app.state.data.records("vendors"))
    wait_until(lambda: upkeep_conn.ids("vendors") == vendors)
    gone = vendors[:3]
    httpx.post(f"{upkeep.url}/__sandbox/delete", json={"resource": "vendors", "ids": gone}).raise_for_status()
    wait_until(lambda: not set(gone) & set(upkeep_conn.ids("vendors")), timeout=30)
    assert upkeep_conn.ids("vendors") == sorted(r["id"] for r in upkeep.app.state.data.records("vendors"))
    kept = page_all(
        gateway, upkeep_conn.token, "vendors", "remoteId deletedAt", filter={"includeDeleted": True}, source="REPLICA"
    )
    marked = {n["remoteId"]: n["deletedAt"] for n in kept if n["remoteId"] in gone}
    assert set(marked) == set(gone) and all(marked.values())
    with gateway.services.store.read() as session:
        events = session.exec(
            select(Event).where(Event.connection_id == upkeep_conn.id, Event.type == "record.deleted")
        ).all()
    assert {e.data["remoteId"] for e in events} == set(gone) and {e.data["entity"] for e in events} == {"Vendor"}
    wait_until(lambda: sorted(r.json["data"]["remoteId"] for r in got.events("record.deleted")) == gone)


@pytest.mark.parametrize("status, state", [(404, "UNAVAILABLE"), (403, "UNAVAILABLE"), (422, "FAILED")])
def test_one_failing_entity_leaves_the_others_synced_and_the_connection_degraded(
    upkeep_conn, upkeep, receiver, status, state
):
    gateway, control, (got, hook) = upkeep_conn.gateway, SandboxControl(upkeep.url), receiver
    subscribe(upkeep_conn, hook, ["sync.failed", "connection.status_changed"])
    control.fault("error", status=status, match=r"/api/v2/vendors\b")
    try:
        upkeep_conn.settings(historyDays=0)
        upkeep_conn.trigger(full=True)
        orders = sorted(r["id"] for r in upkeep.app.state.data.records("work-orders"))
        wait_until(lambda: upkeep_conn.ids("workOrders") == orders)  # the others are complete

        def degraded() -> dict[str, Any] | None:  # one snapshot: an unavailable entity is asked again later
            status = upkeep_conn.status()
            states = {s["entity"]: s for s in status["syncStatus"]}
            others = all(v["state"] == "SUCCEEDED" for k, v in states.items() if k != "Vendor")
            return status if status["status"] == "DEGRADED" and states["Vendor"]["state"] == state and others else None

        status = wait_until(degraded)
        assert "Vendor" in status["statusReason"]
        assert next(s for s in status["syncStatus"] if s["entity"] == "Vendor")["retryAt"]
        unavailable = {c["entity"] for c in status["capabilities"] if not c["available"]}
        assert unavailable == ({"Vendor"} if state == "UNAVAILABLE" else set())
        with gateway.services.store.read() as session:
            events = session.exec(select(Event).where(Event.connection_id == upkeep_conn.id)).all()
        failed = [e for e in events if e.type == "sync.failed"]
        assert (
            failed
            and failed[0].data["entities"][0]["entity"] == "Vendor"
            and failed[0].data["entities"][0]["state"] == state
        )
        assert any(e.type == "connection.status_changed" and e.data["status"] == "DEGRADED" for e in events)
        wait_until(  # the webhooks name the entity too
            lambda: (
                any(
                    [e["entity"] for e in r.json["data"].get("entities", [])] == ["Vendor"]
                    for r in got.events("sync.failed")
                )
                and any(r.json["data"]["status"] == "DEGRADED" for r in got.events("connection.status_changed"))
            )
        )
    finally:
        control.clear_fault()
    upkeep_conn.trigger()
    wait_until(lambda: upkeep_conn.status()["status"] == "ACTIVE" and upkeep_conn.synced(UPKEEP_ENTITIES))
    assert upkeep_conn.ids("vendors") == sorted(r["id"] for r in upkeep.app.state.data.records("vendors"))


def test_widening_the_history_window_fills_in_the_older_records(upkeep_conn, upkeep):
    upkeep_conn.settings(reconcileIntervalHours=1)  # no scheduled full pass to stand in for the owed one
    wait_until(lambda: upkeep_conn.synced(UPKEEP_ENTITIES))
    everything = sorted(r["id"] for r in upkeep.app.state.data.records("work-orders"))
    assert len(upkeep_conn.ids("workOrders")) < len(everything)  # the 90-day window holds fewer
    upkeep_conn.settings(historyDays=0)  # no trigger: a wider window asks for its own full pass
    wait_until(lambda: upkeep_conn.ids("workOrders") == everything)


MISSED_FULL = {"state": "UNAVAILABLE", "mode": "FULL"}


def test_a_full_pass_an_unavailable_entity_missed_is_still_owed_when_it_is_back(upkeep_conn, upkeep):
    control = SandboxControl(upkeep.url)
    upkeep_conn.settings(reconcileIntervalHours=1)
    wait_until(lambda: upkeep_conn.synced(UPKEEP_ENTITIES))
    vendors = sorted(r["id"] for r in upkeep.app.state.data.records("vendors"))
    assert len(upkeep_conn.ids("vendors")) < len(vendors)  # the window holds fewer
    control.fault("error", status=404, match=r"/api/v2/vendors\b")
    try:
        upkeep_conn.settings(historyDays=0)
        wait_until(lambda: {k: upkeep_conn.states()["Vendor"][k] for k in ("state", "mode")} == MISSED_FULL)
    finally:
        control.clear_fault()
    upkeep_conn.trigger()  # an ordinary run: the vendors' full pass has not happened yet
    wait_until(lambda: upkeep_conn.synced(UPKEEP_ENTITIES))
    assert upkeep_conn.ids("vendors") == vendors


def test_a_failed_entity_is_retried_on_its_own_backoff_not_every_run(upkeep_conn, upkeep):
    """The failed entity waits out its backoff while the others keep their schedule (no hammering)."""
    control = SandboxControl(upkeep.url)
    wait_until(lambda: upkeep_conn.synced(UPKEEP_ENTITIES))
    control.fault("error", status=404, match=r"/api/v2/vendors\b")  # unavailable: asked again after the cap
    try:
        upkeep_conn.trigger()
        wait_until(lambda: upkeep_conn.states()["Vendor"]["state"] == "UNAVAILABLE")
        control.clear_requests()
        retry_at = datetime.fromisoformat(upkeep_conn.states()["Vendor"]["retryAt"])
        until = retry_at - timedelta(seconds=0.1)
        assert until - datetime.now(UTC) > timedelta(seconds=1)  # the backoff cap, not the next tick
        time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()))  # runs keep coming each second
        paths = [r["path"] for r in control.requests() if r["at"] < until.timestamp()]
        assert any(p.endswith("/work-orders") for p in paths)
        assert not any(p.endswith("/vendors") for p in paths)
    finally:
        control.clear_fault()


def test_replica_pages_backward_by_key_with_the_same_records_as_forward(upkeep_conn):
    from tests.test_relay_paging import walk

    upkeep_conn.settings(historyDays=0)
    upkeep_conn.trigger(full=True)
    wait_until(
        lambda: (
            data(
                upkeep_conn.gateway.gql(upkeep_conn.token, "{ workOrders(first: 1, source: REPLICA) { totalCount } }")
            )["workOrders"]["totalCount"]
            == 620
        )
    )
    forward = walk(upkeep_conn.gateway, upkeep_conn.token, "REPLICA", backward=False, size=83)
    backward = walk(upkeep_conn.gateway, upkeep_conn.token, "REPLICA", backward=True, size=83)
    assert backward == forward == sorted(forward) and len(set(forward)) == 620
