"""A citizen's whole path through the real bot, over HTTP against the fake Bot API."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import pytest

from bot.core.history import ConversationHistory
from bot.telegram import texts
from bot.telegram.identity import chat_identity
from bot.telegram.keyboards import (
    EntryCallback,
    RateCallback,
    TopicCallback,
    TopicKeyCallback,
    topic_key,
)
from bot.telegram.settings import TelegramSettings
from matcher import Morphology
from tests.bot.telegram.citizen import Citizen
from tests.bot.telegram.conftest import RunningBot, polling
from tests.bot.telegram.fake_api import FakeBotApi

pytestmark = pytest.mark.anyio

TICKET_NUMBER = re.compile(r"Обращение № (\d+)")


def buttons(params: dict[str, Any]) -> list[tuple[str, str]]:
    """(text, callback data) of every inline button under a sent message."""
    markup = params.get("reply_markup") or {}
    return [
        (b["text"], b.get("callback_data", ""))
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]


def ticket_number(text: str) -> int:
    found = TICKET_NUMBER.search(text)
    assert found, f"no ticket number in {text!r}"
    return int(found.group(1))


async def test_start_topics_question_answer_and_rating(running: RunningBot) -> None:
    api, anna = running.api, running.citizen()
    anna.says("/start")
    greeting, topics = await api.wait_sent(anna.user_id, 2)
    assert "Здравствуйте" in greeting["text"]
    reply_keyboard = greeting["reply_markup"]["keyboard"]
    assert reply_keyboard[0][0]["request_contact"] is True
    topic_buttons = buttons(topics)
    kb = running.app.services.answerer.kb
    assert [t for t, _ in topic_buttons] == list(kb.topics)

    topic = "Вход и учётная запись"
    index = kb.topics.index(topic)
    assert topic_buttons[index][1] == TopicKeyCallback(key=topic_key(topic)).pack()
    anna.presses(topic_buttons[index][1], message_id=1001)
    await api.wait_for(lambda: bool(api.calls_of("editMessageText")), what="the topic")
    edit = api.calls_of("editMessageText")[-1].params
    assert topic in edit["text"]
    questions = buttons(edit)
    entry = kb.in_topic(topic)[0]
    assert (entry.question, EntryCallback(entry_id=entry.id).pack()) in questions

    anna.presses(EntryCallback(entry_id=entry.id).pack(), message_id=1001)
    answer = (await api.wait_sent(anna.user_id, 3))[-1]
    first_line = entry.answer.strip().split("\n")[0]
    assert first_line.split(" ")[0] in answer["text"]
    rate_up, rate_down = buttons(answer)
    assert rate_up[0] == texts.RATE_UP and rate_down[0] == texts.RATE_DOWN

    anna.presses(rate_up[1], message_id=1002)
    await api.wait_for(
        lambda: any(
            c.params.get("text") == texts.THANKS_FOR_RATING
            for c in api.calls_of("answerCallbackQuery")
        ),
        what="thanks for the rating",
    )
    ratings = await running.app.services.ratings.for_entry(entry.id)
    assert [r.score for r in ratings] == [1]


async def test_free_text_answer(running: RunningBot) -> None:
    api, anna = running.api, running.citizen()
    anna.says("забыл пароль")
    (answer,) = await api.wait_sent(anna.user_id, 1)
    entry = running.app.services.answerer.kb.get("account-password-recovery")
    assert entry is not None
    assert entry.answer.split()[0] in answer["text"]
    assert buttons(answer)[0][1].startswith(RateCallback.__prefix__)


async def test_a_thumbs_down_asks_what_was_wrong_and_a_reply_is_the_comment(
    running: RunningBot,
) -> None:
    api, anna = running.api, running.citizen()
    anna.says("забыл пароль")
    (answer,) = await api.wait_sent(anna.user_id, 1)
    _, rate_down = buttons(answer)
    anna.presses(rate_down[1], message_id=1002)
    prompt = (await api.wait_sent(anna.user_id, 2))[-1]
    assert prompt["text"] == texts.ASK_COMMENT
    assert prompt["reply_markup"]["force_reply"] is True
    (prompt_id,) = [
        c.result["message_id"]
        for c in api.calls_of("sendMessage")
        if c.params["text"] == texts.ASK_COMMENT
    ]

    anna.says("забыл пароль")  # not a reply: a question, as always
    asked = (await api.wait_sent(anna.user_id, 3))[-1]
    assert asked["text"] == answer["text"]
    anna.replies("Нет такой кнопки, перезвоните +7 912 345-67-89", to=prompt_id)
    thanks = (await api.wait_sent(anna.user_id, 4))[-1]
    assert thanks["text"] == texts.THANKS_FOR_COMMENT
    ratings = await running.app.services.ratings.for_entry("account-password-recovery")
    assert [(r.score, r.comment) for r in ratings] == [
        (0, "Нет такой кнопки, перезвоните [телефон]")
    ]


async def test_ambiguous_question_offers_candidates_and_choice_answers(
    running: RunningBot,
) -> None:
    api, anna = running.api, running.citizen()
    anna.says("эптс")
    (clarify,) = await api.wait_sent(anna.user_id, 1)
    offered = buttons(clarify)
    assert 2 <= len(offered) <= 5
    assert clarify["text"].startswith("Уточните")
    title, data = offered[1]
    entry_id = EntryCallback.unpack(data).entry_id
    anna.presses(data, message_id=1000)
    answer = (await api.wait_sent(anna.user_id, 2))[-1]
    entry = running.app.services.answerer.kb.get(entry_id)
    assert entry is not None and entry.question == title
    assert entry.answer.split()[0] in answer["text"]


async def test_operator_hand_off_and_status_of_own_tickets_only(running: RunningBot) -> None:
    api, anna, boris = running.api, running.citizen(501), running.citizen(502)
    anna.says("/operator не приходит код подтверждения на телефон")
    (handoff,) = await api.wait_sent(anna.user_id, 1)
    number = ticket_number(handoff["text"])
    assert "в течение 24 часов" in handoff["text"]

    anna.says(f"/status {number}")
    status = (await api.wait_sent(anna.user_id, 2))[-1]
    assert f"Обращение № {number}:" in status["text"]

    boris.says(f"/status {number}")
    (refused,) = await api.wait_sent(boris.user_id, 1)
    assert "не найдено" in refused["text"]
    assert "Новое" not in refused["text"]

    boris.says("/status")
    assert (await api.wait_sent(boris.user_id, 2))[-1]["text"] == texts.NO_TICKETS


async def test_the_first_handoff_after_start_does_not_load_the_production_calendar(
    running: RunningBot, calendar_loading_refused: None
) -> None:
    """Loading it takes about 80 ms: the bot does it while starting."""
    anna = running.citizen()
    anna.says("/operator не приходит код подтверждения на телефон")
    (handoff,) = await running.api.wait_sent(anna.user_id, 1)
    assert "в течение 24 часов" in handoff["text"]
    ticket_number(handoff["text"])


async def test_shared_phone_reaches_the_ticket(running: RunningBot) -> None:
    api, anna = running.api, running.citizen()
    anna.shares_phone("+7 (912) 345-67-89")
    (saved,) = await api.wait_sent(anna.user_id, 1)
    assert "+79123456789" in saved["text"]
    assert saved["reply_markup"] == {"remove_keyboard": True}
    anna.says(texts.ASK_PERSON_BUTTON)
    handoff = (await api.wait_sent(anna.user_id, 2))[-1]
    number = ticket_number(handoff["text"])
    ticket = await running.app.services.citizens.lookup(chat_identity(anna.user_id), number)
    assert ticket.contacts.phone == "+79123456789"
    assert ticket.contacts.name == "Анна Петрова"


async def test_a_shared_phone_and_a_pending_comment_survive_a_restart(
    api: FakeBotApi, settings: TelegramSettings, morphology: Morphology
) -> None:
    """What the chat said before a restart (a deploy, a crash) is still known after it."""
    anna = Citizen(api, 501)

    def sent_id(text: str) -> int:
        return int(
            next(
                c.result["message_id"]
                for c in api.calls_of("sendMessage")
                if c.params["text"] == text
            )
        )

    async with polling(settings, morphology):
        anna.says("забыл пароль")
        (answer,) = await api.wait_sent(anna.user_id, 1)
        _, rate_down = buttons(answer)
        anna.presses(rate_down[1], message_id=sent_id(answer["text"]))
        assert (await api.wait_sent(anna.user_id, 2))[-1]["text"] == texts.ASK_COMMENT
        shared = anna.shares_phone("+7 (912) 345-67-89")
        await api.wait_sent(anna.user_id, 3)
        # Telegram forgets an update once the next poll confirms it.
        await api.wait_for(
            lambda: any(
                int(c.params.get("offset", 0)) > shared for c in api.calls_of("getUpdates")
            ),
            what="the contact confirmed",
        )
    async with polling(settings, morphology) as (app, _):
        anna.replies("ссылка из ответа не открывается", to=sent_id(texts.ASK_COMMENT))
        assert (await api.wait_sent(anna.user_id, 4))[-1]["text"] == texts.THANKS_FOR_COMMENT
        ratings = await app.services.ratings.for_entry("account-password-recovery")
        assert [(r.score, r.comment) for r in ratings] == [(0, "ссылка из ответа не открывается")]
        anna.says(texts.ASK_PERSON_BUTTON)
        number = ticket_number((await api.wait_sent(anna.user_id, 5))[-1]["text"])
        ticket = await app.services.citizens.lookup(chat_identity(anna.user_id), number)
        assert ticket.contacts.phone == "+79123456789"


async def test_someone_elses_contact_is_not_taken(running: RunningBot) -> None:
    api, anna = running.api, running.citizen()
    anna.shares_phone("+7 912 345-67-89", own=False)
    (refused,) = await api.wait_sent(anna.user_id, 1)
    assert refused["text"] == texts.NOT_YOUR_CONTACT


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64  # Telegram makes every photo a JPEG


async def test_photo_is_attached_to_a_new_ticket(running: RunningBot) -> None:
    api, anna = running.api, running.citizen()
    api.files["photo-big"] = ("photos/file_1.jpg", JPEG)
    anna.sends(
        photo=[
            {"file_id": "photo-small", "file_unique_id": "s1", "width": 90, "height": 90},
            {
                "file_id": "photo-big",
                "file_unique_id": "b1",
                "width": 800,
                "height": 600,
                "file_size": len(JPEG),
            },
        ],
        caption="Ошибка при входе, скриншот",
    )
    sent = await api.wait_sent(anna.user_id, 2)
    number = ticket_number(sent[0]["text"])
    assert sent[1]["text"] == f"Файл «photo-b1.jpg» приложен к обращению № {number}."
    assert [c.params["file_id"] for c in api.calls_of("getFile")] == ["photo-big"]
    assert api.calls_of("downloadFile")[0].params["path"] == "photos/file_1.jpg"
    ticket = await running.app.services.citizens.lookup(chat_identity(anna.user_id), number)
    async with running.app.services.db.transaction() as uow:
        assert await uow.tickets.count_attachments(ticket.id) == 1


async def test_a_document_named_for_another_type_gets_the_extension_of_its_content(
    running: RunningBot,
) -> None:
    api, anna = running.api, running.citizen()
    anna.says("/operator помогите с заявлением")
    await api.wait_sent(anna.user_id, 1)
    api.files["doc-png"] = ("documents/file_3.pdf", PNG)
    anna.sends(document={"file_id": "doc-png", "file_unique_id": "p1", "file_name": "скан.pdf"})
    attached = (await api.wait_sent(anna.user_id, 2))[-1]
    assert attached["text"].startswith("Файл «скан.png» приложен к обращению №")


async def test_document_of_a_wrong_type_or_size_is_refused(running: RunningBot) -> None:
    api, anna = running.api, running.citizen()
    anna.says("/operator помогите с заявлением")
    await api.wait_sent(anna.user_id, 1)
    api.files["doc-exe"] = ("documents/file_2.exe", b"MZ\x90\x00 not a pdf")
    anna.sends(document={"file_id": "doc-exe", "file_unique_id": "e1", "file_name": "x.exe"})
    refused = (await api.wait_sent(anna.user_id, 2))[-1]
    assert "не подходит" in refused["text"]
    anna.sends(
        document={
            "file_id": "doc-huge",
            "file_unique_id": "h1",
            "file_name": "скан.pdf",
            "file_size": 50 * 1024 * 1024,
        }
    )
    too_big = (await api.wait_sent(anna.user_id, 3))[-1]
    assert "слишком большой" in too_big["text"]
    assert "doc-huge" not in [c.params["file_id"] for c in api.calls_of("getFile")]


@pytest.mark.parametrize(
    "content",
    [
        {
            "sticker": {
                "file_id": "st",
                "file_unique_id": "st1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        },
        {"voice": {"file_id": "vo", "file_unique_id": "vo1", "duration": 3}},
        {"location": {"latitude": 55.75, "longitude": 37.62}},
    ],
    ids=["sticker", "voice", "location"],
)
async def test_non_text_gets_a_polite_explanation(
    running: RunningBot, content: dict[str, Any]
) -> None:
    api, anna = running.api, running.citizen()
    anna.sends(**content)
    (explained,) = await api.wait_sent(anna.user_id, 1)
    assert explained["text"] == texts.UNSUPPORTED


async def test_one_time_code_is_warned_about_and_stored_masked(running: RunningBot) -> None:
    api, anna = running.api, running.citizen()
    anna.says("мне пришёл код из смс 482193, что с ним делать")
    sent = await api.wait_sent(anna.user_id, 2)
    assert sent[0]["text"] == texts.SECRET_WARNING
    history = await ConversationHistory(running.app.services.db).recent(chat_identity(anna.user_id))
    stored = " ".join(m.text for m in history.messages)
    assert "482193" not in stored
    assert "[код]" in stored


async def test_help_and_cancel(running: RunningBot) -> None:
    api, anna = running.api, running.citizen()
    anna.says("/help")
    (shown,) = await api.wait_sent(anna.user_id, 1)
    assert "/operator" in shown["text"] and "/status" in shown["text"]
    anna.says("/cancel")
    cancelled = (await api.wait_sent(anna.user_id, 2))[-1]
    assert cancelled["text"] == texts.CANCELLED
    assert cancelled["reply_markup"] == {"remove_keyboard": True}


NEW_TOPIC = """\
topic: Новая тема
entries:
  - id: new-topic-question
    question: Как работает новая услуга?
    answer: Новая услуга работает так.
