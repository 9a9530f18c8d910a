"""Noticing Telegram refusing the bot's token while the bot runs (a token revoked at
@BotFather): polling would retry `getUpdates` forever and every send would fail."""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNotFound, TelegramUnauthorizedError
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response


class TokenWatch(BaseRequestMiddleware):
    """Sets `rejected` when Telegram answers any call with 401 (or 404: a malformed token)."""

    def __init__(self) -> None:
        self.rejected = asyncio.Event()

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[Any],
        bot: Bot,
        method: TelegramMethod[Any],
    ) -> Response[Any]:
        """Make the call; on a refused token, say so (and hold `getUpdates` until polling is
        stopped, instead of the dispatcher logging a retry every few seconds)."""
        try:
            return await make_request(bot, method)
        except (TelegramUnauthorizedError, TelegramNotFound):
            self.rejected.set()
            if isinstance(method, GetUpdates):
                await asyncio.get_running_loop().create_future()  # cancelled by stop_polling
            raise
