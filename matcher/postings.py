"""Postings lists: for each feature, the rows that hold it and with what weight.

Scoring a question means summing the postings of its few features, the rows of a
features × rows sparse matrix. Short sums are gathered with numpy (a handful of calls); long
ones go to scipy's compiled row slicing, whose fixed cost only pays off when there is a lot to
add. Either way no per-question sparse matrix is built, which costs more than the sum.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Above this many postings to add, scipy's row slicing beats the numpy gather (measured with
# scripts/bench_speed.py on 1,000- and 10,000-entry bases).
SCIPY_FROM = 40_000


class Postings:
    """Feature → (rows, weights), built from a rows × features sparse matrix."""

    def __init__(self, matrix: sparse.spmatrix | sparse.sparray) -> None:
        # 32-bit weights: the postings are most of the index's memory, and scores need no more.
        by_feature = sparse.csr_matrix(sparse.csr_matrix(matrix).T, dtype=np.float32)
        by_feature.sort_indices()
        self._by_feature = by_feature
        self._starts: IntArray = by_feature.indptr[:-1].astype(np.int64)
        self._lengths: IntArray = np.diff(by_feature.indptr).astype(np.int64)
        self.rows = by_feature.shape[1]

    def sum(self, features: IntArray, weights: FloatArray) -> FloatArray:
        """For every row, the sum over `features` of weight × the row's value of the feature."""
        lengths = self._lengths[features]
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(self.rows)
        if total >= SCIPY_FROM:
            picked = self._by_feature[features]
            return np.asarray(weights.astype(np.float32) @ picked, dtype=np.float64).ravel()
        # Positions of every posting of every feature, as one flat array.
        offsets = np.repeat(self._starts[features] - np.cumsum(lengths) + lengths, lengths)
        positions = offsets + np.arange(total)
        values = self._by_feature.data[positions] * np.repeat(weights, lengths)
        rows = self._by_feature.indices[positions]
        summed = np.bincount(rows, weights=values, minlength=self.rows)
        return summed.astype(np.float64, copy=False)
