"""Business Central against its sandbox: both logins, the company check, v4 literals, nextLink paging,
fetch-many in one `$batch`, ETags, and what the sandbox refuses with the vendor's error body."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from connectors.base import ConnectionConfig, ListQuery
from connectors.business_central.connector import BusinessCentralConnector
from connectors.odata.batch import BATCH_SIZE
from connectors.odata.client_v4 import ODataV4Client
from connectors.odata.query import KEYS_PER_CALL
from sandboxes.business_central.app import (
    CLIENT_ID,
    CLIENT_SECRET,
    COMPANY_ID,
    ON_PREMISES_LOGIN,
    SCOPE,
    TENANT,
    cloud_login,
    create_app,
)
from sandboxes.kit import SandboxControl, ServerThread
from schema.errors import BadUserInput, Conflict, SystemAuthFailed, SystemRejected
from tests.helpers import own_sandbox

API = "/api/v2.0"


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[ServerThread]:
    yield from own_sandbox(request, create_app)


def connector_for(sandbox: ServerThread, credentials: dict[str, str]) -> BusinessCentralConnector:
    hosting = "CLOUD" if "clientId" in credentials else "ON_PREMISES"
    return BusinessCentralConnector(ConnectionConfig(hosting, sandbox.url, credentials))


@pytest.fixture
async def cloud(sandbox: ServerThread) -> AsyncIterator[BusinessCentralConnector]:
    made = connector_for(sandbox, cloud_login(sandbox.url, COMPANY_ID))
    yield made
    await made.aclose()


def token_calls(control: SandboxControl) -> int:
    return sum(1 for r in control.requests() if r["path"].endswith("/oauth2/v2.0/token"))


def token(sandbox: ServerThread) -> str:
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "scope": SCOPE}
    return httpx.post(f"{sandbox.url}/{TENANT}/oauth2/v2.0/token", data=form).json()["access_token"]


def api_get(sandbox: ServerThread, path: str, bearer: str, **params: str) -> httpx.Response:
    return httpx.get(f"{sandbox.url}{API}/{path}", params=params, headers={"Authorization": f"Bearer {bearer}"})


def vendor_error(response: httpx.Response) -> dict[str, Any]:
    """The vendor's error body: `{"error": {"code", "message"}}`, nothing else."""
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body["error"]


async def test_client_credentials_token_is_fetched_once_and_renewed_after_a_401(sandbox, control, cloud):
    entities = ("Vendor", "Part", "Asset", "Location", "User")
    await asyncio.gather(*(cloud.list_page(entity, ListQuery(), None, 5) for entity in entities))  # concurrent firsts
    await cloud.check()
    assert token_calls(control) == 1
    sandbox.app.state.bc.tokens.clear()  # the token is revoked before it expires
    page = await cloud.list_page("Vendor", ListQuery(), None, 5)
    assert len(page.records) == 5 and token_calls(control) == 2


async def test_refused_client_secret_names_the_error_never_the_secret(sandbox):
    secret = "a-wrong-client-secret"
    bad = connector_for(sandbox, {**cloud_login(sandbox.url, COMPANY_ID), "clientSecret": secret})
    with pytest.raises(SystemAuthFailed) as raised:
        await bad.check()
    await bad.aclose()
    assert "invalid_client" in str(raised.value) and secret not in str(raised.value)


async def test_on_premises_basic_login_with_the_web_service_access_key(sandbox):
    good = connector_for(sandbox, dict(ON_PREMISES_LOGIN))
    await good.check()
    assert len((await good.list_page("PurchaseOrder", ListQuery(), None, 3)).records) == 3
    await good.aclose()
    bad = connector_for(sandbox, {**ON_PREMISES_LOGIN, "webServiceAccessKey": "not-the-key"})
    with pytest.raises(SystemAuthFailed):
        await bad.check()
    await bad.aclose()
    with pytest.raises(BadUserInput) as online:  # Business Central online takes no access keys
        BusinessCentralConnector(ConnectionConfig("CLOUD", sandbox.url, dict(ON_PREMISES_LOGIN)))
    assert online.value.extensions["field"] == "clientId"


@pytest.mark.parametrize("other", ["00000000-0000-0000-0000-00000000abcd", "CRONUS)/vendors(x"])
async def test_an_unknown_company_is_refused_with_the_environments_companies(sandbox, other):
    wrong = connector_for(sandbox, cloud_login(sandbox.url, other))
    with pytest.raises(BadUserInput) as raised:
        await wrong.check()
    with pytest.raises(SystemRejected):
        await wrong.list_page("Vendor", ListQuery(), None, 5)
    assert isinstance(wrong.odata, ODataV4Client)
    assert wrong.odata.path("", "vendors").endswith(")/vendors") and wrong.odata.path("", "vendors").count("/") == 1
    await wrong.aclose()
    assert COMPANY_ID in str(raised.value) and "CRONUS USA, Inc." in str(raised.value)
    answer = api_get(sandbox, "companies(00000000-0000-0000-0000-00000000abcd)/vendors", token(sandbox))
    assert answer.status_code == 400 and vendor_error(answer)["code"] == "Internal_CompanyNotFound"


