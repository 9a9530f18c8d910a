"""Linking the widget with Telegram in headless Chromium, by keyboard, against uvicorn.

The Telegram side is the core itself on the server's database (the bot's own path is tested
over the fake Bot API in `tests/bot/telegram/test_linking.py`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from bot.core.conversation import ConversationService
from bot.core.identity import Identity
from bot.core.linking import ChannelLinking
from bot.core.settings import default_working_hours
from bot.core.workhours import WorkCalendar
from bot.storage.database import open_database
from bot.web.settings import WebSettings
from matcher import Matcher
from tests.bot.web.conftest import LiveServer
from tests.bot.web.test_widget_browser import ARGS, ARTIFACTS, _chromium, citizen_page
from tests.bot.web.waiting import wait_until

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, Route

pytestmark = pytest.mark.slow

TELEGRAM_CHAT = Identity("telegram", "424242")
SHOWN_CODE = re.compile(r"Код для связи: (\d{6})")
T = TypeVar("T")


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end in a thread of its own (Playwright's loop owns this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()


async def _telegram_ticket_and_code(url: str, matcher: Matcher) -> tuple[int, str]:
    """A ticket opened from a Telegram chat, and the code `/link` would show in that chat."""
    db = await open_database(url)
    try:
        conversations = ConversationService(
            db, matcher, calendar=WorkCalendar(default_working_hours())
        )
        reply = await conversations.request_person(TELEGRAM_CHAT, "Нужна справка о доходах")
        assert reply.ticket_number is not None
        issued = await ChannelLinking(db).issue(TELEGRAM_CHAT)
        return reply.ticket_number, issued.code
    finally:
        await db.close()


async def _redeem_in_telegram(url: str, code: str) -> str:
    db = await open_database(url)
    try:
        return await ChannelLinking(db).redeem(Identity("telegram", "515151"), code)
    finally:
        await db.close()


def _unlink_by_keyboard(page: Any) -> None:
    """The widget's «Отвязать Telegram»: then only its own tickets show, here none."""
    from playwright.sync_api import expect

    log = page.get_by_role("log")
    for button, said in (
        ("Отвязать Telegram", "Готово: этот чат больше не связан с каналом «Telegram»"),
        ("Мои обращения", "У вас пока нет обращений."),
    ):
        page.get_by_role("button", name=button).focus()
        page.keyboard.press("Enter")
        expect(log.locator(".msg.system .text").last).to_contain_text(said)


GET_CODE = "Получить код для Telegram"
# The linking requests the test may hold, as a slow line would.
LINKING = re.compile(r"/api/v1/link(/code)?$")
# The widget's calls of `fetch`, kept for a failure's message (each is passed on unchanged).
COUNT_SENDS = """(() => {
    const send = window.fetch;
    window.faqbotSent = [];
    window.fetch = function (url, options) {
        window.faqbotSent.push(String(url).replace(location.origin, ""));
        return send.apply(this, arguments);
    };
})();"""
# What the widget shows and where its focus is, for a failure's message.
WIDGET_STATE = """host => JSON.stringify({
    focus: host.shadowRoot.activeElement && host.shadowRoot.activeElement.outerHTML.slice(0, 120),
    code: host.shadowRoot.getElementById("faqbot-link-code").value,
    messages: Array.from(host.shadowRoot.querySelectorAll('.msg')).slice(-3)
        .map(m => m.textContent.slice(0, 80)),
    sent: window.faqbotSent.slice(-5),
})"""


