"""A headless Debian Chromium for page tests: local-only, page errors recorded, screenshots kept.

Every request to another host is aborted and recorded (the pages must work
offline); screenshots of the steps go to tests/artifacts/screenshots/ (ignored
by git), or to PLANTGATE_SCREENSHOTS_DIR: `make screenshots` refreshes the
README's pictures in docs/screenshots/ that way, so a test run changes no tracked file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, ViewportSize, sync_playwright

from tests.test_graphiql_browser import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS

SCREENSHOTS = Path(os.environ.get("PLANTGATE_SCREENSHOTS_DIR") or Path(__file__).parent / "artifacts" / "screenshots")
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1024, "height": 720}


@dataclass
class Watched:
    """A page and what it did that a test may check afterwards."""

    page: Page
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def shot(self, name: str, full_page: bool = False) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=full_page)

    def assert_clean(self) -> None:
        assert self.outside == [], f"the page tried to leave the gateway: {self.outside}"
        assert self.errors == [], f"script errors: {self.errors}"


@contextmanager
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: run `make chromium` (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser: Browser, viewport: ViewportSize = PHONE) -> Watched:
    """A fresh context (own storage) with a local-only guard and error recording."""
    page = browser.new_context(viewport=viewport, device_scale_factor=1).new_page()
    watched = Watched(page)

    def local_only(route: Route) -> None:
        watched.urls.append(route.request.url)
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            watched.outside.append(route.request.url)
            route.abort()

    page.route("**/*", local_only)
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    return watched
