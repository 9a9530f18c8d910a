"""Recorded questions: what a citizen asked (masked) and what became of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.records import RatingScale

# Stars at or below this count as a complaint about the answer, like a 👎.
WORST_GOOD_STARS = 3


class Decision(StrEnum):
    """What the bot did with a question."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    HANDOFF = "handoff"


class Triage(StrEnum):
    """What a curator did with an unanswered question; None while it waits in the inbox."""

    ALTERNATIVE = "alternative"  # added to an entry as another phrasing
    PROPOSED = "proposed"  # a new entry was proposed from it
    DISMISSED = "dismissed"  # nothing to do


@dataclass(frozen=True, slots=True)
class NewQuestion:
    """A question to record; `text` must already be masked."""

    channel: str
    asked_at: datetime
    text: str
    decision: Decision
    entry_id: str | None = None
    score: float | None = None
    handoff_reason: str | None = None
    conversation_id: int | None = None
    message_id: int | None = None
    ticket_number: int | None = None
    chosen_entry_id: str | None = None
    feedback_scale: RatingScale | None = None
    feedback_score: int | None = None


@dataclass(frozen=True, slots=True)
class QuestionRecord:
    """A recorded question with everything that followed it."""

    id: int
    channel: str
    asked_at: datetime
    text: str
    decision: Decision
    entry_id: str | None
    score: float | None
    handoff_reason: str | None
    conversation_id: int | None
    message_id: int | None
    ticket_number: int | None
    chosen_entry_id: str | None
    feedback_scale: RatingScale | None
    feedback_score: int | None
    triage: Triage | None
    operator_entry_id: str | None = None  # the entry an operator answered its ticket with

    @property
    def answered_entry(self) -> str | None:
        """The entry whose answer the citizen finally saw, if any."""
        if self.decision is Decision.ANSWER:
            return self.entry_id
        return self.chosen_entry_id

    @property
    def disliked(self) -> bool:
        """The citizen gave 👎 or a low star rating."""
        if self.feedback_score is None:
            return False
        if self.feedback_scale is RatingScale.THUMBS:
            return self.feedback_score == 0
        return self.feedback_score <= WORST_GOOD_STARS - 1

    @property
    def abandoned(self) -> bool:
        """Offered a choice of entries, the citizen picked none."""
        return self.decision is Decision.CLARIFY and self.chosen_entry_id is None

    @property
    def answered_by_bot(self) -> bool:
        """The citizen got an answer without a person."""
        return self.answered_entry is not None
