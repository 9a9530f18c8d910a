"""The staff board on SQLite and PostgreSQL: each open ticket is claimed for one topic, once,
by one of several processes; failed claims come back; news are what each topic has not dealt
with yet, whenever it was committed, and carry what operators wrote outside the staff chat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import text

from bot.core.attachments import Upload
from bot.core.errors import UnreadMessageError
from bot.core.identity import Identity
from bot.core.roles import Role
from bot.core.settings import StorageSettings
from bot.core.staff_board import StaffBoard
from bot.core.staff_cards import StaffTopic, TopicMessage, TopicNews
from bot.core.ticket_status import TicketStatus
from bot.core.tickets import ATTACHED, DELIVERY_REFUSED, Author, Via
from bot.storage.database import Database, open_database
from bot.storage.engine import create_engine
from bot.storage.migrate import alembic_config
from tests.bot.conftest import FakeClock
from tests.bot.core.conftest import PASSWORD, Services

pytestmark = pytest.mark.anyio

CHAT = -100777
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # enough of a PNG for the type check


async def open_tickets(services: Services, count: int) -> list[int]:
    numbers = []
    for i in range(count):
        reply = await services.conversations.request_person(
            Identity("web", f"session-{i}"), f"вопрос номер {i}"
        )
        assert reply.ticket_number is not None
        numbers.append(reply.ticket_number)
    return numbers


async def test_two_processes_claim_each_ticket_once(services: Services, clock: FakeClock) -> None:
    numbers = await open_tickets(services, 6)
    boards = [StaffBoard(services.db, chat_id=CHAT, clock=clock, batch=4) for _ in range(2)]
    claimed: list[int] = []
    for _ in range(3):
        rounds = await asyncio.gather(*(b.claim() for b in boards))
        claimed += [topic.ticket_number for found in rounds for topic, _ in found]
    assert sorted(claimed) == sorted(numbers)
    # Nothing is claimed twice while the lease holds, by either process.
    assert await boards[0].claim() == [] and await boards[1].claim() == []


async def test_an_unfinished_claim_comes_back_after_its_lease_or_failure(
    services: Services, clock: FakeClock
) -> None:
    (number,) = await open_tickets(services, 1)
    board = StaffBoard(services.db, chat_id=CHAT, clock=clock, lease=timedelta(minutes=2))
    ((topic, card),) = await board.claim()
    assert card.ticket.number == number and card.ticket.status is TicketStatus.NEW
    topic = await board.topic_created(topic, thread_id=55)
    # The process died before posting the card: after the lease, the claim is back, with
    # the topic already made (so it is not created twice).
    clock.advance(timedelta(minutes=3))
    ((again, _),) = await board.claim()
    assert again.id == topic.id and again.thread_id == 55
    await board.failed(again, retry_after=timedelta(seconds=30))
    assert await board.claim() == []
    clock.advance(timedelta(seconds=31))
    ((third, _),) = await board.claim()
    await board.card_posted(third, message_id=900)
    clock.advance(timedelta(hours=1))
    assert await board.claim() == []
    assert await board.topic_of_thread(55) is not None
    assert await board.topic_of_thread(56) is None


async def test_news_are_status_changes_and_citizen_messages_once(
    services: Services, clock: FakeClock
) -> None:
    (number,) = await open_tickets(services, 1)
    board = StaffBoard(services.db, chat_id=CHAT, clock=clock)
    ((topic, _),) = await board.claim()
    topic = await board.topic_created(topic, thread_id=7)
    await board.card_posted(topic, message_id=8)
    assert await board.news() == []  # the card shows the ticket as it was opened
    olga = await services.accounts.create(
        "olga", PASSWORD, role=Role.OPERATOR, display_name="Ольга"
    )
    await services.desk.take(olga, number)
    (news,) = await board.news()
    assert [c.event.to_status for c in news.changes] == [TicketStatus.IN_PROGRESS]
    assert news.changes[0].operator_name == "Ольга"
    assert news.card.assignee_name == "Ольга"
    await board.shown(news)
    assert await board.news() == []


async def test_a_file_attached_before_the_topic_was_made_is_news_and_stops_closing(
    services: Services, clock: FakeClock
) -> None:
    """The group made the ticket's topic a minute after the hand-off (the bot was down); the
    citizen attached a scan meanwhile: the topic shows it, and «Закрыть» waits for it."""
    (number,) = await open_tickets(services, 1)
    clock.advance(timedelta(minutes=1))
    await services.citizens.attach(
        Identity("web", "session-0"), number, Upload(filename="скан.png", data=PNG)
    )
    board = StaffBoard(services.db, chat_id=CHAT, clock=clock)
    topic = await shown_topic(board)
    olga = await services.accounts.create(
        "olga", PASSWORD, role=Role.OPERATOR, display_name="Ольга"
    )
    with pytest.raises(UnreadMessageError, match="гражданин приложил новый файл"):
        await services.desk.resolve(
            olga,
            number,
            via=Via.TELEGRAM,
            take_waiting=True,
            seen_message_id=topic.last_message_id,
            seen_event_id=topic.last_event_id,
        )
    (news,) = await board.news()
    assert [c.event.action for c in news.changes] == [ATTACHED]
    assert news.changes[0].event.note == "скан.png"
    assert (await services.citizens.lookup(Identity("web", "session-0"), number)).status is (
        TicketStatus.NEW
    ), "refused, the ticket was not taken either"


async def shown_topic(board: StaffBoard) -> StaffTopic:
    """The one claimed ticket's topic, created and with its card posted."""
    ((topic, _),) = await board.claim()
    topic = await board.topic_created(topic, thread_id=7)
    await board.card_posted(topic, message_id=8)
    return topic


