"""A history message as the live chat showed it when it came: the conversation keeps some
replies otherwise (an operator's words bare, a notice as the bot's, a 1-5 button's press as
the citizen's message), and until 2026-12-05 a reloaded widget showed them so."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core import wording
from bot.core.records import ConversationMessage, WebEvent
from bot.core.tickets import Author


def _pattern(template: str) -> re.Pattern[str]:
    """A wording template as a pattern: `{number}` a group of digits, `{stars}` one digit,
    `{status}` a ticket's status sentence (whose number is the group)."""
    escaped = re.escape(template)
    for field, part in (
        ("number", r"(?P<number>\d+)"),
        ("stars", r"[1-5]"),
        ("status", r"Обращение № (?P<number>\d+)[^\n]*?"),
    ):
        escaped = escaped.replace(re.escape("{" + field + "}"), part)
    return re.compile(escaped)


# Replies with a «Номер обращения» line under them live: the ticket they opened (with the
# promise beside the number) or joined.
_TICKET_LINE = (
    (_pattern(wording.HANDED_OFF), True),
    (_pattern(wording.ADDED_TO_TICKET), False),
    (_pattern(wording.ALREADY_WITH_PEOPLE), False),
)
# Replies kept as the bot's that the live chat shows as notices («Сообщение»).
_NOTICES = (_pattern(wording.NO_WORDS), _pattern(wording.TICKET_RATED))
_PRESSED_MARK = _pattern(wording.TICKET_MARK)


@dataclass(frozen=True, slots=True)
class Shown:
    """How one message looked live: `text` when it differs from the kept one, the ticket
    its «Номер обращения» line names or its operator's words answer (`promised`: the line
    had the ticket's promise too), whether it was a notice, whether it was a 1-5 button's
    press (not shown as a message at all)."""

    text: str | None = None
    ticket_number: int | None = None
    promised: bool = False
    notice: bool = False
    pressed_mark: bool = False


def replayed(messages: Sequence[ConversationMessage], events: Sequence[WebEvent]) -> list[Shown]:
    """How each of `messages` looked live; `events`, the session's live replies oldest first
    (an operator's words came as one, headed with the ticket: «Ответ по обращению № 1: …»)."""
    unused = [e for e in events if e.ticket_number is not None]
    shown: list[Shown] = []
    for m in messages:
        if m.author is Author.OPERATOR:
            pushed = next((e for e in unused if _carries(e.text, m.text)), None)
            if pushed is not None:
                unused.remove(pushed)
                shown.append(Shown(text=pushed.text, ticket_number=pushed.ticket_number))
                continue
        elif m.author is Author.CITIZEN:
            if _PRESSED_MARK.fullmatch(m.text):
                shown.append(Shown(pressed_mark=True))
                continue
        else:
            if any(p.fullmatch(m.text) for p in _NOTICES):
                shown.append(Shown(notice=True))
                continue
            line = next(
                ((n, promised) for p, promised in _TICKET_LINE if (n := _number(p, m.text))),
                None,
            )
            if line is not None:
                shown.append(Shown(ticket_number=line[0], promised=line[1]))
                continue
        shown.append(Shown())
    return shown


def _carries(pushed: str, said: str) -> bool:
    """Whether a live reply is an operator's words `said`, headed with their ticket."""
    return pushed.endswith(": " + said)


def _number(pattern: re.Pattern[str], text: str) -> int | None:
    found = pattern.match(text)
    return int(found.group("number")) if found else None