"""


async def test_an_edited_knowledge_base_is_served_without_a_restart(running: RunningBot) -> None:
    api, anna = running.api, running.citizen()
    (running.app.services.settings.kb_dir / "new.yaml").write_text(NEW_TOPIC, encoding="utf-8")
    await api.wait_for(
        lambda: "Новая тема" in running.app.services.answerer.kb.topics, what="the reload"
    )
    anna.says("/start")
    _, topics = await api.wait_sent(anna.user_id, 2)
    assert "Новая тема" in [text for text, _ in buttons(topics)]


async def test_group_chats_are_ignored(running: RunningBot) -> None:
    api, anna = running.api, running.citizen()
    message = {
        "message_id": 1,
        "date": 0,
        "chat": {"id": -100500, "type": "supergroup", "title": "Чат соседей"},
        "from": anna.user,
        "text": "/help",
        "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
    }
    api.push({"message": message})
    anna.says("/help")  # the same message in private is answered
    await api.wait_sent(anna.user_id, 1)
    await asyncio.sleep(0.3)
    assert api.sent(-100500) == []


async def test_an_answer_lists_its_entry_links(running: RunningBot) -> None:
    api, anna = running.api, running.citizen()
    anna.presses(EntryCallback(entry_id="epts-extract").pack(), message_id=1000)
    (answer,) = await api.wait_sent(anna.user_id, 1)
    assert answer["text"].endswith(
        'Полезные ссылки:\n• <a href="https://help.elpts.ru/ru">Портал поддержки ЭПТС</a>'
    )


NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


async def test_a_topic_tapped_twice_shows_its_questions_without_an_apology(
    running: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    api, anna = running.api, running.citizen()
    anna.says("/start")
    _, topics = await api.wait_sent(anna.user_id, 2)
    topic = buttons(topics)[0][1]
    anna.presses(topic, message_id=1001)
    await api.wait_for(lambda: len(api.calls_of("answerCallbackQuery")) == 1, what="1st tap")
    # The second tap asks for what the message shows already: Telegram refuses the edit.
    api.fail(400, 1, methods=("editMessageText",), description=NOT_MODIFIED)
    anna.presses(topic, message_id=1001)
    await api.wait_for(lambda: len(api.calls_of("answerCallbackQuery")) == 2, what="2nd tap")
    answered = [c.params.get("text") for c in api.calls_of("answerCallbackQuery")]
    assert answered == [None, None], "a tap is answered quietly, never with an apology"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_citizen_who_blocked_the_bot_gets_no_apology_and_the_log_says_why(
    running: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    api, anna = running.api, running.citizen()
    api.fail(403, 1, description="Forbidden: bot was blocked by the user")
    anna.says("забыл пароль")
    await api.wait_for(
        lambda: any("не даёт писать в этот чат" in r.getMessage() for r in caplog.records),
        what="the log line",
    )
    anna.says("забыл пароль")  # unblocked: the bot answers again
    (answer,) = await api.wait_sent(anna.user_id, 1)
    assert "пароль" in answer["text"], "no apology to a chat that refused the answer"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert running.polling


async def test_a_command_typed_with_a_capital_letter_is_the_command(running: RunningBot) -> None:
    api, anna = running.api, running.citizen()
    anna.says("/Operator не приходит код подтверждения")  # a phone capitalises the first letter
    (handoff,) = await api.wait_sent(anna.user_id, 1)
    number = ticket_number(handoff["text"])
    anna.says(f"/Status {number}")
    status = (await api.wait_sent(anna.user_id, 2))[-1]
    assert status["text"].startswith(f"Обращение № {number}: Принято")
    anna.says("/Help")
    shown = (await api.wait_sent(anna.user_id, 3))[-1]
    assert shown["text"].startswith("Что я умею")
    history = await ConversationHistory(running.app.services.db).recent(chat_identity(anna.user_id))
    assert not [m.text for m in history.messages if m.text.startswith("/")], (
        "no command in the ticket"
    )


async def test_a_corrected_question_is_answered_as_corrected(running: RunningBot) -> None:
    api, anna = running.api, running.citizen()
    anna.says("как получить эптс")
    (offered,) = await api.wait_sent(anna.user_id, 1)
    assert offered["text"] == "Уточните, пожалуйста, что вы имели в виду:"
    anna.edits(1, "забыл пароль")  # the citizen corrects the message they sent
    answer = (await api.wait_sent(anna.user_id, 2))[-1]
    assert answer["text"].startswith("Новый пароль можно задать самостоятельно")


async def test_a_long_flood_wait_is_one_clear_log_line_and_an_apology(
    running: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    api, anna = running.api, running.citizen()
    api.fail(429, 1, retry_after=600)  # longer than the bot waits out in place
    anna.says("забыл пароль")
    await api.wait_for(
        lambda: any("просит подождать 600 с" in r.getMessage() for r in caplog.records),
        what="the log line",
    )
    (apology,) = await api.wait_sent(anna.user_id, 1)  # Telegram let this one through
    assert apology["text"] == texts.SOMETHING_WENT_WRONG
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert running.polling


async def test_telegram_failing_after_the_retries_is_one_clear_log_line(
    running: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    api, anna = running.api, running.citizen()
    api.fail(502, 3, description="Bad Gateway")  # every attempt at the answer
    anna.says("забыл пароль")
    (apology,) = await api.wait_sent(anna.user_id, 1)
    assert apology["text"] == texts.SOMETHING_WENT_WRONG
    assert any(
        "ответ не отправлен, Telegram отвечал ошибкой на каждую попытку (Bad Gateway)"
        in r.getMessage()
        for r in caplog.records
    )
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    anna.says("забыл пароль")  # Telegram is back: answered as always
    answer = (await api.wait_sent(anna.user_id, 2))[-1]
    assert answer["text"].startswith("Новый пароль")


async def test_a_thumbs_down_tapped_twice_asks_what_was_wrong_once(running: RunningBot) -> None:
    api, anna = running.api, running.citizen()
    anna.says("забыл пароль")
    (answer,) = await api.wait_sent(anna.user_id, 1)
    _, rate_down = buttons(answer)
    anna.presses(rate_down[1], message_id=1001)
    await api.wait_sent(anna.user_id, 2)
    # The second tap reaches the bot after the first took the buttons away.
    api.fail(400, 1, methods=("editMessageReplyMarkup",), description=NOT_MODIFIED)
    anna.presses(rate_down[1], message_id=1001)
    await api.wait_for(lambda: len(api.calls_of("answerCallbackQuery")) == 2, what="2nd tap")
    await asyncio.sleep(0.3)
    assert api.sent_texts(anna.user_id).count(texts.ASK_COMMENT) == 1


async def test_a_topic_button_sent_before_the_base_changed_opens_its_own_topic(
    running: RunningBot,
) -> None:
    api, anna = running.api, running.citizen()
    anna.says("/start")
    _, topics = await api.wait_sent(anna.user_id, 2)
    title, data = buttons(topics)[0]
    assert title == "Вход и учётная запись"
    # A day later a curator has added a topic that comes first in the list.
    kb_dir = running.app.services.settings.kb_dir
    (kb_dir / "000-new.yaml").write_text(NEW_TOPIC, encoding="utf-8")
    await api.wait_for(
        lambda: running.app.services.answerer.kb.topics[0] == "Новая тема", what="the reload"
    )
    anna.presses(data, message_id=1001)
    await api.wait_for(lambda: bool(api.calls_of("editMessageText")), what="the topic")
    shown = api.calls_of("editMessageText")[-1].params["text"]
    assert shown == "Тема «Вход и учётная запись». Выберите вопрос:"


async def test_a_topic_button_of_the_earlier_kind_still_opens_a_topic(running: RunningBot) -> None:
    api, anna = running.api, running.citizen()
    anna.presses(TopicCallback(index=0).pack(), message_id=1001)  # sent by the old version
    await api.wait_for(lambda: bool(api.calls_of("editMessageText")), what="the topic")
    shown = api.calls_of("editMessageText")[-1].params["text"]
    assert shown == "Тема «Вход и учётная запись». Выберите вопрос:"


async def test_a_phone_shared_while_a_ticket_is_open_reaches_its_contacts(
    running: RunningBot,
) -> None:
    api, anna = running.api, running.citizen()
    anna.says("/operator не приходит код подтверждения")
    (handoff,) = await api.wait_sent(anna.user_id, 1)
    number = ticket_number(handoff["text"])
    anna.shares_phone("+7 (912) 345-67-89")
    saved = (await api.wait_sent(anna.user_id, 2))[1]
    assert saved["text"] == texts.PHONE_SAVED.format(phone="+79123456789")
    ticket = await running.app.services.citizens.lookup(chat_identity(anna.user_id), number)
    assert ticket.contacts.phone == "+79123456789", "the specialist can call back, as promised"


async def test_messages_that_arrive_together_are_answered_in_the_order_sent(
    running: RunningBot,
) -> None:
    api, anna = running.api, running.citizen()
    # Sent while the bot was busy: Telegram hands them over in one batch.
    anna.says("забыл пароль")
    anna.says("не приходит смс код")
    anna.says("/operator помогите, пожалуйста")
    sent = await api.wait_sent(anna.user_id, 3)
    await asyncio.sleep(0.5)
    texts_seen = api.sent_texts(anna.user_id)
    assert len(texts_seen) == 3
    assert texts_seen[0].startswith("Новый пароль можно задать самостоятельно")
    assert texts_seen[1].startswith("Попробуйте по порядку")
    assert texts_seen[2].startswith("Обращение № 1"), "both questions answered, then handed off"
    assert sent[2]["text"] == texts_seen[2]


async def test_an_album_of_photos_goes_into_one_ticket(running: RunningBot) -> None:
    api, anna = running.api, running.citizen()
    for index in range(3):
        api.files[f"shot-{index}"] = (f"photos/file_{index}.jpg", JPEG)
        anna.sends(
            media_group_id="album-1",
            photo=[
                {"file_id": f"shot-{index}", "file_unique_id": f"s{index}", "width": 8, "height": 6}
            ],
            **({"caption": "Ошибка при входе"} if index == 0 else {}),
        )
    await api.wait_sent(anna.user_id, 4)
    await asyncio.sleep(0.5)
    assert api.sent_texts(anna.user_id)[1:] == [
        "Файл «photo-s0.jpg» приложен к обращению № 1.",
        "Файл «photo-s1.jpg» приложен к обращению № 1.",
        "Файл «photo-s2.jpg» приложен к обращению № 1.",
    ]
    assert api.sent_texts(anna.user_id)[0].startswith("Обращение № 1")


async def test_an_unknown_command_lists_the_commands_and_opens_no_ticket(
    running: RunningBot,
) -> None:
    api, anna = running.api, running.citizen()
    anna.says("/stauts 5")  # a typo of /status
    (said,) = await api.wait_sent(anna.user_id, 1)
    assert said["text"].startswith("Команды /stauts нет. Напишите вопрос словами или выберите:")
    assert "/operator" in said["text"] and "/status" in said["text"]
    anna.says("/status")
    assert (await api.wait_sent(anna.user_id, 2))[-1]["text"] == texts.NO_TICKETS


async def test_a_message_over_the_limit_says_what_to_do(running: RunningBot) -> None:
    api, anna = running.api, running.citizen()
    letter = "Не могу войти в личный кабинет, пишет что пароль неверный. " * 50  # < 4,096
    anna.says(letter)
    (said,) = await api.wait_sent(anna.user_id, 1)
    assert said["text"] == (
        f"Вопрос слишком длинный: {len(letter.strip())} символов, можно не больше 2000. "
        "Сократите его или отправьте частями, несколькими сообщениями."
    )


async def _ticket_thread(running: RunningBot, number: int) -> list[str]:
    """The texts of the ticket's thread, as operators read it in the console."""
    async with running.app.services.db.transaction() as uow:
        ticket = await uow.tickets.get(number)
        assert ticket is not None
        return [m.text for m in await uow.tickets.messages(ticket.id)]