def timeline(news: TopicNews) -> list[str]:
    """The news as the topic will read them: message texts and «new status» lines."""
    return [
        f"{item.message.text} ({item.operator_name or 'гражданин'})"
        if isinstance(item, TopicMessage)
        else f"«{item.event.to_status.label if item.event.to_status else item.event.action}»"
        for item in news.in_order()
    ]


async def test_console_replies_and_requests_are_news_once_but_topic_replies_are_not(
    services: Services, clock: FakeClock
) -> None:
    (number,) = await open_tickets(services, 1)
    board = StaffBoard(services.db, chat_id=CHAT, clock=clock)
    await shown_topic(board)
    olga = await services.accounts.create(
        "olga", PASSWORD, role=Role.OPERATOR, display_name="Ольга Смирнова"
    )
    await services.desk.take(olga, number)
    clock.advance(timedelta(minutes=1))
    await services.desk.reply(olga, number, "Проверьте папку «Спам».", via=Via.CONSOLE)
    clock.advance(timedelta(minutes=1))
    await services.desk.reply(olga, number, "Написала прямо в топике.", via=Via.TELEGRAM)
    clock.advance(timedelta(minutes=1))
    await services.desk.ask_for_information(olga, number, "Укажите адрес почты.", via=Via.CONSOLE)
    clock.advance(timedelta(minutes=1))
    await services.conversations.handle(
        Identity("web", "session-0"), "Почта та же, что в заявлении."
    )

    (news,) = await board.news()
    assert timeline(news) == [
        "«В работе»",
        "Проверьте папку «Спам». (Ольга Смирнова)",
        # The request and its status change are one action: the text first.
        "Укажите адрес почты. (Ольга Смирнова)",
        "«Нужны сведения»",
        "Почта та же, что в заявлении. (гражданин)",
        "«В работе»",
    ]
    assert all(m.message.via is not Via.TELEGRAM for m in news.messages)
    await board.shown(news)
    assert await board.news() == []

    # A reply written in the topic is there already: nothing to post.
    clock.advance(timedelta(minutes=1))
    await services.desk.reply(olga, number, "И ещё одно из топика.", via=Via.TELEGRAM)
    assert await board.news() == []
    # A last answer given while closing it in the console is shown before the closing.
    clock.advance(timedelta(minutes=1))
    await services.desk.resolve(olga, number, "Доступ восстановлен.", via=Via.CONSOLE)
    (news,) = await board.news()
    assert timeline(news) == ["Доступ восстановлен. (Ольга Смирнова)", "«Завершено»"]
    await board.shown(news)
    assert await board.news() == []


async def test_operator_messages_from_before_the_via_column_are_not_posted(
    services: Services, clock: FakeClock
) -> None:
    """Whether such a message was written in the topic is unknown: posting it might repeat it."""
    (number,) = await open_tickets(services, 1)
    board = StaffBoard(services.db, chat_id=CHAT, clock=clock)
    topic = await shown_topic(board)
    olga = await services.operator("olga")
    async with services.db.transaction() as uow:
        await uow.tickets.add_message(
            topic.ticket_id, Author.OPERATOR, "Старый ответ", clock(), operator_id=olga.id
        )
    assert await board.news() == []
    await services.conversations.handle(Identity("web", "session-0"), "Ещё вопрос")
    (news,) = await board.news()
    assert [m.message.text for m in news.messages] == ["Ещё вопрос"]
    assert number == news.topic.ticket_number


# What the delivery worker records when the citizen's channel refuses a reply.
REFUSED = "Сообщение гражданину не доставлено: {}"


