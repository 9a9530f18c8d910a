"""A long conversation reopened in the widget, in headless Chromium against the app on
uvicorn: the last messages first, the earlier ones a page at a time above them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from tests.bot.web.conftest import LiveServer
from tests.bot.web.test_widget_browser import ARTIFACTS, citizen_page
from tests.bot.web.test_widget_details_browser import LAUNCHER

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator

pytestmark = pytest.mark.slow

EARLIER = "Показать предыдущие сообщения"
GREETING = "Здравствуйте! Я отвечу на вопросы о госуслугах"  # the demo page's data-greeting
QUESTIONS = 55  # 110 messages: pages of 50, 50 and 10


def _question(number: int) -> str:
    return f"Вопрос {number}: забыл пароль"


def _long_conversation(url: str) -> str:
    """A session that asked QUESTIONS numbered questions, each answered; its id."""
    session = ""
    with httpx.Client(base_url=url, timeout=10) as client:
        for number in range(1, QUESTIONS + 1):
            body = {"question": _question(number)} | ({"session_id": session} if session else {})
            answered = client.post("/api/v1/ask", json=body)
            assert answered.status_code == 200, answered.text
            session = answered.json()["session_id"]
    return session


def _top(message: Locator) -> float:
    """Where the message is on the screen, from the top."""
    box = message.bounding_box()
    assert box is not None, "the message is not on the screen"
    return box["y"]


def test_earlier_messages_of_a_long_conversation_load_above_without_a_jump(
    browser: Browser, live_server: LiveServer
) -> None:
    """Until 2026-12-05 a reopened widget showed the last 50 messages and nothing said there
    were more: the conversation's beginning could not be seen again."""
    from playwright.sync_api import expect

    session = _long_conversation(live_server.url)
    page = citizen_page(browser)
    page.context.add_init_script(f"localStorage.setItem('faqbot.session', '{session}')")
    page.goto(live_server.url + "/")
    page.get_by_role("button", name=LAUNCHER).click()
    log = page.get_by_role("log")
    asked = log.locator(".msg.citizen")
    expect(asked).to_have_count(25)
    expect(asked.first).to_have_text(_question(31))
    expect(asked.last).to_have_text(_question(QUESTIONS))
    earlier = log.get_by_role("button", name=EARLIER)
    expect(earlier).to_be_visible()
    expect(log).not_to_contain_text(GREETING)  # it opened the conversation, further back

    # The citizen scrolls up to the control and presses it: the page before comes above,
    # and the message they were looking at stays where it was.
    log.evaluate("node => { node.scrollTop = 0; }")
    looked_at = asked.filter(has_text=_question(31))
    before = _top(looked_at)
    earlier.click()
    expect(asked).to_have_count(50)
    expect(asked.first).to_have_text(_question(6))
    assert _top(looked_at) == pytest.approx(before, abs=1)
    page.screenshot(path=str(ARTIFACTS / "widget-earlier-messages.png"))

    # The last page: the control goes, the greeting is at the top again, nothing twice.
    log.evaluate("node => { node.scrollTop = 0; }")
    looked_at = asked.filter(has_text=_question(6))
    before = _top(looked_at)
    earlier.focus()
    page.keyboard.press("Enter")
    expect(asked).to_have_count(QUESTIONS)
    expect(asked).to_have_text([_question(n) for n in range(1, QUESTIONS + 1)])
    expect(log.locator(".msg.bot")).to_have_count(QUESTIONS + 1)
    expect(log.locator(".msg").first).to_contain_text(GREETING)
    expect(earlier).to_have_count(0)
    expect(log).to_be_focused()  # not lost to the page with the control gone
    assert _top(looked_at) == pytest.approx(before, abs=1)
    # The answers loaded later keep their tools, as the last ones do.
    expect(asked.first.locator("xpath=following-sibling::div[1]")).to_contain_text(
        "Копировать ответ"
    )


def test_a_short_conversation_shows_no_control(browser: Browser, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    page.get_by_role("button", name=LAUNCHER).click()
    box = page.get_by_role("textbox", name="Ваш вопрос")
    box.fill("забыл пароль")
    page.keyboard.press("Enter")
    log = page.get_by_role("log")
    expect(log.locator(".msg.bot")).to_have_count(2)
    page.reload()
    page.get_by_role("button", name=LAUNCHER).click()
    expect(log.locator(".msg.citizen")).to_have_text(["забыл пароль"])
    expect(log.locator(".msg").first).to_contain_text(GREETING)
    expect(log.get_by_role("button", name=EARLIER)).to_have_count(0)
