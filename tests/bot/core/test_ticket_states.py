"""Operators move tickets through their statuses; illegal moves are refused with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.errors import IllegalTransitionError, InvalidInputError, PermissionDeniedError
from bot.core.identity import Identity
from bot.core.records import Operator
from bot.core.roles import Role
from bot.core.ticket_status import STATUS_LABELS, TicketStatus
from bot.core.tickets import SupportLine, Via
from tests.bot.core.conftest import Services

pytestmark = pytest.mark.anyio

CITIZEN = Identity("telegram", "100500")
QUESTION = "сломался карбюратор у трактора"


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (TicketStatus.NEW, "Принято"),
        (TicketStatus.IN_PROGRESS, "В работе"),
        (TicketStatus.NEEDS_INFO, "Нужны сведения"),
        (TicketStatus.ESCALATED, "Передано специалисту"),
        (TicketStatus.REJECTED, "Отклонено"),
        (TicketStatus.RESOLVED, "Завершено"),
    ],
)
def test_statuses_have_russian_labels(status: TicketStatus, label: str) -> None:
    assert status.label == label


def test_every_status_has_a_label() -> None:
    assert set(STATUS_LABELS) == set(TicketStatus)


async def _ticket(services: Services) -> int:
    reply = await services.conversations.handle(CITIZEN, QUESTION)
    assert reply.ticket_number is not None
    return reply.ticket_number


async def _taken(services: Services, login: str = "olga") -> tuple[Operator, int]:
    number = await _ticket(services)
    operator = await services.operator(login)
    taken = await services.desk.take_next(operator)
    assert taken is not None
    assert taken.number == number
    return operator, number


async def test_take_puts_the_ticket_in_progress_and_records_who(services: Services) -> None:
    operator, number = await _taken(services)
    details = await services.desk.details(operator, number)
    assert details.ticket.status is TicketStatus.IN_PROGRESS
    assert details.ticket.assignee_id == operator.id
    taken = details.events[-1]
    assert (taken.action, taken.operator_id, taken.from_status, taken.to_status) == (
        "taken",
        operator.id,
        TicketStatus.NEW,
        TicketStatus.IN_PROGRESS,
    )
    assert taken.created_at == services.clock.now


async def test_full_path_with_second_line(services: Services) -> None:
    operator, number = await _taken(services)
    await services.desk.ask_for_information(operator, number, "Укажите VIN.", via=Via.CONSOLE)
    await services.conversations.handle(CITIZEN, "XTA21099012345678")
    escalated = await services.desk.escalate(operator, number, "Нужна проверка в базе ЭПТС")
    assert (escalated.status, escalated.line, escalated.assignee_id) == (
        TicketStatus.ESCALATED,
        SupportLine.SECOND,
        None,
    )
    # The first line cannot take it from the queue any more.
    assert await services.desk.take_next(operator) is None
    specialist = await services.operator("sergey", Role.SPECIALIST)
    taken = await services.desk.take_next(specialist)
    assert taken is not None
    assert (taken.status, taken.assignee_id) == (TicketStatus.ESCALATED, specialist.id)
    resolved = await services.desk.resolve(
        specialist, number, "Данные исправлены.", via=Via.CONSOLE
    )
    assert resolved.status is TicketStatus.RESOLVED
    assert resolved.closed_at == services.clock.now
    reopened = await services.desk.reopen(specialist, number, "Гражданин пишет, что не исправлено")
    assert (reopened.status, reopened.assignee_id) == (TicketStatus.IN_PROGRESS, specialist.id)
    details = await services.desk.details(specialist, number)
    assert [e.action for e in details.events] == [
        "opened",
        "taken",
        "needs_info",
        "information_given",
        "escalated",
        "taken",
        "resolved",
        "in_progress",
        "due_changed",
    ]


async def test_operator_cannot_work_an_escalated_ticket(services: Services) -> None:
    """Refused with the reason: a reply from the page opened before escalating read only
    "Роль «оператор» не может ответить: обращение № 1"."""
    operator, number = await _taken(services)
    await services.desk.escalate(operator, number, "Нужен специалист")
    with pytest.raises(PermissionDeniedError, match="оператор"):
        await services.desk.resolve(operator, number, "Готово", via=Via.CONSOLE)
    with pytest.raises(PermissionDeniedError) as refused:
        await services.desk.reply(operator, number, "Здравствуйте", via=Via.CONSOLE)
    assert str(refused.value) == (
        f"Обращение № {number} передано специалистам второй линии: "
        "роль «оператор» не может ответить."
    )


async def test_an_operators_second_escalation_says_it_is_escalated_already(
    services: Services,
) -> None:
    """A double click on "Передать специалисту" used to answer the second click with
    "Роль «оператор» не может передать специалисту", as if the first had been refused."""
    operator, number = await _taken(services)
    await services.desk.escalate(operator, number, "Нужен специалист")
    with pytest.raises(InvalidInputError, match="уже у специалистов второй линии"):
        await services.desk.escalate(operator, number, "Нужен специалист")


async def test_a_second_request_for_information_is_sent_too(services: Services) -> None:
    """The operator asks for the VIN, then, before the citizen answers, for the date too: the
    second request was refused ("в статусе «Нужны сведения»…") and never reached the citizen."""
    operator, number = await _taken(services)
    await services.desk.ask_for_information(operator, number, "Укажите VIN.", via=Via.CONSOLE)
    again = await services.desk.ask_for_information(
        operator, number, "И дату покупки, пожалуйста.", via=Via.CONSOLE
    )
    assert again.status is TicketStatus.NEEDS_INFO
    await services.worker.run_once()
    assert services.telegram.texts[-2:] == [
        f"По обращению № {number} нужны дополнительные сведения: Укажите VIN.",
        f"По обращению № {number} нужны дополнительные сведения: И дату покупки, пожалуйста.",
    ]
    details = await services.desk.details(operator, number)
    assert [e.note for e in details.events if e.action == "needs_info"] == [
        "Укажите VIN.",
        "И дату покупки, пожалуйста.",
    ]
    await services.conversations.handle(CITIZEN, "XTA21099012345678, 1 мая 2020")
    assert (await services.desk.details(operator, number)).ticket.status is TicketStatus.IN_PROGRESS


async def test_reject_tells_the_citizen_why(services: Services) -> None:
    operator, number = await _taken(services)
    rejected = await services.desk.reject(operator, number, "Вопрос не относится к ЭПТС")
    assert rejected.status_label == "Отклонено"
    await services.worker.run_once()
    assert services.telegram.texts[-1] == (
        f"Обращение № {number} отклонено. Причина: Вопрос не относится к ЭПТС"
    )


@pytest.mark.parametrize(
    ("steps", "action", "message"),
    [
        (["resolve"], "resolve", "в статусе «Завершено»: действие «завершить» недоступно"),
        (["reject"], "ask", "в статусе «Отклонено»: действие «запросить сведения» недоступно"),
        (["resolve"], "reject", "в статусе «Завершено»: действие «отклонить» недоступно"),
        ([], "reopen", "в статусе «В работе»: действие «вернуть в работу» недоступно"),
        (["escalate"], "escalate", "уже у специалистов второй линии"),
        (["resolve"], "reply", "в статусе «Завершено»: действие «ответить» недоступно"),
    ],
)
async def test_illegal_moves_are_refused_with_a_clear_error(
    services: Services, steps: list[str], action: str, message: str
) -> None:
    admin = await services.operator("root", Role.ADMIN)
    await _ticket(services)
    await services.desk.take_next(admin)
    actions = {
        "resolve": lambda: services.desk.resolve(admin, 1, "Готово", via=Via.CONSOLE),
        "reject": lambda: services.desk.reject(admin, 1, "Спам"),
        "ask": lambda: services.desk.ask_for_information(admin, 1, "VIN?", via=Via.CONSOLE),
        "reopen": lambda: services.desk.reopen(admin, 1, "Ещё раз"),
        "escalate": lambda: services.desk.escalate(admin, 1, "Специалисту"),
        "reply": lambda: services.desk.reply(admin, 1, "Ответ", via=Via.CONSOLE),
    }
    for step in steps:
        await actions[step]()
    with pytest.raises((IllegalTransitionError, InvalidInputError), match=message):
        await actions[action]()


async def test_only_the_assignee_works_a_taken_ticket(services: Services) -> None:
    _, number = await _taken(services)
    other = await services.operator("ivan")
    with pytest.raises(PermissionDeniedError, match="в работе у другого сотрудника"):
        await services.desk.reply(other, number, "Здравствуйте", via=Via.CONSOLE)


async def test_analyst_sees_the_queue_but_cannot_take(services: Services) -> None:
    number = await _ticket(services)
    analyst = await services.operator("anna", Role.ANALYST)
    assert [t.number for t in await services.desk.queue(analyst)] == [number]
    with pytest.raises(PermissionDeniedError, match="аналитик"):
        await services.desk.take_next(analyst)


async def test_disabled_account_cannot_act(services: Services) -> None:
    await _ticket(services)
    operator = await services.operator("olga")
    await services.accounts.set_active("olga", False)
    with pytest.raises(PermissionDeniedError, match="отключена"):
        await services.desk.take_next(operator)


async def test_empty_reply_is_refused(services: Services) -> None:
    operator, number = await _taken(services)
    with pytest.raises(InvalidInputError, match="пустой текст"):
        await services.desk.reply(operator, number, "  ", via=Via.CONSOLE)


async def test_overdue_tickets_are_flagged(services: Services) -> None:
    first = await _ticket(services)
    analyst = await services.operator("anna", Role.ANALYST)
    assert await services.desk.overdue(analyst) == []
    services.clock.advance(timedelta(hours=25))
    overdue = await services.desk.overdue(analyst)
    assert [t.number for t in overdue] == [first]
    assert overdue[0].is_overdue(services.clock.now)
