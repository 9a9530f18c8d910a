"""Anything the bot cannot read (stickers, voice, locations...): say so politely."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import Message

from bot.telegram import texts


async def explain(message: Message) -> None:
    """Never leave a message unanswered: explain what the bot understands."""
    await message.answer(texts.UNSUPPORTED)


def build_router() -> Router:
    """The unsupported handlers, registered in order on a fresh router."""
    router = Router(name="unsupported")
    router.message.register(explain)
    return router
