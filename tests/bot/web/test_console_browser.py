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
