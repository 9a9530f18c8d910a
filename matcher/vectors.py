"""The one boundary with scikit-learn: TF-IDF vectors of phrasings and of whole entries.

Two views complement the key-term index: character n-grams of each phrasing's words, robust
to word forms and typos the speller could not repair, and a TF-IDF over the lemmas of the whole
entry (phrasings counted twice, then the answer), which lets the answer's words count too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

FloatArray = NDArray[np.float64]


class VectorIndex:
    """Cosine similarities of a question with each entry's phrasings and with each entry."""

    def __init__(
        self,
        phrasings: Sequence[Sequence[str]],
        entries: Sequence[str],
        *,
        ngram_range: tuple[int, int] = (2, 5),
    ) -> None:
        """`phrasings[i]`: entry i's normalised phrasings; `entries[i]`: its lemma text."""
        from sklearn.feature_extraction.text import TfidfVectorizer  # heavy: import on build

        flat = [text for texts in phrasings for text in texts]
        owners = np.asarray([i for i, texts in enumerate(phrasings) for _ in texts])
        self._chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=ngram_range, sublinear_tf=True, dtype=np.float32
        )
        self._phrasings = self._chars.fit_transform(flat).T.tocsr()  # n-grams × phrasings
        self._lemmas = TfidfVectorizer(
            analyzer=str.split, sublinear_tf=True, dtype=np.float32
        )
        self._entries = self._lemmas.fit_transform(entries).T.tocsr()  # lemmas × entries
        self._starts = np.searchsorted(owners, np.arange(len(phrasings)))
        self.size = len(phrasings)
        self._char_vector = _QueryVectorizer(self._chars)
        self._lemma_vector = _QueryVectorizer(self._lemmas)

    def phrasing_similarity(self, text: str, *, exclude: int | None = None) -> FloatArray:
        """Character n-gram cosine of `text` with each entry's closest phrasing.

        `exclude` leaves one phrasing row out, to ask how an entry fares without it.
        """
        if not text.strip():
            return np.zeros(self.size)
        query = self._char_vector(text)
        cosine = (query @ self._phrasings).toarray().ravel()
        if exclude is not None:
            cosine[exclude] = 0.0
        return np.maximum.reduceat(cosine, self._starts).astype(np.float64)

    def entry_similarity(self, lemmas: str) -> FloatArray:
        """Lemma TF-IDF cosine of the question's key terms with each whole entry."""
        if not lemmas.strip():
            return np.zeros(self.size)
        query = self._lemma_vector(lemmas)
        return (query @ self._entries).toarray().ravel().astype(np.float64)


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
        self._width = len(self._vocabulary)

    def __call__(self, text: str) -> sparse.csr_matrix:
        vocabulary = self._vocabulary
        counts = Counter(vocabulary[g] for g in self._analyze(text) if g in vocabulary)
        columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        order = np.argsort(columns)
        columns = columns[order]
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))[order]
        values = (1.0 + np.log(tf)) * self._idf[columns]
        norm = np.sqrt(values @ values)
        if norm > 0:
            values /= norm
        return sparse.csr_matrix(
            (values.astype(np.float32), columns, np.array([0, len(columns)])),
            shape=(1, self._width),
        )
