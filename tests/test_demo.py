"""The embedded demo: every built-in sandbox can be connected and queried through the gateway."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.registry import connector_class
from gateway.app import SANDBOX_PREFIX
from gateway.demo import prepare_demo
from sandboxes.registry import sandboxes
from schema.entities import ENTITIES
from tests.conftest import Gateway, _start_gateway
from tests.helpers import data

FIRST_LIST = "{ %s(first: 2) { nodes { remoteId displayValue } } }"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gw-demo")
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", sandboxes=True)


def test_demo_prints_the_admin_key_pool_and_every_sandbox(demo):
    text = prepare_demo(demo.services, demo.url + SANDBOX_PREFIX)
    key = next(line.split()[-1] for line in text.splitlines() if "admin key:" in line)
    assert data(demo.gql(key, "{ credits { total available } }"))["credits"] == {"total": 100, "available": 100}
    for system in sandboxes():
        assert f"{demo.url}{SANDBOX_PREFIX}/{system}" in text


@pytest.mark.parametrize("system", sorted(sandboxes()))
def test_each_sandbox_connects_and_answers_through_the_mount(demo, system):
    spec = sandboxes()[system]
    entry = connector_class(system).entry
    admin = demo.new_org()
    created = data(
        demo.gql(
            admin,
            "mutation($i: CreateConnectionInput!) { createConnection(input: $i) { token } }",
            {
                "i": {
                    "system": system,
                    "hosting": entry.hostings[0],
                    "name": system,
                    "instanceUrl": f"{demo.url}{SANDBOX_PREFIX}/{system}",
                    "credentials": spec.credentials,
                }
            },
        )
    )
    listed = next(e.plural for e in ENTITIES if entry.supports(e.name))  # the first entity the system has
    nodes = data(demo.gql(created["createConnection"]["token"], FIRST_LIST % listed))[listed]["nodes"]
    assert len(nodes) == 2 and all(n["remoteId"] for n in nodes)
