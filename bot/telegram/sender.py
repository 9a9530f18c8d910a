"""Operators' replies from the outbox to the citizen's Telegram chat, each exactly once."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardMarkup

from bot.core.errors import RecipientRefusedError
from bot.core.records import OutboxMessage, OutgoingKind
from bot.telegram.errors import FloodWaitError
from bot.telegram.keyboards import ticket_mark_keyboard
from bot.telegram.mark_buttons import MarkButtons
from bot.telegram.render import RenderOptions, render_text

BLOCKED = (
    "Сообщение гражданину не доставлено: Telegram отказывается писать в этот чат (гражданин "
    "заблокировал бота или удалил чат). Бот попробует снова позже; чтобы ответить сейчас, "
    "свяжитесь с гражданином иначе."
)


class TelegramSender:
    """The outbox's sender for channel `telegram` (the recipient is the chat id).

    A reply is remembered by its idempotency key once Telegram accepted it, part by part, so
    the worker's retry after a lost acknowledgement does not show it twice. The memory lives
    as long as the process and holds the `remember` latest keys.

    A "retry after" too long to wait out in place pauses every send until it has passed:
    the outbox keeps the replies and tries them again later, without hammering Telegram.
    """

    def __init__(
        self,
        bot: Bot,
        options: RenderOptions,
        *,
        remember: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        marks: MarkButtons | None = None,
    ) -> None:
        self._bot = bot
        self._marks = marks
        self._options = options
        self._remember = remember
        self._clock = clock
        self._sent: OrderedDict[str, None] = OrderedDict()
        self._paused_until = 0.0

    async def send(self, message: OutboxMessage) -> None:
        """Send the reply's parts not sent yet; raise (for a later retry) on any failure."""
        wait = self._paused_until - self._clock()
        if wait > 0:
            raise FloodWaitError(wait)
        chat_id = int(message.recipient)
        parts = render_text(message.text, limit=self._options.limit)
        for index, part in enumerate(parts):
            key = f"{message.idempotency_key}:{index}"
            if key in self._sent:
                continue
            markup = _buttons(message) if index == len(parts) - 1 else None
            try:
                sent = await self._bot.send_message(chat_id, part, reply_markup=markup)
            except TelegramRetryAfter as error:
                self._paused_until = self._clock() + error.retry_after
                raise
            except TelegramForbiddenError as error:
                raise RecipientRefusedError(BLOCKED) from error
            self._remember_key(key)
            if markup is not None and self._marks is not None and message.ticket_number:
                await self._marks.remember(
                    self._bot, chat_id, message.ticket_number, sent.message_id
                )

    def _remember_key(self, key: str) -> None:
        self._sent[key] = None
        while len(self._sent) > self._remember:
            self._sent.popitem(last=False)


def _buttons(message: OutboxMessage) -> InlineKeyboardMarkup | None:
    """The buttons under a message's last part: 1-5 under one that asks for a mark."""
    number = message.ticket_number
    if message.kind is OutgoingKind.RATING_REQUEST and number is not None:
        return ticket_mark_keyboard(number)
    return None
