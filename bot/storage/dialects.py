"""What differs between SQLite and PostgreSQL for the repositories, in one place."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_of(session: AsyncSession) -> str:
    """The name of the database the session talks to: "sqlite" or "postgresql"."""
    return session.get_bind().dialect.name


def conflict_insert(session: AsyncSession, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT into `table` that can skip or update on a conflict (`on_conflict_do_nothing`,
    `on_conflict_do_update`): both databases have it, each in its own dialect's construct."""
    if dialect_of(session) == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


# The start of the oldest transaction of this database still in progress in another
# session, and whether any is hidden from us (another role's).
_OLDEST_TRANSACTION = text(
    "SELECT MIN(xact_start), BOOL_OR(state IS NULL) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    " AND backend_type = 'client backend' AND (xact_start IS NOT NULL OR state IS NULL)"
)
# Said of a transaction that cannot be seen: it may have begun at any time.
LONG_AGO = datetime.min.replace(tzinfo=UTC)


async def oldest_transaction_start(session: AsyncSession) -> datetime | None:
    """When the oldest transaction still in progress in another session began (the
    database's clock), `LONG_AGO` when one cannot be seen, None when there is none. On
    SQLite there is none: this session holds the only write lock (`BEGIN IMMEDIATE`)."""
    if dialect_of(session) != "postgresql":
        return None
    oldest, hidden = (await session.execute(_OLDEST_TRANSACTION)).one()
    return LONG_AGO if hidden else oldest


async def database_now(session: AsyncSession) -> datetime:
    """The database's clock (after the snapshot of the session's previous statement)."""
    if dialect_of(session) != "postgresql":
        return datetime.now(UTC)
    now: datetime = (await session.execute(text("SELECT clock_timestamp()"))).scalar_one()
    return now
