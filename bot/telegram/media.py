"""Shared phone numbers, and photos and documents attached to the citizen's ticket."""

from __future__ import annotations

import contextlib
import html
from dataclasses import dataclass
from io import BytesIO

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReplyKeyboardRemove

from bot.core import wording
from bot.core.answerer import Answerer
from bot.core.attachments import Upload
from bot.core.citizen_tickets import CitizenTickets
from bot.core.contacts import Contacts, make_contacts
from bot.core.conversation import ConversationService
from bot.core.errors import ContactError
from bot.core.identity import Identity
from bot.core.settings import MEGABYTE
from bot.telegram import texts
from bot.telegram.identity import chat_identity
from bot.telegram.questions import guarded
from bot.telegram.remembered import remember_contacts, remembered_contacts
from bot.telegram.render import RenderOptions
from bot.telegram.replying import send_reply
from bot.telegram.settings import TelegramSettings


@dataclass(frozen=True, slots=True)
class _File:
    file_id: str
    name: str
    size: int | None


async def share_contact(
    message: Message,
    *,
    bot: Bot,
    state: FSMContext,
    conversations: ConversationService,
    render_options: RenderOptions,
    answerer: Answerer,
) -> None:
    """Keep the citizen's own phone number for people; never required."""
    contact = message.contact
    assert contact is not None
    if message.from_user is None or contact.user_id != message.from_user.id:
        await message.answer(texts.NOT_YOUR_CONTACT)
        return
    phone = make_contacts(phone=contact.phone_number).phone
    assert phone is not None  # make_contacts raises ContactError on a bad number
    name: str | None = None
    with contextlib.suppress(ContactError):  # a nickname is not a name: keep the phone alone
        name = make_contacts(
            name=" ".join(filter(None, (contact.first_name, contact.last_name)))
        ).name
    contacts = Contacts(phone=phone, name=name)
    await remember_contacts(state, contacts)
    identity = chat_identity(message.chat.id)
    if not (await conversations.state(identity)).bot_answers:
        # People already own the conversation: the number goes to their ticket's contacts
        # (the message itself is stored masked, as every message is).
        reply = await conversations.handle(
            identity, texts.PHONE_FOR_TICKET.format(phone=phone), contacts=contacts
        )
        await message.answer(
            texts.PHONE_SAVED.format(phone=phone), reply_markup=ReplyKeyboardRemove()
        )
        await send_reply(bot, message.chat.id, reply, render_options, answerer.kb)
        return
    await message.answer(texts.PHONE_SAVED.format(phone=phone), reply_markup=ReplyKeyboardRemove())


async def attach_file(
    message: Message,
    *,
    bot: Bot,
    state: FSMContext,
    conversations: ConversationService,
    citizens: CitizenTickets,
    settings: TelegramSettings,
    render_options: RenderOptions,
    answerer: Answerer,
) -> None:
    """Download the file through the Bot API and attach it to the citizen's open ticket.

    Without an open ticket, one is opened first, with the caption as the question.
    """
    found = _file_of(message)
    limit = settings.max_download_bytes
    if found.size is not None and found.size > limit:
        await message.answer(
            html.escape(
                texts.FILE_TOO_BIG.format(name=found.name, megabytes=limit // MEGABYTE),
                quote=False,
            )
        )
        return
    identity = chat_identity(message.chat.id)
    number = await _open_ticket(citizens, identity)
    if number is None:
        caption, warn = guarded(message.caption or texts.FILE_TICKET_QUESTION)
        if warn:
            await message.answer(texts.SECRET_WARNING)
        contacts = await remembered_contacts(state)
        reply = await conversations.request_person(identity, caption, contacts=contacts)
        await send_reply(bot, message.chat.id, reply, render_options, answerer.kb)
        number = reply.ticket_number
        if number is None:
            return
    buffer = BytesIO()
    await bot.download(found.file_id, destination=buffer)
    attachment = await citizens.attach(
        identity, number, Upload(filename=found.name, data=buffer.getvalue())
    )
    await message.answer(
        html.escape(
            wording.FILE_ATTACHED.format(name=attachment.filename, number=number), quote=False
        )
    )


def _file_of(message: Message) -> _File:
    if message.photo:
        photo = message.photo[-1]  # the biggest size Telegram made
        return _File(photo.file_id, f"photo-{photo.file_unique_id}.jpg", photo.file_size)
    document = message.document
    assert document is not None
    name = document.file_name or f"document-{document.file_unique_id}"
    return _File(document.file_id, name, document.file_size)


async def _open_ticket(citizens: CitizenTickets, identity: Identity) -> int | None:
    """The number of the citizen's newest ticket not closed yet, or None."""
    for ticket in await citizens.list(identity):  # newest first
        if not ticket.status.is_final:
            return ticket.number
    return None


def build_router() -> Router:
    """The media handlers, registered in order on a fresh router."""
    router = Router(name="media")
    router.message.register(share_contact, F.contact)
    router.message.register(attach_file, F.photo | F.document)
    return router
