"""What differs between SQLite and PostgreSQL for the repositories, in one place."""

from __future__ import annotations

from dataclasses import dataclass
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


# The start of the oldest transaction of this database still in progress in another session
# of a role whose sessions we may see (PostgreSQL shows another role's, unless superuser or
# pg_read_all_stats, with no state, no start and no type) that may still commit a row: not
# one that failed, nor one idle after only reading (a row's id is taken by the statement
# that writes it, which gives the transaction its id); and the oldest transaction id still
# in progress anywhere, which every role's writing transaction holds.
_IN_PROGRESS = text(
    "SELECT (SELECT MIN(xact_start) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    " AND backend_type = 'client backend'"
    " AND state IS DISTINCT FROM 'idle in transaction (aborted)'"
    " AND NOT (state = 'idle in transaction' AND backend_xid IS NULL)),"
    " pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
)
_NEXT_XID = text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")


@dataclass(frozen=True, slots=True)
class InProgress:
    """Transactions in progress in other sessions (PostgreSQL; on SQLite there are none: this
    session holds the only write lock, `BEGIN IMMEDIATE`)."""

    # When the oldest one of a session we may see began (the database's clock).
    oldest_start: datetime | None = None
    # Every transaction id below it has ended (that of any role's transaction that wrote).
    oldest_xid: int | None = None


async def in_progress(session: AsyncSession) -> InProgress:
    """The transactions in progress in other sessions now (see `InProgress`)."""
    if dialect_of(session) != "postgresql":
        return InProgress()
    oldest_start, oldest_xid = (await session.execute(_IN_PROGRESS)).one()
    return InProgress(oldest_start=oldest_start, oldest_xid=int(oldest_xid))


async def next_transaction_id(session: AsyncSession) -> int | None:
    """The first transaction id not yet given out (PostgreSQL; None on SQLite): read after a
    statement, every transaction that wrote before it has a lower one."""
    if dialect_of(session) != "postgresql":
        return None
    return int((await session.execute(_NEXT_XID)).scalar_one())


async def database_now(session: AsyncSession) -> datetime:
    """The database's clock (after the snapshot of the session's previous statement)."""
    if dialect_of(session) != "postgresql":
        return datetime.now(UTC)
    now: datetime = (await session.execute(text("SELECT clock_timestamp()"))).scalar_one()
    return now
