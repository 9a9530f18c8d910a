"""Admission to the database: as many transactions at once as the pool has connections,
the others queued by priority (staff first), then by arrival.

SQLAlchemy's pool queues checkouts first come, first served; in front of it, this gate
decides the order, so the pool itself never has a queue. A waiter that is not let in within
`timeout` gives up as the pool would have (`NoRoomError`).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class NoRoomError(Exception):
    """Nobody left the gate for as long as the waiter would wait."""


class PriorityGate:
    """At most `capacity` holders at once; waiters enter by (priority, arrival)."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("a gate needs room for at least one holder")
        self._free = capacity
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    @asynccontextmanager
    async def held(self, priority: int, timeout: float) -> AsyncIterator[None]:
        """Hold a place while the block runs; raises `NoRoomError` after `timeout` seconds
        of waiting."""
        await self._enter(priority, timeout)
        try:
            yield
        finally:
            self._leave()

    @property
    def waiting(self) -> int:
        """How many are queued (cancelled waiters not yet skipped included)."""
        return len(self._waiters)

    async def _enter(self, priority: int, timeout: float) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        admitted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._arrivals), admitted))
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(admitted)
        except BaseException as error:
            if admitted.done() and not admitted.cancelled():
                self._leave()  # let in just as we gave up: pass the place on
            else:
                admitted.cancel()  # skipped when its turn comes
            if isinstance(error, TimeoutError):
                raise NoRoomError(f"no room within {timeout:g} s") from error
            raise

    def _leave(self) -> None:
        while self._waiters:
            _, _, admitted = heapq.heappop(self._waiters)
            if not admitted.done():
                admitted.set_result(None)  # the place goes straight to the next waiter
                return
        self._free += 1
