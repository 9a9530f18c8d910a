"""The question path's quick transaction on PostgreSQL: asyncpg's connection, no session.

Through SQLAlchemy's async session every statement of a question costs its execution
context, the asyncpg adapter's own bookkeeping and greenlet hand-offs around each call: the
whole app's CPU a question went from about 2.3 ms to 1.4 ms when it stopped (in process, 20
questions at a time; `scripts/bench_http.py --backend postgresql` shows the server's). Here
`Prepared` statements (compiled by SQLAlchemy once, with its parameter casts) run on the
pooled connection's asyncpg driver directly, in a transaction of their own; asyncpg keeps
its own cache of prepared statements. Errors come out as SQLAlchemy raises them for this
dialect (an `IntegrityError` stays an `IntegrityError`, a cut connection is a `DBAPIError`
with SQLSTATE 08xxx), so callers cannot tell the paths apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from bot.storage.prepared import TransactionSteps

# What asyncpg raises: the server's errors, the client's, its protocol's, and a socket's.
_DRIVER_ERRORS = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    OSError,
)
# Errors that leave the connection unusable although it may not be closed yet: its protocol
# out of step (seen when the server ends the connection while a transaction is between two
# statements: "cannot switch to state ...; another operation is in progress"), or the
# socket gone. This connection is never used by two operations at once, so neither is a bug
# of the caller's: it is an outage, and the connection must not go back to the pool.
_BREAKING_ERRORS = (asyncpg.exceptions.InternalClientError, OSError)


class PgTransaction(TransactionSteps):
    """Statements on an asyncpg connection, in a transaction that `running` opens."""

    __slots__ = ("dialect", "driver")

    def __init__(self, driver: asyncpg.Connection, dialect: Dialect) -> None:
        self.driver = driver
        self.dialect = dialect

    @classmethod
    def of(cls, driver: object, dialect: Dialect) -> PgTransaction:
        """On a pooled connection's driver, which must be asyncpg's."""
        if not isinstance(driver, asyncpg.Connection):
            raise TypeError(f"No quick transactions on {type(driver).__name__}")
        return cls(driver, dialect)

    async def fetch(self, sql: str, arguments: Sequence[Any]) -> Sequence[Sequence[Any]]:
        """Run one statement and read its rows; driver errors raised as SQLAlchemy's."""
        try:
            rows: list[asyncpg.Record] = await self.driver.fetch(sql, *arguments)
        except _DRIVER_ERRORS as error:
            raise self.translated(error, sql, arguments) from error
        return rows

    def translated(self, error: Exception, sql: str, arguments: Sequence[Any] = ()) -> Exception:
        """`error` as SQLAlchemy raises it for asyncpg (its DB-API exception inside)."""
        dbapi = self.dialect.loaded_dbapi
        adapted: Exception | None = None
        for kind in type(error).__mro__:  # SQLAlchemy's own table (its adapter's mapping)
            found = dbapi._asyncpg_error_translate.get(kind)
            if found is not None:
                adapted = found(str(error), error)
                break
        if adapted is None:  # a socket error: the connection is gone
            adapted = dbapi.OperationalError(str(error), error)
        return DBAPIError.instance(
            sql,
            arguments,
            adapted,
            dbapi.Error,
            dialect=self.dialect,
            connection_invalidated=self._broken_by(error),
        )

    def _broken_by(self, error: BaseException) -> bool:
        return isinstance(error, _BREAKING_ERRORS) or self.driver.is_closed()

    def _lost(self, error: BaseException) -> bool:
        return isinstance(error, DBAPIError) and error.connection_invalidated

    async def _begin(self) -> None:
        # READ COMMITTED, as the session's transactions.
        await self._run("BEGIN")

    async def _commit(self) -> None:
        await self._run("COMMIT")

    async def _roll_back(self) -> bool:
        try:
            await self.driver.execute("ROLLBACK")
        except _DRIVER_ERRORS:
            return False
        return not self.driver.is_in_transaction()

    async def _run(self, statement: str) -> None:
        try:
            await self.driver.execute(statement)
        except _DRIVER_ERRORS as error:
            raise self.translated(error, statement) from error
