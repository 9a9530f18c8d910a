"""Replies and ticket notices delivered to widget sessions, kept in the database.

Every `serve` process reads the same rows, so a widget streaming from one process gets what
the delivery worker of another process delivered; the rows' ids are the SSE event ids.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.clock import Clock, system_clock
from bot.core.records import OutboxMessage, WebEvent
from bot.storage.database import Database


class WebEvents:
    """Records delivered outbox messages once per idempotency key and reads them back."""

    def __init__(self, db: Database, *, clock: Clock = system_clock) -> None:
        self._db = db
        self._clock = clock

    async def record(self, message: OutboxMessage) -> tuple[WebEvent, bool]:
        """Store the message for its session; `(event, True)` only the first time."""
        async with self._db.transaction() as uow:
            return await uow.web_events.add(
                idempotency_key=message.idempotency_key,
                session_id=message.recipient,
                text=message.text,
                ticket_number=message.ticket_number,
                created_at=message.created_at,
                kind=message.kind,
            )

    async def after(self, session_id: str, *, after: int = 0, limit: int) -> list[WebEvent]:
        """The session's events with an id above `after`, oldest first, at most `limit`."""
        async with self._db.transaction() as uow:
            return list(await uow.web_events.after(session_id, after=after, limit=limit))

    async def recent(self, session_id: str, *, limit: int) -> list[WebEvent]:
        """The session's newest `limit` events, oldest first."""
        async with self._db.transaction() as uow:
            return list(await uow.web_events.recent(session_id, limit=limit))

    async def trim(self, *, older_than: timedelta) -> int:
        """Forget events created more than `older_than` ago; how many were removed."""
        async with self._db.transaction() as uow:
            return await uow.web_events.delete_before(self._clock() - older_than)
