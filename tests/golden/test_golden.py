"""The golden set: citizens' own phrasings, held apart from the base, as a quality gate."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from matcher import Action, KnowledgeBase, Matcher

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from evaluation import GOLDEN, load_offtopic, load_tsv, matcher_figures

# Floors the matcher must not fall below. The product target is 95% top-1 (issue 3), and
# since the meaning's stage (2026-12-06, `matcher/semantic.py`) the gate is that target:
# 96.6% / 99.2% today, 98.4% of answers right, 0.5% handed off (the stage before its
# phrasings: 95.3% / 99.5%, 98.2%, 3.6%). (Words alone: 93.2% / 99.5%,
# 98.2% of as many answers right, 6.0% handed off; with 21-22 alternatives an entry and "не" a
# stop word, 89.3% / 97.4%.)
MIN_TOP1 = 0.95
MIN_TOP3 = 0.99
MIN_ANSWER_PRECISION = 0.97
# Questions the base can answer that still go to a person (6.0% with words alone, 8.9% with
# 10-15 alternatives an entry, 12.8% with character 2-4-grams before 2026-12-04).
MAX_HANDED_OFF = 0.045
MAX_OFFTOPIC_ANSWERED = 0.02

QUESTIONS = load_tsv(GOLDEN / "questions.tsv")
OFFTOPIC = load_offtopic(GOLDEN / "offtopic.txt")


def test_set_is_big_enough_and_labelled_with_real_entries(project_kb: KnowledgeBase) -> None:
    assert len(QUESTIONS) >= 300
    assert len(OFFTOPIC) >= 50
    unknown = {q.expected for q in QUESTIONS} - {e.id for e in project_kb}
    assert not unknown


def test_set_is_held_apart_from_the_base(project_matcher: Matcher) -> None:
    normalise = project_matcher.analyzer.normalise
    phrasings = {normalise(p) for e in project_matcher.kb for p in e.phrasings}
    copied = [q.query for q in QUESTIONS if normalise(q.query) in phrasings]
    assert not copied


def test_quality_gate(project_matcher: Matcher) -> None:
    figures, _ = matcher_figures(QUESTIONS + OFFTOPIC, project_matcher.match)
    assert figures.top1 >= MIN_TOP1
    assert figures.top3 >= MIN_TOP3
    assert figures.answered_right >= MIN_ANSWER_PRECISION
    assert figures.offtopic_answered <= MAX_OFFTOPIC_ANSWERED
    assert figures.handed_off <= MAX_HANDED_OFF


@pytest.mark.parametrize("question", [q.query for q in OFFTOPIC[:25]])
def test_off_topic_gets_no_confident_answer(project_matcher: Matcher, question: str) -> None:
    assert project_matcher.match(question).action is not Action.ANSWER
