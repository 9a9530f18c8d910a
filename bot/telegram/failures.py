"""Errors of every handler, answered in one place: the core's own say what is wrong."""

from __future__ import annotations

import html
import logging

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import ErrorEvent

from bot.core.errors import CoreError
from bot.telegram import texts

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, bot: Bot) -> None:
    """Tell the citizen what went wrong: the core's message, or a generic apology."""
    error = event.exception
    if isinstance(error, TelegramForbiddenError):
        # The citizen blocked the bot (or deleted the chat): nobody to apologise to, and no
        # bug to trace; what they asked is stored, only the reply is not shown.
        log.warning(
            "Обновление %s: ответ не отправлен, Telegram не даёт писать в этот чат (%s)",
            event.update.update_id,
            error.message,
        )
        return
    if isinstance(error, CoreError):
        text = html.escape(str(error), quote=False)
    elif isinstance(error, TelegramRetryAfter):
        # Flood control longer than the bot waits in place: no bug to trace; the apology
        # below may get through, or be refused as well.
        log.warning(
            "Обновление %s: ответ не отправлен, Telegram ограничил частоту сообщений "
            "и просит подождать %s с",
            event.update.update_id,
            error.retry_after,
        )
        text = texts.SOMETHING_WENT_WRONG
    elif isinstance(error, (TelegramServerError, TelegramNetworkError)):
        # Telegram kept failing after the retries in place: its outage, not our bug.
        log.warning(
            "Обновление %s: ответ не отправлен, Telegram отвечал ошибкой на каждую попытку (%s)",
            event.update.update_id,
            error.message,
        )
        text = texts.SOMETHING_WENT_WRONG
    else:
        log.error(
            "Обновление %s не обработано из-за ошибки", event.update.update_id, exc_info=error
        )
        text = texts.SOMETHING_WENT_WRONG
    update = event.update
    if update.callback_query is not None:
        query = update.callback_query
        try:
            await query.answer(str(error)[:200] if isinstance(error, CoreError) else text[:200])
        except TelegramAPIError:
            log.warning("Не удалось ответить на нажатие кнопки (обновление %s)", update.update_id)
        return
    if update.message is not None:
        try:
            await bot.send_message(update.message.chat.id, text)
        except TelegramAPIError:
            log.warning(
                "Не удалось сообщить в чат об ошибке обработки обновления %s", update.update_id
            )
