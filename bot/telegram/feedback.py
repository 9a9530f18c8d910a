"""👍/👎 under answers, stored as ratings of the rated message; after 👎, an optional comment.
1-5 under the message that closes a ticket, stored as the ticket's mark.

The comment is asked for with Telegram's "reply" prompt: only a reply to that prompt is taken
as the comment, so a citizen who simply asks the next question is not misread.
"""

from __future__ import annotations

import contextlib
import html

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ForceReply, Message

from bot.core.citizen_tickets import CitizenTickets
from bot.core.ratings import Ratings
from bot.telegram import texts
from bot.telegram.chats import NOT_MODIFIED, callback_chat_id, editable
from bot.telegram.identity import chat_identity
from bot.telegram.keyboards import RateCallback, TicketMarkCallback, ticket_mark_keyboard

# Kept in the chat's dialogue memory: which prompt asks about which rated message.
PROMPT_KEY = "comment_prompt"
RATED_KEY = "comment_for"
# The citizen's message that holds the comment and the rated message it comments on: an edit of
# that message corrects the comment (it was read as a new question until 2026-12-05).
COMMENT_MESSAGE_KEY = "comment_message"
COMMENTED_KEY = "comment_rated"


async def rate(
    query: CallbackQuery, callback_data: RateCallback, ratings: Ratings, state: FSMContext
) -> None:
    """Store the rating, thank the citizen, take the buttons away; after 👎 ask what was wrong."""
    chat_id = callback_chat_id(query)
    await ratings.rate_thumb(
        chat_identity(chat_id), callback_data.message_id, callback_data.helpful
    )
    await query.answer(texts.THANKS_FOR_RATING)
    message = editable(query)
    if message is not None:
        try:
            await message.edit_reply_markup(reply_markup=None)
        except TelegramBadRequest as error:
            if NOT_MODIFIED in str(error):
                return  # the buttons were gone already: a double tap, the first one asked
            # Too old to edit, or deleted: the rating counts and the comment is asked.
    if callback_data.helpful or query.bot is None:
        return
    prompt = await query.bot.send_message(
        chat_id,
        texts.ASK_COMMENT,
        reply_markup=ForceReply(input_field_placeholder=texts.COMMENT_PLACEHOLDER),
    )
    await state.update_data({PROMPT_KEY: prompt.message_id, RATED_KEY: callback_data.message_id})


async def rate_ticket(
    query: CallbackQuery, callback_data: TicketMarkCallback, citizens: CitizenTickets
) -> None:
    """Store the mark (the latest counts), tick it under the closing message, thank."""
    chat_id = callback_chat_id(query)
    number, stars = callback_data.number, callback_data.stars
    thanks = await citizens.rate(chat_identity(chat_id), number, stars)
    await query.answer()
    message = editable(query)
    if message is not None:
        # Pressed twice: the keyboard is already the same, which Telegram refuses to "edit".
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_reply_markup(reply_markup=ticket_mark_keyboard(number, chosen=stars))
    if query.bot is not None:
        await query.bot.send_message(chat_id, html.escape(thanks, quote=False))


async def comment_for(message: Message, state: FSMContext) -> dict[str, int] | bool:
    """A filter: the rated message this text comments on, when it replies to our prompt."""
    reply = message.reply_to_message
    if reply is None or not message.text:
        return False
    data = await state.get_data()
    if data.get(PROMPT_KEY) != reply.message_id or not isinstance(data.get(RATED_KEY), int):
        return False
    return {"rated": data[RATED_KEY]}


async def comment(message: Message, rated: int, ratings: Ratings, state: FSMContext) -> None:
    """Attach the citizen's words to their 👎 (masked by the core) and thank them."""
    await ratings.rate_thumb(chat_identity(message.chat.id), rated, False, comment=message.text)
    await state.update_data(
        {
            PROMPT_KEY: None,
            RATED_KEY: None,
            COMMENT_MESSAGE_KEY: message.message_id,
            COMMENTED_KEY: rated,
        }
    )
    await message.answer(texts.THANKS_FOR_COMMENT)


async def corrected_comment(message: Message, state: FSMContext) -> dict[str, int] | bool:
    """A filter: the rated message whose comment this edited message is."""
    if not message.text:
        return False
    data = await state.get_data()
    rated = data.get(COMMENTED_KEY)
    if data.get(COMMENT_MESSAGE_KEY) != message.message_id or not isinstance(rated, int):
        return False
    return {"rated": rated}


async def correct_comment(message: Message, rated: int, ratings: Ratings) -> None:
    """The comment corrected after sending: the 👎 keeps the new words (masked by the core)."""
    await ratings.rate_thumb(chat_identity(message.chat.id), rated, False, comment=message.text)
    await message.answer(texts.COMMENT_CORRECTED)


def build_router() -> Router:
    """The feedback handlers, registered in order on a fresh router."""
    router = Router(name="feedback")
    router.callback_query.register(rate, RateCallback.filter())
    router.callback_query.register(rate_ticket, TicketMarkCallback.filter())
    router.message.register(comment, F.text, comment_for)
    router.edited_message.register(correct_comment, F.text, corrected_comment)
    return router
