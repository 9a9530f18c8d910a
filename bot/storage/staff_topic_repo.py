"""Tickets' forum topics in the operators' Telegram group: which exist, which are being made."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.staff_cards import StaffTopic
from bot.core.ticket_status import FINAL_STATUSES
from bot.core.tickets import Author, Via
from bot.storage.dialects import conflict_insert
from bot.storage.tables import (
    StaffTopicRow,
    TicketEventRow,
    TicketMessageRow,
    TicketRow,
    table_of,
)

_TOPICS = table_of(StaffTopicRow)


def _topic(row: StaffTopicRow, number: int) -> StaffTopic:
    return StaffTopic(
        id=row.id,
        chat_id=row.chat_id,
        ticket_id=row.ticket_id,
        ticket_number=number,
        thread_id=row.thread_id,
        card_message_id=row.card_message_id,
        last_event_id=row.last_event_id,
        last_message_id=row.last_message_id,
    )


class StaffTopicRepository:
    """Rows of `staff_topics`; a row is claimed (leased) while its topic is being created."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def unannounced_tickets(self, chat_id: int, limit: int) -> Sequence[int]:
        """Ids of open tickets with no topic in this chat yet, oldest first."""
        has_topic = exists().where(
            StaffTopicRow.ticket_id == TicketRow.id, StaffTopicRow.chat_id == chat_id
        )
        rows = await self._session.scalars(
            select(TicketRow.id)
            .where(TicketRow.status.not_in([s.value for s in FINAL_STATUSES]), ~has_topic)
            .order_by(TicketRow.id)
            .limit(limit)
        )
        return list(rows)

    async def add_claimed(
        self, chat_id: int, ticket_id: int, *, now: datetime, lease: timedelta
    ) -> StaffTopic | None:
        """Insert a claimed row, or None when another process has one for the ticket already.

        The topic will show what happened after the hand-off, which the card sums up: the
        cursors start at the ticket's opening (its history) and its transcript (the messages
        up to it). A citizen's message or file sent before the topic was made is posted into
        it too (until 2026-12-05 the event cursor started at the history's end, past a file
        attached meanwhile: the group never saw it, and «Закрыть» did not wait for it).
        """
        opened_at = select(TicketRow.created_at).where(TicketRow.id == ticket_id).scalar_subquery()
        last_event = await self._session.scalar(
            select(func.coalesce(func.max(TicketEventRow.id), 0)).where(
                TicketEventRow.ticket_id == ticket_id,
                TicketEventRow.created_at <= opened_at,
            )
        )
        last_message = await self._session.scalar(
            select(func.coalesce(func.max(TicketMessageRow.id), 0)).where(
                TicketMessageRow.ticket_id == ticket_id,
                TicketMessageRow.created_at <= opened_at,
            )
        )
        values = {
            "chat_id": chat_id,
            "ticket_id": ticket_id,
            "claimed_until": now + lease,
            "last_event_id": int(last_event or 0),
            "last_message_id": int(last_message or 0),
            "created_at": now,
        }
        result = await self._session.execute(
            conflict_insert(self._session, _TOPICS).values(**values).on_conflict_do_nothing()
        )
        if getattr(result, "rowcount", 0) != 1:
            return None
        return await self.for_ticket(chat_id, ticket_id)

    async def reclaim_unfinished(
        self, chat_id: int, *, now: datetime, lease: timedelta, limit: int
    ) -> Sequence[StaffTopic]:
        """Claim rows whose topic or first message is not made yet and nobody holds them."""
        found = await self._session.execute(
            select(StaffTopicRow, TicketRow.number)
            .join(TicketRow, TicketRow.id == StaffTopicRow.ticket_id)
            .where(
                StaffTopicRow.chat_id == chat_id,
                StaffTopicRow.card_message_id.is_(None),
                or_(StaffTopicRow.claimed_until.is_(None), StaffTopicRow.claimed_until <= now),
            )
            .order_by(StaffTopicRow.id)
            .limit(limit)
            .with_for_update(of=StaffTopicRow, skip_locked=True)
        )
        claimed = []
        for row, number in found.all():
            # Conditional, so that two processes never both win the same row on SQLite.
            result = await self._session.execute(
                update(StaffTopicRow)
                .where(
                    StaffTopicRow.id == row.id,
                    or_(
                        StaffTopicRow.claimed_until.is_(None),
                        StaffTopicRow.claimed_until <= now,
                    ),
                )
                .values(claimed_until=now + lease)
            )
            if getattr(result, "rowcount", 0) == 1:
                claimed.append(_topic(row, int(number)))
        return claimed

    async def set_thread(self, topic_id: int, thread_id: int) -> None:
        """Record the forum topic Telegram created."""
        row = await self._session.get_one(StaffTopicRow, topic_id)
        row.thread_id = thread_id
        await self._session.flush()

    async def set_card(self, topic_id: int, message_id: int) -> None:
        """Record the topic's first message (the ticket card); the row is done."""
        row = await self._session.get_one(StaffTopicRow, topic_id)
        row.card_message_id = message_id
        row.claimed_until = None
        await self._session.flush()

    async def release(self, topic_id: int, *, retry_at: datetime) -> None:
        """Give a claim back after a failure, to be tried again from `retry_at`."""
        row = await self._session.get_one(StaffTopicRow, topic_id)
        row.claimed_until = retry_at
        await self._session.flush()

    async def with_news(
        self, chat_id: int, limit: int, *, written_here: Via
    ) -> Sequence[StaffTopic]:
        """Finished topics whose ticket has history events or messages not shown yet: citizens'
        messages, and operators' ones written elsewhere than `written_here` (the chat itself)."""
        new_event = exists().where(
            TicketEventRow.ticket_id == StaffTopicRow.ticket_id,
            TicketEventRow.id > StaffTopicRow.last_event_id,
        )
        new_message = exists().where(
            TicketMessageRow.ticket_id == StaffTopicRow.ticket_id,
            TicketMessageRow.id > StaffTopicRow.last_message_id,
            or_(
                TicketMessageRow.author == Author.CITIZEN.value,
                and_(
                    TicketMessageRow.author == Author.OPERATOR.value,
                    TicketMessageRow.via.is_not(None),
                    TicketMessageRow.via != written_here.value,
                ),
            ),
        )
        found = await self._session.execute(
            select(StaffTopicRow, TicketRow.number)
            .join(TicketRow, TicketRow.id == StaffTopicRow.ticket_id)
            .where(
                StaffTopicRow.chat_id == chat_id,
                StaffTopicRow.card_message_id.is_not(None),
                or_(new_event, new_message),
            )
            .order_by(StaffTopicRow.id)
            .limit(limit)
        )
        return [_topic(row, int(number)) for row, number in found.all()]

    async def set_shown(self, topic_id: int, *, last_event_id: int, last_message_id: int) -> None:
        """Move the topic's cursors past what it now shows."""
        row = await self._session.get_one(StaffTopicRow, topic_id)
        row.last_event_id = max(row.last_event_id, last_event_id)
        row.last_message_id = max(row.last_message_id, last_message_id)
        await self._session.flush()

    async def by_thread(self, chat_id: int, thread_id: int) -> StaffTopic | None:
        """The topic of a forum thread, or None (the general topic, or not a ticket's)."""
        found = (
            await self._session.execute(
                select(StaffTopicRow, TicketRow.number)
                .join(TicketRow, TicketRow.id == StaffTopicRow.ticket_id)
                .where(and_(StaffTopicRow.chat_id == chat_id, StaffTopicRow.thread_id == thread_id))
            )
        ).first()
        return _topic(found[0], int(found[1])) if found else None

    async def for_ticket(self, chat_id: int, ticket_id: int) -> StaffTopic | None:
        """A ticket's topic in this chat, or None."""
        found = (
            await self._session.execute(
                select(StaffTopicRow, TicketRow.number)
                .join(TicketRow, TicketRow.id == StaffTopicRow.ticket_id)
                .where(StaffTopicRow.chat_id == chat_id, StaffTopicRow.ticket_id == ticket_id)
            )
        ).first()
        return _topic(found[0], int(found[1])) if found else None

    async def all_in_chat(self, chat_id: int) -> Sequence[StaffTopic]:
        """Every topic row of a chat (tests and diagnostics)."""
        found = await self._session.execute(
            select(StaffTopicRow, TicketRow.number)
            .join(TicketRow, TicketRow.id == StaffTopicRow.ticket_id)
            .where(StaffTopicRow.chat_id == chat_id)
            .order_by(StaffTopicRow.id)
        )
        return [_topic(row, int(number)) for row, number in found.all()]
