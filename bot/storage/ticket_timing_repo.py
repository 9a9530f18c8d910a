"""Tickets' milestones for the queue report, read in a few grouped queries."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.records import RatingScale
from bot.core.ticket_timing import TicketRating, TicketTiming
from bot.core.tickets import Author
from bot.storage.columns import UtcDateTime
from bot.storage.tables import (
    OperatorRow,
    RatingRow,
    TicketEventRow,
    TicketMessageRow,
    TicketRow,
)

TAKEN_ACTION = "taken"


class TicketTimingRepository:
    """Reads tickets' milestones."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def between(self, since: datetime | None, until: datetime | None) -> list[TicketTiming]:
        """Tickets opened in [since, until), oldest first."""
        taken = (
            select(
                TicketEventRow.ticket_id.label("ticket_id"),
                func.min(TicketEventRow.created_at, type_=UtcDateTime()).label("at"),
            )
            .where(TicketEventRow.action == TAKEN_ACTION)
            .group_by(TicketEventRow.ticket_id)
            .subquery()
        )
        replied = (
            select(
                TicketMessageRow.ticket_id.label("ticket_id"),
                func.min(TicketMessageRow.created_at, type_=UtcDateTime()).label("at"),
            )
            .where(TicketMessageRow.author == Author.OPERATOR.value)
            .group_by(TicketMessageRow.ticket_id)
            .subquery()
        )
        query = (
            select(
                TicketRow.id,
                TicketRow.number,
                TicketRow.created_at,
                TicketRow.due_at,
                TicketRow.status,
                TicketRow.closed_at,
                OperatorRow.display_name,
                taken.c.at.label("taken_at"),
                replied.c.at.label("replied_at"),
            )
            .outerjoin(OperatorRow, OperatorRow.id == TicketRow.assignee_id)
            .outerjoin(taken, taken.c.ticket_id == TicketRow.id)
            .outerjoin(replied, replied.c.ticket_id == TicketRow.id)
            .order_by(TicketRow.created_at, TicketRow.id)
        )
        if since is not None:
            query = query.where(TicketRow.created_at >= since)
        if until is not None:
            query = query.where(TicketRow.created_at < until)
        rows = (await self._session.execute(query)).all()
        ratings = await self._ratings()
        return [
            TicketTiming(
                number=row.number,
                created_at=row.created_at,
                due_at=row.due_at,
                status=row.status,
                operator=row.display_name,
                taken_at=row.taken_at,
                first_reply_at=row.replied_at,
                closed_at=row.closed_at,
                ratings=tuple(ratings.get(row.id, ())),
            )
            for row in rows
        ]

    async def _ratings(self) -> dict[int, list[TicketRating]]:
        found: dict[int, list[TicketRating]] = defaultdict(list)
        result = await self._session.execute(
            select(RatingRow.ticket_id, RatingRow.scale, RatingRow.score).where(
                RatingRow.ticket_id.is_not(None)
            )
        )
        for ticket_id, scale, score in result:
            assert ticket_id is not None
            found[ticket_id].append(TicketRating(RatingScale(scale), int(score)))
        return found
