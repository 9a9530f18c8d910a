"""/help, /operator, /status and /cancel."""

from __future__ import annotations

import html

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReplyKeyboardRemove

from bot.core.answerer import Answerer
from bot.core.citizen_tickets import CitizenTickets
from bot.core.conversation import ConversationService
from bot.telegram import texts
from bot.telegram.identity import chat_identity
from bot.telegram.questions import guarded, tell_phone_added
from bot.telegram.remembered import contacts_for
from bot.telegram.render import RenderOptions, render_text
from bot.telegram.replying import send_reply

MAX_LISTED_TICKETS = 20


async def show_help(message: Message) -> None:
    """What the bot can do."""
    for part in render_text(texts.HELP):
        await message.answer(part)


async def call_operator(
    message: Message,
    *,
    command: CommandObject,
    bot: Bot,
    state: FSMContext,
    conversations: ConversationService,
    render_options: RenderOptions,
    answerer: Answerer,
) -> None:
    """Hand the question (the text after the command, if any) to people."""
    text, warn = guarded(command.args or "")
    if warn:
        await message.answer(texts.SECRET_WARNING)
    contacts, phone = await contacts_for(state, command.args or "")
    reply = await conversations.request_person(
        chat_identity(message.chat.id), text.strip() or None, contacts=contacts
    )
    await send_reply(bot, message.chat.id, reply, render_options, answerer.kb)
    await tell_phone_added(message, state, reply, contacts, phone)


async def show_status(message: Message, command: CommandObject, citizens: CitizenTickets) -> None:
    """The status of one of the citizen's own tickets, or a list of them all."""
    identity = chat_identity(message.chat.id)
    argument = (command.args or "").strip().lstrip("№#").strip()
    if not argument:
        tickets = list(await citizens.list(identity))[:MAX_LISTED_TICKETS]
        if not tickets:
            await message.answer(texts.NO_TICKETS)
            return
        lines = [texts.YOUR_TICKETS]
        lines += [f"- № {t.number}: {t.status_label}" for t in tickets]
        for part in render_text("\n".join(lines)):
            await message.answer(part)
        return
    if not argument.isdigit():
        await message.answer(texts.STATUS_USAGE)
        return
    # TicketNotFoundError (not found or someone else's) is answered by the error handler.
    description = await citizens.describe(identity, int(argument))
    await message.answer(html.escape(description, quote=False))


async def cancel(message: Message, state: FSMContext) -> None:
    """Forget what the chat was in the middle of and hide the reply keyboard."""
    await state.set_state(None)
    await message.answer(texts.CANCELLED, reply_markup=ReplyKeyboardRemove())


def build_router() -> Router:
    """The commands handlers, registered in order on a fresh router."""
    router = Router(name="commands")
    router.message.register(show_help, Command("help", ignore_case=True))
    router.message.register(call_operator, Command("operator", ignore_case=True))
    router.message.register(show_status, Command("status", ignore_case=True))
    router.message.register(cancel, Command("cancel", ignore_case=True))
    return router