@asynccontextmanager
async def second_refusal_committed_first(
    services: Services, ticket_id: int, clock: FakeClock
) -> AsyncIterator[None]:
    """Two delivery workers record a refusal each, without locking the ticket: the first
    takes the lower id and is still uncommitted inside the block; the second has committed."""
    async with services.db.transaction() as slow_worker:
        await slow_worker.tickets.add_event(
            ticket_id, DELIVERY_REFUSED, Author.SYSTEM, clock(), note=REFUSED.format("первый ответ")
        )
        async with services.db.transaction() as other_worker:
            await other_worker.tickets.add_event(
                ticket_id,
                DELIVERY_REFUSED,
                Author.SYSTEM,
                clock(),
                note=REFUSED.format("второй ответ"),
            )
        yield


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_an_event_committed_after_a_later_numbered_one_was_shown_is_still_news(
    services: Services, clock: FakeClock
) -> None:
    """On PostgreSQL an id is taken when the row is written, and the transaction commits
    later: two delivery workers (which record a refusal without locking the ticket) write one
    each, the first commits last. The topic shows the second, then the first (until
    2026-12-05 its cursor had passed the first one's id and it was never posted). SQLite has
    one writer at a time, so its ids are committed in their order."""
    (number,) = await open_tickets(services, 1)
    board = StaffBoard(services.db, chat_id=CHAT, clock=clock)
    topic = await shown_topic(board)
    async with second_refusal_committed_first(services, topic.ticket_id, clock):
        (news,) = await board.news()
        assert [c.event.note for c in news.changes] == [REFUSED.format("второй ответ")]
        second = news.changes[0].event.id
        await board.shown(news)
        assert await board.news() == []
    (news,) = await board.news()
    assert [c.event.note for c in news.changes] == [REFUSED.format("первый ответ")]
    assert news.changes[0].event.id < second, "numbered before the one shown first"
    await board.shown(news)
    # Shown once: neither this process nor a restarted one posts it again.
    assert await board.news() == []
    assert await StaffBoard(services.db, chat_id=CHAT, clock=clock).news() == []
    shows = await board.topic_of_ticket(number)
    assert shows is not None and shows.last_event_id > news.changes[0].event.id


async def _topic_that_showed_news(
    services: Services, clock: FakeClock
) -> tuple[StaffBoard, StaffTopic, TopicNews]:
    """A ticket's topic that has shown its news: the ticket taken and a citizen's message."""
    (number,) = await open_tickets(services, 1)
    board = StaffBoard(services.db, chat_id=CHAT, clock=clock)
    topic = await shown_topic(board)
    olga = await services.operator("olga")
    await services.desk.take(olga, number)
    await services.conversations.handle(Identity("web", "session-0"), "Жду ответа")
    (news,) = await board.news()
    await board.shown(news)
    return board, topic, news


async def test_downgrading_0016_moves_the_cursors_past_what_the_topics_showed(
    services: Services, clock: FakeClock, database_url: str
) -> None:
    """The code before 0016 reads only the cursors: left where the topic began, it would post
    every change and message of the ticket into the topic again."""
    _, topic, news = await _topic_that_showed_news(services, clock)
    engine = create_engine(database_url, StorageSettings())
    try:
        await services.db.close()  # its pooled connections would hold SQLite's file
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), "0015"))
            cursors = (
                await connection.execute(
                    text("SELECT last_event_id, last_message_id FROM staff_topics WHERE id = :id"),
                    {"id": topic.id},
                )
            ).one()
    finally:
        await engine.dispose()
    assert tuple(cursors) == (max(news.event_ids), max(news.message_ids))


async def _recorded(database_url: str, topic_id: int) -> tuple[int, int, int]:
    """How many items the topic's record holds, and its two cursors."""
    engine = create_engine(database_url, StorageSettings())
    try:
        async with engine.connect() as connection:
            found = await connection.execute(
                text(
                    "SELECT (SELECT COUNT(*) FROM staff_topic_items WHERE topic_id = :id),"
                    " last_event_id, last_message_id FROM staff_topics WHERE id = :id"
                ),
                {"id": topic_id},
            )
            count, events, messages = found.one()
            return int(count), int(events), int(messages)
    finally:
        await engine.dispose()


async def test_what_a_topic_showed_is_folded_into_its_cursors_once_nothing_lower_can_come(
    services: Services, clock: FakeClock, database_url: str
) -> None:
    """Each pass looks through every topic's items past its cursors: once no transaction in
    progress can commit a lower id, the next pass moves the cursors past what the topic
    showed and forgets those items, so the look stays short. What comes later is news."""
    board, topic, news = await _topic_that_showed_news(services, clock)
    assert (await _recorded(database_url, topic.id))[0] == len(news.event_ids) + len(
        news.message_ids
    )
    assert await board.news() == []
    assert await _recorded(database_url, topic.id) == (
        0,
        max(news.event_ids),
        max(news.message_ids),
    )
    await services.conversations.handle(Identity("web", "session-0"), "Я ещё здесь")
    (news,) = await board.news()
    assert [m.message.text for m in news.messages] == ["Я ещё здесь"]


