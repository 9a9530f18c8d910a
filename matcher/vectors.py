"""TF-IDF vectors of entries, and of questions against them.

Two views of an entry complement the key-term index:
- character n-grams of its phrasings (question and alternatives), robust to word forms and
  typos the speller could not repair. The entry's vector is the centroid of its phrasings'
  vectors, so a phrasing can be taken out again exactly (for the staff's conflict check);
- a TF-IDF over the lemmas of the whole entry, phrasings counted twice and then the answer,
  which lets the answer's words count too. Each lemma's stem (`matcher.stems`) is a feature
  beside it, so that a word family ("загрузка", "загрузить") shares one.

The features of every reading of a question are found in one pass; the engine sums them
against the entries' matrices (`matcher.postings`).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from matcher.postings import NO_FACTORS, Features, FloatArray, IntArray
from matcher.tfidf import CHUNK, Tfidf, WordFeatures, char_wb_ngrams, fit_tfidf

# A vector as its nonzero columns and their values.
SparseVector = tuple[IntArray, FloatArray]

# Marks a stem feature, so that a stem is never taken for a lemma spelt the same ("код").
STEM_MARK = "~"
# Distinct words whose features are remembered; words repeat far more than they vary.
WORD_CACHE = 200_000
# Up to this many features in all, `many` counts texts in Python (a staff check's lemma text:
# a dozen or two); beyond, with numpy (a text's character n-grams: a few hundred).
FEW_FEATURES = 64
# A column in a word's packed features (`Tfidf.word_columns`): a native 64-bit integer.
COLUMN_BYTES = 8
# The offsets of a single vectoriser's columns (`_count`).
ONE_PART = np.zeros(1, np.int64)
# 1 + ln(count) by count, worked out by numpy as `_count` does, so that both ways agree.
SUBLINEAR_TF: list[float] = [0.0, *(1.0 + np.log(np.arange(1, FEW_FEATURES + 1))).tolist()]


@dataclass(frozen=True, slots=True)
class FittedVectors:
    """What fitting gives: the index that vectorises questions, and the entries' matrices.

    The matrices (entries × features, as row chunks top to bottom: they are never stacked
    whole) are only needed to build the postings the engine sums; keeping them apart lets
    them be freed once that is done.
    """

    index: VectorIndex
    chars: tuple[sparse.csr_matrix, ...]  # n-gram TF-IDF of each entry's phrasings' centroid
    lemmas: tuple[sparse.csr_matrix, ...]  # lemma TF-IDF of each whole entry
    # Both are unit length per entry, 32-bit.


def fit_vectors(
    phrasings: Sequence[Sequence[str]],
    entries: Sequence[str],
    *,
    stem: Callable[[str], str] | None = None,
    ngram_range: tuple[int, int] = (2, 3),
    chunk: int = CHUNK,
) -> FittedVectors:
    """Fit both views; `phrasings[i]`: entry i's normalised phrasings, `entries[i]`: its
    lemma text, `stem`: a lemma's stem, a feature beside the lemma (None: lemmas alone).

    Each is `TfidfVectorizer(sublinear_tf=True)` fitted as scikit-learn fits it, by
    `matcher.tfidf`: a chunk of entries at a time, so that the phrasings' matrix, the biggest
    thing this builds, is never whole.
    """
    flat = [text for texts in phrasings for text in texts]
    chars = fit_tfidf(flat, partial(char_wb_ngrams, ngram_range=ngram_range), dtype=np.float32)
    # Entries a chunk: about `chunk` phrasings.
    step = max(chunk * len(phrasings) // max(len(flat), 1), 1)
    del flat
    centroids = tuple(
        _centroids(phrasings[start : start + step], chars)
        for start in range(0, len(phrasings), step)
    )
    features: WordFeatures = _single if stem is None else partial(_with_stem, stem=stem)
    lemmas = fit_tfidf(entries, features, dtype=np.float64, chunk=chunk)
    by_entry = tuple(rows.astype(np.float32) for rows in lemmas.rows(entries, chunk=chunk))
    index = VectorIndex(QueryVectorizer(chars), QueryVectorizer(lemmas), phrasings)
    return FittedVectors(index, centroids, by_entry)


def _centroids(phrasings: Sequence[Sequence[str]], chars: Tfidf) -> sparse.csr_matrix:
    """The centroid of each entry's phrasings' n-gram vectors, unit length."""
    owners = np.asarray([i for i, texts in enumerate(phrasings) for _ in texts])
    grouping = sparse.csr_matrix(
        (np.ones(len(owners), dtype=np.float32), (owners, np.arange(len(owners)))),
        shape=(len(phrasings), len(owners)),
    )
    by_phrasing = chars.transform([text for texts in phrasings for text in texts])
    centroids = sparse.csr_matrix(grouping @ by_phrasing)
    del by_phrasing
    row_of = np.repeat(np.arange(len(phrasings)), np.diff(centroids.indptr))
    squares = np.bincount(row_of, centroids.data.astype(np.float64) ** 2, len(phrasings))
    centroids.data /= np.maximum(np.sqrt(squares), 1e-12)[row_of]
    return centroids


def _single(word: str) -> tuple[str]:
    """A lemma text's features: its words as they are."""
    return (word,)


