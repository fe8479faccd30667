"""The admin dashboard in a real browser: live status over the subscription, and every action.

The gateway runs its scheduler with short intervals, so an outage of the
UpKeep sandbox is noticed by a sync and its recovery by the next probe; the
page must show both without a reload and without polling.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Locator, ViewportSize, expect

from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.browser import DESKTOP, PHONE, Watched, chromium, open_page
from tests.conftest import UPKEEP_LOGIN, Gateway, _start_gateway
from tests.helpers import data
from tests.test_connect_sessions import TRIGGER, WORK_ORDERS
from tests.test_sync import FAST, wait_until
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 20_000


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gw-dashboard")
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", **FAST)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def sandbox() -> Iterator[ServerThread]:
    with ServerThread(create_upkeep_sandbox()) as server:
        yield server


def sign_in(gw: Gateway, browser: Browser, admin: str, viewport: ViewportSize = DESKTOP) -> Watched:
    ui = open_page(browser, viewport)
    ui.page.goto(f"{gw.url}/dashboard")
    ui.page.get_by_label("Admin key").fill(admin)
    ui.page.get_by_role("button", name="Sign in").click()
    expect(ui.page.locator("#live")).to_have_text("Live", timeout=10_000)
    return ui


def row(ui: Watched, connection_id: str) -> Locator:
    return ui.page.locator(f'tr[data-connection-id="{connection_id}"]')


def status_of(ui: Watched, connection_id: str) -> Locator:
    return row(ui, connection_id).locator(".status")


def synced(gw: Gateway, admin: str, connection_id: str) -> bool:
    query = "query($id: ID!) { connection(id: $id) { syncStatus { state } } }"
    states = data(gw.gql(admin, query, {"id": connection_id}))["connection"]["syncStatus"]
    return bool(states) and all(s["state"] == "SUCCEEDED" for s in states)


def test_outage_and_recovery_show_live_without_reload_or_polling(
    gw: Gateway, browser: Browser, sandbox: ServerThread
) -> None:
    admin = gw.new_org(name="Acme Maintenance Apps")
    created = data(gw.connect(admin, sandbox.url, name="North plant"))["createConnection"]
    cid = created["connection"]["id"]
    wait_until(lambda: synced(gw, admin, cid))

    ui = sign_in(gw, browser, admin)
    page = ui.page
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    page.reload()  # listen from the socket's start; the key survives in sessionStorage
    expect(page.locator("#live")).to_have_text("Live", timeout=10_000)
    assert "pg_admin_" not in page.url
    assert page.evaluate("sessionStorage.getItem('plantgate.adminKey')") == admin
    expect(status_of(ui, cid)).to_have_text("ACTIVE")
    expect(row(ui, cid).locator(".sync")).to_contain_text("8/8 entities synced")
    expect(page.locator("#credit-stats")).to_contain_text("Available99")
    ui.shot("dashboard-1-connections-desktop")

    # Idle: no requests at all (status comes over the socket, nothing polls).
    time.sleep(0.5)
    before = len(ui.urls)
    time.sleep(2.5)
    assert ui.urls[before:] == []

    page.evaluate("window.notReloaded = true")
    SandboxControl(sandbox.url).fault("down")
    row(ui, cid).get_by_role("button", name="Sync now").click()
    expect(status_of(ui, cid)).to_have_text("UNREACHABLE", timeout=LIVE_TIMEOUT)
    expect(row(ui, cid)).to_contain_text("unreachable")
    expect(page.locator("#announcer")).to_contain_text("North plant is now UNREACHABLE")
    assert page.evaluate("window.notReloaded") is True
    assert any("connectionStatusChanged" in f and "UNREACHABLE" in f for f in frames)
    ui.shot("dashboard-2-unreachable-desktop")

    SandboxControl(sandbox.url).clear_fault()  # recovery is automatic: the scheduled probe notices
    expect(status_of(ui, cid)).to_have_text("ACTIVE", timeout=LIVE_TIMEOUT)
    assert page.evaluate("window.notReloaded") is True
    assert any("connectionStatusChanged" in f and '"ACTIVE"' in f for f in frames)
    ui.shot("dashboard-3-recovered-desktop")
    ui.assert_clean()


def test_one_unavailable_entity_shows_the_connection_degraded_live_then_active(
    gw: Gateway, browser: Browser, sandbox: ServerThread
) -> None:
    """An entity the system stops serving (404 on its endpoint alone): the row turns DEGRADED over the
    subscription, naming the entity, and back to ACTIVE once the endpoint answers again."""
    admin = gw.new_org()
    cid = data(gw.connect(admin, sandbox.url, name="South plant"))["createConnection"]["connection"]["id"]
    wait_until(lambda: synced(gw, admin, cid))

    ui = sign_in(gw, browser, admin)
    page = ui.page
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    page.reload()  # listen from the socket's start
    expect(page.locator("#live")).to_have_text("Live", timeout=10_000)
    expect(status_of(ui, cid)).to_have_text("ACTIVE")
    page.evaluate("window.notReloaded = true")

    control = SandboxControl(sandbox.url)
    control.fault("error", status=404, match=r"/api/v2/vendors\b")
    try:
        row(ui, cid).get_by_role("button", name="Sync now").click()
        expect(status_of(ui, cid)).to_have_text("DEGRADED", timeout=LIVE_TIMEOUT)
        expect(row(ui, cid)).to_contain_text("Vendor unavailable")
        expect(row(ui, cid).locator(".sync")).to_contain_text("7/8 entities synced", timeout=LIVE_TIMEOUT)
        expect(row(ui, cid).locator(".sync")).to_contain_text("unavailable: Vendor")
        expect(page.locator("#announcer")).to_contain_text("South plant is now DEGRADED")
        assert any("connectionStatusChanged" in f and "DEGRADED" in f for f in frames)
    finally:
        control.clear_fault()
    expect(status_of(ui, cid)).to_have_text("ACTIVE", timeout=LIVE_TIMEOUT)  # its own retry, no click
    expect(row(ui, cid).locator(".sync")).to_contain_text("8/8 entities synced", timeout=LIVE_TIMEOUT)
    assert page.evaluate("window.notReloaded") is True
    ui.assert_clean()


def test_rotate_reauthorize_and_disconnect(gw: Gateway, browser: Browser, sandbox: ServerThread) -> None:
    admin = gw.new_org(credits=10)
    created = data(gw.connect(admin, sandbox.url, name="Depot"))["createConnection"]
    cid, old_token = created["connection"]["id"], created["token"]
    ui = sign_in(gw, browser, admin)
    page = ui.page
    page.on("dialog", lambda dialog: dialog.accept())  # the confirm() before rotating and disconnecting
    expect(page.locator("#credit-stats")).to_contain_text("Used1")

    row(ui, cid).get_by_role("button", name="Rotate token").click()
    new_token = page.get_by_label("Connection token").input_value()
    assert new_token.startswith("pg_conn_") and new_token != old_token
    ui.shot("dashboard-4-rotated-token-desktop")
    page.get_by_role("button", name="Done").click()
    assert (
        httpx.post(
            f"{gw.url}/graphql", json={"query": WORK_ORDERS}, headers={"Authorization": f"Bearer {old_token}"}
        ).status_code
        == 401
    )
    assert data(gw.gql(new_token, WORK_ORDERS))["workOrders"]["nodes"]

    control = SandboxControl(sandbox.url)
    control.fault("unauthorized")
    data(gw.gql(admin, TRIGGER, {"id": cid}))
    expect(status_of(ui, cid)).to_have_text("REAUTH_REQUIRED", timeout=LIVE_TIMEOUT)
    control.clear_fault()
    row(ui, cid).get_by_role("button", name="Re-authorize").click()
    dialog = page.locator("dialog")
    dialog.get_by_label("Email").fill(UPKEEP_LOGIN["email"])
    dialog.get_by_label("Password").fill("not-it")
    dialog.get_by_role("button", name="Check and save").click()
    expect(dialog.get_by_role("alert")).to_contain_text("UpKeep rejected the login")
    expect(dialog.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    ui.shot("dashboard-5-reauthorize-desktop")
    dialog.get_by_label("Password").fill(UPKEEP_LOGIN["password"])
    dialog.get_by_role("button", name="Check and save").click()
    expect(dialog).to_be_hidden()
    expect(status_of(ui, cid)).to_have_text("ACTIVE", timeout=LIVE_TIMEOUT)
    expect(page.locator("#credit-stats")).to_contain_text("Used1")  # same connection, same credits
    assert data(gw.gql(new_token, WORK_ORDERS))["workOrders"]["nodes"]

    row(ui, cid).get_by_role("button", name="Disconnect").click()
    expect(status_of(ui, cid)).to_have_text("DISCONNECTED")
    expect(page.locator("#credit-stats")).to_contain_text("Available10")
    page.get_by_text("Ledger").click()
    expect(page.locator("#ledger tbody tr")).to_have_count(2)
    expect(page.locator("#ledger tbody tr").first).to_contain_text("+1")
    expect(page.locator("#ledger tbody tr").first).to_contain_text("disconnect")
    assert (
        httpx.post(
            f"{gw.url}/graphql", json={"query": WORK_ORDERS}, headers={"Authorization": f"Bearer {new_token}"}
        ).status_code
        == 401
    )
    ui.assert_clean()


def test_links_and_webhooks_from_the_dashboard(gw: Gateway, browser: Browser, sandbox: ServerThread) -> None:
    admin = gw.new_org()
    receiver = Receiver(status=500)
    with ServerThread(receiver.app()) as hooks:
        data(
            gw.gql(
                admin,
                'mutation($u: String!) { createWebhookEndpoint(url: $u, events: ["connection.created"]) { secret } }',
                {"u": f"{hooks.url}/hook"},
            )
        )
        ui = sign_in(gw, browser, admin, PHONE)
        page = ui.page

        page.get_by_label("System").select_option("upkeep")
        page.get_by_label("Connection name").fill("East plant")
        page.get_by_role("button", name="Create link").click()
        link = page.get_by_label("Magic link (shown once: send it to your customer)").input_value()
        assert link.startswith(f"{gw.url}/connect/pg_connect_")
        pending = page.locator("tr", has_text="East plant").first
        expect(pending.locator(".status")).to_have_text("PENDING")
        expect(page.locator("#pending-links")).to_contain_text("East plant")
        ui.shot("dashboard-6-connect-link-phone")

        # The customer completes the link elsewhere: the row turns ACTIVE live.
        token = link.rsplit("/", 1)[1]
        body = {"system": "upkeep", "hosting": "CLOUD", "instanceUrl": sandbox.url, "credentials": UPKEEP_LOGIN}
        done = httpx.post(
            f"{gw.url}/connect/api/link", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        assert done.status_code == 200, done.text
        expect(pending.locator(".status")).to_have_text("ACTIVE", timeout=LIVE_TIMEOUT)
        expect(page.locator("#pending-links")).to_contain_text("No open links.")

        wait_until(lambda: receiver.events("connection.created"))  # answered 500: not delivered
        receiver.status = 200
        page.get_by_role("button", name="Refresh deliveries").click()
        deliveries = page.locator("[data-endpoint-id] tbody tr")
        expect(deliveries.first).to_contain_text("connection.created")
        expect(deliveries.first).to_contain_text("HTTP 500")
        deliveries.first.get_by_role("button", name="Redeliver connection.created").click()
        wait_until(lambda: len(receiver.events("connection.created")) == 2)
        first, again = receiver.events("connection.created")
        assert first.json["id"] == again.json["id"]  # the same event, delivered by hand
        # The receiver has the request before the gateway records the answer: refresh until it shows.
        delivered = page.locator("[data-endpoint-id] .status", has_text="DELIVERED")

        def shows_delivered() -> bool:
            page.get_by_role("button", name="Refresh deliveries").click()
            page.wait_for_timeout(200)
            return delivered.count() == 1

        wait_until(shows_delivered)
        ui.shot("dashboard-7-webhooks-phone", full_page=False)
        ui.assert_clean()


def test_a_wrong_admin_key_is_refused(gw: Gateway, browser: Browser) -> None:
    ui = open_page(browser, PHONE)
    ui.page.goto(f"{gw.url}/dashboard")
    ui.page.get_by_label("Admin key").fill("pg_admin_wrong")
    ui.page.get_by_role("button", name="Sign in").click()
    expect(ui.page.get_by_role("alert")).to_have_text("This admin key is not valid.")
    expect(ui.page.locator("#board")).to_be_hidden()
    assert ui.page.evaluate("sessionStorage.getItem('plantgate.adminKey')") is None
    ui.assert_clean()


def test_connection_settings_pick_discovered_custom_fields(
    gw: Gateway, browser: Browser, sandbox: ServerThread
) -> None:
    admin = gw.new_org()
    cid = data(gw.connect(admin, sandbox.url, name="West plant"))["createConnection"]["connection"]["id"]
    ui = sign_in(gw, browser, admin)
    page = ui.page
    page.get_by_label("Connection", exact=True).select_option(cid)
    page.get_by_label("Sync interval (seconds)").fill("1800")
    page.get_by_label("Entity").select_option("WorkOrder")
    page.get_by_role("button", name="Discover fields").click()
    choices = page.locator("#settings fieldset input[type=checkbox]")
    expect(choices.first).to_be_visible(timeout=10_000)
    label = choices.first.locator("xpath=..").inner_text()
    choices.first.check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#settings")).to_contain_text(
        "Saved: 1 custom field(s), 0 custom object(s), 0 field mapping(s)."
    )
    page.locator("#settings-section").scroll_into_view_if_needed()
    ui.shot("dashboard-8-settings-desktop")
    query = "query($id: ID!) { connectionSettings(id: $id) { syncIntervalSeconds customFields } }"
    saved = data(gw.gql(admin, query, {"id": cid}))["connectionSettings"]
    assert saved["syncIntervalSeconds"] == 1800
    [field] = saved["customFields"]
    assert field["entity"] == "WorkOrder" and field["remotePath"] in label
    ui.assert_clean()


def test_requests_and_audit_trail_panels(gw: Gateway, browser: Browser, sandbox: ServerThread) -> None:
    admin = gw.new_org()
    created = data(gw.connect(admin, sandbox.url, name="Mill"))["createConnection"]
    cid, token = created["connection"]["id"], created["token"]
    headers = {"Authorization": f"Bearer {token}", "X-Request-Id": "support-case-881"}
    for _ in range(21):  # more live calls than a page shows
        httpx.post(f"{gw.url}/graphql", json={"query": WORK_ORDERS}, headers=headers, timeout=30).raise_for_status()
    live = "query($c: ID) { requestLogs(connectionId: $c, kind: LIVE_READ) { totalCount } }"
    wait_until(lambda: data(gw.gql(admin, live, {"c": cid}))["requestLogs"]["totalCount"] >= 21)

    ui = sign_in(gw, browser, admin)
    page = ui.page
    calls = page.locator("#request-log tbody tr")
    row(ui, cid).get_by_role("button", name="Requests").click()
    expect(page.get_by_label("Calls of")).to_have_value(cid)
    page.get_by_label("Kind").select_option("LIVE_READ")
    page.get_by_role("button", name="Show calls").click()
    expect(calls).to_have_count(20)
    expect(calls.first).to_contain_text("GET /api/v2/work-orders")
    expect(calls.first).to_contain_text("support-case-881")
    expect(calls.first.locator(".status")).to_have_text("OK")
    first_page = calls.first.get_attribute("data-request-log-id")
    page.locator("#requests-section").scroll_into_view_if_needed()
    ui.shot("dashboard-9-requests-desktop")
    page.get_by_role("button", name="Older calls").click()
    expect(calls.first).not_to_have_attribute("data-request-log-id", first_page or "")
    expect(page.get_by_role("button", name="Newer calls")).to_be_enabled()
    page.get_by_role("button", name="Newer calls").click()
    expect(calls.first).to_have_attribute("data-request-log-id", first_page or "")

    page.get_by_label("Calls of").select_option("")
    page.get_by_label("Kind").select_option("")
    page.get_by_label("Request id").fill("support-case-881")  # what a customer's client was answered with
    page.get_by_role("button", name="Show calls").click()
    by_id = '{ requestLogs(requestId: "support-case-881") { totalCount } }'
    expect(page.locator("#requests")).to_contain_text(
        f"{data(gw.gql(admin, by_id))['requestLogs']['totalCount']} calls found."  # each call, and a login
    )
    page.get_by_label("Outcome").select_option("REJECTED")
    page.get_by_role("button", name="Show calls").click()
    expect(page.locator("#requests")).to_contain_text("No calls found.")

    actions = page.locator("#audit-log tbody tr")
    expect(actions.filter(has_text="CONNECTION_CREATE")).to_have_count(1)
    expect(actions.filter(has_text="CONNECTION_CREATE")).to_contain_text("loginFields")
    row(ui, cid).get_by_role("button", name="Sync now").click()  # refreshes the trail when done
    expect(actions.first).to_contain_text("CONNECTION_SYNC")
    page.get_by_label("Action", exact=True).select_option("CONNECTION_CREATE")
    page.get_by_role("button", name="Show actions").click()
    expect(actions).to_have_count(1)
    expect(actions.first).to_contain_text(cid)
    page.locator("#audit-section").scroll_into_view_if_needed()
    ui.shot("dashboard-10-audit-desktop")
    assert UPKEEP_LOGIN["password"] not in page.content()


def test_connection_settings_remap_a_unified_field_to_a_discovered_one(
    gw: Gateway, browser: Browser, sandbox: ServerThread
) -> None:
    admin = gw.new_org()
    created = data(gw.connect(admin, sandbox.url, name="East plant"))["createConnection"]
    cid, token = created["connection"]["id"], created["token"]
    ui = sign_in(gw, browser, admin)
    page = ui.page
    page.get_by_label("Connection", exact=True).select_option(cid)
    page.get_by_label("Entity").select_option("WorkOrder")
    page.get_by_role("button", name="Discover fields").click()
    title = page.get_by_label("title (String) from")
    expect(title).to_be_visible(timeout=10_000)
    assert "customFields.downtimeMinutes" not in title.inner_text()  # an Int cannot be a title
    title.select_option("customFields.costCenter")
    page.get_by_label("Filter by title").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#settings")).to_contain_text(
        "Saved: 0 custom field(s), 0 custom object(s), 1 field mapping(s)."
    )
    ui.shot("dashboard-11-field-mappings-desktop")
    saved = data(gw.gql(admin, "query($id: ID!) { connectionSettings(id: $id) { fieldMappings } }", {"id": cid}))
    assert saved["connectionSettings"]["fieldMappings"] == [
        {
            "entity": "WorkOrder",
            "field": "title",
            "remotePath": "customFields.costCenter",
            "filterable": True,
            "writable": True,
        }
    ]
    nodes = data(gw.gql(token, '{ workOrders(first: 3, filter: {title: "CC-201"}) { nodes { title } } }'))
    assert nodes["workOrders"]["nodes"] and {n["title"] for n in nodes["workOrders"]["nodes"]} == {"CC-201"}
    page.get_by_label("title (String) from").select_option("")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#settings")).to_contain_text(
        "Saved: 0 custom field(s), 0 custom object(s), 0 field mapping(s)."
    )
    ui.assert_clean()
