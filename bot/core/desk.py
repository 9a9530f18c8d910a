"""The operators' desk: take the next ticket, reply, ask, escalate, resolve, reject, reopen.

Every action checks the operator's role and the ticket's status, records who did what and
when, and queues what the citizen must be told in the same transaction (the outbox).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from itertools import count

from bot.core import wording
from bot.core.attachments import Attachment
from bot.core.clock import Clock, system_clock
from bot.core.conversation_state import ConversationState
from bot.core.errors import (
    AttachmentNotFoundError,
    IllegalTransitionError,
    InvalidInputError,
    PermissionDeniedError,
    TicketClosedError,
    TicketNotFoundError,
    UnreadMessageError,
)
from bot.core.privacy import mask_personal_data
from bot.core.records import Operator
from bot.core.roles import ROLE_LABELS, Permission, Role, has_permission, require
from bot.core.staff_time import staff_time
from bot.core.ticket_flow import (
    change_status,
    follow_ticket,
    move_conversation,
    notify_citizen,
    return_to_queue,
    send_to_citizen,
)
from bot.core.ticket_status import QUEUED_STATUSES, TicketStatus, check_status_change
from bot.core.tickets import (
    ATTACHED,
    RETURNED_TO_QUEUE,
    Author,
    SupportLine,
    Ticket,
    TicketDetails,
    TicketEvent,
    TicketMessage,
    Via,
)
from bot.core.workhours import WorkCalendar, WorkingHours
from bot.storage.database import Database
from bot.storage.unit_of_work import UnitOfWork

LINE_PERMISSIONS: dict[SupportLine, Permission] = {
    SupportLine.FIRST: Permission.WORK_FIRST_LINE,
    SupportLine.SECOND: Permission.WORK_SECOND_LINE,
}


def may_work(role: Role, line: SupportLine) -> bool:
    """True when the role may take, answer and close tickets of that support line."""
    return has_permission(role, LINE_PERMISSIONS[line])


def takes_tickets(role: Role) -> bool:
    """True when the role may take tickets of some support line (analysts, curators may not)."""
    return any(may_work(role, line) for line in SupportLine)


def waits_for_someone(ticket: Ticket) -> bool:
    """True when nobody has the open ticket and one may take it: it waits in the queue, or
    waits for the citizen's answer after it was returned to the queue (`return_to_queue`)."""
    return ticket.assignee_id is None and (
        ticket.status in QUEUED_STATUSES or ticket.status is TicketStatus.NEEDS_INFO
    )


def may_take(operator: Operator, ticket: Ticket) -> bool:
    """True when `Desk.take` would give the ticket to the operator: nobody has it
    (`waits_for_someone`), and the operator works its support line."""
    return may_work(operator.role, ticket.line) and waits_for_someone(ticket)


def may_return(operator: Operator, ticket: Ticket) -> bool:
    """True when `Desk.return_to_queue` would take the open ticket from the one who has it:
    the operator manages accounts (an admin)."""
    return (
        has_permission(operator.role, Permission.MANAGE_ACCOUNTS)
        and not ticket.status.is_final
        and ticket.assignee_id is not None
    )


def may_act(operator: Operator, ticket: Ticket) -> bool:
    """True when the operator may answer or close the open ticket: they work its line and it
    is theirs, nobody's yet (acting takes it: `take_waiting`), or they are admin."""
    return (
        may_work(operator.role, ticket.line)
        and not ticket.status.is_final
        and (ticket.assignee_id in {None, operator.id} or operator.role is Role.ADMIN)
    )


TAKEN = "taken"  # the history entry of a take
# Statuses in which an operator who took the ticket may write to the citizen.
REPLYABLE = frozenset({TicketStatus.IN_PROGRESS, TicketStatus.NEEDS_INFO, TicketStatus.ESCALATED})
DEFAULT_LIST_LIMIT = 200
# The history entry of a new answer time (a reopened ticket); its note has both times.
DUE_CHANGED = "due_changed"
MAX_TEXT_LENGTH = 10_000


