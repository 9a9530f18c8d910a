"""Operators' replies reach the Telegram chat through the outbox, exactly once, and the
token never reaches the logs."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime

import pytest
from aiogram.exceptions import TelegramRetryAfter
from argon2 import PasswordHasher

from bot.core.accounts import Accounts
from bot.core.desk import Desk
from bot.core.passwords import Passwords
from bot.core.records import Operator, OutboxMessage
from bot.core.roles import Role
from bot.core.tickets import Via
from bot.telegram.errors import FloodWaitError
from bot.telegram.log_redaction import REDACTED, redact_record
from bot.telegram.render import MESSAGE_LIMIT, RenderOptions
from bot.telegram.sender import TelegramSender
from tests.bot.telegram.conftest import TOKEN, RunningBot

pytestmark = pytest.mark.anyio

TICKET_NUMBER = re.compile(r"Обращение № (\d+)")


async def hand_off(running: RunningBot, user_id: int, question: str) -> int:
    """The citizen asks for a person; returns the ticket number from the bot's reply."""
    citizen = running.citizen(user_id)
    before = len(running.api.sent(user_id))
    citizen.says(f"/operator {question}")
    sent = await running.api.wait_sent(user_id, before + 1)
    found = TICKET_NUMBER.search(sent[-1]["text"])
    assert found
    return int(found.group(1))


async def operator(running: RunningBot) -> tuple[Desk, Operator]:
    db = running.app.services.db
    accounts = Accounts(
        db, passwords=Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    )
    who = await accounts.create("operator1", "Надёжный-пароль-2026", role=Role.OPERATOR)
    return Desk(db), who


async def test_operator_reply_reaches_the_chat(running: RunningBot) -> None:
    api = running.api
    number = await hand_off(running, 601, "не могу подать заявление")
    desk, who = await operator(running)
    taken = await desk.take_next(who)
    assert taken is not None and taken.number == number
    await desk.reply(
        who, number, "Здравствуйте! Попробуйте <b>очистить</b> кэш & войти снова.", via=Via.CONSOLE
    )
    sent = await api.wait_sent(601, 3)
    assert sent[1]["text"] == f"Специалист взял обращение № {number} в работу."
    assert sent[2]["text"] == (
        f"Ответ по обращению № {number}: Здравствуйте! Попробуйте &lt;b&gt;очистить&lt;/b&gt; "
        "кэш &amp; войти снова."
    )
    assert sent[2]["parse_mode"] == "HTML"


async def closed_ticket(running: RunningBot, user_id: int) -> tuple[int, Desk, Operator]:
    """A ticket the citizen handed off and an operator took and closed; once the closing
    message (the 4th of the chat) is sent: its number, the desk and the operator."""
    number = await hand_off(running, user_id, "не могу подать заявление")
    desk, who = await operator(running)
    await desk.take_next(who)
    await desk.resolve(who, number, "Заявление подано за вас.", via=Via.CONSOLE)
    await running.api.wait_sent(user_id, 4)
    return number, desk, who


def _buttons(params: dict[str, object]) -> list[tuple[str, str]]:
    markup = params.get("reply_markup") or {}
    assert isinstance(markup, dict)
    return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


async def test_the_closing_message_has_1_to_5_buttons_and_a_press_rates_the_ticket(
    running: RunningBot,
) -> None:
    api = running.api
    number, desk, who = await closed_ticket(running, 603)
    closing = api.sent(603)[-1]
    assert closing["text"].startswith(f"Обращение № {number} завершено. Оцените")
    marks = _buttons(closing)
    assert [text for text, _ in marks] == ["1", "2", "3", "4", "5"]
    assert marks[3][1] == f"mark:{number}:4"

    running.citizen(603).presses(marks[3][1], message_id=1004)
    thanks = (await api.wait_sent(603, 5))[-1]
    assert thanks["text"] == (
        f"Спасибо за оценку 4 из 5 обращению № {number}! Если остались вопросы, задайте их здесь."
    )
    ticked = api.calls_of("editMessageReplyMarkup")[-1].params
    assert int(ticked["message_id"]) == 1004
    assert [text for text, _ in _buttons(ticked)] == ["1", "2", "3", "✅ 4", "5"]
    details = await desk.details(who, number)
    assert [e.note for e in details.events if e.action == "rated"] == ["4 из 5"]

    # Someone else's ticket: refused in the button's own answer, nothing recorded.
    running.citizen(604).presses(marks[0][1], message_id=1004)
    await api.wait_for(
        lambda: any(
            "не найдено" in str(c.params.get("text")) for c in api.calls_of("answerCallbackQuery")
        ),
        what="the refusal",
    )
    details = await desk.details(who, number)
    assert [e.note for e in details.events if e.action == "rated"] == ["4 из 5"]


