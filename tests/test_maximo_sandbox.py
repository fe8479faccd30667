"""The Maximo sandbox over real HTTP: auth, lean envelopes, oslc.* queries, paging, errors, faults."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.maximo.app import DEMO_API_KEY, create_app
from sandboxes.maximo.seed import COUNTS, Dataset

WO = "/maximo/api/os/mxapiwodetail"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(create_app()) as running:
        yield running


@pytest.fixture(scope="module")
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5, headers={"apikey": DEMO_API_KEY}) as http:
        yield http


@pytest.fixture(autouse=True)
def no_fault(server) -> Iterator[None]:
    yield
    server.app.state.sandbox.clear_fault()


def get(client: httpx.Client, path: str = WO, **params) -> dict:
    response = client.get(path, params={"lean": 1, **params})
    assert response.status_code == 200, response.text
    return response.json()


def error(response: httpx.Response, status: int, reason: str | None = None) -> str:
    assert response.status_code == status
    body = response.json()["Error"]
    assert body["statusCode"] == str(status) and body["message"].startswith(body["reasonCode"])
    if reason:
        assert body["reasonCode"] == reason
    return body["message"]


# --- auth ---------------------------------------------------------------------


def test_api_key_header_or_parameter_and_maxauth(server, client):
    assert get(client)["member"]
    with httpx.Client(base_url=server.url) as anonymous:
        assert anonymous.get(WO, params={"lean": 1, "apikey": DEMO_API_KEY}).status_code == 200
        maxauth = base64.b64encode(b"maxadmin:maxadmin").decode()
        response = anonymous.get("/maximo/oslc/os/mxapiasset", params={"lean": 1}, headers={"maxauth": maxauth})
        assert response.status_code == 200 and response.json()["member"]


def test_bad_or_missing_credentials_are_401_with_reason_codes(server):
    with httpx.Client(base_url=server.url) as anonymous:
        error(anonymous.get(WO, headers={"apikey": "forged"}), 401, "BMXAA9549E")
        bad = base64.b64encode(b"maxadmin:wrong").decode()
        error(anonymous.get(WO, headers={"maxauth": bad}), 401, "BMXAA0021E")
        error(anonymous.get(WO, headers={"maxauth": "%%%"}), 401, "BMXAA0021E")
        error(anonymous.get(WO), 401, "BMXAA7901E")


# --- envelopes and attributes ---------------------------------------------------


def test_members_carry_only_href_without_select(client):
    body = get(client, **{"oslc.pageSize": 3})
    assert all(list(m) == ["href"] for m in body["member"])
    href = body["member"][0]["href"]
    assert href.startswith(f"{client.base_url}{WO}/_")
    key = base64.urlsafe_b64decode(href.rsplit("/_", 1)[1].replace("-", "=")).decode()
    assert key == "BEDFORD/1001"


def test_select_names_attributes_with_domain_descriptions_and_omits_nulls(client):
    body = get(client, **{"oslc.select": "wonum,status,assetnum,actfinish", "oslc.pageSize": 60})
    for member in body["member"]:
        assert set(member) <= {"href", "_rowstamp", "wonum", "status", "status_description", "assetnum", "actfinish"}
        assert member["status_description"] and member["_rowstamp"].isdigit()
    assert any("assetnum" not in m for m in body["member"]) and any("actfinish" not in m for m in body["member"])
    everything = get(client, **{"oslc.select": "*", "oslc.pageSize": 1})["member"][0]
    assert {"wonum", "description", "changedate", "siteid", "reportdate"} <= set(everything)


def test_child_rows_come_inline_only_when_selected(client):
    path = "/maximo/api/os/mxapipo"
    plain = get(client, path, **{"oslc.select": "*", "oslc.pageSize": 1})["member"][0]
    assert "poline" not in plain
    nested = get(client, path, **{"oslc.select": "ponum,poline{polinenum,itemnum}", "oslc.pageSize": 1})["member"][0]
    assert nested["poline"] and all(set(line) == {"polinenum", "itemnum"} for line in nested["poline"])


def test_dates_keep_the_server_offset(client):
    member = get(client, **{"oslc.select": "changedate,reportdate", "oslc.pageSize": 1})["member"][0]
    for value in (member["changedate"], member["reportdate"]):
        assert datetime.fromisoformat(value).utcoffset() == timedelta(hours=-5), value


def test_without_lean_the_json_is_namespaced(client):
    body = client.get(WO, params={"oslc.select": "wonum", "oslc.pageSize": 1}).json()
    assert set(body) == {"rdfs:member", "rdf:about", "oslc:responseInfo"}
    assert set(body["rdfs:member"][0]) == {"rdf:about", "spi:wonum", "_rowstamp"}


# --- queries --------------------------------------------------------------------


def test_where_combines_comparisons_with_and(client):
    where = 'status="APPR" and wopriority<=2 and reportdate>"2025-06-01T00:00:00+00:00"'
    found = get(client, **{"oslc.where": where, "oslc.select": "wonum,status,wopriority,reportdate"})["member"]
    assert found
    for m in found:
        assert m["status"] == "APPR" and m["wopriority"] <= 2
        assert datetime.fromisoformat(m["reportdate"]) > datetime(2025, 6, 1, tzinfo=UTC)


def test_where_in_fetches_a_batch_by_key(client):
    found = get(client, **{"oslc.where": 'wonum in ["1003","1001","9999"]', "oslc.select": "wonum"})["member"]
    assert [m["wonum"] for m in found] == ["1001", "1003"]


def test_date_bounds_compare_instants_across_offsets(client):
    first = get(client, **{"oslc.select": "wonum,changedate", "oslc.pageSize": 1})["member"][0]
    moment = datetime.fromisoformat(first["changedate"])
    as_utc = moment.astimezone(UTC).isoformat()
    exact = get(client, **{"oslc.where": f'wonum="1001" and changedate>="{as_utc}"', "oslc.select": "wonum"})
    later = get(client, **{"oslc.where": f'wonum="1001" and changedate>"{as_utc}"', "oslc.select": "wonum"})
    assert len(exact["member"]) == 1 and later["member"] == []


def test_or_and_bad_syntax_are_rejected(client):
    assert "only 'and'" in error(client.get(WO, params={"lean": 1, "oslc.where": 'status="A" or status="B"'}), 400)
    error(client.get(WO, params={"lean": 1, "oslc.where": "status="}), 400, "BMXAA2661E")
    error(client.get(WO, params={"lean": 1, "oslc.select": "wonum,poline{a"}), 400)
    error(client.get(WO, params={"lean": 1, "oslc.pageSize": "0"}), 400)


def test_order_by_ascending_and_descending(client):
    up = get(client, **{"oslc.select": "wonum", "oslc.orderBy": "-wonum", "oslc.pageSize": 5})["member"]
    assert [m["wonum"] for m in up] == [str(1001 + COUNTS["mxapiwodetail"] - i) for i in range(1, 6)]
    newest = get(client, **{"oslc.select": "changedate", "oslc.orderBy": "-changedate", "oslc.pageSize": 20})["member"]
    stamps = [datetime.fromisoformat(m["changedate"]) for m in newest]
    assert stamps == sorted(stamps, reverse=True)


def test_pages_link_to_the_next_one_until_the_end(client):
    seen, params = (
        [],
        {"oslc.select": "assetnum", "oslc.pageSize": 50, "collectioncount": 1, "oslc.orderBy": "+assetnum"},
    )
    body = get(client, "/maximo/api/os/mxapiasset", **params)
    info = body["responseInfo"]
    assert (info["pagenum"], info["totalCount"], info["totalPages"]) == (1, COUNTS["mxapiasset"], 5)
    while True:
        seen += [m["assetnum"] for m in body["member"]]
        following = body["responseInfo"].get("nextPage")
        if not following:
            break
        query = {k: v[0] for k, v in parse_qs(urlsplit(following["href"]).query).items()}
        body = get(client, "/maximo/api/os/mxapiasset", **query)
    assert seen == sorted(seen) and len(set(seen)) == COUNTS["mxapiasset"]
    assert body["responseInfo"]["pagenum"] == 5 and "previousPage" in body["responseInfo"]


# --- errors, faults, control ---------------------------------------------------------


def test_unknown_structures_and_paths_are_404(client):
    assert "MXAPIGIZMO" in error(client.get("/maximo/api/os/mxapigizmo", params={"lean": 1}), 404, "BMXAA8727E")
    error(client.get("/maximo/nothing/here"), 404)


def test_faults_use_the_error_shape_and_are_logged(server, client):
    control = SandboxControl(server.url)
    control.clear_requests()
    control.fault("rate_limit", retry_after=7, count=1)
    limited = client.get(WO, params={"lean": 1})
    assert limited.headers["retry-after"] == "7"
    error(limited, 429)
    control.fault("error", status=503, count=1)
    error(client.get(WO, params={"lean": 1}), 503)
    assert client.get(WO, params={"lean": 1}).status_code == 200
    logged = control.requests()
    assert [r["path"] for r in logged] == [WO] * 3 and logged[0]["query"] == {"lean": "1"}


def test_touch_moves_changedate_to_now(server, client):
    before = datetime.now(UTC) - timedelta(seconds=1)
    response = httpx.post(f"{server.url}/__sandbox/touch", json={"resource": "mxapiasset", "ids": ["11005", "11100"]})
    assert response.status_code == 200
    where = f'changedate>"{before.replace(microsecond=0).isoformat()}"'
    found = get(client, "/maximo/api/os/mxapiasset", **{"oslc.where": where, "oslc.select": "assetnum,changedate"})
    assert sorted(m["assetnum"] for m in found["member"]) == ["11005", "11100"]
    assert all(datetime.fromisoformat(m["changedate"]).utcoffset() == timedelta(hours=-5) for m in found["member"])


def test_touch_rejects_unknown_ids_and_structures_without_changedate(server):
    touch = f"{server.url}/__sandbox/touch"
    error(httpx.post(touch, json={"resource": "mxapiasset", "ids": ["nope"]}), 404)
    error(httpx.post(touch, json={"resource": "mxapiperson", "ids": []}), 400)
    error(httpx.post(touch, json={"resource": "gizmo", "ids": []}), 400)


def test_seed_is_deterministic():
    assert Dataset(3).records("mxapipo") == Dataset(3).records("mxapipo")
    assert Dataset(3).records("mxapipo") != Dataset(4).records("mxapipo")


# --- counting and deleting, as IBM documents them ----------------------------------------


def test_collectioncount_counts_every_match_not_the_page(client):
    body = get(
        client, **{"oslc.where": 'status="CAN"', "oslc.select": "wonum", "oslc.pageSize": 1, "collectioncount": 1}
    )
    cancelled = sum(r["status"] == "CAN" for r in Dataset(11).records("mxapiwodetail"))
    assert len(body["member"]) == 1 and body["responseInfo"]["totalCount"] == cancelled
    assert "totalCount" not in get(client, **{"oslc.pageSize": 1})["responseInfo"]


def test_delete_is_http_delete_or_a_patch_with_the_delete_action(server):
    with httpx.Client(base_url=server.url, timeout=5, headers={"apikey": DEMO_API_KEY}) as http:
        made = [
            http.post(WO, params={"lean": 1}, json={"description": f"to delete {n}", "siteid": "BEDFORD"}).headers[
                "location"
            ]
            for n in range(3)
        ]

        def listed() -> set[str]:
            return {m["href"] for m in get(http, **{"oslc.where": 'status="WAPPR"'})["member"]}

        assert set(made) <= listed()
        undocumented = http.post(made[0], params={"lean": 1}, headers={"x-method-override": "DELETE"})
        error(undocumented, 400, "BMXAA9365E")
        assert made[0] in listed()
        assert http.delete(made[0], params={"lean": 1}).status_code == 200
        patched = http.post(
            made[1], params={"lean": 1}, headers={"x-method-override": "PATCH"}, json={"_action": "Delete"}
        )
        assert patched.status_code == 200
        assert not set(made[:2]) & listed() and made[2] in listed()
        error(http.delete(made[0]), 404)


# -- behaviours named in docs/vendors/maximo.md --------------------------------------------


def test_a_site_scoped_create_without_a_site_is_refused_as_maximo_does(client):
    refused = client.post(WO, params={"lean": 1}, json={"description": "no site"})
    assert "null is not a valid site" in error(refused, 400, "BMXAA4153E")
    made = client.post(WO, params={"lean": 1}, json={"description": "second site", "siteid": "NASHUA"})
    assert made.status_code == 201
    company = client.post("/maximo/api/os/mxapivendor", params={"lean": 1}, json={"company": "NOORG", "name": "x"})
    error(company, 400, "BMXAA4195E")


def test_inventory_serves_curbal_and_the_item_description_through_its_relation(client):
    rows = get(
        client,
        "/maximo/api/os/mxapiinventory",
        **{"oslc.select": "itemnum,item.description,curbal", "oslc.pageSize": 2},
    )["member"]
    assert all(isinstance(r["curbal"], float) and r["item"]["description"] for r in rows)
    assert not {"description", "curbaltotal"} & set(rows[0])
    schema = client.get("/maximo/api/jsonschemas/mxapiinventory").json()["properties"]
    assert "curbal" in schema and "curbaltotal" not in schema and "description" not in schema
    assert schema["curbal"]["readOnly"] is True


def test_read_only_attributes_are_marked_in_the_schema_and_refused_in_writes(client):
    schema = client.get("/maximo/api/jsonschemas/mxapiwodetail").json()["properties"]
    assert schema["actlabhrs"]["readOnly"] is True and "readOnly" not in schema["description"]
    refused = client.post(WO, params={"lean": 1}, json={"description": "x", "siteid": "BEDFORD", "actlabhrs": 3})
    assert "ACTLABHRS field on the WORKORDER object is read-only" in error(refused, 400)


def test_an_action_needs_the_patch_method_override(client):
    row = get(client, "/maximo/api/os/mxapiinventory", **{"oslc.select": "itemnum,curbal", "oslc.pageSize": 1})
    href, before = row["member"][0]["href"], row["member"][0]["curbal"]
    action = {"action": "wsmethod:adjustCurrentBalance", "lean": 1}
    error(client.post(href, params=action, json={"newcurbal": before + 1}), 400, "BMXAA9365E")
    done = client.post(href, params=action, headers={"x-method-override": "PATCH"}, json={"newcurbal": before + 1})
    assert done.status_code == 204
    assert client.get(href, params={"lean": 1}).json()["curbal"] == before + 1
