"""One database transaction with every repository bound to it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.conversation_repo import ConversationRepository
from bot.storage.dialogue_repo import DialogueRepository
from bot.storage.link_repo import LinkRepository
from bot.storage.login_failure_repo import LoginFailureRepository
from bot.storage.operator_repo import OperatorRepository
from bot.storage.outbox_repo import OutboxRepository
from bot.storage.proposal_repo import ProposalRepository
from bot.storage.question_repo import QuestionRepository
from bot.storage.rating_repo import RatingRepository
from bot.storage.request_repo import RequestRepository
from bot.storage.staff_topic_repo import StaffTopicRepository
from bot.storage.switch_repo import SwitchRepository
from bot.storage.ticket_repo import TicketRepository
from bot.storage.ticket_timing_repo import TicketTimingRepository
from bot.storage.web_event_repo import WebEventRepository


class UnitOfWork:
    """The repositories of one transaction: what they write commits or rolls back together."""

    __slots__ = (
        "conversations",
        "dialogues",
        "links",
        "login_failures",
        "operators",
        "outbox",
        "proposals",
        "questions",
        "ratings",
        "requests",
        "staff_topics",
        "switches",
        "ticket_timings",
        "tickets",
        "web_events",
    )

    def __init__(self, session: AsyncSession) -> None:
        self.conversations = ConversationRepository(session)
        self.tickets = TicketRepository(session)
        self.outbox = OutboxRepository(session)
        self.operators = OperatorRepository(session)
        self.switches = SwitchRepository(session)
        self.proposals = ProposalRepository(session)
        self.ratings = RatingRepository(session)
        self.requests = RequestRepository(session)
        self.questions = QuestionRepository(session)
        self.ticket_timings = TicketTimingRepository(session)
        self.web_events = WebEventRepository(session)
        self.links = LinkRepository(session)
        self.login_failures = LoginFailureRepository(session)
        self.staff_topics = StaffTopicRepository(session)
        self.dialogues = DialogueRepository(session)
