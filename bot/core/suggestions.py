"""Answers from the knowledge base that an operator may send, found by the matcher.

A question reaches people because the bot was not sure, yet the right entry is often among
the matcher's candidates: of the 50 golden questions the bot hands off, 45 have it among the
five (26 first, 6 second, 5 third, 7 fourth, 1 fifth). The ticket page lists them, and any
other words the operator searches for, so that a reply can start from the base's answer
instead of being typed anew.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.core.answerer import HANDOFF_TAG, Answerer
from bot.core.conversation import PERSON_REQUESTED
from bot.core.tickets import Author, TicketDetails

SUGGESTIONS = 5  # all the candidates the matcher reports (see above: the right one may be fifth)
# The least score worth showing. Of those 45 right entries 44 score at least this; of the 77
# golden off-topic questions, 23 get no suggestion at all (at 0.20: 37 of 45 and 49 of 77).
# A needless suggestion costs an operator a glance, a missing one a typed answer.
MIN_SCORE = 0.15


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An entry whose answer fits: its id, question and answer, and the matcher's score."""

    entry_id: str
    question: str
    answer: str
    score: float


async def suggest_answers(
    answerer: Answerer, text: str, *, limit: int = SUGGESTIONS
) -> tuple[Suggestion, ...]:
    """The entries the matcher ranks best for `text`, best first; none for blank text.

    Entries that only call a person ("Соедините меня с оператором") are left out: the
    operator is that person. Matched on a worker thread: a long question costs tens of
    milliseconds, and staff pages must not hold up citizens' questions.
    """
    if not text.strip():
        return ()
    match = await asyncio.to_thread(answerer.match, text)
    kb = answerer.kb
    found = []
    for candidate in match.candidates:
        entry = kb.get(candidate.entry_id)
        if candidate.score < MIN_SCORE or entry is None or HANDOFF_TAG in entry.tags:
            continue
        found.append(Suggestion(entry.id, entry.question, entry.answer, candidate.score))
    return tuple(found[:limit])


def asked(details: TicketDetails) -> str:
    """What the citizen asked in a ticket: its question, or, when they only called a person
    ("Позовите специалиста"), the last thing they wrote before; "" when there is nothing."""
    if details.ticket.question != PERSON_REQUESTED:
        return details.ticket.question
    said = [
        m.text
        for m in details.messages
        if m.author is Author.CITIZEN and m.text != PERSON_REQUESTED
    ]
    return said[-1] if said else ""
