"""Tickets' forum topics in the operators' Telegram group: which exist, which are being made,
and which of their tickets' events and messages each has dealt with."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.staff_cards import StaffTopic
from bot.core.ticket_status import FINAL_STATUSES
from bot.storage.dialects import (
    InProgress,
    conflict_insert,
    database_now,
    in_progress,
    next_transaction_id,
)
from bot.storage.tables import (
    StaffTopicItemRow,
    StaffTopicRow,
    TicketEventRow,
    TicketMessageRow,
    TicketRow,
    table_of,
)

_TOPICS = table_of(StaffTopicRow)
_ITEMS = table_of(StaffTopicItemRow)
EVENT, MESSAGE = "event", "message"  # `staff_topic_items.kind`


@dataclass(frozen=True, slots=True)
class IdHorizon:
    """The newest event and message ids committed at `seen_at` (the database's clock): every
    lower id was taken before then, so once every transaction in progress began later, no
    lower id can still be committed (`settled`).

    On PostgreSQL a role sees no more of another role's sessions than that they exist (no
    start, no state, not even their type): for those, `next_xid` was the first transaction id
    not yet given out when the ids were seen, and a transaction that took a lower id and
    wrote it holds a lower transaction id until it ends. (Only one taking a sequence's value
    in the very statement that writes it, and not yet writing it while another's higher one
    was written, committed and seen, would escape: a window of microseconds, and only for a
    role the bot's cannot see; give the bot's role pg_read_all_stats to close it.)"""

    seen_at: datetime
    event_id: int
    message_id: int
    next_xid: int | None = None

    def settled(self, now: InProgress) -> bool:
        """Whether no transaction in progress `now` can still commit an id below these."""
        began_later = now.oldest_start is None or self.seen_at < now.oldest_start
        ended = self.next_xid is None or now.oldest_xid is None or now.oldest_xid >= self.next_xid
        return began_later and ended


def _pending_events() -> list[ColumnElement[bool]]:
    """The (outer) topic's ticket's events past its cursor that it has not dealt with yet."""
    return [
        TicketEventRow.ticket_id == StaffTopicRow.ticket_id,
        TicketEventRow.id > StaffTopicRow.last_event_id,
        ~_dealt_with(EVENT, TicketEventRow),
    ]


def _pending_messages() -> list[ColumnElement[bool]]:
    """The same for the ticket's messages."""
    return [
        TicketMessageRow.ticket_id == StaffTopicRow.ticket_id,
        TicketMessageRow.id > StaffTopicRow.last_message_id,
        ~_dealt_with(MESSAGE, TicketMessageRow),
    ]


def _dealt_with(
    kind: str, items: type[TicketEventRow] | type[TicketMessageRow]
) -> ColumnElement[bool]:
    # Correlated by name: the topic is two queries out, where SQLAlchemy would not look and
    # would join every topic instead (the item dealt with by any of them, and slow).
    return (
        exists()
        .where(
            StaffTopicItemRow.topic_id == StaffTopicRow.id,
            StaffTopicItemRow.kind == kind,
            StaffTopicItemRow.item_id == items.id,
        )
        .correlate(StaffTopicRow, items)
    )


def _topics() -> Select[Any]:
    """Topic rows with their ticket's number and what `_topic` needs to say how far each
    shows its ticket: the first event and message not dealt with, the newest ones."""
    first_event = select(func.min(TicketEventRow.id)).where(*_pending_events())
    newest_event = select(func.max(TicketEventRow.id)).where(
        TicketEventRow.ticket_id == StaffTopicRow.ticket_id
    )
    first_message = select(func.min(TicketMessageRow.id)).where(*_pending_messages())
    newest_message = select(func.max(TicketMessageRow.id)).where(
        TicketMessageRow.ticket_id == StaffTopicRow.ticket_id
    )
    return select(
        StaffTopicRow,
        TicketRow.number,
        first_event.scalar_subquery(),
        newest_event.scalar_subquery(),
        first_message.scalar_subquery(),
        newest_message.scalar_subquery(),
    ).join(TicketRow, TicketRow.id == StaffTopicRow.ticket_id)


def _shown_up_to(cursor: int, first_pending: int | None, newest: int | None) -> int:
    """The id up to which a topic shows everything: just before the first item it has not
    dealt with, or (none left) the newest item, or its cursor where it began."""
    if first_pending is not None:
        return int(first_pending) - 1
    return max(cursor, int(newest or 0))


