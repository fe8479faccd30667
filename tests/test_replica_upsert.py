"""The bulk replica upsert: exact new/changed detection (it feeds record.changed) on both backends,
and the PostgreSQL statistics a large sync refreshes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from gateway import replica
from gateway.store.engine import Store, make_engine
from gateway.store.event_tables import Event
from gateway.store.sync_tables import ReplicaRecord
from gateway.sync import statistics
from sandboxes.kit import ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from schema.record import Record
from tests.conftest import Gateway, _start_gateway, fresh_postgres_database
from tests.helpers import data
from tests.test_sync import FAST, Conn, wait_until
from tests.webhook_receiver import Receiver

T0 = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)


def record(n: int, title: str = "Inspect pump", status: str = "OPEN", raw: dict | None = None) -> Record:
    values = {
        "remoteId": f"wo-{n:05d}",
        "title": title,
        "status": status,
        "createdAt": T0 + timedelta(minutes=n),
        "updatedAt": T0 + timedelta(hours=n),
        "deletedAt": None,
    }
    return Record("WorkOrder", f"wo-{n:05d}", values, raw if raw is not None else {"id": n, "tags": ["a", {"b": 1.5}]})


@pytest.fixture
def connection_id(gateway: Gateway, upkeep_sandbox: ServerThread) -> str:
    """A connection on each backend whose replica the test writes itself (no scheduler runs)."""
    return data(gateway.connect(gateway.new_org(), upkeep_sandbox.url))["createConnection"]["connection"]["id"]


def upsert(gateway: Gateway, connection_id: str, records: list[Record], run_id: str = "run-1") -> list[str]:
    with gateway.services.store.write() as session:
        return [r.remote_id for r in replica.upsert(session, connection_id, records, run_id, "status")]


def rows(gateway: Gateway, connection_id: str) -> dict[str, ReplicaRecord]:
    with gateway.services.store.read() as session:
        found = session.exec(select(ReplicaRecord).where(ReplicaRecord.connection_id == connection_id))
        return {row.remote_id: row for row in found}


def test_only_new_and_changed_records_are_reported(gateway, connection_id):
    page = [record(n) for n in range(5)]
    assert upsert(gateway, connection_id, page) == [r.remote_id for r in page]
    assert upsert(gateway, connection_id, page) == []  # an unchanged page is no change
    assert upsert(gateway, connection_id, [record(0), record(1, title="Replace seal"), record(2)]) == ["wo-00001"]
    assert upsert(gateway, connection_id, [record(3, raw={"id": 3, "tags": ["a", {"b": 2}]})]) == ["wo-00003"]
    assert upsert(gateway, connection_id, [record(4, raw={"id": 4, "tags": ["a", {"b": 1.5}]}), record(9)]) == [
        "wo-00009"
    ]
    assert upsert(gateway, connection_id, [record(5), record(5, title="Second copy")]) == ["wo-00005"]
    assert rows(gateway, connection_id)["wo-00005"].values["title"] == "Second copy"  # the last copy in a page wins


def test_every_column_is_written_and_a_deleted_record_comes_back(gateway, connection_id):
    upsert(gateway, connection_id, [record(1), record(2)], "run-1")
    first = rows(gateway, connection_id)
    with gateway.services.store.write() as session:
        replica.mark_gone(session, connection_id, "WorkOrder", ["wo-00002"])
    assert rows(gateway, connection_id)["wo-00002"].deleted_at is not None
    assert upsert(gateway, connection_id, [record(1), record(2)], "run-2") == [
        "wo-00002"
    ]  # same values, back from deleted
    assert upsert(gateway, connection_id, [record(2, status="DONE")], "run-3") == ["wo-00002"]
    after = rows(gateway, connection_id)
    unchanged, back = after["wo-00001"], after["wo-00002"]
    assert unchanged.last_seen_run == "run-2" and unchanged.synced_at > first["wo-00001"].synced_at
    assert unchanged.values == first["wo-00001"].values and unchanged.status == "OPEN"
    assert back.deleted_at is None and back.last_seen_run == "run-3" and back.status == "DONE"
    assert replica.decode(back.values)["status"] == "DONE" and "deletedAt" not in back.values
    assert (back.remote_created_at, back.remote_updated_at) == (T0 + timedelta(minutes=2), T0 + timedelta(hours=2))
    assert back.remote_data == {"id": 2, "tags": ["a", {"b": 1.5}]}
    with gateway.services.store.read() as session:
        assert [r.values["status"] for r in replica.get_many(session, connection_id, "WorkOrder", ["wo-00002"])] == [
            "DONE"
        ]


def load(gateway: Gateway, connection_id: str, records: list[Record], run_id: str) -> set[str]:
    """A page of an entity's first load, as the sync writes it."""
    with gateway.services.store.write() as session:
        page = replica.prepare(session.get_bind().dialect, "WorkOrder", records, "status")
        return {r.remote_id for r in replica.upsert_rows(session, connection_id, page, run_id, load=True)}


