"""Contacts a citizen shared in this chat, kept in the dispatcher's per-chat storage."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext

from bot.core.contacts import Contacts, own_phone

PHONE_KEY = "phone"
NAME_KEY = "name"


async def remember_contacts(state: FSMContext, contacts: Contacts) -> None:
    """Keep the phone (and name) for the next question handed to people."""
    await state.update_data({PHONE_KEY: contacts.phone, NAME_KEY: contacts.name})


async def remembered_contacts(state: FSMContext) -> Contacts | None:
    """What the citizen shared earlier, or None."""
    data = await state.get_data()
    phone, name = data.get(PHONE_KEY), data.get(NAME_KEY)
    if not isinstance(phone, str):
        return None
    return Contacts(phone=phone, name=name if isinstance(name, str) else None)


async def contacts_for(state: FSMContext, text: str) -> tuple[Contacts | None, str | None]:
    """The contacts to give with the message `text`: what the citizen shared earlier, with
    their own phone number typed in the message in place of the shared one (see `own_phone`);
    and that typed number."""
    contacts = await remembered_contacts(state)
    phone = own_phone(text, contacts.phone if contacts else None)
    if phone is None:
        return contacts, None
    return Contacts(phone=phone, name=contacts.name if contacts else None), phone
