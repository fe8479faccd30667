"""A connect link completed on premises: the customer's SAP ECC is reachable only through a real agent.

The gateway here refuses loopback for its own calls (`allowed_hosts=()`), and
the sandbox listens on loopback: a call that does not go through the agent
cannot reach it. The login stays in the plant, in the agent's encrypted file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.agents.protocol import placeholder
from gateway.store.tables import Connection
from sandboxes.kit import ServerThread
from sandboxes.sap.app import DEMO_PASSWORD, DEMO_USER, ECC_CLIENT
from sandboxes.sap.app import create_app as create_sap_sandbox
from tests.agent_process import AGENT_STATE, CREATE_AGENT, AgentProcess, online
from tests.conftest import Gateway, _start_gateway
from tests.helpers import data, wait_until
from tests.test_connect_sessions import CREATE_SESSION, link_token, open_link

WORK_ORDERS = "{ workOrders(first: 2) { nodes { number } } }"
ROUTED = "query($id: ID!) { connection(id: $id) { status hosting agentId credentialsInPlant } }"
COMPLETIONS = "{ auditEvents(action: CONNECT_LINK_COMPLETE) { nodes { targetId changes } } }"
PLANT_LOGIN = {"username": DEMO_USER, "password": DEMO_PASSWORD}


def agent_only_gateway(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Gateway]:
    """No loopback for the gateway's own calls: only an agent can reach a sandbox. Quick heartbeats."""
    tmp = tmp_path_factory.mktemp(name)
    yield from _start_gateway(
        tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", allowed_hosts=(), agent_heartbeat_interval=2.0
    )


def ecc_sandbox() -> Iterator[ServerThread]:
    with ServerThread(create_sap_sandbox(sap_client=ECC_CLIENT)) as server:
        yield server


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from agent_only_gateway(tmp_path_factory, "gw-connect-agent")


ecc = pytest.fixture(scope="module")(ecc_sandbox)


def new_agent(gw: Gateway, admin: str, name: str) -> tuple[str, str]:
    created = data(gw.gql(admin, CREATE_AGENT, {"n": name}))["createAgent"]
    return created["agent"]["id"], created["key"]


def start_agent(gw: Gateway, key: str, instance: str, tmp: Path) -> AgentProcess:
    return AgentProcess(gw.url, key, [instance], tmp / "agent", tmp / "agent.log").start()


def wait_online(gw: Gateway, admin: str, agent_id: str, agent: AgentProcess) -> None:
    wait_until(lambda: online(data(gw.gql(admin, AGENT_STATE, {"id": agent_id}))), what=f"agent online: {agent.log()}")


def post(gw: Gateway, token: str, ecc: ServerThread, **form: object) -> httpx.Response:
    body = {"system": "sap_ecc", "hosting": "ON_PREMISES", "name": "Line 2", "instanceUrl": ecc.url, **form}
    return httpx.post(f"{gw.url}/connect/api/link", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_a_link_completes_on_premises_through_the_agent_with_the_login_kept_in_the_plant(
    gw: Gateway, ecc: ServerThread, tmp_path: Path
) -> None:
    admin = gw.new_org(name="Acme Maintenance Apps")
    agent_id, key = new_agent(gw, admin, "Plant 2 agent")
    foreign_id, _ = new_agent(gw, gw.new_org(), "Someone else's agent")
    link = data(gw.gql(admin, CREATE_SESSION, {"input": {"system": "sap_ecc"}}))["createConnectSession"]
    token = link_token(link)

    opened = open_link(gw, token)
    assert opened.status_code == 200
    assert opened.json()["agents"] == [{"id": agent_id, "name": "Plant 2 agent", "online": False}]
    assert key not in opened.text and key[:13] not in opened.text and foreign_id not in opened.text

    agent = start_agent(gw, key, ecc.url, tmp_path)
    try:
        wait_online(gw, admin, agent_id, agent)
        assert open_link(gw, token).json()["agents"] == [{"id": agent_id, "name": "Plant 2 agent", "online": True}]
        agent.credentials("ecc-prod", **PLANT_LOGIN)
        plant = {"agentCredentials": "ecc-prod", "credentials": {"sapClient": ECC_CLIENT}}

        # Direct: the gateway may not call loopback, so the system is out of its reach.
        direct = post(gw, token, ecc, credentials={**PLANT_LOGIN, "sapClient": ECC_CLIENT})
        assert direct.status_code == 400 and direct.json()["error"]["field"] == "instanceUrl", direct.text
        assert "loopback" in direct.json()["error"]["message"]
        # Another organization's agent is not this link's to use.
        foreign = post(gw, token, ecc, agentId=foreign_id, **plant)
        assert foreign.json()["error"]["code"] == "BAD_USER_INPUT"
        assert foreign.json()["error"]["field"] == "agentId"
        # A name the agent has no login under: the agent refuses the call, the link stays open.
        unknown = post(gw, token, ecc, agentId=agent_id, agentCredentials="no-such-login")
        assert unknown.json()["error"]["code"] == "BAD_USER_INPUT"  # the agent said before any call
        assert unknown.json()["error"]["field"] == "agentCredentials"
        assert "no credentials named 'no-such-login'" in unknown.json()["error"]["message"]

        done = post(gw, token, ecc, agentId=agent_id, **plant)
        assert done.status_code == 200, done.text
        answer = done.json()
        assert data(gw.gql(answer["token"], WORK_ORDERS))["workOrders"]["nodes"]
        routed = data(gw.gql(admin, ROUTED, {"id": answer["connectionId"]}))["connection"]
        assert routed == {"status": "ACTIVE", "hosting": "ON_PREMISES", "agentId": agent_id, "credentialsInPlant": True}
        served = data(gw.gql(admin, AGENT_STATE, {"id": agent_id}))["agent"]["connectionsServed"]
        assert served == [answer["connectionId"]]
        audit = data(gw.gql(admin, COMPLETIONS))["auditEvents"]["nodes"]
        assert audit == [
            {
                "targetId": answer["connectionId"],
                "changes": {
                    "system": "sap_ecc",
                    "hosting": "ON_PREMISES",
                    "name": "Line 2",
                    "agentId": agent_id,
                    "agentCredentials": "[redacted]",  # as createConnection records it
                },
            }
        ]

        # The gateway keeps placeholders for the login, and the client it was told.
        with gw.services.store.read() as session:
            row = session.get(Connection, answer["connectionId"])
            assert row is not None
            kept = gw.services.pool.vault.decrypt(row.credentials_encrypted)
        assert kept == {"username": placeholder("username"), "password": placeholder("password"), "sapClient": "100"}
    finally:
        agent.stop()
    assert open_link(gw, token).json()["state"] == "USED"
