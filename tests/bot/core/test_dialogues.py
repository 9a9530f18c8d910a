"""Dialogue memory in the database: kept across restarts, shared, forgotten when old."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core.dialogues import DialogueMemory
from bot.core.records import Dialogue
from bot.storage.database import Database, open_database
from tests.bot.conftest import FakeClock

pytestmark = pytest.mark.anyio

TTL = timedelta(days=30)
KEY = "telegram:7000001:501:501:default"


async def test_a_memory_outlives_the_connection_that_wrote_it(
    db: Database, database_url: str, clock: FakeClock
) -> None:
    memory = DialogueMemory(db, ttl=TTL, clock=clock)
    await memory.change(KEY, lambda d: Dialogue(state="asking", data={"phone": "+79123456789"}))
    reopened = await open_database(database_url)  # another process, or after a restart
    try:
        found = await DialogueMemory(reopened, ttl=TTL, clock=clock).read(KEY)
    finally:
        await reopened.close()
    assert found == Dialogue(state="asking", data={"phone": "+79123456789"})
    assert await memory.read("telegram:7000001:502:502:default") == Dialogue()


async def test_concurrent_changes_of_one_chat_keep_every_value(
    db: Database, clock: FakeClock
) -> None:
    memory = DialogueMemory(db, ttl=TTL, clock=clock)

    async def add(i: int) -> None:
        await memory.change(KEY, lambda d: replace(d, data={**d.data, f"k{i}": i}))

    await asyncio.gather(*(add(i) for i in range(20)))
    assert (await memory.read(KEY)).data == {f"k{i}": i for i in range(20)}


async def test_an_old_memory_is_forgotten(db: Database, clock: FakeClock) -> None:
    memory = DialogueMemory(db, ttl=TTL, clock=clock)
    await memory.change(KEY, lambda d: Dialogue(data={"phone": "+79123456789"}))
    other = "telegram:7000001:502:502:default"
    clock.advance(TTL - timedelta(days=1))
    await memory.change(other, lambda d: Dialogue(data={"phone": "+79990001122"}))
    clock.advance(timedelta(days=2))
    assert await memory.read(KEY) == Dialogue()  # past its time even before it is removed
    assert await memory.forget_stale() == 1
    assert (await memory.read(other)).data == {"phone": "+79990001122"}


async def test_an_emptied_memory_leaves_no_row(db: Database, clock: FakeClock) -> None:
    memory = DialogueMemory(db, ttl=TTL, clock=clock)
    await memory.change(KEY, lambda d: Dialogue(state="asking"))
    await memory.change(KEY, lambda d: Dialogue())
    clock.advance(TTL * 2)
    assert await memory.forget_stale() == 0
