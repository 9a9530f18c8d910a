"""The operators' forum group: a topic per ticket, replies from topics and from the console,
buttons, refusals.

The real bot polls the fake Bot API; operators' updates come from a forum supergroup.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from aiogram.types import TelegramObject

from bot.core.accounts import Accounts
from bot.core.attachments import Upload
from bot.core.citizen_tickets import CitizenTickets
from bot.core.contacts import Contacts
from bot.core.conversation import ConversationService
from bot.core.desk import Desk
from bot.core.errors import RecipientRefusedError
from bot.core.identity import Identity
from bot.core.live_kb import LiveMatcher
from bot.core.records import Operator, OutboxMessage
from bot.core.roles import Role
from bot.core.staff_cards import StaffTopic
from bot.core.ticket_status import TicketStatus
from bot.core.tickets import Via
from bot.core.workhours import WorkCalendar
from bot.storage.database import open_database
from bot.telegram.app import TelegramApp, telegram_app
from bot.telegram.identity import chat_identity
from bot.telegram.settings import TelegramSettings
from bot.telegram.staff_texts import StaffCallback
from matcher import Morphology
from tests.bot.core.conftest import PASSWORD, fast_passwords
from tests.bot.telegram.citizen import Citizen
from tests.bot.telegram.fake_api import FakeBotApi

pytestmark = pytest.mark.anyio

STAFF_CHAT = -1001234567890
TICKET_NUMBER = re.compile(r"Обращение № (\d+)")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # enough of a PNG for the type check
# Longer than the outbox's longest wait to retry here (FAST_OUTBOX: 0.4 s, then its 50 ms
# poll) and six passes of the group's poll: a duplicate would show by then.
QUIET_SECONDS = 0.6
Json = dict[str, Any]


@dataclass
class StaffMember:
    """Someone in the operators' forum group."""

    api: FakeBotApi
    user_id: int
    first_name: str = "Ольга"
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _last: int = 0  # the id of the member's latest message

    @property
    def user(self) -> Json:
        return {"id": self.user_id, "is_bot": False, "first_name": self.first_name}

    @property
    def chat(self) -> Json:
        return {"id": STAFF_CHAT, "type": "supergroup", "title": "Операторы", "is_forum": True}

    def writes(self, text: str, *, thread_id: int | None, edited: bool = False) -> int:
        """A message in a topic (or in the general topic when `thread_id` is None); `edited`:
        the member's previous message corrected to `text` instead."""
        if not edited:
            self._last = 90_000 + self.user_id * 100 + next(self._ids)
        message: Json = {
            "message_id": self._last,
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.user,
            "text": text,
        }
        if thread_id is not None:
            message.update(message_thread_id=thread_id, is_topic_message=True)
        if edited:
            message["edit_date"] = message["date"]
            return self.api.push({"edited_message": message})
        return self.api.push({"message": message})

    def presses(self, data: str, *, message_id: int, thread_id: int) -> int:
        """Press a button under the bot's message in a topic."""
        return self.api.push(
            {
                "callback_query": {
                    "id": f"staff-{self.user_id}-{next(self._ids)}",
                    "from": self.user,
                    "chat_instance": "staff",
                    "data": data,
                    "message": {
                        "message_id": message_id,
                        "date": int(time.time()),
                        "chat": self.chat,
                        "message_thread_id": thread_id,
                        "is_topic_message": True,
                        "from": {"id": 7000001, "is_bot": True, "first_name": "Консультант"},
                        "text": "…",
                    },
                }
            }
        )

    def presses_on_an_old_card(self, data: str, *, message_id: int) -> int:
        """Press a button under a message Telegram no longer shows the bot (an
        InaccessibleMessage: date 0, no text, no topic)."""
        return self.api.push(
            {
                "callback_query": {
                    "id": f"staff-{self.user_id}-{next(self._ids)}",
                    "from": self.user,
                    "chat_instance": "staff",
                    "data": data,
                    "message": {"message_id": message_id, "date": 0, "chat": self.chat},
                }
            }
        )


@dataclass
class Group:
    """The bot running with the operators' group, and what the tests use around it."""

    api: FakeBotApi
    settings: TelegramSettings
    morphology: Morphology
    app: TelegramApp | None = None
    answerer: LiveMatcher | None = None  # kept for tickets opened while the bot is down
    handling: int = 0  # updates fetched whose handling has not ended

    @asynccontextmanager
    async def running(self) -> AsyncIterator[TelegramApp]:
        """The bot polling until the block ends (a restart is a second block)."""
        async with telegram_app(self.settings, morphology=self.morphology) as app:
            app.dispatcher.update.outer_middleware(self._counted)
            stop = asyncio.Event()
            task = asyncio.create_task(app.run(stop))
            self.app, self.answerer = app, app.services.answerer
            try:
                yield app
            finally:
                stop.set()
                await asyncio.wait_for(task, timeout=10)
                self.app = None

    async def _counted(
        self,
        handler: Callable[[TelegramObject, Json], Awaitable[Any]],
        event: TelegramObject,
        data: Json,
    ) -> Any:
        """Handle an update, counted in `handling` meanwhile."""
        self.handling += 1
        try:
            return await handler(event, data)
        finally:
            self.handling -= 1

    @property
    def running_app(self) -> TelegramApp:
        assert self.app is not None
        return self.app

    async def operator(
        self, login: str, name: str, *, telegram_user_id: int | None, role: Role = Role.OPERATOR
    ) -> Operator:
        """An operator account, linked to a Telegram user when one is given."""
        accounts = Accounts(self.running_app.services.db, passwords=fast_passwords())
        who = await accounts.create(login, PASSWORD, role=role, display_name=name)
        if telegram_user_id is not None:
            who = await accounts.set_telegram_user(login, telegram_user_id)
        return who

    async def telegram_ticket(self, chat_id: int, question: str) -> int:
        """A citizen asks for a person in their private chat; the ticket's number."""
        before = len(self.api.sent(chat_id))
        self.api.push(_private(chat_id, f"/operator {question}"))
        sent = await self.api.wait_sent(chat_id, before + 1)
        found = TICKET_NUMBER.search(sent[-1]["text"])
        assert found, sent[-1]["text"]
        return int(found.group(1))

    async def web_ticket(self, session: str, question: str, contacts: Contacts) -> int:
        """A ticket opened by another process (the web app) on the same database."""
        assert self.answerer is not None
        db = await open_database(self.settings.database_url)
        try:
            conversations = ConversationService(
                db,
                self.answerer,
                calendar=WorkCalendar(self.settings.core.working_hours),
                settings=self.settings.core,
            )
            reply = await conversations.request_person(
                Identity("web", session), question, contacts=contacts
            )
        finally:
            await db.close()
        assert reply.ticket_number is not None
        return reply.ticket_number

    async def web_message(self, session: str, text: str) -> None:
        """The web citizen writes again (to their open ticket), from another process."""
        assert self.answerer is not None
        db = await open_database(self.settings.database_url)
        try:
            conversations = ConversationService(
                db,
                self.answerer,
                calendar=WorkCalendar(self.settings.core.working_hours),
                settings=self.settings.core,
            )
            await conversations.handle(Identity("web", session), text)
        finally:
            await db.close()

    async def topic(self, number: int) -> StaffTopic:
        """The ticket's topic once its card is posted."""
        board = self.running_app.services.staff
        assert board is not None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            for topic in await board.topics():
                if topic.ticket_number == number and topic.card_message_id is not None:
                    return topic
            await asyncio.sleep(0.05)
        raise AssertionError(f"no topic for ticket № {number}; calls: {self.api.calls[-10:]}")

    async def settled(self, *, delivered: bool = True, shown: bool = True) -> None:
        """Wait until the bot is done with what it was given, before asserting what did not
        happen: every update pushed fetched and handled, no reply to a Telegram chat left to deliver
        (`delivered`; web citizens' replies are the web app's), every ticket's topic made and
        showing its news (`shown`), and then no call but polling answered for QUIET_SECONDS."""
        deadline = time.monotonic() + 15
        while not (
            await self._idle(delivered=delivered, shown=shown)
            and await self._quiet()
            and await self._idle(delivered=delivered, shown=shown)
        ):
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot never settled; calls: {self.api.calls[-10:]}")
            await asyncio.sleep(0.02)

    async def _idle(self, *, delivered: bool, shown: bool) -> bool:
        if self.api.unfetched or self.handling:
            return False
        async with self.running_app.services.db.transaction() as uow:
            if delivered and await uow.outbox.undelivered_count("telegram"):
                return False
            if shown and (
                await uow.staff_topics.unannounced_tickets(STAFF_CHAT, 1)
                or await uow.staff_topics.with_news(STAFF_CHAT, 1)
            ):
                return False
        return True

    async def _quiet(self) -> bool:
        """No call but polling answered for QUIET_SECONDS."""
        answered = self._answered()
        deadline = time.monotonic() + QUIET_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            if self._answered() != answered:
                return False
        return True

    def _answered(self) -> int:
        return sum(1 for c in self.api.calls if c.status == 200 and c.method != "getUpdates")

    async def shows_everything(self, number: int) -> bool:
        """The ticket's topic shows all the group is to be shown of it: it has dealt with
        every event and message of the ticket (the announcer records them once posted)."""
        async with self.running_app.services.db.transaction() as uow:
            behind = await uow.staff_topics.with_news(STAFF_CHAT, 1000)
        return all(t.ticket_number != number for t in behind)

    async def outbox(self, number: int) -> list[OutboxMessage]:
        """The messages queued to the ticket's citizen, oldest first."""
        async with self.running_app.services.db.transaction() as uow:
            return list(await uow.outbox.for_ticket(number))

    async def card_saying(self, topic: StaffTopic, text: str) -> Json:
        """The topic's card as last edited, once it says `text`: the card is edited after
        the change is posted into the topic, so a test that saw the change waits for it."""

        def edits() -> list[Json]:
            return [
                c.params
                for c in self.api.calls_of("editMessageText")
                if int(c.params["message_id"]) == topic.card_message_id
            ]

        await self.api.wait_for(
            lambda: bool(edits()) and text in str(edits()[-1]["text"]), what=f"the card: {text}"
        )
        return edits()[-1]

    def in_topic(self, topic: StaffTopic) -> list[str]:
        """Texts the bot posted into a topic."""
        return [
            str(c.params["text"])
            for c in self.api.calls_of("sendMessage")
            if int(c.params["chat_id"]) == STAFF_CHAT
            and int(c.params.get("message_thread_id", 0)) == topic.thread_id
        ]

    async def status(self, number: int) -> TicketStatus:
        async with self.running_app.services.db.transaction() as uow:
            ticket = await uow.tickets.get(number)
        assert ticket is not None
        return ticket.status


