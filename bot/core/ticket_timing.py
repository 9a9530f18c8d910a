"""How fast people handled a ticket: the figures the queue report is made of."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.records import RatingScale


@dataclass(frozen=True, slots=True)
class TicketRating:
    """A citizen's rating given while the conversation belonged to a ticket."""

    scale: RatingScale
    score: int


@dataclass(frozen=True, slots=True)
class TicketTiming:
    """One ticket's milestones: opened, due, taken, first answered by a person, closed."""

    number: int
    created_at: datetime
    due_at: datetime  # the answer promised by then (counted on working days)
    status: str
    operator: str | None  # the assignee's display name
    taken_at: datetime | None
    first_reply_at: datetime | None
    closed_at: datetime | None
    ratings: tuple[TicketRating, ...] = ()

    @property
    def waiting(self) -> timedelta | None:
        """From the hand-off until an operator took the ticket."""
        return self.taken_at - self.created_at if self.taken_at else None

    @property
    def first_response(self) -> timedelta | None:
        """From the hand-off until a person first wrote to the citizen."""
        return self.first_reply_at - self.created_at if self.first_reply_at else None

    def answered_in_time(self, now: datetime) -> bool | None:
        """Whether a person answered by the promised time; None while that is still open
        (no answer yet, and the time has not passed)."""
        if self.first_reply_at is not None:
            return self.first_reply_at <= self.due_at
        return False if now > self.due_at else None
