"""What the operators' group shows: topic names, ticket cards, their buttons, notices.

Pure functions over the core's values; texts are Telegram HTML, escaped here.
"""

from __future__ import annotations

import html

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.contacts import Contacts
from bot.core.email_address import mask_address
from bot.core.labels import channel_label, event_label
from bot.core.privacy import mask_file_name
from bot.core.staff_cards import StatusChange, TicketCard, TopicMessage
from bot.core.staff_time import staff_time
from bot.core.suggestions import Suggestion
from bot.core.tickets import (
    ATTACHED,
    CONTACTS_GIVEN,
    DELIVERY_REFUSED,
    RETURNED_TO_QUEUE,
    Author,
    TicketMessage,
)

TOPIC_NAME_LIMIT = 128  # characters Telegram allows in a forum topic's name
QUESTION_IN_NAME = 60
MESSAGE_TEXT_LIMIT = 3000  # of a posted message: escaped, it stays under Telegram's 4,096

TAKE = "Взять"
ESCALATE = "Передать специалисту"
CLOSE = "Закрыть"
ESCALATION_NOTE = "Передано из группы операторов в Telegram"
NOT_LINKED = (
    "Ваш Telegram не связан с учётной записью оператора, поэтому действие не выполнено. "
    "Попросите администратора: faqbot user telegram ЛОГИН {user_id}"
)
ACCOUNT_DISABLED = "Ваша учётная запись оператора отключена: действие не выполнено."
DONE = {
    "take": "Обращение № {number} у вас в работе.",
    "escalate": "Обращение № {number} передано специалисту.",
    "close": "Обращение № {number} закрыто.",
}
# A ticket taken from the one who had it (account disabled, or by an admin): anyone may take it.
RETURNED_NEWS = (
    "↩️ Возвращено в очередь — {who}, {when}: {why}. Статус: «{status}», обращение ни у кого "
    "не в работе."
)
SENT_REACTION = "👍"
# «Закрыть» pressed before the topic showed the citizen's latest message (at most 200 characters).
CLOSE_UNREAD = (
    "Обращение № {number} не закрыто: гражданин прислал новое сообщение, оно сейчас появится "
    "в теме. Прочитайте его и нажмите «Закрыть» ещё раз."
)
# The same over a file the topic does not show yet; `/reject` refused as «Закрыть» is.
CLOSE_UNREAD_FILE = (
    "Обращение № {number} не закрыто: гражданин приложил новый файл, сообщение о нём сейчас "
    "появится в теме. Посмотрите его и нажмите «Закрыть» ещё раз."
)
REJECT_UNREAD = (
    "Обращение № {number} не отклонено: гражданин прислал новое сообщение, оно сейчас "
    "появится в теме. Прочитайте его и отправьте /reject ещё раз."
)
REJECT_UNREAD_FILE = (
    "Обращение № {number} не отклонено: гражданин приложил новый файл, сообщение о нём "
    "сейчас появится в теме. Посмотрите его и отправьте /reject ещё раз."
)
CARD_HINT = (
    "<i>Ответ гражданину — сообщением в этой теме; /info текст — запросить сведения; "
    "/reject причина — отклонить; /answers [слова] — ответы из базы знаний.</i>"
)
SEND_ANSWER = "Отправить гражданину"
NO_SUGGESTIONS = "Подходящих ответов в базе знаний не нашлось. Попробуйте: /answers другие слова"
ANSWER_SENT = "Ответ из базы отправлен гражданину по обращению № {number}."
ANSWER_GONE = "Этого ответа уже нет в базе знаний: обновите подборку командой /answers."
UNKNOWN_COMMAND = (
    "Команда {command} не знакома, и гражданину ничего не отправлено. В теме обращения: "
    "/info текст, /reject причина, /answers [слова], /reopen причина; ответ — обычным "
    "сообщением."
)
CLOSED_HINT = "<i>Обращение закрыто. Вернуть его в работу — /reopen причина.</i>"
CLOSED_NOT_SENT = (
    "Обращение № {number} закрыто («{status}»): гражданину ничего не отправлено. Чтобы "
    "продолжить, верните его в работу командой /reopen причина и напишите ещё раз."
)
# A card's button (or an action in the topic) met a ticket closed meanwhile: the core's words
# name the console's «Вернуть в работу»; here it is the command.
CLOSED_ACTION = (
    "Обращение № {number} закрыто («{status}»): действие «{action}» недоступно. Чтобы "
    "продолжить, верните его в работу командой /reopen причина."
)
EDIT_NOT_SENT = (
    "Исправление не отправлено: гражданин видит ответ таким, каким он был отправлен. "
    "Напишите исправленный текст новым сообщением."
)
# An edit of a reply that was itself refused (the ticket closed, or not the operator's).
EDIT_OF_UNSENT = (
    "Гражданину ничего не отправлено: ни это сообщение, ни исправление (на сообщение бот "
    "ответил, почему оно не отправлено). Напишите ответ новым сообщением."
)
EDIT_OF_UNSENT_CLOSED = (
    "Гражданину ничего не отправлено: ни это сообщение, ни исправление — обращение № {number} "
    "закрыто («{status}»). Чтобы продолжить, верните его в работу командой /reopen причина и "
    "напишите ещё раз."
)
FILE_NOT_SENT = (
    "Гражданину ничего не отправлено: ответ передаётся только текстом. Напишите его "
    "сообщением в этой теме (ссылку можно вставить в текст)."
)
FILE_NEWS = "📎 Гражданин приложил файл «{name}»: он в обращении в консоли. {when}"
# The caption of the citizen's file posted into the topic.
FILE_CAPTION = "📎 Гражданин приложил файл «{name}». {when}"
# The file could not be posted into the topic (`why`: Telegram's words).
FILE_NOT_SHOWN = (
    "📎 Гражданин приложил файл «{name}», но показать его здесь не удалось ({why}): файл "
    "сохранён в обращении, откройте его в консоли. {when}"
)
CONTACTS_NEWS = "📇 Гражданин оставил контакты ({what}): они на карточке обращения. {when}"
REFUSED_NEWS = "⚠️ {why} {when}"
CALLBACK_DATA_LIMIT = 64  # bytes Telegram keeps of a button's callback data
INFO_USAGE = "Напишите после команды, что нужно уточнить у гражданина: /info номер заявления?"
REJECT_USAGE = "Напишите после команды причину отказа: /reject вопрос не о госуслугах"
REOPEN_USAGE = (
    "Напишите после команды, почему обращение возвращается в работу: "
    "/reopen гражданин уточнил вопрос"
)


