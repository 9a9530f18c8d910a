"""Steps shared by the citizens' and the operators' services, run inside one transaction."""

from __future__ import annotations

from datetime import datetime

from bot.core import wording
from bot.core.contacts import Contacts
from bot.core.conversation_state import ConversationState, check_conversation_change
from bot.core.errors import RecipientRefusedError
from bot.core.outbox import new_idempotency_key
from bot.core.records import MAX_STARS, Conversation, OutgoingKind, RatingScale
from bot.core.ticket_status import TicketStatus, check_status_change
from bot.core.tickets import (
    CONTACTS_GIVEN,
    DELIVERY_REFUSED,
    RETURNED_TO_QUEUE,
    Author,
    HandoffReason,
    SupportLine,
    Ticket,
)
from bot.storage.unit_of_work import UnitOfWork


async def move_conversation(
    uow: UnitOfWork,
    conversation: Conversation,
    new: ConversationState,
    now: datetime,
    *,
    ticket_id: int | None,
) -> None:
    """Change a conversation's state, refusing changes the state machine does not allow."""
    if conversation.state == new and conversation.ticket_id == ticket_id:
        return
    if conversation.state != new:
        check_conversation_change(conversation.state, new)
    await uow.conversations.set_state(conversation.id, new, now, ticket_id=ticket_id)


async def follow_ticket(
    uow: UnitOfWork, ticket: Ticket, new: ConversationState, now: datetime
) -> None:
    """Move the ticket's conversation along, if that conversation is still about this ticket."""
    if ticket.conversation_id is None:
        return
    conversation = await uow.conversations.get(ticket.conversation_id, lock=True)
    if conversation is None or conversation.ticket_id != ticket.id:
        return
    await move_conversation(uow, conversation, new, now, ticket_id=ticket.id)


async def change_status(
    uow: UnitOfWork,
    ticket: Ticket,
    *,
    status: TicketStatus,
    action: str,
    event: str,
    author: Author,
    now: datetime,
    assignee_id: int | None,
    operator_id: int | None = None,
    line: SupportLine | None = None,
    closed_at: datetime | None = None,
    note: str | None = None,
    due_at: datetime | None = None,
) -> Ticket:
    """Move a ticket to `status` if the change is allowed, and record who did it and when.

    `action` names the step in the refusal message ("отклонить"); `event` is the history entry;
    `due_at`: a new promised answer time (a reopened ticket), else it stays.
    """
    check_status_change(ticket.number, ticket.status, status, action)
    changed = await uow.tickets.save(
        ticket.id,
        now,
        status=status,
        assignee_id=assignee_id,
        line=line or ticket.line,
        closed_at=closed_at,
        due_at=due_at,
    )
    await uow.tickets.add_event(
        ticket.id,
        event,
        author,
        now,
        operator_id=operator_id,
        from_status=ticket.status,
        to_status=status,
        note=note,
    )
    return changed


async def add_contacts(uow: UnitOfWork, ticket: Ticket, given: Contacts, now: datetime) -> Contacts:
    """Merge `given` into the ticket's contacts (a field given replaces the one there, a field
    left out stays), recorded in its history by kind, not value; the contacts it has now."""
    old = ticket.contacts
    merged = Contacts(
        name=given.name or old.name,
        phone=given.phone or old.phone,
        email=given.email or old.email,
    )
    if merged == old:
        return old  # nothing new (e.g. remembered contacts sent again)
    await uow.tickets.set_contacts(ticket.id, merged, now)
    # The history says what was given, not the values (the ticket shows those).
    fields = (("имя", given.name), ("телефон", given.phone), ("e-mail", given.email))
    note = ", ".join(label for label, value in fields if value)
    await uow.tickets.add_event(ticket.id, CONTACTS_GIVEN, Author.CITIZEN, now, note=note)
    return merged


async def information_given(uow: UnitOfWork, ticket: Ticket, now: datetime) -> None:
    """The citizen added to a ticket that waited for their information (a message, a file,
    contacts): it goes back to the line that works it, recorded in its history."""
    current = await uow.tickets.get(ticket.number, lock=True)
    if current is None or current.status is not TicketStatus.NEEDS_INFO:
        return
    if current.line is SupportLine.SECOND:
        back = TicketStatus.ESCALATED
    elif current.assignee_id is None:
        back = TicketStatus.NEW  # nobody has it (returned to the queue): the queue takes it
    else:
        back = TicketStatus.IN_PROGRESS
    changed = await change_status(
        uow,
        current,
        status=back,
        action="дополнить обращение",
        event="information_given",
        author=Author.CITIZEN,
        now=now,
        assignee_id=current.assignee_id,
    )
    if changed.assignee_id is None:  # in the queue: the conversation waits for a person
        await follow_ticket(uow, changed, ConversationState.WAITING, now)


async def return_to_queue(
    uow: UnitOfWork,
    ticket: Ticket,
    now: datetime,
    *,
    note: str,
    operator_id: int | None,
) -> Ticket:
    """Take an open ticket from the one who has it, for others to take: "В работе" goes back
    to "Принято", an escalated one stays with the specialists, "Нужны сведения" waits on (the
    citizen's answer brings it to the queue, `information_given`). The due time stays; the
    citizen is told nothing (the status they read says it). `operator_id`: who did it (None:
    the server's administrator, from the command line)."""
    status = TicketStatus.NEW if ticket.status is TicketStatus.IN_PROGRESS else ticket.status
    if status is not ticket.status:
        check_status_change(ticket.number, ticket.status, status, "вернуть в очередь")
    returned = await uow.tickets.save(
        ticket.id, now, status=status, assignee_id=None, line=ticket.line, closed_at=None
    )
    await uow.tickets.add_event(
        ticket.id,
        RETURNED_TO_QUEUE,
        Author.OPERATOR if operator_id is not None else Author.SYSTEM,
        now,
        operator_id=operator_id,
        from_status=ticket.status,
        to_status=status,
        note=note,
    )
    if status in {TicketStatus.NEW, TicketStatus.ESCALATED}:
        await follow_ticket(uow, returned, ConversationState.WAITING, now)
    return returned