async def test_each_staff_chat_keeps_its_own_record_of_what_it_showed(
    services: Services, clock: FakeClock
) -> None:
    """A second group (the operators moved to a new one) shows the ticket's news although
    the first group showed them already."""
    (number,) = await open_tickets(services, 1)
    first = StaffBoard(services.db, chat_id=CHAT, clock=clock)
    second = StaffBoard(services.db, chat_id=CHAT - 1, clock=clock)
    await shown_topic(first)
    await shown_topic(second)
    olga = await services.operator("olga")
    await services.desk.take(olga, number)
    (news,) = await first.news()
    await first.shown(news)
    (news,) = await second.news()
    assert [c.event.to_status for c in news.changes] == [TicketStatus.IN_PROGRESS]
    assert await first.news() == []


# A login role without superuser rights: it sees no detail of another role's sessions.
BOARD_ROLE = "faqbot_board"


async def _as_board_role(services: Services, database_url: str) -> Database:
    """The database as a process logged in with its own role sees it (the operators' bot
    run under another role than the web app's)."""
    engine = create_engine(database_url, StorageSettings())
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
                    f"'{BOARD_ROLE}') THEN CREATE ROLE {BOARD_ROLE} LOGIN; END IF; END $$"
                )
            )
            for things in ("TABLES", "SEQUENCES"):
                await connection.execute(
                    text(f"GRANT ALL ON ALL {things} IN SCHEMA public TO {BOARD_ROLE}")
                )
    finally:
        await engine.dispose()
    assert "://postgres@" in database_url
    return await open_database(database_url.replace("://postgres@", f"://{BOARD_ROLE}@"))


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_transaction_of_another_role_in_progress_holds_the_cursors_back(
    services: Services, clock: FakeClock, database_url: str
) -> None:
    """A process logged in with another role than the bot's (here the web app's) writes an
    event and commits it after a later-numbered one was shown. PostgreSQL hides that role's
    sessions from the bot (their state, their transaction's start, even their type): until
    2026-12-05 the fold did not wait for them, moved the cursor past the event, and it was
    never posted. Idle sessions of that role do not stop the folding."""
    (number,) = await open_tickets(services, 1)
    board_db = await _as_board_role(services, database_url)
    try:
        board = StaffBoard(board_db, chat_id=CHAT, clock=clock)
        topic = await shown_topic(board)
        async with second_refusal_committed_first(services, topic.ticket_id, clock):
            (news,) = await board.news()
            assert [c.event.note for c in news.changes] == [REFUSED.format("второй ответ")]
            await board.shown(news)
            assert await board.news() == []
            assert await board.news() == []
        (news,) = await board.news()
        assert [c.event.note for c in news.changes] == [REFUSED.format("первый ответ")]
        await board.shown(news)
        assert await board.news() == []
        # The web app's pool keeps idle connections of its role open: folding goes on.
        assert await board.news() == []
        count, events, _ = await _recorded(database_url, topic.id)
        assert count == 0 and events >= max(news.event_ids)
        shows = await board.topic_of_ticket(number)
        assert shows is not None and shows.last_event_id == events
    finally:
        await board_db.close()


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_transaction_that_only_read_does_not_hold_the_cursors_back(
    services: Services, clock: FakeClock, database_url: str
) -> None:
    """A session left in a transaction after reading (a report, a psql session someone
    forgot) cannot commit an event or a message numbered before what the topic showed: the
    cursors move on (until 2026-12-05 they waited for it to end, and every pass looked
    through more and more items meanwhile). One that wrote holds them back."""
    (number,) = await open_tickets(services, 1)
    board = StaffBoard(services.db, chat_id=CHAT, clock=clock)
    topic = await shown_topic(board)
    olga = await services.operator("olga")
    async with services.db.transaction() as reader:
        assert await reader.staff_topics.all_in_chat(CHAT)
        await services.desk.take(olga, number)
        (news,) = await board.news()
        await board.shown(news)
        assert await board.news() == []
        count, events, _ = await _recorded(database_url, topic.id)
        assert count == 0 and events == max(news.event_ids)
        await services.conversations.handle(Identity("web", "session-0"), "Жду ответа")
        async with services.db.transaction() as writer:
            await writer.tickets.add_event(
                topic.ticket_id, DELIVERY_REFUSED, Author.SYSTEM, clock(), note="не доставлено"
            )
            (news,) = await board.news()
            assert [m.message.text for m in news.messages] == ["Жду ответа"]
            await board.shown(news)
            assert await board.news() == []
            assert (await _recorded(database_url, topic.id))[0] > 0, "the writer holds them"
        (news,) = await board.news()
        assert [c.event.note for c in news.changes] == ["не доставлено"]
        await board.shown(news)
        assert await board.news() == []
        assert (await _recorded(database_url, topic.id))[0] == 0
