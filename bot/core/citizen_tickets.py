"""What citizens can do with their tickets from any channel: look up, list, attach files,
leave contacts, rate the answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core import wording
from bot.core.attachments import Attachment, Upload, check_upload
from bot.core.clock import Clock, system_clock
from bot.core.contacts import Contacts
from bot.core.errors import AttachmentError, ContactError, InvalidInputError, TicketNotFoundError
from bot.core.identity import Identity
from bot.core.ratings import check_stars
from bot.core.settings import CoreSettings
from bot.core.ticket_flow import add_contacts, information_given, rate_ticket
from bot.core.tickets import ATTACHED, Author, Ticket
from bot.core.workhours import WorkCalendar
from bot.storage.database import Database
from bot.storage.unit_of_work import UnitOfWork


def status_sentence(ticket: Ticket, calendar: WorkCalendar, now: datetime) -> str:
    """The ticket's status in a sentence for the citizen: "Обращение № 12: В работе; ответим
    до …", or an apology once the promised time has passed."""
    if ticket.is_overdue(now):
        promised = wording.moment_phrase(ticket.due_at, calendar)
        return wording.overdue_status_text(ticket.number, ticket.status_label, promised)
    # The stored due time: it may count from the end of a maintenance, which is over now.
    due = None if ticket.status.is_final else calendar.describe_promise(ticket.due_at)
    return wording.ticket_status_text(ticket.number, ticket.status_label, due)


class CitizenTickets:
    """A citizen's own tickets; someone else's ticket is "not found", never shown."""

    def __init__(
        self,
        db: Database,
        *,
        calendar: WorkCalendar,
        settings: CoreSettings | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._db = db
        self._calendar = calendar
        self._settings = settings or CoreSettings()
        self._clock = clock

    async def lookup(self, identity: Identity, number: int) -> Ticket:
        """The ticket with this number if it belongs to the citizen behind `identity`."""
        async with self._db.transaction() as uow:
            return await self._own(uow, identity, number)

    async def describe(self, identity: Identity, number: int) -> str:
        """The ticket's status in a sentence for the citizen."""
        ticket = await self.lookup(identity, number)
        return status_sentence(ticket, self._calendar, self._clock())

    async def list(self, identity: Identity) -> Sequence[Ticket]:
        """All the citizen's tickets, newest first."""
        async with self._db.transaction() as uow:
            citizen_id = await uow.conversations.citizen_of(identity)
            if citizen_id is None:
                return []
            return await uow.tickets.for_citizen(citizen_id)

    async def marks(self, identity: Identity) -> dict[int, int]:
        """The marks the citizen gave their closed tickets: ticket number → 1-5 (the latest)."""
        async with self._db.transaction() as uow:
            citizen_id = await uow.conversations.citizen_of(identity)
            if citizen_id is None:
                return {}
            return await uow.ratings.ticket_marks(citizen_id)

    async def attach(self, identity: Identity, number: int, upload: Upload) -> Attachment:
        """Attach a scan or screenshot to the citizen's open ticket."""
        limits = self._settings.attachments
        checked = check_upload(upload, limits)
        now = self._clock()
        async with self._db.transaction() as uow:
            ticket = await self._own_open(uow, identity, number, "файлы", AttachmentError)
            if await uow.tickets.count_attachments(ticket.id) >= limits.max_per_ticket:
                raise AttachmentError(
                    f"К обращению № {number} уже приложено {limits.max_per_ticket} файлов — "
                    "это максимум."
                )
            attachment = await uow.tickets.add_attachment(ticket, checked, now)
            await uow.tickets.add_event(
                ticket.id, ATTACHED, Author.CITIZEN, now, note=checked.filename
            )
            await information_given(uow, ticket, now)  # the scan the operator asked for
            told = wording.FILE_ATTACHED.format(name=checked.filename, number=number)
            await _keep_in_conversation(uow, identity, now, told, said=f"📎 {checked.filename}")
            return attachment

    async def give_contacts(self, identity: Identity, number: int, given: Contacts) -> Contacts:
        """Add a phone, e-mail or name to the citizen's open ticket, so that people can reach
        them; a field given replaces the one there, a field left out stays. The contacts
        the ticket has now are returned."""
        if given.is_empty:
            raise ContactError("Укажите телефон или адрес электронной почты.")
        now = self._clock()
        async with self._db.transaction() as uow:
            ticket = await self._own_open(uow, identity, number, "контакты", InvalidInputError)
            merged = await add_contacts(uow, ticket, given, now)
            await information_given(uow, ticket, now)
            # The conversation keeps that they were given, not the values either.
            told = wording.CONTACTS_GIVEN.format(number=number)
            await _keep_in_conversation(uow, identity, now, told)
            return merged

    async def rate(self, identity: Identity, number: int, stars: int) -> str:
        """The citizen's 1-5 mark for their closed ticket (the buttons under "Обращение
        завершено"; rated again, the latest mark counts); the thanks to show them."""
        check_stars(stars)
        now = self._clock()
        async with self._db.transaction() as uow:
            ticket = await self._own(uow, identity, number)
            if not ticket.status.is_final:  # closed either way, as for a typed mark
                raise InvalidInputError(
                    f"Обращение № {number} ещё не закрыто ({ticket.status_label}): "
                    "оценить его можно, когда специалист его завершит."
                )
            conversation = await uow.conversations.open(identity, now)
            said = wording.TICKET_MARK.format(stars=stars)
            return await rate_ticket(uow, ticket, conversation.id, now, stars=stars, said=said)

    async def link(self, known: Identity, new: Identity) -> None:
        """Make `new` (e.g. a Telegram chat) another identity of the citizen behind `known`.

        Call it only after the citizen proved they control both (e.g. a code shown in one
        channel and typed into the other): linked identities see each other's tickets.
        """
        async with self._db.transaction() as uow:
            await uow.conversations.link(known, new, self._clock())

    async def _own_open(
        self,
        uow: UnitOfWork,
        identity: Identity,
        number: int,
        what: str,
        error: type[InvalidInputError],
    ) -> Ticket:
        """The citizen's ticket, refused with `error` if it is closed (`what` cannot be added)."""
        ticket = await self._own(uow, identity, number)
        if ticket.status.is_final:
            raise error(
                f"Обращение № {number} уже закрыто ({ticket.status_label}): "
                f"{what} к нему не добавить."
            )
        return ticket

    async def _own(self, uow: UnitOfWork, identity: Identity, number: int) -> Ticket:
        citizen_id = await uow.conversations.citizen_of(identity)
        ticket = await uow.tickets.get(number)
        if ticket is None or citizen_id is None or ticket.citizen_id != citizen_id:
            raise TicketNotFoundError(number)
        return ticket


async def _keep_in_conversation(
    uow: UnitOfWork, identity: Identity, now: datetime, told: str, *, said: str | None = None
) -> None:
    """Write what the citizen did (`said`, if it is to be shown) and the service's answer
    into their conversation, so that a chat opened again shows them where they happened."""
    conversation = await uow.conversations.open(identity, now)
    if said is not None:
        await uow.conversations.add_message(conversation.id, Author.CITIZEN, said, now)
    await uow.conversations.add_message(conversation.id, Author.SYSTEM, told, now)