async def until(check: Callable[[], Awaitable[bool]], *, what: str, timeout: float = 15.0) -> None:
    """Wait until `check()` holds (a state of the database), or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def _private(chat_id: int, text: str) -> Json:
    content: Json = {"text": text}
    if text.startswith("/"):
        content["entities"] = [
            {"type": "bot_command", "offset": 0, "length": len(text.split(" ", 1)[0])}
        ]
    return {
        "message": {
            "message_id": int(time.time() * 1000) % 1_000_000,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Анна"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Анна"},
            **content,
        }
    }


def topic_numbers(api: FakeBotApi) -> list[int]:
    """Ticket numbers of every topic created in the group, in order."""
    names = [str(p["name"]) for p in api.topics(STAFF_CHAT)]
    return [int(name.split(" ")[1]) for name in names]


@pytest.fixture
def group(api: FakeBotApi, settings: TelegramSettings, morphology: Morphology) -> Group:
    staff_settings = dataclasses.replace(
        settings, staff_chat_id=STAFF_CHAT, staff_poll_interval=0.1
    )
    return Group(api=api, settings=staff_settings, morphology=morphology)


async def test_web_and_telegram_tickets_each_get_one_topic_even_across_a_restart(
    group: Group,
) -> None:
    api = group.api
    async with group.running():
        web = await group.web_ticket(
            "web-session-1",
            "Не приходит код подтверждения на почту",
            Contacts(name="Анна", phone="+79001234567", email="anna.petrova@mail.ru"),
        )
        telegram = await group.telegram_ticket(701, "не могу войти в личный кабинет")
        web_topic = await group.topic(web)
        telegram_topic = await group.topic(telegram)
        await group.settled()
    assert sorted(topic_numbers(api)) == sorted([web, telegram])
    names = {int(p["name"].split(" ")[1]): p["name"] for p in api.topics(STAFF_CHAT)}
    assert names[web] == f"№ {web} · Не приходит код подтверждения на почту"

    (card,) = group.in_topic(web_topic)
    assert f"Обращение № {web}</b> · Принято" in card
    assert "Канал: чат на сайте" in card
    assert "Вопрос: Не приходит код подтверждения на почту" in card
    assert "+7 *** ***-**-67" in card and "a***@mail.ru" in card
    assert "9001234567" not in card and "anna.petrova" not in card
    assert re.search(r"Ответить до: \d\d\.\d\d\.\d{4} \d\d:\d\d МСК", card)
    card_call = next(c for c in api.calls_of("sendMessage") if c.params.get("text") == card)
    buttons = [
        b["text"] for row in card_call.params["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert buttons == ["Взять", "Закрыть", "Передать специалисту"]
    (telegram_card,) = group.in_topic(telegram_topic)
    assert "Канал: Telegram" in telegram_card

    # A ticket opened while the bot is down gets its topic after the restart; none repeat.
    later = await group.web_ticket("web-session-2", "Как сменить номер телефона", Contacts())
    async with group.running():
        await group.topic(later)
        await group.settled()
    assert sorted(topic_numbers(api)) == sorted([web, telegram, later])
    cards = [
        c
        for c in api.calls_of("sendMessage")
        if int(c.params["chat_id"]) == STAFF_CHAT and "<b>Обращение №" in c.params["text"]
    ]
    assert len(cards) == 3


async def test_a_linked_operator_writing_in_the_topic_answers_the_citizen_once(
    group: Group,
) -> None:
    api = group.api
    async with group.running() as app:
        olga = await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        number = await group.telegram_ticket(702, "не приходит смс с кодом")
        topic = await group.topic(number)
        assert topic.thread_id is not None
        StaffMember(api, 4001).writes(
            "Проверьте, не включён ли запрет на СМС.", thread_id=topic.thread_id
        )
        await api.wait_sent(702, 3)
        # The citizen answers back: the operators see it in the topic.
        api.push(_private(702, "спасибо, получилось"))
        await api.wait_for(
            lambda: "💬 Гражданин: спасибо, получилось" in group.in_topic(topic),
            what="the citizen's message in the topic",
        )
        await group.settled()
        details = await app.services.desk.details(olga, number)
    texts = api.sent_texts(702)
    assert texts[1:3] == [
        f"Специалист взял обращение № {number} в работу.",
        f"Ответ по обращению № {number}: Проверьте, не включён ли запрет на СМС.",
    ]
    assert texts.count(texts[2]) == 1
    assert details.ticket.status is TicketStatus.IN_PROGRESS
    assert details.ticket.assignee_id == olga.id
    replies = [m for m in details.messages if m.text == "Проверьте, не включён ли запрет на СМС."]
    assert [m.operator_id for m in replies] == [olga.id]
    assert any(e.action == "taken" and e.operator_id == olga.id for e in details.events)
    shown = group.in_topic(topic)
    assert any(t.startswith("Статус: «В работе» — Ольга Смирнова") for t in shown)
    reactions = api.calls_of("setMessageReaction")
    assert len(reactions) == 1


async def test_info_and_reject_commands_in_the_topic_act_as_the_console_does(
    group: Group,
) -> None:
    api = group.api
    async with group.running():
        await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        olga = StaffMember(api, 4001)
        number = await group.telegram_ticket(703, "не могу подать заявление на загранпаспорт")
        topic = await group.topic(number)
        assert topic.thread_id is not None
        assert "/info текст — запросить сведения" in group.in_topic(topic)[0]  # the card

        olga.writes("/info", thread_id=topic.thread_id)  # nothing to ask: said why, no change
        await api.wait_for(
            lambda: any(
                "что нужно уточнить у гражданина" in str(c.params["text"])
                for c in api.calls_of("sendMessage")
                if int(c.params["chat_id"]) == STAFF_CHAT
            ),
            what="the refusal of an empty /info",
        )
        assert await group.status(number) is TicketStatus.NEW
        olga.writes("/inf номер заявления?", thread_id=topic.thread_id)  # mistyped: not sent
        await api.wait_for(
            lambda: any("Команда /inf не знакома" in t for t in group.in_topic(topic)),
            what="the mistyped command named",
        )
        assert await group.status(number) is TicketStatus.NEW

        olga.writes("/info Пришлите, пожалуйста, номер заявления", thread_id=topic.thread_id)
        asked = (await api.wait_sent(703, 3))[-1]["text"]
        assert asked == (
            f"По обращению № {number} нужны дополнительные сведения: "
            "Пришлите, пожалуйста, номер заявления"
        )
        assert await group.status(number) is TicketStatus.NEEDS_INFO

        olga.writes("/reject@faqbot_test_bot Вопрос не о госуслугах", thread_id=topic.thread_id)
        rejected = (await api.wait_sent(703, 4))[-1]["text"]
        assert rejected == f"Обращение № {number} отклонено. Причина: Вопрос не о госуслугах"
        assert await group.status(number) is TicketStatus.REJECTED
        await group.settled()
    texts = api.sent_texts(703)
    assert not any("/inf" in t or "/reject" in t for t in texts), "commands are not replies"
    assert len(api.calls_of("setMessageReaction")) == 2


async def test_buttons_take_escalate_and_close_through_the_desk(group: Group) -> None:
    api = group.api
    async with group.running():
        await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        olga = StaffMember(api, 4001)
        first = await group.telegram_ticket(703, "не могу подать заявление")
        second = await group.web_ticket("web-session-3", "ошибка при оплате пошлины", Contacts())
        topic = await group.topic(first)
        other = await group.topic(second)
        assert topic.thread_id is not None and topic.card_message_id is not None
        assert other.thread_id is not None and other.card_message_id is not None

        take = StaffCallback(action="take", number=first).pack()
        olga.presses(take, message_id=topic.card_message_id, thread_id=topic.thread_id)
        await api.wait_for(
            lambda: any(
                "В работе у: Ольга Смирнова" in str(c.params.get("text"))
                for c in api.calls_of("editMessageText")
            ),
            what="the card showing who took it",
        )
        assert await group.status(first) is TicketStatus.IN_PROGRESS

        close = StaffCallback(action="close", number=first).pack()
        olga.presses(close, message_id=topic.card_message_id, thread_id=topic.thread_id)
        await api.wait_for(
            lambda: any("Завершено" in t for t in group.in_topic(topic)), what="closed"
        )
        assert await group.status(first) is TicketStatus.RESOLVED
        card = await group.card_saying(topic, "· Завершено")
        assert "reply_markup" not in card or not card["reply_markup"]

        escalate = StaffCallback(action="escalate", number=second).pack()
        olga.presses(escalate, message_id=other.card_message_id, thread_id=other.thread_id)
        await api.wait_for(
            lambda: any("Передано специалисту" in t for t in group.in_topic(other)),
            what="escalated",
        )
        assert await group.status(second) is TicketStatus.ESCALATED
        await group.settled()
    answers = [c.params for c in api.calls_of("answerCallbackQuery")]
    assert [a.get("show_alert") for a in answers] == [None, None, None]
    assert any(f"№ {first} закрыто" in a["text"] for a in answers)
    # The citizen was told, once each, through the outbox.
    texts = api.sent_texts(703)
    assert texts.count(f"Специалист взял обращение № {first} в работу.") == 1
    assert any(f"№ {first}" in t and "заверш" in t.lower() for t in texts[2:])


async def test_an_unlinked_or_disabled_member_is_refused_and_nothing_changes(
    group: Group,
) -> None:
    api = group.api
    async with group.running() as app:
        await group.operator("boris", "Борис Котов", telegram_user_id=4002)
        await app.services.accounts.set_active("boris", False)
        number = await group.telegram_ticket(704, "заявление зависло")
        topic = await group.topic(number)
        assert topic.thread_id is not None and topic.card_message_id is not None
        stranger, boris = StaffMember(api, 4999, "Гость"), StaffMember(api, 4002, "Борис")
        take = StaffCallback(action="take", number=number).pack()
        stranger.presses(take, message_id=topic.card_message_id, thread_id=topic.thread_id)
        boris.presses(take, message_id=topic.card_message_id, thread_id=topic.thread_id)
        stranger.writes("Сейчас отвечу", thread_id=topic.thread_id)
        stranger.writes("Всем привет", thread_id=None)  # the general topic: not a reply
        await api.wait_for(lambda: len(api.calls_of("answerCallbackQuery")) == 2, what="refusals")
        await api.wait_for(
            lambda: any("не связан" in t for t in group.in_topic(topic)), what="the reply"
        )
        await group.settled()
        assert await group.status(number) is TicketStatus.NEW
    refusals = [c.params for c in api.calls_of("answerCallbackQuery")]
    assert all(str(r["show_alert"]).lower() == "true" for r in refusals)
    assert "не связан" in refusals[0]["text"] and "faqbot user telegram" in refusals[0]["text"]
    assert "отключена" in refusals[1]["text"]
    assert len(api.sent(704)) == 1  # the citizen heard nothing more
    general = [
        c
        for c in api.calls_of("sendMessage")
        if int(c.params["chat_id"]) == STAFF_CHAT and "message_thread_id" not in c.params
    ]
    assert general == []
    assert api.calls_of("editMessageText") == []


async def test_flood_control_on_topic_creation_still_ends_with_one_topic(group: Group) -> None:
    api = group.api
    # Once within what the bot waits out in place, once longer (the claim is retried later).
    api.fail(429, 1, methods=("createForumTopic",), retry_after=1)
    api.fail(429, 1, methods=("createForumTopic",), retry_after=6)
    async with group.running():
        number = await group.telegram_ticket(705, "не работает электронная подпись")
        await group.topic(number)
        await group.settled()
    statuses = [c.status for c in api.calls_of("createForumTopic", ok_only=False)]
    assert statuses == [429, 429, 200]
    assert topic_numbers(api) == [number]


async def test_a_status_change_in_the_console_is_posted_into_the_topic(group: Group) -> None:
    api = group.api
    async with group.running() as app:
        olga = await group.operator("olga", "Ольга Смирнова", telegram_user_id=None)
        number = await group.telegram_ticket(706, "как записаться к врачу")
        topic = await group.topic(number)
        await Desk(app.services.db).take(olga, number)  # as the console does
        await api.wait_for(
            lambda: any("«В работе» — Ольга Смирнова" in t for t in group.in_topic(topic)),
            what="the change in the topic",
        )
        await group.card_saying(topic, "В работе у: Ольга Смирнова")


async def test_console_replies_are_posted_into_the_topic_once_and_topic_replies_are_not_echoed(
    group: Group,
) -> None:
    api = group.api
    console_reply = "Проверьте <папку> «Спам» & повторите вход."
    shown_reply = (
        "✉️ Ответ специалиста (Ольга Смирнова): Проверьте &lt;папку&gt; «Спам» &amp; повторите вход."
    )
    shown_request = "✉️ Ответ специалиста (Ольга Смирнова): Какой у вас оператор связи?"
    async with group.running() as app:
        olga = await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        number = await group.telegram_ticket(707, "не приходит код подтверждения")
        topic = await group.topic(number)
        assert topic.thread_id is not None
        console = Desk(app.services.db)  # the desk as the web console calls it
        await console.take(olga, number)
        await console.reply(olga, number, console_reply, via=Via.CONSOLE)
        await api.wait_for(lambda: shown_reply in group.in_topic(topic), what="the console reply")
        StaffMember(api, 4001).writes("Напишите, если не поможет.", thread_id=topic.thread_id)
        await api.wait_for(lambda: len(api.calls_of("setMessageReaction")) == 1, what="👍")
        await console.ask_for_information(
            olga, number, "Какой у вас оператор связи?", via=Via.CONSOLE
        )
        await api.wait_for(lambda: shown_request in group.in_topic(topic), what="the request")
        await group.settled()
    polled = len(api.calls_of("getUpdates"))
    async with group.running():  # a restart repeats nothing
        await api.wait_for(lambda: len(api.calls_of("getUpdates")) > polled, what="polling")
        await group.settled()

    posted = [
        c.params
        for c in api.calls_of("sendMessage")
        if c.params.get("text") in {shown_reply, shown_request}
    ]
    assert [(int(p["chat_id"]), int(p["message_thread_id"])) for p in posted] == [
        (STAFF_CHAT, topic.thread_id),
        (STAFF_CHAT, topic.thread_id),
    ]
    assert [p["text"] for p in posted] == [shown_reply, shown_request]
    shown = group.in_topic(topic)
    assert not any("Напишите, если не поможет." in t for t in shown)  # it is in the topic already
    needs_info = next(i for i, t in enumerate(shown) if t.startswith("Статус: «Нужны сведения»"))
    assert shown.index(shown_request) == needs_info - 1
    # The citizen got both console messages and the one from the topic.
    texts = api.sent_texts(707)
    assert f"Ответ по обращению № {number}: Напишите, если не поможет." in texts


async def test_answers_from_the_base_are_suggested_in_the_topic_and_sent_by_a_button(
    group: Group,
) -> None:
    """`/answers` posts the entries that fit the ticket (or the words given), each with a
    button that sends its answer to the citizen as the operator's reply, once."""
    api = group.api
    async with group.running() as app:
        olga_account = await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        olga = StaffMember(api, 4001)
        number = await group.telegram_ticket(704, "не могу вспомнить пароль от госуслуг")
        topic = await group.topic(number)
        assert topic.thread_id is not None
        olga.writes("/answers", thread_id=topic.thread_id)
        await api.wait_for(
            lambda: any("Как восстановить пароль" in t for t in group.in_topic(topic)),
            what="suggestions in the topic",
        )
        posted = next(
            c
            for c in api.calls_of("sendMessage")
            if int(c.params["chat_id"]) == STAFF_CHAT
            and "<b>Как восстановить пароль от Госуслуг?</b>" in str(c.params["text"])
        )
        entry = app.services.answerer.kb.get("account-password-recovery")
        assert entry is not None
        assert entry.answer.splitlines()[0] in posted.params["text"]
        (button,) = [b for row in posted.params["reply_markup"]["inline_keyboard"] for b in row]
        assert button["text"] == "Отправить гражданину"
        assert "Соедините меня с оператором" not in " ".join(group.in_topic(topic))

        olga.presses(
            button["callback_data"],
            message_id=int(posted.result["message_id"]),
            thread_id=topic.thread_id,
        )
        await api.wait_for(
            lambda: any(entry.answer.splitlines()[0] in t for t in api.sent_texts(704)),
            what="the answer delivered to the citizen",
        )
        await api.wait_for(
            lambda: bool(api.calls_of("editMessageReplyMarkup")), what="the button removed"
        )

        olga.writes("/answers выписка   эптс", thread_id=topic.thread_id)
        await api.wait_for(
            lambda: any("Как получить выписку об ЭПТС?" in t for t in group.in_topic(topic)),
            what="suggestions for the words",
        )
        olga.writes("/answers рецепт борща со сметаной", thread_id=topic.thread_id)
        await api.wait_for(
            lambda: any("не нашлось" in t for t in group.in_topic(topic)),
            what="nothing found",
        )
        await group.settled()
        details = await app.services.desk.details(olga_account, number)
        async with app.services.db.transaction() as uow:
            records = await uow.questions.between(None, None)
    # Curators will see which entry the ticket's question needed.
    assert {r.ticket_number: r.operator_entry_id for r in records} == {
        number: "account-password-recovery"
    }
    delivered = [t for t in api.sent_texts(704) if entry.answer.splitlines()[0] in t]
    assert len(delivered) == 1
    assert details.ticket.status is TicketStatus.IN_PROGRESS
    assert details.ticket.assignee_id == olga_account.id
    assert [m.operator_id for m in details.messages if m.text == entry.answer] == [olga_account.id]
    (alert,) = [
        c.params
        for c in api.calls_of("answerCallbackQuery")
        if "Ответ из базы отправлен" in str(c.params.get("text", ""))
    ]
    assert alert["text"] == f"Ответ из базы отправлен гражданину по обращению № {number}."