class StaffCallback(CallbackData, prefix="staff"):
    """A button under a ticket's card: `action` is take, escalate or close."""

    action: str
    number: int


class AnswerCallback(CallbackData, prefix="kbanswer"):
    """ "Отправить гражданину" under a suggested answer: the ticket and the entry."""

    number: int
    entry: str


def suggestion_text(suggestion: Suggestion) -> str:
    """A suggested answer as the topic shows it: the entry's question, then its answer."""
    return (
        f"<b>{html.escape(suggestion.question)}</b>\n{html.escape(_shortened(suggestion.answer))}"
    )


def suggestion_keyboard(number: int, suggestion: Suggestion) -> InlineKeyboardMarkup | None:
    """The button that sends the answer; None when the entry's id is too long for one."""
    data = AnswerCallback(number=number, entry=suggestion.entry_id).pack()
    if len(data.encode()) > CALLBACK_DATA_LIMIT:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=SEND_ANSWER, callback_data=data)]]
    )


def topic_name(card: TicketCard) -> str:
    """The topic's name, "№ 123 · Не приходит код…": the number, the start of the question."""
    question = " ".join(card.ticket.question.split())
    if len(question) > QUESTION_IN_NAME:
        question = question[: QUESTION_IN_NAME - 1].rstrip() + "…"
    return f"№ {card.ticket.number} · {question}"[:TOPIC_NAME_LIMIT]


def mask_phone(phone: str) -> str:
    """+79001234567 → +7 *** ***-**-67: enough to recognise, not to call from a chat."""
    return f"{phone[:2]} *** ***-**-{phone[-2:]}"


def contacts_line(contacts: Contacts) -> str:
    """The contacts as the group sees them: masked (the console shows them in full)."""
    if contacts.is_empty:
        return "не оставлены"
    parts = [contacts.name or ""]
    if contacts.phone:
        parts.append(mask_phone(contacts.phone))
    if contacts.email:
        parts.append(mask_address(contacts.email))
    return ", ".join(p for p in parts if p)


