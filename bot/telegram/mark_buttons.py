"""Where a closed ticket's 1-5 buttons are in a chat, so that a mark typed as a message
("5") ticks them too, as a press does.

The closing message is sent by the outbox; its id is kept in the chat's dialogue memory
(the database), so the mark can be ticked after a restart as well.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage, StorageKey

from bot.core.replies import GivenMark
from bot.telegram.keyboards import ticket_mark_keyboard

LOG = logging.getLogger(__name__)
# The closing message with the 1-5 buttons: {"number": ticket number, "message_id": id}.
MARK_MESSAGE_KEY = "mark_message"


class MarkButtons:
    """Remembers, per chat, the message that carries the latest ticket's 1-5 buttons."""

    def __init__(self, storage: BaseStorage) -> None:
        self._storage = storage

    async def remember(self, bot: Bot, chat_id: int, number: int, message_id: int) -> None:
        """Keep where ticket `number`'s buttons are; a failure only costs the tick."""
        # A private chat's dialogue: the user is the chat (aiogram's FSMContext key).
        key = StorageKey(bot_id=bot.id, chat_id=chat_id, user_id=chat_id)
        try:
            await self._storage.update_data(
                key, {MARK_MESSAGE_KEY: {"number": number, "message_id": message_id}}
            )
        except Exception:  # the reply is delivered: never fail its delivery for this
            LOG.warning(
                "Не удалось запомнить, где кнопки оценки обращения № %d", number, exc_info=True
            )


async def tick_typed_mark(bot: Bot, state: FSMContext, chat_id: int, mark: GivenMark) -> None:
    """Tick the mark on the ticket's closing message, as a press of the button would."""
    kept = (await state.get_data()).get(MARK_MESSAGE_KEY)
    if not isinstance(kept, dict) or kept.get("number") != mark.ticket_number:
        return
    try:
        await bot.edit_message_reply_markup(
            chat_id=chat_id,
            message_id=int(kept["message_id"]),
            reply_markup=ticket_mark_keyboard(mark.ticket_number, chosen=mark.stars),
        )
    except TelegramBadRequest:
        pass  # the message is gone, or shows this mark already: nothing to change
    except TelegramAPIError:  # the mark is stored and thanked for: the tick can be missed
        LOG.warning(
            "Не удалось отметить оценку %d на кнопках обращения № %d",
            mark.stars,
            mark.ticket_number,
        )