def _topic(found: Any) -> StaffTopic:
    row, number, first_event, newest_event, first_message, newest_message = found
    return StaffTopic(
        id=row.id,
        chat_id=row.chat_id,
        ticket_id=row.ticket_id,
        ticket_number=int(number),
        thread_id=row.thread_id,
        card_message_id=row.card_message_id,
        last_event_id=_shown_up_to(row.last_event_id, first_event, newest_event),
        last_message_id=_shown_up_to(row.last_message_id, first_message, newest_message),
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
            _topics()
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
        for each in found.all():
            row = each[0]
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
                claimed.append(_topic(each))
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

    async def with_news(self, chat_id: int, limit: int) -> Sequence[StaffTopic]:
        """Finished topics whose ticket has history events or messages past the topic's
        cursors that it has not dealt with, whenever they were committed."""
        found = await self._session.execute(
            _topics()
            .where(
                StaffTopicRow.chat_id == chat_id,
                StaffTopicRow.card_message_id.is_not(None),
                or_(
                    exists().where(*_pending_events()),
                    exists().where(*_pending_messages()),
                ),
            )
            .order_by(StaffTopicRow.id)
            .limit(limit)
        )
        return [_topic(each) for each in found.all()]

    async def pending(self, topic_id: int) -> tuple[frozenset[int], frozenset[int]]:
        """Ids of the events and of the messages of the topic's ticket it has not dealt with."""
        of_topic = StaffTopicRow.id == topic_id
        events = await self._session.scalars(
            select(TicketEventRow.id).where(of_topic, *_pending_events())
        )
        messages = await self._session.scalars(
            select(TicketMessageRow.id).where(of_topic, *_pending_messages())
        )
        return frozenset(events), frozenset(messages)

    async def dealt_with(
        self, topic_id: int, *, event_ids: Iterable[int], message_ids: Iterable[int]
    ) -> None:
        """Record that the topic shows these events and messages, or has passed them over."""
        rows = [
            {"topic_id": topic_id, "kind": kind, "item_id": item_id}
            for kind, ids in ((EVENT, event_ids), (MESSAGE, message_ids))
            for item_id in sorted(ids)
        ]
        if rows:
            await self._session.execute(
                conflict_insert(self._session, _ITEMS).values(rows).on_conflict_do_nothing()
            )

    async def any_dealt_with(self) -> bool:
        """Whether any topic holds items past its cursors (most passes: none)."""
        found = await self._session.scalar(select(StaffTopicItemRow.topic_id).limit(1))
        return found is not None

    async def horizon(self) -> IdHorizon:
        """The ids committed by now (see `IdHorizon`)."""
        newest = (
            await self._session.execute(
                select(
                    select(func.coalesce(func.max(TicketEventRow.id), 0)).scalar_subquery(),
                    select(func.coalesce(func.max(TicketMessageRow.id), 0)).scalar_subquery(),
                )
            )
        ).one()
        # Read after the ids' snapshot: a later moment only waits longer to be sure.
        seen_at = await database_now(self._session)
        return IdHorizon(
            seen_at=seen_at,
            event_id=int(newest[0]),
            message_id=int(newest[1]),
            next_xid=await next_transaction_id(self._session),
        )

    async def in_progress(self) -> InProgress:
        """The transactions in progress elsewhere now (see `IdHorizon.settled`)."""
        return await in_progress(self._session)

    async def fold(self, chat_id: int, settled: IdHorizon) -> None:
        """Move the cursors of the chat's topics past the items they dealt with up to the
        `settled` horizon (no id below it can come any more) and below the first one they
        have not, and forget those items: what each topic looks through stays short."""
        folds = (
            (EVENT, TicketEventRow, StaffTopicRow.last_event_id, _pending_events, settled.event_id),
            (
                MESSAGE,
                TicketMessageRow,
                StaffTopicRow.last_message_id,
                _pending_messages,
                settled.message_id,
            ),
        )
        for kind, items, cursor, pending, up_to in folds:
            first_pending = (
                select(func.min(items.id))
                .where(*pending())
                .correlate(StaffTopicRow)  # the topic updated, two queries out
                .scalar_subquery()
            )
            foldable = and_(
                StaffTopicItemRow.topic_id == StaffTopicRow.id,
                StaffTopicItemRow.kind == kind,
                StaffTopicItemRow.item_id <= up_to,
                or_(first_pending.is_(None), StaffTopicItemRow.item_id < first_pending),
            )
            await self._session.execute(
                update(StaffTopicRow)
                .where(
                    # Led by the few topics with items, not by every topic of the chat.
                    StaffTopicRow.id.in_(
                        select(StaffTopicItemRow.topic_id).where(
                            StaffTopicItemRow.kind == kind, StaffTopicItemRow.item_id <= up_to
                        )
                    ),
                    StaffTopicRow.chat_id == chat_id,
                    exists().where(foldable),
                )
                .values(
                    {
                        cursor: select(func.max(StaffTopicItemRow.item_id))
                        .where(foldable)
                        .scalar_subquery()
                    }
                )
                .execution_options(synchronize_session=False)
            )
            await self._session.execute(
                delete(StaffTopicItemRow)
                .where(
                    StaffTopicItemRow.kind == kind,
                    StaffTopicItemRow.item_id
                    <= select(cursor)
                    .where(StaffTopicRow.id == StaffTopicItemRow.topic_id)
                    .scalar_subquery(),
                )
                .execution_options(synchronize_session=False)
            )

    async def by_thread(self, chat_id: int, thread_id: int) -> StaffTopic | None:
        """The topic of a forum thread, or None (the general topic, or not a ticket's)."""
        found = (
            await self._session.execute(
                _topics().where(
                    and_(StaffTopicRow.chat_id == chat_id, StaffTopicRow.thread_id == thread_id)
                )
            )
        ).first()
        return _topic(found) if found else None

    async def for_ticket(self, chat_id: int, ticket_id: int) -> StaffTopic | None:
        """A ticket's topic in this chat, or None."""
        found = (
            await self._session.execute(
                _topics().where(
                    StaffTopicRow.chat_id == chat_id, StaffTopicRow.ticket_id == ticket_id
                )
            )
        ).first()
        return _topic(found) if found else None

    async def all_in_chat(self, chat_id: int) -> Sequence[StaffTopic]:
        """Every topic row of a chat (tests and diagnostics)."""
        found = await self._session.execute(
            _topics().where(StaffTopicRow.chat_id == chat_id).order_by(StaffTopicRow.id)
        )
        return [_topic(each) for each in found.all()]
