"""What three citizens noticed walking through the widget in headless Chromium, against the
app on uvicorn: on a phone with the on-screen keyboard out, by keyboard and screen reader,
and careless (double presses, a connection lost mid-question, two tabs)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.bot.web.conftest import LiveServer
from tests.bot.web.test_widget_browser import PNG, citizen_page
from tests.bot.web.test_widget_details_browser import LAUNCHER, UNKNOWN, _open_and_ask

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = pytest.mark.slow


def _hand_off(page: Page) -> Locator:
    """Open the chat and hand a question the base cannot answer to people: ticket 1."""
    from playwright.sync_api import expect

    page.get_by_role("button", name=LAUNCHER).click()
    page.get_by_role("textbox", name="Ваш вопрос").fill(UNKNOWN)
    page.get_by_role("button", name="Позвать оператора").click()
    log = page.get_by_role("log")
    expect(log).to_contain_text("Номер обращения: 1")
    return log


def test_the_chat_shows_an_attached_file_under_the_name_the_service_gave_it(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    """A screenshot saved as "doc.pdf" is a PNG, stored as "doc.png": until 2026-12-05 the
    chat's own line kept "📎 doc.pdf" right above «Файл «doc.png» приложен…», and a reopened
    chat said "📎 doc.png"."""
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    log = _hand_off(page)
    misnamed = tmp_path / "doc.pdf"
    misnamed.write_bytes(PNG)
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Прикрепить файл к обращению № 1").click()
    chooser.value.set_files(str(misnamed))
    expect(log.locator(".msg.system").last).to_contain_text(
        "Файл «doc.png» приложен к обращению № 1."
    )
    expect(log.locator(".msg.citizen").last).to_have_text("📎 doc.png")
    expect(log).not_to_contain_text("doc.pdf")
    page.reload()
    page.get_by_role("button", name=LAUNCHER).click()
    expect(log.locator(".msg.citizen").last).to_have_text("📎 doc.png")
