"""What the widget says while it is busy, and a chat loaded anew looking as it did live, in
headless Chromium against the app on uvicorn (the defects listed in the README until
2026-12-05: Enter that did nothing, a comment box that took Enter as a new line, the history
«typed» by the consultant, and a reload or another tab showing a conversation otherwise)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.bot.web.conftest import LiveServer
from tests.bot.web.test_widget_browser import (
    _operator_takes_and_replies,
    _operator_takes_the_next_ticket,
    citizen_page,
)
from tests.bot.web.test_widget_details_browser import (
    LAUNCHER,
    PASSWORD_ANSWER,
    TYPING,
    UNKNOWN,
    _open_and_ask,
    open_chat,
)
from tests.bot.web.test_widget_walkthrough_browser import _read_out
from tests.bot.web.waiting import wait_until

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, Route

pytestmark = pytest.mark.slow

WAIT_HINT = "Подождите, ответ на предыдущее сообщение ещё не пришёл."
LOADING = "Загружаем историю…"
STATUSES = "Какие статусы есть у заявлений на Госуслугах?"


def _hold(page: Page, url: str) -> list[Route]:
    """Requests to `url` held until the test lets each go (`continue_`)."""
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route(url, hold)
    return held


def test_enter_while_an_answer_is_on_its_way_says_to_wait_and_keeps_the_text(
    browser: Browser, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = citizen_page(browser)
    held = _hold(page, live_server.url + "/api/v1/ask")
    page.goto(live_server.url + "/")
    log = _open_and_ask(page, "забыл пароль")
    expect(page.get_by_role("status").filter(has_text=TYPING)).to_be_visible()
    page.get_by_role("button", name="Позвать оператора").click()
    expect(page.get_by_role("status").filter(has_text=WAIT_HINT)).to_contain_text(
        "Нажмите «Позвать оператора» ещё раз, когда придёт ответ."
    )
    box = page.get_by_role("textbox", name="Ваш вопрос")
    box.fill("как получить выписку из ЭПТС")
    page.keyboard.press("Enter")
    hint = page.get_by_role("status").filter(has_text=WAIT_HINT)
    expect(hint).to_be_visible()  # a status: read out as well as shown
    expect(hint).to_contain_text("Текст остался в поле ввода: отправьте его, когда придёт ответ.")
    expect(box).to_have_value("как получить выписку из ЭПТС")
    expect(box).to_be_focused()
    expect(log.locator(".msg.citizen")).to_have_text(["забыл пароль"])
    # The route's handler runs when Playwright next hears from the browser (`wait_until`).
    wait_until(page, lambda: bool(held), "the first question reaches the held route")
    assert len(held) == 1, "the second question went while the first was unanswered"

    held[0].continue_()
    page.unroute(live_server.url + "/api/v1/ask")
    expect(log.locator(".msg.bot").last).to_contain_text(PASSWORD_ANSWER)
    expect(hint).to_have_count(0)  # answered: the hint goes by itself
    page.keyboard.press("Enter")
    expect(log.locator(".msg.citizen")).to_have_text(
        ["забыл пароль", "как получить выписку из ЭПТС"]
    )
    expect(log.locator(".msg.bot").last).to_contain_text("выписк")


def test_enter_sends_the_comment_after_a_thumbs_down_and_shift_enter_adds_a_line(
    browser: Browser, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    log = _open_and_ask(page, "забыл пароль")
    expect(log.locator(".msg.bot").last).to_contain_text(PASSWORD_ANSWER)
    page.get_by_role("button", name="Ответ не помог").click()
    comment = page.get_by_role("textbox", name="Что было не так?")
    expect(comment).to_be_focused()
    page.keyboard.type("Нет кнопки «Забыли пароль?»")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("на телефоне")
    expect(comment).to_have_value("Нет кнопки «Забыли пароль?»\nна телефоне")
    page.keyboard.press("Enter")
    expect(log.locator(".msg.system").last).to_have_text(
        "Сообщение" + "Спасибо! Комментарий передан специалистам."
    )
    expect(comment).to_have_count(0)
    expect(page.get_by_role("textbox", name="Ваш вопрос")).to_be_focused()


def test_a_reopened_chat_says_its_history_is_loading_not_that_the_consultant_types(
    browser: Browser, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    log = _open_and_ask(page, "забыл пароль")
    expect(log.locator(".msg.bot").last).to_contain_text(PASSWORD_ANSWER)
    held = _hold(page, live_server.url + "/api/v1/history?*")
    page.reload()
    box = open_chat(page)
    expect(page.get_by_role("status").filter(has_text=LOADING)).to_be_visible()
    expect(page.get_by_text(TYPING)).to_have_count(0)
    # A question sent meanwhile waits, and says so in the history's words.
    box.fill("как получить выписку из ЭПТС")
    page.keyboard.press("Enter")
    waiting = page.get_by_role("status").filter(has_text="загружаем историю переписки")
    expect(waiting).to_be_visible()
    wait_until(page, lambda: bool(held), "the history's request reaches the held route")
    held[0].continue_()
    page.unroute(live_server.url + "/api/v1/history?*")
    expect(log.locator(".msg.citizen")).to_have_text(["забыл пароль"])
    expect(page.get_by_text(LOADING)).to_be_hidden()
    # The indicator is the consultant's again for the next question.
    held_ask = _hold(page, live_server.url + "/api/v1/ask")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text=TYPING)).to_be_visible()
    held_ask[0].continue_()
    page.unroute(live_server.url + "/api/v1/ask")
    expect(log.locator(".msg.bot").last).to_contain_text("выписк")


def test_a_tab_away_for_long_hears_how_many_messages_came_and_the_last_one(
    browser: Browser, live_server: LiveServer
) -> None:
    """The chat opened again after another tab asked four questions: eight new messages."""
    from playwright.sync_api import expect

    away = citizen_page(browser)
    away.goto(live_server.url + "/")
    log = _open_and_ask(away, "забыл пароль")
    expect(log.locator(".msg.bot").last).to_contain_text(PASSWORD_ANSWER)
    away.keyboard.press("Escape")
    other = away.context.new_page()
    other.goto(live_server.url + "/")
    other.get_by_role("button", name=LAUNCHER).click()
    asked = other.get_by_role("log").locator(".msg.citizen")
    expect(asked).to_have_text(["забыл пароль"])
    for number in range(1, 5):
        other.get_by_role("textbox", name="Ваш вопрос").fill(f"Вопрос {number}: забыл пароль")
        other.keyboard.press("Enter")
        expect(asked).to_have_count(number + 1)
        expect(other.get_by_role("button", name="Отправить")).to_be_enabled()

    away.bring_to_front()
    away.get_by_role("button", name=LAUNCHER).click()
    expect(log.locator(".msg.citizen")).to_have_count(5)
    last = log.locator(".msg.bot .text").last.inner_text()
    read_out = _read_out(away)
    assert "Новых сообщений: 8. Последнее: Консультант: " + last in read_out, read_out
    assert "Вопрос 3" not in read_out, read_out  # not each of them

    # A few new ones are still read out one by one.
    away.keyboard.press("Escape")
    other.bring_to_front()
    other.get_by_role("textbox", name="Ваш вопрос").fill("Вопрос 5: забыл пароль")
    other.keyboard.press("Enter")
    expect(asked).to_have_count(6)
    away.bring_to_front()
    away.get_by_role("button", name=LAUNCHER).click()
    expect(log.locator(".msg.citizen")).to_have_count(6)
    assert "Вы написали: Вопрос 5: забыл пароль" in _read_out(away), _read_out(away)


def _messages(log: Locator) -> list[str]:
    """The chat's messages as the citizen reads them, the greeting and earlier ones aside
    (from the first of the citizen's own)."""
    texts = [m.inner_text() for m in log.locator(".msg").all()]
    return texts[1:]


def _reloaded(page: Page) -> Locator:
    """The page loaded anew and the chat opened: its log, once the history is in."""
    from playwright.sync_api import expect

    page.reload()
    open_chat(page)
    log = page.get_by_role("log")
    expect(page.get_by_role("button", name="Отправить")).to_be_enabled()
    return log


def test_a_handed_off_question_shows_its_ticket_number_after_a_reload_as_it_did_live(
    browser: Browser, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    log = _open_and_ask(page, UNKNOWN)
    handed = log.locator(".msg.bot").last
    expect(handed.locator(".ticket")).to_contain_text("Номер обращения: 1 · ответим до")
    live = handed.inner_text()
    # What is said to the ticket after it names it too.
    page.get_by_role("textbox", name="Ваш вопрос").fill("фото приложу позже")
    page.keyboard.press("Enter")
    expect(log.locator(".msg.system").last).to_contain_text("Добавили ваше сообщение")
    expect(log.locator(".msg .ticket")).to_have_count(2)
    all_live = _messages(log)
    _reloaded(page)
    again = log.locator(".msg.bot").last
    expect(again.locator(".ticket")).to_contain_text("Номер обращения: 1 · ответим до")
    assert again.inner_text() == live
    assert _messages(log) == all_live


def test_an_operators_reply_reads_the_same_after_a_reload(
    browser: Browser, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    log = _open_and_ask(page, UNKNOWN)
    expect(log.locator(".ticket")).to_contain_text("Номер обращения: 1")
    _operator_takes_and_replies(browser, live_server.url, "Обратитесь в сервисный центр.")
    said = log.locator(".msg.operator").last
    expect(said).to_have_text(
        "Специалист" + "Ответ по обращению № 1: Обратитесь в сервисный центр."
    )
    live = _messages(log)
    _reloaded(page)
    expect(log.locator(".msg.operator").last).to_have_text(
        "Специалист" + "Ответ по обращению № 1: Обратитесь в сервисный центр."
    )
    assert _messages(log) == live


def _operator_closes_ticket_1(browser: Browser, url: str) -> None:
    """An operator takes ticket 1, answers it and closes it from the console."""
    from playwright.sync_api import expect

    console = _operator_takes_the_next_ticket(browser, url)
    console.get_by_label("Ответ гражданину").fill("Обратитесь в сервисный центр.")
    console.get_by_role("button", name="Отправить ответ").click()
    expect(console.locator(".flash")).to_contain_text("Ответ отправлен")
    console.get_by_role("button", name="Завершить без сообщения").click()
    expect(console.locator(".flash")).to_contain_text("Обращение № 1 завершено.")


def test_a_star_rating_looks_after_a_reload_as_it_did_live_and_another_tab_does_not_read_it(
    browser: Browser, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = citizen_page(browser, width=1000, height=800)
    page.goto(live_server.url + "/")
    log = _open_and_ask(page, UNKNOWN)
    expect(log.locator(".ticket")).to_contain_text("Номер обращения: 1")
    other = page.context.new_page()
    other.goto(live_server.url + "/")
    open_chat(other)
    other_log = other.get_by_role("log")
    expect(other_log.locator(".msg.citizen")).to_have_text([UNKNOWN])

    page.bring_to_front()
    _operator_closes_ticket_1(browser, live_server.url)
    marks = page.get_by_role("group", name="Оцените ответ по обращению № 1")
    marks.get_by_role("button", name="Оценка 4 из 5").click()
    thanks = "Спасибо за оценку 4 из 5 обращению № 1!"
    expect(log.locator(".msg.system").last).to_contain_text(thanks)
    expect(log.locator(".msg.citizen")).to_have_text([UNKNOWN])  # the press is no message
    live = _messages(log)

    other.bring_to_front()
    expect(other_log.locator(".msg").last).to_contain_text(thanks)
    expect(other_log.locator(".msg.citizen")).to_have_text([UNKNOWN])
    read_out = _read_out(other)
    assert "Оценка 4 из 5" not in read_out, read_out
    assert "Сообщение: " + thanks in read_out, read_out

    page.bring_to_front()
    _reloaded(page)
    expect(log.locator(".msg.system").last).to_contain_text(thanks)
    assert _messages(log) == live
    expect(marks.get_by_role("button", name="Оценка 4 из 5")).to_have_attribute(
        "aria-pressed", "true"
    )


def test_a_clarification_stays_pressable_after_a_question_without_words_and_a_reload(
    browser: Browser, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    log = _open_and_ask(page, "статус")
    offered = log.get_by_role("group", name="Варианты ответа")
    choice = offered.get_by_role("button", name=STATUSES)
    expect(choice).to_be_enabled()
    page.get_by_role("textbox", name="Ваш вопрос").fill("???")
    page.keyboard.press("Enter")
    expect(log.locator(".msg.system").last).to_contain_text("напишите его словами")
    expect(choice).to_be_enabled()
    live = _messages(log)

    _reloaded(page)
    expect(log.locator(".msg.system").last).to_contain_text("напишите его словами")
    expect(choice).to_be_enabled()
    assert _messages(log) == live
    choice.click()
    expect(log.locator(".msg.bot").last).to_contain_text("«В работе» — заявление рассматривается.")


def test_a_typed_mark_phrase_stays_the_citizens_message_after_a_reload(
    browser: Browser, live_server: LiveServer
) -> None:
    """«Оценка 5 из 5» typed, not pressed (no ticket to rate): a question like any other,
    shown after a reload as it was when typed (it vanished, taken for a button's press)."""
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    log = _open_and_ask(page, "Оценка 5 из 5")
    expect(log.locator(".msg").last).not_to_have_class("msg citizen")
    expect(page.get_by_role("button", name="Отправить")).to_be_enabled()
    live = _messages(log)
    _reloaded(page)
    expect(log.locator(".msg.citizen")).to_have_text(["Оценка 5 из 5"])
    assert _messages(log) == live


def test_a_message_to_the_operator_is_not_read_out_again_when_another_tab_writes(
    browser: Browser, live_server: LiveServer
) -> None:
    """An operator holds the chat: the citizen's message goes to the ticket and the bot says
    nothing after it. Until 2026-12-05 the tab knew it in the chat loaded anew by its text
    alone, and a phone number the service keeps masked reads otherwise there: when another
    tab wrote, «Вы написали: мой телефон [телефон]» was read out once more."""
    from playwright.sync_api import expect

    first = citizen_page(browser, width=1000, height=800)
    first.goto(live_server.url + "/")
    log = _open_and_ask(first, UNKNOWN)
    expect(log.locator(".ticket")).to_contain_text("Номер обращения: 1")
    second = first.context.new_page()
    second.goto(live_server.url + "/")
    open_chat(second)
    expect(second.get_by_role("log").locator(".msg.citizen")).to_have_text([UNKNOWN])
    first.bring_to_front()
    _operator_takes_and_replies(browser, live_server.url, "Оставьте телефон для связи.")
    expect(log.locator(".msg.operator").last).to_contain_text("Оставьте телефон для связи.")
    first.get_by_role("textbox", name="Ваш вопрос").fill("мой телефон +7 912 345-67-89")
    first.keyboard.press("Enter")
    expect(first.get_by_role("button", name="Отправить")).to_be_enabled()

    second.bring_to_front()
    # Shown anew with the first tab's message (Enter while it loads only says to wait).
    expect(second.get_by_role("log").locator(".msg.citizen")).to_have_text(
        [UNKNOWN, "мой телефон [телефон]"]
    )
    second.get_by_role("textbox", name="Ваш вопрос").fill("жду звонка")
    second.keyboard.press("Enter")
    expect(second.get_by_role("button", name="Отправить")).to_be_enabled()
    first.bring_to_front()
    expect(log.locator(".msg.citizen")).to_have_text(
        [UNKNOWN, "мой телефон [телефон]", "жду звонка"]
    )
    read_out = _read_out(first)
    assert "Вы написали: жду звонка" in read_out, read_out
    assert "мой телефон" not in read_out, read_out  # written here: not read out, then or now


def test_a_call_for_a_person_the_ticket_already_has_looks_the_same_after_a_reload(
    browser: Browser, live_server: LiveServer
) -> None:
    """«Позвать оператора» with an empty box while specialists have the ticket: the chat
    shows the call and where the ticket stands. Until 2026-12-05 the service kept only the
    second, and a reload dropped the «Позовите специалиста» bubble."""
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    log = _open_and_ask(page, UNKNOWN)
    expect(log.locator(".ticket")).to_contain_text("Номер обращения: 1")
    page.get_by_role("button", name="Позвать оператора").click()
    expect(log.locator(".msg.system").last).to_contain_text("Ваш вопрос уже у специалистов.")
    expect(log.locator(".msg.citizen")).to_have_text([UNKNOWN, "Позовите специалиста"])
    live = _messages(log)
    _reloaded(page)
    expect(log.locator(".msg.citizen")).to_have_text([UNKNOWN, "Позовите специалиста"])
    assert _messages(log) == live


def test_a_code_sent_without_words_is_not_read_out_again_when_another_tab_asks(
    browser: Browser, live_server: LiveServer
) -> None:
    """An SMS code sent alone: the bot asks for words, and the service keeps the code as
    «[код]». Until 2026-12-05 the tab knew its own message in the chat loaded anew by its
    text alone: when another tab asked, «Вы написали: [код]» was read out."""
    from playwright.sync_api import expect

    first = citizen_page(browser, width=1000, height=800)
    first.goto(live_server.url + "/")
    log = _open_and_ask(first, "12345")
    expect(log.locator(".msg.system").last).to_contain_text("напишите его словами")
    second = first.context.new_page()
    second.goto(live_server.url + "/")
    open_chat(second)
    # The other tab's conversation shown: Enter pressed while it loads only says to wait.
    expect(second.get_by_role("log").locator(".msg.citizen")).to_have_text(["[код]"])
    second.get_by_role("textbox", name="Ваш вопрос").fill("забыл пароль")
    second.keyboard.press("Enter")
    expect(second.get_by_role("log").locator(".msg.bot").last).to_contain_text(PASSWORD_ANSWER)

    first.bring_to_front()
    expect(log.locator(".msg.citizen")).to_have_text(["[код]", "забыл пароль"])
    read_out = _read_out(first)
    assert "Вы написали: забыл пароль" in read_out, read_out
    assert "[код]" not in read_out, read_out
    assert read_out.count("напишите его словами") == 1, read_out  # when it came
