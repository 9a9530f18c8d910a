"""One database transaction with every repository bound to it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.conversation_repo import ConversationRepository
from bot.storage.operator_repo import OperatorRepository
from bot.storage.outbox_repo import OutboxRepository
from bot.storage.proposal_repo import ProposalRepository
from bot.storage.rating_repo import RatingRepository
from bot.storage.switch_repo import SwitchRepository
from bot.storage.ticket_repo import TicketRepository


class UnitOfWork:
    """The repositories of one transaction: what they write commits or rolls back together."""

    __slots__ = (
        "conversations",
        "operators",
        "outbox",
        "proposals",
        "ratings",
        "switches",
        "tickets",
    )

    def __init__(self, session: AsyncSession) -> None:
        self.conversations = ConversationRepository(session)
        self.tickets = TicketRepository(session)
        self.outbox = OutboxRepository(session)
        self.operators = OperatorRepository(session)
        self.switches = SwitchRepository(session)
        self.proposals = ProposalRepository(session)
        self.ratings = RatingRepository(session)
