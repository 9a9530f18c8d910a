"""The question path's statements, run on the driver's connection.

A citizen's question costs three statements (the conversation with the maintenance switch,
the exchange, the question log). SQLite runs all three in about 0.07 ms; through the async
session each statement costs about 0.2 ms more, in SQLAlchemy's execution context, its
result machinery and the greenlet hand-offs around every driver call, and the session's own
begin and commit about 0.2-0.4 ms (measured, see `scripts/bench_http.py` and the README).

So a `Prepared` statement is compiled by SQLAlchemy once, for the dialect and the parameter
names given, and run on the driver with SQLAlchemy's own type processors for the parameters
and the result; driver errors are raised as SQLAlchemy's (an `IntegrityError` stays an
`IntegrityError`). On SQLite it runs either inside a session's transaction, on the same
pooled connection (anything the session holds unflushed is flushed first, and savepoints
are the session's), or in a `SqliteTransaction` of its own, which takes a pooled connection
without a session at all (`Database.quick_transaction`). On PostgreSQL it runs in a
`pg_driver.PgTransaction` of its own on asyncpg's connection, and inside a session through
the session unchanged.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Insert, Select, Update

from bot.storage.sqlite_driver import BEGIN, InlineConnection

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Compiled:
    """One statement as the driver gets it: its SQL, and how to bind and read values."""

    sql: str
    names: tuple[str, ...]
    constants: Mapping[str, Any]  # values written into the statement (`column == "k"`)
    binds: tuple[Processor | None, ...]
    results: tuple[Processor | None, ...]
    row: Callable[..., Any]

    def arguments(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            value if process is None else process(value)
            for value, process in zip(
                (params[name] if name in params else self.constants[name] for name in self.names),
                self.binds,
                strict=True,
            )
        )

    def read(self, raw: Sequence[Any]) -> Any:
        return self.row(
            *(
                value if process is None else process(value)
                for value, process in zip(raw, self.results, strict=True)
            )
        )


class Prepared:
    """A Core `SELECT`, or `INSERT` / `UPDATE ... RETURNING`, compiled once per dialect and
    parameters.

    Rows come back as named tuples on a driver and as SQLAlchemy rows through a PostgreSQL
    session; both are read by attribute (`row.id`) or position.
    """

    def __init__(self, statement: Select[Any] | Insert | Update) -> None:
        self.statement = statement
        self._compiled: dict[tuple[type[Dialect], tuple[str, ...]], _Compiled] = {}

    async def rows(self, target: Target, params: Mapping[str, Any]) -> list[Any]:
        """Every row the statement returns."""
        if isinstance(target, AsyncSession):
            driver = await _session_driver(target)
            if driver is None:
                return list((await target.execute(self.statement, params)).all())
            if target.new or target.dirty or target.deleted:
                await target.flush()  # as the session would before a statement of its own
            target = driver
        compiled = self._compile(target.dialect, params)
        fetched = await target.fetch(compiled.sql, compiled.arguments(params))
        return [compiled.read(raw) for raw in fetched]

    async def first(self, target: Target, params: Mapping[str, Any]) -> Any:
        """The first row, or None."""
        found = await self.rows(target, params)
        return found[0] if found else None

    async def scalar(self, target: Target, params: Mapping[str, Any]) -> Any:
        """The first column of the first row, or None."""
        found = await self.first(target, params)
        return found[0] if found is not None else None

    def _compile(self, dialect: Dialect, params: Mapping[str, Any]) -> _Compiled:
        key = (type(dialect), tuple(params))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _compile(self.statement, dialect, key[1])
        return compiled


class Driver(Protocol):
    """A driver connection in a transaction of its own, which `Prepared` statements run on:
    `SqliteTransaction` (SQLite) or `pg_driver.PgTransaction` (PostgreSQL)."""

    @property
    def dialect(self) -> Dialect:
        """The dialect the statements are compiled for."""
        ...

    async def fetch(self, sql: str, arguments: Sequence[Any]) -> Sequence[Sequence[Any]]:
        """Run one statement and read its rows, errors raised as SQLAlchemy's."""
        ...

    def running(self, *, on_broken: Callable[[], None]) -> AbstractAsyncContextManager[Outcome]:
        """The block in a transaction, committed when it ends unless rolled back."""
        ...


