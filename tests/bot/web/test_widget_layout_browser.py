"""Sizes a citizen and an operator see, in headless Chromium against the app on uvicorn: a
desktop's short window keeps the chat's panel, a phone's buttons are big enough for a finger,
a long answer on a phone with its keyboard out is read from its beginning, and the console's
focus ring can be seen."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.bot.web.conftest import LiveServer
from tests.bot.web.test_widget_browser import (
    _operator_takes_and_replies,
    _operator_takes_the_next_ticket,
    citizen_page,
    operator_logs_in,
)
from tests.bot.web.test_widget_details_browser import PASSWORD_ANSWER, UNKNOWN, open_chat
from tests.bot.web.test_widget_walkthrough_browser import FIRST_LINE_IN_SIGHT, _contrast

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator

pytestmark = pytest.mark.slow

FINGER_PX = 44
# Whether the chat's log is scrolled to its very end.
LOG_AT_ITS_END = "log => log.scrollHeight - log.scrollTop - log.clientHeight < 1"
# An operator's answer several lines longer than a phone's log with the keyboard out.
LONG_REPLY = (
    "Проверили ваше обращение. Карбюратор трактора ремонтирует сервисный центр "
    "производителя: запишитесь на приём через раздел «Техника» личного кабинета, "
    "возьмите с собой паспорт самоходной машины и свидетельство о регистрации. "
    "Если трактор на гарантии, ремонт бесплатный; если гарантия кончилась, центр "
    "назовёт цену до начала работ. Сроки ремонта обычно от трёх до десяти рабочих дней."
)


def _size(locator: Locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None
    return box["width"], box["height"]


def test_a_short_desktop_window_keeps_the_chat_a_panel(
    browser: Browser, live_server: LiveServer
) -> None:
    """Until 2026-12-05 a desktop window 420 px high took the phone's layout: the chat covered
    the whole site, and the launcher that closes it was gone."""
    from playwright.sync_api import expect

    page = citizen_page(browser, width=1200, height=400)
    page.goto(live_server.url + "/")
    open_chat(page)
    width, _ = _size(page.get_by_role("dialog"))
    assert width <= 400, width
    expect(page.get_by_role("button", name="Закрыть чат: Виртуальный консультант")).to_be_visible()


def test_a_short_touch_screen_still_gets_the_whole_screen(
    browser: Browser, live_server: LiveServer
) -> None:
    """A phone turned sideways, or its keyboard out: the chat takes the whole screen."""
    page = citizen_page(browser, width=740, height=360, has_touch=True, is_mobile=True)
    page.goto(live_server.url + "/")
    open_chat(page)
    width, height = _size(page.get_by_role("dialog"))
    assert (width, height) == (740, 360)


def test_a_phones_buttons_are_big_enough_for_a_finger(
    browser: Browser, live_server: LiveServer
) -> None:
    """Until 2026-12-05 these buttons were about 25 px high on a phone."""
    from playwright.sync_api import expect

    page = citizen_page(browser, has_touch=True, is_mobile=True)
    page.goto(live_server.url + "/")
    box = open_chat(page)
    box.fill("забыл пароль")
    page.keyboard.press("Enter")
    log = page.get_by_role("log")
    expect(log.locator(".msg.bot").last).to_contain_text(PASSWORD_ANSWER)
    box.fill("не приходит код")
    page.get_by_role("button", name="Позвать оператора").click()
    attach = page.get_by_role("button", name="Прикрепить файл")
    expect(attach).to_be_visible()
    heights = {
        name: _size(page.get_by_role("button", name=name).first)[1]
        for name in (
            "Позвать оператора",
            "Прикрепить файл",
            "Копировать ответ",
            "Ответ помог",
            "Ответ не помог",
        )
    }
    assert all(h >= FINGER_PX for h in heights.values()), heights
    for name in ("Ответ помог", "Ответ не помог"):
        assert _size(page.get_by_role("button", name=name).first)[0] >= FINGER_PX


def test_a_long_answer_with_the_keyboard_out_shows_its_beginning_a_short_one_the_end(
    browser: Browser, live_server: LiveServer
) -> None:
    """A phone 360 x 740 with its keyboard out leaves 400 px: the log is a few lines high.
    Until 2026-12-05 every new message scrolled the log to its end, so a long answer showed
    only its last lines and the citizen had to scroll back up to find where it began."""
    from playwright.sync_api import expect

    page = citizen_page(browser, width=360, height=740, has_touch=True, is_mobile=True)
    page.goto(live_server.url + "/")
    box = open_chat(page)
    page.set_viewport_size({"width": 360, "height": 400})  # the keyboard is out
    log = page.get_by_role("log")

    box.fill("спасибо")
    page.get_by_role("button", name="Отправить").tap()
    short = log.locator(".msg.bot").last
    expect(short).to_contain_text("Рад был помочь")
    assert log.evaluate(LOG_AT_ITS_END)  # the whole answer, its buttons under it
    expect(short.get_by_role("button", name="Ответ помог")).to_be_in_viewport(ratio=1)

    box.fill("как получить выписку из ЭПТС")
    page.get_by_role("button", name="Отправить").tap()
    long = log.locator(".msg.bot").last
    expect(long).to_contain_text("Это один из самых частых вопросов")
    assert _size(long)[1] > _size(log)[1]  # taller than the log: it cannot be seen whole
    assert long.evaluate(FIRST_LINE_IN_SIGHT)
    expect(box).to_be_in_viewport(ratio=1)
    # The citizen reads on down to the answer's buttons.
    long.get_by_role("button", name="Ответ помог").scroll_into_view_if_needed()
    expect(long.get_by_role("button", name="Ответ помог")).to_be_in_viewport()


def test_an_operators_long_answer_that_closes_the_ticket_shows_its_beginning(
    browser: Browser, live_server: LiveServer
) -> None:
    """«Ответить и завершить»: the operator's answer and the notice that the ticket is closed
    come one after the other. Until the night of 2026-12-05 the notice, short, scrolled the
    log to its end: on a phone with the keyboard out only the answer's last lines showed."""
    from playwright.sync_api import expect

    page = citizen_page(browser, width=360, height=740, has_touch=True, is_mobile=True)
    page.goto(live_server.url + "/")
    box = open_chat(page)
    log = page.get_by_role("log")
    box.fill(UNKNOWN)
    page.get_by_role("button", name="Отправить").tap()
    expect(log.locator(".ticket")).to_contain_text("Номер обращения: 1")
    page.set_viewport_size({"width": 360, "height": 400})  # the keyboard is out

    console = _operator_takes_the_next_ticket(browser, live_server.url)
    console.get_by_label("Ответ гражданину").fill(LONG_REPLY)
    console.get_by_role("button", name="Ответить и завершить").click()
    expect(console.locator(".flash")).to_contain_text("Обращение № 1 завершено.")

    page.bring_to_front()
    expect(log.locator(".msg.system").last).to_contain_text("Обращение № 1 завершено.")
    answer = log.locator(".msg.operator").last
    expect(answer).to_contain_text("Проверили ваше обращение.")
    assert _size(answer)[1] > _size(log)[1]  # taller than the log: it cannot be seen whole
    assert answer.evaluate(FIRST_LINE_IN_SIGHT)


