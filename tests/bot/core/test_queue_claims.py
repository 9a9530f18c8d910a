"""Many operators taking tickets at once never get the same one, and no ticket is lost."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest

from bot.core.desk import Desk
from bot.core.identity import Identity
from bot.core.records import Operator
from bot.storage.database import Database, open_database
from tests.bot.core.conftest import Services

pytestmark = pytest.mark.anyio

TICKETS = 24
OPERATORS = 6


async def _drain(url: str, operator: Operator, services: Services) -> list[int]:
    # Each operator is a separate process as far as the database is concerned: own engine.
    db: Database = await open_database(url)
    try:
        desk = Desk(db, clock=services.clock)
        taken: list[int] = []
        while (ticket := await desk.take_next(operator)) is not None:
            taken.append(ticket.number)
            await asyncio.sleep(0)
        return taken
    finally:
        await db.close()


async def test_concurrent_take_next_hands_out_each_ticket_once(
    services: Services, database_url: str
) -> None:
    for i in range(TICKETS):
        reply = await services.conversations.handle(
            Identity("web", f"session-{i}"), "сломался карбюратор у трактора"
        )
        assert reply.ticket_number == i + 1
    operators = [await services.operator(f"operator{i}") for i in range(OPERATORS)]
    results = await asyncio.gather(*(_drain(database_url, op, services) for op in operators))
    taken = [number for result in results for number in result]
    assert Counter(taken).most_common(1)[0][1] == 1, "a ticket was handed out twice"
    assert sorted(taken) == list(range(1, TICKETS + 1)), "a ticket was lost"
    # Each operator got the oldest due ticket at the time: their own picks are ascending.
    assert all(result == sorted(result) for result in results)


async def test_take_next_gives_the_ticket_due_first(services: Services) -> None:
    await services.conversations.handle(Identity("web", "a"), "сломался карбюратор у трактора")
    services.clock.advance(timedelta(minutes=5))
    await services.conversations.handle(Identity("web", "b"), "сломался карбюратор у трактора")
    operator = await services.operator("olga")
    first = await services.desk.take_next(operator)
    assert first is not None
    assert first.number == 1
