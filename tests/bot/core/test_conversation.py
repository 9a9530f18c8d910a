"""A citizen's conversation: the bot answers, hands off to people, and stays silent for them."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.answerer import Answerer
from bot.core.conversation import ConversationService
from bot.core.conversation_state import ConversationState
from bot.core.errors import InvalidInputError, PermissionDeniedError
from bot.core.history import ConversationHistory
from bot.core.identity import Identity
from bot.core.maintenance import MaintenanceSwitch
from bot.core.records import OutgoingKind
from bot.core.replies import ReplyKind
from bot.core.roles import Role
from bot.core.ticket_status import TicketStatus
from bot.core.tickets import Author, HandoffReason, Via
from matcher import Action, Match, Matcher
from tests.bot.conftest import FRIDAY_EVENING
from tests.bot.core.conftest import Services
from tests.support.statements import statements_through_sqlalchemy

pytestmark = pytest.mark.anyio

ANNA = Identity("web", "session-anna")
BORIS = Identity("web", "session-boris")
UNKNOWN_QUESTION = "сломался карбюратор у трактора"
MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.mark.parametrize(
    ("question", "kind", "entry_id"),
    [
        ("забыл пароль", ReplyKind.ANSWER, "password-recovery"),
        ("как получить выписку", ReplyKind.ANSWER, "epts-extract"),
        ("регистрация или пароль", ReplyKind.CLARIFY, "password-recovery"),
        (UNKNOWN_QUESTION, ReplyKind.HANDOFF, None),
        ("позовите оператора", ReplyKind.HANDOFF, None),
    ],
)
async def test_the_bot_answers_clarifies_or_hands_off(
    services: Services, question: str, kind: ReplyKind, entry_id: str | None
) -> None:
    reply = await services.conversations.handle(ANNA, question)
    assert (reply.kind, reply.entry_id) == (kind, entry_id)


async def test_an_answer_is_the_entry_text_and_can_be_rated(services: Services) -> None:
    reply = await services.conversations.handle(ANNA, "забыл пароль")
    assert reply.text.startswith("Нажмите «Забыли пароль?»")
    assert reply.message_id is not None
    assert await services.conversations.state(ANNA) is ConversationState.BOT


async def test_clarify_offers_the_candidates_by_question(services: Services) -> None:
    reply = await services.conversations.handle(ANNA, "регистрация или пароль")
    titles = [c.title for c in reply.choices]
    assert titles[:2] == ["Как восстановить пароль?", "Как зарегистрироваться в системе?"]
    chosen = await services.conversations.choose(ANNA, "registration")
    assert (chosen.kind, chosen.entry_id) == (ReplyKind.ANSWER, "registration")


async def test_clarify_offers_only_the_close_candidates_the_matcher_chose(
    services: Services, core_matcher: Matcher
) -> None:
    """The matcher ranks up to five entries but offers the 2-3 close ones; a citizen sees
    those, not the also-rans."""
    question = "регистрация или пароль"
    match = core_matcher.match(question)
    assert len(match.candidates) > match.offered  # else this test could not fail
    reply = await services.conversations.handle(ANNA, question)
    assert [c.entry_id for c in reply.choices] == [c.entry_id for c in match.choices]
    assert 2 <= len(reply.choices) <= 3
    assert reply.text.count("\n- ") == len(reply.choices)
    # Kept with the message, so a widget opened again offers the same buttons.
    history = await ConversationHistory(services.db, clock=services.clock).recent(ANNA)
    assert history.messages[-1].choices == tuple(c.entry_id for c in reply.choices)


async def test_handoff_opens_a_ticket_with_the_conversation_so_far(services: Services) -> None:
    await services.conversations.handle(ANNA, "забыл пароль")
    reply = await services.conversations.handle(ANNA, UNKNOWN_QUESTION)
    assert reply.ticket_number == 1
    assert "Номер обращения — 1" in reply.text
    ticket = await services.citizens.lookup(ANNA, 1)
    assert (ticket.question, ticket.channel, ticket.status_label) == (
        UNKNOWN_QUESTION,
        "web",
        "Принято",
    )
    admin = await services.operator("admin", Role.ADMIN)
    details = await services.desk.details(admin, 1)
    assert (details.messages[0].author, details.messages[0].text) == (
        Author.CITIZEN,
        "забыл пароль",
    )
    assert details.messages[-2].text == UNKNOWN_QUESTION
    # The operator sees what the bot told the citizen: the number and the promised time.
    assert (details.messages[-1].author, details.messages[-1].text) == (Author.BOT, reply.text)
    assert await services.conversations.state(ANNA) is ConversationState.WAITING


async def test_asking_for_a_person_hands_off(services: Services) -> None:
    reply = await services.conversations.handle(ANNA, "позовите оператора")
    assert reply.ticket_number is not None
    ticket = await services.citizens.lookup(ANNA, reply.ticket_number)
    assert ticket.reason is HandoffReason.ASKED_FOR_PERSON


async def test_the_question_and_the_reply_are_kept_in_order(services: Services) -> None:
    answer = await services.conversations.handle(ANNA, "забыл пароль")
    clarify = await services.conversations.handle(ANNA, "регистрация или пароль")
    async with services.db.transaction() as uow:
        conversation = await uow.conversations.open(ANNA, services.clock.now)
        messages = await uow.conversations.recent_messages(conversation.id, 10)
    assert [(m.author, m.text.split("\n")[0]) for m in messages] == [
        (Author.CITIZEN, "забыл пароль"),
        (Author.BOT, answer.text.split("\n")[0]),
        (Author.CITIZEN, "регистрация или пароль"),
        (Author.BOT, clarify.text.split("\n")[0]),
    ]
    # The reply's id is what the citizen rates it by.
    assert (messages[1].id, messages[3].id) == (answer.message_id, clarify.message_id)
    assert (messages[0].entry_id, messages[1].entry_id) == (None, "password-recovery")


class ThreadNotingMatcher:
    """The real matcher, noting the thread each question was matched on (whole: with the
    meaning's stage when the words leave it unsure)."""

    def __init__(self, inner: Answerer) -> None:
        self._inner = inner
        self.kb = inner.kb
        self.threads: list[int] = []

    def match(self, question: str) -> Match:
        self.threads.append(threading.get_ident())
        return self._inner.match(question)

    def match_by_words(self, question: str) -> Match | None:
        verdict = self._inner.match_by_words(question)
        if verdict is not None:
            self.threads.append(threading.get_ident())
        return verdict


def _noting_threads(services: Services) -> tuple[ThreadNotingMatcher, ConversationService]:
    """The conversation service over a matcher that notes the thread of each match."""
    noting = ThreadNotingMatcher(services.conversations._answerer)
    service = type(services.conversations)(
        services.db,
        noting,
        calendar=services.conversations._calendar,
        clock=services.clock,
    )
    return noting, service


async def test_only_a_long_question_is_matched_on_a_worker_thread(services: Services) -> None:
    """A usual question costs less to match than a hand-off to a thread does; a long one
    (tens of milliseconds for 2,000 characters of gibberish) would hold up every other
    citizen on the event loop, so it goes to a thread."""
    noting, service = _noting_threads(services)
    long = " ".join(["забыл пароль"] * 20)
    assert len(long) > services.conversations._settings.inline_match_chars
    await service.handle(ANNA, "забыл пароль")
    await service.handle(ANNA, long)
    assert noting.threads[0] == threading.get_ident()
    assert noting.threads[1] != threading.get_ident()


async def test_a_short_question_the_words_leave_unsure_is_matched_on_a_worker_thread(
    services: Services,
) -> None:
    """The meaning's stage embeds a question the words leave unsure: tens of milliseconds
    (more while a reload or the console's check holds the encoder), which on the event loop
    would hold up every other citizen's question and page."""
    noting, service = _noting_threads(services)
    unsure = "не могу попасть в свой профиль на портале"
    assert len(unsure) <= services.conversations._settings.inline_match_chars
    assert services.conversations._answerer.match(unsure).action is not Action.ANSWER
    reply = await service.handle(ANNA, unsure)
    assert noting.threads == [noting.threads[0]]  # matched once
    assert noting.threads[0] != threading.get_ident()
    assert reply.kind is not ReplyKind.ANSWER


class BrokenMatcher:
    """A matcher that fails on every question."""

    def __init__(self, kb: object) -> None:
        self.kb = kb

    def match(self, question: str) -> Match:
        raise RuntimeError("index is corrupted")

    def match_by_words(self, question: str) -> Match | None:
        raise RuntimeError("index is corrupted")


async def test_a_failing_matcher_sends_the_question_to_people(services: Services) -> None:
    broken = type(services.conversations)(
        services.db,
        BrokenMatcher(services.conversations._answerer.kb),  # type: ignore[arg-type]
        calendar=services.conversations._calendar,
        clock=services.clock,
    )
    reply = await broken.handle(ANNA, "забыл пароль")
    assert reply.kind is ReplyKind.HANDOFF
    assert reply.ticket_number is not None
    ticket = await services.citizens.lookup(ANNA, reply.ticket_number)
    assert (ticket.question, ticket.reason) == ("забыл пароль", HandoffReason.MATCHER_FAILED)


async def test_the_bot_is_silent_while_an_operator_owns_the_conversation(
    services: Services,
) -> None:
    await services.conversations.handle(ANNA, UNKNOWN_QUESTION)
    waiting = await services.conversations.handle(ANNA, "забыл пароль")
    assert waiting.kind is ReplyKind.NOTICE
    assert "обращению № 1" in waiting.text
    operator = await services.operator("olga")
    assert await services.desk.take_next(operator) is not None
    assert await services.conversations.state(ANNA) is ConversationState.WITH_OPERATOR
    silent = await services.conversations.handle(ANNA, "забыл пароль")
    assert (silent.kind, silent.text) == (ReplyKind.SILENT, "")
    # A candidate picked from an earlier clarification is no answer either now: its
    # question is the citizen's message to the operator, as a typed one is.
    picked = await services.conversations.choose(ANNA, "registration")
    assert (picked.kind, picked.text) == (ReplyKind.SILENT, "")
    details = await services.desk.details(operator, 1)
    assert [m.text for m in details.messages][-3:] == [
        "забыл пароль",
        "забыл пароль",
        "Как зарегистрироваться в системе?",
    ]


@pytest.mark.parametrize("text", ["👍", "+", "???", ")))", "123", "а", "ы."])
async def test_a_message_without_words_is_asked_for_words_not_handed_to_people(
    services: Services, text: str
) -> None:
    """ "👍" after an answer, "???" or a stray number used to open a ticket each: people had
    nothing to answer either. While a ticket is open, it goes to the ticket as anything does."""
    reply = await services.conversations.handle(ANNA, text)
    assert reply.kind is ReplyKind.NOTICE and reply.ticket_number is None
    assert reply.text.startswith("Если у вас вопрос, напишите его словами")
    assert await services.citizens.list(ANNA) == []
    history = await ConversationHistory(services.db, clock=services.clock).recent(ANNA)
    assert [m.text for m in history.messages] == [text, reply.text]

    await services.conversations.handle(ANNA, UNKNOWN_QUESTION)
    waiting = await services.conversations.handle(ANNA, text)
    assert waiting.text == "Добавили ваше сообщение к обращению № 1."
    history = await ConversationHistory(services.db, clock=services.clock).recent(ANNA)
    assert [m.text for m in history.messages][-2:] == [text, waiting.text]
    operator = await services.operator("olga")
    details = await services.desk.details(operator, 1)
    assert [m.text for m in details.messages][-1] == text
    assert [t.number for t in await services.citizens.list(ANNA)] == [1]


async def test_follow_ups_to_an_open_ticket_leave_no_gap_in_the_numbers(
    services: Services,
) -> None:
    """Anna writes twice more to her waiting ticket and once to it taken; Boris's question is
    then ticket 2, not 5: each follow-up the bot could not answer used to take a number."""
    await services.conversations.handle(ANNA, UNKNOWN_QUESTION)
    await services.conversations.handle(ANNA, "Дополню: трактор 1985 года")
    await services.conversations.request_person(ANNA)
    operator = await services.operator("olga")
    await services.desk.take_next(operator)
    await services.conversations.handle(ANNA, "сломался карбюратор у комбайна тоже")
    reply = await services.conversations.handle(BORIS, UNKNOWN_QUESTION)
    assert reply.ticket_number == 2
    assert "Номер обращения — 2:" in reply.text


async def test_after_resolution_the_bot_answers_again(services: Services) -> None:
    await services.conversations.handle(ANNA, UNKNOWN_QUESTION)
    operator = await services.operator("olga")
    await services.desk.take_next(operator)
    await services.desk.resolve(operator, 1, "Обратитесь в сервисный центр.", via=Via.CONSOLE)
    assert await services.conversations.state(ANNA) is ConversationState.RESOLVED
    reply = await services.conversations.handle(ANNA, "забыл пароль")
    assert reply.kind is ReplyKind.ANSWER
    assert await services.conversations.state(ANNA) is ConversationState.BOT


async def _ticket_ratings(services: Services) -> list[int]:
    async with services.db.transaction() as uow:
        (timing,) = await uow.ticket_timings.between(None, None)
    return [r.score for r in timing.ratings]


async def test_a_mark_sent_after_the_ticket_closed_rates_it_instead_of_opening_another(
    services: Services,
) -> None:
    """The closing message asks for a digit from 1 to 5; the citizen sends one. It is the
    ticket's rating (sent again: the latest counts), not a question nobody can answer."""
    await services.conversations.handle(ANNA, UNKNOWN_QUESTION)
    operator = await services.operator("olga")
    await services.desk.take_next(operator)
    await services.desk.resolve(operator, 1, "Обратитесь в сервисный центр.", via=Via.CONSOLE)
    await services.worker.run_once()
    (closing,) = [m for m in services.web.delivered.values() if "завершено" in m.text]
    assert "от 1 до 5: кнопкой или цифрой в ответ" in closing.text
    assert closing.kind is OutgoingKind.RATING_REQUEST and closing.ticket_number == 1

    rated = await services.conversations.handle(ANNA, "5")
    assert rated.kind is ReplyKind.NOTICE and rated.ticket_number is None
    assert rated.text.startswith("Спасибо за оценку 5 из 5 обращению № 1!")
    again = await services.conversations.handle(ANNA, "4!")
    assert again.text.startswith("Спасибо за оценку 4 из 5")
    assert [t.number for t in await services.citizens.list(ANNA)] == [1]
    assert await _ticket_ratings(services) == [4]
    details = await services.desk.details(operator, 1)
    assert [e.note for e in details.events if e.action == "rated"] == ["5 из 5", "4 из 5"]

    # A question moves the conversation back to the bot; a digit then is a message without
    # words like any other: no mark, no new ticket, a request to write the question.
    assert (await services.conversations.handle(ANNA, "забыл пароль")).kind is ReplyKind.ANSWER
    after = await services.conversations.handle(ANNA, "5")
    assert after.kind is ReplyKind.NOTICE and after.text.startswith("Если у вас вопрос")
    assert await _ticket_ratings(services) == [4]
    assert [t.number for t in await services.citizens.list(ANNA)] == [1]


async def test_outside_hours_the_reply_says_when_people_pick_it_up(services: Services) -> None:
    services.clock.now = FRIDAY_EVENING  # 19:30 in Moscow
    reply = await services.conversations.handle(ANNA, UNKNOWN_QUESTION)
    assert "Сейчас нерабочее время" in reply.text
    assert "в понедельник, 23 ноября, с 06:00 по московскому времени" in reply.text
    assert "в течение 24 часов" in reply.text
    assert reply.due_text == "ответим до 06:00 24 ноября по московскому времени"
    ticket = await services.citizens.lookup(ANNA, 1)
    assert ticket.due_at == FRIDAY_EVENING + timedelta(days=3, hours=10, minutes=30)


async def test_in_hours_the_reply_promises_the_due_time(services: Services) -> None:
    reply = await services.conversations.handle(ANNA, UNKNOWN_QUESTION)
    assert "нерабочее" not in reply.text
    assert reply.due_text == "ответим до 10:00 25 ноября по московскому времени"


async def test_maintenance_keeps_the_bot_answering_and_says_when_people_return(
    services: Services,
) -> None:
    until = services.clock.now + timedelta(hours=4)  # 14:00 in Moscow
    await services.maintenance.turn_on(until, note="обновление ПО")
    answer = await services.conversations.handle(ANNA, "забыл пароль")
    assert answer.kind is ReplyKind.ANSWER
    assert answer.notice is not None
    assert "недоступны до 14:00 24 ноября по московскому времени" in answer.notice
    handoff = await services.conversations.handle(ANNA, UNKNOWN_QUESTION)
    assert handoff.kind is ReplyKind.HANDOFF
    assert "специалисты недоступны до 14:00 24 ноября" in handoff.text
    await services.maintenance.turn_off()
    assert await services.maintenance.current() is None


async def test_a_friday_afternoon_promise_skips_the_weekend(services: Services) -> None:
    services.clock.now = datetime(2026, 12, 4, 17, 59, tzinfo=MOSCOW)
    reply = await services.conversations.handle(ANNA, UNKNOWN_QUESTION)
    assert reply.due_text == "ответим до 17:59 7 декабря по московскому времени"
    assert reply.text.endswith("ответим до 17:59 7 декабря по московскому времени.")
    ticket = await services.citizens.lookup(ANNA, 1)
    assert ticket.due_at == datetime(2026, 12, 7, 17, 59, tzinfo=MOSCOW)


async def test_during_maintenance_the_promise_counts_from_when_people_are_back(
    services: Services,
) -> None:
    """Maintenance on Saturday until Monday 12:00: the 24 hours start then, not at Monday's
    opening; the reply, the ticket and a later look-up all say the same."""
    services.clock.now = datetime(2026, 12, 5, 10, 0, tzinfo=MOSCOW)
    await services.maintenance.turn_on(datetime(2026, 12, 7, 12, 0, tzinfo=MOSCOW))
    reply = await services.conversations.handle(ANNA, UNKNOWN_QUESTION)
    promise = "ответим до 12:00 8 декабря по московскому времени"
    assert "специалисты недоступны до 12:00 7 декабря по московскому времени" in reply.text
    assert reply.text.endswith(
        f"в течение 24 часов (выходные и праздники не в счёт) после начала работы; {promise}."
    )
    assert reply.due_text == promise
    ticket = await services.citizens.lookup(ANNA, 1)
    assert ticket.due_at == datetime(2026, 12, 8, 12, 0, tzinfo=MOSCOW)
    services.clock.now = datetime(2026, 12, 7, 13, 0, tzinfo=MOSCOW)  # maintenance is over
    assert await services.citizens.describe(ANNA, 1) == f"Обращение № 1: Принято; {promise}."


async def test_a_choice_during_maintenance_says_when_people_return(
    services: Services,
) -> None:
    clarify = await services.conversations.handle(ANNA, "регистрация или пароль")
    assert clarify.kind is ReplyKind.CLARIFY and clarify.notice is None
    await services.maintenance.turn_on(services.clock.now + timedelta(hours=4))
    chosen = await services.conversations.choose(ANNA, "registration")
    assert (chosen.kind, chosen.entry_id) == (ReplyKind.ANSWER, "registration")
    assert chosen.notice is not None
    assert "недоступны до 14:00 24 ноября по московскому времени" in chosen.notice
    await services.maintenance.turn_off()
    again = await services.conversations.choose(ANNA, "password-recovery")
    assert again.notice is None


async def test_maintenance_ends_by_itself(services: Services) -> None:
    await services.maintenance.turn_on(services.clock.now + timedelta(hours=1))
    services.clock.advance(timedelta(hours=2))
    reply = await services.conversations.handle(ANNA, "забыл пароль")
    assert reply.notice is None


@pytest.mark.parametrize("text", ["", "   ", "\n"])
async def test_empty_questions_are_refused(services: Services, text: str) -> None:
    with pytest.raises(InvalidInputError, match="Напишите вопрос текстом"):
        await services.conversations.handle(ANNA, text)


async def test_needs_info_goes_back_to_work_when_the_citizen_answers(services: Services) -> None:
    await services.conversations.handle(ANNA, UNKNOWN_QUESTION)
    operator = await services.operator("olga")
    await services.desk.take_next(operator)
    asked = await services.desk.ask_for_information(
        operator, 1, "Какая модель трактора?", via=Via.CONSOLE
    )
    assert asked.status is TicketStatus.NEEDS_INFO
    await services.conversations.handle(ANNA, "Беларус 82")
    ticket = await services.citizens.lookup(ANNA, 1)
    assert ticket.status is TicketStatus.IN_PROGRESS


async def test_the_maintenance_switch_is_shared_and_guarded(services: Services) -> None:
    until = services.clock.now + timedelta(hours=2)
    operator = await services.operator("olga")
    with pytest.raises(PermissionDeniedError, match="профилактики"):
        await services.maintenance.turn_on(until, by=operator)
    admin = await services.operator("root", Role.ADMIN)
    await services.maintenance.turn_on(until, by=admin, note="обновление ПО")
    # Another process sees it through the database.
    other = MaintenanceSwitch(services.db, clock=services.clock)
    current = await other.current()
    assert current is not None
    assert (current.until, current.set_by, current.note) == (until, "root", "обновление ПО")


async def test_a_repeat_question_leaves_sqlalchemy_nothing_to_run(services: Services) -> None:
    first = await services.conversations.handle(ANNA, "Как восстановить пароль?")
    with statements_through_sqlalchemy(services.db) as seen:
        again = await services.conversations.handle(ANNA, "забыл пароль")
    assert first.kind is again.kind is ReplyKind.ANSWER
    # The quick transaction, on the driver (SQLite's or asyncpg's).
    assert seen == []
    async with services.db.transaction() as uow:
        logged = await uow.questions.between(None, None)
        conversation = await uow.conversations.open(ANNA, services.clock())
        messages = await uow.conversations.recent_messages(conversation.id, 10)
    assert [q.text for q in logged] == ["Как восстановить пароль?", "забыл пароль"]
    assert [m.text for m in messages][::2] == ["Как восстановить пароль?", "забыл пароль"]
    assert messages[-1].id == again.message_id


async def test_a_first_contact_leaves_sqlalchemy_nothing_to_run(services: Services) -> None:
    with statements_through_sqlalchemy(services.db) as seen:
        anna = await services.conversations.handle(ANNA, "Как восстановить пароль?")
        boris = await services.conversations.handle(BORIS, "Как восстановить пароль?")
    assert anna.kind is boris.kind is ReplyKind.ANSWER
    assert seen == []
    async with services.db.transaction() as uow:
        conversations = [await uow.conversations.open(c, services.clock()) for c in (ANNA, BORIS)]
        messages = [await uow.conversations.recent_messages(c.id, 10) for c in conversations]
        logged = await uow.questions.between(None, None)
    # Two citizens, each with their own conversation and exchange.
    assert len({c.citizen_id for c in conversations}) == len({c.id for c in conversations}) == 2
    assert [[m.author for m in found] for found in messages] == [[Author.CITIZEN, Author.BOT]] * 2
    assert [m[-1].id for m in messages] == [anna.message_id, boris.message_id]
    assert [q.conversation_id for q in logged] == [c.id for c in conversations]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_question_the_quick_transaction_gives_way_waits_its_turn_once(
    services: Services,
) -> None:
    """A message to a ticket: the quick transaction finds a conversation a person owns and
    gives way to the full path, which then goes ahead of requests that came after the
    message, as a hand-off's second transaction does."""
    handed_off = await services.conversations.handle(ANNA, UNKNOWN_QUESTION)
    assert handed_off.ticket_number is not None
    db = services.db
    questions_in = 0
    busy, release = asyncio.Event(), asyncio.Event()

    async def long_transaction() -> None:
        async with db.transaction():
            busy.set()
            await release.wait()

    async def later_request() -> None:
        nonlocal questions_in
        async with db.transaction():
            questions_in += 1
            await asyncio.sleep(0.02)

    holder = asyncio.create_task(long_transaction())
    await busy.wait()

    async def waiting(count: int) -> None:
        async with asyncio.timeout(5):
            while db._gate.waiting < count:
                await asyncio.sleep(0.001)

    first = asyncio.create_task(services.conversations.handle(ANNA, "Как восстановить пароль?"))
    await waiting(1)  # the message's quick transaction waits for the place
    later = [asyncio.create_task(later_request()) for _ in range(3)]
    await waiting(4)
    release.set()
    reply = await first
    in_before_the_answer = questions_in
    await asyncio.gather(holder, *later)
    assert reply.kind is ReplyKind.NOTICE
    assert reply.ticket_number == handed_off.ticket_number
    # At most the one that got the place while the quick transaction gave way.
    assert in_before_the_answer <= 1