class TransactionSteps:
    """A driver connection's own transaction: how it begins, commits and rolls back, and
    `running`, the block between them, which is the same for every driver."""

    __slots__ = ()

    async def _begin(self) -> None:
        raise NotImplementedError

    async def _commit(self) -> None:
        raise NotImplementedError

    async def _roll_back(self) -> bool:
        """Roll back; False when that failed and the connection's state is unknown."""
        raise NotImplementedError

    def _lost(self, error: BaseException) -> bool:
        """True when `error` left the connection unusable: no rollback is tried."""
        return False

    @asynccontextmanager
    async def running(self, *, on_broken: Callable[[], None]) -> AsyncIterator[Outcome]:
        """The block in a transaction: `COMMIT` when it ends, `ROLLBACK` if it raises or
        asks for it. `on_broken` is called when the connection cannot be trusted to be out
        of the transaction (lost, cancelled while beginning, or the rollback failed or was
        cancelled): it must not go back to the pool as it is."""
        try:
            await self._begin()
        except BaseException as error:
            # Lost, or cancelled midway: the driver may still be beginning (SQLite's BEGIN
            # waits for another process's writer on aiosqlite's thread and goes on waiting).
            if self._lost(error) or not isinstance(error, Exception):
                on_broken()
            raise
        outcome = Outcome()
        try:
            yield outcome
        except BaseException as error:
            if self._lost(error):
                on_broken()
            else:
                await self._rolled_back(on_broken)
            raise
        if outcome.rolled_back:
            await self._rolled_back(on_broken)
            return
        try:
            await self._commit()
        except BaseException:
            await self._rolled_back(on_broken)
            raise

    async def _rolled_back(self, on_broken: Callable[[], None]) -> None:
        try:
            clean = await self._roll_back()
        except BaseException:  # cancelled while rolling back: the state is unknown
            on_broken()
            raise
        if not clean:
            on_broken()


@dataclass(frozen=True, slots=True)
class SqliteTransaction(TransactionSteps):
    """Statements on a SQLite driver connection that is in a transaction."""

    driver: InlineConnection
    dialect: Dialect

    async def fetch(self, sql: str, arguments: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run one statement and read its rows; driver errors raised as SQLAlchemy's."""
        try:
            return await self.driver.fetch_all(sql, arguments)
        except sqlite3.Error as error:
            raise self.translated(error, sql, arguments) from error

    def translated(
        self, error: sqlite3.Error, sql: str, arguments: Sequence[Any] = ()
    ) -> BaseException:
        """`error` as SQLAlchemy raises it (`IntegrityError`, `OperationalError`, ...)."""
        return DBAPIError.instance(sql, arguments, error, sqlite3.Error, dialect=self.dialect)

    async def _begin(self) -> None:
        # IMMEDIATE: waits for another process's writer as the engine's transactions do.
        await self.fetch(BEGIN, ())

    async def _commit(self) -> None:
        try:
            await self.driver.commit()
        except sqlite3.Error as error:
            raise self.translated(error, "COMMIT") from error

    async def _roll_back(self) -> bool:
        try:
            await self.driver.rollback()
        except (sqlite3.Error, ValueError):  # ValueError: the connection is closed
            return False
        return True


class Outcome:
    """How a `SqliteTransaction.running` block ends: committed unless `roll_back` is called."""

    __slots__ = ("rolled_back",)

    def __init__(self) -> None:
        self.rolled_back = False

    def roll_back(self) -> None:
        """Roll back instead of committing."""
        self.rolled_back = True


Target = AsyncSession | Driver


@dataclass(frozen=True, slots=True)
class _SessionLink:
    """A session's transaction (and savepoint), and its SQLite driver connection."""

    transaction: tuple[object, object]
    driver: SqliteTransaction | None  # None: not SQLite


_LINK = "faqbot.prepared.driver"


async def _session_driver(session: AsyncSession) -> SqliteTransaction | None:
    """The session's SQLite driver connection, None on other databases. Found once per
    transaction or savepoint: asking the session for its connection costs as much as a
    statement, and it is that request which makes the session begin the transaction or
    emit the savepoint (`begin_nested`) that the statements run in."""
    link = session.info.get(_LINK)
    if link is None or not _same(link.transaction, _transaction(session)):
        connection = await session.connection()  # begins the transaction if need be
        raw = (await connection.get_raw_connection()).driver_connection
        driver = None
        if connection.dialect.name == "sqlite":
            assert isinstance(raw, InlineConnection)
            driver = SqliteTransaction(raw, connection.dialect)
        link = _SessionLink(_transaction(session), driver)
        session.info[_LINK] = link
    return link.driver


def _transaction(session: AsyncSession) -> tuple[object, object]:
    """The session's transaction and innermost savepoint (held, so never reused)."""
    sync = session.sync_session
    return (sync.get_transaction(), sync.get_nested_transaction())


def _same(held: tuple[object, object], now: tuple[object, object]) -> bool:
    return held[0] is now[0] and held[1] is now[1]


def _compile(
    statement: Select[Any] | Insert | Update, dialect: Dialect, keys: tuple[str, ...]
) -> _Compiled:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    names = tuple(compiled.positiontup or ())
    unnamed = {name: compiled.binds[name] for name in names if name not in keys}
    missing = sorted(name for name, bind in unnamed.items() if bind.required)
    if missing:
        raise InvalidRequestError(  # as SQLAlchemy says it
            f"A value is required for bind parameter {missing[0]!r} in {compiled.string!r}"
        )
    columns = list(statement.exported_columns)
    return _Compiled(
        sql=compiled.string,
        names=names,
        constants={name: bind.effective_value for name, bind in unnamed.items()},
        # The dialect's own forms of the types: on SQLite a datetime is stored as text.
        binds=tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        ),
        results=tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        ),
        row=namedtuple("Row", [c.key for c in columns], rename=True),  # type: ignore[misc]
    )
