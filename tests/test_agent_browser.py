"""On premises in a real browser: a connect link completed through a running agent, and the dashboard's
Agents panel following an agent online and offline without a reload.

The gateway refuses loopback for its own calls (`allowed_hosts=()`) and the SAP
ECC sandbox listens on loopback, so the connection can only work through the
agent subprocess, which keeps the login in its encrypted file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, expect

from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.sap.app import DEMO_PASSWORD, DEMO_USER, ECC_CLIENT
from tests.browser import PHONE, Watched, chromium, open_page
from tests.conftest import CREATE_CONNECTION, Gateway
from tests.helpers import data
from tests.test_connect_agent import (
    ROUTED,
    WORK_ORDERS,
    agent_only_gateway,
    ecc_sandbox,
    new_agent,
    start_agent,
    wait_online,
)
from tests.test_connect_browser import magic_link
from tests.test_dashboard_browser import row, sign_in, status_of

pytestmark = pytest.mark.browser

ROUTED_INPUT = {"system": "sap_ecc", "hosting": "ON_PREMISES", "name": "Line 2"}
COMMAND = "plantgate agent credentials set <name> username=… password=… sapClient=…"


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from agent_only_gateway(tmp_path_factory, "gw-agent-ui")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


ecc = pytest.fixture(scope="module")(ecc_sandbox)


def choice(ui: Watched, name: str) -> Locator:
    return ui.page.get_by_role("radio", name=name, exact=True)


def test_a_link_completes_on_premises_through_the_agent_with_the_login_kept_in_the_plant(
    gw: Gateway, ecc: ServerThread, browser: Browser, tmp_path: Path
) -> None:
    admin = gw.new_org(name="Acme Maintenance Apps")
    agent_id, key = new_agent(gw, admin, "Plant 2 agent")
    new_agent(gw, admin, "Spare agent")  # never started: offered, but offline
    agent = start_agent(gw, key, ecc.url, tmp_path)
    try:
        wait_online(gw, admin, agent_id, agent)
        agent.credentials("ecc-prod", username=DEMO_USER, password=DEMO_PASSWORD)
        ui = open_page(browser, PHONE)
        page = ui.page
        posted: list[str] = []
        page.on("request", lambda r: posted.append(r.post_data or "") if r.method == "POST" else None)

        page.goto(magic_link(gw, admin, system="sap_ecc", name="Line 2"))
        expect(page.get_by_role("heading", name="2. Sign in to SAP ECC")).to_be_visible()
        expect(choice(ui, "On-premises (8 credits)")).to_be_checked()
        through = choice(ui, "Through the on-premises agent Plant 2 agent online")
        expect(through).to_be_checked()  # the online agent is preferred
        expect(choice(ui, "Through the on-premises agent Spare agent offline")).not_to_be_checked()
        expect(choice(ui, "Store the login with the gateway (encrypted)")).to_be_checked()
        expect(page.get_by_label("Password", exact=True)).to_be_visible()
        expect(page.locator("#plant-login")).to_be_hidden()

        choice(ui, "Through the on-premises agent Spare agent offline").check()
        expect(page.locator("#agent-offline")).to_be_visible()
        choice(ui, "Directly: the server can be reached from the internet").check()
        expect(page.locator("#login-place")).to_be_hidden()
        through.check()
        expect(page.locator("#agent-offline")).to_be_hidden()

        expect(page.locator("#login-instanceUrl-help")).to_have_text(
            "The address the agent's machine opens SAP ECC at, inside the plant."
        )
        page.get_by_label("Instance URL").fill(ecc.url)
        choice(ui, "Keep it in the plant, on the agent's machine").check()
        expect(page.get_by_label("Password", exact=True)).to_have_count(0)  # a secret kept in the plant is not asked
        expect(page.locator("#plant-login code")).to_have_text(COMMAND)
        expect(page.get_by_label("Instance URL")).to_have_value(ecc.url)  # typed values survive the switch
        expect(page.locator("label[for='login-username']")).to_contain_text("(optional)")
        page.get_by_label("Client (optional)").fill(ECC_CLIENT)
        ui.shot("connect-agent-1-login-kept-in-the-plant-phone", full_page=True)

        connect = page.get_by_role("button", name="Connect")
        connect.click()
        expect(page.get_by_role("alert")).to_contain_text("Please fill in: Login name on the agent.")
        page.get_by_label("Login name on the agent").fill("no-such-login")
        connect.click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("no credentials named 'no-such-login'")
        expect(page.get_by_label("Login name on the agent")).to_have_attribute("aria-invalid", "true")

        page.get_by_label("Login name on the agent").fill("ecc-prod")
        connect.click()
        expect(page.get_by_role("heading", name="Connected")).to_be_visible(timeout=15_000)
        token = page.get_by_label("Connection token").input_value()
        ui.shot("connect-agent-2-connected-phone")

        assert data(gw.gql(token, WORK_ORDERS))["workOrders"]["nodes"]
        cid = json.loads(posted[-1])  # the last POST is the one that completed
        assert cid == {
            "system": "sap_ecc",
            "hosting": "ON_PREMISES",
            "name": "Line 2",
            "instanceUrl": ecc.url,
            "credentials": {"sapClient": ECC_CLIENT},
            "agentId": agent_id,
            "agentCredentials": "ecc-prod",
        }
        connections = data(gw.gql(admin, "{ connections { nodes { id } } }"))["connections"]["nodes"]
        routed = data(gw.gql(admin, ROUTED, {"id": connections[0]["id"]}))["connection"]
        assert routed == {"status": "ACTIVE", "hosting": "ON_PREMISES", "agentId": agent_id, "credentialsInPlant": True}
        assert not [body for body in posted if DEMO_PASSWORD in body]  # the login never reached the gateway
        ui.assert_clean()
    finally:
        agent.stop()


def test_the_dashboard_follows_an_agent_online_and_offline(
    gw: Gateway, ecc: ServerThread, browser: Browser, tmp_path: Path
) -> None:
    admin = gw.new_org(name="Acme Maintenance Apps")
    ui = sign_in(gw, browser, admin)
    page = ui.page
    expect(page.locator("#agents-panel")).to_contain_text("No on-premises agents")

    agent_id, key = new_agent(gw, admin, "Plant 2 agent")
    page.reload()
    expect(page.locator("#live")).to_have_text("Live", timeout=10_000)
    agent_row = page.locator(f'tr[data-agent-id="{agent_id}"]')
    expect(agent_row).to_contain_text("Plant 2 agent")
    expect(agent_row.locator(".status")).to_have_text("offline")
    expect(agent_row.locator(".version")).to_have_text("never connected")
    page.evaluate("window.notReloaded = true")

    agent = start_agent(gw, key, ecc.url, tmp_path)
    try:
        expect(agent_row.locator(".status")).to_have_text("online", timeout=20_000)
        expect(agent_row.locator(".version")).to_have_text(version("plantgate"))
        expect(agent_row.locator(".heartbeat")).not_to_have_text("—")
        expect(agent_row.locator(".served")).to_have_text("0 connections")
        expect(page.locator("#announcer")).to_have_text("Agent Plant 2 agent is now online.")
        login = {"username": DEMO_USER, "password": DEMO_PASSWORD, "sapClient": ECC_CLIENT}
        created = gw.gql(
            admin,
            CREATE_CONNECTION,
            {"input": {**ROUTED_INPUT, "instanceUrl": ecc.url, "credentials": login, "agentId": agent_id}},
        )
        cid = data(created)["createConnection"]["connection"]["id"]
        expect(agent_row.locator(".served")).to_have_text("1 connectionLine 2", timeout=20_000)
        expect(status_of(ui, cid)).to_have_text("ACTIVE")
        ui.shot("dashboard-agents-1-online-desktop")
    finally:
        agent.stop()
    # Its connection turns UNREACHABLE over the subscription, and the panel reads the agent again at once.
    expect(status_of(ui, cid)).to_have_text("UNREACHABLE", timeout=20_000)
    expect(agent_row.locator(".status")).to_have_text("offline", timeout=20_000)
    expect(page.locator("#announcer")).to_contain_text("Agent Plant 2 agent is now offline.")
    expect(agent_row.locator(".presence")).to_contain_text("since")
    assert page.evaluate("window.notReloaded") is True
    ui.shot("dashboard-agents-2-offline-desktop")
    ui.assert_clean()


def test_an_organization_without_agents_reads_them_once(gw: Gateway, browser: Browser) -> None:
    """No agents, no polling: the panel reads once at sign-in and then stays quiet."""
    ui = sign_in(gw, browser, gw.new_org(), PHONE)
    expect(ui.page.locator("#agents-panel")).to_contain_text("No on-premises agents")
    ui.page.wait_for_timeout(500)
    before = len(ui.urls)
    ui.page.wait_for_timeout(6_000)
    assert ui.urls[before:] == []
    ui.assert_clean()


def test_re_authorizing_a_login_kept_in_the_plant_asks_for_no_secret(
    gw: Gateway, ecc: ServerThread, browser: Browser, tmp_path: Path
) -> None:
    """The dialog says where the login lives; the check runs through the agent with its current values."""
    admin = gw.new_org()
    agent_id, key = new_agent(gw, admin, "Plant 3 agent")
    agent = start_agent(gw, key, ecc.url, tmp_path)
    control = SandboxControl(ecc.url)
    try:
        wait_online(gw, admin, agent_id, agent)
        agent.credentials("ecc-prod", username=DEMO_USER, password=DEMO_PASSWORD)
        routed = {
            **ROUTED_INPUT,
            "instanceUrl": ecc.url,
            "credentials": {"sapClient": ECC_CLIENT},
            "agentId": agent_id,
            "agentCredentials": "ecc-prod",
        }
        made = data(gw.gql(admin, CREATE_CONNECTION, {"input": routed}))["createConnection"]
        cid = made["connection"]["id"]
        ui = sign_in(gw, browser, admin)
        page = ui.page
        control.fault("unauthorized")
        assert gw.gql(made["token"], WORK_ORDERS)["errors"][0]["extensions"]["code"] == "SYSTEM_AUTH_FAILED"
        expect(status_of(ui, cid)).to_have_text("REAUTH_REQUIRED", timeout=20_000)
        control.clear_fault()
        agent.credentials("ecc-prod", username=DEMO_USER, password="not-it")  # the plant's copy is stale too

        row(ui, cid).get_by_role("button", name="Re-authorize").click()
        dialog = page.locator("dialog")
        expect(dialog).to_contain_text("kept by the on-premises agent in the plant")
        expect(dialog.get_by_label("Password", exact=True)).to_have_count(0)
        expect(dialog.locator("label[for='reauth-username']")).to_contain_text("(optional)")
        dialog.get_by_role("button", name="Check and save").click()
        expect(dialog.get_by_role("alert")).to_contain_text("rejected")
        ui.shot("dashboard-agents-3-reauthorize-in-plant-desktop")

        agent.credentials("ecc-prod", username=DEMO_USER, password=DEMO_PASSWORD)
        dialog.get_by_role("button", name="Check and save").click()
        expect(dialog).to_be_hidden()
        expect(status_of(ui, cid)).to_have_text("ACTIVE", timeout=20_000)
        state = data(gw.gql(admin, ROUTED, {"id": cid}))["connection"]
        assert state == {"status": "ACTIVE", "hosting": "ON_PREMISES", "agentId": agent_id, "credentialsInPlant": True}
        ui.assert_clean()
    finally:
        control.clear_fault()
        agent.stop()


def test_the_connect_page_sees_an_agent_come_online_without_a_reload(
    gw: Gateway, ecc: ServerThread, browser: Browser, tmp_path: Path
) -> None:
    """The warning asks to start the agent; once it runs, the page says so, then stops asking."""
    admin = gw.new_org()
    _, key = new_agent(gw, admin, "Plant 4 agent")
    ui = open_page(browser, PHONE)
    page = ui.page
    page.goto(magic_link(gw, admin, system="sap_ecc", name="Line 4"))
    through = choice(ui, "Through the on-premises agent Plant 4 agent offline")
    expect(through).to_be_checked()
    expect(page.locator("#agent-offline")).to_be_visible()
    page.get_by_label("Instance URL").fill(ecc.url)
    page.evaluate("window.notReloaded = true")
    agent = start_agent(gw, key, ecc.url, tmp_path)
    try:
        expect(choice(ui, "Through the on-premises agent Plant 4 agent online")).to_be_checked(timeout=20_000)
        expect(page.locator("#agent-offline")).to_be_hidden()
        expect(page.get_by_label("Instance URL")).to_have_value(ecc.url)  # nothing typed is lost
        assert page.evaluate("window.notReloaded") is True
        asked = lambda: [u for u in ui.urls if u.endswith("/connect/api/link")]  # noqa: E731
        before = len(asked())
        page.wait_for_timeout(7_000)
        assert len(asked()) == before  # every offered agent online: no more asking
        page.get_by_label("User", exact=True).fill(DEMO_USER)
        page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
        page.get_by_label("Client", exact=True).fill(ECC_CLIENT)
        page.get_by_role("button", name="Connect").click()
        expect(page.get_by_role("heading", name="Connected")).to_be_visible(timeout=15_000)
        ui.assert_clean()
    finally:
        agent.stop()
