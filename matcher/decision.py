"""From scores to a decision: answer, clarify with candidates, or hand off to a person."""

from __future__ import annotations

from collections.abc import Sequence

from matcher.match import Action, Candidate
from matcher.settings import Thresholds


def decide(
    ranked: Sequence[Candidate], thresholds: Thresholds, *, may_answer: bool = True
) -> tuple[Action, int]:
    """The action for candidates ranked best first, and how many of them to offer;
    `may_answer` False: offer them even when the best is far enough ahead to answer."""
    if not ranked or ranked[0].score < thresholds.clarify:
        return Action.HANDOFF, 0
    best = ranked[0].score
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    if may_answer and best >= thresholds.answer and best - runner_up >= thresholds.margin:
        return Action.ANSWER, 1
    close = [
        c
        for c in ranked[: thresholds.max_candidates]
        if c.score >= best * thresholds.candidate_ratio
    ]
    offered = max(len(close), min(thresholds.min_candidates, len(ranked)))
    return Action.CLARIFY, offered