def test_a_first_load_meeting_stored_rows_writes_what_differs_and_sees_them_all(gateway, connection_id):
    """A load resumed after a crash meets its own pages, or rows written meanwhile: nothing is lost,
    every row is seen by the pass (so none reads as gone at its end), and differing content wins."""
    upsert(gateway, connection_id, [record(1), record(2), record(3, title="Old title")], "run-0")
    written = load(gateway, connection_id, [record(n) for n in range(1, 6)], "run-1")
    stored = rows(gateway, connection_id)
    assert {"wo-00003", "wo-00004", "wo-00005"} <= written  # new, or changed
    assert stored["wo-00003"].values["title"] == "Inspect pump"
    assert {row.last_seen_run for row in stored.values()} == {"run-1"}
    assert set(stored) == {f"wo-{n:05d}" for n in range(1, 6)}
    with gateway.services.store.write() as session:
        gone = replica.mark_deleted(session, connection_id, "WorkOrder", "run-1", None)
    assert gone == []


def test_pages_larger_than_one_statement(gateway, connection_id):
    page = [record(n) for n in range(1_203)]
    assert len(upsert(gateway, connection_id, page)) == 1_203
    page[1_100] = record(1_100, title="Changed in the third chunk")
    assert upsert(gateway, connection_id, page, "run-2") == ["wo-01100"]
    assert {row.last_seen_run for row in rows(gateway, connection_id).values()} == {"run-2"}


def test_rows_stored_through_the_orm_read_as_unchanged(gateway, connection_id):
    """The page writer binds JSON text and times of its own: they must be what SQLAlchemy's column types
    stored (every row was written that way before), or an upgrade would report every record as changed."""
    raw = {"id": 7, "name": "Pumpe über Tag — 2 µm", "at": T0, "lines": [{"qty": 1.5, "pair": (1, 2)}], "none": None}
    page = record(7, title="Zählerstand prüfen ✓", raw=raw)
    page.values["dueDate"] = T0 + timedelta(days=3, microseconds=250)
    with gateway.services.store.write() as session:
        session.add(
            ReplicaRecord(
                connection_id=connection_id,
                entity="WorkOrder",
                remote_id=page.remote_id,
                values=replica.encode({k: v for k, v in page.values.items() if k != "deletedAt"}),
                remote_data=replica.encode(raw),
                status="OPEN",
                remote_created_at=page.values["createdAt"],
                remote_updated_at=page.values["updatedAt"],
                synced_at=T0,
                last_seen_run="run-1",
            )
        )
    assert upsert(gateway, connection_id, [page], "run-2") == []
    stored = rows(gateway, connection_id)[page.remote_id]
    assert stored.last_seen_run == "run-2" and stored.synced_at > T0  # seen, not rewritten
    twin = Record("WorkOrder", "wo-twin", {**page.values, "remoteId": "wo-twin"}, raw)
    upsert(gateway, connection_id, [twin], "run-2")
    times = text(
        "SELECT CAST(remote_created_at AS TEXT), CAST(remote_updated_at AS TEXT) FROM replica_record"
        " WHERE connection_id = :c AND remote_id = :id"
    )
    with gateway.services.store.read() as session:
        stored_times = [
            tuple(session.execute(times, {"c": connection_id, "id": i}).one()) for i in (page.remote_id, twin.remote_id)
        ]
    assert stored_times[0] == stored_times[1]  # the same stored text: sorting and filtering compare it
    assert upsert(gateway, connection_id, [record(7, title="Zählerstand prüfen ✓", raw=raw)], "run-3") == [
        page.remote_id
    ]  # without the due date it differs
    assert replica.decode(rows(gateway, connection_id)[page.remote_id].remote_data)["at"] == T0


