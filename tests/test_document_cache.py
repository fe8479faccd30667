"""Parsed documents are reused per schema and limits, never across schemas, and never skip a check."""

from __future__ import annotations

import gc
import weakref

import pytest
import strawberry
from graphql import build_schema

from gateway.graphql.documents import DocumentCache
from gateway.graphql.errors import RequestError
from gateway.graphql.execution import execute
from gateway.graphql.limits import Limits
from gateway.settings import Settings
from tests.conftest import Gateway
from tests.helpers import data

SHIFT = {"entity": "WorkOrder", "name": "shift", "type": "String", "remotePath": "customFields.shift"}
SET_CUSTOM_FIELDS = """
mutation($id: ID!, $i: ConnectionSettingsInput!) {
  updateConnectionSettings(id: $id, input: $i) { customFields }
}
"""
WITH_SHIFT = "{ workOrders(first: 2) { nodes { remoteId shift } } }"
SDL = "type Query { hello(first: Int): [Item] } type Item { name: String }"


def connection(gateway: Gateway, sandbox_url: str) -> tuple[str, str, str]:
    admin = gateway.new_org()
    created = data(gateway.connect(admin, sandbox_url))["createConnection"]
    return admin, created["connection"]["id"], created["token"]


def errors_of(answer: dict) -> list[str]:
    return [e["message"] for e in answer.get("errors", [])]


def test_the_same_text_is_checked_against_each_callers_own_schema(sqlite_gateway, upkeep_sandbox):
    admin, connection_id, token = connection(sqlite_gateway, upkeep_sandbox.url)
    _, _, other_token = connection(sqlite_gateway, upkeep_sandbox.url)
    data(sqlite_gateway.gql(admin, SET_CUSTOM_FIELDS, {"id": connection_id, "i": {"customFields": [SHIFT]}}))
    for _ in range(2):  # the second answer comes from the kept document
        assert len(data(sqlite_gateway.gql(token, WITH_SHIFT))["workOrders"]["nodes"]) == 2
    # A connection without the custom field has another schema: the kept document is not used for it.
    assert "Cannot query field 'shift'" in errors_of(sqlite_gateway.gql(other_token, WITH_SHIFT))[0]
    # Removing the field changes the connection's schema, so the text no longer validates for it either.
    data(sqlite_gateway.gql(admin, SET_CUSTOM_FIELDS, {"id": connection_id, "i": {"customFields": []}}))
    assert "Cannot query field 'shift'" in errors_of(sqlite_gateway.gql(token, WITH_SHIFT))[0]


def test_the_complexity_budget_is_checked_on_every_request_of_a_kept_document(sqlite_gateway, connection_token):
    query = "query($n: Int) { workOrders(first: $n) { nodes { id } } }"
    assert len(data(sqlite_gateway.gql(connection_token, query, {"n": 2}))["workOrders"]["nodes"]) == 2
    refused = sqlite_gateway.gql(connection_token, query, {"n": 100_000})
    assert refused["errors"][0]["extensions"]["limit"] == "maxPageSize" and "data" not in refused
    assert len(data(sqlite_gateway.gql(connection_token, query, {"n": 3}))["workOrders"]["nodes"]) == 3


@pytest.fixture
def limits() -> Limits:
    """A connection token's limits, introspection off."""
    return Limits.for_caller(Settings(introspection_for_connections=False), is_admin=False)


def test_a_vetted_document_is_parsed_once_per_schema(limits):
    cache = DocumentCache()
    schema, twin = build_schema(SDL), build_schema(SDL)
    first = limits.vet(schema, "{ hello { name } }", None, cache)
    assert limits.vet(schema, "{ hello { name } }", None, cache) is first
    assert limits.vet(twin, "{ hello { name } }", None, cache) is not first  # same SDL, another schema object
    assert len(cache) == 2


def test_limits_are_part_of_the_key(limits):
    cache = DocumentCache()
    schema = build_schema(SDL)
    introspection = "{ __schema { queryType { name } } }"
    admin = Limits.for_caller(Settings(), is_admin=True)
    admin.vet(schema, introspection, None, cache)
    with pytest.raises(RequestError) as refused:  # kept for the admin limits, still refused for a connection's
        limits.vet(schema, introspection, None, cache)
    assert refused.value.errors[0].original_error.extensions["limit"] == "introspection"


def test_refused_documents_take_no_room(limits):
    cache = DocumentCache()
    schema = build_schema(SDL)
    for query in ("{ nope }", "{ hello { name ", "{ hello(first: 100000) { name } }"):
        with pytest.raises(RequestError):
            limits.vet(schema, query, None, cache)
    # The last one validated and is kept: only its page size was over the limit, which depends on variables.
    assert len(cache) == 1


def test_the_cache_keeps_no_schema_alive(limits):
    """Schemas evicted from the schema cache must be freed; entries refer to them weakly."""
    cache = DocumentCache()
    schema = build_schema(SDL)
    limits.vet(schema, "{ hello { name } }", None, cache)
    gone = weakref.ref(schema)
    del schema
    gc.collect()
    assert gone() is None and len(cache) == 1


def test_the_cache_is_bounded_by_entries_and_by_characters(limits):
    schema = build_schema(SDL)
    by_count = DocumentCache(max_entries=3)
    queries = [f"{{ a{i}: hello {{ name }} }}" for i in range(5)]
    for query in queries:
        limits.vet(schema, query, None, by_count)
    assert len(by_count) == 3
    assert by_count.get(schema, limits, queries[0]) is None and by_count.get(schema, limits, queries[-1]) is not None
    by_size = DocumentCache(max_characters=len(queries[0]) * 2)
    for query in queries:
        limits.vet(schema, query, None, by_size)
    assert len(by_size) == 2
    long_query = "{ hello { " + "name " * 20 + "} }"
    limits.vet(schema, long_query, None, by_size)  # longer than the whole budget: run, not kept
    assert by_size.get(schema, limits, long_query) is None and len(by_size) == 2


@strawberry.type
class _Query:
    @strawberry.field
    def hello(self, name: str, info: strawberry.Info) -> str:
        return f"hello {name} from {info.context['who']}"

    @strawberry.field
    def broken(self) -> str | None:
        raise ValueError("upstream said no")


@pytest.mark.parametrize(
    "query, variables",
    [
        ("query($n: String!) { hello(name: $n) broken }", {"n": "plant"}),  # data, and a field error with a path
        ("query($n: String!) { hello(name: $n) }", {"n": 3}),  # variable coercion: no data
        ('query A { hello(name: "a") } query B { broken }', None),  # the named operation runs
    ],
)
async def test_running_a_vetted_document_answers_as_strawberry_does(query, variables):
    schema = strawberry.Schema(query=_Query)
    name = "B" if "query B" in query else None
    document = Limits.for_caller(Settings(), is_admin=True).vet(schema._schema, query, variables)
    ours = await execute(
        schema,
        document,
        query,
        variables=variables,
        context={"who": "us"},
        operation_name=name,
        operation_extensions=None,
    )
    theirs = await schema.execute(query, variables, {"who": "us"}, operation_name=name)
    assert (ours.data, ours.extensions, type(ours)) == (theirs.data, theirs.extensions, type(theirs))
    assert [e.formatted for e in ours.errors or []] == [e.formatted for e in theirs.errors or []]
    assert ours.errors or ours.data
