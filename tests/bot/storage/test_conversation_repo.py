"""A citizen's first contact creates one citizen, one identity and one conversation, however
many of their messages arrive at once; the question path reads and writes in few statements."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.core.conversation_state import ConversationState
from bot.core.identity import Identity
from bot.core.tickets import Author
from bot.storage.database import Database
from bot.storage.tables import CitizenRow, ConversationRow, IdentityRow

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
NEWCOMER = Identity("web", "session-first-contact")


async def _count(db: Database, table: type[CitizenRow | IdentityRow | ConversationRow]) -> int:
    async with db.transaction() as uow:
        session = uow.conversations._session
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_a_first_contact_creates_the_citizen_and_their_conversation(db: Database) -> None:
    async with db.transaction() as uow:
        first = await uow.conversations.open(NEWCOMER, NOW)
    async with db.transaction() as uow:
        again = await uow.conversations.open(NEWCOMER, NOW)
        citizen = await uow.conversations.citizen_of(NEWCOMER)
    assert first == again
    assert first.state is ConversationState.BOT and first.identity == NEWCOMER
    assert citizen == first.citizen_id


async def test_simultaneous_first_messages_share_one_conversation(db: Database) -> None:
    async def write(n: int) -> int:
        async with db.transaction() as uow:
            conversation = await uow.conversations.open(NEWCOMER, NOW)
            await uow.conversations.add_message(conversation.id, Author.CITIZEN, f"№{n}", NOW)
            return conversation.id

    ids = await asyncio.gather(*(write(n) for n in range(8)))
    assert len(set(ids)) == 1
    assert [await _count(db, t) for t in (CitizenRow, IdentityRow, ConversationRow)] == [1, 1, 1]
    async with db.transaction() as uow:
        texts = {m.text for m in await uow.conversations.recent_messages(ids[0], 20)}
    assert texts == {f"№{n}" for n in range(8)}


async def test_an_identity_known_without_a_conversation_gets_one(db: Database) -> None:
    async with db.transaction() as uow:  # as linking does for a channel not yet written on
        _, citizen_id = await uow.conversations.ensure_identity(NEWCOMER, NOW)
    async with db.transaction() as uow:
        conversation = await uow.conversations.open(NEWCOMER, NOW)
    assert conversation.citizen_id == citizen_id
    assert [await _count(db, t) for t in (CitizenRow, IdentityRow, ConversationRow)] == [1, 1, 1]


async def test_a_conversation_is_opened_with_a_switch_read_beside_it(db: Database) -> None:
    async with db.transaction() as uow:  # a first contact, the switch off
        first, off = await uow.conversations.open_reading(NEWCOMER, NOW, "maintenance")
    async with db.transaction() as uow:
        await uow.switches.put("maintenance", {"until": "2026-12-03T18:00:00+03:00"}, NOW)
    async with db.transaction() as uow:  # known now, the switch on
        again, on = await uow.conversations.open_reading(NEWCOMER, NOW, "maintenance")
        other, _ = await uow.conversations.open_reading(Identity("web", "s-2"), NOW, "maintenance")
        stored = await uow.switches.get("maintenance")
    assert off is None
    assert first == again and other.id != first.id
    assert on == stored == {"until": "2026-12-03T18:00:00+03:00"}
    async with db.transaction() as uow:  # a first contact with the switch on
        _, seen = await uow.conversations.open_reading(Identity("web", "s-3"), NOW, "maintenance")
    assert seen == on


async def test_a_question_and_its_reply_are_written_together(db: Database) -> None:
    async with db.transaction() as uow:
        conversation = await uow.conversations.open(NEWCOMER, NOW)
        reply_id = await uow.conversations.add_exchange(
            conversation.id, "забыл пароль", "Нажмите «Забыли пароль?»", NOW, entry_id="password"
        )
        messages = await uow.conversations.recent_messages(conversation.id, 10)
    assert [(m.author, m.text, m.entry_id) for m in messages] == [
        (Author.CITIZEN, "забыл пароль", None),
        (Author.BOT, "Нажмите «Забыли пароль?»", "password"),
    ]
    assert messages[1].id == reply_id
