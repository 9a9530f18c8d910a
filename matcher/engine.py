"""The matcher: built once from a knowledge base, then answers questions from any thread."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.analyzer import Analysis, Analyzer
from matcher.decision import decide
from matcher.knowledge import KnowledgeBase
from matcher.match import Action, Candidate, Match
from matcher.morph import Morphology
from matcher.normalize import fold_case, words
from matcher.settings import MatcherSettings
from matcher.terms import EntryTerms, FloatArray, TermIndex
from matcher.typos import Speller
from matcher.vectors import VectorIndex


@dataclass(frozen=True, slots=True)
class Scored:
    """Scores of every entry for one analysed question."""

    analysis: Analysis
    scores: FloatArray


class Matcher:
    """Finds the knowledge-base entry that answers a question, and says how sure it is.

    Building reads the whole base (analysis, indexes); `match` only reads what was built, so
    one Matcher serves many threads.
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        settings: MatcherSettings | None = None,
        morphology: Morphology | None = None,
    ) -> None:
        self.kb = kb
        self.settings = settings or MatcherSettings()
        self._ids = [e.id for e in kb.entries]
        morphology = morphology or Morphology()
        surface = {
            w
            for e in kb.entries
            for text in (*e.phrasings, *e.keywords, e.answer)
            for w in words(fold_case(text))
        }
        self.analyzer = Analyzer(morphology, synonyms=kb.synonyms, vocabulary=surface)
        self._speller = Speller(
            surface | self.analyzer.synonym_terms,
            min_similarity=self.settings.typo_similarity,
            max_distance=self.settings.typo_max_edits,
        )
        analyze = self.analyzer.analyze
        phrasings = [[analyze(p) for p in e.phrasings] for e in kb.entries]
        entry_terms = [
            EntryTerms(
                phrasings=tuple(a.terms for a in analysed),
                keywords=tuple(t for k in e.keywords for t in analyze(k).terms),
                answer=analyze(e.answer).terms,
            )
            for e, analysed in zip(kb.entries, phrasings, strict=True)
        ]
        self._terms = TermIndex(entry_terms)
        self._vectors = VectorIndex(
            [[a.words for a in analysed] for analysed in phrasings],
            [_entry_text(t) for t in entry_terms],
            ngram_range=self.settings.ngram_range,
        )

    def match(self, question: str) -> Match:
        """Score every entry for `question` and decide what to do with it."""
        return self._match(question, exclude=None)

    def match_without(self, entry_id: str, phrasing: int) -> Match:
        """Match one of an entry's own phrasings as if the base did not hold it.

        `phrasing` 0 is the question, 1.. the alternatives. Staff checks use this to find
        phrasings another entry would steal.
        """
        index = self._ids.index(entry_id)
        entry = self.kb.entries[index]
        row = self._terms.phrasing_row(index, phrasing)
        return self._match(entry.phrasings[phrasing], exclude=row)

    def _match(self, question: str, *, exclude: int | None) -> Match:
        text = question[: self.settings.max_question_chars]
        raw = self._score(self.analyzer.analyze(text), exclude)
        repaired_analysis = self.analyzer.analyze(text, correct=self._speller.correct)
        best = raw
        if repaired_analysis.corrected:
            repaired = self._score(repaired_analysis, exclude)
            if repaired.scores.max(initial=0.0) > raw.scores.max(initial=0.0):
                best = repaired
        return self._verdict(question, best)

    def _score(self, analysis: Analysis, exclude: int | None) -> Scored:
        w = self.settings.weights
        terms = self._terms.score(analysis.terms, exclude=exclude)
        scores = (
            w.char_phrasing * self._vectors.phrasing_similarity(analysis.words, exclude=exclude)
            + w.best_phrasing * terms.best_phrasing
            + w.entry_lemmas * self._vectors.entry_similarity(analysis.lemmas)
            + w.phrasing_coverage * terms.phrasing_coverage
        )
        return Scored(analysis, scores)

    def _verdict(self, question: str, scored: Scored) -> Match:
        scores = scored.scores
        limit = self.settings.reported_candidates
        if not len(scores) or not scored.analysis.terms:
            return Match(question, Action.HANDOFF, None, 0.0, (), ())
        top = np.argsort(-scores, kind="stable")[:limit]
        ranked = tuple(
            Candidate(
                self._ids[i],
                float(np.clip(scores[i], 0.0, 1.0)),
                self._terms.shared(scored.analysis.terms, int(i)),
            )
            for i in top
            if scores[i] > 0
        )
        if not ranked:
            return Match(question, Action.HANDOFF, None, 0.0, (), ())
        action, offered = decide(ranked, self.settings.thresholds)
        best = ranked[0]
        return Match(
            question, action, best.entry_id, best.score, ranked, best.matched_terms, offered
        )


def _entry_text(terms: EntryTerms) -> str:
    # Phrasings and keywords count twice: they say what the entry is about; the answer
    # only supports them.
    keyed = [t for p in terms.phrasings for t in p] + list(terms.keywords)
    return " ".join(keyed + keyed + list(terms.answer))
