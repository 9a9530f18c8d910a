"""Where an update came from, for replying to it."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message


def callback_chat_id(query: CallbackQuery) -> int:
    """The chat a button was pressed in (the user's private chat when the message is gone)."""
    if query.message is not None:
        return query.message.chat.id
    return query.from_user.id


def editable(query: CallbackQuery) -> Message | None:
    """The message under the pressed button, if the bot can still edit it."""
    return query.message if isinstance(query.message, Message) else None