async def test_close_waits_for_a_citizens_message_the_topic_does_not_show_yet(
    group: Group,
) -> None:
    """The citizen wrote, but the group could not post it into the topic yet: «Закрыть»
    closed the ticket with that message unread. Now the press is refused with an alert and
    nothing changes; once the topic shows the message, a second press closes the ticket."""
    api = group.api
    late = "Подождите, пошлина всё-таки списалась дважды"
    async with group.running():
        await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        olga = StaffMember(api, 4001)
        number = await group.web_ticket("web-session-9", "ошибка при оплате пошлины", Contacts())
        topic = await group.topic(number)
        assert topic.thread_id is not None and topic.card_message_id is not None
        take = StaffCallback(action="take", number=number).pack()
        olga.presses(take, message_id=topic.card_message_id, thread_id=topic.thread_id)
        await api.wait_for(
            lambda: any("В работе" in t for t in group.in_topic(topic)), what="taken"
        )
        api.fail(500, 10_000, methods=("sendMessage",))  # the group posts nothing for now
        await group.web_message("web-session-9", late)
        close = StaffCallback(action="close", number=number).pack()
        olga.presses(close, message_id=topic.card_message_id, thread_id=topic.thread_id)
        await api.wait_for(
            lambda: len(api.calls_of("answerCallbackQuery")) == 2, what="the refusal"
        )
        refusal = api.calls_of("answerCallbackQuery")[-1].params
        assert refusal["text"] == (
            f"Обращение № {number} не закрыто: гражданин прислал новое сообщение, оно сейчас "
            "появится в теме. Прочитайте его и нажмите «Закрыть» ещё раз."
        )
        assert str(refusal["show_alert"]).lower() == "true"
        assert await group.status(number) is TicketStatus.IN_PROGRESS

        api.recover()
        await api.wait_for(
            lambda: any(late in t for t in group.in_topic(topic)), what="the message shown"
        )
        olga.presses(close, message_id=topic.card_message_id, thread_id=topic.thread_id)
        await api.wait_for(
            lambda: any("Завершено" in t for t in group.in_topic(topic)), what="closed"
        )
        assert await group.status(number) is TicketStatus.RESOLVED