def stored_text(gateway: Gateway, connection_id: str, remote_id: str) -> tuple[str, str]:
    query = text(
        'SELECT CAST("values" AS TEXT), CAST(remote_data AS TEXT) FROM replica_record'
        " WHERE connection_id = :c AND remote_id = :id"
    )
    with gateway.services.store.read() as session:
        values, data = session.execute(query, {"c": connection_id, "id": remote_id}).one()
    return values, data


def test_json_an_earlier_version_spelled_otherwise_is_no_change_and_is_spelled_anew(gateway, connection_id):
    """Earlier versions and the ORM stored the standard encoder's spelling (spaces, \\u escapes); the page
    writer stores orjson's. The same content in the old spelling is not a change (it is rewritten once,
    unreported); other content is a change, however it is spelled."""
    raw = {"b": 1, "a": "Prüfung ✓", "flag": True, "at": T0}
    page = record(1, title="Zählerstand", raw=raw)
    assert upsert(gateway, connection_id, [page], "run-1") == [page.remote_id]
    as_json = "CAST({} AS JSON)" if gateway.services.store.engine.dialect.name == "postgresql" else "{}"
    standard = text(  # what SQLAlchemy's JSON type (json.dumps) stored
        f'UPDATE replica_record SET "values" = {as_json.format(":v")}, remote_data = {as_json.format(":d")}'
        " WHERE connection_id = :c AND remote_id = :id"
    )
    values = {k: v for k, v in page.values.items() if k != "deletedAt"}
    spelled = {"v": json.dumps(replica.encode(values)), "d": json.dumps(replica.encode(raw))}
    with gateway.services.store.write() as session:
        session.execute(standard, {**spelled, "c": connection_id, "id": page.remote_id})
    old = stored_text(gateway, connection_id, page.remote_id)
    assert "\\u00fc" in old[1] and ", " in old[1]  # the standard encoder's spelling
    assert upsert(gateway, connection_id, [page], "run-2") == []
    respelled = stored_text(gateway, connection_id, page.remote_id)
    assert respelled != old and "Prüfung ✓" in respelled[1]  # rewritten in the page writer's spelling
    assert rows(gateway, connection_id)[page.remote_id].last_seen_run == "run-2"
    assert (
        upsert(gateway, connection_id, [page], "run-3") == []
        and stored_text(gateway, connection_id, page.remote_id) == respelled
    )

    reordered = record(1, title="Zählerstand", raw={"at": T0, "flag": True, "a": "Prüfung ✓", "b": 1})
    assert upsert(gateway, connection_id, [reordered], "run-4") == []  # the same object, keys in another order
    for changed in (
        {**raw, "b": True},
        {**raw, "b": 1.0},
        {**raw, "flag": 1},
        {**raw, "at": T0 + timedelta(seconds=1)},
    ):
        assert upsert(gateway, connection_id, [record(1, title="Zählerstand", raw=changed)], "run-5") == [
            page.remote_id
        ]
        assert replica.decode(rows(gateway, connection_id)[page.remote_id].remote_data) == changed


