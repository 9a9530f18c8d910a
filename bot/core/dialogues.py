"""Dialogue memory: what a chat remembers between messages, in the database.

A channel's framework keeps small per-chat values between updates (aiogram's FSM: contacts a
citizen shared, the prompt a comment answers). Kept here, they survive a restart and are the
same for every process serving the channel. A memory unchanged for `ttl` is forgotten.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.core.clock import Clock, system_clock
from bot.core.records import Dialogue
from bot.storage.database import Database


class DialogueMemory:
    """Reads and changes dialogue memories by key, each change one transaction."""

    def __init__(self, db: Database, *, ttl: timedelta, clock: Clock = system_clock) -> None:
        self._db = db
        self._ttl = ttl
        self._clock = clock

    async def read(self, key: str) -> Dialogue:
        """The memory under `key`; empty when there is none or it is too old."""
        now = self._clock()
        async with self._db.transaction() as uow:
            found = await uow.dialogues.get(key, fresh_since=now - self._ttl)
        return found or Dialogue()

    async def change(self, key: str, how: Callable[[Dialogue], Dialogue]) -> Dialogue:
        """Replace the memory under `key` with `how(memory)`, read and written under one lock
        (two updates of one chat, even in two processes, never lose each other's values)."""
        now = self._clock()
        async with self._db.transaction() as uow:
            current = await uow.dialogues.get(key, fresh_since=now - self._ttl, for_change=True)
            changed = how(current or Dialogue())
            await uow.dialogues.put(key, changed, now)
        return changed

    async def forget_stale(self) -> int:
        """Remove memories older than the time they are kept; returns how many."""
        async with self._db.transaction() as uow:
            return await uow.dialogues.delete_older(self._clock() - self._ttl)
