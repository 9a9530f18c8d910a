"""The widget and the console in headless Chromium, against the app served by uvicorn."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.bot.core.conftest import PASSWORD
from tests.bot.web.conftest import LiveServer
from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
TIMEOUT_MS = 10_000
# A real picture (1 x 1 pixel): the console shows it in a browser tab.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082"
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, Page

pytestmark = pytest.mark.slow


def _chromium() -> str:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip(
            "Chromium is missing: install it with `apt-get install -y chromium` "
            "(scripts/test.py does it as root)"
        )
    return CHROMIUM if Path(CHROMIUM).exists() else str(shutil.which("chromium"))


def citizen_page(browser: Browser, width: int = 360, height: int = 740, **options: Any) -> Page:
    """A page in a browser context of its own, a phone's size by default: a citizen with an
    empty browser."""
    context = browser.new_context(viewport={"width": width, "height": height}, **options)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def operator_logs_in(browser: Browser, url: str) -> Page:
    """The operator `anna` logs into the console in a browser context of their own."""
    console = browser.new_context().new_page()
    console.set_default_timeout(TIMEOUT_MS)
    console.goto(url + "/console/login")
    console.get_by_label("Логин").fill("anna")
    console.get_by_label("Пароль").fill(PASSWORD)
    console.get_by_role("button", name="Войти").click()
    return console


def _operator_takes_the_next_ticket(browser: Browser, url: str) -> Page:
    """An operator logs into the console and takes ticket 1."""
    from playwright.sync_api import expect

    console = operator_logs_in(browser, url)
    console.get_by_role("button", name="Взять следующее").click()
    expect(console.get_by_role("heading", level=1)).to_contain_text("Обращение № 1")
    return console


def _operator_replies_and_closes(browser: Browser, url: str, text: str) -> None:
    """An operator answers ticket 1 from the console and closes it."""
    from playwright.sync_api import expect

    console = _operator_takes_the_next_ticket(browser, url)
    expect(console.locator("aside")).to_contain_text("+79123456789")
    # The citizen's screenshot opens from the ticket, as the picture it is.
    with console.expect_popup() as popup:
        console.get_by_role("link", name="ошибка.png").click()
    picture = popup.value
    expect(picture.locator("img")).to_be_visible()
    picture.close()
    # An answer from the base, found by words and put after what the operator typed, by
    # keyboard and without reloading the page (a reload would lose the typed text).
    console.get_by_label("Найти ответ в базе знаний").fill("забыл пароль")
    console.keyboard.press("Enter")
    expect(console.locator(".suggestions")).to_contain_text("По запросу «забыл пароль»:")
    reply = console.get_by_label("Ответ гражданину")
    reply.fill(text)
    insert = console.get_by_role("link", name="Вставить в ответ").first
    insert.focus()
    console.keyboard.press("Enter")
    assert console.locator("#reply-entry").input_value() == insert.get_attribute("data-entry")
    expect(reply).to_be_focused()
    typed = reply.input_value()
    assert typed.startswith(text + "\n\nНовый пароль можно задать"), typed
    console.get_by_role("button", name="Отправить ответ").click()
    expect(console.locator(".flash")).to_contain_text("Ответ отправлен")
    console.screenshot(path=str(ARTIFACTS / "console-ticket.png"), full_page=True)
    console.get_by_role("button", name="Завершить без сообщения").click()
    expect(console.locator(".flash")).to_contain_text("Обращение № 1 завершено.")


def _dislike_with_a_comment(page: Page) -> None:
    """👎, then "what was wrong?" by keyboard; the comment goes to the analysts' report."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Ответ не помог").click()
    comment = page.get_by_role("textbox", name="Что было не так?")
    expect(comment).to_be_focused()
    comment.fill("Нет кнопки «Забыли пароль?»")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("log").locator(".msg.system").last).to_have_text(
        "Сообщение" + "Спасибо! Комментарий передан специалистам."
    )
    expect(page.get_by_role("textbox", name="Ваш вопрос")).to_be_focused()
    page.screenshot(path=str(ARTIFACTS / "widget-comment.png"))


def _add_a_screenshot_and_a_phone(page: Page, folder: Path) -> None:
    """After the hand-off, "Прикрепить файл" by keyboard opens the file chooser; the file
    goes to the ticket and the chat says so; then a phone number, typed into the contacts
    form, goes there too."""
    from playwright.sync_api import expect

    screenshot = folder / "ошибка.png"
    screenshot.write_bytes(PNG)
    attach = page.get_by_role("button", name="Прикрепить файл к обращению № 1")
    expect(attach).to_be_visible()  # it appears with the ticket number
    attach.focus()
    expect(attach).to_be_focused()
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(str(screenshot))
    log = page.get_by_role("log")
    expect(log.locator(".msg.system").last).to_contain_text(
        "Файл «ошибка.png» приложен к обращению № 1."
    )
    expect(attach).to_be_focused()

    reach_me = page.get_by_role("button", name="Оставить контакты")
    reach_me.focus()
    page.keyboard.press("Enter")
    field = page.get_by_role("textbox", name="Телефон или e-mail для связи")
    expect(field).to_be_focused()
    field.fill("+7 912 345-67-89")
    page.keyboard.press("Enter")
    expect(log.locator(".msg.system").last).to_contain_text("Контакты добавлены к обращению № 1")
    expect(reach_me).to_be_focused()


