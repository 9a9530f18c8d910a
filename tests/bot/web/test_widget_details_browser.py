"""The widget's details a citizen notices, in headless Chromium against the app on uvicorn:
the site's options, a hostile site's styles, a phone's width, the typing indicator, links,
copying, the keyboard alone, the hand-off's promise and 👍."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import httpx
import pytest

from bot.core.ratings import THUMB_UP, Ratings
from bot.core.records import RatingScale
from bot.core.workhours import WorkCalendar
from bot.storage.database import open_database
from bot.web.settings import WebSettings
from tests.bot.web.conftest import LiveServer
from tests.bot.web.test_linking_browser import _run
from tests.bot.web.test_widget_browser import (
    ARTIFACTS,
    _operator_takes_and_replies,
    citizen_page,
)
from tests.bot.web.waiting import wait_until

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, Route

pytestmark = pytest.mark.slow

LAUNCHER = "Открыть чат: Виртуальный консультант"
UNKNOWN = "сломался карбюратор у трактора"
PASSWORD_ANSWER = "Новый пароль можно задать самостоятельно"
TYPING = "Консультант печатает…"
EXTRACT_QUESTION = "как получить выписку из ЭПТС"
SUPPORT_PORTAL = "https://help.elpts.ru/ru"
SCRIPT_URL = "javascript:alert(document.cookie)"
PANEL_TEXT = "rgb(29, 39, 51)"  # #1d2733, the widget's own text colour
DEFAULT_COLOR = "rgb(13, 76, 211)"  # #0d4cd3
OFFLINE = "Не удалось связаться с сервером. Проверьте подключение к интернету"


def open_chat(page: Page) -> Locator:
    """Open the chat; the question box."""
    from playwright.sync_api import expect

    page.get_by_role("button", name=LAUNCHER).click()
    box = page.get_by_role("textbox", name="Ваш вопрос")
    expect(box).to_be_focused()
    return box


Box = tuple[float, float, float, float]  # left, top, right, bottom on the screen


@dataclass(frozen=True)
class Site:
    """A citizen-facing site on an origin of its own that embeds the widget from the app's
    origin, as a region's portal would; `pages` maps a path to the HTML served there."""

    url: str
    pages: dict[str, bytes]

    def embedding(self, server: LiveServer, *, style: str = "", **options: str) -> str:
        """A page with the site's own `style` and the widget's one script tag with `options`
        as its data- attributes; its address."""
        attributes = "".join(
            f' data-{name}="{html.escape(value)}"' for name, value in options.items()
        )
        path = f"/page-{len(self.pages)}.html"
        self.pages[path] = (
            '<!doctype html><html lang="ru"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Портал услуг Пермского края</title><style>{style}</style></head><body>"
            "<h1>Портал услуг Пермского края</h1><p>Запись в МФЦ, справки, выписки.</p>"
            f'<script src="{server.url}/widget.js" defer{attributes}></script></body></html>'
        ).encode()
        return self.url + path


@pytest.fixture
def site() -> Iterator[Site]:
    """The embedding site, served on loopback (a page the browser got from elsewhere may not
    call a loopback address: Chromium's local network access rules)."""
    pages: dict[str, bytes] = {}

    class Pages(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, format: str, *args: object) -> None:
            pass  # a request log would only clutter the test output

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    thread = threading.Thread(target=server.serve_forever, name="test-site", daemon=True)
    thread.start()
    yield Site(url=f"http://127.0.0.1:{server.server_port}", pages=pages)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def web_settings(web_settings: WebSettings, site: Site) -> WebSettings:
    """The test server, with the embedding site among the origins allowed to call the API."""
    return replace(web_settings, allowed_origins=(site.url,))


def _open_and_ask(page: Page, question: str, launcher: str = LAUNCHER) -> Locator:
    """Open the chat, ask `question` by Enter; the log."""
    from playwright.sync_api import expect

    page.get_by_role("button", name=launcher).click()
    box = page.get_by_role("textbox", name="Ваш вопрос")
    expect(box).to_be_focused()
    box.fill(question)
    page.keyboard.press("Enter")
    return page.get_by_role("log")


