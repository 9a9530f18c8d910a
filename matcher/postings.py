"""Postings lists: for each feature, the rows that hold it and with what weight.

Scoring a question means summing the postings of its few features, the rows of a
features × rows sparse matrix. Every kind of evidence (character n-grams, lemmas, key terms)
is a block of features of one such matrix, and every reading of the question (as typed,
repaired, with courtesy) is summed in the same call.

Features that a large share of the rows hold (the common character n-grams: most of what a
question touches) are kept as dense rows; the rest as postings, feature after feature. Both
are summed by scipy's own compiled loops (`scipy.sparse._sparsetools`, what its sparse
products run), called on the stored arrays as they are: no per-question matrix is built or
gathered. (A public product builds and checks a matrix first: 13 µs a call against 1.4 for
the loop alone; a question's sum makes three to six calls, one a reading and one or two
for the dense rows, and took 31-32 µs in all at 1,000 entries, its questions asked in a
loop, on 2026-12-07.)

A larger base's dense rows are summed once for all readings that count them alike (the
groups of `_grouped_dense_sums`), then combined per reading; a small one's are summed per
reading, in fewer calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import _sparsetools

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Matrix: TypeAlias = sparse.spmatrix | sparse.sparray
# A block of features: one matrix, or its row chunks top to bottom.
Block: TypeAlias = Matrix | Sequence[Matrix]

# A feature held by at least this share of the rows is stored dense: above about 0.5 that is
# also smaller (4 bytes a row against 8 a posting); from 0.2 it is faster to sum (measured
# with scripts/bench_speed.py on 1,000- and 10,000-entry bases; with the compiled loops,
# 0.1 and 0.3 summed no faster).
DENSE_FROM = 0.2
# `Features.factors` not worked out: for sums that do not read them (`Postings.grouped`).
# Shared by every such question's features, so never written to.
NO_FACTORS: FloatArray = np.zeros((0, 0))
NO_FACTORS.flags.writeable = False
# Up to this many rows, each reading's dense rows are summed on their own: the few calls
# that group the readings' shared features cost more than they save (the dense rows of a
# question's sum, 1,000 entries: 31 µs against 47 grouped; 10,000: 266 against 194).
FLAT_UP_TO = 2_000


@dataclass(frozen=True, slots=True)
class Features:
    """The features of a few readings of a question, ready to be summed: of one block, or of
    several blocks side by side (each one's columns after the one's before it, as the
    postings hold them), each block a part with a scale of its own per reading."""

    columns: IntArray  # the features any reading has, as columns of the block(s)
    weights: FloatArray  # their weights, the same in every reading (IDF)
    # readings × columns: how much each reading has of each (0: none); only a large base's
    # grouped sums read them (`Postings.grouped`), and a small one's are `NO_FACTORS`.
    factors: FloatArray
    scales: FloatArray  # readings × parts: what a reading's sums of a part are multiplied by
    parts: IntArray  # per column: its part (a column of `scales`)
    # readings × columns: what each reading counts each feature for, scale × factor × weight
    # (worked out where the factors are found, for only the features a reading has).
    counted: FloatArray

    @classmethod
    def of_one_part(
        cls, columns: IntArray, weights: FloatArray, factors: FloatArray, scales: FloatArray
    ) -> Features:
        """The features of one block, `scales` one per reading."""
        return cls(
            columns,
            weights,
            factors,
            scales[:, None],
            np.zeros(len(columns), np.int64),
            factors * weights * scales[:, None],
        )


class Postings:
    """Feature → (rows, weights), built from rows × features sparse matrices side by side."""

    def __init__(
        self,
        blocks: Sequence[Block],
        *,
        weights: Sequence[float] | None = None,
        dense_from: float = DENSE_FROM,
        flat_up_to: int = FLAT_UP_TO,
    ) -> None:
        """`blocks`: rows × features matrices, each multiplied by its entry of `weights`.

        A block may come as its row chunks, top to bottom, so that it is never whole: building
        is when the memory peaks.
        """
        chunked = [
            [b] if isinstance(b, sparse.spmatrix | sparse.sparray) else list(b) for b in blocks
        ]
        widths = [int(chunks[0].shape[1]) for chunks in chunked]
        self._offsets = np.concatenate(([0], np.cumsum(widths)[:-1])).astype(np.int64)
        self._offset_list: list[int] = self._offsets.tolist()  # quicker to add than numpy's
        self.rows = sum(int(c.shape[0]) for c in chunked[0])
        self._flat = self.rows <= flat_up_to
        counts = np.concatenate(
            [sum(np.asarray(c.getnnz(axis=0), np.int64) for c in chunks) for chunks in chunked]
        )
        is_dense = counts >= max(dense_from * self.rows, 1)
        lengths = np.where(is_dense, 0, counts)
        # The compiled loops take the rows, the positions and the dense rows' slots in one
        # integer type: 32 bits while the postings fit.
        total = int(lengths.sum())
        self._index = np.int32 if max(total, self.rows) <= np.iinfo(np.int32).max else np.int64
        self._dense_slot: NDArray[np.int32 | np.int64] = np.full(len(is_dense), -1, self._index)
        self._dense_slot[is_dense] = np.arange(int(is_dense.sum()))
        # Where each feature's postings start and end, side by side (a dense feature: none),
        # as the bounds of the columns `_walk_postings` hands scipy's loop.
        ends = np.cumsum(lengths)
        starts = ends - lengths
        self._spans: NDArray[np.int32 | np.int64] = np.stack((starts, ends), axis=1).astype(
            self._index
        )
        # The order the sums walk a question's features in, as keys of one stable sort: the
        # dense ones first, all at the lowest key, then the others by descending start
        # (`_walk_postings`).
        self._dense_key = -(total + 1)
        self._walk_keys: NDArray[np.int32 | np.int64] = np.where(
            is_dense, self._dense_key, -starts
        ).astype(self._index)
        # Every chunk is written straight into its place: no list of parts to concatenate.
        # 32-bit weights: scores need no more.
        self._dense: NDArray[np.float32] = np.zeros((int(is_dense.sum()), self.rows), np.float32)
        self._data: NDArray[np.float32] = np.empty(total, np.float32)
        self._indices: NDArray[np.int32 | np.int64] = np.empty(total, self._index)
        cursor = starts.astype(np.int64)  # where each feature's next postings go
        weights = weights or [1.0] * len(blocks)
        for chunks, offset, weight in zip(chunked, self._offsets, weights, strict=True):
            first_row = 0
            for chunk in chunks:
                self._fill(chunk, offset, np.float32(weight), first_row, cursor)
                first_row += int(chunk.shape[0])

    def _fill(
        self, chunk: Matrix, offset: int, scale: np.float32, first_row: int, cursor: IntArray
    ) -> None:
        """Write a chunk of a block's rows, scaled, into the postings after the rows above it."""
        by_column = sparse.csc_matrix(chunk, dtype=np.float32)  # rows ascending in a column
        width = int(by_column.shape[1])
        column = np.repeat(np.arange(width), np.diff(by_column.indptr))
        feature = column + offset
        values = by_column.data * scale
        rows = by_column.indices
        slots = self._dense_slot[feature]
        dense = slots >= 0
        self._dense[slots[dense], rows[dense] + first_row] = values[dense]
        kept = ~dense
        # A posting goes after its feature's postings from the chunks above, in row order.
        rank = np.arange(len(column)) - by_column.indptr[column]
        at = cursor[feature[kept]] + rank[kept]
        self._data[at] = values[kept]
        self._indices[at] = rows[kept] + first_row
        cursor[offset : offset + width] += np.diff(by_column.indptr)

    @property
    def grouped(self) -> bool:
        """Whether the sums group the readings' shared features (a large base), which is
        what reads `Features.factors`."""
        return not self._flat

    def sum(self, features: IntArray, weights: FloatArray, *, block: int = 0) -> FloatArray:
        """For every row, the sum over `features` of weight × the row's value of the feature."""
        one = np.ones((1, len(features)))
        part = Features.of_one_part(features, weights, one, np.ones(1))
        summed = self.sum_readings([part], [block])
        row: FloatArray = summed[0]
        return row

    def sum_readings(self, parts: Sequence[Features], blocks: Sequence[int]) -> FloatArray:
        """Per reading (rows of the result) and row: the sum over the parts (features of
        `blocks`, each the first block of its part's columns) of what the reading counts
        each for (`Features.counted`) × the row's value of the feature, in float32 (the
        postings' own precision) as float64."""
        readings = len(parts[0].counted)
        offsets = self._offset_list
        features = np.concatenate(
            [
                p.columns + offsets[b] if offsets[b] else p.columns
                for p, b in zip(parts, blocks, strict=True)
            ]
        )
        counted = np.concatenate([p.counted for p in parts], axis=1)
        out = np.zeros((readings, self.rows), np.float32)
        # One stable sort of the features' walk keys puts the dense ones first, as given, and
        # the others in the order their postings are walked (`_walk_postings`), so that each
        # half is a slice. (Picking the halves apart with masks and then ordering the postings
        # took twice the numpy calls, and a question's sum is many small calls, each of which
        # costs more than its arithmetic: 31-32 µs a sum against 38, and the words' median
        # 4-6% lower in process at 1,000 entries; scripts/MEASUREMENTS.md, Speed.)
        keys = self._walk_keys.take(features)
        order = keys.argsort(kind="stable")
        dense = int(np.count_nonzero(keys == self._dense_key))
        walked = features.take(order)
        weights = counted.take(order, axis=1)
        if dense and self._flat:
            rows = self._dense_slot.take(walked[:dense])
            _add_product(out, weights[:, :dense], rows, self._dense)
        elif dense:
            self._grouped_dense_sums(parts, order[:dense], walked[:dense], out)
        if dense < len(walked):
            self._walk_postings(walked[dense:], weights[:, dense:], out)
        return out.astype(np.float64)

    def _walk_postings(
        self, features: IntArray, weights: FloatArray, out: NDArray[np.float32]
    ) -> None:
        """Add each reading's (rows of `weights`) sum of the features' postings to `out`; the
        features (at least one, none dense) in descending order of their postings' start.

        scipy's loop for a column-major matrix times a vector (`csc_matvec`) adds, for each
        column in turn, its values times the vector's entry into the rows they name. Our
        postings are such columns, one a feature; the question's are not next to each other,
        so each is passed as a column from its start to its end, and the stretch from its end
        to the next one's start as a column between them, times 0. In descending order of
        start, that stretch is empty: the loop walks the question's postings alone, where
        they are stored (in any other order the sums are the same, the walk longer).
        """
        # start, end, start, end...: the features' columns and the stretches between them.
        bounds = self._spans.take(features, axis=0).ravel()
        # A reading's vector: a feature's weight for its column, 0 for the stretch after it.
        # (One call a reading writes its sums in place; one for all readings, `csc_matvecs`,
        # takes as long and leaves them to be transposed.)
        vectors = np.zeros((len(out), len(bounds) - 1), np.float32)
        vectors[:, ::2] = weights
        for vector, sums in zip(vectors, out, strict=True):
            _sparsetools.csc_matvec(
                self.rows, len(bounds) - 1, bounds, self._indices, self._data, vector, sums
            )

    def _grouped_dense_sums(
        self,
        parts: Sequence[Features],
        members: IntArray,
        features: IntArray,
        out: NDArray[np.float32],
    ) -> None:
        """Add each reading's weighted sum of the dense rows of its features to `out`, those
        that every reading counts alike (the same part, the same factor in each reading)
        summed once: the readings differ in a word or two, so most of them are, and the
        groups' sums are then added per reading. `members`: where the dense `features` are
        among the parts' columns, ascending."""
        # Each column's part among all the parts' (the scales side by side).
        firsts = np.cumsum([0] + [p.scales.shape[1] for p in parts[:-1]])
        part = np.concatenate([p.parts + first for p, first in zip(parts, firsts, strict=True)])
        part = part.take(members)
        factors = np.concatenate([p.factors for p in parts], axis=1).take(members, axis=1)
        # Keys: a column per feature, its part and then its factor in each reading.
        keys = np.concatenate((part[None].astype(np.float64), factors))
        order = np.lexsort(keys[::-1])
        ordered = keys.take(order, axis=1)
        starts = np.empty(len(order), dtype=bool)
        starts[0] = True
        np.logical_or.reduce(ordered[:, 1:] != ordered[:, :-1], axis=0, out=starts[1:])
        in_order = members.take(order)
        weights = np.concatenate([p.weights for p in parts]).take(in_order)
        summed = np.zeros((int(starts.sum()), self.rows), np.float32)
        bounds = np.append(starts.nonzero()[0], len(order)).astype(self._index)
        slots = self._dense_slot.take(features.take(order))
        _add_rows(summed, bounds, slots, weights, self._dense)
        # Each reading counts a group for its factor times the reading's scale of its part.
        heads = ordered.compress(starts, axis=1)
        scales = np.concatenate([p.scales for p in parts], axis=1)  # readings × parts
        combine = heads[1:] * scales.take(heads[0].astype(np.int64), axis=1)
        _add_product(out, combine, np.arange(len(summed), dtype=self._index), summed)


