"""Key-term evidence: which of a question's terms each entry shares, weighted by rarity."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class EntryTerms:
    """One entry's key terms, field by field."""

    phrasings: tuple[tuple[str, ...], ...]  # the question and each alternative
    keywords: tuple[str, ...]
    answer: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TermScores:
    """Per-entry evidence for one question, each array indexed by entry."""

    phrasing_coverage: FloatArray
    best_phrasing: FloatArray


class TermIndex:
    """Inverted index of key terms over entries and their phrasings, with IDF weights.

    A term's weight is its BM25 inverse document frequency over entries, so a term that few
    entries share decides more than one that every entry has. Terms no entry has weigh as the
    rarest: an off-topic question is mostly such terms, which keeps its scores low.
    """

    def __init__(self, entries: Sequence[EntryTerms]) -> None:
        vocabulary: dict[str, int] = {}
        for entry in entries:
            for term in _all_terms(entry):
                vocabulary.setdefault(term, len(vocabulary))
        self._columns = vocabulary
        n = len(entries)
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        keyed = _binary(
            [set(_phrasing_terms(e)) for e in entries], vocabulary
        )  # entries × terms
        answers = _binary([set(e.answer) for e in entries], vocabulary)
        everywhere = (keyed + answers).astype(bool).astype(np.float64)
        df = np.asarray(everywhere.sum(axis=0)).ravel()
        self.idf: FloatArray = np.log(1 + (n - df + 0.5) / (df + 0.5))
        phrasing_sets = [set(p) | set(e.keywords) for e in entries for p in e.phrasings]
        owners = [i for i, e in enumerate(entries) for _ in e.phrasings]
        self._keyed = keyed.tocsr()
        self._phrasings = _binary(phrasing_sets, vocabulary).tocsr()
        self._phrasing_mass = self._phrasings @ self.idf
        # Phrasings are stored entry by entry, so each entry's rows form one contiguous run.
        self._starts = np.searchsorted(np.asarray(owners), np.arange(n))
        self._entry_terms = [frozenset(_all_terms(e)) for e in entries]
        self.size = n

    def weight(self, term: str) -> float:
        """The term's IDF, or the weight of an unseen term."""
        column = self._columns.get(term)
        return float(self.idf[column]) if column is not None else self._unknown_idf

    def phrasing_row(self, entry: int, phrasing: int) -> int:
        """The row of an entry's phrasing (0 is its question) in phrasing-level arrays."""
        return int(self._starts[entry]) + phrasing

    def score(self, terms: Sequence[str], *, exclude: int | None = None) -> TermScores:
        """Evidence arrays for a question's key terms; `exclude` drops one phrasing row."""
        unique = list(dict.fromkeys(terms))
        mass = sum(self.weight(t) for t in unique)
        known = [self._columns[t] for t in unique if t in self._columns]
        if not known or mass == 0:
            zeros = np.zeros(self.size)
            return TermScores(zeros, zeros)
        query = np.zeros(len(self._columns))
        query[known] = self.idf[known]
        phrasing_overlap = self._phrasings @ query
        dice = 2 * phrasing_overlap / (mass + self._phrasing_mass)
        if exclude is not None:
            dice[exclude] = 0.0
        return TermScores(
            phrasing_coverage=(self._keyed @ query) / mass,
            best_phrasing=np.maximum.reduceat(dice, self._starts),
        )

    def shared(self, terms: Sequence[str], entry: int) -> tuple[str, ...]:
        """The question's terms the entry has, rarest first."""
        have = self._entry_terms[entry]
        found = [t for t in dict.fromkeys(terms) if t in have]
        return tuple(sorted(found, key=self.weight, reverse=True))


def _phrasing_terms(entry: EntryTerms) -> list[str]:
    return [t for p in entry.phrasings for t in p] + list(entry.keywords)


def _all_terms(entry: EntryTerms) -> list[str]:
    return _phrasing_terms(entry) + list(entry.answer)


def _binary(rows: Sequence[set[str]], vocabulary: dict[str, int]) -> sparse.csr_matrix:
    indptr = [0]
    indices: list[int] = []
    for row in rows:
        indices.extend(vocabulary[t] for t in row)
        indptr.append(len(indices))
    data = np.ones(len(indices))
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), len(vocabulary)))
