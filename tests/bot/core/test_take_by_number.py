"""`Desk.take`: one ticket by its number, as the operators' group's "Взять" button does."""

from __future__ import annotations

import pytest

from bot.core.errors import IllegalTransitionError, PermissionDeniedError
from bot.core.identity import Identity
from bot.core.roles import Role
from bot.core.ticket_status import TicketStatus
from bot.core.tickets import Via
from tests.bot.core.conftest import Services

pytestmark = pytest.mark.anyio


async def test_take_one_ticket_by_number(services: Services) -> None:
    first = await services.conversations.request_person(Identity("web", "s1"), "первый вопрос")
    second = await services.conversations.request_person(Identity("web", "s2"), "второй вопрос")
    assert first.ticket_number is not None and second.ticket_number is not None
    olga, boris = await services.operator("olga"), await services.operator("boris")

    taken = await services.desk.take(olga, second.ticket_number)  # not the oldest: this one
    assert (taken.status, taken.assignee_id) == (TicketStatus.IN_PROGRESS, olga.id)
    again = await services.desk.take(olga, second.ticket_number)
    assert again.assignee_id == olga.id  # pressing twice changes nothing
    with pytest.raises(PermissionDeniedError, match="у другого сотрудника"):
        await services.desk.take(boris, second.ticket_number)
    await services.desk.resolve(olga, second.ticket_number, via=Via.CONSOLE)
    with pytest.raises(IllegalTransitionError, match="«Завершено»"):
        await services.desk.take(olga, second.ticket_number)

    details = await services.desk.details(olga, second.ticket_number)
    taken_events = [e for e in details.events if e.action == "taken"]
    assert [(e.operator_id, e.to_status) for e in taken_events] == [
        (olga.id, TicketStatus.IN_PROGRESS)
    ]
    queue = await services.desk.queue(olga)
    assert [t.number for t in queue] == [first.ticket_number]
    await services.worker.run_once()
    assert (
        services.web.texts.count(f"Специалист взял обращение № {second.ticket_number} в работу.")
        == 1
    )


async def test_an_escalated_ticket_a_specialist_took_is_not_taken_from_them(
    services: Services,
) -> None:
    """It stays "Передано специалисту" while the specialist works it: an admin's "Взять"
    (in the console or the operators' group) used to move it to the admin silently."""
    asked = await services.conversations.request_person(Identity("web", "s1"), "вопрос")
    assert asked.ticket_number is not None
    number = asked.ticket_number
    olga = await services.operator("olga")
    sveta = await services.operator("sveta", Role.SPECIALIST)
    root = await services.operator("root", Role.ADMIN)
    await services.desk.take(olga, number)
    await services.desk.escalate(olga, number, "нужен специалист")
    await services.desk.take(sveta, number)

    with pytest.raises(PermissionDeniedError, match="у другого сотрудника"):
        await services.desk.take(root, number)

    details = await services.desk.details(sveta, number)
    assert details.ticket.assignee_id == sveta.id