def _style(locator: Locator, name: str) -> str:
    """The computed value of the CSS property `name` (in camelCase) of the element."""
    return str(locator.evaluate("(node, name) => getComputedStyle(node)[name]", name))


def _box(locator: Locator) -> Box:
    """Left, top, right, bottom of the element on the screen."""
    box = locator.bounding_box()
    assert box is not None, "the element is not on the screen"
    return box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"]


def _inside(inner: Box, outer: Box) -> bool:
    """Whether the box `inner` lies within the box `outer` (both as `_box` gives them)."""
    return (
        inner[0] >= outer[0]
        and inner[1] >= outer[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )


def test_the_sites_title_greeting_colour_and_side_are_used(
    browser: Browser, live_server: LiveServer, site: Site
) -> None:
    from playwright.sync_api import expect

    page = citizen_page(browser, 1280, 800)
    page.goto(
        site.embedding(
            live_server,
            title="Помощник МФЦ",
            greeting="Добрый день! Спросите о записи в МФЦ.",
            color="#1b7f3a",
            position="left",
        )
    )
    green = "rgb(27, 127, 58)"
    launcher = page.get_by_role("button", name="Открыть чат: Помощник МФЦ")
    assert _style(launcher, "backgroundColor") == green
    left, _, _, bottom = _box(launcher)
    assert (left, bottom) == (20, 780), "the launcher sits 20 px from the bottom-left corner"
    log = _open_and_ask(page, "забыл пароль", launcher="Открыть чат: Помощник МФЦ")
    dialog = page.get_by_role("dialog", name="Помощник МФЦ")
    expect(dialog.get_by_role("heading", level=2)).to_have_text("Помощник МФЦ")
    assert _style(dialog.locator(".head"), "backgroundColor") == green
    assert _box(dialog)[0] == 20, "the chat opens on the left too"
    expect(log.locator(".msg.bot").first).to_have_text(
        "Консультант" + "Добрый день! Спросите о записи в МФЦ."
    )
    # The API answers the other origin: the site is among the allowed ones.
    expect(log.locator(".msg.bot").last).to_contain_text(PASSWORD_ANSWER)
    assert _style(log.locator(".msg.citizen"), "backgroundColor") == green
    page.screenshot(path=str(ARTIFACTS / "widget-site-options.png"))


# What careless or hostile sites put in their style sheets; none of it may reach the chat.
# The widget's element is an empty <div> at the end of <body>.
HOSTILE_CSS = """
* { color: red !important; font-size: 40px !important; line-height: 3 !important;
    letter-spacing: 6px !important; text-transform: uppercase !important;
    font-family: "Comic Sans MS", cursive !important; display: inline !important; }
head, style, script { display: none !important; }
button, textarea, input { display: none !important; }
[hidden] { display: block !important; }
div:empty { display: none !important; }
div { position: static !important; opacity: .4 !important; }
body > div { visibility: hidden; }
"""


def test_a_sites_hostile_styles_do_not_reach_the_widget(
    browser: Browser, live_server: LiveServer, site: Site
) -> None:
    from playwright.sync_api import expect

    page = citizen_page(browser, 1280, 800)
    page.goto(site.embedding(live_server, style=HOSTILE_CSS))
    launcher = page.get_by_role("button", name=LAUNCHER)
    expect(launcher).to_be_visible()
    assert _box(launcher)[2:] == (1260, 780), "the launcher stays in the bottom-right corner"
    assert _style(launcher, "backgroundColor") == DEFAULT_COLOR
    log = _open_and_ask(page, "забыл пароль")
    answer = log.locator(".msg.bot").last
    expect(answer).to_contain_text(PASSWORD_ANSWER)
    text = answer.locator(".text")
    looks = {
        name: _style(text, name)
        for name in ("color", "fontSize", "textTransform", "letterSpacing", "opacity")
    }
    assert looks == {
        "color": PANEL_TEXT,
        "fontSize": "15px",
        "textTransform": "none",
        "letterSpacing": "normal",
        "opacity": "1",
    }
    host_opacity = page.locator("div[data-faqbot]").evaluate("n => getComputedStyle(n).opacity")
    assert host_opacity == "1", "the site's `div { opacity }` dims the whole chat"
    expect(page.get_by_role("button", name="Позвать оператора")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "widget-hostile-site.png"))


