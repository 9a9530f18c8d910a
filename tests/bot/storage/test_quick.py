"""The question path's quick transaction (no session, on SQLite's or asyncpg's driver): it
commits, rolls back and gives its connection back like any transaction, waits for another
writer, raises errors as SQLAlchemy would, and a cut connection is an outage that the next
transaction does not inherit."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from bot.core.conversation_state import ConversationState
from bot.core.errors import DatabaseUnavailableError
from bot.core.identity import Identity
from bot.core.question_records import Decision, NewQuestion
from bot.core.settings import StorageSettings
from bot.storage.database import Database
from bot.storage.engine import create_engine
from bot.storage.outage import is_outage

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


def _other_writer(database_url: str) -> sqlite3.Connection:
    """Another process's connection to the SQLite file, holding its write lock until
    `COMMIT`."""
    path = database_url.split(":///", 1)[1]
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


async def _terminate_other_connections(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE pid <> pg_backend_pid() AND datname = current_database()"
                )
            )
    finally:
        await engine.dispose()


async def _logged(db: Database) -> list[str]:
    async with db.transaction() as uow:
        return [q.text for q in await uow.questions.between(*WINDOW)]


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
    other = _other_writer(database_url)
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


async def test_a_constraint_broken_in_a_quick_transaction_is_sqlalchemys_integrity_error(
    db: Database,
) -> None:
    """A first contact whose identity another transaction created meanwhile: the caller
    catches `IntegrityError` (on PostgreSQL the transaction is spoilt, so it rolls back)."""
    await _known_conversation(db)
    async with db.quick_transaction() as quick:
        assert await quick.start_reading(CITIZEN, NOW, "maintenance") is None
        quick.cancel()
    with pytest.raises(IntegrityError):
        async with db.quick_transaction() as quick:
            await quick.conversations.start(CITIZEN, NOW)
    async with asyncio.timeout(5), db.quick_transaction() as quick:
        assert await quick.conversations.find_reading(CITIZEN, "maintenance") is not None


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_connection_cut_in_a_quick_transaction_is_an_outage_and_the_next_works(
    db: Database, database_url: str
) -> None:
    conversation_id = await _known_conversation(db)
    with pytest.raises(DatabaseUnavailableError):
        async with db.quick_transaction() as quick:
            await quick.questions.add(_question("до обрыва", conversation_id))
            # The server ends every other connection's backend, this one's among them, as a
            # restart or a network cut does.
            await _terminate_other_connections(database_url)
            await quick.questions.add(_question("после обрыва", conversation_id))
    async with asyncio.timeout(5):
        async with db.quick_transaction() as quick:
            await quick.questions.add(_question("на новом соединении", conversation_id))
        assert await _logged(db) == ["на новом соединении"]


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_failure_to_connect_is_raised_as_a_session_raises_it(database_url: str) -> None:
    """The pool raises the driver's own error when it cannot connect; the quick path raises
    SQLAlchemy's, carrying the SQLSTATE that tells an outage (57P03 while the server shuts
    down) from a mistake such as this one (3D000, no such database)."""
    missing = database_url.rsplit("/", 1)[0] + "/no_such_database"
    db = Database(create_engine(missing, StorageSettings()))
    try:
        with pytest.raises(DBAPIError) as raised:
            async with db.quick_transaction():
                pass
        assert getattr(raised.value.orig, "sqlstate", None) == "3D000"
        assert not is_outage(raised.value)
    finally:
        await db.close()


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_quick_transaction_cancelled_while_waiting_for_a_lock_leaves_no_trace(
    db: Database,
) -> None:
    """A request cancelled while its statement waits on the server (here for the row lock
    another transaction holds): the statement is abandoned mid-flight, and neither the
    next quick transaction nor the lock holder meets a connection left in its middle."""
    conversation_id = await _known_conversation(db)
    async with db.transaction() as holder:
        await holder.conversations.open(CITIZEN, NOW)  # locks the conversation's row

        async def question() -> None:
            async with db.quick_transaction() as quick:
                await quick.questions.add(_question("отменённый", conversation_id))
                await quick.conversations.find_reading(CITIZEN, "maintenance")

        waiting = asyncio.create_task(question())
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the read did not wait for the lock"
        assert db._gate.waiting == 0, "it waits for a connection, not on the server"
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    async with asyncio.timeout(5):
        async with db.quick_transaction() as quick:
            assert await quick.conversations.find_reading(CITIZEN, "maintenance") is not None
            await quick.questions.add(_question("следующий", conversation_id))
        assert await _logged(db) == ["следующий"]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_quick_transaction_cancelled_while_beginning_does_not_leave_one_open(
    db: Database, database_url: str
) -> None:
    """Cancelled while `BEGIN IMMEDIATE` waits for another process's writer (on aiosqlite's
    thread, where it goes on waiting): the connection must not go back to the pool, where
    the `BEGIN` would later succeed and the next transaction find one already open."""
    conversation_id = await _known_conversation(db)
    other = _other_writer(database_url)
    try:

        async def question() -> None:
            async with db.quick_transaction() as quick:
                await quick.questions.add(_question("отменённый", conversation_id))

        waiting = asyncio.create_task(question())
        await asyncio.sleep(0.3)
        assert not waiting.done(), "BEGIN did not wait for the other writer"
        waiting.cancel()
        await asyncio.sleep(0.1)
    finally:
        other.execute("COMMIT")  # the abandoned BEGIN gets the lock now, if it still can
        other.close()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    async with asyncio.timeout(10):
        async with db.quick_transaction() as quick:
            await quick.questions.add(_question("следующий", conversation_id))
        assert await _logged(db) == ["следующий"]