def _text(text: str, what: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInputError(f"Напишите {what}: пустой текст не отправить.")
    if len(cleaned) > MAX_TEXT_LENGTH:
        raise InvalidInputError(f"Текст слишком длинный: не больше {MAX_TEXT_LENGTH} символов.")
    return cleaned


class Desk:
    """The queue and ticket actions for operators and specialists."""

    def __init__(
        self, db: Database, *, calendar: WorkCalendar | None = None, clock: Clock = system_clock
    ) -> None:
        """`calendar`: the working hours a reopened ticket's new answer time is counted in
        (the product's defaults when not given)."""
        self._db = db
        self._calendar = calendar or WorkCalendar(WorkingHours())
        self._clock = clock

    async def take_next(self, operator: Operator) -> Ticket | None:
        """Assign the queued ticket due first to the operator; None when the queue is empty.

        Two operators never get the same ticket: the pick is locked (`SKIP LOCKED` on
        PostgreSQL, a single-writer transaction on SQLite).
        """
        now = self._clock()
        async with self._db.transaction() as uow:
            who = await self._current(uow, operator)
            lines = [line for line, p in LINE_PERMISSIONS.items() if has_permission(who.role, p)]
            if not lines:
                require(who.role, Permission.WORK_FIRST_LINE, "брать обращения в работу")
            ticket = await uow.tickets.next_in_queue(lines)
            if ticket is None:
                return None
            return await _assign(uow, who, ticket, now)

    async def take(self, operator: Operator, number: int) -> Ticket:
        """Take one queued ticket by its number (the staff group's "Взять" button)."""
        now = self._clock()
        async with self._db.transaction() as uow:
            who, ticket = await self._owned(uow, operator, number, "взять в работу")
            if ticket.assignee_id == who.id:
                return ticket  # pressed twice, or taken in the console already
            if ticket.status not in QUEUED_STATUSES and not waits_for_someone(ticket):
                raise IllegalTransitionError(
                    f"Обращение № {number} в статусе «{ticket.status_label}»: взять в работу "
                    "можно только новое или переданное специалисту."
                )
            if ticket.assignee_id is not None:
                # An escalated ticket a specialist took stays "Передано специалисту": an
                # admin's "Взять" must not move it to them behind the specialist's back.
                raise PermissionDeniedError(
                    f"Обращение № {number} уже в работе у другого сотрудника."
                )
            return await _assign(uow, who, ticket, now)

    async def reply(
        self,
        operator: Operator,
        number: int,
        text: str,
        *,
        via: Via,
        from_entry: str | None = None,
        take_waiting: bool = False,
    ) -> Ticket:
        """Send the citizen a message; the status stays as it is. `via`: where it was written.

        `from_entry`: the entry of the base the reply was made from; the ticket's questions
        record it, so that curators see which entry those questions needed. `take_waiting`:
        a ticket the operator may take (`may_take`) is taken first, in the same transaction.
        """
        body = _text(text, "ответ")
        now = self._clock()
        async with self._db.transaction() as uow:
            who, ticket = await self._owned(
                uow, operator, number, "ответить", take_waiting=take_waiting, now=now
            )
            if ticket.status not in REPLYABLE or ticket.assignee_id is None:
                raise IllegalTransitionError(
                    f"Обращение № {number} в статусе «{ticket.status_label}»: действие "
                    "«ответить» недоступно (сначала возьмите обращение в работу)."
                )
            await self._say(uow, who, ticket, body, now, via=via)
            await uow.tickets.add_event(
                ticket.id, "replied", Author.OPERATOR, now, operator_id=who.id
            )
            await send_to_citizen(
                uow, ticket, wording.OPERATOR_REPLY.format(number=number, text=body), now
            )
            if from_entry is not None:
                await uow.questions.answered_from_entry(number, from_entry)
            return ticket

    async def ask_for_information(
        self, operator: Operator, number: int, text: str, *, via: Via, take_waiting: bool = False
    ) -> Ticket:
        """Ask the citizen for more; the ticket waits in "Нужны сведения" until they answer.
        `take_waiting`: as for `reply`."""
        body = _text(text, "вопрос гражданину")
        now = self._clock()
        async with self._db.transaction() as uow:
            who, ticket = await self._owned(
                uow, operator, number, "запросить сведения", take_waiting=take_waiting, now=now
            )
            if ticket.status is TicketStatus.NEEDS_INFO:
                # One more question before the citizen answered the first: asked as well,
                # the ticket waits on (it used to be refused, the question lost).
                changed = ticket
                await uow.tickets.add_event(
                    ticket.id,
                    TicketStatus.NEEDS_INFO.value,
                    Author.OPERATOR,
                    now,
                    operator_id=who.id,
                    note=body,
                )
            else:
                changed = await self._change(
                    uow,
                    who,
                    ticket,
                    status=TicketStatus.NEEDS_INFO,
                    action="запросить сведения",
                    now=now,
                    note=body,
                )
            await self._say(uow, who, ticket, body, now, via=via)
            await send_to_citizen(
                uow, ticket, wording.INFO_REQUESTED.format(number=number, text=body), now
            )
            return changed

    async def escalate(self, operator: Operator, number: int, note: str) -> Ticket:
        """Pass the ticket to the second line (specialists); it goes back to their queue."""
        reason = _text(note, "причину передачи специалисту")
        now = self._clock()
        async with self._db.transaction() as uow:
            # Said before the role check: an operator's second click (or a colleague's) would
            # otherwise read that operators may not escalate.
            found = await self._ticket(uow, number)
            if found.line is SupportLine.SECOND and not found.status.is_final:
                raise InvalidInputError(f"Обращение № {number} уже у специалистов второй линии.")
            who, ticket = await self._owned(uow, operator, number, "передать специалисту")
            changed = await self._change(
                uow,
                who,
                ticket,
                status=TicketStatus.ESCALATED,
                action="передать специалисту",
                now=now,
                note=reason,
                reassign=True,
                assignee_id=None,
                line=SupportLine.SECOND,
            )
            await follow_ticket(uow, changed, ConversationState.WAITING, now)
            await notify_citizen(uow, changed, wording.ESCALATED.format(number=number), now)
            return changed

    async def resolve(
        self,
        operator: Operator,
        number: int,
        text: str | None = None,
        *,
        via: Via,
        from_entry: str | None = None,
        take_waiting: bool = False,
        seen_message_id: int | None = None,
        seen_event_id: int | None = None,
    ) -> Ticket:
        """Close the ticket as answered, optionally with a last message; the bot takes over.

        `from_entry`, `take_waiting`: as for `reply` (the entry of the base the last message
        was made from; a ticket nobody has is taken first). `seen_message_id`: the last
        message of the thread the operator saw; if the citizen wrote after it, nothing is
        done (`UnreadMessageError`): neither closed nor sent, so that the operator reads it.
        `seen_event_id`: the last history entry the operator saw; a file the citizen
        attached after it refuses the same way.
        """
        body = _text(text, "ответ") if text is not None else None
        now = self._clock()
        async with self._db.transaction() as uow:
            who, ticket = await self._owned(
                uow, operator, number, "завершить", take_waiting=take_waiting, now=now
            )
            await _refuse_unread(
                uow, ticket, seen_message_id, seen_event_id, with_reply=body is not None
            )
            changed = await self._change(
                uow,
                who,
                ticket,
                status=TicketStatus.RESOLVED,
                action="завершить",
                now=now,
                closed_at=now,
            )
            if body is not None:
                await self._say(uow, who, ticket, body, now, via=via)
                await send_to_citizen(
                    uow, changed, wording.OPERATOR_REPLY.format(number=number, text=body), now
                )
                if from_entry is not None:
                    await uow.questions.answered_from_entry(number, from_entry)
            await follow_ticket(uow, changed, ConversationState.RESOLVED, now)
            await notify_citizen(
                uow, changed, wording.RESOLVED.format(number=number), now, asks_rating=True
            )
            return changed

    async def reject(
        self,
        operator: Operator,
        number: int,
        reason: str,
        *,
        take_waiting: bool = False,
        seen_message_id: int | None = None,
        seen_event_id: int | None = None,
    ) -> Ticket:
        """Close the ticket without an answer, telling the citizen why. `take_waiting`: as
        for `reply`; `seen_message_id`, `seen_event_id`: as for `resolve` (refused over a
        message or a file the operator has not seen)."""
        why = _text(reason, "причину отказа")
        now = self._clock()
        async with self._db.transaction() as uow:
            who, ticket = await self._owned(
                uow, operator, number, "отклонить", take_waiting=take_waiting, now=now
            )
            await _refuse_unread(
                uow, ticket, seen_message_id, seen_event_id, with_reply=False, rejecting=True
            )
            changed = await self._change(
                uow,
                who,
                ticket,
                status=TicketStatus.REJECTED,
                action="отклонить",
                now=now,
                note=why,
                closed_at=now,
            )
            await follow_ticket(uow, changed, ConversationState.RESOLVED, now)
            await notify_citizen(
                uow, changed, wording.REJECTED.format(number=number, reason=why), now
            )
            return changed

    async def reopen(self, operator: Operator, number: int, note: str) -> Ticket:
        """Take a resolved or rejected ticket back into work, assigned to the operator, with
        a new answer time counted from now as for a new ticket; the history keeps the old one."""
        why = _text(note, "причину")
        now = self._clock()
        due_at = self._calendar.due_at(now)
        async with self._db.transaction() as uow:
            who = await self._current(uow, operator)
            ticket = await self._ticket(uow, number)
            require(who.role, LINE_PERMISSIONS[ticket.line], "вернуть это обращение в работу")
            changed = await self._change(
                uow,
                who,
                ticket,
                status=TicketStatus.IN_PROGRESS,
                action="вернуть в работу",
                now=now,
                note=why,
                reassign=True,
                assignee_id=who.id,
                due_at=due_at,
            )
            zone = self._calendar.hours.timezone
            await uow.tickets.add_event(
                ticket.id,
                DUE_CHANGED,
                Author.SYSTEM,
                now,
                note=f"ответить до {staff_time(due_at, zone)} "
                f"(прежний срок — {staff_time(ticket.due_at, zone)})",
            )
            if changed.conversation_id is not None:
                conversation = await uow.conversations.get(changed.conversation_id, lock=True)
                # Only take the conversation over if the citizen is not busy with another ticket.
                if conversation is not None and conversation.state.bot_answers:
                    await move_conversation(
                        uow,
                        conversation,
                        ConversationState.WITH_OPERATOR,
                        now,
                        ticket_id=changed.id,
                    )
            reopened = wording.REOPENED.format(
                number=number, due=self._calendar.describe_promise(due_at)
            )
            await notify_citizen(uow, changed, reopened, now)
            return changed

    async def return_to_queue(self, operator: Operator, number: int, reason: str) -> Ticket:
        """Take an open ticket from the colleague who has it (away, not disabled), for others
        to take: as disabling their account does (`ticket_flow.return_to_queue`); admins only."""
        why = _text(reason, "причину возврата в очередь")
        now = self._clock()
        async with self._db.transaction() as uow:
            who = await self._current(uow, operator)
            require(who.role, Permission.MANAGE_ACCOUNTS, "возвращать обращения в очередь")
            ticket = await self._ticket(uow, number)
            if ticket.status.is_final:
                raise IllegalTransitionError(
                    f"Обращение № {number} закрыто («{ticket.status_label}»): вернуть в "
                    "очередь можно только открытое."
                )
            if ticket.assignee_id is None:
                raise InvalidInputError(
                    f"Обращение № {number} ни у кого не в работе: возвращать в очередь нечего."
                )
            holder = await uow.operators.by_id(ticket.assignee_id)
            held_by = f"у сотрудника «{holder.display_name}»: " if holder is not None else ""
            return await return_to_queue(
                uow, ticket, now, note=f"{held_by}{why}", operator_id=who.id
            )

    async def details(self, operator: Operator, number: int) -> TicketDetails:
        """The ticket with its thread, history and attached files' descriptions."""
        async with self._db.transaction() as uow:
            who = await self._current(uow, operator)
            require(who.role, Permission.VIEW_QUEUE, "просматривать обращения")
            ticket = await self._ticket(uow, number)
            details = TicketDetails(
                ticket=ticket,
                messages=tuple(await uow.tickets.messages(ticket.id)),
                events=tuple(await uow.tickets.events(ticket.id)),
                attachments=tuple(await uow.tickets.attachments(ticket)),
            )
        if has_permission(who.role, Permission.VIEW_PERSONAL_DATA):
            return details
        return _without_personal_data(details)

    async def attachment_file(
        self, operator: Operator, number: int, attachment_id: int
    ) -> tuple[Attachment, bytes]:
        """One attached file: its description and its bytes."""
        async with self._db.transaction() as uow:
            who = await self._current(uow, operator)
            require(who.role, Permission.VIEW_PERSONAL_DATA, "открывать вложения обращений")
            ticket = await self._ticket(uow, number)
            found = await uow.tickets.attachment(ticket, attachment_id)
            if found is None:
                raise AttachmentNotFoundError(number, attachment_id)
            return found

    async def queue(
        self, operator: Operator | None, *, limit: int = DEFAULT_LIST_LIMIT
    ) -> Sequence[Ticket]:
        """Tickets waiting to be taken, due first; `operator=None`: the server's administrator."""
        async with self._db.transaction() as uow:
            await self._may_view_queue(uow, operator)
            return await uow.tickets.queue(limit)

    async def overdue(
        self, operator: Operator | None, *, limit: int = DEFAULT_LIST_LIMIT
    ) -> Sequence[Ticket]:
        """Open tickets past their promised answer time, most overdue first."""
        now = self._clock()
        async with self._db.transaction() as uow:
            await self._may_view_queue(uow, operator)
            return await uow.tickets.overdue(now, limit)

    async def assigned(
        self, operator: Operator, *, limit: int = DEFAULT_LIST_LIMIT
    ) -> Sequence[Ticket]:
        """The operator's own tickets not closed yet («В работе», «Нужны сведения», taken
        escalated ones), due first."""
        async with self._db.transaction() as uow:
            who = await self._current(uow, operator)
            require(who.role, Permission.VIEW_QUEUE, "просматривать очередь")
            return await uow.tickets.assigned_to(who.id, limit)

    async def _may_view_queue(self, uow: UnitOfWork, operator: Operator | None) -> None:
        if operator is not None:
            who = await self._current(uow, operator)
            require(who.role, Permission.VIEW_QUEUE, "просматривать очередь")

    async def _current(self, uow: UnitOfWork, operator: Operator) -> Operator:
        # Re-read the account: a role change or a disabled account takes effect at once.
        # Locked until the action commits: disabling the account (which gives its tickets
        # back to the queue) waits for it, rather than miss a ticket taken meanwhile.
        current = await uow.operators.by_id(operator.id, share=True)
        if current is None or not current.active:
            raise PermissionDeniedError(f"Учётная запись «{operator.login}» отключена.")
        return current

    async def _ticket(self, uow: UnitOfWork, number: int) -> Ticket:
        ticket = await uow.tickets.get(number, lock=True)
        if ticket is None:
            raise TicketNotFoundError(number, yours=False)
        return ticket

    async def _owned(
        self,
        uow: UnitOfWork,
        operator: Operator,
        number: int,
        action: str,
        *,
        take_waiting: bool = False,
        now: datetime | None = None,
    ) -> tuple[Operator, Ticket]:
        """The current account and the locked ticket it may act on; `take_waiting`: a ticket
        it may take is taken first (answering a ticket nobody has, as the Telegram group does)."""
        who = await self._current(uow, operator)
        ticket = await self._ticket(uow, number)
        if ticket.line is SupportLine.SECOND and not may_work(who.role, ticket.line):
            # Said with the reason: an operator acting from a page opened before the ticket
            # was escalated read only that their role may not act.
            raise PermissionDeniedError(
                f"Обращение № {number} передано специалистам второй линии: "
                f"роль «{ROLE_LABELS[who.role]}» не может {action}."
            )
        require(who.role, LINE_PERMISSIONS[ticket.line], f"{action}: обращение № {number}")
        if ticket.status.is_final:
            # Closed since the operator's page was opened (or by them in another tab): said
            # the same for every action, with its status, not as someone else's ticket or
            # with «сначала возьмите обращение в работу», which a closed ticket refuses too.
            raise TicketClosedError(number, status_label=ticket.status_label, action=action)
        if ticket.assignee_id not in {None, who.id} and who.role is not Role.ADMIN:
            raise PermissionDeniedError(
                f"Обращение № {number} в работе у другого сотрудника: {action} может только он."
            )
        if take_waiting and may_take(who, ticket):
            ticket = await _assign(uow, who, ticket, now or self._clock())
        return who, ticket

    async def _change(
        self,
        uow: UnitOfWork,
        who: Operator,
        ticket: Ticket,
        *,
        status: TicketStatus,
        action: str,
        now: datetime,
        note: str | None = None,
        assignee_id: int | None = None,
        reassign: bool = False,
        line: SupportLine | None = None,
        closed_at: datetime | None = None,
        due_at: datetime | None = None,
    ) -> Ticket:
        return await change_status(
            uow,
            ticket,
            status=status,
            action=action,
            event=status.value,
            author=Author.OPERATOR,
            now=now,
            assignee_id=assignee_id if reassign else ticket.assignee_id,
            operator_id=who.id,
            line=line,
            closed_at=closed_at,
            note=note,
            due_at=due_at,
        )

    async def _say(
        self, uow: UnitOfWork, who: Operator, ticket: Ticket, text: str, now: datetime, *, via: Via
    ) -> None:
        await uow.tickets.add_message(
            ticket.id, Author.OPERATOR, text, now, operator_id=who.id, via=via
        )
        if ticket.conversation_id is not None:
            await uow.conversations.add_message(ticket.conversation_id, Author.OPERATOR, text, now)


async def _refuse_unread(
    uow: UnitOfWork,
    ticket: Ticket,
    seen_message_id: int | None,
    seen_event_id: int | None,
    *,
    with_reply: bool,
    rejecting: bool = False,
) -> None:
    """Raise `UnreadMessageError` when the citizen wrote after message `seen_message_id`, or
    attached a file after history entry `seen_event_id` (None: not checked)."""
    if seen_message_id is not None and any(
        m.author is Author.CITIZEN and m.id > seen_message_id
        for m in await uow.tickets.messages(ticket.id)
    ):
        raise UnreadMessageError(ticket.number, with_reply=with_reply, rejecting=rejecting)
    if seen_event_id is not None and any(
        e.action == ATTACHED and e.id > seen_event_id for e in await uow.tickets.events(ticket.id)
    ):
        raise UnreadMessageError(
            ticket.number, with_reply=with_reply, rejecting=rejecting, file=True
        )


async def _assign(uow: UnitOfWork, who: Operator, ticket: Ticket, now: datetime) -> Ticket:
    """Give a queued ticket to `who`: a new one goes in progress, an escalated one stays so."""
    new_status = TicketStatus.IN_PROGRESS if ticket.status is TicketStatus.NEW else ticket.status
    again = await _taken_again(uow, ticket)  # before this take joins the history
    if new_status is not ticket.status:
        check_status_change(ticket.number, ticket.status, new_status, "взять в работу")
    taken = await uow.tickets.save(
        ticket.id, now, status=new_status, assignee_id=who.id, line=ticket.line, closed_at=None
    )
    await uow.tickets.add_event(
        ticket.id,
        TAKEN,
        Author.OPERATOR,
        now,
        operator_id=who.id,
        from_status=ticket.status,
        to_status=new_status,
    )
    await follow_ticket(uow, taken, ConversationState.WITH_OPERATOR, now)
    if not again:
        await notify_citizen(uow, taken, wording.TAKEN.format(number=taken.number), now)
    return taken


# History entries that decide whether a take is news to the citizen.
_HANDOVERS = frozenset({TAKEN, RETURNED_TO_QUEUE, TicketStatus.ESCALATED.value})


async def _taken_again(uow: UnitOfWork, ticket: Ticket) -> bool:
    """True when the ticket was returned to the queue since it was last taken or escalated:
    the citizen was told it is in work then, and nothing changed for them since."""
    handovers = [e for e in await uow.tickets.events(ticket.id) if e.action in _HANDOVERS]
    return bool(handovers) and handovers[-1].action == RETURNED_TO_QUEUE


def _without_personal_data(details: TicketDetails) -> TicketDetails:
    """The ticket as roles that do not answer citizens see it: which contacts were left,
    not their values; the files numbered, since a file's name may be a person's
    ("паспорт Иванова.pdf"), in the list and in the history alike; and what staff wrote
    (replies, requests for information, reasons) masked as citizens' words are."""
    numbered = count(1)
    return replace(
        details,
        ticket=replace(details.ticket, contacts=details.ticket.contacts.masked()),
        attachments=tuple(
            replace(a, filename=f"файл {i}") for i, a in enumerate(details.attachments, 1)
        ),
        messages=tuple(_masked_message(m) for m in details.messages),
        events=tuple(
            replace(e, note=f"файл {next(numbered)}") if e.action == ATTACHED else _masked_event(e)
            for e in details.events
        ),
        personal_data_shown=False,
    )


def _masked_message(message: TicketMessage) -> TicketMessage:
    # A citizen's words are masked before they are stored; everyone else's (an operator's
    # reply, the service's notice quoting a reason) are stored as written, for the citizen.
    if message.author is Author.CITIZEN:
        return message
    return replace(message, text=mask_personal_data(message.text))


def _masked_event(event: TicketEvent) -> TicketEvent:
    # A citizen's events carry no free text (a hand-off reason, the labels of the contacts
    # given, a mark); staff's carry what they typed: "Передать специалисту: причина".
    if event.author is Author.CITIZEN or event.note is None:
        return event
    return replace(event, note=mask_personal_data(event.note))
