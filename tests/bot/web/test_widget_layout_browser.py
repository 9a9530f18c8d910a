"""Sizes a citizen and an operator see, in headless Chromium against the app on uvicorn: a
desktop's short window keeps the chat's panel, a phone's buttons are big enough for a finger,
a long answer on a phone with its keyboard out is read from its beginning, and the console's
focus ring can be seen."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.bot.web.conftest import LiveServer
from tests.bot.web.test_widget_browser import citizen_page, operator_logs_in
from tests.bot.web.test_widget_details_browser import PASSWORD_ANSWER, open_chat
from tests.bot.web.test_widget_walkthrough_browser import FIRST_LINE_IN_SIGHT, _contrast

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator

pytestmark = pytest.mark.slow

FINGER_PX = 44
# Whether the chat's log is scrolled to its very end.
LOG_AT_ITS_END = "log => log.scrollHeight - log.scrollTop - log.clientHeight < 1"


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
