"""The durable outbox of replies in the database: add, claim with a lease, acknowledge."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.records import OutboxMessage
from bot.storage.converters import to_outbox_message
from bot.storage.tables import OutboxRow

MAX_ERROR_LENGTH = 2000


class OutboxRepository:
    """Rows of the outbox; one row per reply, whatever the number of attempts."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        idempotency_key: str,
        channel: str,
        recipient: str,
        text: str,
        now: datetime,
        ticket_number: int | None = None,
    ) -> OutboxMessage:
        """Queue a reply, due at once; written in the caller's transaction."""
        row = OutboxRow(
            idempotency_key=idempotency_key,
            channel=channel,
            recipient=recipient,
            text=text,
            ticket_number=ticket_number,
            created_at=now,
            next_attempt_at=now,
            attempts=0,
            claimed_by=None,
            claimed_until=None,
            delivered_at=None,
            last_error=None,
        )
        self._session.add(row)
        await self._session.flush()
        return to_outbox_message(row)

    async def claim_due(
        self,
        *,
        channels: Collection[str],
        worker: str,
        now: datetime,
        lease: timedelta,
        limit: int,
    ) -> Sequence[OutboxMessage]:
        """Lease up to `limit` due rows to `worker`, counting the attempt.

        A row is due when it is undelivered, its retry time has come and nobody holds a
        live lease on it; a lease that ran out (the worker died) makes it due again.
        """
        rows = await self._session.scalars(
            select(OutboxRow)
            .where(
                OutboxRow.delivered_at.is_(None),
                OutboxRow.channel.in_(list(channels)),
                OutboxRow.next_attempt_at <= now,
                or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until <= now),
            )
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed = []
        for row in rows.all():
            row.claimed_by = worker
            row.claimed_until = now + lease
            row.attempts += 1
            claimed.append(row)
        await self._session.flush()
        return [to_outbox_message(r) for r in claimed]

    async def mark_delivered(self, message_id: int, now: datetime) -> None:
        """Record a delivery (whoever made it: a late acknowledgement is still true)."""
        row = await self._session.get_one(OutboxRow, message_id, with_for_update=True)
        if row.delivered_at is None:
            row.delivered_at = now
            row.claimed_until = None
            row.last_error = None
        await self._session.flush()

    async def mark_failed(
        self, message_id: int, *, worker: str, error: str, retry_at: datetime
    ) -> None:
        """Release a failed attempt and schedule the next one, unless the lease moved on."""
        row = await self._session.get_one(OutboxRow, message_id, with_for_update=True)
        if row.delivered_at is not None or row.claimed_by != worker:
            return
        row.claimed_until = None
        row.next_attempt_at = retry_at
        row.last_error = error[:MAX_ERROR_LENGTH]
        await self._session.flush()

    async def get(self, message_id: int) -> OutboxMessage | None:
        """One outbox row."""
        row = await self._session.get(OutboxRow, message_id)
        return to_outbox_message(row) if row else None

    async def undelivered_count(self) -> int:
        """How many replies have not reached their channel yet."""
        count = await self._session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.delivered_at.is_(None))
        )
        return int(count or 0)

    async def for_ticket(self, ticket_number: int) -> Sequence[OutboxMessage]:
        """The replies queued for a ticket, oldest first."""
        rows = await self._session.scalars(
            select(OutboxRow).where(OutboxRow.ticket_number == ticket_number).order_by(OutboxRow.id)
        )
        return [to_outbox_message(r) for r in rows]
