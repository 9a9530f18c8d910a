"""Free-text questions: the answer, candidates to choose from, or a hand-off to people.

A message that seems to hold a one-time code, a password or a card number gets a warning,
and only its masked form reaches the core (and so the database).
"""

from __future__ import annotations

import html

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.core.answerer import Answerer
from bot.core.contacts import Contacts
from bot.core.conversation import ConversationService
from bot.core.privacy import find_secrets, mask_personal_data
from bot.core.replies import Reply
from bot.core.staff_time import staff_time
from bot.telegram import texts
from bot.telegram.identity import chat_identity
from bot.telegram.mark_buttons import tick_typed_mark
from bot.telegram.remembered import contacts_for, remember_contacts, remembered_contacts
from bot.telegram.render import RenderOptions
from bot.telegram.replying import send_reply
from bot.telegram.settings import TelegramSettings


def guarded(text: str) -> tuple[str, bool]:
    """The text to store and whether the citizen must be warned about a secret in it."""
    if find_secrets(text):
        return mask_personal_data(text), True
    return text, False


async def tell_phone_added(
    message: Message,
    state: FSMContext,
    reply: Reply,
    contacts: Contacts | None,
    phone: str | None,
) -> None:
    """A phone typed in the message went to the ticket's contacts with it: kept for the next
    ticket, as a shared one is, and the citizen told (the message itself is stored masked)."""
    if phone is None or contacts is None or reply.ticket_number is None:
        return
    await remember_contacts(state, contacts)
    await message.answer(texts.TYPED_PHONE_ADDED.format(phone=phone, number=reply.ticket_number))


async def ask_person(
    message: Message,
    *,
    bot: Bot,
    state: FSMContext,
    conversations: ConversationService,
    render_options: RenderOptions,
    answerer: Answerer,
) -> None:
    """The "call a person" button of the reply keyboard."""
    identity = chat_identity(message.chat.id)
    contacts = await remembered_contacts(state)
    reply = await conversations.request_person(identity, contacts=contacts)
    await send_reply(bot, message.chat.id, reply, render_options, answerer.kb)


async def ask(
    message: Message,
    *,
    bot: Bot,
    state: FSMContext,
    conversations: ConversationService,
    settings: TelegramSettings,
    render_options: RenderOptions,
    answerer: Answerer,
) -> None:
    """Answer a question typed in the chat."""
    assert message.text is not None  # the filter guarantees it
    text, warn = guarded(message.text)
    if warn:
        await message.answer(texts.SECRET_WARNING)
    identity = chat_identity(message.chat.id)
    if message.edit_date is not None and not (await conversations.state(identity)).bot_answers:
        # A correction of a message people have read perhaps: they must see it is one.
        sent = staff_time(message.date, settings.core.working_hours.timezone)
        text = texts.CORRECTED.format(sent=sent, text=text)
    contacts, phone = await contacts_for(state, message.text)
    reply = await conversations.handle(identity, text, contacts=contacts)
    await send_reply(bot, message.chat.id, reply, render_options, answerer.kb)
    await tell_phone_added(message, state, reply, contacts, phone)
    if reply.mark is not None:
        await tick_typed_mark(bot, state, message.chat.id, reply.mark)


def is_command(message: Message) -> bool:
    """A filter: the message starts with a command, as Telegram marks one ("/stauts 5")."""
    return any(e.type == "bot_command" and e.offset == 0 for e in message.entities or ())


async def unknown_command(message: Message) -> None:
    """A command the bot does not have (the known ones are taken by earlier routers): say
    which there are, rather than read it as a question (it used to become a ticket)."""
    assert message.text is not None
    command = message.text.split(maxsplit=1)[0]
    await message.answer(html.escape(texts.UNKNOWN_COMMAND.format(command=command), quote=False))


def build_router() -> Router:
    """The questions handlers, registered in order on a fresh router."""
    router = Router(name="questions")
    router.message.register(ask_person, F.text == texts.ASK_PERSON_BUTTON)
    router.message.register(unknown_command, F.text, is_command)
    router.message.register(ask, F.text)
    # A question corrected after sending ("пороль" → "пароль") is answered as corrected; to
    # the ticket people have, the corrected text goes as the citizen's next message.
    router.edited_message.register(ask, F.text, ~F.text.startswith("/"))
    return router
