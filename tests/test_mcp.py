"""`plantgate mcp` through the MCP SDK's own client, over stdio and streamable HTTP, against a real gateway.

The MCP server is a subprocess that knows only the gateway's URL and one UpKeep
connection token; the sandbox behind that connection is this module's alone, so
what a write tool did (or did not do) is counted in the sandbox itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager

import httpx
import mcp_types as types
import pytest
from mcp.client.session import ClientSession

from gateway.mcp.readonly import NotReadOnly, check_read_only
from sandboxes.kit import ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.conftest import Gateway
from tests.helpers import data
from tests.mcp_sessions import http_server, http_session, payload, run_to_exit, stdio_session, text
from tests.write_helpers import module_sandbox

pytestmark = pytest.mark.processes

sandbox = module_sandbox(create_upkeep_sandbox)
RECORD = "id remoteId number title status priority updatedAt"


@pytest.fixture(scope="module")
def token(sqlite_gateway: Gateway, sandbox: ServerThread) -> str:
    """One UpKeep connection of a fresh organization."""
    created = sqlite_gateway.connect(sqlite_gateway.new_org(), sandbox.url, name="MCP")
    return data(created)["createConnection"]["token"]


@pytest.fixture(scope="module")
def http_endpoint(sqlite_gateway: Gateway, token: str) -> Iterator[str]:
    with http_server(sqlite_gateway.url, token) as endpoint:
        yield endpoint


@pytest.fixture(params=["stdio", "http"])
def open_session(request: pytest.FixtureRequest, sqlite_gateway: Gateway, token: str):
    """Opens an MCP session over each transport (inside the test, where the SDK's task groups live)."""

    def opener() -> AbstractAsyncContextManager[ClientSession]:
        if request.param == "stdio":
            return stdio_session(sqlite_gateway.url, token)
        return http_session(request.getfixturevalue("http_endpoint"))

    return opener


def error_codes(result: types.CallToolResult) -> list[str]:
    """The GraphQL `extensions.code`s a failed tool call passed on."""
    return [e["extensions"]["code"] for e in json.loads(text(result))["errors"]]


def work_order_count(sandbox: ServerThread) -> int:
    return len(sandbox.app.state.data.records("work-orders"))


async def test_tools_are_the_connections_schema(open_session, sqlite_gateway, token):
    async with open_session() as session:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    for name in ("list_work_orders", "get_work_order", "list_assets", "list_users", "get_user", "graphql_query"):
        assert name in tools
    assert {"create_work_order", "update_work_order", "delete_work_order", "create_vendor"} <= set(tools)
    # UpKeep's shaped schema: no maintenance schedules, no vendor delete, and users are read-only.
    assert not {"list_maintenance_schedules", "delete_vendor", "create_user"} & set(tools)
    assert "passthrough" not in tools  # raw requests are for scripts, not a model's tools

    described = data(sqlite_gateway.gql(token, '{ __type(name: "Query") { fields { name description } } }'))
    work_orders = next(f for f in described["__type"]["fields"] if f["name"] == "workOrders")
    assert tools["list_work_orders"].description.startswith(work_orders["description"])
    assert set(tools["list_work_orders"].input_schema["properties"]) == {"first", "after", "filter", "source"}
    assert tools["list_work_orders"].input_schema["properties"]["source"]["enum"] == ["LIVE", "REPLICA"]

    hints = {name: tools[name].annotations for name in ("list_work_orders", "create_work_order", "delete_work_order")}
    assert hints["list_work_orders"].read_only_hint and not hints["list_work_orders"].destructive_hint
    assert not hints["create_work_order"].read_only_hint and not hints["create_work_order"].destructive_hint
    assert hints["delete_work_order"].destructive_hint and tools["update_work_order"].annotations.destructive_hint


async def test_list_work_orders_pages_like_the_graphql_api(open_session, sqlite_gateway, token):
    query = (
        f"query($a: String) {{ workOrders(first: 4, after: $a) {{ nodes {{ {RECORD} }} pageInfo {{ endCursor }} }} }}"
    )
    first = data(sqlite_gateway.gql(token, query))["workOrders"]
    second = data(sqlite_gateway.gql(token, query, {"a": first["pageInfo"]["endCursor"]}))["workOrders"]
    async with open_session() as session:
        page = payload(await session.call_tool("list_work_orders", {"first": 4}))
        after = payload(
            await session.call_tool("list_work_orders", {"first": 4, "after": page["pageInfo"]["endCursor"]})
        )
    for ours, theirs in ((page, first), (after, second)):
        assert [{k: n[k] for k in RECORD.split()} for n in ours["nodes"]] == theirs["nodes"]
    assert page["pageInfo"]["hasNextPage"] is True
    assert "remoteData" in page["nodes"][0]  # the whole unified record, the system's raw one included


async def test_list_filters_by_status(open_session, sandbox):
    wanted = {r["id"] for r in sandbox.app.state.data.records("work-orders") if r["status"] == "onHold"}
    async with open_session() as session:
        page = payload(await session.call_tool("list_work_orders", {"first": 200, "filter": {"status": ["ON_HOLD"]}}))
    assert wanted and {n["remoteId"] for n in page["nodes"]} == wanted


async def test_get_work_order_by_id(open_session, sqlite_gateway, token):
    one = data(sqlite_gateway.gql(token, f"{{ workOrders(first: 3) {{ nodes {{ {RECORD} }} }} }}"))["workOrders"]
    wanted = one["nodes"][2]
    async with open_session() as session:
        got = payload(await session.call_tool("get_work_order", {"id": wanted["id"]}))
        missing = await session.call_tool("get_work_order", {})
    assert {k: got[k] for k in RECORD.split()} == wanted
    assert missing.is_error


async def test_graphql_query_reads_and_refuses_writes_before_sending(open_session, sandbox, sqlite_gateway, token):
    before = work_order_count(sandbox)
    async with open_session() as session:
        read = payload(
            await session.call_tool(
                "graphql_query",
                {"query": "query($n: Int) { workOrders(first: $n) { nodes { title } } }", "variables": {"n": 2}},
            )
        )
        refused = await session.call_tool(
            "graphql_query", {"query": 'mutation { createWorkOrder(input: {title: "sneaked"}) { replayed } }'}
        )
        invalid = await session.call_tool("graphql_query", {"query": "{ maintenanceSchedules { nodes { id } } }"})
    expected = data(sqlite_gateway.gql(token, "{ workOrders(first: 2) { nodes { title } } }"))
    assert read == expected
    assert refused.is_error and "mutation is refused" in text(refused)
    assert work_order_count(sandbox) == before
    assert invalid.is_error and "UpKeep has no MaintenanceSchedule records" in text(invalid)


async def test_a_write_the_connection_lacks_is_refused(open_session, sandbox):
    vendors = len(sandbox.app.state.data.records("vendors"))
    vendor = sandbox.app.state.data.records("vendors")[0]["id"]
    async with open_session() as session:
        refused = await session.call_tool("delete_vendor", {"id": vendor})
        user = await session.call_tool("create_user", {"input": {"name": "someone"}})
    assert refused.is_error and "does not offer" in text(refused)
    assert user.is_error and "does not offer" in text(user)
    assert len(sandbox.app.state.data.records("vendors")) == vendors


async def test_an_allowed_write_reaches_the_system(open_session, sandbox, request):
    title = f"MCP leak at pump {request.node.callspec.id}"
    async with open_session() as session:
        made = payload(await session.call_tool("create_work_order", {"input": {"title": title}}))
        bad = await session.call_tool("create_work_order", {"input": {"title": title}, "colour": "red"})
    assert made["replayed"] is False and made["record"]["title"] == title
    stored = [r for r in sandbox.app.state.data.records("work-orders") if r["id"] == made["record"]["remoteId"]]
    assert len(stored) == 1 and stored[0]["title"] == title
    assert bad.is_error and "colour" in text(bad)


async def test_update_and_delete_reach_the_system_and_their_errors_come_back(open_session, sandbox):
    async with open_session() as session:
        made = payload(await session.call_tool("create_work_order", {"input": {"title": "MCP to rename"}}))["record"]
        renamed = payload(
            await session.call_tool(
                "update_work_order", {"id": made["id"], "input": {"title": "MCP renamed"}, "ifMatch": None}
            )
        )
        stale = await session.call_tool(
            "update_work_order", {"id": made["id"], "input": {"title": "late"}, "ifMatch": made["remoteVersion"]}
        )
        missing = await session.call_tool("update_work_order", {"id": "NoSuchOrder", "input": {"title": "x"}})
        gone = payload(await session.call_tool("delete_work_order", {"id": made["id"]}))
    assert renamed["record"]["title"] == "MCP renamed"
    assert stale.is_error and error_codes(stale) == ["SYSTEM_REJECTED"]
    assert json.loads(text(stale))["errors"][0]["extensions"]["reason"] == "CONFLICT"
    assert missing.is_error and error_codes(missing) == ["NOT_FOUND"]
    assert gone["deleted"] is True
    assert made["remoteId"] not in {r["id"] for r in sandbox.app.state.data.records("work-orders")}


async def test_update_inputs_take_null_to_clear(open_session):
    async with open_session() as session:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    fields = tools["update_work_order"].input_schema["properties"]["input"]["properties"]
    assert fields["dueDate"]["type"] == ["string", "null"]
    assert fields["priority"]["enum"][-1] is None
    assert tools["update_work_order"].input_schema["required"] == ["id", "input"]


def test_the_http_transport_refuses_a_foreign_host(http_endpoint):
    """A web page cannot reach the token through DNS rebinding: only loopback Host headers are served."""
    hello = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    refused = httpx.post(http_endpoint, json=hello, headers={"Host": "evil.example"}, timeout=10)
    assert refused.status_code == 421


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_a_bad_token_stops_the_command_at_startup(sqlite_gateway, transport):
    done = run_to_exit(sqlite_gateway.url, "pg_conn_not-a-token", "--transport", transport)
    assert done.returncode != 0
    assert "plantgate mcp: the gateway refused the token" in done.stderr


def test_an_admin_key_is_not_served(sqlite_gateway):
    done = run_to_exit(sqlite_gateway.url, sqlite_gateway.new_org())
    assert done.returncode != 0 and "that is an admin key" in done.stderr


def test_an_unreachable_gateway_stops_the_command_at_startup(token):
    done = run_to_exit("http://127.0.0.1:9", token)
    assert done.returncode != 0 and "cannot reach the gateway" in done.stderr


@pytest.mark.parametrize(
    "document",
    [
        "mutation { deleteAsset(id: 1) { deleted } }",
        "subscription { syncEvents { entity } }",
        "query A { workOrders { totalCount } } mutation B { deleteAsset(id: 1) { deleted } }",
        "{ workOrders {",
        "fragment F on Query { workOrders { totalCount } }",
    ],
)
def test_only_queries_pass_the_read_only_check(document):
    with pytest.raises(NotReadOnly):
        check_read_only(document)
    check_read_only("query($n: Int) { workOrders(first: $n) { totalCount } }")
