"""Staff transactions go ahead of citizens' when every connection is busy; nobody is lost."""

from __future__ import annotations

import asyncio
import contextvars
from contextlib import nullcontext
from datetime import timedelta

import pytest

from bot.core.errors import DatabaseUnavailableError
from bot.core.priority import Priority, as_staff, current_priority, underway
from bot.core.settings import StorageSettings
from bot.storage.database import Database, open_database
from bot.storage.gate import NoRoomError, PriorityGate

pytestmark = pytest.mark.anyio

LONG = 10.0


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_waiters_enter_by_priority_then_arrival() -> None:
    gate = PriorityGate(1)
    entered: list[str] = []

    async def visit(name: str, priority: Priority) -> None:
        async with gate.held(priority, LONG):
            entered.append(name)
            await asyncio.sleep(0)

    async with gate.held(Priority.CITIZEN, LONG):
        tasks = [asyncio.create_task(visit("citizen 1", Priority.CITIZEN))]
        await _settle()
        tasks.append(asyncio.create_task(visit("citizen 2", Priority.CITIZEN)))
        await _settle()
        tasks.append(asyncio.create_task(visit("operator", Priority.STAFF)))
        await _settle()
        assert entered == []  # all wait while the place is held
    await asyncio.gather(*tasks)
    assert entered == ["operator", "citizen 1", "citizen 2"]


async def test_a_waiter_that_gives_up_loses_nothing_for_the_others() -> None:
    gate = PriorityGate(1)
    async with gate.held(Priority.CITIZEN, LONG):
        with pytest.raises(NoRoomError):
            async with gate.held(Priority.STAFF, 0.05):
                pass
        cancelled = asyncio.create_task(gate.held(Priority.STAFF, LONG).__aenter__())
        await _settle()
        cancelled.cancel()
        await _settle()
    # The place is free again: no holder leaked, no dead waiter blocks the queue.
    async with gate.held(Priority.CITIZEN, 0.05):
        assert gate.waiting == 0


async def test_capacity_bounds_how_many_hold_at_once() -> None:
    gate = PriorityGate(3)
    holding = peak = 0

    async def visit() -> None:
        nonlocal holding, peak
        async with gate.held(Priority.CITIZEN, LONG):
            holding += 1
            peak = max(peak, holding)
            await asyncio.sleep(0.01)
            holding -= 1

    await asyncio.gather(*(visit() for _ in range(12)))
    assert peak == 3


async def _entry_order(database_url: str, arrivals: list[str]) -> list[str]:
    """With every connection busy, requests arrive in this order ("operator" marks its work as
    staff, "hand-off" its ticket as underway); the order in which they get in."""
    db = await open_database(database_url)
    try:
        order: list[str] = []
        busy = asyncio.Event()
        release = asyncio.Event()

        async def long_citizen_transaction() -> None:
            async with db.transaction():
                busy.set()
                await release.wait()

        async def request(name: str) -> None:
            if name == "operator":
                as_staff()  # what the console's routes do for their request
            with underway() if name == "hand-off" else nullcontext():
                async with db.transaction():
                    order.append(name)

        capacity = StorageSettings().connections(db.dialect == "sqlite")
        holders = [asyncio.create_task(long_citizen_transaction()) for _ in range(capacity)]
        await busy.wait()
        await _settle()
        requests = []
        for name in arrivals:
            requests.append(asyncio.create_task(request(name)))
            await _settle()
        release.set()
        await asyncio.gather(*holders, *requests)
        return order
    finally:
        await db.close()


async def test_the_console_goes_first_on_a_busy_database(database_url: str) -> None:
    order = await _entry_order(database_url, ["citizen 0", "citizen 1", "citizen 2", "operator"])
    assert order[0] == "operator"
    assert sorted(order[1:]) == ["citizen 0", "citizen 1", "citizen 2"]


async def test_a_hand_offs_ticket_goes_before_new_requests_but_after_staff(
    database_url: str,
) -> None:
    arrivals = ["citizen 0", "citizen 1", "hand-off", "operator", "citizen 2"]
    order = await _entry_order(database_url, arrivals)
    assert order[:2] == ["operator", "hand-off"]
    assert sorted(order[2:]) == ["citizen 0", "citizen 1", "citizen 2"]


def test_underway_does_not_demote_staff_and_ends_with_its_block() -> None:
    def check() -> None:
        with underway():
            assert current_priority.get() is Priority.UNDERWAY
        assert current_priority.get() is Priority.CITIZEN
        as_staff()
        with underway():
            assert current_priority.get() is Priority.STAFF

    # In a context of its own: `as_staff` would otherwise stay set for the later tests.
    contextvars.copy_context().run(check)


async def test_no_connection_within_the_wait_is_a_clear_503(database_url: str) -> None:
    settings = StorageSettings(wait_timeout=timedelta(seconds=0.1))
    db: Database = await open_database(database_url, settings)
    try:
        release = asyncio.Event()
        busy = asyncio.Event()

        async def hold() -> None:
            async with db.transaction():
                busy.set()
                await release.wait()

        holders = [
            asyncio.create_task(hold()) for _ in range(settings.connections(db.dialect == "sqlite"))
        ]
        await busy.wait()
        await _settle()
        with pytest.raises(DatabaseUnavailableError):
            async with db.transaction():
                pass
        release.set()
        await asyncio.gather(*holders)
        async with db.transaction():  # and it serves again at once
            pass
    finally:
        await db.close()
