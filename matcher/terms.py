"""Key-term evidence: which of a question's terms each entry shares, weighted by rarity."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from matcher.postings import NO_FACTORS, Features, FloatArray

# Entries whose term sets are remembered for explaining a match (about 2 KB each).
TERM_SETS = 2_048


@dataclass(frozen=True, slots=True)
class EntryTerms:
    """One entry's key terms, field by field."""

    phrasings: tuple[tuple[str, ...], ...]  # the question and each alternative
    keywords: tuple[str, ...]
    answer: tuple[str, ...]

    @property
    def keyed(self) -> list[str]:
        """Terms of the phrasings and keywords: what the entry is about."""
        return [t for p in self.phrasings for t in p] + list(self.keywords)

    def keyed_without(self, phrasing: int) -> set[str]:
        """The keyed terms if one phrasing were gone."""
        kept = [p for i, p in enumerate(self.phrasings) if i != phrasing]
        return {t for p in kept for t in p} | set(self.keywords)


class TermIndex:
    """Inverted index of key terms over entries, with IDF weights.

    A term's weight is its BM25 inverse document frequency over entries, so a term that few
    entries share decides more than one that every entry has. Terms no entry has weigh as the
    rarest: an off-topic question is mostly such terms, which keeps its coverage low.
    """

    def __init__(self, entries: Sequence[EntryTerms]) -> None:
        vocabulary: dict[str, int] = {}
        keyed: list[int] = []  # the columns of every entry's keyed terms, entry after entry
        answers: list[int] = []  # and of its answer's terms
        keyed_sizes, answer_sizes = [], []
        for entry in entries:
            keyed.extend(vocabulary.setdefault(t, len(vocabulary)) for t in entry.keyed)
            answers.extend(vocabulary.setdefault(t, len(vocabulary)) for t in entry.answer)
            keyed_sizes.append(len(keyed))
            answer_sizes.append(len(answers))
        self._columns = vocabulary
        n = len(entries)
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        # Per entry, each term once: (entry, column) pairs as one sorted array of keys.
        width = max(len(vocabulary), 1)
        held_keyed = _pairs(keyed, keyed_sizes, width)
        del keyed
        held = np.union1d(held_keyed, _pairs(answers, answer_sizes, width))
        del answers
        df = np.bincount(held % width, minlength=len(vocabulary))
        self.idf: FloatArray = np.log(1 + (n - df + 0.5) / (df + 0.5))
        rows, columns = np.divmod(held_keyed, width)
        # entries × terms of their phrasings and keywords, 0/1
        self.keyed = sparse.csr_matrix(
            (np.ones(len(columns)), columns, np.searchsorted(rows, np.arange(n + 1))),
            shape=(n, len(vocabulary)),
        )
        # The same IDFs as Python floats: a question asks for each of its terms' weight, and
        # reading one numpy scalar costs more than a dict lookup.
        self._weights: dict[str, float] = dict(zip(vocabulary, self.idf.tolist(), strict=True))
        self._entries = list(entries)
        self.size = n
        self._terms_of = lru_cache(maxsize=TERM_SETS)(self._terms_of_uncached)

    def _terms_of_uncached(self, entry: int) -> frozenset[str]:
        """Every key term of an entry, its answer's included."""
        return frozenset((*self._entries[entry].keyed, *self._entries[entry].answer))

    def weight(self, term: str) -> float:
        """The term's IDF, or the weight of an unseen term."""
        return self._weights.get(term, self._unknown_idf)

    def queries(self, readings: Sequence[Sequence[str]], *, factors: bool = True) -> Features:
        """The known terms of each reading, weighted so that summing them over `keyed` gives
        per entry the share of the reading's term weight its phrasings and keywords hold;
        `factors` False: `Features.factors` left out (`NO_FACTORS`)."""
        weight = self._weights.get
        unknown = self._unknown_idf
        masses = []
        found: dict[str, list[int]] = {}  # known term → the readings that have it
        for row, terms in enumerate(readings):
            unique = list(dict.fromkeys(terms))
            masses.append(sum(weight(t, unknown) for t in unique))
            for t in unique:
                if t in self._columns:
                    found.setdefault(t, []).append(row)
        columns = np.asarray([self._columns[t] for t in found], np.int64)
        weights = [self._weights[t] for t in found]
        scales = [1.0 / mass if mass > 0 else 1.0 for mass in masses]
        # Built in Python and converted once: a numpy assignment per term costs more.
        have = [set(rows) for rows in found.values()]
        presence, counted = [], []
        for row, scale in enumerate(scales):
            held = [row in rows for rows in have]
            if factors:
                presence.append([1.0 if h else 0.0 for h in held])
            counted.append([w * scale if h else 0.0 for w, h in zip(weights, held, strict=True)])
        shape = (len(readings), len(found))
        return Features(
            columns,
            np.asarray(weights, np.float64),
            np.array(presence, np.float64).reshape(shape) if factors else NO_FACTORS,
            np.asarray(scales, np.float64)[:, None],
            np.zeros(len(found), np.int64),
            np.array(counted, np.float64).reshape(shape),
        )

    def coverage_without(self, terms: Sequence[str], entry: int, phrasing: int) -> float:
        """The coverage for one entry as if one of its phrasings were gone."""
        unique = list(dict.fromkeys(terms))
        mass = sum(self.weight(t) for t in unique)
        have = self._entries[entry].keyed_without(phrasing)
        return sum(self.weight(t) for t in unique if t in have) / mass if mass else 0.0

    def shared(self, terms: Sequence[str], entry: int) -> tuple[str, ...]:
        """The question's terms the entry has, rarest first."""
        # Worked out for the entries asked about, the last few thousand remembered: a set per
        # entry kept ready costs more memory (about 2 KB an entry) than this costs time.
        have = self._terms_of(entry)
        found = [t for t in dict.fromkeys(terms) if t in have]
        return tuple(sorted(found, key=self.weight, reverse=True))


def _pairs(columns: list[int], ends: list[int], width: int) -> NDArray[np.int64]:
    """Distinct (entry, column) pairs as sorted keys entry × width + column; entry i's
    columns are `columns[ends[i - 1]:ends[i]]`."""
    bounds = np.asarray([0, *ends], dtype=np.int64)
    owner = np.repeat(np.arange(len(ends), dtype=np.int64), bounds[1:] - bounds[:-1])
    return np.unique(owner * width + np.asarray(columns, dtype=np.int64))