LONG_URL = (
    "https://help.elpts.ru/ru/requests/new?category=epts&subject="
    "vypiska_iz_elektronnogo_pasporta_transportnogo_sredstva_dlya_prodazhi_avtomobilya"
)
LONG_WORD = "Электронногопаспортатранспортногосредствавыпискаобэптснеполучается"


def test_the_chat_is_readable_on_a_320_px_phone(browser: Browser, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    page = citizen_page(browser, 320, 640)
    page.goto(live_server.url + "/")
    page.get_by_role("button", name=LAUNCHER).click()
    dialog = page.get_by_role("dialog", name="Виртуальный консультант")
    box = page.get_by_role("textbox", name="Ваш вопрос")
    send = page.get_by_role("button", name="Отправить")
    box.fill(EXTRACT_QUESTION)
    send.click()  # the button itself, not Enter: it must be there to press
    log = page.get_by_role("log")
    expect(log.locator(".msg.bot").last).to_contain_text("https://help.elpts.ru/ru")
    box.fill(f"Не открывается {LONG_URL} пишет {LONG_WORD}")
    send.click()
    # Its reply, whichever the matcher gives (a choice of ЭПТС entries since the phrasings'
    # meaning of 2026-12-06, a hand-off before): the layout is what is checked here.
    expect(log.locator(".msg.bot")).to_have_count(3)  # the greeting, the answer, this reply

    panel = _box(dialog)
    assert _inside(panel, (0, 0, 320, 640)), f"the chat does not fit the screen: {panel}"
    for control in (
        box,
        send,
        page.get_by_role("button", name="Позвать оператора"),
        page.get_by_role("button", name="Связать с Telegram"),
        page.get_by_role("button", name="Закрыть чат", exact=True),
    ):
        expect(control).to_be_visible()
        assert _inside(_box(control), panel), control
    widths = log.evaluate("log => [log.scrollWidth, log.clientWidth]")
    assert widths[0] <= widths[1], f"the log scrolls sideways: {widths}"
    link = log.locator(".msg.citizen a").first
    expect(link).to_have_attribute("href", LONG_URL)
    assert _box(link)[2] <= panel[2], "the long address runs out of the chat"
    for message in log.locator(".msg").all():
        sideways = message.evaluate("m => m.scrollWidth - m.clientWidth")
        assert _box(message)[2] <= panel[2] and sideways <= 0, message.inner_text()
    page_widths = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert page_widths[0] <= page_widths[1], f"the page scrolls sideways: {page_widths}"
    page.screenshot(path=str(ARTIFACTS / "widget-320.png"))


def test_the_typing_indicator_shows_while_the_answer_is_on_its_way(
    browser: Browser, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = citizen_page(browser)
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)  # the question reaches the server when the test lets it go

    page.route(live_server.url + "/api/v1/ask", hold)
    page.goto(live_server.url + "/")
    log = _open_and_ask(page, "забыл пароль")
    typing = page.get_by_role("status").filter(has_text=TYPING)
    expect(typing).to_be_visible()  # a live region: read out as well as shown
    expect(log.locator(".msg.citizen")).to_have_text("забыл пароль")
    expect(page.get_by_role("button", name="Отправить")).to_be_disabled()
    # The route's handler runs when Playwright next hears from the browser, which may come
    # after the widget has already shown the question (once in `.ci/run`, 2026-12-06).
    wait_until(page, lambda: bool(held), "the question reaches the held route")
    assert len(held) == 1
    page.screenshot(path=str(ARTIFACTS / "widget-typing.png"))
    held[0].continue_()
    expect(log.locator(".msg.bot").last).to_contain_text(PASSWORD_ANSWER)
    expect(page.get_by_text(TYPING)).to_be_hidden()
    expect(page.get_by_role("button", name="Отправить")).to_be_enabled()


def test_addresses_in_answers_open_in_a_new_tab_and_scripts_never_become_links(
    browser: Browser, live_server: LiveServer
) -> None:
    """The base's answer names the support portal in its text (followed by a comma); an
    operator's reply carries a javascript: address next to a real one."""
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.context.route(
        SUPPORT_PORTAL,
        lambda route: route.fulfill(body="<title>Поддержка ЭПТС</title>", content_type="text/html"),
    )
    page.goto(live_server.url + "/")
    log = _open_and_ask(page, EXTRACT_QUESTION)
    answer = log.locator(".msg.bot").last
    expect(answer).to_contain_text("оставьте заявку на https://help.elpts.ru/ru, указав")
    in_text = answer.locator(".text").get_by_role("link", name=SUPPORT_PORTAL)
    expect(in_text).to_have_attribute("href", SUPPORT_PORTAL)  # without the comma after it
    expect(in_text).to_have_attribute("target", "_blank")
    assert "noopener" in (in_text.get_attribute("rel") or "").split()
    expect(answer.locator(".text").get_by_role("link", name="https://elpts.ru")).to_have_attribute(
        "href", "https://elpts.ru"
    )
    with page.expect_popup() as opened:
        in_text.click()
    portal = opened.value
    portal.wait_for_load_state()
    assert portal.url == SUPPORT_PORTAL
    assert portal.evaluate("window.opener") is None, "the portal could steer the chat's tab"
    portal.close()

    page.get_by_role("button", name="Позвать оператора").click()
    expect(log.locator(".msg.bot").last).to_contain_text("Номер обращения: 1")
    reply = f"Не вставляйте в адресную строку {SCRIPT_URL} — заявку оставьте на {SUPPORT_PORTAL}"
    _operator_takes_and_replies(browser, live_server.url, reply)
    said = log.locator(".msg.operator").last
    expect(said).to_have_text("Специалист" + "Ответ по обращению № 1: " + reply)
    expect(said.get_by_role("link")).to_have_count(1)
    expect(said.get_by_role("link")).to_have_attribute("href", SUPPORT_PORTAL)
    expect(log.locator("a[href^='javascript' i]")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "widget-links.png"))


