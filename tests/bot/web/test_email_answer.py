"""“Отправить ответ на e-mail” through the real app, the outbox and a real SMTP server."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.core.settings import CoreSettings, OutboxSettings
from bot.mail.settings import Security, SmtpSettings
from bot.web.settings import RateLimit, WebSettings
from matcher import Morphology
from tests.bot.web.conftest import GENEROUS, make_app
from tests.support.html_part import HtmlPart
from tests.support.ports import free_port
from tests.support.smtp import smtp_server

pytestmark = pytest.mark.anyio

QUESTION = "Как прислать ответ с разметкой на почту?"
ENTRY = "test-letter-markup"
HOSTILE = '<script>alert("почта")</script>'
ENTRY_YAML = f"""topic: Проверка писем
entries:
  - id: {ENTRY}
    question: {QUESTION}
    alternatives:
      - прислать ответ с разметкой на почту
    keywords: [разметка]
    answer: |
      Ответ с <b>разметкой</b> и {HOSTILE} — это просто текст. Ёлки-палки, «кавычки».
    links:
      - title: Справка Госуслуг
        url: https://www.gosuslugi.ru/help
"""
ADDRESS = "ivan.petrov@example.ru"
FAST_OUTBOX = OutboxSettings(
    first_retry=timedelta(seconds=0.2),
    max_retry=timedelta(seconds=0.4),
    poll_interval=timedelta(seconds=0.05),
)


@pytest.fixture
def letter_kb(kb_dir: Path) -> Path:
    """The project's base plus an entry whose answer holds HTML and a script."""
    (kb_dir / "zz-letters.yaml").write_text(ENTRY_YAML, encoding="utf-8")
    return kb_dir


@pytest.fixture
def smtp_port() -> int:
    """The loopback port the app sends letters to."""
    return free_port()


@pytest.fixture
def mail_settings(web_settings: WebSettings, letter_kb: Path, smtp_port: int) -> WebSettings:
    """The test server with SMTP on loopback and quick outbox retries."""
    return replace(
        web_settings,
        kb_dir=letter_kb,
        smtp=SmtpSettings(
            host="127.0.0.1",
            port=smtp_port,
            sender="faqbot@gosuslugi.example",
            security=Security.NONE,
            timeout_seconds=2,
        ),
        core=replace(CoreSettings(), outbox=FAST_OUTBOX),
        email_ip_rate=GENEROUS,
        email_session_rate=GENEROUS,
    )


@dataclass
class Citizen:
    """A client of the app with the session it got from its first answer."""

    client: httpx.AsyncClient
    session_id: str = ""

    async def ask(self, question: str = QUESTION) -> dict[str, object]:
        body = {"question": question} | ({"session_id": self.session_id} if self.session_id else {})
        reply: dict[str, object] = (await self.client.post("/api/v1/ask", json=body)).json()
        self.session_id = str(reply["session_id"])
        return reply

    async def email(self, address: str = ADDRESS, entry_id: str = ENTRY) -> httpx.Response:
        return await self.client.post(
            "/api/v1/email",
            json={"session_id": self.session_id, "entry_id": entry_id, "email": address},
        )


