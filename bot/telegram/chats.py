"""Where an update came from, for replying to it."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

NOT_MODIFIED = "message is not modified"


def callback_chat_id(query: CallbackQuery) -> int:
    """The chat a button was pressed in (the user's private chat when the message is gone)."""
    if query.message is not None:
        return query.message.chat.id
    return query.from_user.id


def editable(query: CallbackQuery) -> Message | None:
    """The message under the pressed button, if the bot can still edit it."""
    return query.message if isinstance(query.message, Message) else None


async def show_in_place(
    query: CallbackQuery, bot: Bot, text: str, keyboard: InlineKeyboardMarkup
) -> None:
    """Put `text` and `keyboard` in place of the pressed message (a new one when it is gone).

    A second tap on the same button asks for what the message shows already, which Telegram
    refuses as "message is not modified": nothing to change then, and nothing went wrong.
    """
    message = editable(query)
    if message is None:
        await bot.send_message(callback_chat_id(query), text, reply_markup=keyboard)
        return
    try:
        await message.edit_text(text, reply_markup=keyboard)
    except TelegramBadRequest as error:
        if NOT_MODIFIED not in str(error):
            raise