async def test_a_command_typed_with_a_capital_letter_is_the_command(group: Group) -> None:
    api = group.api
    async with group.running():
        await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        olga = StaffMember(api, 4001)
        number = await group.telegram_ticket(708, "не могу подать заявление")
        topic = await group.topic(number)
        assert topic.thread_id is not None

        # A phone's keyboard capitalises the first letter of a message.
        olga.writes("/Info Пришлите номер заявления", thread_id=topic.thread_id)
        asked = (await api.wait_sent(708, 3))[-1]["text"]
        assert (
            asked
            == f"По обращению № {number} нужны дополнительные сведения: Пришлите номер заявления"
        )
        assert await group.status(number) is TicketStatus.NEEDS_INFO
        olga.writes("/Answers пароль", thread_id=topic.thread_id)
        await api.wait_for(
            lambda: any(t.startswith("<b>") for t in group.in_topic(topic)),
            what="answers from the base",
        )
    assert not any("не знакома" in t for t in group.in_topic(topic))


async def test_a_reply_edited_in_the_topic_says_the_citizen_keeps_the_first_text(
    group: Group,
) -> None:
    api = group.api
    async with group.running():
        await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        olga = StaffMember(api, 4001)
        number = await group.telegram_ticket(709, "не могу подать заявление")
        topic = await group.topic(number)
        assert topic.thread_id is not None
        olga.writes("Проверьте, не включён ли запрет на СМС", thread_id=topic.thread_id)
        await api.wait_sent(709, 3)  # taken, then the reply
        olga.writes(
            "Проверьте, не включён ли запрет на SMS", thread_id=topic.thread_id, edited=True
        )
        await api.wait_for(
            lambda: any(t.startswith("Исправление не отправлено") for t in group.in_topic(topic)),
            what="the warning in the topic",
        )
        await group.settled()
    assert api.sent_texts(709)[-1] == (
        f"Ответ по обращению № {number}: Проверьте, не включён ли запрет на СМС"
    )
    assert len(api.sent_texts(709)) == 3


async def test_a_reply_to_a_closed_ticket_says_how_to_reopen_it_and_reopen_works(
    group: Group,
) -> None:
    api = group.api
    async with group.running():
        await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        olga = StaffMember(api, 4001)
        number = await group.telegram_ticket(710, "не могу подать заявление")
        topic = await group.topic(number)
        assert topic.thread_id is not None and topic.card_message_id is not None
        olga.writes("Заявление подано за вас", thread_id=topic.thread_id)  # takes it
        await api.wait_sent(710, 3)
        close = StaffCallback(action="close", number=number).pack()
        olga.presses(close, message_id=topic.card_message_id, thread_id=topic.thread_id)
        await api.wait_for(
            lambda: any("Завершено" in t for t in group.in_topic(topic)), what="closed"
        )
        # The closed card has no buttons: it says how.
        await group.card_saying(topic, "/reopen причина")

        olga.writes("И ещё: очистите кэш браузера", thread_id=topic.thread_id)
        await api.wait_for(
            lambda: any("/reopen" in t for t in group.in_topic(topic)[-1:]), what="the hint"
        )
        assert group.in_topic(topic)[-1] == (
            f"Обращение № {number} закрыто («Завершено»): гражданину ничего не отправлено. "
            "Чтобы продолжить, верните его в работу командой /reopen причина и напишите ещё раз."
        )
        olga.writes("/reopen гражданин уточнил вопрос", thread_id=topic.thread_id)
        reopened = f"Обращение № {number} снова в работе; ответим до "
        await api.wait_for(
            lambda: any(t.startswith(reopened) for t in api.sent_texts(710)),
            what="the citizen told",
        )
        assert await group.status(number) is TicketStatus.IN_PROGRESS
        olga.writes("И ещё: очистите кэш браузера", thread_id=topic.thread_id)
        reply = f"Ответ по обращению № {number}: И ещё: очистите кэш браузера"
        await api.wait_for(lambda: reply in api.sent_texts(710), what="the reply")
    assert api.sent_texts(710).count(reply) == 1


