"""GraphiQL in a real browser, offline: every script comes from the gateway.

Sites often have no internet, so the page must not reach a CDN. Chromium runs
with every request to another host aborted and recorded; a query typed into the
page must still come back with data. Needs Debian's chromium (`make chromium`)
and the npm assets (`make setup`); `make test` installs both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Locator, Page, Route, expect, sync_playwright

from gateway.app import create_app
from gateway.graphql.ide import ASSETS, PREFIX
from gateway.services import Services
from sandboxes.kit import ServerThread
from tests.conftest import Gateway, make_settings

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
ARTIFACTS = Path(__file__).parent / "artifacts"
QUERY = "{ workOrders(first: 3) { nodes { number title } } }"


def require_assets(gateway: Gateway) -> None:
    """Missing assets fail the test (never skip it): `make test` always installs them."""
    root = gateway.services.settings.ui_assets_dir
    missing = [rel for rel in ASSETS.values() if not (root / rel).is_file()]
    if missing:
        pytest.fail(
            f"GraphiQL assets missing in {root}: {missing}. Run `make setup` (or `make test`), "
            "or point PLANTGATE_UI_ASSETS at an npm node_modules with graphiql, react, react-dom."
        )


@pytest.fixture
def page() -> Iterator[Page]:
    """A headless Debian Chromium page (the suite never downloads a browser)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: run `make chromium` (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def test_assets_are_served_and_nothing_else(sqlite_gateway: Gateway) -> None:
    require_assets(sqlite_gateway)
    for name in ASSETS:
        response = httpx.get(f"{sqlite_gateway.url}{PREFIX}{name}", timeout=10)
        assert response.status_code == 200, (name, response.status_code)
        assert response.content, name
    # A real file of the package, but not on the list: the gateway is no file server.
    for name in ("graphiql.min.js", "package.json", "nope.js"):
        response = httpx.get(f"{sqlite_gateway.url}{PREFIX}{name}", timeout=10)
        assert response.status_code == 404, (name, response.status_code)


def test_graphiql_runs_a_query_offline(sqlite_gateway: Gateway, connection_token: str, page: Page) -> None:
    require_assets(sqlite_gateway)
    ARTIFACTS.mkdir(exist_ok=True)
    outside: list[str] = []
    page_errors: list[str] = []

    def local_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", local_only)
    page.on("pageerror", lambda error: page_errors.append(str(error)))

    page.goto(f"{sqlite_gateway.url}/graphql")
    expect(page.locator(".graphiql-query-editor .CodeMirror")).to_be_visible(timeout=10_000)
    page.screenshot(path=ARTIFACTS / "graphiql-loaded.png")

    page.locator(".graphiql-editor-tools button[data-name='headers']").click()
    headers = page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror")
    expect(headers).to_contain_text("Bearer <admin key or connection token>")
    _replace_text(page, headers, f'{{"Authorization": "Bearer {connection_token}"}}')
    _replace_text(page, page.locator(".graphiql-query-editor .CodeMirror"), QUERY)

    with page.expect_request(lambda r: r.method == "POST" and "workOrders" in (r.post_data or "")) as sent:
        page.locator(".graphiql-execute-button").click()
    assert sent.value.headers.get("authorization") == f"Bearer {connection_token}"

    result = page.locator(".graphiql-response")
    expect(result).to_contain_text("WO-00001", timeout=10_000)
    page.screenshot(path=ARTIFACTS / "graphiql-result.png")
    assert '"errors"' not in page.evaluate(
        "() => document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()"
    )
    assert outside == [], f"the page tried to leave the gateway: {outside}"
    assert page_errors == []
    # The guard itself works: a request to another host is caught, not let through.
    page.evaluate("fetch('https://cdn.example/graphiql.js').catch(() => null)")
    assert outside == ["https://cdn.example/graphiql.js"]


def _replace_text(page: Page, editor: Locator, text: str) -> None:
    """Puts text in a CodeMirror editor as a paste would (no auto-closed brackets)."""
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(text)
    expect(editor).to_contain_text(text.split()[0])


async def test_ide_without_assets_answers_503(tmp_path: Path) -> None:
    missing = tmp_path / "no-assets"
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'plantgate.db'}", ui_assets_dir=missing)
    services = Services.start(settings)
    try:
        with ServerThread(create_app(settings, services)) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
                response = await client.get("/graphql", headers={"Accept": "text/html"})
                asset = await client.get(f"{PREFIX}graphiql.js")
    finally:
        await services.aclose()
    assert response.status_code == 503
    assert str(missing) in response.text
    assert "make setup" in response.text and "PLANTGATE_UI_ASSETS" in response.text
    assert asset.status_code == 404


