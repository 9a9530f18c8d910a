"""Linking Telegram and the website over real HTTP: the bot against the fake Bot API, the web
app served by uvicorn, both on one SQLite file. A ticket opened in Telegram is found from the
widget's API after linking, and not before; strangers never see it."""

from __future__ import annotations

import asyncio
import re
import secrets
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from bot.telegram.settings import TelegramSettings
from bot.web.settings import WebSettings
from matcher import Morphology
from tests.bot.telegram.citizen import Citizen
from tests.bot.telegram.conftest import RunningBot
from tests.bot.telegram.fake_api import FakeBotApi
from tests.bot.web.conftest import GENEROUS, SECRET, make_app
from tests.support.ports import free_port

pytestmark = pytest.mark.anyio

TICKET_NUMBER = re.compile(r"Обращение № (\d+)")
CODE = re.compile(r"<code>(\d{6})</code>")
STARTUP_SECONDS = 120


@pytest.fixture
def web_url(settings: TelegramSettings, morphology: Morphology) -> Iterator[str]:
    """The web app on loopback, on the bot's database and knowledge base."""
    web_settings = WebSettings(
        kb_dir=settings.kb_dir,
        secret_key=SECRET,
        database_url=settings.database_url,
        environment="test",
        secure_cookies=False,
        ip_rate=GENEROUS,
        session_rate=GENEROUS,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            make_app(web_settings, morphology),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=server.run, name="test-uvicorn", daemon=True)
    thread.start()
    # Loading the base takes a few seconds, longer on a busy machine.
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail(f"the web server did not start within {STARTUP_SECONDS} s")
        threading.Event().wait(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def session() -> str:
    """A widget session id, as the widget keeps it."""
    return secrets.token_urlsafe(24)


async def _live_texts(web: httpx.AsyncClient, session_id: str, count: int) -> list[str]:
    """The session's live messages (operator replies, notices) once `count` have arrived."""
    for _ in range(100):
        found = (await web.get("/api/v1/history", params={"session_id": session_id})).json()
        texts = [e["text"] for e in found["live"]]
        if len(texts) >= count:
            return texts
        await asyncio.sleep(0.1)
    raise AssertionError(f"fewer than {count} live messages reached the widget session")


async def _hand_off(api: FakeBotApi, citizen: Citizen, question: str) -> int:
    """`/operator QUESTION` in Telegram; the ticket number the bot tells the citizen."""
    citizen.says(f"/operator {question}")
    (handoff,) = await api.wait_sent(citizen.user_id, 1)
    found = TICKET_NUMBER.search(handoff["text"])
    assert found is not None
    return int(found.group(1))


async def test_a_telegram_ticket_is_found_from_the_widget_only_after_linking(
    web_url: str, running: RunningBot
) -> None:
    api, anna = running.api, running.citizen(501)
    number = await _hand_off(api, anna, "не приходит код подтверждения на телефон")
    widget, stranger = session(), session()

    async with httpx.AsyncClient(base_url=web_url, timeout=10) as web:
        before = await web.get(f"/api/v1/tickets/{number}", params={"session_id": widget})
        assert before.status_code == 404
        assert before.json()["detail"] == f"Обращение № {number} не найдено среди ваших обращений."
        listed = await web.get("/api/v1/tickets", params={"session_id": widget})
        assert listed.json()["tickets"] == []

        wrong = await web.post("/api/v1/link", json={"session_id": widget, "code": "000000"})
        assert wrong.status_code == 422
        assert wrong.json()["detail"].startswith("Код не подошёл")

        issued = (await web.post("/api/v1/link/code", json={"session_id": widget})).json()
        assert f"/link {issued['code']}" in issued["text"]
        anna.says(f"/link {issued['code']}")
        linked = (await api.wait_sent(anna.user_id, 2))[-1]
        assert "Готово: связали с каналом «чат на сайте»" in linked["text"]

        after = await web.get(f"/api/v1/tickets/{number}", params={"session_id": widget})
        assert after.status_code == 200
        assert after.json()["status_label"] == "Принято"
        assert f"Обращение № {number}: Принято" in after.json()["text"]
        listed = await web.get("/api/v1/tickets", params={"session_id": widget})
        assert [(t["number"], t["channel"]) for t in listed.json()["tickets"]] == [
            (number, "telegram")
        ]
        assert await _live_texts(web, widget, 1) == [
            "Канал «Telegram» связан с этим чатом. Если это были не вы, обратитесь в поддержку."
        ]

        again = await web.post(
            "/api/v1/link", json={"session_id": stranger, "code": issued["code"]}
        )
        assert again.status_code == 422, "a used code is gone"
        refused = await web.get(f"/api/v1/tickets/{number}", params={"session_id": stranger})
        assert refused.status_code == 404


async def test_a_code_from_telegram_typed_into_the_widget(
    web_url: str, running: RunningBot
) -> None:
    api, anna = running.api, running.citizen(601)
    number = await _hand_off(api, anna, "хочу поговорить с человеком")

    anna.says("/link")
    shown = (await api.wait_sent(anna.user_id, 2))[-1]
    assert "в течение 10 минут" in shown["text"]
    code = CODE.search(shown["text"])
    assert code is not None
    widget = session()
    async with httpx.AsyncClient(base_url=web_url, timeout=10) as web:
        typed = f"{code.group(1)[:3]} {code.group(1)[3:]}"
        done = await web.post("/api/v1/link", json={"session_id": widget, "code": typed})
        assert done.status_code == 200
        assert done.json()["text"].startswith("Готово: связали с каналом «Telegram»")
        after = await web.get(f"/api/v1/tickets/{number}", params={"session_id": widget})
        assert after.status_code == 200
    told = (await api.wait_sent(anna.user_id, 3))[-1]
    assert told["text"].startswith("Канал «чат на сайте» связан с этим чатом")

    anna.says("/help")
    assert "/link" in (await api.wait_sent(anna.user_id, 4))[-1]["text"]


async def test_unlink_from_telegram_hides_its_tickets_from_the_widget_again(
    web_url: str, running: RunningBot
) -> None:
    api, anna = running.api, running.citizen(701)
    number = await _hand_off(api, anna, "хочу поговорить с человеком")
    widget = session()
    async with httpx.AsyncClient(base_url=web_url, timeout=10) as web:
        issued = (await web.post("/api/v1/link/code", json={"session_id": widget})).json()
        anna.says(f"/link {issued['code']}")
        await api.wait_sent(anna.user_id, 2)
        linked = await web.get(f"/api/v1/tickets/{number}", params={"session_id": widget})
        assert linked.status_code == 200

        anna.says("/unlink")
        said = (await api.wait_sent(anna.user_id, 3))[-1]["text"]
        assert said.startswith("Готово: этот чат больше не связан с каналом «чат на сайте»")
        hidden = await web.get(f"/api/v1/tickets/{number}", params={"session_id": widget})
        assert hidden.status_code == 404
        assert await _live_texts(web, widget, 2) == [
            "Канал «Telegram» связан с этим чатом. Если это были не вы, обратитесь в поддержку.",
            "Канал «Telegram» больше не связан с этим чатом.",
        ]
        again = await web.post("/api/v1/link/unlink", json={"session_id": widget})
        assert again.json()["text"] == "Этот чат не связан с другими каналами."
    anna.says("/status")
    assert str(number) in (await api.wait_sent(anna.user_id, 4))[-1]["text"], "hers stay hers"
