"""The Fiix sandbox over real HTTP: signed URLs, Fiix's error objects, ql filters, paging, batches, writes.

Requests are signed here, independently of the connector, as Fiix's developer guide says:
HMAC-SHA256 (secret key) of the URL without its scheme, hex, in `Authorization`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from connectors.base import ConnectionConfig, ListQuery
from connectors.fiix.connector import CONNECTOR
from sandboxes.fiix.app import DEMO_KEYS, DEMO_SECRET, SANDBOX, create_app
from sandboxes.kit import ServerThread
from schema.errors import RateLimited


@pytest.fixture(scope="module")
def app():
    return create_app()


@pytest.fixture(scope="module")
def server(app) -> Iterator[ServerThread]:
    with ServerThread(app) as running:
        yield running


def call(
    server: ServerThread,
    body: dict[str, Any],
    *,
    secret: str = DEMO_SECRET,
    keys: dict[str, str] = DEMO_KEYS,
    stamp: int | None = None,
    signature: str | None = None,
) -> httpx.Response:
    query = urlencode(
        {
            "action": body["_maCn"],
            "service": "cmms",
            "appKey": keys["app_key"],
            "accessKey": keys["access_key"],
            "signatureMethod": "HmacSHA256",
            "signatureVersion": "1",
            "timestamp": str(int(time.time() * 1000) if stamp is None else stamp),
        }
    )
    url = f"{server.url}/api/?{query}"
    signed = hmac.new(secret.encode(), url.removeprefix("http://").encode(), hashlib.sha256).hexdigest()
    headers = {"Authorization": signature or signed, "Content-Type": "text/plain"}
    return httpx.post(url, content=json.dumps(body), headers=headers, timeout=5)


def find(server: ServerThread, cls: str, **extra: Any) -> dict[str, Any]:
    response = call(server, {"_maCn": "FindRequest", "className": cls, **extra})
    assert response.status_code == 200
    return response.json()


def error_of(response: httpx.Response, code: int) -> dict[str, Any]:
    """Fiix answers application errors with HTTP 200 and the response's `error` object."""
    assert response.status_code == 200
    body = response.json()
    assert body["_maCn"].endswith("Response") and body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str)
    return body["error"]


WORK_ORDER = {"_maCn": "FindRequest", "className": "WorkOrder", "fields": "id, strCode", "maxObjects": 2}


def test_a_real_signature_is_accepted(server):
    body = call(server, WORK_ORDER).json()
    assert body["_maCn"] == "FindResponse" and "error" not in body
    assert body["totalObjects"] == 260
    assert body["objects"] == [
        {"className": "WorkOrder", "id": 20001, "strCode": "WO00001"},
        {"className": "WorkOrder", "id": 20002, "strCode": "WO00002"},
    ]


def test_a_bad_signature_is_rejected(server):
    error_of(call(server, WORK_ORDER, signature="0" * 64), 7002)


def test_a_wrong_secret_is_rejected(server):
    error_of(call(server, WORK_ORDER, secret="not-the-secret"), 7002)


def test_an_expired_timestamp_is_rejected_though_signed(server):
    error_of(call(server, WORK_ORDER, stamp=int(time.time() * 1000) - 6 * 60 * 1000), 7003)
    assert "error" not in call(server, WORK_ORDER, stamp=int(time.time() * 1000) - 60 * 1000).json()


def test_unknown_keys_are_rejected(server):
    error_of(call(server, WORK_ORDER, keys={**DEMO_KEYS, "access_key": "macmmsaakp-unknown"}), 7001)


def test_an_unknown_class_or_field_is_rejected(server):
    assert "Unknown class" in error_of(call(server, {**WORK_ORDER, "className": "Gizmo"}), 7400)["message"]
    error_of(call(server, {**WORK_ORDER, "fields": "id, strNope"}), 7400)
    error_of(call(server, {"_maCn": "LaunchRequest"}), 7400)


