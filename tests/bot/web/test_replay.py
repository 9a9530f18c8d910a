"""A history message as the live chat showed it (`bot.web.replay`): the widget reloaded shows
the conversation as it was seen, not as it is kept."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core import wording
from bot.core.records import ConversationMessage, WebEvent
from bot.core.tickets import Author
from bot.web.replay import Shown, replayed

AT = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
REPLY = "Обратитесь в сервисный центр."
STATUS = wording.ticket_status_text(12, "В работе", "ответим до 06:00 8 декабря")


def _said(number: int, author: Author, text: str) -> ConversationMessage:
    return ConversationMessage(id=number, author=author, text=text, created_at=AT)


def _pushed(number: int, text: str, ticket: int | None) -> WebEvent:
    return WebEvent(id=number, session_id="s", text=text, created_at=AT, ticket_number=ticket)


def test_each_kind_of_message_is_shown_as_it_came() -> None:
    handed = wording.HANDED_OFF.format(number=3) + " Ответ придёт сюда же; ответим до …."
    messages = [
        _said(1, Author.CITIZEN, "сломался карбюратор"),
        _said(2, Author.BOT, handed),
        _said(3, Author.CITIZEN, "ещё фото"),
        _said(4, Author.SYSTEM, wording.ADDED_TO_TICKET.format(number=3)),
        _said(5, Author.OPERATOR, REPLY),
        _said(6, Author.CITIZEN, wording.TICKET_MARK.format(stars=4)),
        _said(7, Author.BOT, wording.TICKET_RATED.format(stars=4, number=3)),
        _said(8, Author.CITIZEN, "???"),
        _said(9, Author.BOT, wording.NO_WORDS),
        _said(10, Author.CITIZEN, "Оценка 4 из 5, но не всё понятно"),
        _said(11, Author.SYSTEM, wording.ALREADY_WITH_PEOPLE.format(status=STATUS)),
    ]
    events = [
        _pushed(1, wording.TAKEN.format(number=3), 3),
        _pushed(2, wording.OPERATOR_REPLY.format(number=3, text=REPLY), 3),
    ]
    assert replayed(messages, events) == [
        Shown(),
        Shown(ticket_number=3, due="ответим до …"),
        Shown(),
        Shown(ticket_number=3),
        Shown(text="Ответ по обращению № 3: " + REPLY, ticket_number=3),
        Shown(pressed_mark=True),
        Shown(notice=True),
        Shown(),
        Shown(notice=True),
        Shown(),
        Shown(ticket_number=12),
    ]


def test_the_same_words_twice_take_one_live_reply_each() -> None:
    messages = [_said(1, Author.OPERATOR, REPLY), _said(2, Author.OPERATOR, REPLY)]
    events = [
        _pushed(1, wording.OPERATOR_REPLY.format(number=1, text=REPLY), 1),
        _pushed(2, wording.INFO_REQUESTED.format(number=2, text=REPLY), 2),
    ]
    assert [s.text for s in replayed(messages, events)] == [e.text for e in events]


def test_words_no_longer_among_the_live_replies_stay_as_kept() -> None:
    assert replayed([_said(1, Author.OPERATOR, REPLY)], []) == [Shown()]
