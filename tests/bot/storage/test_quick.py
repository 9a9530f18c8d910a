"""The question path's quick transaction (SQLite, no session): it commits, rolls back and
gives its connection back like any transaction, waits for another writer, and a citizen's
repeat question goes through it with no statement left to SQLAlchemy."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.conversation_state import ConversationState
from bot.core.identity import Identity
from bot.core.question_records import Decision, NewQuestion
from bot.storage.database import Database

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
CITIZEN = Identity("web", "session-quick")
WINDOW = (NOW - timedelta(minutes=1), NOW + timedelta(minutes=1))


def _question(text: str, conversation_id: int) -> NewQuestion:
    return NewQuestion(
        channel="web",
        asked_at=NOW,
        text=text,
        decision=Decision.ANSWER,
        conversation_id=conversation_id,
    )


async def _known_conversation(db: Database) -> int:
    async with db.transaction() as uow:
        return (await uow.conversations.open(CITIZEN, NOW)).id


async def _logged(db: Database) -> list[str]:
    async with db.transaction() as uow:
        return [q.text for q in await uow.questions.between(*WINDOW)]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_quick_transaction_commits_what_it_wrote(db: Database) -> None:
    conversation_id = await _known_conversation(db)
    async with db.quick_transaction() as quick:
        found = await quick.conversations.find_reading(CITIZEN, "maintenance")
        assert found is not None
        conversation, switch = found
        assert (conversation.id, conversation.state, switch) == (
            conversation_id,
            ConversationState.BOT,
            None,
        )
        reply_id = await quick.conversations.add_exchange(
            conversation_id, "забыл пароль", "Восстановите пароль", NOW, entry_id="password"
        )
        await quick.questions.add(_question("забыл пароль", conversation_id))
    async with db.transaction() as uow:
        messages = await uow.conversations.recent_messages(conversation_id, 5)
    assert [(m.text, m.entry_id) for m in messages] == [
        ("забыл пароль", None),
        ("Восстановите пароль", "password"),
    ]
    assert messages[1].id == reply_id and messages[1].created_at == NOW
    assert await _logged(db) == ["забыл пароль"]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_failed_or_cancelled_quick_transaction_leaves_nothing(db: Database) -> None:
    conversation_id = await _known_conversation(db)
    with pytest.raises(RuntimeError):
        async with db.quick_transaction() as quick:
            await quick.questions.add(_question("первый", conversation_id))
            raise RuntimeError("the caller failed after writing")
    async with db.quick_transaction() as quick:
        await quick.questions.add(_question("второй", conversation_id))
        quick.cancel()
    # The single pooled connection came back each time: another transaction gets it.
    async with asyncio.timeout(5):
        assert await _logged(db) == []
        async with db.quick_transaction() as quick:
            await quick.questions.add(_question("третий", conversation_id))
    assert await _logged(db) == ["третий"]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_quick_transaction_waits_for_another_processes_writer(
    db: Database, database_url: str
) -> None:
    conversation_id = await _known_conversation(db)
    path = database_url.split(":///", 1)[1]
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    held = 0.5
    released = threading.Timer(held, other.execute, args=("COMMIT",))
    started = time.monotonic()
    released.start()
    try:
        async with db.quick_transaction() as quick:
            await quick.questions.add(_question("после чужой записи", conversation_id))
    finally:
        released.join()
        other.close()
    assert time.monotonic() - started >= held * 0.9
    assert await _logged(db) == ["после чужой записи"]


async def test_quick_transactions_are_for_sqlite_only(db: Database, backend: str) -> None:
    assert db.quick is (backend == "sqlite")
    if backend != "sqlite":
        with pytest.raises(RuntimeError, match="No quick transactions"):
            async with db.quick_transaction():
                pass
