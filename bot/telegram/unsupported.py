"""Anything the bot cannot read (stickers, voice, locations...), and buttons it does not know
(from an old version, or forged): say so politely."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.telegram import texts


async def explain(message: Message) -> None:
    """Never leave a message unanswered: explain what the bot understands."""
    await message.answer(texts.UNSUPPORTED)


async def unknown_button(query: CallbackQuery) -> None:
    """Answer every press, or the citizen's button keeps spinning."""
    await query.answer(texts.UNKNOWN_BUTTON, show_alert=True)


def build_router() -> Router:
    """The unsupported handlers, registered in order on a fresh router."""
    router = Router(name="unsupported")
    router.message.register(explain)
    router.callback_query.register(unknown_button)
    return router
