"""Answers from the knowledge base that an operator may send, found by the matcher.

A question reaches people because the bot was not sure, yet the right entry is often among
the matcher's candidates (for nine of ten clarified golden questions it is offered).
The ticket page lists them, and any other words the operator searches for, so that a reply
can start from the base's answer instead of being typed anew.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.core.answerer import HANDOFF_TAG, Answerer

SUGGESTIONS = 5  # all the candidates the matcher reports: for a question handed to people
# the right entry is as often fourth or fifth as first
# Below this score the candidates are what an off-topic question scrapes together ("какая
# завтра погода" 0.13, "сломался карбюратор у трактора" 0.14 on the project's base), while
# questions the bot handed off for want of confidence still find their entry at 0.17-0.30.
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


def answer_of(answerer: Answerer, entry_id: str | None) -> str:
    """The answer of entry `entry_id`, or "" when there is no such entry (an old link)."""
    entry = answerer.kb.get(entry_id) if entry_id else None
    return entry.answer if entry is not None else ""