@pytest.mark.parametrize("sandbox", [{"token_lifetime": 0}], indirect=True)
def test_sandbox_refuses_an_expired_and_an_unknown_token(sandbox):
    expired = api_get(sandbox, "companies", token(sandbox))
    assert expired.status_code == 401 and "expired" in vendor_error(expired)["message"]
    unknown = api_get(sandbox, "companies", "not-a-token")
    assert unknown.status_code == 401 and vendor_error(unknown)["code"] == "Authentication_InvalidCredentials"


def test_sandbox_refuses_a_malformed_filter_and_v2_literals(sandbox):
    bearer = token(sandbox)
    for text in ("number eq", "lastModifiedDateTime gt datetimeoffset'2025-01-01T00:00:00Z'", "nope eq 'x'"):
        answer = api_get(sandbox, f"companies({COMPANY_ID})/vendors", bearer, **{"$filter": text})
        assert answer.status_code == 400, text
        assert vendor_error(answer)["code"] == "BadRequest"


async def test_time_filter_goes_as_a_bare_v4_literal_and_is_applied_upstream(sandbox, control, cloud):
    since = datetime(2025, 1, 10, tzinfo=UTC)
    control.clear_requests()
    page = await cloud.list_page("Vendor", ListQuery(updated_after=since), None, 100)
    sent = next(r for r in control.requests() if r["path"].endswith("/vendors"))
    assert sent["query"]["$filter"] == "lastModifiedDateTime gt 2025-01-10T00:00:00Z"
    assert sent["query"]["$count"] == "true"
    assert page.records and all(r.values["updatedAt"] > since for r in page.records)
    assert page.total == len(page.records)


@pytest.mark.parametrize("sandbox", [{"page_size": 7}], indirect=True)
async def test_server_pages_are_followed_by_next_link(sandbox, control):
    client = ODataV4Client(
        sandbox.url + API,
        system="Business Central",
        auth=httpx.BasicAuth(ON_PREMISES_LOGIN["username"], ON_PREMISES_LOGIN["webServiceAccessKey"]),
        prefix=f"companies({COMPANY_ID})",
    )
    control.clear_requests()
    everything = await client.collect("", "vendors")
    await client.aclose()
    assert len(everything.results) == 24 and len({r["id"] for r in everything.results}) == 24
    skiptokens = [r["query"].get("$skiptoken") for r in control.requests()]
    assert skiptokens == [None, "7", "14", "21"]


async def test_fetch_many_is_one_batch_call(sandbox, control, cloud):
    ids = [r.remote_id for r in (await cloud.list_page("Part", ListQuery(), None, 40)).records]
    ids += [r.remote_id for r in (await cloud.list_page("Part", ListQuery(), "40", 40)).records]
    control.clear_requests()
    found = await cloud.fetch_many("Part", [*ids, "not-a-guid", "00000000-0000-0000-0000-000000000001"])
    assert sorted(r.remote_id for r in found) == sorted(ids)
    assert [(r["method"], r["path"]) for r in control.requests()] == [("POST", f"{API}/$batch")]


async def test_update_sends_the_etag_and_a_stale_one_is_a_conflict(sandbox, cloud):
    vendor = (await cloud.list_page("Vendor", ListQuery(), None, 1)).records[0]
    version = vendor.values["remoteVersion"]
    changed = await cloud.update("Vendor", vendor.remote_id, {"email": "new@vendor.example.com"}, version)
    assert changed.values["email"] == "new@vendor.example.com" and changed.values["remoteVersion"] != version
    with pytest.raises(Conflict) as raised:
        await cloud.update("Vendor", vendor.remote_id, {"email": "late@vendor.example.com"}, version)
    assert raised.value.extensions["currentVersion"] == changed.values["remoteVersion"]


def test_connecting_to_a_company_the_environment_lacks_lists_its_companies(sqlite_gateway, admin_key, sandbox):
    login = cloud_login(sandbox.url, "00000000-0000-0000-0000-00000000abcd")
    answer = sqlite_gateway.connect(
        admin_key, sandbox.url, system="business_central", hosting="CLOUD", credentials=login
    )
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["field"] == "companyId"
    assert COMPANY_ID in error["message"] and CLIENT_SECRET not in error["message"]
    login = cloud_login(sandbox.url, COMPANY_ID)
    made = sqlite_gateway.connect(admin_key, sandbox.url, system="business_central", hosting="CLOUD", credentials=login)
    assert "errors" not in made, made


async def test_more_reads_than_a_batch_takes_go_in_several_batches(sandbox, control, cloud):
    unknown = [str(uuid.UUID(int=n + 1)) for n in range(KEYS_PER_CALL * BATCH_SIZE + 1)]  # 101 reads
    await cloud.check()  # logged in
    control.clear_requests()
    assert await cloud.fetch_many("Vendor", unknown) == []
    assert [r["path"] for r in control.requests()] == [f"{API}/$batch", f"{API}/$batch"]


def test_sandbox_refuses_a_batch_of_more_than_100_operations(sandbox):
    requests = [{"id": str(n), "method": "GET", "url": f"companies({COMPANY_ID})/vendors"} for n in range(101)]
    answer = httpx.post(
        f"{sandbox.url}{API}/$batch", json={"requests": requests}, headers={"Authorization": f"Bearer {token(sandbox)}"}
    )
    assert answer.status_code == 400 and "maximum number of '100'" in vendor_error(answer)["message"]
