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
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.maintainx.app import SANDBOX as MAINTAINX
from sandboxes.upkeep.app import SANDBOX as UPKEEP
from schema.errors import SystemAuthFailed

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
