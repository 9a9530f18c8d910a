"""Wrong passwords on the console's log-in form, counted per key in the database."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.dialects import conflict_insert, dialect_of
from bot.storage.tables import LoginFailureRow, table_of

_FAILURES = table_of(LoginFailureRow)


class LoginFailureRepository:
    """Reads and writes when each key's bucket of wrong passwords is full again."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def serialise(self, keys: Collection[str]) -> None:
        """On PostgreSQL, one attempt at a time per key until the transaction ends, so that
        parallel attempts on several servers cannot all read the same count (SQLite
        transactions are single-writer already). Keys are locked in order: no deadlock."""
        if dialect_of(self._session) != "postgresql":
            return
        for key in sorted(keys):
            await self._session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"login:{key}"}
            )

    async def clear_times(self, keys: Collection[str]) -> dict[str, datetime]:
        """When each of `keys` that has a row is full again."""
        rows = await self._session.execute(
            select(_FAILURES.c.key, _FAILURES.c.clear_at).where(_FAILURES.c.key.in_(list(keys)))
        )
        return {key: clear_at for key, clear_at in rows}

    async def put(self, key: str, clear_at: datetime) -> None:
        """Store when `key` is full again."""
        statement = conflict_insert(self._session, _FAILURES).values(key=key, clear_at=clear_at)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[_FAILURES.c.key], set_={"clear_at": clear_at}
            )
        )

    async def drop(self, key: str) -> None:
        """Start `key` afresh."""
        await self._session.execute(delete(_FAILURES).where(_FAILURES.c.key == key))

    async def prune(self, now: datetime) -> None:
        """Forget keys that are full again. On PostgreSQL the rows another attempt holds are
        skipped, not waited for: call it last in a transaction, it then never waits."""
        expired = select(_FAILURES.c.key).where(_FAILURES.c.clear_at <= now)
        if dialect_of(self._session) == "postgresql":
            expired = expired.with_for_update(skip_locked=True)
        await self._session.execute(delete(_FAILURES).where(_FAILURES.c.key.in_(expired)))
