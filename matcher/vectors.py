"""The one boundary with scikit-learn: TF-IDF vectors of entries.

Two views of an entry complement the key-term index:
- character n-grams of its phrasings (question and alternatives), robust to word forms and
  typos the speller could not repair. The entry's vector is the centroid of its phrasings'
  vectors, so a phrasing can be taken out again exactly (for the staff's conflict check);
- a TF-IDF over the lemmas of the whole entry, phrasings counted twice and then the answer,
  which lets the answer's words count too.

The features of every reading of a question are found in one pass; the engine sums them
against the entries' matrices (`matcher.postings`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any

import numpy as np
from scipy import sparse

from matcher.postings import Features, FloatArray, IntArray

# Distinct words whose features are remembered; words repeat far more than they vary.
WORD_CACHE = 200_000


@dataclass(frozen=True, slots=True)
class FittedVectors:
    """What fitting gives: the index that vectorises questions, and the entries' matrices.

    The matrices (entries × features) are only needed to build the postings the engine sums;
    keeping them apart lets them be freed once that is done.
    """

    index: VectorIndex
    chars: sparse.csc_matrix  # n-gram TF-IDF of each entry's phrasings' centroid, unit length
    lemmas: sparse.csr_matrix  # lemma TF-IDF of each whole entry, unit length (both 32-bit)


def fit_vectors(
    phrasings: Sequence[Sequence[str]],
    entries: Sequence[str],
    *,
    ngram_range: tuple[int, int] = (2, 4),
    max_df: float = 1.0,
) -> FittedVectors:
    """Fit both views; `phrasings[i]`: entry i's normalised phrasings, `entries[i]`: its
    lemma text."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # heavy: import on build

    flat = [text for texts in phrasings for text in texts]
    owners = np.asarray([i for i, texts in enumerate(phrasings) for _ in texts])
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=ngram_range,
        sublinear_tf=True,
        max_df=max_df,
        dtype=np.float32,  # the phrasings' matrix is the biggest thing built: half the memory
    )
    by_phrasing = sparse.csr_matrix(chars.fit_transform(flat))
    grouping = sparse.csr_matrix(
        (np.ones(len(owners), dtype=np.float32), (owners, np.arange(len(owners)))),
        shape=(len(phrasings), len(owners)),
    )
    centroids = sparse.csr_matrix(grouping @ by_phrasing)  # entries × n-grams
    del by_phrasing
    row_of = np.repeat(np.arange(len(phrasings)), np.diff(centroids.indptr))
    squares = np.bincount(row_of, centroids.data.astype(np.float64) ** 2, len(phrasings))
    centroids.data /= np.maximum(np.sqrt(squares), 1e-12)[row_of]
    del row_of
    # By column: what the engine's postings are made of, so they need not copy it again.
    centroids = centroids.tocsc()
    lemmas = TfidfVectorizer(analyzer=str.split, sublinear_tf=True, dtype=np.float64)
    by_entry = sparse.csr_matrix(lemmas.fit_transform(entries), dtype=np.float32)
    # Nothing is pruned, so the fitted vectorizers need not keep a list of pruned terms.
    chars.stop_words_ = None
    index = VectorIndex(_QueryVectorizer(chars), _QueryVectorizer(lemmas), phrasings)
    return FittedVectors(index, centroids, by_entry)


