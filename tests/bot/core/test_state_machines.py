"""The two state machines as tables: every allowed move passes, every other one is refused."""

from __future__ import annotations

import itertools

import pytest

from bot.core.conversation_state import ConversationState as C
from bot.core.conversation_state import check_conversation_change
from bot.core.errors import IllegalTransitionError
from bot.core.ticket_status import TicketStatus as T
from bot.core.ticket_status import check_status_change

CONVERSATION_MOVES = {
    (C.BOT, C.WAITING),  # handed off
    (C.BOT, C.WITH_OPERATOR),  # an old ticket reopened
    (C.WAITING, C.WITH_OPERATOR),  # taken
    (C.WAITING, C.RESOLVED),  # rejected from the queue
    (C.WITH_OPERATOR, C.WAITING),  # escalated
    (C.WITH_OPERATOR, C.RESOLVED),  # resolved or rejected
    (C.RESOLVED, C.BOT),  # the citizen writes again
    (C.RESOLVED, C.WAITING),  # ... and is handed off at once
    (C.RESOLVED, C.WITH_OPERATOR),  # reopened
}
TICKET_MOVES = {
    (T.NEW, T.IN_PROGRESS),
    (T.NEW, T.ESCALATED),
    (T.NEW, T.REJECTED),
    (T.IN_PROGRESS, T.NEW),  # returned to the queue (the account that had it disabled)
    (T.IN_PROGRESS, T.NEEDS_INFO),
    (T.IN_PROGRESS, T.ESCALATED),
    (T.IN_PROGRESS, T.RESOLVED),
    (T.IN_PROGRESS, T.REJECTED),
    (T.NEEDS_INFO, T.NEW),  # the citizen answered a ticket nobody has: back to the queue
    (T.NEEDS_INFO, T.IN_PROGRESS),
    (T.NEEDS_INFO, T.ESCALATED),
    (T.NEEDS_INFO, T.RESOLVED),
    (T.NEEDS_INFO, T.REJECTED),
    (T.ESCALATED, T.NEEDS_INFO),
    (T.ESCALATED, T.RESOLVED),
    (T.ESCALATED, T.REJECTED),
    (T.RESOLVED, T.IN_PROGRESS),
    (T.REJECTED, T.IN_PROGRESS),
}


@pytest.mark.parametrize(("current", "new"), list(itertools.permutations(C, 2)))
def test_conversation_moves(current: C, new: C) -> None:
    if (current, new) in CONVERSATION_MOVES:
        check_conversation_change(current, new)
    else:
        with pytest.raises(IllegalTransitionError, match=f"from '{current}' to '{new}'"):
            check_conversation_change(current, new)


@pytest.mark.parametrize(("current", "new"), list(itertools.permutations(T, 2)))
def test_ticket_moves(current: T, new: T) -> None:
    if (current, new) in TICKET_MOVES:
        check_status_change(7, current, new, "действие")
    else:
        with pytest.raises(
            IllegalTransitionError,
            match=f"№ 7 в статусе «{current.label}».*нельзя перевести в «{new.label}»",
        ):
            check_status_change(7, current, new, "действие")


def test_the_bot_answers_only_when_nobody_owns_the_conversation() -> None:
    assert {s for s in C if s.bot_answers} == {C.BOT, C.RESOLVED}
