"""Tickets as values: the ticket, its thread of messages and its history of changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum

from bot.core.attachments import Attachment
from bot.core.contacts import Contacts
from bot.core.identity import Identity
from bot.core.ticket_status import TicketStatus


class Author(StrEnum):
    """Who wrote a message or made a change."""

    CITIZEN = "citizen"
    BOT = "bot"
    OPERATOR = "operator"
    SYSTEM = "system"


class Via(StrEnum):
    """Where an operator wrote a message: a staff view shows what was written elsewhere."""

    CONSOLE = "console"  # the web console
    TELEGRAM = "telegram"  # a ticket's topic in the operators' Telegram group


class SupportLine(IntEnum):
    """First line (operators) or second line (specialists)."""

    FIRST = 1
    SECOND = 2


class HandoffReason(StrEnum):
    """Why a conversation went to people."""

    NO_ANSWER = "no_answer"  # the matcher found nothing that fits
    ASKED_FOR_PERSON = "asked_for_person"  # the citizen asked for an operator
    MATCHER_FAILED = "matcher_failed"  # the matcher raised: the question must not be lost


@dataclass(frozen=True, slots=True)
class Ticket:
    """A question handed to people; replies go to `reply_to`, the identity that asked."""

    id: int
    number: int
    citizen_id: int
    reply_to: Identity
    conversation_id: int | None
    question: str
    status: TicketStatus
    line: SupportLine
    reason: HandoffReason
    contacts: Contacts
    created_at: datetime
    updated_at: datetime
    due_at: datetime
    assignee_id: int | None = None
    closed_at: datetime | None = None

    @property
    def channel(self) -> str:
        """The channel the ticket was opened from, where replies go."""
        return self.reply_to.channel

    @property
    def status_label(self) -> str:
        """The status in Russian, as shown to people."""
        return self.status.label

    def is_overdue(self, now: datetime) -> bool:
        """True when the promised answer time has passed and the ticket is still open."""
        return not self.status.is_final and now > self.due_at


@dataclass(frozen=True, slots=True)
class TicketMessage:
    """One message in a ticket's thread (the transcript so far, then the exchange)."""

    id: int
    author: Author
    text: str
    created_at: datetime
    operator_id: int | None = None
    via: Via | None = None  # an operator's message only; None also for rows older than it


# The history action of a file the citizen attached; its note is the file's name.
ATTACHED = "attached"
CONTACTS_GIVEN = "contacts_given"
DELIVERY_REFUSED = "delivery_refused"  # a reply the citizen's channel refused (blocked bot)
# A ticket taken from the one who had it (account disabled, or an admin's decision): the
# note says why.
RETURNED_TO_QUEUE = "returned_to_queue"


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One recorded change of a ticket: who did what, when."""

    id: int
    action: str
    author: Author
    created_at: datetime
    operator_id: int | None = None
    from_status: TicketStatus | None = None
    to_status: TicketStatus | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class TicketDetails:
    """A ticket with its thread, history and the descriptions of its attached files."""

    ticket: Ticket
    messages: tuple[TicketMessage, ...]
    events: tuple[TicketEvent, ...]
    attachments: tuple[Attachment, ...]
    # False for roles that do not answer citizens (analysts, curators): the contacts and
    # what staff wrote in the thread and the history are masked, the files described
    # without their names, and cannot be opened.
    personal_data_shown: bool = True
