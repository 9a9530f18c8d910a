"""Live-reply streams open at once from one client address are capped, through a real uvicorn
server: past the cap a Russian 429, a closed stream frees its slot, and the widget, refused,
says nothing and gets its reply once a slot is free."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from bot.cli.main import main
from bot.web.errors import SettingsError
from bot.web.settings import DEFAULT_LIVE_STREAMS_PER_IP, WebSettings
from tests.bot.web.conftest import SECRET, LiveServer
from tests.bot.web.test_widget_browser import _operator_takes_and_replies, citizen_page
from tests.bot.web.test_widget_details_browser import LAUNCHER

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Response

CAP = 2
REFUSAL = "Слишком много открытых окон чата с вашего адреса."
UNKNOWN = "сломался карбюратор у трактора"


@pytest.fixture
def web_settings(web_settings: WebSettings) -> WebSettings:
    """The test server, with at most CAP streams per address."""
    return replace(web_settings, live_streams_per_ip=CAP)


def _session(number: int) -> dict[str, str]:
    return {"session_id": f"stream-cap-session-{number:06d}"}


@asynccontextmanager
async def _stream(client: httpx.AsyncClient, number: int) -> AsyncIterator[httpx.Response]:
    """A live stream of session `number`, open while the block runs."""
    async with client.stream("GET", "/api/v1/events", params=_session(number)) as response:
        yield response


async def _held_once_free(held: AsyncExitStack, client: httpx.AsyncClient, number: int) -> int:
    """The status of a new stream kept open in `held`, tried until it is not refused (for 5 s
    at most): the server notices a closed connection a moment after the client closes it."""
    deadline = time.monotonic() + 5
    while True:
        async with AsyncExitStack() as attempt:
            response = await attempt.enter_async_context(_stream(client, number))
            if response.status_code != 429 or time.monotonic() > deadline:
                held.push_async_exit(attempt.pop_all())
                return response.status_code
        await asyncio.sleep(0.1)


@pytest.mark.anyio
async def test_streams_past_the_cap_from_one_address_are_refused_in_russian(
    live_server: LiveServer,
) -> None:
    """Until 2026-12-05 one address could hold any number of streams open (200 at once were
    all served), each a connection and a task until the client let go."""
    async with httpx.AsyncClient(base_url=live_server.url, timeout=10) as client:
        async with AsyncExitStack() as held:
            opened = [await held.enter_async_context(_stream(client, n)) for n in range(CAP)]
            assert [r.status_code for r in opened] == [200] * CAP
            async with _stream(client, CAP) as refused:
                assert refused.status_code == 429
                assert int(refused.headers["retry-after"]) >= 1
                detail = (await refused.aread()).decode()
                assert REFUSAL in detail and "Закройте лишние вкладки" in detail
            # The address is refused more streams only: everything else is served.
            history = await client.get("/api/v1/history", params=_session(0))
            assert history.status_code == 200
        # All closed: CAP new ones are served again.
        async with AsyncExitStack() as held:
            again = [await _held_once_free(held, client, n) for n in range(CAP)]
            assert again == [200] * CAP


@pytest.mark.anyio
async def test_a_closed_stream_frees_its_slot(live_server: LiveServer) -> None:
    async with (
        httpx.AsyncClient(base_url=live_server.url, timeout=10) as client,
        AsyncExitStack() as held,
    ):
        await held.enter_async_context(_stream(client, 0))
        async with _stream(client, 1) as second:
            assert second.status_code == 200
            async with _stream(client, 2) as third:
                assert third.status_code == 429
        # The second stream is closed: its slot is free for another tab.
        assert await _held_once_free(held, client, 3) == 200


def _settings(tmp_path: Path, kb_dir: Path, **env: str) -> WebSettings:
    return WebSettings.from_env(
        kb_dir=kb_dir,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'streams.sqlite3'}",
        environ={"FAQBOT_SECRET_KEY": SECRET, **env},
    )


def test_the_cap_is_set_in_the_environment(tmp_path: Path, kb_dir: Path) -> None:
    assert _settings(tmp_path, kb_dir).live_streams_per_ip == DEFAULT_LIVE_STREAMS_PER_IP
    assert DEFAULT_LIVE_STREAMS_PER_IP >= 10  # several tabs of several people behind one NAT
    assert _settings(tmp_path, kb_dir, FAQBOT_LIVE_STREAMS_PER_IP=" 5 ").live_streams_per_ip == 5
    assert _settings(tmp_path, kb_dir, FAQBOT_LIVE_STREAMS_PER_IP="OFF").live_streams_per_ip is None
    for bad in ("0", "-3", "abc", "5/1m", "²"):
        with pytest.raises(SettingsError) as error:
            _settings(tmp_path, kb_dir, FAQBOT_LIVE_STREAMS_PER_IP=bad)
        assert "FAQBOT_LIVE_STREAMS_PER_IP" in str(error.value) and "'off'" in str(error.value)


def test_serve_refuses_to_start_with_a_malformed_cap(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], kb_dir: Path
) -> None:
    monkeypatch.setenv("FAQBOT_ENV", "development")
    monkeypatch.setenv("FAQBOT_LIVE_STREAMS_PER_IP", "много")
    assert main(["serve", "--kb", str(kb_dir), "--port", "1"]) == 2
    assert "FAQBOT_LIVE_STREAMS_PER_IP='много'" in capsys.readouterr().err


@pytest.mark.slow
def test_a_widget_refused_a_stream_says_nothing_and_gets_the_reply_once_a_slot_frees(
    browser: Browser, live_server: LiveServer
) -> None:
    """Other tabs at the same address hold every slot: the citizen's chat works as usual,
    shows no error, and the operator's reply arrives once another tab is closed."""
    from playwright.sync_api import expect

    page = citizen_page(browser)
    refusals: list[int] = []

    def on_response(response: Response) -> None:
        if "/api/v1/events" in response.url and response.status == 429:
            refusals.append(response.status)

    page.on("response", on_response)
    with httpx.Client(base_url=live_server.url, timeout=10) as tabs, ExitStack() as held:
        for number in range(CAP):
            opened = held.enter_context(
                tabs.stream("GET", "/api/v1/events", params=_session(number))
            )
            assert opened.status_code == 200
        page.goto(live_server.url + "/")
        page.get_by_role("button", name=LAUNCHER).click()
        page.get_by_role("textbox", name="Ваш вопрос").fill(UNKNOWN)
        page.get_by_role("button", name="Позвать оператора").click()
        log = page.get_by_role("log")
        expect(log).to_contain_text("Номер обращения: 1")
        deadline = time.monotonic() + 10
        while not refusals and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert refusals, "the widget's stream was not refused"
    # The other tabs are closed; the widget tries again by itself.
    _operator_takes_and_replies(browser, live_server.url, "Обратитесь в сервисный центр.")
    expect(log.locator(".msg.operator").last).to_contain_text(
        "Обратитесь в сервисный центр.", timeout=20_000
    )
    for trouble in ("Слишком много", "Не удалось", "Ошибка"):
        expect(log).not_to_contain_text(trouble)
