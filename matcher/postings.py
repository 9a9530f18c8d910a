"""Postings lists: for each feature, the rows that hold it and with what weight.

Scoring a question means summing the postings of its few features, the rows of a
features × rows sparse matrix. Every kind of evidence (character n-grams, lemmas, key terms)
is a block of features of one such matrix, and every reading of the question (as typed,
repaired, with courtesy) is summed in the same call: the readings differ in a word or two, so
most features are summed once for all of them.

Features that a large share of the rows hold (the common character n-grams: most of what a
question touches) are kept as dense rows; the rest are gathered with numpy (a handful of
calls) and added with `bincount`. No per-question sparse matrix is built, which costs more
than the sum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Matrix: TypeAlias = sparse.spmatrix | sparse.sparray
# A block of features: one matrix, or its row chunks top to bottom.
Block: TypeAlias = Matrix | Sequence[Matrix]

# A feature held by at least this share of the rows is stored dense: above about 0.5 that is
# also smaller (4 bytes a row against 8 a posting); from 0.2 it is faster to sum (measured
# with scripts/bench_speed.py on 1,000- and 10,000-entry bases).
DENSE_FROM = 0.2


@dataclass(frozen=True, slots=True)
class Features:
    """One block's features in a few readings of a question, ready to be summed."""

    columns: IntArray  # the features any reading has, as columns of the block
    weights: FloatArray  # their weights, the same in every reading (IDF)
    factors: FloatArray  # readings × columns: how much each reading has of each (0: none)
    scales: FloatArray  # per reading: what its sums are multiplied by (e.g. 1 / its norm)


