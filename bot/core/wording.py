"""What the core says to citizens, in Russian; channels show these texts as they are."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.workhours import MONTHS_GENITIVE, WorkCalendar

CLARIFY_PROMPT = "Уточните, пожалуйста, что вы имели в виду:"
EMPTY_QUESTION = "Напишите вопрос текстом."
ADDED_TO_TICKET = "Добавили ваше сообщение к обращению № {number}."
# "Позвать оператора" pressed (or "позовите оператора" typed) while people have the citizen's
# ticket already: `status` is the ticket's status sentence ("Обращение № 12: Принято; ответим
# до …").
ALREADY_WITH_PEOPLE = (
    "Ваш вопрос уже у специалистов. {status} Если хотите что-то добавить, просто напишите это "
    "сюда: сообщение попадёт в обращение."
)
FILE_ATTACHED = "Файл «{name}» приложен к обращению № {number}."
CONTACTS_GIVEN = "Контакты добавлены к обращению № {number}: специалист сможет связаться с вами."
TAKEN = "Специалист взял обращение № {number} в работу."
ESCALATED = "Обращение № {number} передано профильному специалисту."
RESOLVED = (
    "Обращение № {number} завершено. Оцените, пожалуйста, ответ от 1 до 5: кнопкой "
    "или цифрой в ответ."
)
# A message that seems to hold a one-time code, a password or a card number (`find_secrets`).
SECRET_WARNING = (
    "Не отправляйте никому коды из СМС, пароли и номера банковских карт: "
    "служба поддержки никогда их не спрашивает. Мы скрыли эти данные в сохранённом сообщении."
)
NO_WORDS = (
    "Если у вас вопрос, напишите его словами — например: «не приходит код подтверждения». "
    "Чтобы связаться со специалистом, напишите «позовите оператора»."
)
# What the conversation records as the citizen's message when they rate with a button.
TICKET_MARK = "Оценка {stars} из 5"
TICKET_RATED = (
    "Спасибо за оценку {stars} из 5 обращению № {number}! Если остались вопросы, задайте их здесь."
)
# For staff (the ticket's history, the operators' topic): messages queued while the citizen's
# channel refuses them (a blocked bot); said once per blocking.
HELD_BEHIND_REFUSAL = (
    "Это и следующие сообщения гражданину тоже не доставлены: он по-прежнему не принимает "
    "сообщения бота. Они уйдут, когда гражданин снова откроет чат; до тех пор об этом больше "
    "не напоминаем."
)
REJECTED = "Обращение № {number} отклонено. Причина: {reason}"
REOPENED = "Обращение № {number} снова в работе; {due}."
INFO_REQUESTED = "По обращению № {number} нужны дополнительные сведения: {text}"
OPERATOR_REPLY = "Ответ по обращению № {number}: {text}"


def hours_phrase(span: timedelta) -> str:
    """ "24 часов", "1 часа", "2 часов"... as used after "в течение"."""
    hours = int(span.total_seconds() // 3600)
    word = "часа" if hours % 10 == 1 and hours % 100 != 11 else "часов"
    return f"{hours} {word}"


def moment_phrase(at: datetime, calendar: WorkCalendar) -> str:
    """ "14:00 20 ноября по московскому времени" in the calendar's zone."""
    local = at.astimezone(ZoneInfo(calendar.hours.timezone))
    month = MONTHS_GENITIVE[local.month - 1]
    return f"{local:%H:%M} {local.day} {month} {calendar.timezone_phrase}"


# How `handoff_text` begins.
HANDED_OFF = (
    "Передали ваш вопрос специалисту. Номер обращения — {number}: назовите его, чтобы узнать "
    "статус."
)


def handoff_text(
    number: int,
    created: datetime,
    calendar: WorkCalendar,
    *,
    due_at: datetime,
    people_away_until: datetime | None = None,
) -> str:
    """The reply when a question goes to people: the number, when they pick it up, the promise.

    `due_at` is the ticket's stored due time, so the text and the ticket never disagree.
    """
    head = HANDED_OFF.format(number=number)
    due = calendar.describe_promise(due_at)
    # Only working days count towards the promise (`WorkCalendar.due_at`): said, so that
    # "24 часа" and a date three days later do not read as a contradiction.
    within = f"{hours_phrase(calendar.hours.answer_within)} ({NOT_COUNTED})"
    if people_away_until is not None:
        return (
            f"{head} Сейчас идут профилактические работы, специалисты недоступны до "
            f"{moment_phrase(people_away_until, calendar)}. Ответ — в течение {within} "
            f"после начала работы; {due}."
        )
    if calendar.is_open(created):
        return f"{head} Ответ придёт сюда же; {due}."
    pickup = calendar.describe_pickup(created)
    return (
        f"{head} Сейчас нерабочее время: специалисты возьмут обращение в работу {pickup}, "
        f"ответ — в течение {within}; {due}."
    )


NOT_COUNTED = "выходные и праздники не в счёт"


def maintenance_notice(until: datetime, calendar: WorkCalendar) -> str:
    """The warning shown next to every reply while the maintenance switch is on."""
    return (
        "Идут профилактические работы: специалисты недоступны до "
        f"{moment_phrase(until, calendar)}. Бот продолжает отвечать на вопросы."
    )


def ticket_status_text(number: int, status_label: str, due: str | None) -> str:
    """ "Обращение № 12: В работе; ответим до ..." for a citizen's look-up."""
    return f"Обращение № {number}: {status_label}" + (f"; {due}." if due else ".")


def overdue_status_text(number: int, status_label: str, promised: str) -> str:
    """The look-up of an open ticket whose promised time has passed: not a promise for a
    moment gone by, an apology instead (`promised`: "06:00 4 декабря по московскому времени")."""
    return (
        f"Обращение № {number}: {status_label}. Срок ответа (до {promised}) прошёл: "
        "ответим как можно скорее, извините за ожидание."
    )
