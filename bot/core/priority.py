"""Whose work goes first when the database is busy: staff before citizens.

Under heavy citizen traffic every transaction waits its turn; an operator's page would wait
behind hundreds of questions. The channel marks a request as staff work (`as_staff`), and
the storage layer lets such transactions in ahead of the queue. A request that needs a
second transaction after waiting for its first (a hand-off: its ticket number, then the
ticket) marks the second `underway`, so that it waits its turn once, not twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import IntEnum


class Priority(IntEnum):
    """Lower goes first."""

    STAFF = 0
    UNDERWAY = 1
    CITIZEN = 2


current_priority: ContextVar[Priority] = ContextVar("current_priority", default=Priority.CITIZEN)


def as_staff() -> None:
    """Mark the rest of this task (one request) as staff work."""
    current_priority.set(Priority.STAFF)


@contextmanager
def underway() -> Iterator[None]:
    """Within the block, this request's transactions go ahead of requests not yet begun
    (staff work keeps its place ahead of both)."""
    if current_priority.get() is Priority.STAFF:
        yield
        return
    token = current_priority.set(Priority.UNDERWAY)
    try:
        yield
    finally:
        current_priority.reset(token)
