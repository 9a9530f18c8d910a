"""`/api/docs` in headless Chromium on a machine with no Internet: Swagger UI is served by
the app itself, so a developer offline sees the citizen API documented."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

import pytest

from bot.web.settings import WebSettings
from tests.bot.web.conftest import LiveServer
from tests.bot.web.test_widget_browser import ARGS, _chromium, citizen_page

pytestmark = pytest.mark.slow


@pytest.fixture
def web_settings(web_settings: WebSettings) -> WebSettings:
    """The documentation is served in development only."""
    return replace(web_settings, environment="development")


def test_the_api_documentation_renders_offline(live_server: LiveServer) -> None:
    executable = _chromium()
    from playwright.sync_api import Route, expect, sync_playwright

    elsewhere: list[str] = []

    def loopback_only(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:  # what a machine with no Internet would refuse
            elsewhere.append(url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            page = citizen_page(browser, width=1280, height=900)
            page.route("**/*", loopback_only)
            page.goto(live_server.url + "/api/docs")
            expect(page.get_by_text("/api/v1/ask", exact=True)).to_be_visible()
            expect(page.get_by_text("/api/v1/handoff", exact=True)).to_be_visible()
        finally:
            browser.close()
    assert elsewhere == []
