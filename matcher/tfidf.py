"""TF-IDF fitted a chunk of documents at a time, with scikit-learn's arithmetic.

scikit-learn's `TfidfVectorizer.fit_transform` counts every document's features into Python
lists before it builds one matrix: for 50,000 phrasings that was most of the matcher's peak
memory. Here a document is words separated by spaces and a word's features never cross a
space (character n-grams within word boundaries, single lemmas), so each distinct word is
analysed once and documents are counted with numpy, a chunk at a time.

The figures are scikit-learn's to the bit (smooth IDF, sublinear TF, L2 norm, and each row's
features in the order it leaves them, which decides how sums round); a test checks it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

# A word's features, in the order the analyzer gives them (repeats included).
WordFeatures = Callable[[str], Sequence[str]]
# Documents counted at once: enough for numpy to do the work, few enough to stay small.
CHUNK = 2_000


def char_wb_ngrams(word: str, ngram_range: tuple[int, int]) -> list[str]:
    """scikit-learn's `char_wb` n-grams of one word: lower-cased, padded with a space."""
    low, high = ngram_range
    padded = f" {word.lower()} "
    grams: list[str] = []
    for n in range(low, high + 1):
        # A word shorter than n gives itself once, and longer n-grams nothing new.
        count = max(len(padded) - n + 1, 1)
        grams += [padded[i : i + n] for i in range(count)]  # (a generator costs more)
        if count == 1:
            break
    return grams


@dataclass(frozen=True, slots=True)
class Tfidf:
    """A fitted TF-IDF: features as columns (in sorted order) and their IDF weights."""

    vocabulary: dict[str, int]
    idf: NDArray[np.floating]
    features: WordFeatures
    # Per distinct word of the fitted documents: its features as ranks of first appearance.
    _ranks: dict[str, NDArray[np.int32]]
    _column_of_rank: NDArray[np.int32]

    def word_columns(self) -> dict[str, bytes]:
        """Each fitted word's feature columns, in the order `features` gives them (repeats
        included): what a question's word needs, known without analysing it again. Packed
        as native 64-bit integers: a question's words' bytes are joined and read by numpy at
        once, with no Python int to convert (nor to fetch from memory)."""
        column_of_rank = self._column_of_rank.astype(np.int64)
        return {word: column_of_rank.take(ranks).tobytes() for word, ranks in self._ranks.items()}

    def rows(self, documents: Sequence[str], *, chunk: int = CHUNK) -> Iterator[sparse.csr_matrix]:
        """The documents' L2-normalised TF-IDF rows, `chunk` documents a matrix."""
        for start in range(0, len(documents), chunk):
            yield self.transform(documents[start : start + chunk])

    def transform(self, documents: Sequence[str]) -> sparse.csr_matrix:
        """The documents' L2-normalised TF-IDF rows; their words must be fitted ones."""
        rows, ranks, counts = _count(documents, self._ranks, len(self._column_of_rank))
        columns = self._column_of_rank[ranks]
        dtype = self.idf.dtype
        values = counts.astype(dtype)
        np.log(values, out=values)
        values += 1.0
        values *= self.idf[columns]
        # As scikit-learn's L2 norm: squares in the values' precision, summed in double in
        # row order, and each value divided in double.
        squares = np.bincount(rows, values * values, len(documents))
        norms = np.sqrt(squares)
        values = (values / norms[rows]).astype(dtype)
        indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=len(documents)))))
        return sparse.csr_matrix(
            (values, columns, indptr.astype(np.int32)),
            shape=(len(documents), len(self.vocabulary)),
        )


def fit_tfidf(
    documents: Sequence[str],
    features: WordFeatures,
    *,
    dtype: type[np.floating] = np.float64,
    chunk: int = CHUNK,
) -> Tfidf:
    """Fit as `TfidfVectorizer(sublinear_tf=True)` with an analyzer that gives, for a text,
    the features of its space-separated words in turn; `dtype` as its `dtype`."""
    first_seen: dict[str, int] = {}
    ranks: dict[str, NDArray[np.int32]] = {}
    for document in documents:
        for word in document.split():
            if word not in ranks:
                found = [first_seen.setdefault(f, len(first_seen)) for f in features(word)]
                ranks[word] = np.asarray(found, dtype=np.int32)
    width = len(first_seen)
    column_of_rank = np.empty(width, dtype=np.int32)
    vocabulary = {}
    for column, feature in enumerate(sorted(first_seen)):
        vocabulary[feature] = column
        column_of_rank[first_seen[feature]] = column
    del first_seen
    df = np.zeros(width, dtype=np.int64)
    for start in range(0, len(documents), chunk):
        _, held, _ = _count(documents[start : start + chunk], ranks, width)
        df += np.bincount(held, minlength=width)
    # scikit-learn's smooth IDF, in the same precision and order of operations.
    by_column = np.empty(width, dtype=dtype)
    by_column[column_of_rank] = df
    by_column += 1.0
    idf = np.full_like(by_column, len(documents) + 1)
    idf /= by_column
    np.log(idf, out=idf)
    idf += 1.0
    return Tfidf(vocabulary, idf, features, ranks, column_of_rank)


def _count(
    documents: Sequence[str], ranks: dict[str, NDArray[np.int32]], width: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per (document, feature) held: the document, the feature's rank and its count,
    ordered by document and then rank (scikit-learn's order within a row)."""
    pieces: list[NDArray[np.int32]] = []
    sizes = []
    for document in documents:
        words = [ranks[w] for w in document.split()]
        pieces.extend(words)
        sizes.append(sum(len(w) for w in words))
    found = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int32)
    owner = np.repeat(np.arange(len(documents), dtype=np.int64), sizes)
    keys, counts = np.unique(owner * width + found, return_counts=True)
    rows, held = np.divmod(keys, width)
    return rows, held, counts
