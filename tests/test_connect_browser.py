"""The Connect page in a real browser: a customer opens a magic link and connects UpKeep.

Headless Debian Chromium on a phone-sized screen, nothing fetched from another
host; every step is a screenshot (tests/browser.py says where).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, expect

from sandboxes.kit import ServerThread
from tests.browser import DESKTOP, PHONE, Watched, chromium, open_page
from tests.conftest import UPKEEP_LOGIN, Gateway, _start_gateway
from tests.helpers import data
from tests.test_connect_sessions import CREATE_SESSION, EXCHANGE

pytestmark = pytest.mark.browser

WORK_ORDERS = "{ workOrders(first: 3) { nodes { number title } } }"


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gw-connect-ui")
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def magic_link(gw: Gateway, admin: str, **preset: object) -> str:
    return data(gw.gql(admin, CREATE_SESSION, {"input": preset or None}))["createConnectSession"]["url"]


def pick_upkeep(ui: Watched, sandbox: ServerThread) -> None:
    page = ui.page
    page.get_by_label("Search").fill("upk")
    systems = page.locator("#systems button")
    expect(systems).to_have_count(1)
    expect(systems).to_contain_text("UpKeep")
    expect(systems).to_contain_text("Cloud: 1 credit")
    systems.click()
    expect(page.get_by_role("heading", name="2. Sign in to UpKeep")).to_be_visible()
    page.get_by_label("Instance URL").fill(sandbox.url)
    page.get_by_label("Email").fill(UPKEEP_LOGIN["email"])


def test_magic_link_to_a_working_token(gw: Gateway, upkeep_sandbox: ServerThread, browser: Browser) -> None:
    admin = gw.new_org(name="Acme Maintenance Apps")
    url = magic_link(gw, admin, metadata={"customerId": "c-77"})
    ui = open_page(browser, PHONE)
    page = ui.page
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.post_data or "") if r.method == "POST" else None)

    page.goto(url)
    expect(page.locator("#intro")).to_contain_text("Acme Maintenance Apps asks you to connect")
    expect(page.locator("#systems button")).not_to_have_count(0)
    ui.shot("connect-1-pick-system-phone")

    page.get_by_label("Category").select_option("ERP")
    expect(page.locator("#systems")).to_contain_text("SAP S/4HANA")
    expect(page.locator("#systems")).not_to_contain_text("UpKeep")
    page.get_by_label("Category").select_option("")
    page.get_by_label("Search").fill("nothing like this")
    expect(page.locator("#match-count")).to_have_text("No system matches. Try another name or category.")

    pick_upkeep(ui, upkeep_sandbox)
    expect(page.locator("#guide-text")).to_contain_text("UpKeep account with API access")
    expect(page.get_by_label("Connection name")).to_have_value("UpKeep")
    page.get_by_label("Connection name").fill("North plant")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Connect").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("UpKeep did not accept these credentials")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    ui.shot("connect-2-wrong-password-phone")

    page.get_by_label("Password").fill(UPKEEP_LOGIN["password"])
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("heading", name="Connected")).to_be_visible(timeout=15_000)
    expect(page.locator("#done-name")).to_have_text("North plant")
    token = page.get_by_label("Connection token").input_value()
    assert token.startswith("pg_conn_")
    ui.shot("connect-3-token-shown-phone")

    work_orders = data(gw.gql(token, WORK_ORDERS))["workOrders"]["nodes"]
    assert len(work_orders) == 3 and work_orders[0]["number"]
    listed = data(gw.gql(admin, '{ connections(metadata: {customerId: "c-77"}) { nodes { name status } } }'))
    assert listed["connections"]["nodes"] == [{"name": "North plant", "status": "ACTIVE"}]

    # Credentials travel only in POST bodies, never in a URL; the page never left the gateway.
    assert not [u for u in ui.urls if UPKEEP_LOGIN["password"] in u or "wrong-password" in u]
    assert any(
        json.loads(body).get("credentials", {}).get("password") == UPKEEP_LOGIN["password"] for body in posted if body
    )
    ui.assert_clean()

    page.reload()
    expect(page.get_by_role("alert")).to_contain_text("This link has already been used")
    expect(page.locator("#pick")).to_be_hidden()


def test_unreachable_address_and_missing_credits_are_explained(
    gw: Gateway, upkeep_sandbox: ServerThread, browser: Browser
) -> None:
    ui = open_page(browser, DESKTOP)
    page = ui.page
    page.goto(magic_link(gw, gw.new_org(credits=0, name="Acme Maintenance Apps"), system="upkeep", name="Line 4"))
    expect(page.get_by_role("heading", name="2. Sign in to UpKeep")).to_be_visible()
    expect(page.locator("#name-field")).to_be_hidden()  # the preset name is not asked for
    expect(page.locator("#change-system")).to_be_hidden()
    page.get_by_label("Instance URL").fill(upkeep_sandbox.url)
    page.get_by_label("Email").fill(UPKEEP_LOGIN["email"])
    page.get_by_label("Password").fill(UPKEEP_LOGIN["password"])
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "does not have enough connection credits for this connection (it needs 1 credit, 0 available)"
    )
    ui.shot("connect-4-insufficient-credits-desktop")

    page.goto(magic_link(gw, gw.new_org(name="Acme Maintenance Apps"), system="upkeep", name="Line 5"))
    page.get_by_label("Instance URL").fill("http://127.0.0.1:9")
    page.get_by_label("Email").fill(UPKEEP_LOGIN["email"])
    page.get_by_label("Password").fill(UPKEEP_LOGIN["password"])
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("alert")).to_contain_text("Could not reach UpKeep at http://127.0.0.1:9")
    expect(page.get_by_label("Instance URL")).to_have_attribute("aria-invalid", "true")
    ui.shot("connect-5-unreachable-desktop")

    page.goto(f"{gw.url}/connect/pg_connect_not-a-real-link")
    expect(page.get_by_role("alert")).to_contain_text("this link is not valid")
    ui.assert_clean()


def test_redirecting_link_hands_a_code_to_the_organizations_backend(
    gw: Gateway, upkeep_sandbox: ServerThread, browser: Browser
) -> None:
    admin = gw.new_org()
    back = f"{gw.url}/healthz?state=s1"  # any page of the organization's app
    ui = open_page(browser, PHONE)
    page = ui.page
    page.goto(magic_link(gw, admin, system="upkeep", name="Depot", redirectUrl=back))
    page.get_by_label("Instance URL").fill(upkeep_sandbox.url)
    page.get_by_label("Email").fill(UPKEEP_LOGIN["email"])
    page.get_by_label("Password").fill(UPKEEP_LOGIN["password"])
    page.get_by_role("button", name="Connect").click()
    page.wait_for_url(f"{gw.url}/healthz?**")
    query = parse_qs(urlsplit(page.url).query)
    assert query["state"] == ["s1"] and query["code"][0].startswith("pg_code_")
    assert UPKEEP_LOGIN["password"] not in page.url
    token = data(gw.gql(admin, EXCHANGE, {"code": query["code"][0]}))["exchangeConnectCode"]["token"]
    assert data(gw.gql(token, WORK_ORDERS))["workOrders"]["nodes"]
    ui.assert_clean()
