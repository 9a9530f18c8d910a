"""What the matcher says about one question: the decision and its evidence."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    """What the caller should do with a question."""

    ANSWER = "answer"  # confident: show the answer of `entry_id`
    CLARIFY = "clarify"  # several entries are close: offer `candidates`
    HANDOFF = "handoff"  # nothing fits: a person should answer


@dataclass(frozen=True, slots=True)
class Candidate:
    """One knowledge-base entry considered for a question."""

    entry_id: str
    score: float
    matched_terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Match:
    """The matcher's verdict on one question, explained by the terms that matched."""

    query: str
    action: Action
    entry_id: str | None
    score: float
    candidates: tuple[Candidate, ...]
    matched_terms: tuple[str, ...]
    offered: int = 0  # with CLARIFY: how many of the candidates to offer (2-3)

    @property
    def choices(self) -> tuple[Candidate, ...]:
        """The candidates to offer the citizen when the action is CLARIFY."""
        return self.candidates[: self.offered]

    def to_json(self) -> dict[str, object]:
        """The object `faqbot ask --json` prints (CONTRACTS.md §2)."""
        return {
            "query": self.query,
            "action": self.action.value,
            "entry_id": self.entry_id,
            "score": round(self.score, 4),
            "candidates": [
                {"entry_id": c.entry_id, "score": round(c.score, 4)} for c in self.candidates
            ],
            "matched_terms": list(self.matched_terms),
        }