def test_a_citizen_reading_earlier_messages_is_left_there_when_an_operator_writes(
    browser: Browser, live_server: LiveServer
) -> None:
    """A desktop's chat: the citizen scrolled up to read what the bot said before. Until the
    night of 2026-12-05 an operator's message pulled the log down to itself (to its end
    before), and the citizen lost their place."""
    from playwright.sync_api import expect

    page = citizen_page(browser, width=1280, height=800)
    page.goto(live_server.url + "/")
    box = open_chat(page)
    log = page.get_by_role("log")
    for question in ("забыл пароль", "как получить выписку из ЭПТС", UNKNOWN):
        box.fill(question)
        page.keyboard.press("Enter")
        expect(page.get_by_role("button", name="Отправить")).to_be_enabled()
    expect(log.locator(".ticket").last).to_contain_text("Номер обращения: 1")
    first = log.locator(".msg.bot").nth(1)
    expect(first).to_contain_text(PASSWORD_ANSWER)
    first.evaluate("msg => msg.scrollIntoView({ block: 'start' })")  # reading it
    assert not log.evaluate(LOG_AT_ITS_END)
    reading = log.evaluate("log => log.scrollTop")

    console = _operator_takes_the_next_ticket(browser, live_server.url)
    console.get_by_label("Ответ гражданину").fill("Оставьте телефон для связи.")
    console.get_by_role("button", name="Отправить ответ").click()
    expect(console.locator(".flash")).to_contain_text("Ответ отправлен")

    page.bring_to_front()
    expect(log.locator(".msg.operator").last).to_contain_text("Оставьте телефон для связи.")
    assert log.evaluate("log => log.scrollTop") == reading
    expect(first.locator(".text")).to_be_in_viewport()


def test_an_operators_reply_that_came_while_the_chat_was_closed_is_in_sight_when_it_opens(
    browser: Browser, live_server: LiveServer
) -> None:
    """The citizen closed the chat to wait; the launcher counted the replies. Until the night
    of 2026-12-05 the chat opened where it was left, the replies below the log's edge."""
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    box = open_chat(page)
    log = page.get_by_role("log")
    for question in ("как получить выписку из ЭПТС", "забыл пароль", UNKNOWN):
        box.fill(question)
        page.keyboard.press("Enter")
        expect(page.get_by_role("button", name="Отправить")).to_be_enabled()
    expect(log.locator(".ticket").last).to_contain_text("Номер обращения: 1")
    page.get_by_role("button", name="Закрыть чат", exact=True).click()

    _operator_takes_and_replies(browser, live_server.url, "Обратитесь в сервисный центр.")
    page.bring_to_front()
    launcher = page.get_by_role("button", name="Открыть чат: Виртуальный консультант (новых")
    expect(launcher.locator(".badge")).to_have_text("2")
    launcher.click()
    reply = log.locator(".msg.operator").last
    expect(reply).to_contain_text("Обратитесь в сервисный центр.")
    expect(reply).to_be_in_viewport(ratio=1)
    expect(log.locator(".msg.system").last).to_be_in_viewport(ratio=1)  # taken: it came first


def test_the_consoles_focus_ring_can_be_seen(browser: Browser, live_server: LiveServer) -> None:
    """Until 2026-12-05 the console's ring was the light #8fb1ff: 2.1:1 on white."""
    console = operator_logs_in(browser, live_server.url)
    button = console.get_by_role("button", name="Взять следующее")
    button.focus()
    console.keyboard.press("Shift+Tab")
    console.keyboard.press("Tab")  # by keyboard: the ring is shown
    colour, style = button.evaluate(
        "b => [getComputedStyle(b).outlineColor, getComputedStyle(b).outlineStyle]"
    )
    assert style == "solid"
    background = console.locator("body").evaluate("b => getComputedStyle(b).backgroundColor")
    for behind in (background, "rgb(255, 255, 255)"):
        assert _contrast(colour, behind) >= 3, (colour, behind)