def test_graphiql_fetches_the_schema_for_the_token_entered_and_runs_subscriptions(
    sqlite_gateway: Gateway, admin_key: str, upkeep_sandbox: ServerThread, page: Page
) -> None:
    """From a clean load: nothing is asked (no error) before a token is entered; the schema comes for the
    token entered, and again when it changes; autocomplete and Docs use it; a subscription runs in the page."""
    require_assets(sqlite_gateway)
    token = sqlite_gateway.connect(admin_key, upkeep_sandbox.url)["data"]["createConnection"]["token"]
    other = sqlite_gateway.connect(admin_key, upkeep_sandbox.url)["data"]["createConnection"]["connection"]["id"]
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.post_data or "") if r.method == "POST" else None)
    page.route(
        "**/*",
        lambda route: route.continue_() if urlsplit(route.request.url).hostname in LOCAL_HOSTS else route.abort(),
    )

    page.goto(f"{sqlite_gateway.url}/graphql")
    query = page.locator(".graphiql-query-editor .CodeMirror")
    expect(query).to_be_visible(timeout=10_000)
    page.wait_for_timeout(500)
    assert posts == []  # no introspection with the placeholder: nothing to fail
    expect(page.get_by_text("UNAUTHENTICATED")).to_have_count(0)

    page.locator(".graphiql-editor-tools button[data-name='headers']").click()
    headers = page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror")
    with page.expect_request(lambda r: r.method == "POST" and "__schema" in (r.post_data or "")) as introspection:
        _replace_text(page, headers, f'{{"Authorization": "Bearer {token}"}}')
    assert introspection.value.headers.get("authorization") == f"Bearer {token}"

    page.locator(".graphiql-sidebar button[aria-label='Show Documentation Explorer']").click()
    search = page.locator(".graphiql-doc-explorer-search-input input")
    search.fill("WorkOrder")
    expect(page.locator(".graphiql-doc-explorer-search").get_by_text("WorkOrder", exact=True).first).to_be_visible(
        timeout=10_000
    )

    _replace_text(page, query, "{ workOrders { nodes { ")
    page.keyboard.type("sta")
    expect(page.locator(".CodeMirror-hints")).to_contain_text("statusRaw", timeout=10_000)
    page.keyboard.press("Escape")

    with page.expect_request(lambda r: r.method == "POST" and "__schema" in (r.post_data or "")):
        _replace_text(page, headers, f'{{"Authorization": "Bearer {admin_key}"}}')  # the admin schema now
    _replace_text(page, query, "subscription { connectionStatusChanged { connectionId status } }")
    page.wait_for_timeout(500)  # GraphiQL parses what was typed (a person takes longer than that to click)
    page.locator(".graphiql-execute-button").click()
    page.wait_for_timeout(1_000)  # subscribed
    sqlite_gateway.gql(admin_key, "mutation($id: ID!) { disconnect(id: $id) { id } }", {"id": other})
    expect(page.locator(".graphiql-response")).to_contain_text("DISCONNECTED", timeout=10_000)
    expect(page.locator(".graphiql-response")).to_contain_text(other)
