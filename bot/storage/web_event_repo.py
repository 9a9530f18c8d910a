"""Web events in the database: written once per idempotency key, read by session."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.records import OutgoingKind, WebEvent
from bot.storage.dialects import conflict_insert
from bot.storage.tables import WebEventRow, table_of

_EVENTS = table_of(WebEventRow)


def _to_event(row: WebEventRow) -> WebEvent:
    return WebEvent(
        id=row.id,
        session_id=row.session_id,
        text=row.text,
        created_at=row.created_at,
        ticket_number=row.ticket_number,
        kind=OutgoingKind(row.kind),
    )


class WebEventRepository:
    """Rows of `web_events`; the id orders a session's events across processes."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _by_key(self, idempotency_key: str) -> WebEventRow | None:
        found: WebEventRow | None = await self._session.scalar(
            select(WebEventRow).where(WebEventRow.idempotency_key == idempotency_key)
        )
        return found

    async def add(
        self,
        *,
        idempotency_key: str,
        session_id: str,
        text: str,
        ticket_number: int | None,
        created_at: datetime,
        kind: OutgoingKind = OutgoingKind.NOTICE,
    ) -> tuple[WebEvent, bool]:
        """Store an event unless its key is stored already; `(event, True)` when new."""
        # One statement in the usual case; a key stored already (a delivery repeated after a
        # lost acknowledgement) inserts nothing and is read back.
        inserted = await self._session.scalar(
            conflict_insert(self._session, _EVENTS)
            .values(
                idempotency_key=idempotency_key,
                session_id=session_id,
                text=text,
                ticket_number=ticket_number,
                created_at=created_at,
                kind=kind.value,
            )
            .on_conflict_do_nothing(index_elements=[_EVENTS.c.idempotency_key])
            .returning(_EVENTS.c.id)
        )
        if inserted is not None:
            event = WebEvent(
                id=int(inserted),
                session_id=session_id,
                text=text,
                created_at=created_at,
                ticket_number=ticket_number,
                kind=kind,
            )
            return event, True
        row = await self._by_key(idempotency_key)
        if row is None:  # removed between the two statements: only `trim` removes, by age
            raise RuntimeError(f"Web event {idempotency_key!r} was stored and removed at once")
        return _to_event(row), False

    async def after(self, session_id: str, *, after: int, limit: int) -> Sequence[WebEvent]:
        """The session's events with an id above `after`, oldest first."""
        rows = await self._session.scalars(
            select(WebEventRow)
            .where(WebEventRow.session_id == session_id, WebEventRow.id > after)
            .order_by(WebEventRow.id)
            .limit(limit)
        )
        return [_to_event(r) for r in rows]

    async def recent(self, session_id: str, *, limit: int) -> Sequence[WebEvent]:
        """The session's newest `limit` events, oldest first."""
        rows = await self._session.scalars(
            select(WebEventRow)
            .where(WebEventRow.session_id == session_id)
            .order_by(WebEventRow.id.desc())
            .limit(limit)
        )
        return [_to_event(r) for r in reversed(rows.all())]

    async def delete_before(self, moment: datetime) -> int:
        """Remove the events created before `moment`; how many went."""
        done = await self._session.execute(
            delete(WebEventRow).where(WebEventRow.created_at < moment)
        )
        return int(getattr(done, "rowcount", 0) or 0)