def _rate_the_closed_ticket(page: Page) -> None:
    """Closed: nothing more to attach; under the closing message, 1-5 buttons: one pressed
    by keyboard rates the ticket and stays pressed; a digit typed in reply rates it too (the
    latest counts) and opens no new ticket."""
    from playwright.sync_api import expect

    log = page.get_by_role("log")
    expect(log).to_contain_text("Обращение № 1 завершено.")
    expect(page.get_by_role("button", name="Прикрепить файл")).to_be_hidden()
    marks = page.get_by_role("group", name="Оцените ответ по обращению № 1")
    expect(marks.get_by_role("button")).to_have_count(5)
    four = marks.get_by_role("button", name="Оценка 4 из 5")
    four.focus()
    page.keyboard.press("Enter")
    expect(log.locator(".msg.system").last).to_contain_text(
        "Спасибо за оценку 4 из 5 обращению № 1!"
    )
    expect(four).to_have_attribute("aria-pressed", "true")
    page.screenshot(path=str(ARTIFACTS / "widget-rated.png"))
    box = page.get_by_role("textbox", name="Ваш вопрос")
    box.fill("5")
    page.keyboard.press("Enter")
    expect(log.locator(".msg.system").last).to_contain_text(
        "Спасибо за оценку 5 из 5 обращению № 1!"
    )
    # The typed mark shows on the buttons as a press would: 5 pressed, 4 no longer.
    expect(marks.get_by_role("button", name="Оценка 5 из 5")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(four).to_have_attribute("aria-pressed", "false")


def _reopen_and_see_the_history(page: Page) -> None:
    """A widget opened again shows the operator's words and the ticket's news in their
    place, the clarification's candidates as buttons, and the mark buttons back under the
    closing message."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Открыть чат: Виртуальный консультант").click()
    log = page.get_by_role("log")
    expect(log).to_contain_text("Обратитесь в сервисный центр.")
    offered = log.get_by_role("group", name="Варианты ответа").first
    expect(
        offered.get_by_role("button", name="Какие статусы есть у заявлений на Госуслугах?")
    ).to_be_visible()
    closing = log.locator(".msg.system", has_text="Обращение № 1 завершено.")
    # What the citizen added to the ticket is there too, where it happened.
    expect(log).to_contain_text("📎 ошибка.png")
    expect(log).to_contain_text("Файл «ошибка.png» приложен к обращению № 1.")
    expect(log).to_contain_text("Контакты добавлены к обращению № 1")
    # The mark given last (typed: 5) is the pressed one, as before the reload.
    expect(closing.get_by_role("button", name="Оценка 5 из 5")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(closing.locator('button[aria-pressed="true"]')).to_have_count(1)
    # Opened at the end of the conversation, the buttons put back included.
    below = log.evaluate("e => e.scrollHeight - e.scrollTop - e.clientHeight")
    assert below <= 2, f"the chat opened {below} px above its last message"
    expect(log.locator(".msg.system", has_text="Специалист взял обращение № 1")).to_have_count(1)
    # An earlier answer from the base keeps its tools, and can still be rated.
    answer = log.locator(".msg.bot", has_text="Новый пароль").first
    expect(answer.get_by_role("button", name="Копировать ответ")).to_be_visible()
    answer.get_by_role("button", name="Ответ помог").click()
    expect(log.locator(".msg.system").last).to_contain_text("Спасибо за оценку!")


def _pick_a_clarification(page: Page) -> None:
    """A one-word question gets the 2-3 close entries as buttons, under the prompt alone
    (no second listing of them as text); one is picked by keyboard and answered."""
    from playwright.sync_api import expect

    box = page.get_by_role("textbox", name="Ваш вопрос")
    box.fill("статус")
    page.keyboard.press("Enter")
    offered = page.get_by_role("group", name="Варианты ответа").last
    buttons = offered.get_by_role("button")
    expect(buttons.first).to_be_visible()
    assert 2 <= buttons.count() <= 3, buttons.all_inner_texts()
    question = page.get_by_role("log").locator(".msg.bot").last
    expect(question.locator(".text")).to_have_text("Уточните, пожалуйста, что вы имели в виду:")
    page.screenshot(path=str(ARTIFACTS / "widget-clarify.png"))
    choice = offered.get_by_role("button", name="Какие статусы есть у заявлений на Госуслугах?")
    choice.focus()
    page.keyboard.press("Enter")
    log = page.get_by_role("log")
    expect(log.locator(".msg.citizen").last).to_have_text(
        "Какие статусы есть у заявлений на Госуслугах?"
    )
    expect(log.locator(".msg.bot").last).to_contain_text("«В работе» — заявление рассматривается.")


def test_a_citizen_gets_an_answer_and_an_operators_reply_live(
    live_server: LiveServer, tmp_path: Path
) -> None:
    executable = _chromium()
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            page = citizen_page(browser)
            dialogs: list[str] = []

            def on_dialog(dialog: Dialog) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", on_dialog)
            # Playwright starts catching file choosers when a listener is first added. Added
            # only around the key press, it missed the chooser in 2 of 12 tries (the button's
            # click handler ran every time); added here, well before, in none of 24.
            page.on("filechooser", lambda _chooser: None)
            page.goto(live_server.url + "/")
            launcher = page.get_by_role("button", name="Открыть чат: Виртуальный консультант")
            launcher.focus()
            page.keyboard.press("Enter")
            box = page.get_by_role("textbox", name="Ваш вопрос")
            expect(box).to_be_focused()
            box.fill("забыл пароль")
            page.keyboard.press("Enter")
            log = page.get_by_role("log")
            expect(log).to_contain_text("Новый пароль")
            expect(page.get_by_role("button", name="Копировать ответ")).to_be_visible()
            _dislike_with_a_comment(page)
            _pick_a_clarification(page)

            box.fill("<script>alert(1)</script>")
            page.keyboard.press("Enter")
            expect(log.locator(".msg.citizen").last).to_have_text("<script>alert(1)</script>")
            # Its answer first (the meaning's stage is asked about it): a call for a person
            # pressed while a question is on its way waits for that answer, as a citizen would.
            expect(log.locator(".msg.bot").last).to_contain_text("Номер обращения — 1")

            box.fill("сломался карбюратор у трактора")
            page.get_by_role("button", name="Позвать оператора").click()
            # The <script> question went to people as ticket 1 already: this one joins it.
            expect(log.locator(".msg.system").last).to_have_text(
                "Сообщение" + "Добавили ваше сообщение к обращению № 1." + "Номер обращения: 1"
            )
            page.screenshot(path=str(ARTIFACTS / "widget-handoff.png"))
            _add_a_screenshot_and_a_phone(page, tmp_path)

            _operator_replies_and_closes(browser, live_server.url, "Обратитесь в сервисный центр.")

            expect(log).to_contain_text("Обратитесь в сервисный центр.")
            page.screenshot(path=str(ARTIFACTS / "widget-operator-reply.png"))
            _rate_the_closed_ticket(page)

            page.keyboard.press("Escape")
            expect(launcher).to_be_focused()
            page.reload()
            _reopen_and_see_the_history(page)
            assert dialogs == []
        finally:
            browser.close()


def _operator_takes_and_replies(browser: Browser, url: str, text: str) -> None:
    """An operator answers ticket 1 from the console."""
    from playwright.sync_api import expect

    console = _operator_takes_the_next_ticket(browser, url)
    console.get_by_label("Ответ гражданину").fill(text)
    console.get_by_role("button", name="Отправить ответ").click()
    expect(console.locator(".flash")).to_contain_text("Ответ отправлен")


def test_replies_to_a_closed_chat_are_counted_on_the_launcher(live_server: LiveServer) -> None:
    """The citizen handed a question to people, closed the chat and went on to another page
    of the site: the launcher counts what came since, and says so to a screen reader; opened,
    the chat shows it all and the count goes."""
    executable = _chromium()
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            page = citizen_page(browser)
            page.goto(live_server.url + "/")
            name = "Открыть чат: Виртуальный консультант"
            page.get_by_role("button", name=name).click()
            page.get_by_role("textbox", name="Ваш вопрос").fill("сломался карбюратор у трактора")
            page.get_by_role("button", name="Позвать оператора").click()
            expect(page.get_by_role("log")).to_contain_text("Номер обращения: 1")
            page.keyboard.press("Escape")
            page.reload()

            _operator_takes_and_replies(browser, live_server.url, "Обратитесь в сервисный центр.")

            waiting = page.get_by_role("button", name=name + " (новых сообщений: 2)")
            expect(waiting).to_be_visible()
            expect(waiting.locator(".badge")).to_have_text("2")
            expect(page.get_by_role("status").filter(has_text="Новое сообщение")).to_have_count(1)
            page.screenshot(path=str(ARTIFACTS / "widget-unread.png"))
            waiting.click()
            log = page.get_by_role("log")
            expect(log).to_contain_text("Специалист взял обращение № 1 в работу.")
            expect(log).to_contain_text("Обратитесь в сервисный центр.")
            page.keyboard.press("Escape")
            expect(page.get_by_role("button", name=name, exact=True)).to_be_focused()
            page.reload()  # seen: nothing is counted again on the next page
            expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
            expect(page.locator(".badge")).to_be_hidden()
        finally:
            browser.close()
