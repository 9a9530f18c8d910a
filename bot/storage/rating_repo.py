"""Citizens' ratings of answers in the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.records import Rating, RatingScale
from bot.storage.converters import to_rating
from bot.storage.tables import RatingRow, TicketRow


class RatingRepository:
    """Reads and writes ratings."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def put(
        self,
        *,
        conversation_id: int,
        scale: RatingScale,
        score: int,
        now: datetime,
        message_id: int | None,
        entry_id: str | None,
        ticket_id: int | None,
        comment: str | None,
    ) -> Rating:
        """Store a rating; a message rated again on the same scale keeps one rating, the
        latest score, and its comment unless a new one is given (👎 first, the comment after).
        So does a ticket rated as a whole (no `message_id`)."""
        row = None
        if message_id is not None:
            row = await self._session.scalar(
                select(RatingRow).where(
                    RatingRow.conversation_id == conversation_id,
                    RatingRow.message_id == message_id,
                    RatingRow.scale == scale.value,
                )
            )
        elif ticket_id is not None:
            row = await self._session.scalar(
                select(RatingRow).where(
                    RatingRow.ticket_id == ticket_id,
                    RatingRow.message_id.is_(None),
                    RatingRow.scale == scale.value,
                )
            )
        if row is None:
            row = RatingRow(
                conversation_id=conversation_id,
                message_id=message_id,
                entry_id=entry_id,
                ticket_id=ticket_id,
                scale=scale.value,
            )
            self._session.add(row)
        row.score = score
        row.created_at = now
        if comment is not None:
            row.comment = comment
        await self._session.flush()
        return await self._value(row)

    async def commented_between(
        self, since: datetime | None, until: datetime | None, *, limit: int
    ) -> Sequence[Rating]:
        """The latest ratings with a comment in [since, until), newest first."""
        query = select(RatingRow).where(RatingRow.comment.is_not(None))
        if since is not None:
            query = query.where(RatingRow.created_at >= since)
        if until is not None:
            query = query.where(RatingRow.created_at < until)
        rows = await self._session.scalars(
            query.order_by(RatingRow.created_at.desc(), RatingRow.id.desc()).limit(limit)
        )
        return [await self._value(r) for r in rows.all()]

    async def ticket_marks(self, citizen_id: int) -> dict[int, int]:
        """The citizen's tickets rated as a whole (1-5): ticket number → the latest mark."""
        rows = await self._session.execute(
            select(TicketRow.number, RatingRow.score)
            .join(TicketRow, RatingRow.ticket_id == TicketRow.id)
            .where(
                TicketRow.citizen_id == citizen_id,
                RatingRow.message_id.is_(None),
                RatingRow.scale == RatingScale.STARS.value,
            )
        )
        return {int(number): int(score) for number, score in rows.all()}

    async def for_entry(self, entry_id: str) -> Sequence[Rating]:
        """Ratings of answers from one knowledge-base entry."""
        rows = await self._session.scalars(
            select(RatingRow).where(RatingRow.entry_id == entry_id).order_by(RatingRow.id)
        )
        return [await self._value(r) for r in rows.all()]

    async def for_conversation(self, conversation_id: int) -> Sequence[Rating]:
        """Ratings given in one conversation."""
        rows = await self._session.scalars(
            select(RatingRow)
            .where(RatingRow.conversation_id == conversation_id)
            .order_by(RatingRow.id)
        )
        return [await self._value(r) for r in rows.all()]

    async def _value(self, row: RatingRow) -> Rating:
        number = None
        if row.ticket_id is not None:
            number = await self._session.scalar(
                select(TicketRow.number).where(TicketRow.id == row.ticket_id)
            )
        return to_rating(row, number)