class Postings:
    """Feature → (rows, weights), built from rows × features sparse matrices side by side."""

    def __init__(
        self,
        blocks: Sequence[Block],
        *,
        weights: Sequence[float] | None = None,
        dense_from: float = DENSE_FROM,
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
        counts = np.concatenate(
            [sum(np.asarray(c.getnnz(axis=0), np.int64) for c in chunks) for chunks in chunked]
        )
        is_dense = counts >= max(dense_from * self.rows, 1)
        self._dense_slot: IntArray = np.full(len(is_dense), -1, dtype=np.int64)
        self._dense_slot[is_dense] = np.arange(int(is_dense.sum()))
        self._lengths: IntArray = np.where(is_dense, 0, counts)
        self._starts: IntArray = np.cumsum(self._lengths) - self._lengths
        # Every chunk is written straight into its place: no list of parts to concatenate.
        # 32-bit weights: scores need no more.
        self._dense: NDArray[np.float32] = np.zeros((int(is_dense.sum()), self.rows), np.float32)
        self._data: NDArray[np.float32] = np.empty(int(self._lengths.sum()), np.float32)
        # A posting's row in 16 bits when the rows fit (up to 65,536 entries): a third of
        # the postings' memory, and less to read per question.
        small = self.rows <= np.iinfo(np.uint16).max + 1
        self._indices: NDArray[np.uint16 | np.int32] = np.empty(
            len(self._data), np.uint16 if small else np.int32
        )
        cursor = self._starts.copy()  # where each feature's next postings go
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

    def sum(self, features: IntArray, weights: FloatArray, *, block: int = 0) -> FloatArray:
        """For every row, the sum over `features` of weight × the row's value of the feature."""
        one = np.ones((1, len(features)))
        summed = self.sum_readings([Features(features, weights, one, np.ones(1))], [block])
        row: FloatArray = summed[0]
        return row

    def sum_readings(self, parts: Sequence[Features], blocks: Sequence[int]) -> FloatArray:
        """Per reading (rows of the result) and row: the sum over the parts (features of
        `blocks`) of scale × factor × weight × the row's value of the feature.

        Features with the same block and the same column of factors are grouped, and each
        group's postings are summed once; the groups are then combined per reading.
        """
        readings = len(parts[0].scales)
        offsets = self._offset_list
        features = np.concatenate(
            [p.columns + offsets[b] for p, b in zip(parts, blocks, strict=True)]
        )
        if not len(features):
            return np.zeros((readings, self.rows))
        weights = np.concatenate([p.weights for p in parts])
        # Keys: a column per feature, its part and then its factor in each reading. (The
        # stacking wrappers of numpy cost more than the few hundred features of a question.)
        keys = np.empty((readings + 1, len(features)))
        keys[0] = np.arange(len(parts)).repeat([len(p.columns) for p in parts])
        np.concatenate([p.factors for p in parts], axis=1, out=keys[1:])
        # Group equal columns of keys: sort them, and start a group where one differs.
        order = np.lexsort(keys[::-1])
        ordered = keys.take(order, axis=1)  # (take and compress: quicker than 2-D indexing)
        starts = np.empty(len(order), dtype=bool)
        starts[0] = True
        np.logical_or.reduce(ordered[:, 1:] != ordered[:, :-1], axis=0, out=starts[1:])
        group = np.empty(len(order), dtype=np.int64)
        group[order] = starts.cumsum() - 1
        firsts = ordered.compress(starts, axis=1)
        scales = np.array([p.scales for p in parts]).T  # readings × parts
        combine = firsts[1:] * scales.take(firsts[0].astype(np.int64), axis=1)  # readings × groups
        sums = self._group_sums(features, weights, group, order, firsts.shape[1])
        # einsum, not a matrix product: BLAS would start threads for this size, which costs
        # more than the product itself when the cores are busy.
        combined: FloatArray = np.einsum("rg,gn->rn", combine, sums, optimize=False)
        return combined

    def _group_sums(
        self,
        features: IntArray,
        weights: FloatArray,
        group: IntArray,
        order: IntArray,
        groups: int,
    ) -> FloatArray:
        """Per group (rows): the weighted sum of its features' postings. `order`: the
        features by group, a group's in their own order (what the stable sort of keys gave)."""
        # The postings first, into a fresh array, and the dense rows added to it: the same
        # sums as adding both to zeros (a + b is b + a), with one pass less over the result.
        out = self._sparse_sums(features, weights, group, groups)
        slots = self._dense_slot.take(features)
        dense = slots >= 0
        if dense.any():
            in_order = order[dense[order]]
            members = group.take(in_order)
            rows = self._dense.take(slots.take(in_order), axis=0)
            scaled = weights.take(in_order).astype(np.float32)
            # Where each group's run of rows starts, and where the last one ends.
            edges = np.empty(len(members) + 1, dtype=bool)
            edges[0] = edges[-1] = True
            np.not_equal(members[1:], members[:-1], out=edges[1:-1])
            bounds: list[int] = edges.nonzero()[0].tolist()
            # Each group's dense sum in float32 into one matrix, added to the postings' sums
            # at once (a group without dense rows adds zeros): one float64 + float32 addition
            # instead of one a group, each of which costs as much as its einsum.
            summed = np.zeros(out.shape, np.float32)
            for g, start, end in zip(
                members.take(bounds[:-1]).tolist(), bounds, bounds[1:], strict=False
            ):
                _weighted_rows(scaled[start:end], rows[start:end], out=summed[g])
            out += summed
        return out

    def _sparse_sums(
        self, features: IntArray, weights: FloatArray, group: IntArray, groups: int
    ) -> FloatArray:
        """Per group (rows): the weighted sum of its features' postings, in their order."""
        # Dense features have no postings (length 0): they drop out of what follows by
        # themselves, and the others keep their order.
        lengths = self._lengths.take(features)
        total = int(lengths.sum())
        if total == 0:
            return np.zeros((groups, self.rows))
        # Positions of every posting of every feature, as one flat array.
        offsets = (self._starts.take(features) - lengths.cumsum() + lengths).repeat(lengths)
        positions = offsets + np.arange(total)
        # `take`, not indexing: the same values, gathered by a quicker loop. (And the arrays'
        # own methods, not numpy's functions, whose wrappers cost more than these sizes.)
        values = self._data.take(positions) * weights.repeat(lengths)
        cells = self._indices.take(positions) + (group * self.rows).repeat(lengths)
        sums = np.bincount(cells, values, minlength=groups * self.rows)
        by_group: FloatArray = sums.reshape(groups, self.rows).astype(np.float64, copy=False)
        return by_group


def _weighted_rows(
    weights: NDArray[np.float32], rows: NDArray[np.float32], *, out: NDArray[np.float32]
) -> None:
    """The sum of the rows times their weights, in float32, as einsum works it out, into `out`.

    einsum, not a matrix product: BLAS would start threads for this size, which costs more
    than the product itself when the cores are busy. One row (a third of a question's groups
    of dense rows): einsum's sum of products is its product added to zero, the same bits as
    the product, which costs less than einsum takes to set up.
    """
    if len(rows) == 1:
        np.multiply(rows[0], weights[0], out=out)
    else:
        np.einsum("j,jn->n", weights, rows, out=out, optimize=False)
