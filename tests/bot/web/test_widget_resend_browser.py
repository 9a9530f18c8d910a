"""A message the widget gave back whose answer the server had in fact given (lost on the way,
or the browser went offline while it was on its way): sent again by the citizen, it is asked
once, in headless Chromium against the app on uvicorn. Until 2026-12-05 the conversation kept
it twice, and a call for a person put it twice in the ticket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.bot.web.conftest import LiveServer
from tests.bot.web.test_widget_browser import citizen_page
from tests.bot.web.test_widget_details_browser import OFFLINE, PASSWORD_ANSWER, open_chat

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Route

pytestmark = pytest.mark.slow

HANDED_OFF = "Передали ваш вопрос специалисту"


def test_a_question_whose_answer_was_lost_is_asked_once_when_sent_again(
    browser: Browser, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    box = open_chat(page)
    sent: list[dict[str, Any]] = []

    def lose_the_first_answer(route: Route) -> None:
        sent.append(route.request.post_data_json or {})
        if len(sent) == 1:
            route.fetch()  # the server answers it ...
            route.abort()  # ... and the answer is lost on the way
        else:
            route.continue_()

    page.route("**/api/v1/ask", lose_the_first_answer)
    box.fill("забыл пароль")
    page.keyboard.press("Enter")
    log = page.get_by_role("log")
    expect(log.locator(".msg.system").last).to_contain_text(OFFLINE)
    expect(box).to_have_value("забыл пароль")
    page.keyboard.press("Enter")
    expect(log.locator(".msg.bot").last).to_contain_text(PASSWORD_ANSWER)
    box.fill("не приходит код")
    page.keyboard.press("Enter")
    expect(log.locator(".msg.bot")).to_have_count(3)  # the greeting and two answers

    page.reload()
    open_chat(page)
    expect(log.locator(".msg.citizen")).to_have_text(["забыл пароль", "не приходит код"])
    expect(log.locator(".msg.bot").filter(has_text=PASSWORD_ANSWER)).to_have_count(1)
    expect(log.locator(".msg.bot")).to_have_count(3)
    assert sent[0].get("request_id") == sent[1].get("request_id")  # the question sent again
    assert sent[2].get("request_id") != sent[1].get("request_id")  # a new one


def test_a_call_for_a_person_sent_while_offline_reaches_the_ticket_once(
    browser: Browser, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    box = open_chat(page)
    held: list[Route] = []

    def hold_the_first(route: Route) -> None:
        if held:
            route.continue_()
            return
        held.append(route)
        route.fetch()  # the server takes the call; its answer never reaches the page

    page.route("**/api/v1/handoff", hold_the_first)
    box.fill("не приходит код")
    page.get_by_role("button", name="Позвать оператора").click()
    expect(page.get_by_text("Консультант печатает…")).to_be_visible()
    page.wait_for_timeout(300)
    page.context.set_offline(True)
    log = page.get_by_role("log")
    expect(log.locator(".msg.system").last).to_contain_text(OFFLINE)
    expect(box).to_have_value("не приходит код")
    page.context.set_offline(False)
    page.get_by_role("button", name="Позвать оператора").click()
    # The same call, not a second message added to the ticket ("Добавили ваше сообщение ...").
    expect(log.locator(".msg").last).to_contain_text(HANDED_OFF)
    # One bubble: the one given back went (until 2026-12-05 both stayed until a reload).
    expect(log.locator(".msg.citizen")).to_have_text(["не приходит код"])

    page.reload()
    open_chat(page)
    expect(log.locator(".msg.citizen")).to_have_text(["не приходит код"])
    expect(log.locator(".msg.bot").filter(has_text=HANDED_OFF)).to_have_count(1)
    expect(log.locator(".msg.bot")).to_have_count(2)  # the greeting and the reply