class VectorIndex:
    """Turns questions into TF-IDF features, and works out cosines for the staff's checks."""

    def __init__(
        self,
        chars: _QueryVectorizer,
        lemmas: _QueryVectorizer,
        phrasings: Sequence[Sequence[str]],
    ) -> None:
        self._char_vector = chars
        self._lemma_vector = lemmas
        # Only the staff's leave-one-out check needs single phrasings again: it vectorises
        # them anew, which costs less than keeping every phrasing's vector.
        self._phrasings = [tuple(texts) for texts in phrasings]

    def char_queries(self, texts: Sequence[str]) -> Features:
        """The character n-grams of each text (the normalised words of one reading)."""
        return self._char_vector.many(texts)

    def lemma_queries(self, lemmas: Sequence[str]) -> Features:
        """The lemma features of each text of key terms."""
        return self._lemma_vector.many(lemmas)

    def char_similarity_without(self, text: str, entry: int, phrasing: int) -> float:
        """The cosine for one entry as if one of its phrasings (0: the question) were gone."""
        query = self._char_vector.dense(text)
        rest = np.zeros_like(query)
        for i, other in enumerate(self._phrasings[entry]):
            if i != phrasing:
                rest += self._char_vector.dense(other)
        norm = float(np.sqrt(rest @ rest))
        return float(query @ rest) / norm if norm > 1e-9 else 0.0

    def entry_similarity_to(self, lemmas: str, entry_text: str) -> float:
        """Lemma TF-IDF cosine of the question with an entry text given here."""
        return float(self._lemma_vector.dense(lemmas) @ self._lemma_vector.dense(entry_text))


class _QueryVectorizer:
    """`TfidfVectorizer.transform` for a few texts, without its per-call validation.

    scikit-learn validates its input on every call, which costs about a millisecond: more than
    the whole match. This applies the fitted vectorizer's own analyzer, vocabulary and IDF
    weights with sublinear TF and L2 norm, as its transform does; a test checks they agree.
    The analyzer runs once per distinct word, which is exact for analyzers whose features
    never cross a space (`char_wb` n-grams, `str.split`, single words).
    """

    def __init__(self, fitted: Any, *, cache_size: int = WORD_CACHE) -> None:
        self._analyze: Callable[[str], list[str]] = fitted.build_analyzer()
        self._vocabulary: dict[str, int] = fitted.vocabulary_
        self._idf: FloatArray = np.asarray(fitted.idf_, dtype=np.float64)
        self._word_features = lru_cache(maxsize=cache_size)(self._word_features_uncached)

    def _word_features_uncached(self, word: str) -> tuple[int, ...]:
        vocabulary = self._vocabulary
        return tuple(vocabulary[g] for g in self._analyze(word) if g in vocabulary)

    def __call__(self, text: str) -> tuple[IntArray, FloatArray]:
        """The text's feature columns and their TF-IDF weights, L2-normalised."""
        found = self.many([text])
        values = found.weights * found.factors[0] * found.scales[0]
        return found.columns[values > 0], values[values > 0]

    def many(self, texts: Sequence[str]) -> Features:
        """The features of several texts, counted in one pass."""
        features = [
            np.fromiter(chain.from_iterable(map(self._word_features, text.split())), np.int64)
            for text in texts
        ]
        found = np.concatenate(features)
        owner = np.repeat(np.arange(len(texts)), [len(f) for f in features])
        width = len(self._idf)
        # One count over (text, column) keys gives every text's term frequencies at once
        # (bincount and flatnonzero: np.unique costs more in its Python layer than this).
        per_key = np.bincount(owner * width + found, minlength=len(texts) * width)
        keys = np.flatnonzero(per_key)
        counts = per_key[keys]
        rows, columns = np.divmod(keys, width)
        present = np.zeros(width, dtype=bool)
        present[columns] = True
        union = np.flatnonzero(present)
        where = np.searchsorted(union, columns)
        tf = np.zeros((len(texts), len(union)))
        tf[rows, where] = 1.0 + np.log(counts)
        idf = self._idf[union]
        norms = np.sqrt(np.bincount(rows, (tf[rows, where] * idf[where]) ** 2, len(texts)))
        return Features(union, idf, tf, 1.0 / np.where(norms > 0, norms, 1.0))

    def dense(self, text: str) -> FloatArray:
        """The text's TF-IDF vector over the whole vocabulary."""
        columns, values = self(text)
        vector = np.zeros(len(self._idf))
        vector[columns] = values
        return vector