async def test_a_button_on_an_out_of_date_card_of_a_closed_ticket_names_reopen(
    group: Group,
) -> None:
    """The card was closed from the console, or its edit had not arrived yet: its buttons
    are still there. Each says how to go on in the group (until 2026-12-05 they said
    «…верните его в работу», the console's words, without the command)."""
    api = group.api
    async with group.running():
        olga_account = await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        olga = StaffMember(api, 4001)
        number = await group.telegram_ticket(715, "уже решил вопрос по телефону")
        topic = await group.topic(number)
        assert topic.thread_id is not None and topic.card_message_id is not None
        await group.running_app.services.desk.resolve(
            olga_account, number, via=Via.CONSOLE, take_waiting=True
        )
        for count, (action, said) in enumerate(
            [
                ("take", "взять в работу"),
                ("close", "завершить"),
                ("escalate", "передать специалисту"),
            ],
            start=1,
        ):
            pressed = StaffCallback(action=action, number=number).pack()
            olga.presses(pressed, message_id=topic.card_message_id, thread_id=topic.thread_id)
            await api.wait_for(
                lambda: len(api.calls_of("answerCallbackQuery")) == count,  # noqa: B023
                what=f"the answer to «{action}»",
            )
            alert = api.calls_of("answerCallbackQuery")[-1].params
            assert alert["text"] == (
                f"Обращение № {number} закрыто («Завершено»): действие «{said}» недоступно. "
                "Чтобы продолжить, верните его в работу командой /reopen причина."
            )
            assert alert["show_alert"] in (True, "true")
        assert await group.status(number) is TicketStatus.RESOLVED


async def test_closing_a_new_ticket_from_its_card_takes_and_closes_it(group: Group) -> None:
    api = group.api
    async with group.running():
        olga_account = await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        olga = StaffMember(api, 4001)
        number = await group.telegram_ticket(711, "уже решил вопрос по телефону")
        topic = await group.topic(number)
        assert topic.thread_id is not None and topic.card_message_id is not None
        close = StaffCallback(action="close", number=number).pack()
        olga.presses(close, message_id=topic.card_message_id, thread_id=topic.thread_id)
        await api.wait_for(lambda: bool(api.calls_of("answerCallbackQuery")), what="the answer")
        (answered,) = [c.params for c in api.calls_of("answerCallbackQuery")]
        assert answered["text"] == f"Обращение № {number} закрыто."
        assert not answered.get("show_alert")
        assert await group.status(number) is TicketStatus.RESOLVED
        async with group.running_app.services.db.transaction() as uow:
            ticket = await uow.tickets.get(number)
        assert ticket is not None and ticket.assignee_id == olga_account.id


async def test_a_photo_posted_in_the_topic_is_said_not_to_reach_the_citizen(group: Group) -> None:
    api = group.api
    async with group.running():
        await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        number = await group.telegram_ticket(712, "где кнопка подачи заявления")
        topic = await group.topic(number)
        assert topic.thread_id is not None
        api.push(
            {
                "message": {
                    "message_id": 95_001,
                    "date": int(time.time()),
                    "chat": StaffMember(api, 4001).chat,
                    "from": StaffMember(api, 4001).user,
                    "message_thread_id": topic.thread_id,
                    "is_topic_message": True,
                    "photo": [{"file_id": "shot", "file_unique_id": "s", "width": 9, "height": 9}],
                    "caption": "Вот где кнопка",
                }
            }
        )
        await api.wait_for(
            lambda: any(
                t.startswith("Гражданину ничего не отправлено") for t in group.in_topic(topic)
            ),
            what="the warning in the topic",
        )
        await group.settled()
        assert await group.status(number) is TicketStatus.NEW
    assert len(api.sent_texts(712)) == 1  # the hand-off only


