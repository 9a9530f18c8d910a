"""Knowledge-base proposals in the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.records import Proposal, ProposalStatus
from bot.storage.converters import to_proposal
from bot.storage.tables import ProposalRow, TicketRow


class ProposalRepository:
    """Reads and writes proposals."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        ticket_id: int,
        question: str,
        alternatives: Sequence[str],
        answer: str,
        topic: str,
        proposed_by: int,
        now: datetime,
    ) -> Proposal:
        """Insert a pending proposal."""
        row = ProposalRow(
            ticket_id=ticket_id,
            question=question,
            alternatives=list(alternatives),
            answer=answer,
            topic=topic,
            status=ProposalStatus.PENDING.value,
            proposed_by=proposed_by,
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return await self._value(row)

    async def get(self, proposal_id: int, *, lock: bool = False) -> Proposal | None:
        """A proposal by id."""
        row = await self._session.get(ProposalRow, proposal_id, with_for_update=lock)
        return await self._value(row) if row else None

    async def decide(
        self,
        proposal_id: int,
        *,
        status: ProposalStatus,
        decided_by: int,
        now: datetime,
        entry_id: str | None,
        note: str | None,
    ) -> Proposal:
        """Record a curator's decision."""
        row = await self._session.get_one(ProposalRow, proposal_id)
        row.status = status.value
        row.decided_by = decided_by
        row.decided_at = now
        row.entry_id = entry_id
        row.decision_note = note
        await self._session.flush()
        return await self._value(row)

    async def pending(self) -> Sequence[Proposal]:
        """Proposals waiting for a curator, oldest first."""
        rows = await self._session.scalars(
            select(ProposalRow)
            .where(ProposalRow.status == ProposalStatus.PENDING.value)
            .order_by(ProposalRow.id)
        )
        return [await self._value(r) for r in rows.all()]

    async def _value(self, row: ProposalRow) -> Proposal:
        number = await self._session.scalar(
            select(TicketRow.number).where(TicketRow.id == row.ticket_id)
        )
        return to_proposal(row, int(number or 0))