async def test_a_mark_typed_as_a_digit_ticks_the_closing_messages_button(
    running: RunningBot,
) -> None:
    api = running.api
    number, desk, who = await closed_ticket(running, 605)
    [closing] = [
        c.result
        for c in api.calls_of("sendMessage")
        if int(c.params["chat_id"]) == 605 and c.params.get("reply_markup")
    ]
    citizen = running.citizen(605)
    for typed, ticked in (("5", "✅ 5"), ("3 из 5", "✅ 3")):
        edits = len(api.calls_of("editMessageReplyMarkup"))
        citizen.says(typed)

        def ticked_again(before: int = edits) -> bool:
            return len(api.calls_of("editMessageReplyMarkup")) > before

        await api.wait_for(ticked_again, what=f"the buttons ticked after {typed!r}")
        edit = api.calls_of("editMessageReplyMarkup")[-1].params
        assert int(edit["message_id"]) == closing["message_id"]
        labels = [text for text, _ in _buttons(edit)]
        assert labels[int(ticked[-1]) - 1] == ticked
        assert sum(label.startswith("✅") for label in labels) == 1
    details = await desk.details(who, number)
    assert [e.note for e in details.events if e.action == "rated"] == ["5 из 5", "3 из 5"]


async def test_long_operator_reply_is_split_and_complete(running: RunningBot) -> None:
    api = running.api
    number = await hand_off(running, 602, "нужна подробная инструкция")
    desk, who = await operator(running)
    await desk.take_next(who)
    body = "\n".join(
        f"Шаг {i}: откройте https://www.gosuslugi.ru/step/{i} и нажмите «Далее»."
        for i in range(140)
    )
    assert 6000 < len(body) < 10_000
    await desk.reply(who, number, body, via=Via.CONSOLE)
    await api.wait_for(lambda: any("Шаг 139" in t for t in api.sent_texts(602)), what="the end")
    parts = api.sent_texts(602)[2:]
    assert len(parts) >= 3  # the links make the HTML about twice as long as the text
    assert all(len(p) <= MESSAGE_LIMIT for p in parts)
    joined = "\n".join(parts)
    assert all(f"Шаг {i}:" in joined for i in range(140))
    assert joined.count("<a href=") == 140


async def test_429_then_500_every_reply_delivered_exactly_once(running: RunningBot) -> None:
    api = running.api
    number = await hand_off(running, 603, "заявление не отправляется")
    desk, who = await operator(running)
    await desk.take_next(who)
    await api.wait_sent(603, 2)
    # Telegram floods, then falls over for longer than the bot retries in place.
    api.fail(429, 1, retry_after=1)
    api.fail(500, 7)
    replies = [f"Ответ номер {i}" for i in range(3)]
    for text in replies:
        await desk.reply(who, number, text, via=Via.CONSOLE)
    expected = [f"Ответ по обращению № {number}: {text}" for text in replies]
    await api.wait_for(
        lambda: all(t in api.sent_texts(603) for t in expected), timeout=20, what="recovery"
    )
    texts = api.sent_texts(603)
    assert all(texts.count(t) == 1 for t in expected)
    failed = [c.status for c in api.calls_of("sendMessage", ok_only=False) if c.status != 200]
    assert failed == [429] + [500] * 7
    # The worker marks a row delivered just after Telegram accepted it: wait for that too.
    for _ in range(100):
        async with running.app.services.db.transaction() as uow:
            outbox = await uow.outbox.for_ticket(number)
        if all(m.delivered_at is not None for m in outbox):
            break
        await asyncio.sleep(0.1)
    assert all(m.delivered_at is not None for m in outbox)
    assert max(m.attempts for m in outbox) > 1  # the outbox, not only in-place retries
    # A handler's reply rides out a short outage in place, and is shown once.
    api.fail(500, 2)
    running.citizen(606).says("забыл пароль")
    (answer,) = await api.wait_sent(606, 1)
    assert "восстанов" in answer["text"].lower()


