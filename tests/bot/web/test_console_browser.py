"""The operator console in headless Chromium: an open queue and an open ticket show what
changed without a reload, and keep what the operator is typing."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

import httpx
import pytest

from bot.web.settings import WebSettings
from tests.bot.web.conftest import LiveServer
from tests.bot.web.test_widget_browser import ARGS, _chromium, operator_logs_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow

QUESTION = "сломался карбюратор у трактора"
MORE = "Забыл добавить: трактор синий, МТЗ-82"
TYPED = "Здравствуйте! Уточните, пожалуйста,"


@pytest.fixture
def web_settings(web_settings: WebSettings) -> WebSettings:
    """The test server's settings, with the console refreshing often."""
    return replace(web_settings, console_refresh_seconds=0.3)


def _news(console: Page) -> str:
    return str(console.locator("#live-news").text_content() or "")


def test_an_open_queue_and_ticket_show_news_without_a_reload(live_server: LiveServer) -> None:
    from playwright.sync_api import expect, sync_playwright

    executable = _chromium()
    url = live_server.url
    with sync_playwright() as playwright, httpx.Client(base_url=url) as citizen:
        browser = playwright.chromium.launch(executable_path=executable, args=ARGS)
        console = operator_logs_in(browser, url)
        expect(console.get_by_text("Очередь пуста.")).to_be_visible()
        console.evaluate("window.sameDocument = true")

        # A citizen hands a question off; the open queue shows it, counts it in the heading
        # and the tab's title, and says so to a screen reader.
        reply = citizen.post("/api/v1/handoff", json={"question": QUESTION}).json()
        row = console.get_by_role("row").filter(has_text=QUESTION)
        expect(row).to_be_visible()
        expect(row.get_by_role("link", name="1", exact=True)).to_be_visible()
        expect(console.locator("#queue-count")).to_have_text("1")
        expect(console).to_have_title(re.compile(r"^\(1\) Очередь"))
        expect(console.locator("#live-news")).to_have_text(
            "Новые обращения в очереди. Всего ждут: 1."
        )
        assert console.evaluate("window.sameDocument") is True, "the queue page was reloaded"

        # The operator takes it and starts typing; the citizen adds a detail meanwhile.
        console.get_by_role("button", name="Взять следующее").click()
        expect(console.get_by_role("heading", level=1)).to_contain_text("Обращение № 1")
        console.evaluate("window.sameDocument = true")
        answer = console.get_by_label("Ответ гражданину")
        answer.fill(TYPED)
        sent = citizen.post(
            "/api/v1/ask", json={"question": MORE, "session_id": reply["session_id"]}
        )
        assert sent.status_code == 200, sent.text
        expect(console.locator("#thread")).to_contain_text(MORE)
        expect(console.locator("#live-news")).to_have_text("В переписке новое сообщение.")
        # What the operator typed is still there, and still where they type.
        expect(answer).to_have_value(TYPED)
        expect(answer).to_be_focused()
        assert console.evaluate("window.sameDocument") is True, "the ticket page was reloaded"
        assert "Очередь" not in _news(console)

        # Logged out in another tab: the open page says so, once, and keeps what was typed.
        other = console.context.new_page()
        other.goto(url + "/console")
        other.get_by_role("button", name="Выйти").click()
        expect(other.get_by_role("button", name="Войти")).to_be_visible()
        alert = console.get_by_role("alert")
        expect(alert).to_have_text("Сеанс завершён, страница больше не обновляется. Войти снова")
        expect(alert.get_by_role("link", name="Войти снова")).to_have_attribute(
            "href", "/console/login"
        )
        console.wait_for_timeout(1000)  # three more refresh periods: no second notice
        expect(alert).to_have_count(1)
        expect(answer).to_have_value(TYPED)
        browser.close()


def test_a_refused_closing_refreshes_as_the_ticket_does_and_keeps_the_draft(
    live_server: LiveServer,
) -> None:
    """«Ответить и завершить» refused over a message the page had not shown yet comes back
    as a page (409) at the form's address, which its refresh asked for in vain (405): the
    citizen's next words never appeared. Now it refreshes from the ticket's address, the
    draft stays, and the closing sent from it goes through."""
    from playwright.sync_api import Route, expect, sync_playwright

    executable = _chromium()
    url = live_server.url
    later = "И ещё: трактор стоит в гараже, приезжайте после обеда"
    with sync_playwright() as playwright, httpx.Client(base_url=url) as citizen:
        browser = playwright.chromium.launch(executable_path=executable, args=ARGS)
        console = operator_logs_in(browser, url)
        reply = citizen.post("/api/v1/handoff", json={"question": QUESTION}).json()
        session = reply["session_id"]
        console.goto(f"{url}/console/tickets/{reply['ticket_number']}")

        # The page has not refreshed yet when the citizen writes (it does every 15 s).
        def not_yet(route: Route) -> None:
            if route.request.headers.get("x-console-refresh") == "1":
                route.abort()
            else:
                route.continue_()

        console.route(re.compile(r"/console/tickets/\d+$"), not_yet)
        answer = console.get_by_label("Ответ гражданину")
        answer.fill(TYPED)
        citizen.post("/api/v1/ask", json={"question": MORE, "session_id": session})
        console.get_by_role("button", name="Ответить и завершить").click()
        expect(console.get_by_text("гражданин прислал новое сообщение")).to_be_visible()
        expect(console.locator("#thread")).to_contain_text(MORE)
        console.unroute(re.compile(r"/console/tickets/\d+$"))
        console.evaluate("window.sameDocument = true")

        # On the refused page the citizen writes again: it appears, the draft stays.
        citizen.post("/api/v1/ask", json={"question": later, "session_id": session})
        expect(console.locator("#thread")).to_contain_text(later)
        expect(console.locator("#live-news")).to_have_text("В переписке новое сообщение.")
        answer = console.get_by_label("Ответ гражданину")
        expect(answer).to_have_value(TYPED)
        assert console.evaluate("window.sameDocument") is True, "the page was reloaded"

        # The page now shows both messages: closing from it goes through.
        console.get_by_role("button", name="Ответить и завершить").click()
        expect(console.get_by_text("Обращение № 1 завершено.")).to_be_visible()
        status = citizen.get("/api/v1/tickets/1", params={"session_id": session}).json()
        assert status["status_label"] == "Завершено"
        browser.close()
