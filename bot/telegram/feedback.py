"""👍/👎 under answers, stored as ratings of the rated message."""

from __future__ import annotations

import contextlib

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery

from bot.core.ratings import Ratings
from bot.telegram import texts
from bot.telegram.chats import callback_chat_id, editable
from bot.telegram.identity import chat_identity
from bot.telegram.keyboards import RateCallback


async def rate(query: CallbackQuery, callback_data: RateCallback, ratings: Ratings) -> None:
    """Store the rating, thank the citizen, and take the buttons away."""
    identity = chat_identity(callback_chat_id(query))
    await ratings.rate_thumb(identity, callback_data.message_id, callback_data.helpful)
    await query.answer(texts.THANKS_FOR_RATING)
    message = editable(query)
    if message is not None:
        # The buttons may already be gone (a double tap): nothing to take away then.
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_reply_markup(reply_markup=None)


def build_router() -> Router:
    """The feedback handlers, registered in order on a fresh router."""
    router = Router(name="feedback")
    router.callback_query.register(rate, RateCallback.filter())
    return router