async def _running(settings: WebSettings, morphology: Morphology) -> AsyncIterator[Citizen]:
    app = make_app(settings, morphology)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("10.1.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Citizen(client)


@pytest.fixture
async def citizen(
    mail_settings: WebSettings, morphology: Morphology, anyio_backend: str
) -> AsyncIterator[Citizen]:
    """A citizen of the app configured with SMTP."""
    async for running in _running(mail_settings, morphology):
        yield running


def _email_rows(settings: WebSettings) -> list[tuple[str, str | None, int, str | None]]:
    assert settings.database_url is not None
    path = settings.database_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as connection:
        return list(
            connection.execute(
                "SELECT recipient, delivered_at, attempts, last_error FROM outbox "
                "WHERE channel = 'email' ORDER BY id"
            )
        )


async def _until(check: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the condition did not come true in time")


async def test_the_letter_carries_the_answer_as_utf8_text_and_escaped_html(
    citizen: Citizen, mail_settings: WebSettings, smtp_port: int
) -> None:
    config = (await citizen.client.get("/api/v1/config")).json()
    assert config["email"] is True
    with smtp_server(smtp_port) as smtp:
        answer = await citizen.ask()
        assert (answer["action"], answer["entry_id"]) == ("answer", ENTRY)
        sent = await citizen.email()
        assert sent.status_code == 202, sent.text
        assert "i***@example.ru" in sent.json()["message"]
        assert ADDRESS not in sent.text
        (letter,) = await smtp.arrived(1)
    assert letter.recipients == (ADDRESS,)
    message = letter.message
    assert message["Subject"] == "Ответ на ваш вопрос: " + QUESTION
    assert message["To"] == ADDRESS and message["From"] == "faqbot@gosuslugi.example"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text_part = message.get_body(preferencelist=("plain",))
    assert text_part is not None and text_part.get_content_charset() == "utf-8"
    body = letter.body
    assert f"Вопрос: {QUESTION}" in body
    assert HOSTILE in body and "<b>разметкой</b>" in body  # shown as text, never markup
    assert "Ёлки-палки, «кавычки»" in body
    assert "Справка Госуслуг: https://www.gosuslugi.ru/help" in body
    assert "отправлено автоматически" in body
    html_part = message.get_body(preferencelist=("html",))
    assert html_part is not None and html_part.get_content_charset() == "utf-8"
    html = HtmlPart()
    html.feed(html_part.get_content())
    assert " ".join(HOSTILE.split()) in html.shown and "<b>разметкой</b>" in html.shown
    assert "b" not in html.tags and "script" not in html.tags
    assert "https://www.gosuslugi.ru/help" in html.links
    # Once delivered, the database keeps only the masked address.
    await _until(lambda: all(row[1] for row in _email_rows(mail_settings)))
    assert [row[0] for row in _email_rows(mail_settings)] == ["i***@example.ru"]


async def test_a_letter_waits_while_smtp_is_down_and_arrives_once(
    citizen: Citizen, mail_settings: WebSettings, smtp_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await citizen.ask()
    assert (await citizen.email()).status_code == 202
    # Nobody listens on the port yet: the outbox keeps the letter and retries.
    await _until(lambda: any(row[2] >= 2 for row in _email_rows(mail_settings)))
    ((recipient, delivered, _, error),) = _email_rows(mail_settings)
    assert (recipient, delivered) == (ADDRESS, None)
    assert error is not None and ADDRESS not in error
    with smtp_server(smtp_port) as smtp:
        await smtp.arrived(1)
        await asyncio.sleep(1.0)  # several more worker passes: nothing is sent twice
        assert len(smtp.letters) == 1
    await _until(lambda: all(row[1] for row in _email_rows(mail_settings)))
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot."))
    assert "ivan.petrov" not in ours  # the test SMTP server's own log is not ours
    assert "i***@example.ru" in ours


@pytest.mark.parametrize(
    "address",
    ["ivan.petrov", "ivan@@example.ru", "ivan@example", "a,b@example.ru", "иван@почта.рф", " "],
)
async def test_a_bad_address_gets_422_in_russian_and_nothing_is_queued(
    citizen: Citizen, mail_settings: WebSettings, address: str
) -> None:
    await citizen.ask()
    refused = await citizen.email(address)
    assert refused.status_code == 422
    assert "адрес" in refused.json()["detail"].lower()
    assert "name@example.ru" in refused.json()["detail"]
    assert _email_rows(mail_settings) == []


async def test_only_an_answer_given_in_the_session_can_be_sent(
    citizen: Citizen, mail_settings: WebSettings
) -> None:
    await citizen.ask()
    other = await citizen.email(entry_id="account-password-recovery")
    assert other.status_code == 422
    assert "только ответ, который консультант дал" in other.json()["detail"]
    stranger = Citizen(citizen.client, session_id="s" * 32)
    assert (await stranger.email()).status_code == 422
    missing = await citizen.email(entry_id="no-such-entry")
    assert missing.status_code == 422 and "не найден" in missing.json()["detail"]
    assert _email_rows(mail_settings) == []


@pytest.mark.parametrize("by_session", [True, False], ids=["per-session", "per-address"])
async def test_too_many_letters_get_429_while_others_are_served(
    mail_settings: WebSettings, morphology: Morphology, by_session: bool
) -> None:
    tight = RateLimit(burst=2, per_second=0.001)
    settings = (
        replace(mail_settings, email_session_rate=tight)
        if by_session
        else replace(mail_settings, email_ip_rate=tight)
    )
    app = make_app(settings, morphology)
    async with app.router.lifespan_context(app):
        clients = [
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=(address, 40000)),
                base_url="http://test",
            )
            for address in ("10.2.0.1", "10.2.0.2")
        ]
        flooder, neighbour = Citizen(clients[0]), Citizen(clients[1])
        await flooder.ask()
        await neighbour.ask()
        assert [(await flooder.email()).status_code for _ in range(2)] == [202, 202]
        limited = await flooder.email()
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert "Слишком много запросов" in limited.json()["detail"]
        # A mistyped address is still explained, not counted.
        assert (await flooder.email("ivan@")).status_code == 422
        assert (await neighbour.email()).status_code == 202
        for client in clients:
            await client.aclose()


async def test_without_smtp_the_widget_is_told_and_the_route_refuses(
    web_settings: WebSettings, morphology: Morphology
) -> None:
    async for citizen in _running(web_settings, morphology):
        assert (await citizen.client.get("/api/v1/config")).json()["email"] is False
        await citizen.ask("забыл пароль")
        refused = await citizen.email(entry_id="account-password-recovery")
        assert refused.status_code == 404
        assert "не настроена" in refused.json()["detail"]
