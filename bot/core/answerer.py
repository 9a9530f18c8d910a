"""What the conversation service needs from the matcher: a verdict and the entries.

`matcher.Matcher` satisfies it as it is; a front end with hot reload passes an object whose
`match` and `kb` follow the latest good knowledge base.
"""

from __future__ import annotations

from typing import Protocol

from matcher.knowledge import KnowledgeBase
from matcher.match import Match

HANDOFF_TAG = "handoff"
# Small talk ("Спасибо!", "Здравствуйте!"): never the question a ticket is about.
SMALL_TALK_TAG = "общение"


class Answerer(Protocol):
    """Answers questions from a knowledge base."""

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base the answers come from."""
        ...

    def match(self, question: str) -> Match:
        """The verdict on one question."""
        ...

    def match_by_words(self, question: str) -> Match | None:
        """The verdict when the words alone settle it, quickly; None: `match` finds it, at an
        embedding's cost (`Matcher.match_by_words`)."""
        ...