def test_sqlite_without_returning_detects_the_same(sqlite_gateway, upkeep_sandbox):
    """SQLite before 3.35 has no RETURNING; the per-row fallback must agree with the bulk path."""
    connection_id = data(sqlite_gateway.connect(sqlite_gateway.new_org(), upkeep_sandbox.url))["createConnection"][
        "connection"
    ]["id"]
    engine = make_engine(sqlite_gateway.services.settings.database_url)
    engine.dialect.insert_returning = False  # what SQLAlchemy sets on an SQLite older than 3.35
    old_sqlite = Store(engine)
    try:

        def write(records: list[Record]) -> list[str]:
            with old_sqlite.write() as session:
                return [r.remote_id for r in replica.upsert(session, connection_id, records, "run-1", "status")]

        assert write([record(1), record(2)]) == ["wo-00001", "wo-00002"]
        assert write([record(1), record(2)]) == []
        assert write([record(1), record(2, title="Changed"), record(3)]) == ["wo-00002", "wo-00003"]
    finally:
        old_sqlite.close()


# -- through real syncs ----------------------------------------------------------------------------

SYNC = {**FAST, "sync_page_size": 20}  # 620 work orders: 31 pages, past statistics.AFTER_PAGES


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def sync_gateway(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway with the scheduler on; on PostgreSQL a database of its own, never analyzed before."""
    tmp = tmp_path_factory.mktemp(f"gw-upsert-{request.param}")
    if request.param == "sqlite":
        yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", **SYNC)
        return
    request.getfixturevalue("postgres_url")  # skips (or fails in CI) without a server
    with fresh_postgres_database() as url:
        yield from _start_gateway(tmp, url, "postgresql", **SYNC)


def events(conn: Conn, event_type: str) -> list[Event]:
    with conn.gateway.services.store.read() as session:
        return list(session.exec(select(Event).where(Event.connection_id == conn.id, Event.type == event_type)))


def full_sync(conn: Conn) -> None:
    done = len(events(conn, "sync.completed"))
    conn.trigger(full=True)
    wait_until(lambda: len(events(conn, "sync.completed")) > done)


@pytest.mark.slow
def test_full_resync_reports_exactly_the_changed_record(sync_gateway):
    receiver = Receiver()
    with ServerThread(receiver.app()) as hooks, ServerThread(create_upkeep_sandbox()) as sandbox:
        conn = Conn(sync_gateway, sandbox)
        create = 'mutation($u: String!) { createWebhookEndpoint(url: $u, events: ["record.changed"]) { secret } }'
        data(sync_gateway.gql(conn.admin, create, {"u": f"{hooks.url}/hook"}))
        try:
            wait_until(lambda: events(conn, "sync.completed"))
            full_sync(conn)  # every page read again, nothing changed upstream
            assert events(conn, "record.changed") == []
            touched = sandbox.app.state.data.records("work-orders")[437]["id"]  # on the 22nd page of 20
            sandbox.app.state.data.touch("work-orders", [touched])
            full_sync(conn)
            changed = events(conn, "record.changed")
            assert [(e.data["entity"], e.data["remoteId"], e.data["change"]) for e in changed] == [
                ("WorkOrder", touched, "upserted")
            ]
            delivered = wait_until(lambda: receiver.events("record.changed"), timeout=10)
            assert [r.json["data"]["remoteId"] for r in delivered] == [touched]
        finally:
            conn.close()


def test_a_large_sync_gives_postgresql_statistics(sync_gateway, upkeep_sandbox):
    if sync_gateway.backend != "postgresql":
        assert statistics.refresh_if_stale(sync_gateway.services.store.engine) is False
        return
    conn = Conn(sync_gateway, upkeep_sandbox)
    try:
        wait_until(lambda: events(conn, "sync.completed"))
        with sync_gateway.services.store.engine.connect() as db:
            analyzed, estimate = db.execute(
                text(
                    "SELECT s.last_analyze, c.reltuples FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid"
                    " WHERE s.relname = 'replica_record'"
                )
            ).one()
        assert analyzed is not None and estimate >= 20 * statistics.AFTER_PAGES  # analyzed by the sync, not autovacuum
    finally:
        conn.close()
