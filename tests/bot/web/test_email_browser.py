"""“Отправить на e-mail” in headless Chromium: the form, the keyboard, the letter received."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.mail.settings import Security, SmtpSettings
from bot.web.settings import WebSettings
from tests.bot.web.conftest import GENEROUS, LiveServer
from tests.bot.web.test_email_answer import ENTRY_YAML, HOSTILE, QUESTION
from tests.bot.web.test_widget_browser import ARGS, ARTIFACTS, _chromium, citizen_page
from tests.support.ports import free_port
from tests.support.smtp import smtp_server

pytestmark = pytest.mark.slow

ADDRESS = "maria.ivanova@example.ru"


@pytest.fixture
def smtp_port() -> int:
    """The loopback port of the test SMTP server."""
    return free_port()


@pytest.fixture
def web_settings(web_settings: WebSettings, kb_dir: Path, smtp_port: int) -> WebSettings:
    """The browser tests' server, with an SMTP server on loopback and the letter test entry."""
    (kb_dir / "zz-letters.yaml").write_text(ENTRY_YAML, encoding="utf-8")
    return replace(
        web_settings,
        smtp=SmtpSettings(
            host="127.0.0.1",
            port=smtp_port,
            sender="faqbot@gosuslugi.example",
            security=Security.NONE,
            timeout_seconds=2,
        ),
        email_ip_rate=GENEROUS,
        email_session_rate=GENEROUS,
    )


def test_a_citizen_sends_an_answer_to_their_email(live_server: LiveServer, smtp_port: int) -> None:
    executable = _chromium()
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with smtp_server(smtp_port) as smtp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            page = citizen_page(browser)
            page.goto(live_server.url + "/")
            page.get_by_role("button", name="Открыть чат: Виртуальный консультант").click()
            page.get_by_role("textbox", name="Ваш вопрос").fill(QUESTION)
            page.keyboard.press("Enter")
            log = page.get_by_role("log")
            expect(log).to_contain_text(HOSTILE)  # the answer's markup is shown as text

            page.get_by_role("button", name="Отправить на e-mail").click()
            field = page.get_by_label("Ваш e-mail")
            expect(field).to_be_focused()
            page.keyboard.type("maria.ivanova@")
            page.keyboard.press("Enter")
            expect(page.get_by_role("alert")).to_have_text(
                "Проверьте адрес: нужен адрес вида name@example.ru."
            )
            expect(field).to_have_attribute("aria-invalid", "true")
            page.screenshot(path=str(ARTIFACTS / "widget-email-invalid.png"))
            page.keyboard.type("example.ru")
            expect(field).to_have_value(ADDRESS)
            page.screenshot(path=str(ARTIFACTS / "widget-email-form.png"))

            page.keyboard.press("Enter")
            expect(log).to_contain_text("Отправляем ответ на m***@example.ru")
            expect(field).to_have_count(0)
            expect(page.get_by_role("button", name="Отправить на e-mail")).to_be_focused()
            page.screenshot(path=str(ARTIFACTS / "widget-email-sent.png"))
        finally:
            browser.close()
        (letter,) = smtp.wait_for(1)
    assert letter.recipients == (ADDRESS,)
    assert letter.message["Subject"] == "Ответ на ваш вопрос: " + QUESTION
    assert HOSTILE in letter.body