def _with_stem(word: str, *, stem: Callable[[str], str]) -> tuple[str, str]:
    """A lemma text's features: each word and its stem (a distinct word is stemmed once)."""
    return word, STEM_MARK + stem(word)


def _starts_of_runs(ordered: IntArray) -> NDArray[np.bool_]:
    """Where each run of equal values of a sorted array starts (np.diff's wrapper costs more
    than the comparison for the few hundred values of a question)."""
    starts = np.empty(len(ordered), dtype=bool)
    starts[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    return starts


def _count(
    packed: Sequence[bytes],
    offsets: IntArray,
    idf: FloatArray,
    readings: int,
    *,
    factors: bool = True,
) -> Features:
    """The features of `readings` texts in one or more parts: `packed` holds each part's
    texts' columns in turn (`QueryVectorizer.packed`), a part's columns `offsets` from the
    first's; `idf` is every part's, side by side. Sublinear TF × IDF, each text's part
    L2-normalised: scikit-learn's `transform` of each part, to the bit (a test checks it).

    One sort of (column, text) keys gives every text's term frequencies at once, and the
    columns in order. A question has a few hundred features: sorting them costs less than
    anything the size of the vocabulary, and np.unique costs more in its Python layer.
    """
    sizes = [len(p) // COLUMN_BYTES for p in packed]
    found = np.frombuffer(b"".join(packed), np.int64)
    # Each part's columns after the ones before it, and the text: its key's remainder.
    shift = [offset * readings + text for offset in offsets.tolist() for text in range(readings)]
    keys = found * readings + np.array(shift, np.int64).repeat(sizes)
    keys.sort()
    # Where each run of equal keys starts, and where the last one ends.
    edges = np.empty(len(keys) + 1, dtype=bool)
    edges[0] = edges[-1] = True
    np.not_equal(keys[1:], keys[:-1], out=edges[1:-1])
    bounds = edges.nonzero()[0]
    firsts = bounds[:-1]
    counts = bounds[1:] - firsts
    columns, rows = np.divmod(keys.take(firsts), readings)
    new_column = _starts_of_runs(columns)
    union = columns[new_column]
    where = new_column.cumsum() - 1
    values = 1.0 + np.log(counts)
    weights = idf.take(union)
    weighted = values * weights.take(where)
    # Each (text, part) its own norm: its squares summed in the order of its columns, as
    # when the part is counted alone.
    width = len(offsets)
    part = offsets.searchsorted(union, side="right") - 1
    held = rows * width + part.take(where)
    norms = np.sqrt(np.bincount(held, weighted * weighted, readings * width))
    scales = 1.0 / np.where(norms > 0, norms, 1.0)
    tf = NO_FACTORS
    if factors:
        tf = np.zeros((readings, len(union)))
        tf[rows, where] = values
    counted = np.zeros((readings, len(union)))
    counted[rows, where] = weighted * scales.take(held)
    return Features(union, weights, tf, scales.reshape(readings, width), part, counted)


class VectorIndex:
    """Turns questions into TF-IDF features, and works out cosines for the staff's checks."""

    def __init__(
        self,
        chars: QueryVectorizer,
        lemmas: QueryVectorizer,
        phrasings: Sequence[Sequence[str]],
    ) -> None:
        self._char_vector = chars
        self._lemma_vector = lemmas
        # Both vectorisers' columns side by side, the lemmas' after the n-grams', as the
        # engine's postings hold the two blocks (`queries`).
        self._offsets = np.array([0, chars.width], np.int64)
        self._idf: FloatArray = np.concatenate((chars.idf, lemmas.idf))
        # Only the staff's leave-one-out check needs single phrasings again: it vectorises
        # them anew, which costs less than keeping every phrasing's vector.
        self._phrasings = [tuple(texts) for texts in phrasings]
        # The check walks entry by entry: a few entries' vectors are enough to keep.
        self._entry_sum = lru_cache(maxsize=4)(self._entry_sum_uncached)

    @property
    def chars(self) -> QueryVectorizer:
        """The character n-grams' vectoriser."""
        return self._char_vector

    @property
    def lemmas(self) -> QueryVectorizer:
        """The lemmas' vectoriser."""
        return self._lemma_vector

    def queries(
        self, words: Sequence[str], lemmas: Sequence[str], *, factors: bool = True
    ) -> Features:
        """Each reading's character n-grams (of its normalised `words`) and lemma features
        (of its `lemmas`), side by side: the lemmas' columns after all the n-grams', each a
        part normalised on its own. Counted in one pass: two would make twice the numpy
        calls, which cost more than the counting (the words path 12% quicker;
        scripts/MEASUREMENTS.md, Speed).
        `factors` False: `Features.factors` left out (`NO_FACTORS`)."""
        packed = self._char_vector.packed(words) + self._lemma_vector.packed(lemmas)
        return _count(packed, self._offsets, self._idf, len(words), factors=factors)

    def phrasing_words(self, entry: int, phrasing: int) -> str:
        """The normalised words of one phrasing of an entry (0: its question)."""
        return self._phrasings[entry][phrasing]

    def char_similarity_without(self, text: str, entry: int, phrasing: int) -> float:
        """The cosine for one entry as if one of its phrasings (0: the question) were gone."""
        total, by_phrasing = self._entry_sum(entry)
        columns, values = by_phrasing[phrasing]
        # The rest of the entry is its sum less that phrasing: |rest|² = |sum|² - 2 sum·p + |p|².
        rest = total.copy()
        rest[columns] -= values
        norm = float(np.sqrt(rest @ rest))
        if norm <= 1e-9:
            return 0.0
        query_columns, query_values = self._char_vector(text)
        return float(query_values @ rest[query_columns]) / norm

    def _entry_sum_uncached(self, entry: int) -> tuple[FloatArray, list[SparseVector]]:
        """An entry's phrasings' n-gram vectors, and their sum over the whole vocabulary.

        The staff's check takes each phrasing of an entry out in turn: the vectors are found
        once per entry (cached) instead of once per phrasing left in.
        """
        by_phrasing = [self._char_vector(text) for text in self._phrasings[entry]]
        total = np.zeros(self._char_vector.width)
        for columns, values in by_phrasing:
            total[columns] += values
        return total, by_phrasing

    def entry_similarity_to(self, lemmas: str, entry_text: str) -> float:
        """Lemma TF-IDF cosine of the question with an entry text given here."""
        columns, values = self._lemma_vector(lemmas)
        return float(values @ self._lemma_vector.dense(entry_text)[columns])


class QueryVectorizer:
    """A fitted TF-IDF's transform for a few texts, with sublinear TF and L2 norm.

    scikit-learn's `TfidfVectorizer.transform` validates its input on every call, which costs
    about a millisecond: more than the whole match; a test checks the two agree. A word's
    features are found once, which is exact because they never cross a space.
    """

    def __init__(self, fitted: Tfidf, *, cache_size: int = WORD_CACHE) -> None:
        self._features = fitted.features
        self._vocabulary = fitted.vocabulary
        self._idf: FloatArray = np.asarray(fitted.idf, dtype=np.float64)
        # The fitted words' features, worked out when fitting: a question's words are mostly
        # the base's, and analysing one anew (its n-grams, its stem) costs more than the rest
        # of its share of the question.
        self._fitted_words = fitted.word_columns()
        self._word_features = lru_cache(maxsize=cache_size)(self._word_features_uncached)

    def _word_features_uncached(self, word: str) -> bytes:
        """The word's feature columns, as `Tfidf.word_columns` gives them (64-bit, packed)."""
        fitted = self._fitted_words.get(word)
        if fitted is not None:
            return fitted
        column = self._vocabulary.get
        columns = [c for g in self._features(word) if (c := column(g)) is not None]
        return array("q", columns).tobytes()

    @property
    def idf(self) -> FloatArray:
        """The fitted IDF of each column."""
        return self._idf

    def __call__(self, text: str) -> tuple[IntArray, FloatArray]:
        """The text's feature columns and their TF-IDF weights, L2-normalised."""
        found = self.many([text])
        values = found.counted[0]
        return found.columns[values > 0], values[values > 0]

    def packed(self, texts: Sequence[str]) -> list[bytes]:
        """Each text's feature columns, packed: its words' bytes joined (no Python int is
        read). A fitted word's are read from their dict; only other words go through the
        cache, whose every hit also reorders its list."""
        fitted, other = self._fitted_words.get, self._word_features
        return [b"".join([fitted(w) or other(w) for w in t.split()]) for t in texts]

    def many(self, texts: Sequence[str]) -> Features:
        """The features of several texts, counted in one pass."""
        packed = self.packed(texts)
        if sum(map(len, packed)) <= FEW_FEATURES * COLUMN_BYTES:
            return self._count_few([memoryview(p).cast("q").tolist() for p in packed])
        return _count(packed, ONE_PART, self._idf, len(texts))

    def _count_few(self, per_text: list[list[int]]) -> Features:
        """`many` for a few features (a lemma text's), counted in Python, where
        numpy costs more per call than the work. The same arithmetic in the same order: the
        same bits (a test checks it)."""
        union = sorted({c for found in per_text for c in found})
        place = {c: i for i, c in enumerate(union)}
        columns = np.array(union, dtype=np.int64)  # converted once, then taken from
        idf = self._idf.take(columns)
        weights = idf.tolist()
        # Rows of Python floats, converted once: a numpy assignment per feature costs more.
        tf = [[0.0] * len(union) for _ in per_text]
        scales = []
        for line, found in zip(tf, per_text, strict=True):
            counts: dict[int, int] = {}
            for c in found:
                counts[c] = counts.get(c, 0) + 1
            squares = 0.0
            for c in sorted(counts):
                value = SUBLINEAR_TF[counts[c]]
                at = place[c]
                line[at] = value
                weighted = value * weights[at]
                squares += weighted * weighted
            scales.append(1.0 / math.sqrt(squares) if squares > 0 else 1.0)
        factors = np.array(tf, dtype=np.float64).reshape(len(per_text), len(union))
        return Features.of_one_part(columns, idf, factors, np.asarray(scales))

    @property
    def width(self) -> int:
        """How many features the fitted vocabulary has."""
        return len(self._idf)

    def dense(self, text: str) -> FloatArray:
        """The text's TF-IDF vector over the whole vocabulary."""
        columns, values = self(text)
        vector = np.zeros(len(self._idf))
        vector[columns] = values
        return vector
