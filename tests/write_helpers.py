"""GraphQL write calls shared by the per-system write and customization tests (no fixtures here)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sandboxes.kit import ServerThread
from tests.helpers import data

BASE = "id remoteId remoteVersion"  # every system's types have these (not all keep a change time)


def module_sandbox(create_app: Callable[[], Any]) -> Any:
    """A `sandbox` fixture: the system's sandbox for one test module alone (its writes stay there)."""

    @pytest.fixture(scope="module")
    def sandbox() -> Iterator[ServerThread]:
        with ServerThread(create_app()) as server:
            yield server

    return sandbox


def create(gateway: Any, token: str, entity: str, values: dict, selection: str = "", key: str | None = None) -> dict:
    """The raw answer of `create<Entity>`."""
    return gateway.gql(
        token,
        f"mutation($input: {entity}CreateInput!, $key: String) {{ create{entity}(input: $input, idempotencyKey: $key) "
        f"{{ replayed record {{ {BASE} {selection} }} }} }}",
        {"input": values, "key": key},
    )


def update(
    gateway: Any, token: str, entity: str, id: str, values: dict, selection: str = "", if_match: str | None = None
) -> dict:
    return gateway.gql(
        token,
        f"mutation($id: ID!, $input: {entity}UpdateInput!, $ifMatch: String) {{ update{entity}(id: $id, input: $input, "
        f"ifMatch: $ifMatch) {{ record {{ {BASE} {selection} }} }} }}",
        {"id": id, "input": values, "ifMatch": if_match},
    )


def delete(gateway: Any, token: str, entity: str, id: str, if_match: str | None = None) -> dict:
    return gateway.gql(
        token,
        f"mutation($id: ID!, $ifMatch: String) {{ delete{entity}(id: $id, ifMatch: $ifMatch) {{ id remoteId deleted }} }}",
        {"id": id, "ifMatch": if_match},
    )


def adjust(
    gateway: Any,
    token: str,
    part: str,
    delta: float,
    location: str | None = None,
    key: str | None = None,
    selection: str = "quantityOnHand",
) -> dict:
    return gateway.gql(
        token,
        "mutation($part: ID!, $delta: Float!, $location: ID, $key: String) { adjustPartStock(partId: $part, "
        f"delta: $delta, locationId: $location, idempotencyKey: $key) {{ replayed record {{ {BASE} {selection} }} }} }}",
        {"part": part, "delta": delta, "location": location, "key": key},
    )


def record(result: dict, field: str) -> dict:
    """The written record of a successful mutation."""
    return data(result)[field]["record"]


def read(gateway: Any, token: str, entity: str, id: str, selection: str) -> dict | None:
    """A live by-id read (what a client sees right after the write)."""
    singular = entity[0].lower() + entity[1:]
    return data(gateway.gql(token, f"query($id: ID!) {{ {singular}(id: $id) {{ {BASE} {selection} }} }}", {"id": id}))[
        singular
    ]


def error(result: dict) -> dict:
    """The first error: its message and extensions."""
    assert result.get("errors"), f"expected an error, got {result}"
    first = result["errors"][0]
    return {"message": first["message"], **first["extensions"]}


def connection_of(
    gateway: Any, admin: str, url: str, system: str, hosting: str, credentials: dict, name: str = "Plant"
) -> tuple[str, str]:
    """A new connection to a system: (its id, its token)."""
    made = data(gateway.connect(admin, url, name=name, system=system, hosting=hosting, credentials=credentials))[
        "createConnection"
    ]
    return made["connection"]["id"], made["token"]


# -- customization (admin side) ------------------------------------------------------

FIELD_CANDIDATES = """query($id: ID!, $entity: String!) { customFieldCandidates(id: $id, entity: $entity)
  { entity remotePath name type filterable writable } }"""
OBJECT_CANDIDATES = """query($id: ID!) { customObjectCandidates(id: $id)
  { remoteName name plural idPath fields { name type remotePath } } }"""
SETTINGS = """mutation($id: ID!, $input: ConnectionSettingsInput!) { updateConnectionSettings(id: $id, input: $input)
  { customFields customObjects } }"""


def settle(gateway: Any, admin: str, connection_id: str, fields: list, objects: list) -> dict:
    """Declare a connection's custom fields and objects (replacing the earlier ones)."""
    return data(
        gateway.gql(admin, SETTINGS, {"id": connection_id, "input": {"customFields": fields, "customObjects": objects}})
    )


def type_fields(gateway: Any, token: str, type_name: str) -> set[str]:
    """The field names of a type in a connection's schema (empty when it has no such type)."""
    found = data(gateway.gql(token, "query($n: String!) { __type(name: $n) { fields { name } } }", {"n": type_name}))[
        "__type"
    ]
    return {f["name"] for f in found["fields"]} if found else set()