async def test_a_reply_sent_again_after_a_lost_acknowledgement_is_not_repeated(
    running: RunningBot,
) -> None:
    sender = TelegramSender(running.app.bot, RenderOptions())
    message = OutboxMessage(
        id=1,
        idempotency_key="key-1",
        channel="telegram",
        recipient="604",
        text="Ответ по обращению № 1: готово",
        attempts=1,
        created_at=datetime.now(UTC),
    )
    await sender.send(message)
    await sender.send(message)  # the worker died before marking it delivered
    assert running.api.sent_texts(604) == ["Ответ по обращению № 1: готово"]


async def test_a_long_flood_wait_pauses_sending_instead_of_hammering(
    running: RunningBot,
) -> None:
    api = running.api
    sender = TelegramSender(running.app.bot, RenderOptions())
    message = OutboxMessage(
        id=2,
        idempotency_key="key-2",
        channel="telegram",
        recipient="607",
        text="Ответ",
        attempts=1,
        created_at=datetime.now(UTC),
    )
    api.fail(429, 1, retry_after=60)  # longer than the bot waits in place
    with pytest.raises(TelegramRetryAfter):
        await sender.send(message)
    with pytest.raises(FloodWaitError):
        await sender.send(message)
    assert len(api.calls_of("sendMessage", ok_only=False)) == 1
    assert api.sent_texts(607) == []


async def test_token_never_reaches_the_logs(
    running: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api, anna = running.api, running.citizen(605)
    await hand_off(running, 605, "проблема со входом")
    # getFile points at a file the server then cannot find: aiohttp's error holds the URL.
    anna.sends(document={"file_id": "gone", "file_unique_id": "g1", "file_name": "скан.pdf"})
    await api.wait_for(lambda: bool(api.calls_of("downloadFile")), what="the download")
    await api.wait_sent(605, 2)
    assert "что-то пошло не так" in api.sent_texts(605)[-1]
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert REDACTED in caplog.text  # the failure was logged, with the URL, redacted
    assert TOKEN not in logged
    assert TOKEN.split(":")[1] not in logged


def test_redaction_covers_arguments_and_tracebacks() -> None:
    try:
        raise RuntimeError(f"GET http://api/bot{TOKEN}/getMe failed")
    except RuntimeError as error:
        record = logging.LogRecord(
            "aiogram",
            logging.ERROR,
            __file__,
            1,
            "request %s",
            (f"/bot{TOKEN}/x",),
            (type(error), error, error.__traceback__),
        )
    redacted = redact_record(record, TOKEN)
    text = logging.Formatter().format(redacted)
    assert TOKEN not in text
    assert text.count(REDACTED) == 2


async def test_a_mark_typed_after_a_thank_you_still_rates_the_closed_ticket(
    running: RunningBot,
) -> None:
    api = running.api
    number, desk, who = await closed_ticket(running, 606)
    citizen = running.citizen(606)
    citizen.says("Спасибо, помогло")  # the bot answers this one, as any message
    await api.wait_sent(606, 5)
    citizen.says("5")
    thanks = (await api.wait_sent(606, 6))[-1]
    assert thanks["text"] == (
        f"Спасибо за оценку 5 из 5 обращению № {number}! Если остались вопросы, задайте их здесь."
    )
    details = await desk.details(who, number)
    assert [e.note for e in details.events if e.action == "rated"] == ["5 из 5"]
    citizen.says("4")  # rated already: a digit is no mark any more
    told = (await api.wait_sent(606, 7))[-1]
    assert "Спасибо за оценку" not in told["text"]


async def test_a_typed_mark_telegram_would_not_tick_is_one_russian_log_line(
    running: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """The mark is stored and thanked for; the tick Telegram refused is a warning in the
    administrator's language, as faqbot's other lines are (it was «Could not tick mark 5 of
    ticket 1», left in English when the others were translated)."""
    api = running.api
    number, desk, who = await closed_ticket(running, 606)
    api.fail(
        403, 1, methods=("editMessageReplyMarkup",), description="Forbidden: not enough rights"
    )
    running.citizen(606).says("5")
    await api.wait_for(
        lambda: any(r.name == "bot.telegram.mark_buttons" for r in caplog.records),
        what="the log line",
    )
    [line] = [r.getMessage() for r in caplog.records if r.name == "bot.telegram.mark_buttons"]
    assert line == f"Не удалось отметить оценку 5 на кнопках обращения № {number}"
    details = await desk.details(who, number)
    assert [e.note for e in details.events if e.action == "rated"] == ["5 из 5"]
