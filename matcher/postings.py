"""Postings lists: for each feature, the rows that hold it and with what weight.

Scoring a question means summing the postings of its few features. scipy's sparse products do
that, but spend more time checking their arguments than multiplying for one short question;
this does the same sum with two numpy calls.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


class Postings:
    """Feature → (rows, weights), built from a rows × features sparse matrix."""

    def __init__(self, matrix: sparse.spmatrix | sparse.sparray) -> None:
        by_feature = sparse.csc_matrix(matrix)
        by_feature.sort_indices()
        self._starts: IntArray = by_feature.indptr[:-1].astype(np.int64)
        self._lengths: IntArray = np.diff(by_feature.indptr).astype(np.int64)
        self._rows: IntArray = by_feature.indices.astype(np.int64)
        self._weights: FloatArray = by_feature.data.astype(np.float64)
        self.rows = by_feature.shape[0]

    def sum(self, features: IntArray, weights: FloatArray) -> FloatArray:
        """For every row, the sum over `features` of weight × the row's value of the feature."""
        lengths = self._lengths[features]
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(self.rows)
        # Positions of every posting of every feature, as one flat array.
        offsets = np.repeat(self._starts[features] - np.cumsum(lengths) + lengths, lengths)
        positions = offsets + np.arange(total)
        values = self._weights[positions] * np.repeat(weights, lengths)
        summed = np.bincount(self._rows[positions], weights=values, minlength=self.rows)
        return summed.astype(np.float64, copy=False)