def _add_product(
    out: NDArray[np.float32], weights: FloatArray, rows: NDArray[Any], matrix: NDArray[np.float32]
) -> None:
    """Add `weights` (a row of `out` × `rows`) times the rows of `matrix` named by `rows`."""
    count = len(rows)
    bounds = np.arange(0, len(out) * count + 1, count, dtype=rows.dtype)
    # The rows once per row of `out` (numpy's `tile` takes 2.7 µs in Python for this, the
    # array's own `repeat` 0.5).
    every = rows.reshape(1, count).repeat(len(out), axis=0).ravel()
    _add_rows(out, bounds, every, weights, matrix)


def _add_rows(
    out: NDArray[np.float32],
    bounds: NDArray[Any],  # both in the postings' index type (`Postings._index`)
    rows: NDArray[Any],
    weights: FloatArray,
    matrix: NDArray[np.float32],
) -> None:
    """Add to each row i of `out` the rows of `matrix` named by `rows[bounds[i]:bounds[i+1]]`
    times their `weights`, in float32, where they are stored (scipy's loop for a row-major
    sparse matrix times a dense one, `csr_matvecs`: none is copied out first)."""
    _sparsetools.csr_matvecs(
        len(out),
        len(matrix),
        matrix.shape[1],
        bounds,
        rows,
        np.ascontiguousarray(weights, np.float32).ravel(),
        matrix.ravel(),
        out.ravel(),
    )
