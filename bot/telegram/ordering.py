"""One chat's updates handled one at a time, in the order Telegram sent them.

Polling hands aiogram a batch of updates (an album of photos, messages sent while the bot
was busy or away) and aiogram handles each in a task of its own. Without an order, a
question typed before "/operator" could reach the core after it and vanish into the new
ticket, and each photo of an album opened a hand-off of its own. Different chats still go
side by side.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject


class ChatOrder(BaseMiddleware):
    """An outer update middleware: a lock per chat, taken in arrival order (asyncio locks
    are fair). It must run before anything that waits (the FSM storage reads the database),
    or tasks could reach it out of order."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}  # updates of a chat holding or awaiting its lock

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        """Handle the update once the chat's earlier updates are done."""
        chat = data.get("event_chat")
        if not isinstance(chat, Chat):
            return await handler(event, data)
        key = chat.id
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                return await handler(event, data)
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # nobody waits: forget the chat
                del self._users[key], self._locks[key]
