"""Tickets in a staff chat as values: a ticket's topic, its card, and what changed since."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime

from bot.core.tickets import Ticket, TicketEvent, TicketMessage


@dataclass(frozen=True, slots=True)
class StaffTopic:
    """A ticket's topic in a staff chat; `thread_id`/`card_message_id` are None until made.
    `last_event_id`, `last_message_id`: the topic shows every event and message of its
    ticket up to these ids (what «Закрыть» compares the ticket's latest ones with)."""

    id: int
    chat_id: int
    ticket_id: int
    ticket_number: int
    thread_id: int | None
    card_message_id: int | None
    last_event_id: int
    last_message_id: int


@dataclass(frozen=True, slots=True)
class TicketCard:
    """What a topic's first message shows: the ticket and who has it."""

    ticket: Ticket
    assignee_name: str | None = None
    last_actor: str | None = None  # who made the latest status change


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One status change to post into the topic."""

    event: TicketEvent
    operator_name: str | None


@dataclass(frozen=True, slots=True)
class TopicMessage:
    """One message to post into the topic: a citizen's, or an operator's written elsewhere."""

    message: TicketMessage
    operator_name: str | None  # who wrote an operator's message; None for a citizen's


@dataclass(frozen=True, slots=True)
class TopicNews:
    """What happened to a topic's ticket since the topic last showed it."""

    topic: StaffTopic
    card: TicketCard
    changes: tuple[StatusChange, ...]
    messages: tuple[TopicMessage, ...]  # in the thread's order
    # Every event and message the news deal with: those above, and those not for the topic.
    event_ids: frozenset[int]
    message_ids: frozenset[int]

    def in_order(self) -> list[TopicMessage | StatusChange]:
        """Messages and changes as they happened, so the topic reads as a timeline.

        Each kind keeps its own order (ids); a message goes before a change made at the
        same moment (a last reply, then "closed").
        """
        messages: list[TopicMessage | StatusChange] = list(self.messages)
        changes: list[TopicMessage | StatusChange] = list(self.changes)
        return list(heapq.merge(messages, changes, key=_moment))


def _moment(item: TopicMessage | StatusChange) -> datetime:
    return item.message.created_at if isinstance(item, TopicMessage) else item.event.created_at