async def send_to_citizen(
    uow: UnitOfWork,
    ticket: Ticket,
    text: str,
    now: datetime,
    *,
    kind: OutgoingKind = OutgoingKind.REPLY,
) -> None:
    """Queue a message to the ticket's citizen on their channel, in the caller's transaction
    (by default an operator's words)."""
    queued = await uow.outbox.add(
        idempotency_key=new_idempotency_key(),
        channel=ticket.reply_to.channel,
        recipient=ticket.reply_to.external_id,
        text=text,
        now=now,
        ticket_number=ticket.number,
        kind=kind,
    )
    await _held_behind_refusal(uow, ticket, now, queued.id)


async def _held_behind_refusal(
    uow: UnitOfWork, ticket: Ticket, now: datetime, queued_id: int
) -> None:
    """A message queued while the citizen's channel refuses them (they blocked the bot) waits
    behind the refused one: the ticket's history says so once per blocking, with the first such
    message (until 2026-12-05 staff were told of the refusal, then of nothing: the later
    replies looked delivered). A blocking ends when a message reaches the citizen.

    Whether this blocking was told is known from the message the line was said with: still
    undelivered, the line is this blocking's (messages reach the citizen in order, so one
    delivered ended the blocking it was held in). It used to be known by comparing the
    line's time with the blocking's, written by different servers' clocks: a line dated by a
    clock ahead passed for the next blocking's, which was then never told. The line is dated
    no earlier than the blocking began, for the history's order."""
    since = await uow.outbox.refused_since(
        ticket.reply_to.channel,
        ticket.reply_to.external_id,
        error_prefix=RecipientRefusedError.__name__,
    )
    if since is None or await uow.tickets.said_with_undelivered(ticket.id, DELIVERY_REFUSED):
        return
    await uow.tickets.add_event(
        ticket.id,
        DELIVERY_REFUSED,
        Author.SYSTEM,
        max(now, since),
        note=wording.HELD_BEHIND_REFUSAL,
        outbox_id=queued_id,
    )


async def notify_citizen(
    uow: UnitOfWork, ticket: Ticket, text: str, now: datetime, *, asks_rating: bool = False
) -> None:
    """News of the ticket (taken, escalated, closed…) for its citizen: queued to their
    channel and kept in their conversation as the service's message, so that a widget opened
    again shows it in its place (an operator's words are kept there by the desk)."""
    kind = OutgoingKind.RATING_REQUEST if asks_rating else OutgoingKind.NOTICE
    await send_to_citizen(uow, ticket, text, now, kind=kind)
    if ticket.conversation_id is not None:
        await uow.conversations.add_message(ticket.conversation_id, Author.SYSTEM, text, now)


async def open_ticket(
    uow: UnitOfWork,
    *,
    number: int,
    conversation: Conversation,
    question: str,
    reason: HandoffReason,
    contacts: Contacts,
    now: datetime,
    due_at: datetime,
    transcript_limit: int,
) -> Ticket:
    """Create a ticket from a conversation: the question, the transcript so far, the history."""
    identity_id, citizen_id = await uow.conversations.ensure_identity(conversation.identity, now)
    ticket = await uow.tickets.create(
        number=number,
        citizen_id=citizen_id,
        identity_id=identity_id,
        conversation_id=conversation.id,
        question=question,
        reason=reason,
        contacts=contacts,
        now=now,
        due_at=due_at,
    )
    for message in await uow.conversations.recent_messages(conversation.id, transcript_limit):
        await uow.tickets.add_message(ticket.id, message.author, message.text, message.created_at)
    await uow.tickets.add_event(
        ticket.id, "opened", Author.CITIZEN, now, to_status=TicketStatus.NEW, note=reason.value
    )
    await move_conversation(uow, conversation, ConversationState.WAITING, now, ticket_id=ticket.id)
    return ticket


async def rate_ticket(
    uow: UnitOfWork,
    ticket: Ticket,
    conversation_id: int,
    now: datetime,
    *,
    stars: int,
    said: str,
) -> str:
    """The citizen's 1-5 mark for a closed ticket, recorded against the conversation they
    gave it in (given again: the latest counts) and in the ticket's history; `said` (the
    typed mark, or what the pressed button stands for) and the thanks are written into that
    conversation, so its history shows them. Returns the thanks."""
    await uow.ratings.put(
        conversation_id=conversation_id,
        scale=RatingScale.STARS,
        score=stars,
        now=now,
        message_id=None,
        entry_id=None,
        ticket_id=ticket.id,
        comment=None,
    )
    await uow.tickets.add_event(
        ticket.id, "rated", Author.CITIZEN, now, note=f"{stars} из {MAX_STARS}"
    )
    thanks = wording.TICKET_RATED.format(stars=stars, number=ticket.number)
    await uow.conversations.add_exchange(conversation_id, said, thanks, now)
    return thanks
