"""`/healthz` follows polling: Telegram failing after the start is "waiting" until a
`getUpdates` succeeds again (the dispatcher retries it with its own back-off)."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import ClientDecodeError, TelegramNetworkError, TelegramServerError
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response

from bot.core.telegram_health import TelegramHealth, TelegramState


class PollingHealth(BaseRequestMiddleware):
    """Marks the bot "waiting" while `getUpdates` fails, and "ok" once it answers again."""

    def __init__(self, health: TelegramHealth, api_base: str) -> None:
        self._health = health
        self._api_base = api_base

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[Any],
        bot: Bot,
        method: TelegramMethod[Any],
    ) -> Response[Any]:
        """Make the call; note how a `getUpdates` went."""
        if not isinstance(method, GetUpdates):
            return await make_request(bot, method)
        try:
            response = await make_request(bot, method)
        except (TelegramNetworkError, TelegramServerError, ClientDecodeError) as error:
            self._health.set(
                TelegramState.WAITING,
                f"Telegram недоступен (опрос {self._api_base} не удался: "
                f"{type(error).__name__}); бот повторяет попытки",
            )
            raise
        if self._health.status.state is TelegramState.WAITING:
            self._health.set(TelegramState.OK, f"бот Telegram опрашивает {self._api_base}")
        return response
