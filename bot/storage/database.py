"""The database handle the services get: transactions and ticket numbers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import PoolProxiedConnection, insert, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.util.concurrency import greenlet_spawn

from bot.core.errors import DatabaseUnavailableError
from bot.core.priority import current_priority
from bot.core.settings import StorageSettings, default_database_url
from bot.storage.engine import create_engine, is_sqlite
from bot.storage.gate import NoRoomError, PriorityGate
from bot.storage.migrate import upgrade
from bot.storage.outage import CONNECTION_ERRORS, is_outage
from bot.storage.prepared import Driver, SqliteTransaction
from bot.storage.quick import QuickUnitOfWork
from bot.storage.sqlite_driver import InlineConnection
from bot.storage.tables import TicketNumberRow, table_of
from bot.storage.unit_of_work import UnitOfWork

TICKET_NUMBER_SEQUENCE = "ticket_number_seq"
PROBE_KEY = "write-probe"  # a switch written and deleted in one transaction by `probe`
_NUMBERS = table_of(TicketNumberRow)
_ALLOCATE_NUMBER = insert(_NUMBERS).returning(_NUMBERS.c.number)


class Database:
    """An engine with its session factory; build one at start-up with `open_database`."""

    def __init__(self, engine: AsyncEngine, settings: StorageSettings | None = None) -> None:
        settings = settings or StorageSettings()
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        # Staff transactions go ahead of citizens' when every connection is busy.
        self._gate = PriorityGate(settings.connections(is_sqlite(engine.url)))
        self._wait_seconds = settings.wait_timeout.total_seconds()

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self._engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """A transaction: commits when the block ends, rolls back if it raises.

        A lost connection (the server restarting, a network cut) or none to be had (every
        pooled one busy past the pool's timeout) is raised as `DatabaseUnavailableError`, so
        callers can tell "try again soon" from a bug.
        """
        async with self._session() as session:
            yield UnitOfWork(session)

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        async with self._turn(), self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """The block holds one of the connections' places (staff first, see `PriorityGate`);
        a database lost or out of reach meanwhile is raised as `DatabaseUnavailableError`."""
        try:
            async with self._gate.held(current_priority.get(), self._wait_seconds):
                yield
        except NoRoomError as error:  # every connection busy for too long
            raise DatabaseUnavailableError() from error
        except CONNECTION_ERRORS as error:
            if is_outage(error):
                raise DatabaseUnavailableError() from error
            raise

    @asynccontextmanager
    async def quick_transaction(self) -> AsyncIterator[QuickUnitOfWork]:
        """The question path's common case without a session (see `quick.py`): commits
        when the block ends, rolls back if it raises or cancels. It waits for a connection
        as `transaction` does, and fails as it does."""
        async with self._turn():
            pooled = await self._checkout()
            broken = False

            def on_broken() -> None:
                nonlocal broken
                broken = True

            try:
                transaction = self._driver_transaction(pooled.driver_connection)
                async with transaction.running(on_broken=on_broken) as outcome:
                    work = QuickUnitOfWork(transaction)
                    yield work
                    if work.cancelled:
                        outcome.roll_back()
            finally:
                # The pool closes a connection it does not keep (broken, or over its size)
                # through the driver's async calls, which SQLAlchemy makes in a greenlet.
                # SQLite's pool keeps its one connection: a plain return saves the greenlet.
                if broken:
                    await greenlet_spawn(pooled.invalidate)
                if self.dialect == "sqlite":
                    pooled.close()
                else:
                    await greenlet_spawn(pooled.close)

    async def _checkout(self) -> PoolProxiedConnection:
        """A pooled connection. The pool raises a failure to connect as the driver's own
        error; here it is SQLAlchemy's `DBAPIError`, as a session raises it, so that
        `_turn` can tell an outage."""
        dbapi_error = self._engine.dialect.loaded_dbapi.Error
        try:
            return await self._engine.raw_connection()
        except dbapi_error as error:
            raise DBAPIError.instance(
                None, None, error, dbapi_error, dialect=self._engine.dialect
            ) from error

    def _driver_transaction(self, driver: object) -> Driver:
        dialect = self._engine.dialect
        if isinstance(driver, InlineConnection):
            return SqliteTransaction(driver, dialect)
        # asyncpg is imported only where PostgreSQL is used.
        from bot.storage.pg_driver import PgTransaction

        return PgTransaction.of(driver, dialect)

    async def allocate_ticket_number(self, now: datetime) -> int:
        """A new ticket number, committed on its own so that it is never handed out again.

        A ticket whose transaction rolls back leaves a gap rather than a number that a
        later ticket would reuse (a citizen may already have been told the first one).
        """
        async with self._session() as session:
            if self.dialect == "postgresql":
                number = await session.scalar(text(f"SELECT nextval('{TICKET_NUMBER_SEQUENCE}')"))
                return int(number or 0)
            number = await session.scalar(_ALLOCATE_NUMBER, {"allocated_at": now})
            return int(number)

    async def probe(self, now: datetime) -> None:
        """A write that changes nothing: a database that can be read but not written (a
        full disk, a read-only file) fails here as it would under the first question."""
        async with self.transaction() as uow:
            await uow.switches.put(PROBE_KEY, {}, now)
            await uow.switches.delete(PROBE_KEY)

    async def close(self) -> None:
        """Close every connection."""
        await self._engine.dispose()


async def open_database(
    url: str | None = None, settings: StorageSettings | None = None
) -> Database:
    """Connect to `url` (default: the SQLite file in the data folder) and migrate the schema."""
    settings = settings or StorageSettings()
    engine = create_engine(url or default_database_url(), settings)
    await upgrade(engine)
    return Database(engine, settings)
