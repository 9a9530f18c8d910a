"""Ticket statuses, their Russian labels and which changes between them are allowed."""

from __future__ import annotations

from enum import StrEnum

from bot.core.errors import IllegalTransitionError


class TicketStatus(StrEnum):
    """Where a ticket is in the support process; the value is what the database stores."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    NEEDS_INFO = "needs_info"
    ESCALATED = "escalated"
    REJECTED = "rejected"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        """The status as citizens and operators see it."""
        return STATUS_LABELS[self]

    @property
    def is_final(self) -> bool:
        """True when nobody is expected to work on the ticket any more."""
        return self in FINAL_STATUSES


STATUS_LABELS: dict[TicketStatus, str] = {
    TicketStatus.NEW: "Принято",
    TicketStatus.IN_PROGRESS: "В работе",
    TicketStatus.NEEDS_INFO: "Нужны сведения",
    TicketStatus.ESCALATED: "Передано специалисту",
    TicketStatus.REJECTED: "Отклонено",
    TicketStatus.RESOLVED: "Завершено",
}

FINAL_STATUSES = frozenset({TicketStatus.REJECTED, TicketStatus.RESOLVED})

# Statuses a ticket waits in for someone to take it from the queue.
QUEUED_STATUSES = frozenset({TicketStatus.NEW, TicketStatus.ESCALATED})

ALLOWED_STATUS_CHANGES: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.NEW: frozenset(
        {TicketStatus.IN_PROGRESS, TicketStatus.ESCALATED, TicketStatus.REJECTED}
    ),
    # Back to "Принято": returned to the queue (the one who had it left, `return_to_queue`).
    TicketStatus.IN_PROGRESS: frozenset(
        {
            TicketStatus.NEW,
            TicketStatus.NEEDS_INFO,
            TicketStatus.ESCALATED,
            TicketStatus.RESOLVED,
            TicketStatus.REJECTED,
        }
    ),
    # Back to "Принято": the citizen answered a first-line ticket nobody has any more.
    TicketStatus.NEEDS_INFO: frozenset(
        {
            TicketStatus.NEW,
            TicketStatus.IN_PROGRESS,
            TicketStatus.ESCALATED,
            TicketStatus.RESOLVED,
            TicketStatus.REJECTED,
        }
    ),
    # An escalated ticket stays "Передано специалисту" while the specialist works on it.
    TicketStatus.ESCALATED: frozenset(
        {TicketStatus.NEEDS_INFO, TicketStatus.RESOLVED, TicketStatus.REJECTED}
    ),
    TicketStatus.REJECTED: frozenset({TicketStatus.IN_PROGRESS}),
    TicketStatus.RESOLVED: frozenset({TicketStatus.IN_PROGRESS}),
}


def check_status_change(number: int, current: TicketStatus, new: TicketStatus, action: str) -> None:
    """Raise `IllegalTransitionError` unless a ticket may go from `current` to `new`.

    `action` is the operator's action in Russian ("взять в работу"), used in the message.
    """
    if new not in ALLOWED_STATUS_CHANGES[current]:
        raise IllegalTransitionError(
            f"Обращение № {number} в статусе «{current.label}»: "
            f"действие «{action}» недоступно (нельзя перевести в «{new.label}»)."
        )
