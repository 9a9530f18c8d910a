"""The operators' forum group: replies and commands written in a ticket's topic (`/info`,
`/reject`, `/reopen`, `/answers`), the card's buttons, and the buttons that send a suggested answer.

Only members linked to an active operator account (`faqbot user telegram`) can act; the
others get a polite refusal and nothing changes. Every action goes through the same desk
calls as the web console, so history, statuses and delivery to the citizen are the same.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import F, Router
from aiogram.enums import ContentType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReactionTypeEmoji, TelegramObject, User

from bot.core.accounts import Accounts
from bot.core.answerer import Answerer
from bot.core.desk import Desk
from bot.core.errors import CoreError, TicketClosedError, UnreadMessageError
from bot.core.priority import as_staff
from bot.core.records import Operator
from bot.core.staff_board import StaffBoard
from bot.core.staff_cards import StaffTopic
from bot.core.suggestions import asked, suggest_answers
from bot.core.tickets import Via
from bot.telegram.staff_announcer import StaffAnnouncer
from bot.telegram.staff_texts import (
    ACCOUNT_DISABLED,
    ANSWER_GONE,
    ANSWER_SENT,
    CLOSE_UNREAD,
    CLOSE_UNREAD_FILE,
    CLOSED_ACTION,
    CLOSED_NOT_SENT,
    DONE,
    EDIT_NOT_SENT,
    EDIT_OF_UNSENT,
    EDIT_OF_UNSENT_CLOSED,
    ESCALATION_NOTE,
    FILE_NOT_SENT,
    INFO_USAGE,
    NO_SUGGESTIONS,
    NOT_LINKED,
    REJECT_UNREAD,
    REJECT_UNREAD_FILE,
    REJECT_USAGE,
    REOPEN_USAGE,
    SENT_REACTION,
    UNKNOWN_COMMAND,
    AnswerCallback,
    StaffCallback,
    suggestion_keyboard,
    suggestion_text,
)

log = logging.getLogger(__name__)
ALERT_LIMIT = 200  # characters Telegram shows in a callback alert
SUGGESTIONS_IN_TOPIC = 3  # a message each: more would bury the conversation
# A member's replies that were refused (ids in the group), in their dialogue memory: an
# edit of one must not read that the citizen keeps its first text.
REFUSED_REPLIES_KEY = "refused_replies"
REFUSED_REPLIES_KEPT = 50
# What an operator may post in a topic that cannot reach the citizen (replies are text).
NOT_SENT_CONTENT = frozenset(
    {
        ContentType.PHOTO,
        ContentType.DOCUMENT,
        ContentType.VIDEO,
        ContentType.VOICE,
        ContentType.AUDIO,
        ContentType.VIDEO_NOTE,
        ContentType.STICKER,
        ContentType.ANIMATION,
        ContentType.LOCATION,
        ContentType.CONTACT,
    }
)


def build_router(chat_id: int) -> Router:
    """Handlers for the staff chat only; everything else said there stops here."""
    router = Router(name="staff")
    router.message.filter(F.chat.id == chat_id)
    router.edited_message.filter(F.chat.id == chat_id)
    router.callback_query.filter(F.message.chat.id == chat_id)
    # Operators' work goes ahead of citizens' when the database is busy, as in the console.
    router.message.middleware(_as_staff)
    router.callback_query.middleware(_as_staff)
    router.callback_query.register(on_button, StaffCallback.filter())
    router.callback_query.register(on_answer_button, AnswerCallback.filter())
    # A phone's keyboard writes "/Info" as readily as "/info": both are the command.
    router.message.register(
        on_answers_command, F.message_thread_id, Command("answers", ignore_case=True)
    )
    router.message.register(
        on_topic_command, F.message_thread_id, Command(*TOPIC_COMMANDS, ignore_case=True)
    )
    router.message.register(on_topic_message, F.message_thread_id, F.text)
    router.message.register(
        on_topic_file, F.message_thread_id, F.content_type.in_(NOT_SENT_CONTENT)
    )
    router.message.register(ignore)  # chatter, service messages: not for the citizens' bot
    router.edited_message.register(on_topic_edit, F.message_thread_id, F.text)
    router.edited_message.register(ignore)
    return router


async def _as_staff(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    as_staff()
    return await handler(event, data)


async def _operator(accounts: Accounts, user: User | None) -> tuple[Operator | None, str]:
    """The active operator behind a Telegram user, or None and why not."""
    if user is None:
        return None, NOT_LINKED.format(user_id="?")
    operator = await accounts.by_telegram_user(user.id)
    if operator is None:
        return None, NOT_LINKED.format(user_id=user.id)
    if not operator.active:
        return None, ACCOUNT_DISABLED
    return operator, ""


async def _pressed_by(query: CallbackQuery, accounts: Accounts) -> Operator | None:
    """The operator who pressed a button; None, with the refusal shown, for anyone else."""
    operator, refusal = await _operator(accounts, query.from_user)
    if operator is None:
        await query.answer(refusal[:ALERT_LIMIT], show_alert=True)
    return operator


def _refusal(error: CoreError) -> str:
    """What the group reads when the core refuses an action: a closed ticket is returned to
    work here with /reopen (the core's words name the console's «Вернуть в работу»; until
    2026-12-05 a button on an out-of-date card of a closed ticket did not say how)."""
    if isinstance(error, TicketClosedError):
        return CLOSED_ACTION.format(
            number=error.number, status=error.status_label, action=error.action
        )
    return str(error)


# An action written in a ticket's topic: the topic as it is now (its cursors say what it shows).
TopicAction = Callable[[Desk, Operator, StaffTopic, str], Awaitable[None]]


async def _reply(desk: Desk, operator: Operator, topic: StaffTopic, text: str) -> None:
    await desk.reply(operator, topic.ticket_number, text, via=Via.TELEGRAM, take_waiting=True)


async def _ask(desk: Desk, operator: Operator, topic: StaffTopic, text: str) -> None:
    await desk.ask_for_information(
        operator, topic.ticket_number, text, via=Via.TELEGRAM, take_waiting=True
    )


async def _reject(desk: Desk, operator: Operator, topic: StaffTopic, text: str) -> None:
    # Not over a citizen's message or file the topic does not show yet, as «Закрыть».
    await desk.reject(
        operator,
        topic.ticket_number,
        text,
        take_waiting=True,
        seen_message_id=topic.last_message_id,
        seen_event_id=topic.last_event_id,
    )


async def _reopen(desk: Desk, operator: Operator, topic: StaffTopic, text: str) -> None:
    await desk.reopen(operator, topic.ticket_number, text)


# `/info текст`, `/reject причина` and `/reopen причина` in a ticket's topic, as the
# console's forms.
TOPIC_COMMANDS: dict[str, tuple[TopicAction, str]] = {
    "info": (_ask, INFO_USAGE),
    "reject": (_reject, REJECT_USAGE),
    "reopen": (_reopen, REOPEN_USAGE),
}


async def on_topic_message(
    message: Message, staff: StaffBoard, desk: Desk, accounts: Accounts, state: FSMContext
) -> None:
    """An operator's text in a ticket's topic is their reply to the citizen; a mistyped
    command ("/inf …") is not, and says so."""
    text = message.text or ""
    if text.startswith("/"):
        if message.message_thread_id is not None and await staff.topic_of_thread(
            message.message_thread_id
        ):
            await message.reply(html.escape(UNKNOWN_COMMAND.format(command=text.split()[0])))
        return
    await _act_in_topic(
        message, text, _reply, staff=staff, desk=desk, accounts=accounts, state=state
    )


async def on_topic_file(message: Message, staff: StaffBoard, accounts: Accounts) -> None:
    """A photo, file or voice note an operator posts in a ticket's topic does not reach the
    citizen (replies are text): say so, rather than leave them thinking it was sent."""
    if message.message_thread_id is None:
        return
    if await staff.topic_of_thread(message.message_thread_id) is None:
        return
    operator, _ = await _operator(accounts, message.from_user)
    if operator is not None:
        await message.reply(html.escape(FILE_NOT_SENT))


async def on_topic_edit(
    message: Message, staff: StaffBoard, accounts: Accounts, state: FSMContext
) -> None:
    """An operator's reply edited after it was sent: the citizen keeps the first text (a
    Telegram message once delivered cannot be changed from here), so say so; a reply that
    was refused (a closed ticket) reached the citizen in neither form, so say that."""
    text = message.text or ""
    if text.startswith("/") or message.message_thread_id is None:
        return
    topic = await staff.topic_of_thread(message.message_thread_id)
    if topic is None:
        return
    operator, _ = await _operator(accounts, message.from_user)
    if operator is None:
        return
    if message.message_id not in await _refused_replies(state):
        await message.reply(html.escape(EDIT_NOT_SENT))
        return
    ticket = (await staff.card(topic.ticket_number)).ticket
    told = (
        EDIT_OF_UNSENT_CLOSED.format(number=ticket.number, status=ticket.status_label)
        if ticket.status.is_final
        else EDIT_OF_UNSENT
    )
    await message.reply(html.escape(told))


async def _refused_replies(state: FSMContext) -> list[int]:
    kept = (await state.get_data()).get(REFUSED_REPLIES_KEY)
    return [int(i) for i in kept] if isinstance(kept, list) else []


async def _remember_refused(state: FSMContext | None, message: Message) -> None:
    """Keep that the member's reply `message` reached nobody (for an edit of it)."""
    if state is None:
        return
    kept = [*await _refused_replies(state), message.message_id][-REFUSED_REPLIES_KEPT:]
    await state.update_data({REFUSED_REPLIES_KEY: kept})


