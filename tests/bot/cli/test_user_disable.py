"""`faqbot user disable` gives the account's open tickets back to the queue and says which:
a real `faqbot` process on a real SQLite file; the tickets are made, and then taken by the
next operator, through the core's own API, as the console would."""

from __future__ import annotations

import asyncio

from bot.core.accounts import Accounts
from bot.core.conversation import ConversationService
from bot.core.desk import Desk
from bot.core.history import ConversationHistory
from bot.core.identity import Identity
from bot.core.roles import Role
from bot.core.settings import default_working_hours
from bot.core.ticket_status import TicketStatus
from bot.core.tickets import Via
from bot.core.workhours import WorkCalendar
from bot.storage.database import open_database
from matcher import Matcher
from tests.bot.cli.test_admin import STRONG, Faqbot, database_url, faqbot, ok, table

__all__ = ["database_url", "faqbot"]  # fixtures shared with the other admin tests


async def _ivan_works_two_tickets(url: str, matcher: Matcher) -> None:
    """Ticket 1 new; ivan has 2 in work and 3 waiting for the citizen; olga has 4."""
    db = await open_database(url)
    try:
        accounts = Accounts(db)
        ivan = await accounts.create("ivan", STRONG, role=Role.OPERATOR)
        olga = await accounts.create("olga", STRONG, role=Role.OPERATOR)
        await accounts.create("kate", STRONG, role=Role.CURATOR)
        conversations = ConversationService(
            db, matcher, calendar=WorkCalendar(default_working_hours())
        )
        for i in range(1, 5):
            await conversations.request_person(Identity("web", f"s{i}"), f"вопрос номер {i}")
        desk = Desk(db)
        await desk.take(ivan, 2)
        await desk.take(ivan, 3)
        await desk.ask_for_information(ivan, 3, "Укажите регион.", via=Via.CONSOLE)
        await desk.take(olga, 4)
    finally:
        await db.close()


async def _olga_takes_next(url: str) -> list[tuple[int, TicketStatus, str]]:
    """What olga's «Взять следующее» gives her until the queue is empty, and the history's
    last entry of ticket 2 as the console shows it."""
    db = await open_database(url)
    try:
        olga = await Accounts(db).get("olga")
        desk = Desk(db)
        taken = []
        while (ticket := await desk.take_next(olga)) is not None:
            events = (await desk.details(olga, ticket.number)).events
            returned = [e.note or "" for e in events if e.action == "returned_to_queue"]
            taken.append((ticket.number, ticket.status, "; ".join(returned)))
        return taken
    finally:
        await db.close()


async def _told_citizen(url: str, session: str) -> list[str]:
    """What the web citizen of `session` was told, oldest first."""
    db = await open_database(url)
    try:
        history = await ConversationHistory(db).recent(Identity("web", session))
        return [m.text for m in history.messages]
    finally:
        await db.close()


def test_disabling_an_account_returns_its_tickets_to_the_queue(
    faqbot: Faqbot, database_url: str, fixture_matcher: Matcher
) -> None:
    ok(faqbot("maintenance", "status"))  # creates the database
    asyncio.run(_ivan_works_two_tickets(database_url, fixture_matcher))

    assert ok(faqbot("user", "disable", "ivan")) == (
        "Учётная запись «ivan» отключена. Возвращены в очередь обращения: № 2, № 3.\n"
    )
    assert ok(faqbot("user", "disable", "kate")) == (
        "Учётная запись «kate» отключена. Обращений в работе у неё не было.\n"
    )
    queue = table(ok(faqbot("queue")))
    assert set(queue) == {"№", "1", "2", "Всего:"}
    assert queue["2"][1] == "Принято"

    # Ticket 3 waits for the citizen, nobody's: not in the queue until they answer.
    note = (
        "учётная запись сотрудника «ivan» отключена администратором сервера (faqbot user disable)"
    )
    assert asyncio.run(_olga_takes_next(database_url)) == [
        (1, TicketStatus.IN_PROGRESS, ""),
        (2, TicketStatus.IN_PROGRESS, note),
    ]
    # Taken by olga, ticket 2 is news to the team only: its citizen was told once that a
    # specialist took it (twice, before).
    told = asyncio.run(_told_citizen(database_url, "s2"))
    assert told.count("Специалист взял обращение № 2 в работу.") == 1