class _Line:
    """The page's line to the linking API: requests go through at once, but those to the
    path being held wait until the test lets them go. Routed once, before the page loads, as
    the other browser tests hold requests: until 2026-12-06 a route was added just before each
    double press and removed after it, and the first once waited in vain for the request in
    a CI run (cause not found; the widget's `fetch` calls are now in the failure's message)."""

    def __init__(self, page: Page) -> None:
        self.holding: str | None = None
        self.held: list[Route] = []
        page.route(LINKING, self._route)

    def _route(self, route: Route) -> None:
        if self.holding is not None and route.request.url.endswith(self.holding):
            self.held.append(route)
        else:
            route.continue_()

    def press_twice(self, page: Page, control: Locator, path: str) -> int:
        """Enter pressed twice on `control` (focused) while its request is on its way; how
        many requests to `path` it sent."""
        from playwright.sync_api import expect

        self.holding, self.held = path, []
        expect(control).to_be_focused()
        page.keyboard.press("Enter")
        page.keyboard.press("Enter")
        try:
            wait_until(page, lambda: bool(self.held), f"the widget sends {path}")
        except AssertionError as error:  # once in CI (2026-12-06), cause not found: say more
            state = page.locator("[data-faqbot]").evaluate(WIDGET_STATE)
            raise AssertionError(f"{error}; the widget: {state}") from None
        page.wait_for_timeout(300)  # a second request would be here by now
        self.holding = None
        for route in self.held:
            route.continue_()
        return len(self.held)


def _on_a_line(browser: Browser, url: str) -> tuple[Page, _Line]:
    """The citizen's page of the site at `url`, its linking requests on a `_Line`."""
    page = citizen_page(browser)
    page.add_init_script(COUNT_SENDS)
    line = _Line(page)
    page.goto(url + "/")
    return page, line


def test_a_citizen_links_the_widget_with_telegram_by_keyboard(
    live_server: LiveServer, web_settings: WebSettings, fixture_matcher: Matcher
) -> None:
    executable = _chromium()
    from playwright.sync_api import expect, sync_playwright

    url = web_settings.database_url
    assert url is not None
    number, code = _run(_telegram_ticket_and_code(url, fixture_matcher))
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            page, line = _on_a_line(browser, live_server.url)
            page.get_by_role("button", name="Открыть чат: Виртуальный консультант").focus()
            page.keyboard.press("Enter")
            log = page.get_by_role("log")
            expect(page.get_by_role("textbox", name="Ваш вопрос")).to_be_focused()

            mine = page.get_by_role("button", name="Мои обращения")
            mine.focus()
            page.keyboard.press("Enter")
            expect(log.locator(".msg.system .text").last).to_have_text("У вас пока нет обращений.")

            toggle = page.get_by_role("button", name="Связать с Telegram")
            toggle.focus()
            page.keyboard.press("Enter")
            expect(toggle).to_have_attribute("aria-expanded", "true")
            field = page.get_by_role("textbox", name="Код из Telegram (/link):")
            field.focus()
            page.keyboard.type("000000")
            page.keyboard.press("Enter")
            expect(log.locator(".msg.system").last).to_contain_text("Код не подошёл")
            field.fill("")
            page.keyboard.type(code)
            # Enter pressed again while the code is on its way redeems it once (until
            # 2026-12-05 the second, of a code used up, said «Код не подошёл» under «Готово»).
            assert line.press_twice(page, field, "/api/v1/link") == 1
            expect(log.locator(".msg.system").last).to_contain_text(
                "Готово: связали с каналом «Telegram»"
            )
            expect(field).to_have_value("")

            mine.focus()
            page.keyboard.press("Enter")
            expect(log.locator(".msg.system").last).to_contain_text(
                f"№ {number}: Принято (Telegram)"
            )

            # Pressed twice (a double click, Enter again on a slow line), one code is shown:
            # until 2026-12-05 two were, and the first, replaced by the second, did not work.
            get_code = page.get_by_role("button", name=GET_CODE)
            get_code.focus()
            assert line.press_twice(page, get_code, "/api/v1/link/code") == 1
            expect(log.locator(".msg.system").last).to_contain_text("/link ")
            expect(log.locator(".msg.system").filter(has_text="Код для связи")).to_have_count(1)
            shown = SHOWN_CODE.search(log.locator(".msg.system").last.inner_text())
            assert shown is not None
            said = _run(_redeem_in_telegram(url, shown.group(1)))
            assert said.startswith("Готово: связали с каналом «чат на сайте»")
            # A notice of the service, not a specialist's reply.
            expect(log.locator(".msg.system").last).to_contain_text(
                "Канал «Telegram» связан с этим чатом"
            )
            page.screenshot(path=str(ARTIFACTS / "widget-link.png"))

            _unlink_by_keyboard(page)
        finally:
            browser.close()
