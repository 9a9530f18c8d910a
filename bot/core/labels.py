"""Internal names as people read them, in Russian: ticket events, hand-off reasons, channels,
file types and sizes.

The one mapping the console (and any other staff view) uses, so that no stored English name
(`opened`, `no_answer`, `web`) reaches an operator's screen.
"""

from __future__ import annotations

from bot.core.attachments import TYPE_NAMES
from bot.core.settings import MEGABYTE
from bot.core.ticket_status import TicketStatus
from bot.core.tickets import HandoffReason, SupportLine, TicketEvent

EVENT_LABELS: dict[str, str] = {
    "opened": "Обращение создано",
    "taken": "Взято в работу",
    "replied": "Оператор ответил",
    "attached": "Прикреплён файл",
    "information_given": "Гражданин дополнил обращение",
    "contacts_given": "Гражданин оставил контакты",
    "rated": "Гражданин оценил ответ",
    "due_changed": "Новый срок ответа",
    "delivery_refused": "Сообщение гражданину не доставлено",
    "returned_to_queue": "Возвращено в очередь",
    # Status changes are recorded under the new status's value.
    TicketStatus.NEW.value: "Принято",
    TicketStatus.IN_PROGRESS.value: "Возвращено в работу",
    TicketStatus.NEEDS_INFO.value: "Запрошены сведения у гражданина",
    TicketStatus.ESCALATED.value: "Передано специалисту",
    TicketStatus.RESOLVED.value: "Завершено",
    TicketStatus.REJECTED.value: "Отклонено",
}
UNKNOWN_EVENT = "Изменение обращения"
KILOBYTE = 1024

HANDOFF_REASON_LABELS: dict[str, str] = {
    HandoffReason.NO_ANSWER.value: "бот не нашёл ответа",
    HandoffReason.ASKED_FOR_PERSON.value: "гражданин попросил оператора",
    HandoffReason.MATCHER_FAILED.value: "сбой поиска ответа",
}

CHANNEL_LABELS: dict[str, str] = {"web": "чат на сайте", "telegram": "Telegram"}

# The support line in words: the console showed a bare 1 or 2.
LINE_LABELS: dict[SupportLine, str] = {
    SupportLine.FIRST: "первая (операторы)",
    SupportLine.SECOND: "вторая (специалисты)",
}


def event_label(action: str) -> str:
    """ "Обращение создано" for `opened`; a neutral phrase for a name nobody mapped yet."""
    return EVENT_LABELS.get(action, UNKNOWN_EVENT)


def event_note(event: TicketEvent) -> str | None:
    """The event's note as shown: the hand-off reason in words for `opened`, else as written."""
    if event.action == "opened" and event.note is not None:
        return HANDOFF_REASON_LABELS.get(event.note, event.note)
    return event.note


def line_label(line: SupportLine) -> str:
    """ "вторая (специалисты)" for the second line."""
    return LINE_LABELS[line]


def reason_label(reason: str) -> str:
    """Why a question went to people, in words."""
    return HANDOFF_REASON_LABELS.get(reason, reason)


def channel_label(channel: str) -> str:
    """A channel's name as citizens and operators know it."""
    return CHANNEL_LABELS.get(channel, channel)


def file_kind(content_type: str) -> str:
    """An attached file's type as staff know it: "PNG", "PDF"."""
    return TYPE_NAMES.get(content_type, content_type)


def file_size(size: int) -> str:
    """A file's size in bytes, kilobytes or megabytes, Russian style: "1,5 МБ"."""
    if size < KILOBYTE:
        return f"{size} Б"
    if size < MEGABYTE:
        return f"{size / KILOBYTE:.0f} КБ"
    return f"{size / MEGABYTE:.1f} МБ".replace(".", ",")
