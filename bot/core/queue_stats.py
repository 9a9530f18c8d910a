"""Queue figures for monitoring: how many tickets wait and how many are past their due time."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.clock import Clock, system_clock
from bot.storage.database import Database

# Counting stops here: a monitoring scrape must stay cheap even with a flooded queue.
COUNT_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """Tickets waiting to be taken, and open tickets past their promised answer time."""

    waiting: int
    overdue: int


class QueueStats:
    """Reads the queue figures; no role check: they are numbers, not tickets."""

    def __init__(self, db: Database, *, clock: Clock = system_clock) -> None:
        self._db = db
        self._clock = clock

    async def figures(self) -> QueueFigures:
        """The current figures (capped at `COUNT_LIMIT`)."""
        async with self._db.transaction() as uow:
            waiting = len(await uow.tickets.queue(COUNT_LIMIT))
            overdue = len(await uow.tickets.overdue(self._clock(), COUNT_LIMIT))
        return QueueFigures(waiting=waiting, overdue=overdue)