async def on_topic_command(
    message: Message,
    command: CommandObject,
    *,
    staff: StaffBoard,
    desk: Desk,
    accounts: Accounts,
    staff_announcer: StaffAnnouncer,
) -> None:
    """`/info текст` asks the citizen for more; `/reject причина` closes without an answer."""
    action, usage = TOPIC_COMMANDS[command.command.lower()]
    text = (command.args or "").strip()
    if not text:  # say how, before anything happens to the ticket
        if message.message_thread_id is not None and await staff.topic_of_thread(
            message.message_thread_id
        ):
            await message.reply(usage)
        return
    await _act_in_topic(
        message,
        text,
        action,
        staff=staff,
        desk=desk,
        accounts=accounts,
        staff_announcer=staff_announcer,
    )


async def on_answers_command(
    message: Message,
    command: CommandObject,
    *,
    staff: StaffBoard,
    desk: Desk,
    accounts: Accounts,
    answerer: Answerer,
) -> None:
    """`/answers [слова]`: entries of the base that fit the ticket's question (or the words),
    each posted with a button that sends its answer to the citizen."""
    if message.message_thread_id is None:
        return
    topic = await staff.topic_of_thread(message.message_thread_id)
    if topic is None:
        return
    operator, refusal = await _operator(accounts, message.from_user)
    if operator is None:
        await message.reply(html.escape(refusal))
        return
    number = topic.ticket_number
    words = " ".join((command.args or "").split())
    try:
        question = words or asked(await desk.details(operator, number))
    except CoreError as error:
        await message.reply(html.escape(_refusal(error)))
        return
    suggestions = await suggest_answers(answerer, question, limit=SUGGESTIONS_IN_TOPIC)
    if not suggestions:
        await message.reply(html.escape(NO_SUGGESTIONS))
        return
    for suggestion in suggestions:
        await message.answer(
            suggestion_text(suggestion), reply_markup=suggestion_keyboard(number, suggestion)
        )


