"""What differs between SQLite and PostgreSQL for the repositories, in one place."""

from __future__ import annotations

from sqlalchemy import Table
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
