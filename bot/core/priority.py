"""Whose work goes first when the database is busy: staff before citizens.

Under heavy citizen traffic every transaction waits its turn; an operator's page would wait
behind hundreds of questions. The channel marks a request as staff work (`as_staff`), and
the storage layer lets such transactions in ahead of the queue.
"""

from __future__ import annotations

from contextvars import ContextVar
from enum import IntEnum


class Priority(IntEnum):
    """Lower goes first."""

    STAFF = 0
    CITIZEN = 1


current_priority: ContextVar[Priority] = ContextVar("current_priority", default=Priority.CITIZEN)


def as_staff() -> None:
    """Mark the rest of this task (one request) as staff work."""
    current_priority.set(Priority.STAFF)