async def on_answer_button(
    query: CallbackQuery,
    callback_data: AnswerCallback,
    *,
    staff: StaffBoard,
    desk: Desk,
    accounts: Accounts,
    answerer: Answerer,
    staff_announcer: StaffAnnouncer,
) -> None:
    """Send a suggested entry's answer to the citizen as the operator's reply."""
    operator = await _pressed_by(query, accounts)
    if operator is None:
        return
    entry = answerer.kb.get(callback_data.entry)
    if entry is None:
        await query.answer(ANSWER_GONE[:ALERT_LIMIT], show_alert=True)
        return
    number = callback_data.number
    ticket = (await staff.card(number)).ticket
    if ticket.status.is_final:  # suggested before it was closed
        closed = CLOSED_NOT_SENT.format(number=number, status=ticket.status_label)
        await query.answer(closed[:ALERT_LIMIT], show_alert=True)
        return
    try:
        await desk.reply(
            operator,
            number,
            entry.answer,
            via=Via.TELEGRAM,
            from_entry=entry.id,
            take_waiting=True,
        )
    except CoreError as error:
        await query.answer(_refusal(error)[:ALERT_LIMIT], show_alert=True)
        return
    await query.answer(ANSWER_SENT.format(number=number))
    if isinstance(query.message, Message):
        try:  # one press sends it once: the button goes
            await query.message.edit_reply_markup(reply_markup=None)
        except TelegramAPIError as error:
            log.info("Не удалось убрать кнопку у отправленного ответа: %s", error)
    staff_announcer.wake.set()  # post the status change into the topic now


