"""The kit's generic pieces on plain declarations: specs, a mapping's read paths, bare-body envelopes,
a REST stream's fixed parameters, the version check before a write (over real HTTP against a small
stand-in API), time fields taken from each RPC model's mapping, and sandbox datasets keyed by a
field other than `id`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connectors.base import ConnectionConfig, ListQuery
from connectors.catalog import Capability, SystemEntry
from connectors.http import HttpPolicy
from connectors.jsonrpc import Model, ModelRpcConnector
from connectors.mapping import Compute, Date, EntityMap, Ids, Join, parse_datetime, spec_path
from connectors.rest import Envelope, PagePaging, RestConnector, Stream
from connectors.writes import WriteMap
from sandboxes.data import Record, SeededDataset
from sandboxes.kit import ServerThread
from schema.errors import BadUserInput, Conflict, NotFound

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
TASKS = EntityMap(
    "WorkOrder",
    remote_id="taskID",
    display=Join(("taskID", "name")),
    fields={"title": "name", "asset": Ids("assetIDs", first=True), "label": Compute(lambda r: r["name"])},
    updated_at=Date("edited", "epoch_s"),
)
PLACES = EntityMap("Location", remote_id="placeID", fields={"name": "name"})  # keeps no version


def test_ids_reads_a_separated_list_or_its_first() -> None:
    assert Ids("ids").extract({"ids": " 4, 7,,9 "}) == ["4", "7", "9"]
    assert Ids("ids", first=True).extract({"ids": "4,7"}) == "4"
    assert Ids("ids", first=True).extract({"ids": ""}) is None and Ids("ids").extract({}) == []
    assert Ids("ids", sep=";").extract({"ids": "4;7"}) == ["4", "7"]


def test_dates_in_every_style_come_out_aware_and_utc_and_an_unknown_style_is_an_error() -> None:
    noon = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert parse_datetime("2026-03-01T12:00:00.000Z") == noon
    assert parse_datetime("2026-03-01T13:00:00+01:00") == noon
    assert parse_datetime("2026-03-01T12:00:00") == noon  # no offset: taken as UTC
    shifted = parse_datetime("2026-03-01T13:00:00+01:00")
    assert shifted is not None and shifted.tzinfo is UTC
    assert parse_datetime(1772366400000, "epoch_ms") == noon == parse_datetime("1772366400", "epoch_s")
    assert parse_datetime(None) is None and parse_datetime("", "epoch_ms") is None
    with pytest.raises(ValueError, match="unknown date style"):
        parse_datetime("2026-03-01", "dd.mm.yyyy")


def test_a_mapping_names_the_paths_it_reads_once_each() -> None:
    assert TASKS.paths() == ("taskID", "name", "assetIDs", "edited")  # not the computed or joined ones
    assert replace(TASKS, created_at="name").paths() == ("taskID", "name", "assetIDs", "edited")
    assert (spec_path("a.b"), spec_path(Join(("a", "b"))), spec_path(None)) == ("a.b", None, None)


def test_an_envelope_without_keys_takes_the_body_itself() -> None:
    bare = Envelope(records=None, record=None)
    assert bare.rows([{"taskID": 1}]) == [{"taskID": 1}] and bare.row({"taskID": 1}) == {"taskID": 1}
    assert Envelope().rows({"results": [1]}) == [1] and Envelope().row({"result": 2}) == 2


# -- a REST system with bare bodies and two entities on one path ------------------------------------

ROWS = [
    {"taskID": 1, "name": "Fix pump", "kind": "wo", "assetIDs": "5", "edited": 1767225600},
    {"taskID": 2, "name": "Leak", "kind": "req", "assetIDs": "", "edited": 1767225600},
    {"taskID": 3, "name": "Oil", "kind": "wo", "assetIDs": "6,7", "edited": 1767312000},
]
PLACE_ROWS = [{"placeID": 9, "name": "Hall"}]


def _api(seen: list[dict[str, str]]) -> Starlette:
    """Lists by `page`/`limit` as bare arrays, filtered by `kind` and `ids`; one record as a bare object."""

    def listed(request: Request, rows: list[dict[str, Any]], key: str) -> JSONResponse:
        query = dict(request.query_params)
        seen.append(query)
        kept = [r for r in rows if r.get("kind", query.get("kind")) == query.get("kind")]
        if "ids" in query:
            kept = [r for r in kept if str(r[key]) in query["ids"].split(",")]
        return JSONResponse(kept)

    async def tasks(request: Request) -> JSONResponse:
        return listed(request, ROWS, "taskID")

    async def places(request: Request) -> JSONResponse:
        return listed(request, PLACE_ROWS, "placeID")

    async def change(request: Request) -> JSONResponse:
        row = next(r for r in ROWS if str(r["taskID"]) == request.path_params["id"])
        return JSONResponse({**row, **await request.json()})

    return Starlette(
        routes=[
            Route("/tasks", tasks),
            Route("/places", places),
            Route("/tasks/{id}", change, methods=["PATCH", "DELETE"]),
        ]
    )


ENTRY = SystemEntry(
    "stand-in",
    "Stand-in",
    "Nobody",
    "CMMS",
    1,
    ("CLOUD",),
    (),
    {"WorkOrder": Capability(update=True, delete=True), "MaintenanceRequest": Capability(), "Location": Capability()},
)


class StandIn(RestConnector):
    entry = ENTRY
    list_key = item_key = None
    paging = PagePaging()
    id_pattern = (r"[0-9]+", "whole numbers")
    streams = (
        Stream(
            TASKS,
            "/tasks",
            status_field=None,
            ids_param="ids",
            params={"kind": "wo"},
            writes=WriteMap("Stand-in", "WorkOrder", {"title": "name"}),
        ),
        Stream(replace(TASKS, entity="MaintenanceRequest"), "/tasks", status_field=None, params={"kind": "req"}),
        Stream(PLACES, "/places", status_field=None, ids_param="ids", writes=WriteMap("Stand-in", "Location", {})),
    )


@pytest.fixture(scope="module")
def served() -> Any:
    seen: list[dict[str, str]] = []
    server = ServerThread(_api(seen)).start()
    yield server, seen
    server.stop()


@pytest.fixture
async def connector(served: Any) -> AsyncIterator[StandIn]:
    server, seen = served
    seen.clear()
    connector = StandIn(ConnectionConfig("CLOUD", server.url), HttpPolicy(retries=0))
    yield connector
    await connector.aclose()


async def test_a_streams_fixed_params_go_with_its_lists_and_fetches(connector: StandIn, served: Any) -> None:
    _, seen = served
    page = await connector.list_page("WorkOrder", ListQuery(), None, 10)
    assert [r.remote_id for r in page.records] == ["1", "3"] and page.records[1].values["asset"] == "6"
    requests = await connector.list_page("MaintenanceRequest", ListQuery(), None, 10)
    assert [r.remote_id for r in requests.records] == ["2"]
    assert [r.remote_id for r in await connector.fetch_many("WorkOrder", ["1", "2", "3"])] == ["1", "3"]
    assert [q["kind"] for q in seen] == ["wo", "req", "wo"] and seen[2]["ids"] == "1,2,3"


async def test_a_write_checks_the_version_the_client_read(connector: StandIn) -> None:
    (current,) = await connector.fetch_many("WorkOrder", ["1"])
    version = current.values["remoteVersion"]
    updated = await connector.update("WorkOrder", "1", {"title": "Fix pump now"}, version)
    assert updated.values["title"] == "Fix pump now"
    with pytest.raises(Conflict) as stale:
        await connector.update("WorkOrder", "1", {"title": "x"}, "2020-01-01T00:00:00+00:00")
    assert stale.value.extensions["currentVersion"] == version
    with pytest.raises(NotFound):
        await connector.delete("WorkOrder", "2", version)  # a request: not a work order
    with pytest.raises(BadUserInput, match="keeps no version of Location"):
        await connector.current_version("Location", "9", "v1")
    with pytest.raises(BadUserInput, match="whole numbers"):
        await connector.current_version("WorkOrder", "x1", None)


async def test_a_write_may_ask_that_the_record_exists_without_a_version(connector: StandIn, served: Any) -> None:
    _, seen = served
    await connector.current_version("WorkOrder", "1", None)
    assert seen == []  # nothing to compare: no read
    await connector.current_version("WorkOrder", "1", None, must_exist=True)
    with pytest.raises(NotFound, match="Stand-in has no WorkOrder 4"):
        await connector.current_version("WorkOrder", "4", None, must_exist=True)
    assert len(seen) == 2


# -- an RPC system whose models keep their own time fields ------------------------------------------


class ModelStamps(ModelRpcConnector):
    entry = ENTRY
    updated_field = created_field = None
    models = (
        Model(replace(TASKS, created_at=Date("made")), "task", TASKS.paths()),
        Model(PLACES, "place", PLACES.paths()),
    )


def test_rpc_time_filters_use_each_models_own_fields() -> None:
    connector = ModelStamps(ConnectionConfig("CLOUD", "http://unused.invalid"))
    tasks, places = ModelStamps.models
    assert connector.stamp_fields(tasks) == ("edited", "made") and connector.stamp_fields(places) == (None, None)
    query = ListQuery(updated_after=SINCE, created_after=SINCE)
    stamp = "2026-01-01 00:00:00"
    assert connector.list_domain(tasks, query) == [["edited", ">", stamp], ["made", ">", stamp]]
    assert connector.list_domain(places, query) is None  # places carry no time: nothing can match
    assert not connector.filterable(places).updated_after and connector.filterable(tasks).created_after


# -- a sandbox dataset keyed by a vendor's own id field ---------------------------------------------


class Keyed(SeededDataset):
    def generate(self) -> dict[str, list[Record]]:
        return {"tasks": [{"taskID": 1, "name": "a"}, {"taskID": 2, "name": "b"}]}

    def now_stamp(self) -> int:
        return 0

    def id_field(self, resource: str) -> str:
        return "taskID"


def test_a_dataset_indexes_inserts_and_removes_by_its_id_field() -> None:
    data = Keyed()
    assert data.get("tasks", 2) == {"taskID": 2, "name": "b"}
    data.insert("tasks", {"taskID": 3, "name": "c"})
    assert [r["name"] for r in data.remove("tasks", [1])] == ["a"]
    assert [r["taskID"] for r in data.records("tasks")] == [2, 3] and data.get("tasks", 3) is not None
    with pytest.raises(KeyError):
        data.remove("tasks", [1])
