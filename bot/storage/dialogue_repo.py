"""What chats' dialogues remember between messages, by the channel's own key."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.records import Dialogue
from bot.storage.dialects import conflict_insert, dialect_of
from bot.storage.tables import DialogueRow, table_of

_DIALOGUES = table_of(DialogueRow)
# The time of a row made only to be locked: older than any memory kept, so never read back.
NEVER = datetime(2000, 1, 1, tzinfo=UTC)
# A key's memory, locked for the transaction: a change is read and written as one.
_READ = (
    select(_DIALOGUES.c.state, _DIALOGUES.c.data, _DIALOGUES.c.updated_at)
    .where(_DIALOGUES.c.key == bindparam("key"))
    .with_for_update()
)


class DialogueRepository:
    """Reads and writes dialogue memory."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(
        self, key: str, *, fresh_since: datetime, for_change: bool = False
    ) -> Dialogue | None:
        """The memory under `key` if it changed at or after `fresh_since`, else None.

        `for_change`: lock the key until the transaction ends, even when it has no memory
        yet. On PostgreSQL a row is made for that (a lock needs a row: two first changes
        would otherwise both read nothing and the later write would drop the earlier's
        values); on SQLite the transaction holds the write lock already.
        """
        if for_change and dialect_of(self._session) == "postgresql":
            await self._session.execute(
                conflict_insert(self._session, _DIALOGUES)
                .values(key=key, state=None, data={}, updated_at=NEVER)
                .on_conflict_do_nothing()
            )
        row = (await self._session.execute(_READ, {"key": key})).first()
        if row is None or row.updated_at < fresh_since:
            return None
        data = row.data if isinstance(row.data, dict) else {}
        return Dialogue(state=row.state, data=data)

    async def put(self, key: str, dialogue: Dialogue, now: datetime) -> None:
        """Store `dialogue` under `key`; an empty one is removed instead."""
        if dialogue.is_empty:
            await self._session.execute(delete(_DIALOGUES).where(_DIALOGUES.c.key == key))
            return
        values = {"key": key, "state": dialogue.state, "data": dialogue.data, "updated_at": now}
        statement = conflict_insert(self._session, _DIALOGUES).values(**values)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[_DIALOGUES.c.key],
                set_={
                    "state": statement.excluded.state,
                    "data": statement.excluded.data,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )

    async def delete_older(self, before: datetime) -> int:
        """Remove memories unchanged since `before`; returns how many."""
        result = await self._session.execute(
            delete(_DIALOGUES).where(_DIALOGUES.c.updated_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)
