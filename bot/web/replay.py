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
        ("stars", r"(?P<stars>[1-5])"),
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
_THANKS = _pattern(wording.TICKET_RATED)
_NOTICES = (_pattern(wording.NO_WORDS), _THANKS)
_PRESSED_MARK = _pattern(wording.TICKET_MARK)
# How `handoff_text` ends: «…; ответим до 06:00 8 декабря по московскому времени.»
_PROMISE = re.compile(r"; (?P<due>ответим до [^;]+)\.\Z")


@dataclass(frozen=True, slots=True)
class Shown:
    """How one message looked live: `text` when it differs from the kept one, the ticket
    its «Номер обращения» line names or its operator's words answer (`due`: the promise the
    line had beside the number, as the hand-off made it), whether it was a notice, whether it
    was a 1-5 button's press (not shown as a message at all)."""

    text: str | None = None
    ticket_number: int | None = None
    due: str | None = None
    notice: bool = False
    pressed_mark: bool = False


def replayed(messages: Sequence[ConversationMessage], events: Sequence[WebEvent]) -> list[Shown]:
    """How each of `messages` looked live; `events`, the session's live replies oldest first
    (an operator's words came as one, headed with the ticket: «Ответ по обращению № 1: …»)."""
    unused = [e for e in events if e.ticket_number is not None]
    shown: list[Shown] = []
    for at, m in enumerate(messages):
        if m.author is Author.OPERATOR:
            pushed = next((e for e in unused if _carries(e, m)), None)
            if pushed is not None:
                unused.remove(pushed)
                shown.append(Shown(text=pushed.text, ticket_number=pushed.ticket_number))
                continue
        elif m.author is Author.CITIZEN:
            if _pressed(m, messages[at + 1 : at + 2]):
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
                due = _promise(m.text) if line[1] else None
                shown.append(Shown(ticket_number=line[0], due=due))
                continue
        shown.append(Shown())
    return shown


def _carries(pushed: WebEvent, said: ConversationMessage) -> bool:
    """Whether a live reply is the operator's words `said`, headed with their ticket: queued
    in the transaction that kept the words, so at the same moment (the same words in another
    ticket, whose reply may be all the live replies still hold, are not them)."""
    return pushed.created_at == said.created_at and pushed.text.endswith(": " + said.text)


def _pressed(said: ConversationMessage, after: Sequence[ConversationMessage]) -> bool:
    """Whether the citizen's «Оценка N из 5» stands for a 1-5 button's press: the thanks for
    that mark came with it. Typed, the words are no mark (`stars_of`) and stay a message."""
    mark = _PRESSED_MARK.fullmatch(said.text)
    return bool(
        mark
        and after
        and after[0].author is not Author.CITIZEN
        and (thanks := _THANKS.fullmatch(after[0].text)) is not None
        and thanks.group("stars") == mark.group("stars")
    )


def _promise(handed_off: str) -> str | None:
    """The promise a hand-off's text ends with («…; ответим до 06:00 8 декабря …»): the one
    shown beside its number live, though a reopened ticket has a later one now."""
    found = _PROMISE.search(handed_off)
    return found.group("due") if found else None


def _number(pattern: re.Pattern[str], text: str) -> int | None:
    found = pattern.match(text)
    return int(found.group("number")) if found else None
