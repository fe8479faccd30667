"""The Limble sandbox refuses what Limble refuses and pages, filters and writes as docs/vendors/limble.md says."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandboxes.kit import ServerThread
from sandboxes.limble.app import DEFAULT_CREDENTIALS, DEMO_CLIENT_ID, MAX_LIMIT, create_app
from sandboxes.limble.seed import Dataset

AUTH = (DEMO_CLIENT_ID, DEFAULT_CREDENTIALS[DEMO_CLIENT_ID])


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(create_app()) as running:
        yield running


@pytest.fixture
def api(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{server.url}/v2", auth=AUTH) as client:
        yield client


@pytest.mark.parametrize(
    "auth",
    [None, (DEMO_CLIENT_ID, "wrong"), ("someone-else", DEFAULT_CREDENTIALS[DEMO_CLIENT_ID]), (DEMO_CLIENT_ID, "")],
)
def test_a_call_without_the_right_client_secret_is_a_401_with_limbles_body(server, auth):
    answer = httpx.get(f"{server.url}/v2/assets", auth=auth)
    assert answer.status_code == 401
    assert answer.json() == {"status": 401, "message": "Unauthorized: check the client id and client secret"}


def test_a_header_that_is_not_basic_is_refused(server):
    for header in ("Bearer abc", "Basic not-base64!", "Basic " + "x" * 8):
        assert httpx.get(f"{server.url}/v2/assets", headers={"Authorization": header}).status_code == 401


def test_lists_are_bare_arrays_paged_by_page_and_limit(api, server):
    everything = api.get("/tasks").json()
    assert isinstance(everything, list) and len(everything) == server.app.state.data.count("tasks")
    pages, page = [], 1
    while True:
        rows = api.get("/tasks", params={"page": page, "limit": 100}).json()
        pages.append(rows)
        if len(rows) < 100:
            break
        page += 1
    assert [len(p) for p in pages] == [100, 100, 100, 100, 80]
    assert [r["taskID"] for p in pages for r in p] == [r["taskID"] for r in everything]
    assert [r["taskID"] for r in everything] == sorted(r["taskID"] for r in everything)
    assert api.get("/tasks", params={"page": 9, "limit": 100}).json() == []


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": -1}, {"limit": "ten"}, {"limit": MAX_LIMIT + 1}, {"page": 0}, {"page": "x"}]
)
def test_bad_paging_parameters_are_a_400(api, params):
    answer = api.get("/assets", params=params)
    assert answer.status_code == 400 and answer.json()["status"] == 400


def test_ids_filters_are_comma_separated_and_named_after_the_resource(api):
    tasks = api.get("/tasks", params={"locations": "7001,7002", "types": "6"}).json()
    assert tasks and all(t["locationID"] in (7001, 7002) and t["type"] == 6 for t in tasks)
    assets = api.get("/assets", params={"assets": "52001,52003,999"}).json()
    assert [a["assetID"] for a in assets] == [52001, 52003]
    by_asset = api.get("/tasks", params={"assets": "52010"}).json()
    assert by_asset and {t["assetID"] for t in by_asset} == {52010}
    assert api.get("/tasks", params={"tasks": "1,abc"}).status_code == 400


def test_dates_are_epoch_seconds_and_zero_means_none(api):
    for task in api.get("/tasks").json():
        assert all(isinstance(task[k], int) for k in ("due", "dateCompleted", "createdDate", "lastEdited"))
        assert (task["dateCompleted"] == 0) == (task["statusID"] != 2)
        assert 1_700_000_000 < task["createdDate"] <= task["lastEdited"] < 2_000_000_000


def test_one_record_is_the_bare_object_and_unknown_ones_are_404(api):
    assert api.get("/locations/7001").json()["name"] == "North Plant"
    assert api.get("/locations/1").status_code == 404
    assert api.get("/locations/abc").json() == {"status": 404, "message": "Not Found"}
    assert api.get("/widgets").status_code == 404


def test_a_task_is_created_open_and_moved_by_patch(api):
    refused = api.post("/tasks", json={"name": "Fix", "locationID": 7001, "statusID": 1})
    assert refused.status_code == 400 and "statusID" in refused.json()["message"]
    made = api.post("/tasks", json={"name": "Fix", "locationID": 7001, "due": 1_790_000_000, "assetID": None})
    assert made.status_code == 201
    task = made.json()
    assert (task["statusID"], task["type"], task["assetID"], task["dateCompleted"]) == (0, 2, 0, 0)
    done = api.patch(f"/tasks/{task['taskID']}", json={"statusID": 2, "priority": 3}).json()
    assert (done["statusID"], done["priority"]) == (2, 3) and done["dateCompleted"] >= task["createdDate"]
    assert api.get(f"/tasks/{task['taskID']}").json() == done
    assert api.delete(f"/tasks/{task['taskID']}").status_code == 204
    assert api.get(f"/tasks/{task['taskID']}").status_code == 404
    assert api.patch(f"/tasks/{task['taskID']}", json={"name": "x"}).status_code == 404


@pytest.mark.parametrize(
    "body, words",
    [
        ({"locationID": 7001}, "'name' is required"),
        ({"name": "x"}, "'locationID' is required"),
        ({"name": "x", "locationID": 1}, "unknown locations record"),
        ({"name": "x", "locationID": 7001, "priority": 9}, "'priority' must be one of"),
        ({"name": "x", "locationID": 7001, "due": "2026-01-01"}, "'due' must be an integer"),
        ({"name": "x", "locationID": 7001, "colour": "red"}, "'colour' is not an attribute"),
        ([1, 2], "non-empty JSON object"),
    ],
)
def test_a_task_write_limble_would_refuse_is_a_400(api, body, words):
    answer = api.post("/tasks", json=body)
    assert answer.status_code == 400 and words in answer.json()["message"]


def test_only_tasks_take_writes(api):
    assert api.post("/assets", json={"name": "Pump"}).status_code == 405
    assert api.patch("/parts/8101", json={"quantity": 3}).status_code == 405


def test_the_seed_is_deterministic():
    assert Dataset(7).snapshot() == Dataset(7).snapshot() != Dataset(8).snapshot()
