"""Tickets of a colleague who left go back to the queue: when their account is disabled, or
when an admin returns one; the next operator takes them, the staff chat is told, and the
citizen reads nothing new."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import bot.core.desk as desk_module
from bot.core.conversation_state import ConversationState
from bot.core.errors import IllegalTransitionError, PermissionDeniedError
from bot.core.identity import Identity
from bot.core.records import Operator
from bot.core.roles import Role
from bot.core.staff_board import StaffBoard
from bot.core.staff_cards import StatusChange
from bot.core.ticket_status import TicketStatus
from bot.core.tickets import SupportLine, Ticket, Via
from bot.telegram.staff_texts import card_text, change_text
from tests.bot.core.conftest import Services

pytestmark = pytest.mark.anyio

DISABLED_NOTE = "учётная запись сотрудника «ivan» отключена"


async def _ticket(services: Services, citizen: str, question: str) -> int:
    reply = await services.conversations.request_person(Identity("web", citizen), question)
    assert reply.ticket_number is not None
    return reply.ticket_number


async def _ticket_of(services: Services, viewer: Operator, number: int) -> Ticket:
    return (await services.desk.details(viewer, number)).ticket


async def test_disabling_an_account_returns_its_open_tickets_to_the_queue(
    services: Services,
) -> None:
    admin = await services.operator("root", Role.ADMIN)
    ivan = await services.operator("ivan", Role.SPECIALIST)
    olga = await services.operator("olga")
    boris = await services.operator("boris", Role.SPECIALIST)
    in_work = await _ticket(services, "s1", "сломался карбюратор у трактора")
    asked = await _ticket(services, "s2", "где купить семена огурцов")
    escalated = await _ticket(services, "s3", "как настроить антенну на даче")
    olgas = await _ticket(services, "s4", "вопрос про ЭПТС")
    for number in (in_work, asked):
        await services.desk.take(ivan, number)
    await services.desk.ask_for_information(ivan, asked, "Укажите регион.", via=Via.CONSOLE)
    await services.desk.take(olga, escalated)
    await services.desk.escalate(olga, escalated, "Нужна проверка в базе")
    await services.desk.take(ivan, escalated)
    await services.desk.take(olga, olgas)
    before = {n: await _ticket_of(services, admin, n) for n in (in_work, asked, escalated)}
    await services.worker.run_once()
    told = len(services.web.texts)

    done = await services.accounts.set_active("ivan", False, by=admin)

    assert done.returned == (in_work, asked, escalated)
    after = {n: await _ticket_of(services, admin, n) for n in (in_work, asked, escalated)}
    assert [(t.status, t.assignee_id) for t in after.values()] == [
        (TicketStatus.NEW, None),
        (TicketStatus.NEEDS_INFO, None),
        (TicketStatus.ESCALATED, None),
    ]
    assert after[escalated].line is SupportLine.SECOND
    assert [t.due_at for t in after.values()] == [t.due_at for t in before.values()]
    assert (await _ticket_of(services, admin, olgas)).assignee_id == olga.id
    history = (await services.desk.details(admin, in_work)).events[-1]
    assert (history.action, history.operator_id, history.note) == (
        "returned_to_queue",
        admin.id,
        DISABLED_NOTE,
    )
    # The citizens are told nothing: their statuses say it.
    await services.worker.run_once()
    assert len(services.web.texts) == told

    # The next operator takes the ticket that was in work, a specialist the escalated one.
    taken = await services.desk.take_next(olga)
    assert taken is not None and (taken.number, taken.assignee_id) == (in_work, olga.id)
    taken = await services.desk.take_next(boris)
    assert taken is not None and (taken.number, taken.assignee_id) == (escalated, boris.id)
    # The citizen's answer brings the ticket that waited for it to the queue.
    await services.conversations.handle(Identity("web", "s2"), "Московская область")
    assert (await _ticket_of(services, admin, asked)).status is TicketStatus.NEW
    taken = await services.desk.take_next(olga)
    assert taken is not None and (taken.number, taken.status) == (asked, TicketStatus.IN_PROGRESS)


async def test_a_ticket_waiting_for_the_citizen_can_be_taken_by_its_number(
    services: Services,
) -> None:
    ivan = await services.operator("ivan")
    olga = await services.operator("olga")
    number = await _ticket(services, "s1", "сломался карбюратор у трактора")
    await services.desk.take(ivan, number)
    await services.desk.ask_for_information(ivan, number, "Укажите регион.", via=Via.CONSOLE)
    await services.accounts.set_active("ivan", False)
    taken = await services.desk.take(olga, number)
    assert (taken.status, taken.assignee_id) == (TicketStatus.NEEDS_INFO, olga.id)


async def test_an_admin_returns_a_colleagues_ticket_and_the_staff_chat_is_told(
    services: Services,
) -> None:
    admin = await services.operator("root", Role.ADMIN)
    ivan = await services.operator("ivan")
    olga = await services.operator("olga")
    number = await _ticket(services, "s1", "сломался карбюратор у трактора")
    board = StaffBoard(services.db, chat_id=-100777, clock=services.clock)
    ((topic, _),) = await board.claim()
    await board.card_posted(await board.topic_created(topic, thread_id=7), message_id=8)
    await services.desk.take(ivan, number)
    await board.shown((await board.news())[0])
    with pytest.raises(PermissionDeniedError, match="в работе у другого сотрудника"):
        await services.desk.take(olga, number)
    with pytest.raises(
        PermissionDeniedError, match="Роль «оператор» не может возвращать обращения в очередь"
    ):
        await services.desk.return_to_queue(olga, number, "в отпуске")

    returned = await services.desk.return_to_queue(admin, number, "в отпуске до понедельника")

    assert (returned.status, returned.assignee_id) == (TicketStatus.NEW, None)
    (news,) = await board.news()
    (change,) = news.changes
    assert isinstance(change, StatusChange)
    text = change_text(change, zone="Europe/Moscow")
    assert text.startswith("↩️ Возвращено в очередь — root")
    assert "у сотрудника «ivan»: в отпуске до понедельника" in text
    assert "Статус: «Принято»" in text
    shown = card_text(news.card, zone="Europe/Moscow")
    assert "· Принято" in shown and "В работе у:" not in shown
    assert (await services.desk.take(olga, number)).assignee_id == olga.id

    await services.desk.resolve(olga, number, via=Via.CONSOLE)
    with pytest.raises(IllegalTransitionError, match="закрыто"):
        await services.desk.return_to_queue(admin, number, "по ошибке")


async def test_the_citizens_answer_to_a_returned_ticket_puts_the_conversation_back_to_waiting(
    services: Services,
) -> None:
    """The ticket goes to the queue, so the conversation waits for a person again: the
    citizen's next message is acknowledged as for any ticket in the queue (it was silent, as
    if an operator still had the conversation)."""
    ivan = await services.operator("ivan")
    citizen = Identity("web", "s1")
    number = await _ticket(services, "s1", "сломался карбюратор у трактора")
    await services.desk.take(ivan, number)
    await services.desk.ask_for_information(ivan, number, "Укажите регион.", via=Via.CONSOLE)
    await services.accounts.set_active("ivan", False)

    await services.conversations.handle(citizen, "Московская область")

    assert await services.conversations.state(citizen) is ConversationState.WAITING
    reply = await services.conversations.handle(citizen, "И ещё: трактор 1985 года")
    assert reply.text == f"Добавили ваше сообщение к обращению № {number}."


async def test_a_ticket_taken_while_the_account_is_disabled_goes_back_to_the_queue_too(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """«Взять» in flight when the account is disabled: on PostgreSQL the disabling did not
    see the uncommitted take, and the ticket stayed «В работе» with a disabled account."""
    ivan = await services.operator("ivan")
    number = await _ticket(services, "s1", "сломался карбюратор у трактора")
    assigned, release = asyncio.Event(), asyncio.Event()
    real_assign = desk_module._assign

    async def assign_then_wait(*args: Any, **kwargs: Any) -> Ticket:
        taken = await real_assign(*args, **kwargs)
        assigned.set()
        await release.wait()  # the take's transaction is not committed yet
        return taken

    monkeypatch.setattr(desk_module, "_assign", assign_then_wait)
    take = asyncio.create_task(services.desk.take(ivan, number))
    await asyncio.wait_for(assigned.wait(), timeout=5)
    disable = asyncio.create_task(services.accounts.set_active("ivan", False))
    await asyncio.sleep(0.3)
    release.set()
    await take
    done = await asyncio.wait_for(disable, timeout=5)

    ticket = await _ticket_of(services, await services.operator("root", Role.ADMIN), number)
    assert (ticket.status, ticket.assignee_id) == (TicketStatus.NEW, None)
    assert done.returned == (number,)
