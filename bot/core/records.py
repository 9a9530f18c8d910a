"""Stored values other than tickets: conversations, operators, outbox rows, proposals, ratings,
dialogue memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.core.conversation_state import ConversationState
from bot.core.identity import Identity
from bot.core.roles import Role
from bot.core.tickets import Author

# Ids (records, ticket numbers, Telegram users) are 64-bit in the database: a larger number
# typed by staff is "no such record", not an overflow in the driver.
MAX_RECORD_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Conversation:
    """One citizen identity's conversation with the service."""

    id: int
    citizen_id: int
    identity: Identity
    state: ConversationState
    ticket_id: int | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ConversationMessage:
    """One message of a conversation, by the citizen, the bot or an operator."""

    id: int
    author: Author
    text: str
    created_at: datetime
    entry_id: str | None = None
    choices: tuple[str, ...] = ()  # the entries a clarification offered, by id


@dataclass(frozen=True, slots=True)
class Operator:
    """An operator account, without its password hash."""

    id: int
    login: str
    display_name: str
    role: Role
    active: bool
    created_at: datetime
    telegram_user_id: int | None = None  # may act in the operators' Telegram group


class OutgoingKind(StrEnum):
    """What a message queued for a citizen is."""

    REPLY = "reply"  # an operator's words: an answer, a request for information
    NOTICE = "notice"  # the service's news: a ticket taken or closed, an account linked
    RATING_REQUEST = "rating_request"  # news that asks for a 1-5 mark of its ticket


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A reply waiting to be delivered to a citizen on their channel.

    `idempotency_key` stays the same on every attempt: a channel that remembers the keys it
    has sent delivers each reply exactly once even when a worker retries it.
    """

    id: int
    idempotency_key: str
    channel: str
    recipient: str
    text: str
    attempts: int
    created_at: datetime
    ticket_number: int | None = None
    delivered_at: datetime | None = None
    last_error: str | None = None
    kind: OutgoingKind = OutgoingKind.NOTICE


@dataclass(frozen=True, slots=True)
class WebEvent:
    """One reply or notice delivered to a widget session."""

    id: int
    session_id: str
    text: str
    created_at: datetime
    ticket_number: int | None
    kind: OutgoingKind = OutgoingKind.NOTICE

    @property
    def asks_rating(self) -> bool:
        """The widget shows 1-5 buttons under it that rate `ticket_number`."""
        return self.kind is OutgoingKind.RATING_REQUEST and self.ticket_number is not None


class ProposalStatus(StrEnum):
    """Where a knowledge-base proposal is."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Proposal:
    """A new knowledge-base entry suggested from a resolved ticket."""

    id: int
    ticket_number: int
    question: str
    alternatives: tuple[str, ...]
    answer: str
    topic: str
    status: ProposalStatus
    proposed_by: int
    created_at: datetime
    decided_by: int | None = None
    decided_at: datetime | None = None
    entry_id: str | None = None
    decision_note: str | None = None


class RatingScale(StrEnum):
    """How the citizen rated: five stars or thumbs up/down."""

    STARS = "stars"
    THUMBS = "thumbs"


# The star scale's range.
MIN_STARS, MAX_STARS = 1, 5


@dataclass(frozen=True, slots=True)
class Rating:
    """A citizen's rating of an answer."""

    id: int
    conversation_id: int
    scale: RatingScale
    score: int
    created_at: datetime
    message_id: int | None = None
    entry_id: str | None = None
    ticket_number: int | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Maintenance:
    """The maintenance switch: people are unavailable until `until`."""

    until: datetime
    note: str | None
    set_at: datetime
    set_by: str | None = None  # an operator's login; None: the server's administrator


@dataclass(frozen=True, slots=True)
class Dialogue:
    """What a chat's dialogue remembers between messages: a state name and small values."""

    state: str | None = None
    data: dict[str, object] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        """Nothing to remember."""
        return self.state is None and not self.data
