"""The one boundary with scikit-learn: TF-IDF vectors of entries.

Two views of an entry complement the key-term index:
- character n-grams of its phrasings (question and alternatives), robust to word forms and
  typos the speller could not repair. The entry's vector is the centroid of its phrasings'
  vectors, so a phrasing can be taken out again exactly (for the staff's conflict check);
- a TF-IDF over the lemmas of the whole entry, phrasings counted twice and then the answer,
  which lets the answer's words count too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import sparse

from matcher.postings import FloatArray, IntArray, Postings


class VectorIndex:
    """Cosine similarities of a question with each entry."""

    def __init__(
        self,
        phrasings: Sequence[Sequence[str]],
        entries: Sequence[str],
        *,
        ngram_range: tuple[int, int] = (2, 4),
        max_df: float = 1.0,
    ) -> None:
        """`phrasings[i]`: entry i's normalised phrasings; `entries[i]`: its lemma text."""
        from sklearn.feature_extraction.text import TfidfVectorizer  # heavy: import on build

        flat = [text for texts in phrasings for text in texts]
        owners = np.asarray([i for i, texts in enumerate(phrasings) for _ in texts])
        self._chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=ngram_range,
            sublinear_tf=True,
            max_df=max_df,
            dtype=np.float64,
        )
        by_phrasing = sparse.csr_matrix(self._chars.fit_transform(flat), dtype=np.float32)
        grouping = sparse.csr_matrix(
            (np.ones(len(owners)), (owners, np.arange(len(owners)))),
            shape=(len(phrasings), len(owners)),
        )
        sums = sparse.csr_matrix(grouping @ by_phrasing)  # entries × n-grams, unnormalised
        self._by_phrasing = by_phrasing
        self._sums = sums
        self._char_postings = Postings(sums)
        self._sum_norms: FloatArray = np.sqrt(np.asarray(sums.multiply(sums).sum(axis=1)).ravel())
        self._starts = np.searchsorted(owners, np.arange(len(phrasings)))

        self._lemmas = TfidfVectorizer(analyzer=str.split, sublinear_tf=True, dtype=np.float64)
        # Nothing is pruned, so the fitted vectorizers need not keep a list of pruned terms.
        self._chars.stop_words_ = None
        self._lemma_postings = Postings(self._lemmas.fit_transform(entries))  # entries × lemmas
        self._char_vector = _QueryVectorizer(self._chars)
        self._lemma_vector = _QueryVectorizer(self._lemmas)
        self.size = len(phrasings)

    def char_similarity(self, text: str) -> FloatArray:
        """Character n-gram cosine of `text` with the centroid of each entry's phrasings."""
        columns, values = self._char_vector(text)
        if not len(columns):
            return np.zeros(self.size)
        sums = self._char_postings.sum(columns, values)
        return np.divide(sums, np.maximum(self._sum_norms, 1e-12))

    def char_similarity_without(self, text: str, entry: int, phrasing: int) -> float:
        """The cosine for one entry as if one of its phrasings (0: the question) were gone."""
        columns, values = self._char_vector(text)
        query = sparse.csr_matrix(
            (values, columns, [0, len(columns)]), shape=(1, self._sums.shape[1])
        )
        rest = self._sums[entry] - self._by_phrasing[int(self._starts[entry]) + phrasing]
        norm = float(np.sqrt(rest.multiply(rest).sum()))
        return float((query @ rest.T).sum()) / norm if norm > 1e-9 else 0.0

    def entry_similarity(self, lemmas: str) -> FloatArray:
        """Lemma TF-IDF cosine of the question's key terms with each whole entry."""
        columns, values = self._lemma_vector(lemmas)
        if not len(columns):
            return np.zeros(self.size)
        return self._lemma_postings.sum(columns, values)

    def entry_similarity_to(self, lemmas: str, entry_text: str) -> float:
        """Lemma TF-IDF cosine of the question with an entry text given here."""
        q_columns, q_values = self._lemma_vector(lemmas)
        e_columns, e_values = self._lemma_vector(entry_text)
        weights = dict(zip(e_columns.tolist(), e_values.tolist(), strict=True))
        return float(sum(v * weights.get(c, 0.0) for c, v in zip(q_columns, q_values, strict=True)))


class _QueryVectorizer:
    """`TfidfVectorizer.transform` for one text, without its per-call validation.

    scikit-learn validates its input on every call, which costs about a millisecond: more than
    the whole match. This applies the fitted vectorizer's own analyzer, vocabulary and IDF
    weights with sublinear TF and L2 norm, as its transform does; a test checks they agree.
    """

    def __init__(self, fitted: Any) -> None:
        self._analyze: Callable[[str], list[str]] = fitted.build_analyzer()
        self._vocabulary: dict[str, int] = fitted.vocabulary_
        self._idf: FloatArray = np.asarray(fitted.idf_, dtype=np.float64)

    def __call__(self, text: str) -> tuple[IntArray, FloatArray]:
        """The text's feature columns and their TF-IDF weights, L2-normalised."""
        vocabulary = self._vocabulary
        counts = Counter(vocabulary[g] for g in self._analyze(text) if g in vocabulary)
        columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        values = (1.0 + np.log(tf)) * self._idf[columns]
        norm = np.sqrt(values @ values)
        if norm > 0:
            values /= norm
        return columns, values