def card_text(card: TicketCard, *, zone: str) -> str:
    """The ticket's card: number, status, channel, question, contacts, due time, who has it."""
    ticket = card.ticket
    lines = [
        f"<b>Обращение № {ticket.number}</b> · {html.escape(ticket.status_label)}",
        f"Канал: {html.escape(channel_label(ticket.channel))}",
        f"Вопрос: {html.escape(ticket.question)}",
        f"Контакты: {html.escape(contacts_line(ticket.contacts))}",
        f"Ответить до: {staff_time(ticket.due_at, zone)}",
    ]
    if card.assignee_name:
        lines.append(f"В работе у: {html.escape(card.assignee_name)}")
    if card.last_actor:
        lines.append(f"Последнее действие: {html.escape(card.last_actor)}")
    lines.append(CLOSED_HINT if ticket.status.is_final else CARD_HINT)
    return "\n".join(lines)


def card_keyboard(card: TicketCard) -> InlineKeyboardMarkup | None:
    """Take / escalate / close under an open ticket; nothing under a closed one."""
    if card.ticket.status.is_final:
        return None
    number = card.ticket.number
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=TAKE, callback_data=StaffCallback(action="take", number=number).pack()
                ),
                InlineKeyboardButton(
                    text=CLOSE, callback_data=StaffCallback(action="close", number=number).pack()
                ),
            ],
            [
                InlineKeyboardButton(
                    text=ESCALATE,
                    callback_data=StaffCallback(action="escalate", number=number).pack(),
                )
            ],
        ]
    )


def attached_name(change: StatusChange) -> str:
    """The name of the file an `attached` change records, masked as the citizen's messages and
    the card's contacts are ("паспорт 4510 …")."""
    return mask_file_name(change.event.note or "")


def file_caption(change: StatusChange, *, zone: str) -> str:
    """The caption of the citizen's file posted into the topic."""
    when = staff_time(change.event.created_at, zone)
    return FILE_CAPTION.format(name=html.escape(attached_name(change)), when=when)


def file_not_shown_text(change: StatusChange, why: str, *, zone: str) -> str:
    """What the topic says when the citizen's file could not be posted into it."""
    when = staff_time(change.event.created_at, zone)
    return FILE_NOT_SHOWN.format(
        name=html.escape(attached_name(change)), why=html.escape(why), when=when
    )


def change_text(change: StatusChange, *, zone: str) -> str:
    """A status change posted into the topic: what, who, when."""
    event = change.event
    when = staff_time(event.created_at, zone)
    if event.action == ATTACHED:
        return FILE_NEWS.format(name=html.escape(attached_name(change)), when=when)
    if event.action == CONTACTS_GIVEN:
        return CONTACTS_NEWS.format(what=html.escape(event.note or ""), when=when)
    if event.action == DELIVERY_REFUSED:
        return REFUSED_NEWS.format(why=html.escape(event.note or ""), when=when)
    status = event.to_status.label if event.to_status is not None else event_label(event.action)
    if event.action == RETURNED_TO_QUEUE:
        return RETURNED_NEWS.format(
            why=html.escape(event.note or ""),
            who=html.escape(change.operator_name or "администратор"),
            when=when,
            status=html.escape(status),
        )
    who = change.operator_name or "гражданин"
    return (
        f"Статус: «{html.escape(status)}» — {html.escape(who)}, "
        f"{staff_time(event.created_at, zone)}"
    )


def _shortened(text: str) -> str:
    return text if len(text) <= MESSAGE_TEXT_LIMIT else text[: MESSAGE_TEXT_LIMIT - 1] + "…"


def citizen_message_text(message: TicketMessage) -> str:
    """A citizen's message to the ticket, shown in its topic."""
    return f"💬 Гражданин: {html.escape(_shortened(message.text))}"


def operator_message_text(message: TicketMessage, operator_name: str | None) -> str:
    """An operator's message written elsewhere (the console), shown in the ticket's topic."""
    who = f" ({html.escape(operator_name)})" if operator_name else ""
    return f"✉️ Ответ специалиста{who}: {html.escape(_shortened(message.text))}"


def topic_message_text(posted: TopicMessage) -> str:
    """A message of the ticket's thread as its topic shows it."""
    if posted.message.author is Author.CITIZEN:
        return citizen_message_text(posted.message)
    return operator_message_text(posted.message, posted.operator_name)
