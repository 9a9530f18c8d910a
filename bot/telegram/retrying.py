"""Retrying Bot API calls in place: flood control waited out, 5xx and network errors backed off.

What still fails after `RetrySettings.attempts` is raised: a handler's reply is then lost
(the error is logged), an operator's reply stays in the outbox and is tried again later.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetMe, GetUpdates, TelegramMethod
from aiogram.methods.base import Response

from bot.telegram.settings import RetrySettings

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)


class RetryMiddleware(BaseRequestMiddleware):
    """Retries a Bot API call after 429, 5xx and network errors, within limits."""

    def __init__(self, settings: RetrySettings) -> None:
        self._settings = settings

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[Any],
        bot: Bot,
        method: TelegramMethod[Any],
    ) -> Response[Any]:
        """Make the call, retrying what is worth retrying."""
        if isinstance(method, GetUpdates | GetMe):
            # Polling has its own back-off in the dispatcher, the start its own (`connect`).
            return await make_request(bot, method)
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if (
                    attempt >= self._settings.attempts
                    or error.retry_after > self._settings.max_retry_after
                ):
                    raise
                delay = float(error.retry_after)
            except (TelegramServerError, TelegramNetworkError) as error:
                if attempt >= self._settings.attempts:
                    raise
                delay = min(
                    self._settings.first_delay * 2 ** (attempt - 1), self._settings.max_delay
                )
                log.warning(
                    "Запрос %s к Telegram не удался с попытки %d (%s), повтор через %.1f с",
                    type(method).__name__,
                    attempt,
                    type(error).__name__,
                    delay,
                )
            attempt += 1
            await asyncio.sleep(delay)
