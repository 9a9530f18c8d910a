"""The durable outbox of replies in the database: add, claim with a lease, acknowledge."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.core.records import OutboxMessage, OutgoingKind
from bot.storage.converters import to_outbox_message
from bot.storage.dialects import dialect_of
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
        kind: OutgoingKind = OutgoingKind.NOTICE,
    ) -> OutboxMessage:
        """Queue a message, due at once; written in the caller's transaction.

        Due at once is no time (NULL), not `now`: a server whose clock ran ahead queued
        replies that the other servers' workers held until that server's time (a reply
        written in the console, sent by `faqbot telegram` on another machine)."""
        row = OutboxRow(
            idempotency_key=idempotency_key,
            channel=channel,
            recipient=recipient,
            text=text,
            ticket_number=ticket_number,
            created_at=now,
            next_attempt_at=None,
            attempts=0,
            claimed_by=None,
            claimed_until=None,
            delivered_at=None,
            last_error=None,
            kind=kind.value,
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
        gone: Collection[str] = (),
    ) -> Sequence[OutboxMessage]:
        """Lease up to `limit` due rows to `worker`, counting the attempt.

        A row is due when it is undelivered, its retry time has come and nobody holds a
        live lease on it; a lease that ran out (the worker died) makes it due again, and so
        does a lease held by one of the workers `gone` (known to have stopped). A row
        also waits while an earlier reply to the same recipient is undelivered and not due
        itself (retrying later, or leased), and rows come oldest first: replies arrive in the
        order they were written even when their retries fall out of step.

        A worker handles one batch at a time, so a row still leased to `worker` itself was
        left unacknowledged by a pass the database cut short (it went away between sending
        and recording): it is due again now rather than when the lease runs out. A repeat
        carries the same idempotency key, which lets the channel drop it.

        Workers claim one at a time (on SQLite every transaction is the only writer already).
        Otherwise, on PostgreSQL, a worker whose claim met another's still uncommitted one saw
        the earlier reply as free and due, skipped it as locked, and took the reply behind it:
        the two went out at once, out of order, and a citizen who had blocked the bot refused
        both, each reported to staff as a new refusal.
        """
        await self._one_claim_at_a_time()
        earlier = aliased(OutboxRow)
        waits_for_earlier = (
            select(earlier.id)
            .where(
                earlier.channel == OutboxRow.channel,
                earlier.recipient == OutboxRow.recipient,
                earlier.delivered_at.is_(None),
                earlier.id < OutboxRow.id,
                or_(
                    earlier.next_attempt_at > now,  # NULL (due at once) is not
                    and_(
                        earlier.claimed_until > now,
                        earlier.claimed_by.not_in([worker, *gone]),
                    ),
                ),
            )
            .exists()
        )
        rows = await self._session.scalars(
            select(OutboxRow)
            .where(
                OutboxRow.delivered_at.is_(None),
                OutboxRow.channel.in_(list(channels)),
                or_(OutboxRow.next_attempt_at.is_(None), OutboxRow.next_attempt_at <= now),
                or_(
                    OutboxRow.claimed_until.is_(None),
                    OutboxRow.claimed_until <= now,
                    OutboxRow.claimed_by.in_([worker, *gone]),
                ),
                ~waits_for_earlier,
            )
            .order_by(OutboxRow.id)
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

    async def claimants(
        self, *, channels: Collection[str], prefix: str, now: datetime
    ) -> Sequence[str]:
        """The workers whose names begin with `prefix` and who hold a live lease on an
        undelivered row of one of `channels`."""
        names = await self._session.scalars(
            select(OutboxRow.claimed_by)
            .where(
                OutboxRow.delivered_at.is_(None),
                OutboxRow.channel.in_(list(channels)),
                OutboxRow.claimed_until > now,
                OutboxRow.claimed_by.startswith(prefix, autoescape=True),
            )
            .distinct()
        )
        return [name for name in names if name is not None]

    async def _one_claim_at_a_time(self) -> None:
        """On PostgreSQL, wait for any other claim to commit; it shows in the next query."""
        if dialect_of(self._session) == "postgresql":
            await self._session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": "outbox:claim"}
            )

    async def mark_delivered(
        self, message_id: int, now: datetime, *, recipient: str | None = None
    ) -> None:
        """Record a delivery (whoever made it: a late acknowledgement is still true).

        `recipient` replaces the stored one (a masked e-mail address nobody needs in full).
        """
        row = await self._session.get_one(OutboxRow, message_id, with_for_update=True)
        if row.delivered_at is None:
            row.delivered_at = now
            row.claimed_until = None
            row.last_error = None
        if recipient is not None:
            row.recipient = recipient
        await self._session.flush()

    async def mark_failed(
        self, message_id: int, *, worker: str, error: str, retry_at: datetime | None
    ) -> None:
        """Release a failed attempt and schedule the next one (`retry_at` None: as soon as
        possible), unless the lease moved on."""
        row = await self._session.get_one(OutboxRow, message_id, with_for_update=True)
        if row.delivered_at is not None or row.claimed_by != worker:
            return
        row.claimed_until = None
        row.next_attempt_at = retry_at
        row.last_error = error[:MAX_ERROR_LENGTH]
        await self._session.flush()

    async def refused_since(
        self, channel: str, recipient: str, *, error_prefix: str
    ) -> datetime | None:
        """When the oldest reply to the recipient that is still undelivered and was last
        refused (its error starts with `error_prefix`) was queued; None when none was."""
        return await self._session.scalar(
            select(func.min(OutboxRow.created_at)).where(
                OutboxRow.channel == channel,
                OutboxRow.recipient == recipient,
                OutboxRow.delivered_at.is_(None),
                OutboxRow.last_error.startswith(error_prefix, autoescape=True),
            )
        )

    async def get(self, message_id: int) -> OutboxMessage | None:
        """One outbox row."""
        row = await self._session.get(OutboxRow, message_id)
        return to_outbox_message(row) if row else None

    async def undelivered_count(self, channel: str | None = None) -> int:
        """How many replies have not reached their channel yet (on `channel` only, if given)."""
        query = select(func.count()).select_from(OutboxRow).where(OutboxRow.delivered_at.is_(None))
        if channel is not None:
            query = query.where(OutboxRow.channel == channel)
        count = await self._session.scalar(query)
        return int(count or 0)

    async def for_ticket(self, ticket_number: int) -> Sequence[OutboxMessage]:
        """The replies queued for a ticket, oldest first."""
        rows = await self._session.scalars(
            select(OutboxRow).where(OutboxRow.ticket_number == ticket_number).order_by(OutboxRow.id)
        )
        return [to_outbox_message(r) for r in rows]