def test_copy_answer_puts_the_shown_answer_on_the_clipboard(
    browser: Browser, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = citizen_page(browser, permissions=["clipboard-read", "clipboard-write"])
    page.goto(live_server.url + "/")
    log = _open_and_ask(page, EXTRACT_QUESTION)
    answer = log.locator(".msg.bot").last
    expect(answer).to_contain_text("Чтобы получить выписку")
    copy = answer.get_by_role("button", name="Копировать ответ")
    copy.click()
    expect(answer.locator(".tools button").first).to_have_text("Скопировано")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == answer.locator(".text").text_content()
    assert copied.startswith("Это один из самых частых вопросов.")
    assert "\n- задайте вопрос онлайн-консультанту на https://elpts.ru" in copied


def test_the_keyboard_alone_opens_clarifies_rates_calls_a_person_and_closes(
    browser: Browser, live_server: LiveServer
) -> None:
    """No clicks and no focusing by the test: Tab, Shift+Tab, Enter, Space, Escape, typing."""
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    keys = page.keyboard
    launcher = page.get_by_role("button", name=LAUNCHER)
    keys.press("Tab")  # the demo page's one link, to the console
    keys.press("Tab")
    expect(launcher).to_be_focused()

    keys.press("Enter")
    log = page.get_by_role("log")
    expect(log.locator(".msg.bot").first).to_contain_text("Здравствуйте!")
    box = page.get_by_role("textbox", name="Ваш вопрос")
    expect(box).to_be_focused()

    keys.type("статус")
    keys.press("Enter")
    offered = log.get_by_role("group", name="Варианты ответа")
    expect(offered.get_by_role("button")).to_have_count(3)
    for _ in offered.get_by_role("button").all():  # back from the question box to the first
        keys.press("Shift+Tab")  # offered entry, past the third and the second
    choice = offered.get_by_role("button", name="Какие статусы есть у заявлений на Госуслугах?")
    expect(choice).to_be_focused()

    keys.press("Enter")
    answer = log.locator(".msg.bot").last
    expect(answer).to_contain_text("«В работе» — заявление рассматривается.")
    expect(choice).to_be_disabled()  # answered: the focus goes on from the question box
    expect(box).to_be_focused()
    keys.press("Shift+Tab")
    expect(answer.get_by_role("button", name="Ответ не помог")).to_be_focused()
    keys.press("Shift+Tab")
    helped = answer.get_by_role("button", name="Ответ помог")
    expect(helped).to_be_focused()

    keys.press("Space")
    expect(log.locator(".msg.system").last).to_have_text("Сообщение" + "Спасибо за оценку!")
    expect(helped).to_have_attribute("aria-pressed", "true")
    expect(box).to_be_focused()  # not lost with the button, disabled once pressed
    keys.press("Tab")
    expect(page.get_by_role("button", name="Отправить")).to_be_focused()
    keys.press("Tab")
    expect(page.get_by_role("button", name="Позвать оператора")).to_be_focused()

    keys.press("Enter")
    expect(log.locator(".msg.citizen").last).to_have_text("Позовите специалиста")
    expect(log.locator(".msg.bot").last).to_contain_text("Номер обращения: 1 · ответим до")
    expect(page.get_by_role("button", name="Прикрепить файл к обращению № 1")).to_be_visible()

    keys.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(launcher).to_be_focused()
    # Opened again, the chat shows the same words (it read "Позовите оператора" until then).
    page.reload()
    page.get_by_role("button", name=LAUNCHER).click()
    expect(page.get_by_role("log").locator(".msg.citizen").last).to_have_text(
        "Позовите специалиста"
    )


def _promise_for(server: LiveServer, settings: WebSettings, session_id: str, number: int) -> str:
    """The answer time promised for ticket `number` opened at the time the server recorded,
    worded as citizens read it."""
    ticket = httpx.get(
        f"{server.url}/api/v1/tickets/{number}", params={"session_id": session_id}
    ).json()
    created = datetime.fromisoformat(ticket["created_at"])
    calendar = WorkCalendar(settings.core.working_hours)
    return calendar.describe_promise(calendar.due_at(created))


def test_a_handed_off_first_question_shows_the_ticket_number_and_the_promise(
    browser: Browser, live_server: LiveServer, web_settings: WebSettings
) -> None:
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    log = _open_and_ask(page, UNKNOWN)
    handed = log.locator(".msg.bot").last
    expect(handed).to_contain_text("Передали ваш вопрос специалисту.")
    ticket = handed.locator(".ticket")
    expect(ticket).to_have_text(re.compile(r"^Номер обращения: 1 · ответим до \d\d:\d\d \d+ "))
    session_id = page.evaluate("localStorage.getItem('faqbot.session')")
    promised = _promise_for(live_server, web_settings, session_id, 1)
    expect(ticket).to_have_text("Номер обращения: 1 · " + promised)
    page.screenshot(path=str(ARTIFACTS / "widget-handoff-promise.png"))


async def _ratings_of(database_url: str, entry_id: str) -> list[tuple[RatingScale, int]]:
    db = await open_database(database_url)
    try:
        return [(r.scale, r.score) for r in await Ratings(db).for_entry(entry_id)]
    finally:
        await db.close()


def test_a_thumbs_up_is_thanked_for_and_stored(
    browser: Browser, live_server: LiveServer, web_settings: WebSettings
) -> None:
    from playwright.sync_api import expect

    page = citizen_page(browser)
    page.goto(live_server.url + "/")
    log = _open_and_ask(page, "забыл пароль")
    answer = log.locator(".msg.bot").last
    expect(answer).to_contain_text(PASSWORD_ANSWER)
    helped = answer.get_by_role("button", name="Ответ помог")
    helped.click()
    expect(log.locator(".msg.system").last).to_have_text("Сообщение" + "Спасибо за оценку!")
    expect(helped).to_have_attribute("aria-pressed", "true")
    expect(answer.get_by_role("button", name="Ответ не помог")).to_be_disabled()
    assert web_settings.database_url is not None
    stored = _run(_ratings_of(web_settings.database_url, "account-password-recovery"))
    assert stored == [(RatingScale.THUMBS, THUMB_UP)]
