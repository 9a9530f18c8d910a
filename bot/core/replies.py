"""The channel-neutral reply: each channel renders it, falling back to `text`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReplyKind(StrEnum):
    """What sort of reply the citizen gets."""

    ANSWER = "answer"  # an answer from the knowledge base
    CLARIFY = "clarify"  # several entries fit: offer `choices`
    HANDOFF = "handoff"  # a ticket was opened for people
    SILENT = "silent"  # a person owns the conversation: the bot says nothing
    NOTICE = "notice"  # a short service message (message added to a ticket...)


@dataclass(frozen=True, slots=True)
class Choice:
    """One entry offered when the question is ambiguous."""

    entry_id: str
    title: str


@dataclass(frozen=True, slots=True)
class GivenMark:
    """The mark a typed message ("5", "4 из 5") gave a ticket people just closed."""

    ticket_number: int
    stars: int


@dataclass(frozen=True, slots=True)
class Reply:
    """What the core says back to a citizen.

    `message_id` identifies the bot's message, so that the citizen can rate it; `said_id`
    the citizen's own message where the reply names no message of the bot's (a message to
    the ticket, a message without words: a channel showing the conversation in several
    places tells it from another's by id, its kept text may be masked);
    `notice` carries a warning to show next to any reply (maintenance); `mark` is the mark
    the message gave a closed ticket, so that a channel can show it on the ticket's 1-5
    buttons as if one had been pressed.
    """

    kind: ReplyKind
    text: str
    entry_id: str | None = None
    choices: tuple[Choice, ...] = ()
    ticket_number: int | None = None
    due_text: str | None = None
    notice: str | None = None
    message_id: int | None = None
    said_id: int | None = None
    mark: GivenMark | None = None
