"""The conformance kit: every connector passes the same checks against its system.

Parametrized over `cases/` (one module per system): credentials, listing to
the end, modified-since, fetch-many, enum mapping, raw records, the mapping of
upstream failures, and the upstream cost of a nested query through the gateway.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from datetime import UTC, datetime, timedelta

import pytest

from connectors.base import ConnectionConfig, Connector, ListQuery
from connectors.http import HttpPolicy
from connectors.registry import connector_class
from schema.entities import BY_NAME
from schema.errors import PlantgateError, RateLimited, SystemAuthFailed, SystemUnreachable
from tests.conformance.case import Running, SystemCase
from tests.conformance.cases import all_cases, case_params
from tests.helpers import data

CASES = all_cases()
POLICY = HttpPolicy(connect_timeout=1.0, read_timeout=1.0, retries=1, backoff=0.01)


@pytest.fixture(scope="module", params=case_params(CASES))
def case_running(request: pytest.FixtureRequest) -> Iterator[tuple[SystemCase, Running]]:
    case: SystemCase = request.param
    with case.start() as running:
        yield case, running


@pytest.fixture
def case(case_running) -> SystemCase:
    return case_running[0]


@pytest.fixture
def running(case_running) -> Iterator[Running]:
    yield case_running[1]
    case_running[1].control.clear_fault()


def make_connector(
    case: SystemCase, running: Running, credentials: dict | None = None, url: str | None = None
) -> Connector:
    cls = connector_class(case.system)
    assert cls is not None, f"{case.system} is not registered"
    config = ConnectionConfig(case.hosting, url or running.instance_url, dict(credentials or running.credentials))
    return cls(config, POLICY)


@pytest.fixture
async def connector(case, running) -> AsyncIterator[Connector]:
    made = make_connector(case, running)
    yield made
    await made.aclose()


def readable(connector: Connector) -> list[str]:
    return [name for name, cap in connector.entry.capabilities.items() if cap.read]


async def list_all(connector: Connector, entity: str, query: ListQuery = ListQuery(), limit: int = 50) -> list:
    records, cursor = [], None
    for _ in range(10_000):
        page = await connector.list_page(entity, query, cursor, limit)
        records += page.records
        if page.next_cursor is None:
            return records
        cursor = page.next_cursor
    raise AssertionError("listing did not end")


async def test_check_accepts_good_credentials(connector):
    await connector.check()


async def test_check_rejects_bad_credentials(case, running):
    bad = make_connector(case, running, running.bad_credentials)
    try:
        with pytest.raises(SystemAuthFailed):
            await bad.check()
    finally:
        await bad.aclose()


async def test_every_entity_lists_to_the_end_in_a_stable_order(connector):
    assert readable(connector), "a connector declares at least one readable entity"
    for entity in readable(connector):
        first = await list_all(connector, entity)
        ids = [r.remote_id for r in first]
        assert ids, f"{entity}: the sandbox has records"
        assert len(ids) == len(set(ids)), f"{entity}: duplicates while paging"
        assert all(r.entity == entity for r in first)
        again = await list_all(connector, entity, limit=17)
        assert [r.remote_id for r in again] == ids, f"{entity}: order depends on page size"


async def test_reading_pages_gives_what_listing_page_after_page_gives(connector):
    """A sync reads with `read_pages` (which may ask for the next page ahead): the same pages, in order."""
    for entity in readable(connector):
        listed, cursor = [], None
        while True:
            page = await connector.list_page(entity, ListQuery(), cursor, 17)
            listed.append(([r.values for r in page.records], page.next_cursor))
            if (cursor := page.next_cursor) is None:
                break
        async with aclosing(connector.read_pages(entity, ListQuery(), None, 17)) as pages:
            read = [([r.values for r in page.records], page.next_cursor) async for page in pages]
        assert read == listed, entity


async def test_modified_since_returns_exactly_the_changed_records(case, connector, running):
    for entity in readable(connector):
        if not connector.entry.capabilities[entity].incremental or entity in case.no_modified_since:
            continue
        page = await connector.list_page(entity, ListQuery(), None, 20)
        changed = sorted({r.remote_id for r in page.records[2:5]})
        since = datetime.now(UTC) - timedelta(seconds=1)
        running.touch(entity, changed)
        found = await list_all(connector, entity, ListQuery(updated_after=since))
        assert sorted(r.remote_id for r in found) == changed, entity


async def test_fetch_many_returns_the_records_that_exist(connector):
    for entity in readable(connector):
        page = await connector.list_page(entity, ListQuery(), None, 10)
        wanted = {r.remote_id: r for r in page.records[:5]}
        fetched = await connector.fetch_many(entity, [*wanted, "999999999"])
        assert sorted(r.remote_id for r in fetched) == sorted(wanted), entity
        for record in fetched:
            assert record.values == wanted[record.remote_id].values, entity


async def test_enums_are_declared_values_with_the_raw_value_kept(connector):
    for entity in readable(connector):
        page = await connector.list_page(entity, ListQuery(), None, 100)
        enum_fields = [f for f in BY_NAME[entity].fields if f.enum]
        for record in page.records:
            for f in enum_fields:
                value = record.values.get(f.name)
                assert value is None or value in f.enum.values, f"{entity}.{f.name} = {value!r}"
                if value is not None:
                    assert record.values.get(f"{f.name}Raw") is not None, f"{entity}.{f.name}Raw lost"


async def test_remote_data_is_the_raw_record(connector):
    for entity in readable(connector):
        page = await connector.list_page(entity, ListQuery(), None, 5)
        for record in page.records:
            assert isinstance(record.remote_data, dict) and record.remote_data, entity
            assert record.remote_id in {str(v) for v in _scalars(record.remote_data)}, entity


def _scalars(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _scalars(item)
    elif isinstance(value, list):
        for item in value:
            yield from _scalars(item)
    else:
        yield value


@pytest.mark.parametrize(
    "fault, error",
    [
        pytest.param({"mode": "slow", "delay": 3}, SystemUnreachable, marks=pytest.mark.slow),  # waits out a timeout
        ({"mode": "down"}, SystemUnreachable),
        ({"mode": "error", "status": 500}, SystemUnreachable),
        ({"mode": "error", "status": 503}, SystemUnreachable),
        ({"mode": "rate_limit", "retry_after": 9}, RateLimited),
        ({"mode": "unauthorized"}, SystemAuthFailed),
    ],
    ids=["timeout", "dropped", "500", "503", "429", "401"],
)
async def test_upstream_failures_map_to_codes(connector, running, fault, error):
    await connector.check()  # logged in, so the fault hits a read
    entity = readable(connector)[0]
    running.control.fault(**fault)
    with pytest.raises(error) as raised:
        await connector.list_page(entity, ListQuery(), None, 10)
    if error is RateLimited:
        assert raised.value.retry_after == 9
    assert isinstance(raised.value, PlantgateError)
    for secret in running.credentials.values():
        assert secret not in raised.value.message


async def test_refused_connection_is_unreachable(case, running):
    closed = make_connector(case, running, url="http://127.0.0.1:9")
    try:
        with pytest.raises(SystemUnreachable):
            await closed.check()
    finally:
        await closed.aclose()


def test_nested_query_costs_the_minimum_upstream_calls(case, running, sqlite_gateway):
    admin = sqlite_gateway.new_org()
    created = data(
        sqlite_gateway.gql(
            admin,
            """
        mutation($i: CreateConnectionInput!) { createConnection(input: $i) { token } }""",
            {
                "i": {
                    "system": case.system,
                    "hosting": case.hosting,
                    "name": "conformance",
                    "instanceUrl": running.instance_url,
                    "credentials": running.credentials,
                }
            },
        )
    )
    token = created["createConnection"]["token"]
    first_entity = BY_NAME[readable(make_connector(case, running))[0]].plural
    data(sqlite_gateway.gql(token, f"{{ {first_entity}(first: 1) {{ nodes {{ remoteId }} }} }}"))  # log in
    running.control.clear_requests()
    answer = data(sqlite_gateway.gql(token, case.nested_query))
    calls = running.control.requests()
    assert len(calls) == case.expected_calls(answer, running), [c["path"] for c in calls]