async def _act_in_topic(
    message: Message,
    text: str,
    action: TopicAction,
    *,
    staff: StaffBoard,
    desk: Desk,
    accounts: Accounts,
    staff_announcer: StaffAnnouncer | None = None,
    state: FSMContext | None = None,
) -> None:
    """Do `action` for the topic's ticket; `state`: the member's dialogue memory, where a
    refused reply is kept (`_remember_refused`)."""
    if message.message_thread_id is None:
        return
    topic = await staff.topic_of_thread(message.message_thread_id)
    if topic is None:
        return  # a topic that is not a ticket's
    operator, refusal = await _operator(accounts, message.from_user)
    if operator is None:
        await message.reply(html.escape(refusal))
        return
    number = topic.ticket_number
    ticket = (await staff.card(number)).ticket
    if ticket.status.is_final and action is not _reopen:
        # The card has no buttons left: say what is possible instead of "take it first".
        await message.reply(
            html.escape(CLOSED_NOT_SENT.format(number=number, status=ticket.status_label))
        )
        await _remember_refused(state, message)
        return
    try:
        await action(desk, operator, topic, text)
    except UnreadMessageError as error:
        unread = REJECT_UNREAD_FILE if error.file else REJECT_UNREAD
        await message.reply(html.escape(unread.format(number=number)))
        if staff_announcer is not None:
            staff_announcer.wake.set()  # post it into the topic now
        return
    except CoreError as error:
        await message.reply(html.escape(_refusal(error)))
        await _remember_refused(state, message)
        return
    try:
        await message.react([ReactionTypeEmoji(emoji=SENT_REACTION)])
    except TelegramAPIError as error:  # a missing reaction is no reason to fail the action
        log.info("Не удалось поставить реакцию на сообщение оператора: %s", error)


async def on_button(
    query: CallbackQuery,
    callback_data: StaffCallback,
    *,
    staff: StaffBoard,
    desk: Desk,
    accounts: Accounts,
    staff_announcer: StaffAnnouncer,
) -> None:
    """Take, escalate or close the ticket, then show its new state on the card."""
    operator = await _pressed_by(query, accounts)
    if operator is None:
        return
    number = callback_data.number
    try:
        if callback_data.action == "take":
            await desk.take(operator, number)
        elif callback_data.action == "escalate":
            await desk.escalate(operator, number, ESCALATION_NOTE)
        elif callback_data.action == "close":
            # Not closed over a citizen's message or file the topic does not show yet. The
            # topic is found by the ticket, not by where the button was: a card older than
            # Telegram keeps for callbacks comes as an InaccessibleMessage, without its topic.
            topic = await staff.topic_of_ticket(number)
            # As a reply does, closing a ticket nobody has taken takes it first (the card
            # offers «Закрыть» from the start; it used to answer «нельзя перевести»), in the
            # same transaction: refused over an unread message, it is not taken either.
            await desk.resolve(
                operator,
                number,
                via=Via.TELEGRAM,
                take_waiting=True,
                seen_message_id=topic.last_message_id if topic is not None else None,
                seen_event_id=topic.last_event_id if topic is not None else None,
            )
        else:
            await query.answer()
            return
    except UnreadMessageError as error:
        unread = CLOSE_UNREAD_FILE if error.file else CLOSE_UNREAD
        await query.answer(unread.format(number=number), show_alert=True)
        staff_announcer.wake.set()  # post the message into the topic now
        return
    except CoreError as error:
        await query.answer(_refusal(error)[:ALERT_LIMIT], show_alert=True)
        return
    await query.answer(DONE[callback_data.action].format(number=number))
    if query.message is not None:
        await staff_announcer.refresh_card(query.message.message_id, await staff.card(number))
    staff_announcer.wake.set()  # post the status change into the topic now


async def ignore(message: Message) -> None:
    """Anything else written in the staff chat: the bot stays quiet."""