async def test_a_file_and_a_phone_the_citizen_sends_are_shown_in_the_topic(group: Group) -> None:
    api = group.api
    api.files["shot"] = ("photos/file_1.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64)  # a JPEG
    async with group.running():
        await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        olga = StaffMember(api, 4001)
        number = await group.telegram_ticket(713, "ошибка при входе")
        topic = await group.topic(number)
        assert topic.thread_id is not None and topic.card_message_id is not None
        olga.writes("/info Пришлите снимок экрана с ошибкой", thread_id=topic.thread_id)
        await api.wait_sent(713, 3)
        anna = Citizen(api, 713)
        anna.sends(photo=[{"file_id": "shot", "file_unique_id": "b1", "width": 8, "height": 6}])
        await api.wait_for(lambda: bool(api.documents(STAFF_CHAT)), what="the file")
        anna.shares_phone("+79123456789")
        await api.wait_for(
            lambda: any(
                t.startswith("📇 Гражданин оставил контакты") for t in group.in_topic(topic)
            ),
            what="the contacts",
        )
        assert await group.status(number) is TicketStatus.IN_PROGRESS
        await group.card_saying(topic, "Контакты: Анна Петрова, +7 *** ***-**-89")
    (posted,) = api.documents(STAFF_CHAT)  # the file itself, for the operators to open
    assert posted["document"]["filename"] == "photo-b1.jpg"
    assert posted["caption"].startswith("📎 Гражданин приложил файл «photo-b1.jpg».")


async def test_a_suggested_answer_sent_after_the_ticket_closed_says_how_to_reopen(
    group: Group,
) -> None:
    api = group.api
    async with group.running():
        await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        olga = StaffMember(api, 4001)
        number = await group.telegram_ticket(714, "не могу вспомнить пароль от госуслуг")
        topic = await group.topic(number)
        assert topic.thread_id is not None and topic.card_message_id is not None
        olga.writes("/answers", thread_id=topic.thread_id)
        await api.wait_for(
            lambda: any("Как восстановить пароль" in t for t in group.in_topic(topic)),
            what="suggestions in the topic",
        )
        posted = next(
            c
            for c in api.calls_of("sendMessage")
            if "<b>Как восстановить пароль от Госуслуг?</b>" in str(c.params["text"])
        )
        (button,) = [b for row in posted.params["reply_markup"]["inline_keyboard"] for b in row]
        close = StaffCallback(action="close", number=number).pack()
        olga.presses(close, message_id=topic.card_message_id, thread_id=topic.thread_id)
        await api.wait_for(lambda: bool(api.calls_of("answerCallbackQuery")), what="closed")
        olga.presses(
            button["callback_data"],
            message_id=int(posted.result["message_id"]),
            thread_id=topic.thread_id,
        )
        await api.wait_for(
            lambda: len(api.calls_of("answerCallbackQuery")) == 2, what="the button's answer"
        )
    alert = api.calls_of("answerCallbackQuery")[-1].params
    assert alert["text"] == (
        f"Обращение № {number} закрыто («Завершено»): гражданину ничего не отправлено. "
        "Чтобы продолжить, верните его в работу командой /reopen причина и напишите ещё раз."
    )
    assert alert["show_alert"] in (True, "true")


async def test_a_reply_to_a_citizen_who_blocked_the_bot_is_reported_in_the_topic_and_kept(
    group: Group,
) -> None:
    api = group.api
    async with group.running():
        await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        olga = StaffMember(api, 4001)
        number = await group.telegram_ticket(715, "не могу подать заявление")
        topic = await group.topic(number)
        assert topic.thread_id is not None
        blocked = "Forbidden: bot was blocked by the user"
        api.fail(403, 8, description=blocked, chat_id=715)  # the citizen blocked the bot
        olga.writes("Проверьте раздел «Заявления»", thread_id=topic.thread_id)
        await api.wait_for(
            lambda: any(
                t.startswith("⚠️ Сообщение гражданину не доставлено") for t in group.in_topic(topic)
            ),
            what="the warning in the topic",
        )
        # Unblocked later: what was kept reaches the citizen, each once.
        reply = f"Ответ по обращению № {number}: Проверьте раздел «Заявления»"
        await api.wait_for(lambda: reply in api.sent_texts(715), timeout=15, what="the reply")
        await group.settled()
    warnings = [t for t in group.in_topic(topic) if t.startswith("⚠️")]
    assert warnings, "the operator learns the citizen did not get it"
    assert "гражданин заблокировал бота" in warnings[0]
    assert api.sent_texts(715).count(reply) == 1


async def test_close_on_a_card_telegram_no_longer_shows_waits_for_the_message_too(
    group: Group,
) -> None:
    """A card older than Telegram keeps for callbacks comes as an InaccessibleMessage, with
    no topic: the check of what the topic shows was skipped and «Закрыть» closed the ticket
    over the citizen's unposted message. The ticket's own topic is checked now."""
    api = group.api
    async with group.running():
        await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        olga = StaffMember(api, 4001)
        number = await group.web_ticket("web-session-10", "ошибка при оплате пошлины", Contacts())
        topic = await group.topic(number)
        assert topic.thread_id is not None and topic.card_message_id is not None
        take = StaffCallback(action="take", number=number).pack()
        olga.presses(take, message_id=topic.card_message_id, thread_id=topic.thread_id)
        await api.wait_for(
            lambda: any("В работе" in t for t in group.in_topic(topic)), what="taken"
        )
        api.fail(500, 10_000, methods=("sendMessage",))  # the group posts nothing for now
        await group.web_message("web-session-10", "Подождите, списалось дважды")
        close = StaffCallback(action="close", number=number).pack()
        olga.presses_on_an_old_card(close, message_id=topic.card_message_id)
        await api.wait_for(lambda: len(api.calls_of("answerCallbackQuery")) == 2, what="the answer")
        answered = api.calls_of("answerCallbackQuery")[-1].params
        assert "не закрыто: гражданин прислал новое сообщение" in answered["text"]
        assert await group.status(number) is TicketStatus.IN_PROGRESS
        api.recover()


async def test_a_reply_in_the_topic_takes_a_returned_ticket_that_waits_for_the_citizen(
    group: Group,
) -> None:
    api = group.api
    async with group.running() as app:
        await group.operator("ivan", "Иван Петров", telegram_user_id=4002)
        olga_account = await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        number = await group.telegram_ticket(715, "не могу подать заявление")
        topic = await group.topic(number)
        assert topic.thread_id is not None
        StaffMember(api, 4002, "Иван").writes("/info Укажите регион", thread_id=topic.thread_id)
        await api.wait_for(
            lambda: any("Укажите регион" in t for t in api.sent_texts(715)), what="the question"
        )
        accounts = Accounts(app.services.db, passwords=fast_passwords())
        assert (await accounts.set_active("ivan", False)).returned == (number,)
        assert await group.status(number) is TicketStatus.NEEDS_INFO

        StaffMember(api, 4001).writes("Регион уже не нужен, всё готово", thread_id=topic.thread_id)
        reply = f"Ответ по обращению № {number}: Регион уже не нужен, всё готово"
        await api.wait_for(lambda: reply in api.sent_texts(715), what="the reply")
        async with app.services.db.transaction() as uow:
            ticket = await uow.tickets.get(number)
    assert ticket is not None and ticket.assignee_id == olga_account.id


async def test_close_on_a_new_ticket_with_an_unread_message_neither_takes_nor_closes_it(
    group: Group,
) -> None:
    """«Закрыть» on the card of a ticket nobody took, over a message the topic does not show
    yet: refused as a whole. It used to take the ticket (the citizen read «Специалист взял
    обращение…») and then refuse to close it."""
    api = group.api
    async with group.running():
        await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        olga = StaffMember(api, 4001)
        number = await group.telegram_ticket(716, "ошибка при оплате пошлины")
        topic = await group.topic(number)
        assert topic.thread_id is not None and topic.card_message_id is not None
        told = len(api.sent_texts(716))
        api.fail(500, 10_000, methods=("sendMessage",), chat_id=STAFF_CHAT)
        api.push(_private(716, "Подождите, пошлина всё-таки списалась дважды"))
        told = len(await api.wait_sent(716, told + 1))  # «добавлено к обращению»
        close = StaffCallback(action="close", number=number).pack()
        olga.presses(close, message_id=topic.card_message_id, thread_id=topic.thread_id)
        await api.wait_for(lambda: bool(api.calls_of("answerCallbackQuery")), what="refusal")
        (refusal,) = [c.params for c in api.calls_of("answerCallbackQuery")]
        assert refusal["text"].startswith(f"Обращение № {number} не закрыто")
        await group.settled(shown=False)  # the group cannot post now
        assert await group.status(number) is TicketStatus.NEW
        assert len(api.sent_texts(716)) == told


async def test_a_message_the_citizen_corrects_reaches_the_topic_and_the_console_as_a_correction(
    group: Group,
) -> None:
    api = group.api
    async with group.running() as app:
        number = await group.telegram_ticket(716, "ошибка при входе")
        topic = await group.topic(number)
        anna = Citizen(api, 716)
        anna.says("у меня ошибка 500")  # the citizen's message 1 in this chat
        await api.wait_for(
            lambda: "💬 Гражданин: у меня ошибка 500" in group.in_topic(topic), what="the message"
        )
        anna.edits(1, "у меня ошибка 503, телефон +7 912 345-67-89")
        await api.wait_for(
            lambda: any("503" in t for t in group.in_topic(topic)), what="the correction"
        )
        async with app.services.db.transaction() as uow:
            ticket = await uow.tickets.get(number)
            assert ticket is not None
            thread = [m.text for m in await uow.tickets.messages(ticket.id)]
    corrected = re.compile(
        r"✏️ Исправлено \(сообщение от \d\d\.\d\d\.\d{4} \d\d:\d\d МСК\): "
        r"у меня ошибка 503, телефон \[телефон\]"
    )
    (shown,) = [t for t in group.in_topic(topic) if "503" in t]
    assert shown.startswith("💬 Гражданин: ✏️ Исправлено")
    assert corrected.search(shown), shown
    assert any(corrected.fullmatch(t) for t in thread), thread  # the console shows the same


async def test_the_citizens_files_are_posted_into_the_topic_masked_and_a_failure_is_said(
    group: Group,
) -> None:
    api = group.api
    scan = b"%PDF-1.4\n" + b"0" * 64
    api.files["scan"] = ("documents/file_2.pdf", scan)
    async with group.running() as app:
        number = await group.telegram_ticket(717, "не принимают заявление")
        topic = await group.topic(number)
        anna = Citizen(api, 717)
        anna.sends(
            document={
                "file_id": "scan",
                "file_unique_id": "d1",
                "file_name": "паспорт 4510 123456.pdf",
            }
        )
        await api.wait_for(lambda: len(api.documents(STAFF_CHAT)) == 1, what="the file")
        # A file from the web widget (stored by the service, no Telegram id) is uploaded too.
        session = "s" * 32
        web_number = await group.web_ticket(session, "ошибка в заявлении", Contacts())
        web_topic = await group.topic(web_number)
        await app.services.citizens.attach(
            Identity("web", session), web_number, Upload(filename="screen.png", data=PNG)
        )
        await api.wait_for(lambda: len(api.documents(STAFF_CHAT)) == 2, what="the web file")
        # Telegram refuses the next one: the topic says so, and the file stays in the console.
        api.fail(400, 1, methods=("sendDocument",), description="Bad Request: file is broken")
        anna.sends(document={"file_id": "scan", "file_unique_id": "d2", "file_name": "2.pdf"})
        await api.wait_for(
            lambda: any("не удалось" in t for t in group.in_topic(topic)), what="the failure"
        )
        attached = await app.services.citizens.lookup(chat_identity(717), number)
    first, web_file = api.documents(STAFF_CHAT)
    assert int(first["message_thread_id"]) == topic.thread_id
    assert first["document"] == {"filename": "паспорт [паспорт].pdf", "data": scan}
    assert first["caption"].startswith("📎 Гражданин приложил файл «паспорт [паспорт].pdf».")
    assert int(web_file["message_thread_id"]) == web_topic.thread_id
    assert web_file["document"] == {"filename": "screen.png", "data": PNG}
    (failed,) = [t for t in group.in_topic(topic) if "не удалось" in t]
    assert failed.startswith(
        "📎 Гражданин приложил файл «2.pdf», но показать его здесь не удалось "
        "(Bad Request: file is broken): файл сохранён в обращении, откройте его в консоли."
    )
    assert not attached.status.is_final


async def test_a_citizen_who_blocked_the_bot_is_warned_about_once_per_blocking(
    group: Group,
) -> None:
    api = group.api
    blocked = "Forbidden: bot was blocked by the user"
    held = "⚠️ Это и следующие сообщения гражданину тоже не доставлены"

    def warnings(topic: StaffTopic) -> list[str]:
        return [t for t in group.in_topic(topic) if t.startswith("⚠️")]

    def reactions() -> int:  # 👍 under an operator's message: their reply is queued
        return len(api.calls_of("setMessageReaction"))

    async with group.running():
        await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        olga = StaffMember(api, 4001)
        number = await group.telegram_ticket(718, "не могу подать заявление")
        topic = await group.topic(number)
        assert topic.thread_id is not None
        api.fail(403, 1000, description=blocked, chat_id=718)  # the citizen blocked the bot
        olga.writes("Проверьте раздел «Заявления»", thread_id=topic.thread_id)
        await api.wait_for(lambda: bool(warnings(topic)), what="the warning")
        for reply in ("Обновите страницу", "Войдите снова", "Получилось?"):
            before = reactions()
            olga.writes(reply, thread_id=topic.thread_id)
            await api.wait_for(lambda: reactions() > before, what="the reply queued")  # noqa: B023
        await group.settled(delivered=False)
        refused, further = warnings(topic)  # one for the blocking, one for what waits behind
        assert refused.startswith("⚠️ Сообщение гражданину не доставлено")
        assert "гражданин заблокировал бота" in refused
        assert further.startswith(held)
        # Unblocked: what was kept reaches the citizen; blocked again: warned again, once.
        api.recover()
        last = f"Ответ по обращению № {number}: Получилось?"
        await api.wait_for(lambda: last in api.sent_texts(718), timeout=20, what="delivered")
        api.fail(403, 1000, description=blocked, chat_id=718)
        olga.writes("Напишите, если не получится", thread_id=topic.thread_id)
        await api.wait_for(lambda: len(warnings(topic)) == 3, timeout=15, what="a new warning")
        olga.writes("Ждём ответа", thread_id=topic.thread_id)
        olga.writes("Проверьте почту", thread_id=topic.thread_id)
        await api.wait_for(lambda: len(warnings(topic)) == 4, timeout=15, what="held again")
        await group.settled(delivered=False)
    shown = warnings(topic)
    assert [w.startswith(held) for w in shown] == [False, True, False, True]


async def _waiting(group: Group, number: int) -> list[OutboxMessage]:
    return [m for m in await group.outbox(number) if m.delivered_at is None]


async def _refused_one_waits(group: Group, number: int) -> bool:
    """A message to the ticket's citizen was refused by Telegram and waits to be retried."""
    refused = RecipientRefusedError.__name__
    return any((m.last_error or "").startswith(refused) for m in await _waiting(group, number))


async def _all_tried_or_held(group: Group, number: int, last: str) -> bool:
    """`last` is queued, and every message not delivered was tried or held back."""
    waiting = await _waiting(group, number)
    return last in [m.text for m in waiting] and all(m.last_error for m in waiting)


async def _all_delivered(group: Group, number: int) -> bool:
    return not await _waiting(group, number)


def _tried_in_group(api: FakeBotApi, part: str) -> bool:
    """Whether the bot posted (or tried to post, while the group fails) a text with `part`."""
    return any(
        part in str(c.params.get("text"))
        for c in api.calls_of("sendMessage", ok_only=False)
        if int(c.params["chat_id"]) == STAFF_CHAT
    )


async def test_reject_waits_for_a_citizens_message_the_topic_does_not_show_yet(
    group: Group,
) -> None:
    """`/reject` closed the ticket over a message the topic did not show yet («Закрыть»
    already waited). Now it is refused the same way; once the topic shows the message, the
    command rejects the ticket."""
    api = group.api
    late = "Подождите, это всё-таки про госпошлину за паспорт"
    async with group.running():
        await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        olga = StaffMember(api, 4001)
        number = await group.telegram_ticket(717, "ошибка при оплате")
        topic = await group.topic(number)
        assert topic.thread_id is not None
        told = len(api.sent_texts(717))
        api.fail(500, 10_000, methods=("sendMessage",), chat_id=STAFF_CHAT)
        api.push(_private(717, late))
        told = len(await api.wait_sent(717, told + 1))  # «добавлено к обращению»
        olga.writes("/reject Вопрос не о госуслугах", thread_id=topic.thread_id)
        refusal = (
            f"Обращение № {number} не отклонено: гражданин прислал новое сообщение, оно сейчас "
            "появится в теме. Прочитайте его и отправьте /reject ещё раз."
        )
        await api.wait_for(lambda: _tried_in_group(api, refusal), what="the refusal")
        await group.settled(shown=False)  # the group cannot post now
        assert await group.status(number) is TicketStatus.NEW
        assert len(api.sent_texts(717)) == told

        api.recover()
        await api.wait_for(
            lambda: any(late in t for t in group.in_topic(topic)), what="the message shown"
        )
        olga.writes("/reject Вопрос не о госуслугах", thread_id=topic.thread_id)
        rejected = f"Обращение № {number} отклонено. Причина: Вопрос не о госуслугах"
        await api.wait_for(lambda: rejected in api.sent_texts(717), what="rejected")
        assert await group.status(number) is TicketStatus.REJECTED


async def test_close_waits_for_a_file_the_topic_does_not_show_yet(group: Group) -> None:
    """A file the citizen sent did not stop «Закрыть» (only messages did): the ticket was
    closed with the scan unseen. Now the press is refused until the topic shows the file."""
    api = group.api
    api.files["scan"] = ("photos/file_2.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64)  # a JPEG
    async with group.running():
        await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        olga = StaffMember(api, 4001)
        number = await group.telegram_ticket(718, "ошибка при входе")
        topic = await group.topic(number)
        assert topic.thread_id is not None and topic.card_message_id is not None
        take = StaffCallback(action="take", number=number).pack()
        olga.presses(take, message_id=topic.card_message_id, thread_id=topic.thread_id)
        await api.wait_for(
            lambda: any("В работе" in t for t in group.in_topic(topic)), what="taken"
        )
        api.fail(500, 10_000, methods=("sendMessage", "sendDocument"), chat_id=STAFF_CHAT)
        Citizen(api, 718).sends(
            photo=[{"file_id": "scan", "file_unique_id": "c1", "width": 8, "height": 6}]
        )
        # The file's receipt, not the «взял в работу» the outbox may deliver meanwhile.
        await api.wait_for(
            lambda: any("photo-c1.jpg» приложен" in t for t in api.sent_texts(718)),
            what="the file's receipt",
        )
        close = StaffCallback(action="close", number=number).pack()
        olga.presses(close, message_id=topic.card_message_id, thread_id=topic.thread_id)
        await api.wait_for(
            lambda: len(api.calls_of("answerCallbackQuery")) == 2, what="the refusal"
        )
        refusal = api.calls_of("answerCallbackQuery")[-1].params
        assert refusal["text"] == (
            f"Обращение № {number} не закрыто: гражданин приложил новый файл, сообщение о нём "
            "сейчас появится в теме. Посмотрите его и нажмите «Закрыть» ещё раз."
        )
        assert str(refusal["show_alert"]).lower() == "true"
        assert await group.status(number) is TicketStatus.IN_PROGRESS

        api.recover()
        await api.wait_for(  # the file itself, its name in the caption
            lambda: any(
                "photo-c1.jpg" in str(d.get("caption"))
                and int(d.get("message_thread_id", 0)) == topic.thread_id
                for d in api.documents(STAFF_CHAT)
            ),
            what="the file",
        )
        olga.presses(close, message_id=topic.card_message_id, thread_id=topic.thread_id)
        await api.wait_for(
            lambda: any("Завершено" in t for t in group.in_topic(topic)), what="closed"
        )
        assert await group.status(number) is TicketStatus.RESOLVED


async def test_a_message_written_before_the_topic_was_made_is_posted_into_it(
    group: Group,
) -> None:
    """The citizen wrote again after the hand-off, before the group made the ticket's topic
    (the bot was down): the topic started after that message, which it never showed."""
    api = group.api
    later = "Уточняю: код не приходит ни на почту, ни по СМС"
    async with group.running():  # the bot ran once; then it is down for a while
        pass
    number = await group.web_ticket("web-session-10", "Не приходит код подтверждения", Contacts())
    await group.web_message("web-session-10", later)
    async with group.running():
        topic = await group.topic(number)
        await api.wait_for(
            lambda: f"💬 Гражданин: {later}" in group.in_topic(topic),
            what="the citizen's message in the topic",
        )
        await group.settled()
    shown = group.in_topic(topic)
    assert shown.count(f"💬 Гражданин: {later}") == 1
    assert not any("Не приходит код подтверждения" in t for t in shown[1:]), "the question twice"


async def test_a_file_attached_before_the_topic_was_made_is_posted_into_it(
    group: Group,
) -> None:
    """The citizen attached a scan after the hand-off, before the group made the ticket's
    topic (the bot was down): the topic started after it and never showed the file."""
    api = group.api
    async with group.running():  # the bot ran once; then it is down for a while
        pass
    session = "web-session-11"
    number = await group.web_ticket(session, "Не принимают заявление", Contacts())
    db = await open_database(group.settings.database_url)
    try:
        citizens = CitizenTickets(
            db,
            calendar=WorkCalendar(group.settings.core.working_hours),
            settings=group.settings.core,
        )
        await citizens.attach(
            Identity("web", session), number, Upload(filename="screen.png", data=PNG)
        )
    finally:
        await db.close()
    async with group.running():
        topic = await group.topic(number)
        await api.wait_for(lambda: len(api.documents(STAFF_CHAT)) == 1, what="the file")
        await group.settled()
    (posted,) = api.documents(STAFF_CHAT)
    assert int(posted["message_thread_id"]) == topic.thread_id
    assert posted["document"] == {"filename": "screen.png", "data": PNG}
    assert posted["caption"].startswith("📎 Гражданин приложил файл «screen.png».")


async def test_flood_control_on_the_citizens_file_does_not_post_the_message_before_it_twice(
    group: Group,
) -> None:
    """The citizen wrote and attached a scan while the bot was down; Telegram's flood control
    stopped the file's upload: the pass was tried again from the start, and the message
    already in the topic was posted a second time."""
    api = group.api
    later = "Прикладываю скан заявления"
    session = "web-session-12"
    async with group.running():
        number = await group.web_ticket(session, "Не принимают заявление", Contacts())
        topic = await group.topic(number)
        await group.settled()
    await group.web_message(session, later)
    db = await open_database(group.settings.database_url)
    try:
        citizens = CitizenTickets(
            db,
            calendar=WorkCalendar(group.settings.core.working_hours),
            settings=group.settings.core,
        )
        await citizens.attach(
            Identity("web", session), number, Upload(filename="screen.png", data=PNG)
        )
    finally:
        await db.close()
    # Longer than the bot waits in place (5 s in these tests): the pass is given up.
    api.fail(429, 1, methods=("sendDocument",), retry_after=6, chat_id=STAFF_CHAT)
    async with group.running():
        await api.wait_for(lambda: len(api.documents(STAFF_CHAT)) == 1, what="the file", timeout=20)
        await group.settled()
    assert group.in_topic(topic).count(f"💬 Гражданин: {later}") == 1
    assert len(api.documents(STAFF_CHAT)) == 1


async def test_an_edit_of_a_reply_refused_on_a_closed_ticket_says_nothing_was_sent(
    group: Group,
) -> None:
    """A reply to a closed ticket is refused («гражданину ничего не отправлено»); edited, it
    read «гражданин видит ответ таким, каким он был отправлен», though nothing was."""
    api = group.api
    async with group.running():
        await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        olga = StaffMember(api, 4001)
        number = await group.telegram_ticket(719, "не могу подать заявление")
        topic = await group.topic(number)
        assert topic.thread_id is not None and topic.card_message_id is not None
        close = StaffCallback(action="close", number=number).pack()
        olga.presses(close, message_id=topic.card_message_id, thread_id=topic.thread_id)
        await api.wait_for(
            lambda: any("Завершено" in t for t in group.in_topic(topic)), what="closed"
        )
        olga.writes("Заявление можно подать в МФЦ", thread_id=topic.thread_id)
        await api.wait_for(
            lambda: any("/reopen" in t for t in group.in_topic(topic)[-1:]), what="the hint"
        )
        olga.writes("Заявление можно подать в любом МФЦ", thread_id=topic.thread_id, edited=True)
        await api.wait_for(
            lambda: any(
                t.startswith("Гражданину ничего не отправлено: ни это")
                for t in group.in_topic(topic)
            ),
            what="the answer to the edit",
        )
        await group.settled()
    assert group.in_topic(topic)[-1] == (
        "Гражданину ничего не отправлено: ни это сообщение, ни исправление — обращение "
        f"№ {number} закрыто («Завершено»). Чтобы продолжить, верните его в работу командой "
        "/reopen причина и напишите ещё раз."
    )
    assert not any("Исправление не отправлено" in t for t in group.in_topic(topic))
    assert not any("МФЦ" in t for t in api.sent_texts(719))


def _retrying_often(settings: TelegramSettings, database_url: str) -> TelegramSettings:
    """`settings` on `database_url`, with refused replies retried as often as the delivery
    workers look for work: the workers' claims meet all the time."""
    often = timedelta(milliseconds=20)
    outbox = dataclasses.replace(settings.core.outbox, first_retry=often, max_retry=often)
    core = dataclasses.replace(settings.core, outbox=outbox)
    return dataclasses.replace(settings, database_url=database_url, core=core)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_messages_queued_at_once_to_a_citizen_who_blocked_the_bot_are_flagged_once(
    group: Group, database_url: str
) -> None:
    """Feared from reading the code: two messages queued at the same instant while the
    citizen has blocked the bot might each add «Это и следующие сообщения гражданину тоже не
    доставлены…». They do not: every message to a citizen is queued by the desk with the
    ticket locked (FOR UPDATE on PostgreSQL, one writer at a time on SQLite), and the line is
    looked for after the lock. Pinned with real concurrency: replies from the console (three
    servers' connections) and the group at once, two delivery workers, the Bot API answering
    403, three blockings in a row. Also: each blocking is reported once, by the refusal of its
    first message; the messages behind it are not tried out of turn (until 2026-12-05 a
    worker whose claim met the other's on PostgreSQL took a later one and it was refused
    too, a second refusal warning)."""
    from bot.core import wording
    from bot.core.delivery import DeliveryWorker
    from bot.core.tickets import DELIVERY_REFUSED

    group.settings = _retrying_often(group.settings, database_url)
    api = group.api
    blocked = "Forbidden: bot was blocked by the user"
    held = "⚠️ Это и следующие сообщения гражданину тоже не доставлены"

    def warnings(topic: StaffTopic) -> list[str]:
        return [t for t in group.in_topic(topic) if t.startswith("⚠️")]

    async with group.running() as app:
        olga = await group.operator("olga", "Ольга Смирнова", telegram_user_id=4001)
        in_group = StaffMember(api, 4001)
        number = await group.telegram_ticket(720, "не могу подать заявление")
        topic = await group.topic(number)
        assert topic.thread_id is not None
        servers = [await open_database(database_url) for _ in range(3)]
        stop = asyncio.Event()
        another_worker = DeliveryWorker(
            servers[0], app.senders, settings=group.settings.core.outbox
        )
        delivering = asyncio.create_task(another_worker.run(stop))
        try:
            for blocking in range(3):
                api.fail(403, 100_000, description=blocked, chat_id=720)
                first = f"Ответ {blocking}"
                await app.services.desk.reply(
                    olga, number, first, via=Via.CONSOLE, take_waiting=True
                )
                # The blocking's first message is refused and the topic says so, once.
                await until(lambda: _refused_one_waits(group, number), what="the refusal")
                await until(lambda: group.shows_everything(number), what="the refusal shown")
                assert len(warnings(topic)) == 2 * blocking + 1, warnings(topic)
                assert not warnings(topic)[-1].startswith(held)
                # At once: three servers' consoles and the group.
                in_group.writes(f"Из группы {blocking}", thread_id=topic.thread_id)
                await asyncio.gather(
                    *(
                        Desk(db).reply(olga, number, f"Сразу {blocking}.{i}", via=Via.CONSOLE)
                        for i, db in enumerate(servers)
                    )
                )
                # Each of them held back behind the refused one at least once by a worker.
                from_group = f"Ответ по обращению № {number}: Из группы {blocking}"
                await until(
                    lambda: _all_tried_or_held(group, number, from_group),  # noqa: B023
                    what="the round's messages held back",
                )
                api.recover()
                await until(
                    lambda: _all_delivered(group, number),
                    timeout=20,
                    what="delivered once unblocked",
                )
                assert f"Ответ по обращению № {number}: Сразу {blocking}.2" in api.sent_texts(720)
                assert from_group in api.sent_texts(720)
        finally:
            stop.set()
            await delivering
            for db in servers:
                await db.close()
        await until(lambda: group.shows_everything(number), what="every warning shown")
        async with app.services.db.transaction() as uow:
            ticket = await uow.tickets.get(number)
            assert ticket is not None
            history = await uow.tickets.events(ticket.id)
    shown = warnings(topic)
    assert [w.startswith(held) for w in shown] == [False, True] * 3, shown
    said = [e.note for e in history if e.action == DELIVERY_REFUSED]
    assert said.count(wording.HELD_BEHIND_REFUSAL) == 3, said


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_refusal_committed_after_a_later_numbered_one_was_posted_is_posted_too(
    group: Group, database_url: str
) -> None:
    """Two delivery workers of other servers record a refusal each on the ticket (they do
    not lock it, only the row's key); the one numbered first commits after the group posted
    the other. It is posted as well, once (until 2026-12-05 the topic's cursor had passed its
    id: the group never saw that reply was not delivered)."""
    from datetime import UTC, datetime

    from bot.core.tickets import DELIVERY_REFUSED, Author

    group.settings = dataclasses.replace(group.settings, database_url=database_url)
    first = "Сообщение гражданину не доставлено: первый ответ"
    second = "Сообщение гражданину не доставлено: второй ответ"

    def posted(note: str) -> list[str]:
        return [t for t in group.in_topic(topic) if note in t]

    async with group.running():
        number = await group.telegram_ticket(721, "не могу подать заявление")
        topic = await group.topic(number)
        servers = [await open_database(database_url) for _ in range(2)]
        try:
            async with servers[0].transaction() as slow:
                await slow.tickets.add_event(
                    topic.ticket_id, DELIVERY_REFUSED, Author.SYSTEM, datetime.now(UTC), note=first
                )
                async with servers[1].transaction() as fast:
                    await fast.tickets.add_event(
                        topic.ticket_id,
                        DELIVERY_REFUSED,
                        Author.SYSTEM,
                        datetime.now(UTC),
                        note=second,
                    )
                await group.api.wait_for(lambda: bool(posted(second)), what="the second refusal")
                # The group has recorded it as shown while the first is still uncommitted.
                await until(lambda: group.shows_everything(number), what="the pass recorded")
            await group.api.wait_for(lambda: bool(posted(first)), what="the first refusal")
        finally:
            for db in servers:
                await db.close()
        await group.settled()
    assert len(posted(first)) == 1 and len(posted(second)) == 1, group.in_topic(topic)