def test_ql_filters_and_paging(server, app):
    raw = app.state.data.records("WorkOrder")
    ids = [raw[3]["id"], raw[7]["id"], raw[9]["id"]]
    picked = find(server, "WorkOrder", fields="id", filters=[{"ql": "id IN (?, ?, ?)", "parameters": ids}])
    assert [o["id"] for o in picked["objects"]] == ids and picked["totalObjects"] == 3
    bound = raw[100]["dtmDateLastModified"]
    later = find(
        server,
        "WorkOrder",
        fields="id",
        filters=[{"ql": "dtmDateLastModified > ? AND intSiteID = ?", "parameters": [bound, raw[0]["intSiteID"]]}],
    )
    expected = [r["id"] for r in raw if r["dtmDateLastModified"] > bound and r["intSiteID"] == raw[0]["intSiteID"]]
    assert [o["id"] for o in later["objects"]] == expected[:100] and later["totalObjects"] == len(expected)
    second = find(server, "Asset", fields="id", startIndex=100, maxObjects=500, orderBy="id")
    assert [o["id"] for o in second["objects"]] == [r["id"] for r in app.state.data.records("Asset")[100:200]]
    error_of(call(server, {**WORK_ORDER, "filters": [{"ql": "id LIKE ?", "parameters": ["x"]}]}), 7400)


def test_batch_answers_each_request_in_order(server):
    body = call(
        server,
        {
            "_maCn": "BatchRequest",
            "requests": [
                {"_maCn": "FindByIdRequest", "className": "User", "id": 500, "fields": "id, strFullName"},
                {"_maCn": "FindByIdRequest", "className": "User", "id": 999999, "fields": "id"},
                {"_maCn": "RpcRequest", "name": "Ping"},
            ],
        },
    ).json()
    assert body["_maCn"] == "BatchResponse"
    first, missing, ping = body["responses"]
    assert first["object"] == {"className": "User", "id": 500, "strFullName": "Avery Chen"}
    assert missing == {"_maCn": "FindByIdResponse", "object": None} and ping == {"_maCn": "RpcResponse"}


def test_writes_are_validated_then_stored(server):
    refused = call(server, {"_maCn": "AddRequest", "className": "Business", "object": {"strColour": "red"}})
    assert "strColour" in error_of(refused, 7400)["message"]
    bad_site = {"strDescription": "x", "intSiteID": 1040}  # an equipment asset, not a site
    error_of(call(server, {"_maCn": "AddRequest", "className": "WorkOrder", "object": bad_site}), 7400)
    added = call(
        server,
        {
            "_maCn": "AddRequest",
            "className": "WorkOrder",
            "fields": "id, strCode, intSiteID",
            "object": {"strDescription": "Fix it", "intSiteID": 1001},
        },
    ).json()["object"]
    assert added["intSiteID"] == 1001 and added["strCode"].startswith("WO")
    changed = call(
        server,
        {
            "_maCn": "ChangeRequest",
            "className": "WorkOrder",
            "changeFields": "strDescription",
            "fields": "strDescription, intSiteID",
            "object": {"id": added["id"], "strDescription": "Fixed", "intSiteID": 1002},
        },
    ).json()["object"]
    assert changed == {"className": "WorkOrder", "strDescription": "Fixed", "intSiteID": 1001}  # changeFields only
    removed = call(server, {"_maCn": "RemoveRequest", "className": "WorkOrder", "id": added["id"]}).json()
    assert removed == {"_maCn": "RemoveResponse", "count": 1}
    error_of(call(server, {"_maCn": "RemoveRequest", "className": "WorkOrder", "id": added["id"]}), 7404)
    error_of(call(server, {"_maCn": "RemoveRequest", "className": "User", "id": 500}), 7400)


def test_throttling_is_error_1100_and_the_connector_says_rate_limited():
    with ServerThread(create_app(per_second=2)) as throttled:
        answers = [call(throttled, WORK_ORDER).json() for _ in range(3)]
        assert ["error" in a for a in answers] == [False, False, True]
        error = answers[2]["error"]
        assert error["code"] == 1100 and 0 < error["object"]["P_CLIENT_AUTO_RETRY_WAIT_ADVISORY_MS"] <= 1000

        async def list_three_pages() -> None:
            connector = CONNECTOR(ConnectionConfig("CLOUD", throttled.url, SANDBOX.credentials))
            try:
                for _ in range(3):
                    await connector.list_page("WorkOrder", ListQuery(), None, 5)
            finally:
                await connector.aclose()

        time.sleep(1.0)
        with pytest.raises(RateLimited) as raised:
            asyncio.run(list_three_pages())
        assert raised.value.retry_after is not None and 0 < raised.value.retry_after <= 1
