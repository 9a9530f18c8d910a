"""The widget when things go wrong, in headless Chromium against the app on uvicorn: the
network drops, the server is away while the chat opens or refuses the live channel, a text
too long is pasted, a short phone screen; and what a reload or a screen reader must keep."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.bot.web.conftest import LiveServer
from tests.bot.web.test_widget_browser import ARTIFACTS, _operator_takes_and_replies, citizen_page
from tests.bot.web.test_widget_details_browser import (
    OFFLINE,
    PASSWORD_ANSWER,
    _open_and_ask,
    open_chat,
)
from tests.bot.web.waiting import wait_until

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Route

pytestmark = pytest.mark.slow


def test_a_chat_opened_while_the_server_is_away_keeps_the_conversation(
    browser: Browser, live_server: LiveServer
) -> None:
    """The citizen got an answer, then reloads the page while the server restarts: the chat
    says so in Russian, and opened again once the server is back it shows the conversation
    (until 2026-12-05 one failed load made the widget forget the session for good: the
    conversation and the ticket were gone from the chat)."""
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    log = _open_and_ask(page, "забыл пароль")
    expect(log.locator(".msg.bot").last).to_contain_text(PASSWORD_ANSWER)

    page.route("**/api/v1/history*", lambda route: route.abort())
    page.reload()
    open_chat(page)
    expect(log.locator(".msg.system").last).to_contain_text(
        "Не удалось загрузить прошлую переписку. " + OFFLINE
    )
    expect(log.locator(".msg.system").last).to_contain_text("Переписка не потеряна")

    page.unroute("**/api/v1/history*")
    page.keyboard.press("Escape")
    open_chat(page)
    expect(log.locator(".msg.citizen")).to_have_text(["забыл пароль"])
    expect(log.locator(".msg.bot").last).to_contain_text(PASSWORD_ANSWER)
    expect(log.locator(".msg.system")).to_have_count(0)


def test_a_question_the_network_lost_is_told_in_russian_and_stays_in_the_box(
    browser: Browser, live_server: LiveServer
) -> None:
    """Until 2026-12-05 the chat showed the browser's "Failed to fetch" and the question box
    was emptied: the citizen had to type the question again."""
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    box = open_chat(page)
    page.route("**/api/v1/ask", lambda route: route.abort())
    box.fill("забыл пароль")
    page.keyboard.press("Enter")
    log = page.get_by_role("log")
    expect(log.locator(".msg.system").last).to_contain_text(OFFLINE)
    expect(box).to_have_value("забыл пароль")

    page.unroute("**/api/v1/ask")
    box.focus()
    page.keyboard.press("Enter")
    expect(log.locator(".msg.bot").last).to_contain_text(PASSWORD_ANSWER)
    expect(box).to_have_value("")


def test_a_pasted_text_over_the_limit_is_refused_whole_not_cut(
    browser: Browser, live_server: LiveServer
) -> None:
    """Until 2026-12-05 the box cut a pasted text at 2,000 characters without a word and sent
    the beginning."""
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(live_server.url + "/")
    box = open_chat(page)
    letter = "Не могу войти в личный кабинет, пишет что пароль неверный. " * 40
    page.evaluate("text => navigator.clipboard.writeText(text)", letter)
    page.keyboard.press("Control+V")
    expect(box).to_have_value(letter)
    page.keyboard.press("Enter")
    log = page.get_by_role("log")
    expect(log.locator(".msg.system").last).to_contain_text(
        "Вопрос слишком длинный: 2359 символов, можно не больше 2000."
    )
    expect(log.locator(".msg.citizen")).to_have_count(0)
    expect(box).to_have_value(letter)
    expect(box).to_be_focused()


def test_an_operators_reply_arrives_after_the_live_channel_was_refused_once(
    browser: Browser, live_server: LiveServer
) -> None:
    """The live channel is answered 503 once (the database away for a moment; a 429 or a
    proxy's 502 alike): the browser's EventSource gives up for good on such an answer, so
    until 2026-12-05 the operator's reply never came while the page stayed open."""
    from playwright.sync_api import expect

    page = citizen_page(browser)
    streams: list[str] = []

    def refuse_the_first(route: Route) -> None:
        streams.append(route.request.url)
        if len(streams) > 1:
            route.continue_()
            return
        route.fulfill(
            status=503,
            headers={"Retry-After": "2"},
            content_type="application/json",
            body='{"detail": "Сервис временно недоступен."}',
        )

    page.route("**/api/v1/events*", refuse_the_first)
    page.goto(live_server.url + "/")
    box = open_chat(page)
    box.fill("сломался карбюратор у трактора")
    page.get_by_role("button", name="Позвать оператора").click()
    log = page.get_by_role("log")
    expect(log).to_contain_text("Номер обращения: 1")

    _operator_takes_and_replies(browser, live_server.url, "Обратитесь в сервисный центр.")
    expect(log.locator(".msg.operator").last).to_contain_text(
        "Обратитесь в сервисный центр.", timeout=15_000
    )
    assert len(streams) >= 2


def test_on_a_short_phone_screen_the_forms_under_the_chat_scroll_into_view(
    browser: Browser, live_server: LiveServer
) -> None:
    """360 x 640 with a ticket open, the contacts form refusing an address and the Telegram
    box open: until 2026-12-05 the chat shrank to one line, and the panel, which did not
    scroll, cut the last buttons off below it."""
    from playwright.sync_api import expect

    page = citizen_page(browser, width=360, height=640)
    page.goto(live_server.url + "/")
    box = open_chat(page)
    box.fill("сломался карбюратор у трактора")
    page.get_by_role("button", name="Позвать оператора").click()
    log = page.get_by_role("log")
    expect(log).to_contain_text("Номер обращения: 1")
    page.get_by_role("button", name="Оставить контакты").click()
    page.keyboard.type("abc@")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_text(
        "Проверьте адрес: нужен адрес вида name@example.ru."
    )
    page.get_by_role("button", name="Связать с Telegram").click()

    unlink = page.get_by_role("button", name="Отвязать Telegram")
    unlink.scroll_into_view_if_needed()
    panel = page.get_by_role("dialog", name="Виртуальный консультант").bounding_box()
    button = unlink.bounding_box()
    assert panel is not None and button is not None
    assert button["y"] + button["height"] <= panel["y"] + panel["height"] + 0.5, (button, panel)
    unlink.click()
    said = log.locator(".msg.system").last
    expect(said).to_have_text("Сообщение" + "Этот чат не связан с другими каналами.")
    expect(said).to_be_in_viewport()
    chat = log.bounding_box()
    assert chat is not None and chat["height"] >= 100, chat
    page.screenshot(path=str(ARTIFACTS / "widget-360-forms.png"))


def test_a_screen_reader_hears_who_wrote_each_message(
    browser: Browser, live_server: LiveServer
) -> None:
    """The consultant's and the specialists' messages are named; until 2026-12-05 the
    citizen's own ones were told apart by their colour and side only."""
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    log = _open_and_ask(page, "забыл пароль")
    expect(log.locator(".msg.bot").last).to_contain_text(PASSWORD_ANSWER)
    spoken = log.aria_snapshot()
    assert "Вы написали: забыл пароль Консультант Новый пароль" in spoken, spoken
    expect(log.locator(".msg.citizen")).to_have_text("забыл пароль")  # shown as typed


def test_an_answers_links_come_back_after_a_reload(
    browser: Browser, live_server: LiveServer
) -> None:
    """Until 2026-12-05 the links the base gives under an answer ("Портал поддержки ЭПТС")
    were gone from the answer when the page was opened again."""
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    log = _open_and_ask(page, "как получить выписку из ЭПТС")
    portal = log.get_by_role("link", name="Портал поддержки ЭПТС")
    expect(portal).to_have_attribute("href", "https://help.elpts.ru/ru")
    page.reload()
    open_chat(page)
    expect(portal).to_have_attribute("href", "https://help.elpts.ru/ru")
    expect(portal).to_have_attribute("target", "_blank")
    expect(
        log.locator(".msg.bot").last.get_by_role("button", name="Копировать ответ")
    ).to_be_visible()


def test_a_question_typed_while_the_history_loads_waits_for_it(
    browser: Browser, live_server: LiveServer
) -> None:
    """On a slow network the citizen types before the conversation has come back: until
    2026-12-05 the question went at once, showed above the greeting, and again inside the
    history below it."""
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    log = _open_and_ask(page, "забыл пароль")
    expect(log.locator(".msg.bot").last).to_contain_text(PASSWORD_ANSWER)

    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)  # the history reaches the server when the test lets it go

    page.route("**/api/v1/history*", hold)
    page.reload()
    box = open_chat(page)
    box.fill("как получить выписку из ЭПТС")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Отправить")).to_be_disabled()
    expect(box).to_have_value("как получить выписку из ЭПТС")
    # The route's handler runs when Playwright next hears from the browser (`wait_until`).
    wait_until(page, lambda: bool(held), "the history's request reaches the held route")
    assert len(held) == 1
    held[0].continue_()
    expect(page.get_by_role("button", name="Отправить")).to_be_enabled()
    page.keyboard.press("Enter")
    expect(log.locator(".msg.citizen")).to_have_text(
        ["забыл пароль", "как получить выписку из ЭПТС"]
    )
    expect(log.locator(".msg.bot").first).to_contain_text("Здравствуйте!")
    expect(log.locator(".msg.bot")).to_have_count(3)
