"""The e-mail sender against a real SMTP server on loopback: once, masked, and when to give up."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.letters import Letter
from bot.core.records import OutboxMessage
from bot.mail.errors import MailDeliveryError
from bot.mail.sender import EmailSender
from bot.mail.settings import Security, SmtpSettings
from tests.support.html_part import HtmlPart
from tests.support.ports import free_port
from tests.support.smtp import smtp_server

pytestmark = pytest.mark.anyio

ADDRESS = "olga.smirnova@example.ru"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    """aiosmtplib runs on asyncio."""
    return "asyncio"


def _sender(port: int, *, user: str | None = None, password: str | None = None) -> EmailSender:
    settings = SmtpSettings(
        host="127.0.0.1",
        port=port,
        sender="faqbot@example.ru",
        username=user,
        password=password,
        security=Security.NONE,
        timeout_seconds=2,
    )
    return EmailSender(settings, clock=lambda: NOW)


def _letter(key: str = "k" * 32, created_at: datetime = NOW) -> OutboxMessage:
    return OutboxMessage(
        id=1,
        idempotency_key=key,
        channel="email",
        recipient=ADDRESS,
        text=Letter(subject="Ответ на ваш вопрос: тест", body="Текст ответа.\n").to_text(),
        attempts=1,
        created_at=created_at,
    )


async def test_a_letter_sent_twice_with_one_key_arrives_once() -> None:
    port = free_port()
    sender = _sender(port)
    with smtp_server(port) as smtp:
        await sender.send(_letter())
        await sender.send(_letter())
        await sender.send(_letter(key="m" * 32))
        letters = await smtp.arrived(2)
    assert len(letters) == 2
    assert letters[0].message["Message-ID"] == "<" + "k" * 32 + "@example.ru>"


async def test_a_temporary_refusal_is_retried_and_names_no_address() -> None:
    port = free_port()
    with (
        smtp_server(port, rcpt_reply="451 4.7.1 <{address}>: try again later") as smtp,
        pytest.raises(MailDeliveryError) as error,
    ):
        await _sender(port).send(_letter())
    assert "451" in str(error.value) and ADDRESS not in str(error.value)
    assert smtp.letters == []


async def test_a_mailbox_refused_for_good_is_dropped_with_a_masked_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    caplog.set_level(logging.WARNING, logger="bot")
    with smtp_server(port, rcpt_reply="550 5.1.1 <{address}>: no such mailbox") as smtp:
        await _sender(port).send(_letter())  # no exception: retrying would not help
    assert smtp.letters == []
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert any("отклонено окончательно (SMTP 550)" in m and "o***@example.ru" in m for m in ours)
    assert not any(ADDRESS in m for m in ours)


async def test_a_letter_undelivered_for_too_long_is_dropped() -> None:
    # Nothing listens on the port: a letter still due would raise.
    await _sender(free_port()).send(_letter(created_at=NOW - timedelta(days=3)))
    with pytest.raises(MailDeliveryError):
        await _sender(free_port()).send(_letter(created_at=NOW - timedelta(hours=1)))


# Log-in without TLS is what this loopback test server is for.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
async def test_the_log_in_is_used_and_a_wrong_password_is_never_repeated(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    secret, wrong = "пароль-от-почты-Q7", "неверный-пароль-Z9"
    caplog.set_level(logging.DEBUG)
    with smtp_server(port, login=("faqbot", secret)) as smtp:
        await _sender(port, user="faqbot", password=secret).send(_letter())
        assert len(await smtp.arrived(1)) == 1
        with pytest.raises(MailDeliveryError) as error:
            await _sender(port, user="faqbot", password=wrong).send(_letter(key="w" * 32))
    assert wrong not in str(error.value) and wrong not in repr(error.value)
    assert secret not in caplog.text and wrong not in caplog.text


async def test_the_letter_has_an_html_part_with_working_links_and_its_text_shown_as_text() -> None:
    hostile = '<script>alert("x")</script> <img src=x onerror=alert(1)>'
    body = (
        "Здравствуйте!\n\nОтвет:\nОткройте https://www.gosuslugi.ru/help; затем выберите раздел.\n"
        f"{hostile}\n\nПолезные ссылки:\nПомощь: «https://www.gosuslugi.ru/help/faq».\n"
    )
    letter = Letter(subject="Ответ на ваш вопрос: <b>тест</b>", body=body)
    message = OutboxMessage(
        id=1,
        idempotency_key="h" * 32,
        channel="email",
        recipient=ADDRESS,
        text=letter.to_text(),
        attempts=1,
        created_at=NOW,
    )
    port = free_port()
    with smtp_server(port) as smtp:
        await _sender(port).send(message)
        (received,) = await smtp.arrived(1)
    assert received.message.get_content_type() == "multipart/alternative"
    assert received.body == body  # the text part is the letter as it was
    part = received.message.get_body(preferencelist=("html",))
    assert part is not None and part.get_content_charset() == "utf-8"
    markup = HtmlPart()
    markup.feed(part.get_content())
    assert markup.links == ["https://www.gosuslugi.ru/help", "https://www.gosuslugi.ru/help/faq"]
    assert markup.tags <= {"html", "head", "meta", "title", "body", "div", "p", "br", "a"}
    assert not any(name.startswith("on") for name in markup.attributes)
    assert " ".join(hostile.split()) in markup.shown  # the hostile text is visible, as text
    assert "Откройте https://www.gosuslugi.ru/help; затем выберите раздел." in markup.shown
