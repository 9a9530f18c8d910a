"""The SQLite driver: a transaction's statements skip the driver's thread, and a writer in
another process is still waited for without freezing the server."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from bot.core.identity import Identity
from bot.core.settings import StorageSettings
from bot.core.tickets import Author
from bot.storage.database import Database, open_database
from bot.storage.sqlite_driver import CHECKPOINT_EVERY

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
CITIZEN = Identity("web", "session-driver")
HELD_SECONDS = 1.0


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> Any:
    path = tmp_path / "driver.sqlite3"
    database = await open_database(
        f"sqlite+aiosqlite:///{path}",
        StorageSettings(sqlite_busy_timeout=timedelta(seconds=10)),
    )
    try:
        yield database, path
    finally:
        await database.close()


def _thread_reporting(db: Database) -> None:
    """Give every connection an SQL function `thread()`: the id of the thread running it."""

    @event.listens_for(db._engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection._conn.create_function("thread", 0, threading.get_ident)


async def test_a_transactions_statements_run_on_the_event_loops_thread(
    sqlite_db: tuple[Database, Path],
) -> None:
    db, _ = sqlite_db
    await db.close()  # reconnect with the test function installed
    _thread_reporting(db)
    async with db.transaction() as uow:
        await uow.conversations.open(CITIZEN, NOW)
        ran_on = (await uow.conversations._session.execute(text("SELECT thread()"))).scalar()
    assert ran_on == threading.get_ident()


async def test_a_writer_in_another_process_is_waited_for_while_the_loop_keeps_serving(
    sqlite_db: tuple[Database, Path],
) -> None:
    db, path = sqlite_db
    async with db.transaction() as uow:  # the conversation exists; the file is in WAL mode
        conversation = await uow.conversations.open(CITIZEN, NOW)

    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process's writer holds the lock
    released = threading.Timer(HELD_SECONDS, other.execute, args=("COMMIT",))
    gaps: list[float] = []
    stop = asyncio.Event()

    async def tick() -> None:  # what other requests would see of the event loop
        last = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    released.start()
    try:
        async with db.transaction() as uow:
            message_id = await uow.conversations.add_message(
                conversation.id, Author.CITIZEN, "Вопрос после чужой записи", NOW
            )
    finally:
        stop.set()
        await ticker
        released.join()
        other.close()
    waited = time.monotonic() - started

    assert waited >= HELD_SECONDS * 0.9, "the transaction did not wait for the other writer"
    assert max(gaps) < 0.25, f"the event loop froze for {max(gaps):.2f} s"
    async with db.transaction() as uow:
        stored = await uow.conversations.message(message_id)
    assert stored is not None and stored.text == "Вопрос после чужой записи"


async def test_a_writer_that_never_lets_go_gives_the_usual_error(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    db = await open_database(
        f"sqlite+aiosqlite:///{path}",
        StorageSettings(sqlite_busy_timeout=timedelta(milliseconds=300)),
    )
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Exception, match="database is locked"):
            async with db.transaction() as uow:
                await uow.conversations.open(CITIZEN, NOW)
    finally:
        other.execute("ROLLBACK")
        other.close()
    async with db.transaction() as uow:  # and the connection is usable afterwards
        assert (await uow.conversations.open(CITIZEN, NOW)).identity == CITIZEN
    await db.close()


async def test_the_write_ahead_log_is_checkpointed_as_commits_go_by(
    sqlite_db: tuple[Database, Path],
) -> None:
    db, path = sqlite_db
    async with db.transaction() as uow:
        conversation = await uow.conversations.open(CITIZEN, NOW)
    for n in range(6 * CHECKPOINT_EVERY):
        async with db.transaction() as uow:
            await uow.conversations.add_message(
                conversation.id, Author.CITIZEN, f"Вопрос {n} " + "текст " * 200, NOW
            )
    # Unchecked, the log would hold every commit (600 x ~2 pages of 4 KB); checkpointed, it
    # is reused from the start and holds about the last hundred.
    wal = path.with_name(path.name + "-wal")
    assert wal.stat().st_size < 3 * CHECKPOINT_EVERY * 4096 * 2
    async with db.transaction() as uow:
        assert len(await uow.conversations.recent_messages(conversation.id, 1000)) == 600


def test_a_database_that_cannot_be_opened_leaves_no_thread_failing_after_the_loop_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file SQLite cannot open (here a folder; a full disk, no rights) and the server
    stopping at once: aiosqlite stopped its thread without waiting for it, and the thread,
    reporting to an event loop closed by then, died printing «Event loop is closed» (a warning
    in CI after `test_healthz_is_503_when_the_database_is_down`)."""
    died: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", died.append)
    where = tmp_path / "a-folder.sqlite3"
    where.mkdir()
    before = set(threading.enumerate())
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(OperationalError, match="unable to open database file"):
            loop.run_until_complete(open_database(f"sqlite+aiosqlite:///{where}"))
    finally:
        loop.close()  # as `asyncio.run` does when the server's main coroutine ends
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=10)
        assert not thread.is_alive()
    assert [str(d.exc_value) for d in died] == []