async def test_a_phone_typed_while_a_ticket_is_open_reaches_its_contacts_and_stays_masked(
    running: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api, anna = running.api, running.citizen()
    anna.says("/operator не приходит код подтверждения")
    (handoff,) = await api.wait_sent(anna.user_id, 1)
    number = ticket_number(handoff["text"])
    anna.says("мой телефон +7 912 345-67-89")
    told = (await api.wait_sent(anna.user_id, 3))[-1]
    assert told["text"] == (
        f"Спасибо, номер +79123456789 добавлен к обращению № {number}: специалист сможет "
        "перезвонить, если понадобится."
    )
    ticket = await running.app.services.citizens.lookup(chat_identity(anna.user_id), number)
    assert ticket.contacts.phone == "+79123456789", "the specialist can call back"
    anna.says("89001112233")  # corrected, without a word
    told = (await api.wait_sent(anna.user_id, 5))[-1]
    assert "+79001112233" in told["text"]
    ticket = await running.app.services.citizens.lookup(chat_identity(anna.user_id), number)
    assert ticket.contacts.phone == "+79001112233"
    thread = await _ticket_thread(running, number)
    assert "мой телефон [телефон]" in thread
    assert not any("912" in t or "900" in t for t in thread)
    assert not any("9123456789" in r.getMessage() for r in caplog.records)


async def test_someone_elses_number_in_a_message_does_not_replace_the_citizens_phone(
    running: RunningBot,
) -> None:
    """«в МФЦ звонила по 8 (495) …» names another number: it replaced the phone the citizen
    had given, on the ticket and for later tickets, and they were told it was added."""
    api, anna = running.api, running.citizen()
    anna.says("/operator не приходит код, мой телефон 8 912 345 67 89")
    sent = await api.wait_sent(anna.user_id, 2)
    number = ticket_number(sent[0]["text"])
    anna.says("в МФЦ звонила по 8 (495) 123-45-67, там не помогли")
    told = (await api.wait_sent(anna.user_id, 3))[-1]["text"]
    assert told == f"Добавили ваше сообщение к обращению № {number}."
    ticket = await running.app.services.citizens.lookup(chat_identity(anna.user_id), number)
    assert ticket.contacts.phone == "+79123456789"
    anna.says("мой новый номер 8 900 111 22 33")  # said to be theirs: it replaces
    told = (await api.wait_sent(anna.user_id, 5))[-1]["text"]
    assert "+79001112233" in told
    ticket = await running.app.services.citizens.lookup(chat_identity(anna.user_id), number)
    assert ticket.contacts.phone == "+79001112233"


async def test_a_phone_typed_with_a_question_opens_the_ticket_with_that_phone(
    running: RunningBot,
) -> None:
    api, anna = running.api, running.citizen()
    anna.says("/operator не приходит код, мой телефон 8 912 345 67 89")
    sent = await api.wait_sent(anna.user_id, 2)
    number = ticket_number(sent[0]["text"])
    assert f"добавлен к обращению № {number}" in sent[1]["text"]
    ticket = await running.app.services.citizens.lookup(chat_identity(anna.user_id), number)
    assert ticket.contacts.phone == "+79123456789"
    assert ticket.question == "не приходит код, мой телефон [телефон]"


async def test_calling_a_person_again_says_the_ticket_is_with_them_and_adds_nothing(
    running: RunningBot,
) -> None:
    api, anna = running.api, running.citizen()
    anna.says("/operator не приходит код подтверждения")
    (handoff,) = await api.wait_sent(anna.user_id, 1)
    number = ticket_number(handoff["text"])
    anna.says(texts.ASK_PERSON_BUTTON)
    told = (await api.wait_sent(anna.user_id, 2))[-1]["text"]
    assert "Добавили ваше сообщение" not in told
    assert told.startswith(
        f"Ваш вопрос уже у специалистов. Обращение № {number}: Принято; ответим до "
    )
    assert told.endswith(
        "Если хотите что-то добавить, просто напишите это сюда: сообщение попадёт в обращение."
    )
    anna.says("/operator")  # the command without words: the same
    assert (await api.wait_sent(anna.user_id, 3))[-1]["text"] == told
    await asyncio.sleep(0.3)
    thread = await _ticket_thread(running, number)
    assert len(thread) == 2, thread  # the question and the hand-off: nothing was added
    assert thread[0] == "не приходит код подтверждения"
    assert len(api.sent(anna.user_id)) == 3


async def test_a_comment_corrected_after_thumbs_down_updates_the_comment(
    running: RunningBot,
) -> None:
    api, anna = running.api, running.citizen()
    anna.says("забыл пароль")
    (answer,) = await api.wait_sent(anna.user_id, 1)
    _, rate_down = buttons(answer)
    anna.presses(rate_down[1], message_id=1000)
    await api.wait_sent(anna.user_id, 2)
    (prompt_id,) = [
        c.result["message_id"]
        for c in api.calls_of("sendMessage")
        if c.params["text"] == texts.ASK_COMMENT
    ]
    anna.replies("нет кнопки", to=prompt_id)  # the citizen's second message
    assert (await api.wait_sent(anna.user_id, 3))[-1]["text"] == texts.THANKS_FOR_COMMENT
    comment_id = 2
    anna.edits(comment_id, "нет кнопки «Восстановить», звоните +7 912 345-67-89")
    told = (await api.wait_sent(anna.user_id, 4))[-1]["text"]
    assert told == "Спасибо, комментарий исправлен: специалисты прочитают новый текст."
    ratings = await running.app.services.ratings.for_entry("account-password-recovery")
    assert [(r.score, r.comment) for r in ratings] == [
        (0, "нет кнопки «Восстановить», звоните [телефон]")
    ]
    await asyncio.sleep(0.5)
    assert len(api.sent(anna.user_id)) == 4, "no answer to the comment as to a question"


async def test_an_order_or_contract_number_is_not_taken_for_the_citizens_phone(
    running: RunningBot,
) -> None:
    api, anna = running.api, running.citizen()
    anna.says("/operator не приходит код подтверждения, мой телефон 8 912 345 67 89")
    sent = await api.wait_sent(anna.user_id, 2)
    number = ticket_number(sent[0]["text"])
    assert "+79123456789" in sent[1]["text"]
    # 11 digits that look like a phone, but the words before them say what they are.
    said = [
        "номер заказа 89001112233 так и не пришёл",
        "по договору 8-900-111-22-44 ничего не ясно",
        "лицевой счёт 9001112255, квитанция 9001112266",
    ]
    for text in said:
        before = len(api.sent(anna.user_id))
        anna.says(text)
        await api.wait_sent(anna.user_id, before + 1)
        await asyncio.sleep(0.3)
        told = [m["text"] for m in api.sent(anna.user_id)[before:]]
        assert told == [f"Добавили ваше сообщение к обращению № {number}."], (text, told)
    ticket = await running.app.services.citizens.lookup(chat_identity(anna.user_id), number)
    assert ticket.contacts.phone == "+79123456789", "the citizen's own number stays"
