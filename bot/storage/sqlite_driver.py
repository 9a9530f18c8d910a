"""The SQLite driver: aiosqlite, with the calls that cannot wait run on the caller's thread.

aiosqlite runs every call (cursor, execute, fetch, close, commit) on a thread of its own and
hands the result back through the event loop: about four thread hand-offs a statement, and
on a busy machine they cost more than the statements of a short transaction.

Every transaction here starts with `BEGIN IMMEDIATE` (see `engine.py`), which may wait up to
the busy timeout for another process's writer. From then until `COMMIT` the connection holds
the write lock, and in a WAL database nothing waits then, so those calls run on the event
loop's thread directly. `BEGIN` is first tried there too without waiting; only when another
writer holds the lock does it go to aiosqlite's thread to wait. `COMMIT` runs inline as well
because this connection never checkpoints as part of a commit (its auto-checkpoint is off);
instead every `CHECKPOINT_EVERY` commits a passive checkpoint runs on aiosqlite's thread.
Anything else outside a transaction also goes to the thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiosqlite

# How every transaction begins: one writer at a time, decided when the transaction starts.
BEGIN = "BEGIN IMMEDIATE"
# Statements that may wait for a lock or the disk even inside a transaction.
_WAITING_STATEMENTS = ("COMMIT", "END", "BEGIN", "PRAGMA", "VACUUM")
# Commits between two checkpoints of the write-ahead log into the database file (SQLite's
# own default is every 1,000 pages; a commit here writes a handful).
CHECKPOINT_EVERY = 100


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection that skips its thread while it holds the write lock."""

    def __init__(
        self, connector: Callable[[], sqlite3.Connection], *, busy_timeout_ms: int
    ) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._busy_timeout_ms = busy_timeout_ms
        self._commits = 0
        # As SQLAlchemy does for its own aiosqlite connections: never keep the process alive.
        self._thread.daemon = True
        self._stopping: asyncio.Future[Any] | None = None

    def stop(self) -> asyncio.Future[Any] | None:
        """Stop the thread (see `_connect`)."""
        self._stopping = super().stop()
        return self._stopping

    async def _connect(self) -> InlineConnection:
        # A file that cannot be opened: aiosqlite stops its thread without waiting for it,
        # and the thread, reporting to an event loop closed meanwhile (the server stopping),
        # died printing «Event loop is closed». It is waited for here.
        try:
            await super()._connect()
        except BaseException:
            if self._stopping is not None:
                await asyncio.shield(self._stopping)
            raise
        return self

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        connection = self._connection
        if self._running and connection is not None:
            if fn == connection.cursor:  # making a cursor never waits
                return fn()
            if connection.in_transaction:
                if fn == connection.commit:
                    return await self._commit(connection)
                if not _may_wait(connection, fn, args):
                    return fn(*args, **kwargs)
            elif _begins(args):
                try:
                    return self._without_waiting(connection, fn, *args, **kwargs)
                except sqlite3.OperationalError as error:
                    if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                        raise
                    # Another process is writing: wait for it on the thread.
        return await self._on_thread(fn, *args, **kwargs)

    async def fetch_all(self, sql: str, parameters: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run one statement and read all its rows, in one call (see `prepared.py`)."""
        return await self._execute(self._fetch_all, sql, parameters)  # type: ignore[no-any-return]

    def _fetch_all(self, sql: str, parameters: Sequence[Any]) -> list[tuple[Any, ...]]:
        assert self._connection is not None
        return self._connection.execute(sql, parameters).fetchall()

    async def _on_thread(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    async def _commit(self, connection: sqlite3.Connection) -> None:
        connection.commit()
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY == 0:
            await self._on_thread(_checkpoint, connection)

    def _without_waiting(
        self, connection: sqlite3.Connection, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Any:
        _run(connection, "PRAGMA busy_timeout=0")
        try:
            return fn(*args, **kwargs)
        finally:
            _run(connection, f"PRAGMA busy_timeout={self._busy_timeout_ms}")


def _run(connection: sqlite3.Connection, statement: str) -> None:
    # Read to the end: a statement left open would keep the transaction from committing.
    connection.execute(statement).fetchall()


def _checkpoint(connection: sqlite3.Connection) -> None:
    _run(connection, "PRAGMA wal_checkpoint(PASSIVE)")


def _begins(args: tuple[Any, ...]) -> bool:
    return bool(args) and isinstance(args[0], str) and args[0].lstrip().upper().startswith("BEGIN")


def _may_wait(
    connection: sqlite3.Connection, fn: Callable[..., Any], args: tuple[Any, ...]
) -> bool:
    if fn == connection.close:
        return True
    if args and isinstance(args[0], str):
        return args[0].lstrip().upper().startswith(_WAITING_STATEMENTS)
    return False


def inline_connector(
    path: str, *, busy_timeout_ms: int
) -> Callable[[], Awaitable[InlineConnection]]:
    """An `async_creator` for SQLAlchemy: connections to the SQLite file at `path`."""

    def connect() -> sqlite3.Connection:
        # The connection is used by aiosqlite's thread and, inside transactions, the loop's.
        connection = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, check_same_thread=False)
        _run(connection, "PRAGMA wal_autocheckpoint=0")  # see CHECKPOINT_EVERY
        return connection

    async def create() -> InlineConnection:
        connection = InlineConnection(connect, busy_timeout_ms=busy_timeout_ms)
        await connection  # starts its thread and opens the file there
        return connection

    return create
