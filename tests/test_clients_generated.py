"""`plantgate schema`, and typed clients generated from its SDL, run against a running gateway.

The TypeScript client (graphql-codegen, compiled with tsc, run with Node) and the
Python client (ariadne-codegen) are generated from clients/operations/ in a
temporary copy of clients/, exactly as the README's "Typed clients" says: a schema
change that breaks a generated client fails here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from subprocess import PIPE

import pytest
from graphql import (
    GraphQLSchema,
    build_client_schema,
    get_introspection_query,
    lexicographic_sort_schema,
    print_schema,
)
from graphql import build_schema as parse_sdl

from connectors.registry import CONNECTOR_DIR
from gateway.graphql.sdl import data_sdl
from sandboxes.kit import ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.client_tools import clients_project, python_client, typescript_client
from tests.conftest import Gateway
from tests.helpers import data, page_all

pytestmark = pytest.mark.processes

PLANTGATE = Path(sys.executable).parent / "plantgate"
SETTINGS = """
mutation($id: ID!, $input: ConnectionSettingsInput!) {
  updateConnectionSettings(id: $id, input: $input) { customFields }
}
"""
SHIFT = {"entity": "WorkOrder", "name": "shift", "type": "String", "remotePath": "customFields.shift"}


def plantgate_schema(gateway: Gateway, *calls: list[str]) -> list[tuple[int, str, str]]:
    """The real command, once per argument list (run side by side), on the gateway's database with its key
    and its connector manifests."""
    settings = gateway.services.settings
    env = {
        "PLANTGATE_CONNECTOR_DIR": os.environ.get(CONNECTOR_DIR, ""),
        "PLANTGATE_DATABASE_URL": settings.effective_database_url,
        "PLANTGATE_DATA_DIR": str(settings.data_dir),
        "PLANTGATE_SECRET_KEY": settings.secret_key or "",
        "PATH": str(PLANTGATE.parent),
    }
    running = [
        subprocess.Popen([PLANTGATE, "schema", *args], env=env, stdout=PIPE, stderr=PIPE, text=True) for args in calls
    ]
    outputs = [process.communicate(timeout=60) for process in running]
    return [(process.returncode, *output) for process, output in zip(running, outputs)]


def sdl_of(schema: GraphQLSchema) -> str:
    """Comparable SDL: the same types and fields print the same, whatever order they were built in."""
    return print_schema(lexicographic_sort_schema(schema))


def served(gateway: Gateway, token: str) -> str:
    """The schema a token is served, read by introspection over HTTP."""
    introspection = get_introspection_query(descriptions=True, specified_by_url=True, input_value_deprecation=True)
    return sdl_of(build_client_schema(data(gateway.gql(token, introspection))))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ServerThread]:
    """An UpKeep sandbox of this module's own: the clients create work orders."""
    with ServerThread(create_upkeep_sandbox()) as server:
        yield server


@pytest.fixture
def connection(sqlite_gateway: Gateway, sandbox: ServerThread) -> dict:
    admin = sqlite_gateway.new_org()
    created = data(sqlite_gateway.connect(admin, sandbox.url))["createConnection"]
    return {"admin": admin, "token": created["token"], "id": created["connection"]["id"]}


def test_schema_command_prints_each_schema(sqlite_gateway: Gateway, connection: dict) -> None:
    settings = {"id": connection["id"], "input": {"customFields": [SHIFT]}}
    data(sqlite_gateway.gql(connection["admin"], SETTINGS, settings))
    admin, default, own, unknown = plantgate_schema(
        sqlite_gateway, ["--admin"], [], ["--connection", connection["id"]], ["--connection", "nope"]
    )
    for code, _, err in (admin, default, own):
        assert code == 0, err
    admin_type = parse_sdl(admin[1]).mutation_type
    assert admin_type is not None and "createConnection" in admin_type.fields
    assert default[1] == data_sdl()
    assert "workOrders" in parse_sdl(default[1]).query_type.fields  # type: ignore[union-attr]
    assert "shift" in parse_sdl(own[1]).get_type("WorkOrder").fields  # type: ignore[union-attr]
    assert "shift" not in parse_sdl(default[1]).get_type("WorkOrder").fields  # type: ignore[union-attr]
    assert sdl_of(parse_sdl(own[1])) == served(sqlite_gateway, connection["token"])  # what each caller is answered
    assert sdl_of(parse_sdl(admin[1])) == served(sqlite_gateway, connection["admin"])
    assert unknown[0] == 1 and "no connection with id 'nope'" in unknown[2]


def test_generated_typescript_and_python_clients(sqlite_gateway: Gateway, connection: dict, tmp_path: Path) -> None:
    [(code, sdl, err)] = plantgate_schema(sqlite_gateway, ["--connection", connection["id"]])
    assert code == 0, err
    project = clients_project(tmp_path, sdl)
    env = {
        "PLANTGATE_URL": f"{sqlite_gateway.url}/graphql",
        "PLANTGATE_TOKEN": connection["token"],
        "PLANTGATE_IDEMPOTENCY_KEY": f"clients-{uuid.uuid4().hex}",
    }

    def numbers() -> list[str]:
        return [n["number"] for n in page_all(sqlite_gateway, connection["token"], "workOrders", "number", first=50)]

    before = numbers()
    typescript = typescript_client(project, env)
    assert typescript["numbers"] == before and typescript["pages"] == -(-len(before) // 50)
    assert typescript["byId"]["number"] == before[0]
    made = typescript["created"]
    assert made["replayed"] is False
    assert (made["record"]["title"], made["record"]["priority"]) == ("Replace drive belt", "HIGH")

    python = python_client(project, env)  # the same idempotency key: the stored result, not a second record
    assert python["numbers"] == numbers() == before + [made["record"]["number"]]
    assert python["byId"] == typescript["byId"]
    assert python["created"] == {**made, "replayed": True}
