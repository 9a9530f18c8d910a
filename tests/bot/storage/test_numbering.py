"""Ticket numbers are sequential and never handed out twice, even after a rollback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.contacts import Contacts
from bot.core.identity import Identity
from bot.core.tickets import HandoffReason
from bot.storage.database import Database, open_database

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
CITIZEN = Identity("web", "session-1")


class CrashError(Exception):
    """Something failed after the ticket was written."""


async def _open(db: Database, *, crash: bool = False) -> int:
    number = await db.allocate_ticket_number(NOW)
    async with db.transaction() as uow:
        conversation = await uow.conversations.open(CITIZEN, NOW)
        identity_id, citizen_id = await uow.conversations.ensure_identity(CITIZEN, NOW)
        await uow.tickets.create(
            number=number,
            citizen_id=citizen_id,
            identity_id=identity_id,
            conversation_id=conversation.id,
            question="Вопрос",
            reason=HandoffReason.NO_ANSWER,
            contacts=Contacts(),
            now=NOW,
            due_at=NOW,
        )
        if crash:
            raise CrashError
    return number


async def test_numbers_are_sequential(db: Database) -> None:
    assert [await _open(db) for _ in range(5)] == [1, 2, 3, 4, 5]


async def test_a_rolled_back_number_is_never_reused(db: Database) -> None:
    first = await _open(db)
    with pytest.raises(CrashError):
        await _open(db, crash=True)
    after = await _open(db)
    async with db.transaction() as uow:
        stored = list(await uow.tickets.all_numbers())
    assert (first, after) == (1, 3)
    assert stored == [1, 3]
    assert await db.allocate_ticket_number(NOW) == 4


async def test_numbers_survive_a_restart(database_url: str) -> None:
    db = await open_database(database_url)
    try:
        await _open(db)
    finally:
        await db.close()
    db = await open_database(database_url)
    try:
        assert await _open(db) == 2
    finally:
        await db.close()
