"""Manifest logins other than Basic, against the sandboxes of the systems they imitate: the records a
manifest connector reads are the ones its Python twin reads, and a refused login is a failed login.
Also: the SSRF guard applies to a manifest's system as to any other."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.base import ConnectionConfig, Connector, ListQuery
from connectors.manifests import ManifestConnector, load_file
from connectors.registry import builtin
from sandboxes.business_central.app import COMPANY_ID, cloud_login
from sandboxes.business_central.app import SANDBOX as BUSINESS_CENTRAL
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.maintainx.app import SANDBOX as MAINTAINX
from sandboxes.upkeep.app import SANDBOX as UPKEEP
from schema.errors import PlantgateError, SystemAuthFailed

MANIFESTS = Path(__file__).resolve().parent / "manifests"
CASES = [  # manifest, sandbox, its Python twin, the entity, a wrong login
    ("upkeep_session.yaml", UPKEEP, "upkeep", "Vendor", {"password": "wrong"}),
    ("maintainx_header.yaml", MAINTAINX, "maintainx", "Location", {"apiKey": "wrong"}),
]


@pytest.fixture(params=CASES, ids=[c[2] for c in CASES])
def pair(request: pytest.FixtureRequest) -> Iterator[tuple]:
    file, sandbox, twin, entity, wrong = request.param
    cls = load_file(MANIFESTS / file, builtin())
    with ServerThread(sandbox.create_app()) as server:
        yield cls, builtin()[twin], server.url, dict(sandbox.credentials), entity, wrong


def _made(cls: type[Connector], url: str, credentials: dict[str, str]) -> Connector:
    return cls(ConnectionConfig("CLOUD", url, credentials))


async def _all(connector: Connector, entity: str, query: ListQuery = ListQuery()) -> list:
    records, cursor = [], None
    while True:
        page = await connector.list_page(entity, query, cursor, 7)
        records += page.records
        if page.next_cursor is None:
            return records
        cursor = page.next_cursor


async def test_the_manifest_reads_what_its_python_twin_reads(pair):
    cls, twin, url, credentials, entity, _ = pair
    manifest, python = _made(cls, url, credentials), _made(twin, url, credentials)
    try:
        await manifest.check()
        mine, theirs = await _all(manifest, entity), await _all(python, entity)
        assert [r.remote_id for r in mine] == [r.remote_id for r in theirs] and mine
        for a, b in zip(mine, theirs, strict=True):
            assert {k: v for k, v in a.values.items() if k in b.values} == {
                k: b.values[k] for k in a.values if k in b.values
            }
    finally:
        await manifest.aclose()
        await python.aclose()


async def test_a_time_filter_is_pushed_in_the_manifest_time_format(pair):
    cls, _, url, credentials, entity, _ = pair
    manifest = _made(cls, url, credentials)
    control = SandboxControl(url)
    try:
        since = datetime.now(UTC) - timedelta(days=3650)
        found = await _all(manifest, entity, ListQuery(updated_after=since))
        assert found
        param = manifest.stream(entity).updated_param
        sent = {r["query"].get(param) for r in control.requests() if r["method"] == "GET"}
        assert sent == {str(manifest.format_time(since))}, (
            "every list call carries the filter, in the manifest's format"
        )
    finally:
        await manifest.aclose()


async def test_a_refused_login_is_a_failed_login(pair):
    cls, _, url, credentials, _, wrong = pair
    manifest = _made(cls, url, {**credentials, **wrong})
    try:
        with pytest.raises(SystemAuthFailed):
            await manifest.check()
    finally:
        await manifest.aclose()


async def test_oauth_client_credentials_and_a_company_in_the_path():
    cls = load_file(MANIFESTS / "business_central_oauth.yaml", builtin())
    with ServerThread(BUSINESS_CENTRAL.create_app()) as server:
        login = cloud_login(server.url, COMPANY_ID)
        manifest, python = _made(cls, server.url, login), _made(builtin()["business_central"], server.url, login)
        wrong = _made(cls, server.url, {**login, "clientSecret": "wrong"})
        elsewhere = _made(cls, server.url, {**login, "companyId": f"{COMPANY_ID})/vendors("})
        try:
            await manifest.check()
            mine, theirs = await _all(manifest, "Location"), await _all(python, "Location")
            assert sorted((r.remote_id, r.values["name"]) for r in mine) == sorted(
                (r.remote_id, r.values["name"]) for r in theirs
            )
            with pytest.raises(SystemAuthFailed, match="invalid_client"):
                await wrong.check()
            with pytest.raises(PlantgateError):  # the sandbox knows no such company
                await elsewhere.check()
            paths = {r["path"] for r in SandboxControl(server.url).requests() if r["method"] == "GET"}
            assert f"/api/v2.0/companies({COMPANY_ID})/locations" in paths
            assert elsewhere.base_url.endswith(f"/companies({COMPANY_ID}%29%2Fvendors%28)"), "one quoted segment"
        finally:
            for made in (manifest, python, wrong, elsewhere):
                await made.aclose()


def test_a_manifest_system_is_behind_the_ssrf_guard(sqlite_gateway, admin_key):
    result = sqlite_gateway.connect(
        admin_key,
        "https://169.254.169.254/",
        system="limble_manifest",
        credentials={"client_id": "a", "client_secret": "b"},
    )
    error = result["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["field"] == "instanceUrl"
    assert "cloud metadata" in error["message"]


def test_manifest_connectors_are_kit_connectors():
    assert issubclass(load_file(MANIFESTS / "upkeep_session.yaml", builtin()), ManifestConnector)
