"""Tickets, their threads, history and attachments in the database."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Select, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.attachments import Attachment, CheckedUpload
from bot.core.contacts import Contacts
from bot.core.ticket_status import FINAL_STATUSES, QUEUED_STATUSES, TicketStatus
from bot.core.tickets import (
    Author,
    HandoffReason,
    SupportLine,
    Ticket,
    TicketEvent,
    TicketMessage,
    Via,
)
from bot.storage.converters import to_attachment, to_ticket, to_ticket_event, to_ticket_message
from bot.storage.tables import (
    AttachmentRow,
    IdentityRow,
    OutboxRow,
    TicketEventRow,
    TicketMessageRow,
    TicketRow,
    table_of,
)


def _with_identity() -> Select[TicketRow, IdentityRow]:
    return select(TicketRow, IdentityRow).join(IdentityRow, IdentityRow.id == TicketRow.identity_id)


_INSERT_EVENT = insert(table_of(TicketEventRow))
_MESSAGES = table_of(TicketMessageRow)
_INSERT_MESSAGE = insert(_MESSAGES).returning(_MESSAGES.c.id)


class TicketRepository:
    """Reads and writes tickets; status rules are the core's business, not this class's."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(
        self,
        *,
        number: int,
        citizen_id: int,
        identity_id: int,
        conversation_id: int | None,
        question: str,
        reason: HandoffReason,
        contacts: Contacts,
        now: datetime,
        due_at: datetime,
    ) -> Ticket:
        """Insert a new ticket with status "Принято" on the first line."""
        row = TicketRow(
            number=number,
            citizen_id=citizen_id,
            identity_id=identity_id,
            conversation_id=conversation_id,
            channel="",
            question=question,
            status=TicketStatus.NEW.value,
            line=SupportLine.FIRST.value,
            reason=reason.value,
            contact_name=contacts.name,
            contact_phone=contacts.phone,
            contact_email=contacts.email,
            assignee_id=None,
            created_at=now,
            updated_at=now,
            due_at=due_at,
            closed_at=None,
        )
        identity = await self._session.get_one(IdentityRow, identity_id)
        row.channel = identity.channel
        self._session.add(row)
        await self._session.flush()
        return to_ticket(row, identity)

    async def get(self, number: int, *, lock: bool = False) -> Ticket | None:
        """The ticket with this number; `lock` holds it until the transaction ends."""
        query = _with_identity().where(TicketRow.number == number)
        if lock:
            query = query.with_for_update(of=TicketRow)
        found = (await self._session.execute(query)).first()
        return to_ticket(found[0], found[1]) if found else None

    async def get_by_id(self, ticket_id: int) -> Ticket | None:
        """The ticket with this internal id."""
        found = (
            await self._session.execute(_with_identity().where(TicketRow.id == ticket_id))
        ).first()
        return to_ticket(found[0], found[1]) if found else None

    async def next_in_queue(self, lines: Collection[SupportLine]) -> Ticket | None:
        """The unassigned queued ticket due first on these lines, locked for this transaction.

        On PostgreSQL `SKIP LOCKED` lets concurrent callers pass over each other's pick; on
        SQLite the whole transaction is the only writer (BEGIN IMMEDIATE), which does the same.
        """
        query = (
            _with_identity()
            .where(
                TicketRow.status.in_([s.value for s in QUEUED_STATUSES]),
                TicketRow.assignee_id.is_(None),
                TicketRow.line.in_([line.value for line in lines]),
            )
            .order_by(TicketRow.due_at, TicketRow.id)
            .limit(1)
            .with_for_update(of=TicketRow, skip_locked=True)
        )
        found = (await self._session.execute(query)).first()
        return to_ticket(found[0], found[1]) if found else None

    async def save(
        self,
        ticket_id: int,
        now: datetime,
        *,
        status: TicketStatus,
        assignee_id: int | None,
        line: SupportLine,
        closed_at: datetime | None,
        due_at: datetime | None = None,
    ) -> Ticket:
        """Store a ticket's new status, assignee and line (and `due_at`, a new promised answer
        time, when given); returns the updated ticket."""
        row = await self._session.get_one(TicketRow, ticket_id)
        row.status = status.value
        row.assignee_id = assignee_id
        row.line = line.value
        row.closed_at = closed_at
        if due_at is not None:
            row.due_at = due_at
        row.updated_at = now
        await self._session.flush()
        identity = await self._session.get_one(IdentityRow, row.identity_id)
        return to_ticket(row, identity)

    async def set_contacts(self, ticket_id: int, contacts: Contacts, now: datetime) -> None:
        """Store the ticket's contacts (all three fields, as given)."""
        row = await self._session.get_one(TicketRow, ticket_id)
        row.contact_name = contacts.name
        row.contact_phone = contacts.phone
        row.contact_email = contacts.email
        row.updated_at = now
        await self._session.flush()

    async def add_message(
        self,
        ticket_id: int,
        author: Author,
        text: str,
        now: datetime,
        *,
        operator_id: int | None = None,
        via: Via | None = None,
    ) -> TicketMessage:
        """Append a message to the ticket's thread; `via`: where an operator wrote it."""
        message_id = await self._session.scalar(
            _INSERT_MESSAGE,
            {
                "ticket_id": ticket_id,
                "author": author.value,
                "operator_id": operator_id,
                "text": text,
                "created_at": now,
                "via": via.value if via is not None else None,
            },
        )
        return TicketMessage(
            id=int(message_id),
            author=author,
            text=text,
            created_at=now,
            operator_id=operator_id,
            via=via,
        )

    async def add_event(
        self,
        ticket_id: int,
        action: str,
        author: Author,
        now: datetime,
        *,
        operator_id: int | None = None,
        from_status: TicketStatus | None = None,
        to_status: TicketStatus | None = None,
        note: str | None = None,
        outbox_id: int | None = None,
    ) -> None:
        """Record one change in the ticket's history; `outbox_id`: the queued message it
        was said with, if it was (the «тоже не доставлены» line)."""
        await self._session.execute(
            _INSERT_EVENT,
            {
                "ticket_id": ticket_id,
                "action": action,
                "author": author.value,
                "operator_id": operator_id,
                "from_status": from_status.value if from_status else None,
                "to_status": to_status.value if to_status else None,
                "note": note,
                "created_at": now,
                "outbox_id": outbox_id,
            },
        )

    async def said_with_undelivered(self, ticket_id: int, action: str) -> bool:
        """True when a history entry `action` of the ticket was said with a queued message
        that has not reached the citizen yet."""
        found = await self._session.scalar(
            select(TicketEventRow.id)
            .join(OutboxRow, OutboxRow.id == TicketEventRow.outbox_id)
            .where(
                TicketEventRow.ticket_id == ticket_id,
                TicketEventRow.action == action,
                OutboxRow.delivered_at.is_(None),
            )
            .limit(1)
        )
        return found is not None

    async def messages(self, ticket_id: int) -> Sequence[TicketMessage]:
        """The ticket's thread, oldest first."""
        rows = await self._session.scalars(
            select(TicketMessageRow)
            .where(TicketMessageRow.ticket_id == ticket_id)
            .order_by(TicketMessageRow.id)
        )
        return [to_ticket_message(r) for r in rows]

    async def events(self, ticket_id: int) -> Sequence[TicketEvent]:
        """The ticket's history, oldest first."""
        rows = await self._session.scalars(
            select(TicketEventRow)
            .where(TicketEventRow.ticket_id == ticket_id)
            .order_by(TicketEventRow.id)
        )
        return [to_ticket_event(r) for r in rows]

    async def for_citizen(self, citizen_id: int) -> Sequence[Ticket]:
        """All tickets of a citizen, newest first."""
        rows = await self._session.execute(
            _with_identity().where(TicketRow.citizen_id == citizen_id).order_by(TicketRow.id.desc())
        )
        return [to_ticket(t, i) for t, i in rows]

    async def overdue(self, now: datetime, limit: int) -> Sequence[Ticket]:
        """Open tickets whose promised answer time has passed, most overdue first."""
        rows = await self._session.execute(
            _with_identity()
            .where(
                TicketRow.status.not_in([s.value for s in FINAL_STATUSES]),
                TicketRow.due_at < now,
            )
            .order_by(TicketRow.due_at, TicketRow.id)
            .limit(limit)
        )
        return [to_ticket(t, i) for t, i in rows]

    async def queue(self, limit: int) -> Sequence[Ticket]:
        """Unassigned queued tickets, due first."""
        rows = await self._session.execute(
            _with_identity()
            .where(
                TicketRow.status.in_([s.value for s in QUEUED_STATUSES]),
                TicketRow.assignee_id.is_(None),
            )
            .order_by(TicketRow.due_at, TicketRow.id)
            .limit(limit)
        )
        return [to_ticket(t, i) for t, i in rows]

    async def assigned_to(self, operator_id: int, limit: int) -> Sequence[Ticket]:
        """The operator's tickets not closed yet, due first."""
        rows = await self._session.execute(
            _with_identity()
            .where(
                TicketRow.assignee_id == operator_id,
                TicketRow.status.not_in([s.value for s in FINAL_STATUSES]),
            )
            .order_by(TicketRow.due_at, TicketRow.id)
            .limit(limit)
        )
        return [to_ticket(t, i) for t, i in rows]

    async def resolved_among(self, numbers: Collection[int]) -> set[int]:
        """Which of the ticket `numbers` are resolved (a proposal is made from one of them)."""
        if not numbers:
            return set()
        rows = await self._session.scalars(
            select(TicketRow.number).where(
                TicketRow.number.in_(list(numbers)), TicketRow.status == TicketStatus.RESOLVED
            )
        )
        return set(rows)

    async def all_numbers(self) -> Sequence[int]:
        """Every ticket number, ascending (for checks and exports)."""
        rows = await self._session.scalars(select(TicketRow.number).order_by(TicketRow.number))
        return list(rows)

    async def add_attachment(
        self, ticket: Ticket, upload: CheckedUpload, now: datetime
    ) -> Attachment:
        """Store an accepted file with the ticket."""
        row = AttachmentRow(
            ticket_id=ticket.id,
            filename=upload.filename,
            content_type=upload.content_type,
            size=len(upload.data),
            sha256=upload.sha256,
            data=upload.data,
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return to_attachment(row, ticket.number)

    async def count_attachments(self, ticket_id: int) -> int:
        """How many files the ticket has."""
        count = await self._session.scalar(
            select(func.count())
            .select_from(AttachmentRow)
            .where(AttachmentRow.ticket_id == ticket_id)
        )
        return int(count or 0)

    async def attachments(self, ticket: Ticket) -> Sequence[Attachment]:
        """Descriptions of the ticket's files, in upload order."""
        rows = await self._session.scalars(
            select(AttachmentRow)
            .where(AttachmentRow.ticket_id == ticket.id)
            .order_by(AttachmentRow.id)
        )
        return [to_attachment(r, ticket.number) for r in rows]

    async def attachment(
        self, ticket: Ticket, attachment_id: int
    ) -> tuple[Attachment, bytes] | None:
        """One of the ticket's files, its description and its bytes; None if it has no such."""
        row = await self._session.scalar(
            select(AttachmentRow).where(
                AttachmentRow.id == attachment_id, AttachmentRow.ticket_id == ticket.id
            )
        )
        return (to_attachment(row, ticket.number), row.data) if row is not None else None
