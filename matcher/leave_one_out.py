"""The staff's conflict check for many phrasings at once, with the matcher's own outcomes.

`kb check` asks every phrasing of the base as if the base lacked it (`Matcher.match_without`):
one match each, about a millisecond apiece against a few thousand entries. Here a chunk of
phrasings is scored against every entry with one sparse matrix product, and each phrasing's
own entry is scored without it in closed form: its n-gram centroid less the phrasing's vector,
its lemma text less the phrasing's terms (counted twice, as `engine._entry_text` counts them).
Nothing is refitted: the IDFs stay those of the whole base, as in `match_without`.

These scores sum the same figures as the matcher in another order, so they may differ from
its own in the last bits. An outcome is settled from them only when no difference of up to
TOLERANCE (far above what the summing orders can make) could change it: the entry ranked
first, whether it is answered, the two decimals the report shows, whether the phrasing's own
entry is among the choices offered. Any other phrasing (close scores, a score at a threshold,
a question worded as another entry's phrasing) is asked with the matcher's own match, so every
outcome is the one `match_without` gives.

This module reads the matcher's internals (its speller, vectorizers and term index): it is the
engine's leave-one-out, done in bulk.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from matcher.analyzer import Analysis
from matcher.engine import Matcher, _entry_text
from matcher.match import Action, Match
from matcher.postings import FloatArray, IntArray
from matcher.settings import Thresholds
from matcher.vectors import COLUMN_BYTES, QueryVectorizer

# How far a score summed here may be from the matcher's own: both sum 32-bit weights, partly
# in 32 bits, and differ by 1e-7 or so (1e-6 at most on the bases tried).
TOLERANCE = 1e-4
# Asks are scored in bulk when they are at least this share of the base's phrasings: the
# bulk matrices take about as long to build as asking that many one by one.
BULK_SHARE = 0.05
# Scores worked out at once: phrasings × entries (8 MB of 64-bit floats).
CELLS = 1_000_000
# Phrasings no fewer than this many per chunk, however large the base.
MIN_CHUNK = 64
# Entries' features held by this share of entries at least are kept as dense rows, up to
# DENSE_CELLS values (64 MB): a query's common n-grams then cost no sparse product.
DENSE_FROM = 0.05
DENSE_CELLS = 16_000_000
# Phrasings vectorised at once when the entries' n-gram sums are built.
BLOCK = 2_000
# Queries whose rows of an entries' matrix are picked at once (an entry's n-gram sum holds
# hundreds of n-grams).
DOT_ROWS = 256
# An entry text's or phrasing's n-gram sum is 0 or of norm 1 at least (unit vectors with no
# negative value): below this its norm squared is a rounding of 0.
EMPTY = 0.5


@dataclass(frozen=True, slots=True)
class Ask:
    """One phrasing to ask: `phrasing` of the entry at `entry` (0: its question)."""

    entry: int
    phrasing: int
    # Asked as if the base lacked it; False: as it stands (an entry with one phrasing).
    left_out: bool = True


@dataclass(frozen=True, slots=True)
class Rival:
    """Another entry that the match of a phrasing ranks first."""

    entry_id: str
    answered: bool  # the matcher answers the phrasing with it
    score: float  # its score: exact to the two decimals shown (settled in bulk) or exact
    own_offered: bool  # the phrasing's own entry is among the choices offered


def rival(match: Match, entry_id: str) -> Rival | None:
    """The rival of `entry_id` in a match of one of its phrasings, if another entry won."""
    if match.entry_id in (None, entry_id):
        return None
    offered = any(c.entry_id == entry_id for c in match.choices)
    return Rival(match.entry_id, match.action is Action.ANSWER, match.score, offered)


def rivals(matcher: Matcher, asks: Sequence[Ask]) -> Iterator[Rival | None]:
    """Each ask's rival (None: its own entry wins, or nobody), in order, a chunk at a time;
    one by one when they are few beside the base (the bulk matrices cost more to build)."""
    phrasings = sum(len(e.phrasings) for e in matcher.kb)
    if not asks:
        return
    if len(asks) < BULK_SHARE * phrasings:
        yield from (ask_one(matcher, a) for a in asks)
        return
    bulk = _Bulk(matcher)
    step = max(CELLS // max(len(matcher.kb), 1), MIN_CHUNK)
    for start in range(0, len(asks), step):
        chunk = asks[start : start + step]
        for ask, settled in zip(chunk, bulk.settle(chunk), strict=True):
            yield ask_one(matcher, ask) if isinstance(settled, _Unsettled) else settled


def ask_one(matcher: Matcher, ask: Ask) -> Rival | None:
    """The rival of one ask, from the matcher's own match."""
    entry = matcher.kb.entries[ask.entry]
    if ask.left_out:
        match = matcher.match_without(entry.id, ask.phrasing)
    else:
        match = matcher.match(entry.phrasings[ask.phrasing])
    return rival(match, entry.id)


class _Unsettled:
    """An outcome the bulk scores cannot settle."""


UNSETTLED = _Unsettled()
Outcome = Rival | None | _Unsettled


class _Bulk:
    """The entries' matrices, built once, and the scoring of chunks of phrasings."""

    def __init__(self, matcher: Matcher) -> None:
        self._matcher = matcher
        vectors = matcher._vectors
        self._chars = _Counter(vectors.chars)
        self._lemmas = _Counter(vectors.lemmas)
        self._terms = matcher._terms
        sizes = [len(e.phrasings) for e in matcher.kb]
        owner: IntArray = np.repeat(np.arange(len(sizes)), sizes)
        self._first: IntArray = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        self._flat = [vectors.phrasing_words(e, p) for e, n in enumerate(sizes) for p in range(n)]
        self._char_sums, self._rest_char_squares = self._char_texts(owner)
        self._entry_lemmas, self._lemma_drop, self._rest_lemma_squares = self._lemma_texts(owner)
        # Key terms: the entries', and those each phrasing alone holds of its entry's.
        self._keyed = _sorted(self._terms.keyed)
        self._lost_terms = _sorted(_lost_terms(matcher))
        w = matcher.settings.weights
        self._weights = (w.char_ngrams, w.entry_lemmas, w.coverage)
        self._evidence = _Evidence(
            [_unit(self._char_sums), _unit(self._entry_lemmas), self._keyed],
            self._weights,
        )

    def _char_texts(self, owner: IntArray) -> tuple[sparse.csr_matrix, FloatArray]:
        """Per entry, the sum of its phrasings' n-gram vectors (its centroid, unnormalised);
        per phrasing (`owner`: its entry), the norm squared of that sum without it. Entries a
        block at a time, of about BLOCK phrasings."""
        entries = len(self._first)
        step = max(BLOCK * entries // max(len(self._flat), 1), 1)
        ends = np.append(self._first[1:], len(self._flat))
        sums = []
        rest_squares = np.empty(len(self._flat))
        for start in range(0, entries, step):
            stop = min(start + step, entries)
            phrasings = np.arange(self._first[start], ends[stop - 1])
            vectors = self._phrasing_vectors(phrasings)
            mine = owner[phrasings] - start
            grouping = sparse.csr_matrix(
                (np.ones(len(phrasings)), (mine, np.arange(len(phrasings)))),
                shape=(stop - start, len(phrasings)),
            )
            summed = _sorted(grouping @ vectors)
            # |sum - p|² = |sum|² - 2 sum·p + |p|²
            rest_squares[phrasings] = (
                _row_squares(summed)[mine]
                - 2 * _dots(vectors, summed, mine)
                + _row_squares(vectors)
            )
            sums.append(summed)
        return _sorted(sparse.vstack(sums)), rest_squares

    def _lemma_texts(
        self, owner: IntArray
    ) -> tuple[sparse.csr_matrix, sparse.csr_matrix, FloatArray]:
        """The entries' lemma texts' weights (sublinear TF × IDF, not normalised); per phrasing
        (`owner`: its entry), how much each weight drops without its terms (counted twice);
        and the norm squared of its entry's weights without them."""
        entry_terms = self._matcher._entry_terms
        entry_counts = self._lemmas.counts([_entry_text(t) for t in entry_terms])
        weights = self._lemmas.tfidf(entry_counts)
        own = self._lemmas.counts([" ".join(p) for t in entry_terms for p in t.phrasings]).tocoo()
        rows, columns = own.row.astype(np.int64), own.col.astype(np.int64)
        whole = np.asarray(entry_counts[owner[rows], columns], dtype=np.float64).ravel()
        rest = whole - 2 * own.data
        idf = self._lemmas.idf[columns]
        before = (1.0 + np.log(whole)) * idf
        after = np.where(rest > 0, (1.0 + np.log(np.maximum(rest, 1))) * idf, 0.0)
        drop = _sorted(sparse.csr_matrix((before - after, (rows, columns)), own.shape))
        lost = np.bincount(rows, before * before - after * after, own.shape[0])
        return weights, drop, _row_squares(weights)[owner] - lost

    def _phrasing_vectors(self, phrasings: IntArray) -> sparse.csr_matrix:
        """The n-gram vectors of phrasings (indices among all the base's), unit length."""
        return _unit(self._chars.tfidf(self._chars.counts([self._flat[i] for i in phrasings])))

    def settle(self, asks: Sequence[Ask]) -> list[Outcome]:
        """Each ask's outcome where the bulk scores settle it, else UNSETTLED."""
        variants, entry, scores = self.scores(asks)
        ratio = self._matcher.settings.thresholds.candidate_ratio
        # Each variant's best score of an entry that holds courtesy (`Matcher._reading`).
        courteous = self._matcher._courteous
        polite = (
            scores[:, courteous].max(axis=1) if len(courteous) else np.full(len(scores), -np.inf)
        )
        facts = _Facts.of(scores, entry, ratio, TOLERANCE)
        outcomes: list[Outcome] = []
        row = 0
        for ask, found in zip(asks, variants, strict=True):
            rows = range(row, row + len(found))
            outcomes.append(self._outcome(ask, found, rows, facts, polite))
            row += len(found)
        return outcomes

    def scores(self, asks: Sequence[Ask]) -> tuple[list[list[Analysis]], IntArray, FloatArray]:
        """The variants of each ask as `Matcher._match` analyses them, and per variant (rows,
        ask by ask) the ask's entry and the scores of every entry (the ask's own without it)."""
        variants = [self._readings(a) for a in asks]
        analyses = [a for found in variants for a in found]
        row_ask = np.repeat(np.arange(len(asks)), [len(v) for v in variants])
        entry = np.asarray([a.entry for a in asks], dtype=np.int64)[row_ask]
        phrasing = self._first[entry] + np.asarray([a.phrasing for a in asks])[row_ask]
        left_out = np.flatnonzero(np.asarray([a.left_out for a in asks], dtype=bool)[row_ask])
        chars = _unit(self._chars.tfidf(self._chars.counts([a.words for a in analyses])))
        lemmas = _unit(self._lemmas.tfidf(self._lemmas.counts([a.lemmas for a in analyses])))
        coverage = self._coverage_queries(analyses)
        scores = self._evidence.scores(sparse.hstack([chars, lemmas, coverage]).tocsr())
        scores[left_out, entry[left_out]] = self._own_scores(
            [analyses[i] for i in left_out],
            chars=chars[left_out],
            lemmas=lemmas[left_out],
            coverage=coverage[left_out],
            entry=entry[left_out],
            phrasing=phrasing[left_out],
        )
        return variants, entry, scores

    def _readings(self, ask: Ask) -> list[Analysis]:
        """The analysed variants `Matcher._match` scores for the phrasing, in its order."""
        matcher = self._matcher
        return matcher._analyses(matcher.kb.entries[ask.entry].phrasings[ask.phrasing])

    def _coverage_queries(self, analyses: Sequence[Analysis]) -> sparse.csr_matrix:
        """Per analysis, the weight of each of its known terms over its whole term weight,
        as `TermIndex.queries` weighs them."""
        terms = self._terms
        known = terms._columns
        rows: list[int] = []
        columns: list[int] = []
        masses = np.ones(len(analyses))
        for row, analysis in enumerate(analyses):
            unique = list(dict.fromkeys(analysis.terms))
            mass = sum(terms.weight(t) for t in unique)
            masses[row] = mass if mass > 0 else 1.0
            held = [known[t] for t in unique if t in known]
            rows.extend([row] * len(held))
            columns.extend(held)
        values = terms.idf[columns] / masses[rows]
        return _sorted(
            sparse.csr_matrix(
                (values, (rows, columns)), shape=(len(analyses), self._keyed.shape[1])
            )
        )

    def _own_scores(
        self,
        words: Sequence[Analysis],
        *,
        chars: sparse.csr_matrix,
        lemmas: sparse.csr_matrix,
        coverage: sparse.csr_matrix,
        entry: IntArray,
        phrasing: IntArray,
    ) -> FloatArray:
        """Each query's score for its own entry as if that entry lacked the phrasing
        (`words`: the queries' analyses; `phrasing`: its index among all the base's)."""
        # n-grams: the cosine with the entry's sum less the phrasing's vector, which is the
        # query's own where it has the phrasing's words (as it mostly has).
        towards_own = _row_squares(chars)
        other = np.flatnonzero(
            [a.words != self._flat[p] for a, p in zip(words, phrasing, strict=True)]
        )
        if len(other):
            vectors = self._phrasing_vectors(phrasing[other])
            towards_own[other] = _dots(chars[other], vectors, np.arange(len(other)))
        char_dot = _dots(chars, self._char_sums, entry) - towards_own
        # Lemmas: the cosine with the entry's lemma text less the phrasing's terms.
        lemma_dot = _dots(lemmas, self._entry_lemmas, entry) - _dots(
            lemmas, self._lemma_drop, phrasing
        )
        # Key terms: the share of the query's the entry holds, less those only the phrasing has.
        covered = _dots(coverage, self._keyed, entry) - _dots(coverage, self._lost_terms, phrasing)
        by_chars, by_lemmas, by_terms = self._weights
        own: FloatArray = (
            by_chars * _cosine(char_dot, self._rest_char_squares[phrasing])
            + by_lemmas * _cosine(lemma_dot, self._rest_lemma_squares[phrasing])
            + by_terms * covered
        )
        return own

    def _outcome(
        self,
        ask: Ask,
        analyses: list[Analysis],
        rows: range,
        facts: _Facts,
        polite: FloatArray,
    ) -> Outcome:
        """The outcome of one ask from its variants' rows, or UNSETTLED. `polite`: per row,
        its best score of an entry that holds courtesy."""
        matcher = self._matcher
        without = (ask.entry, ask.phrasing) if ask.left_out else None
        exact = matcher._exact_entry(analyses, without)
        if exact is not None:
            # Answered with the entry it repeats: the own entry wins outright.
            return None if exact[0] == ask.entry else UNSETTLED
        highest = np.maximum(facts.best[rows.start : rows.stop], 0.0)
        # A variant with courtesy kept takes part when it scores an entry that holds courtesy
        # at least as high as the other variants' best (`Matcher._reading`).
        plain = max(v for v, a in zip(highest, analyses, strict=True) if not a.courtesy_kept)
        taking = []
        for i, analysis in enumerate(analyses):
            if analysis.courtesy_kept:
                if _near(polite[rows[i]], plain, 2 * TOLERANCE):
                    return UNSETTLED
                if polite[rows[i]] < plain:
                    continue
            taking.append(i)
        # The variant whose best score is highest is the one matched: any of those within
        # the tolerance of the highest may be it, and they must agree.
        top = max(highest[i] for i in taking)
        candidates = [rows[i] for i in taking if highest[i] >= top - 2 * TOLERANCE]
        outcomes = {
            self._variant_outcome(ask, analyses[r - rows.start], r, facts) for r in candidates
        }
        return outcomes.pop() if len(outcomes) == 1 else UNSETTLED

    def _maybe_alike(self, facts: _Facts, row: int) -> bool:
        """Whether the words' answer may be one between two entries alike in meaning, which
        the matcher asks the meaning's stage (`Matcher._alike`)."""
        meaning = self._matcher.settings.meaning
        margin = facts.best[row] - facts.second[row]
        if margin >= meaning.alike_margin + 2 * TOLERANCE:
            return False
        if _near(margin, meaning.alike_margin, 2 * TOLERANCE):
            return True
        if facts.second[row] - facts.third[row] <= 2 * TOLERANCE:
            return True  # which entry is the runner-up is not certain
        meanings = self._matcher._meanings
        assert meanings is not None
        if meanings.phrasings is None:  # the passages alone: asked only when unsure
            return False
        passages = meanings.passages
        first, runner_up = int(facts.first[row]), int(facts.runner_up[row])
        return float(passages[first] @ passages[runner_up]) >= meaning.alike - TOLERANCE

    def _variant_outcome(self, ask: Ask, analysis: Analysis, row: int, facts: _Facts) -> Outcome:
        """`Matcher._verdict` and `decide` on one variant's scores, where settled."""
        if not analysis.terms:
            return None  # handed off: nothing to match on
        t = self._matcher.settings.thresholds
        first, best, second = int(facts.first[row]), facts.best[row], facts.second[row]
        if best <= TOLERANCE or best - second <= 2 * TOLERANCE:
            return UNSETTLED  # maybe nothing ranked, or the first place is a tie
        top = min(best, 1.0)
        runner_up = min(max(second, 0.0), 1.0)
        if self._matcher.meaning_ready and (
            not _surely_answered(top, runner_up, t) or self._maybe_alike(facts, row)
        ):
            return UNSETTLED  # the meaning's stage decides it (`Matcher._with_meaning`)
        if first == ask.entry:
            return None
        rival_id = self._matcher.kb.entries[first].id
        if _near(top, t.answer, TOLERANCE) or _near(top, t.clarify, TOLERANCE):
            return UNSETTLED
        if top >= t.answer:
            if _near(top - runner_up, t.margin, 2 * TOLERANCE):
                return UNSETTLED
            if top - runner_up >= t.margin:
                low, high = max(top - TOLERANCE, 0.0), min(top + TOLERANCE, 1.0)
                if f"{low:.2f}" != f"{high:.2f}":
                    return UNSETTLED
                return Rival(rival_id, True, top, False)
        if top < t.clarify:
            return Rival(rival_id, False, top, False)  # handed off: nothing offered
        # `decide` offers at least `min_candidates` and at most `max_candidates` of those
        # ranked (`reported_candidates` at most, scoring above 0).
        limit = self._matcher.settings.reported_candidates
        least, most = min(t.min_candidates, limit), min(t.max_candidates, limit)
        above, level = int(facts.above_own[row]), int(facts.level_with_own[row])
        if above >= max(least, most):
            return Rival(rival_id, False, top, False)
        offered = facts.offered(row, least, most)
        if offered is None or level or facts.own[row] <= TOLERANCE:
            return UNSETTLED
        return Rival(rival_id, False, top, above < offered)


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the decision reads of each row of scores (a variant of a phrasing), worked out
    for a whole chunk at once, with the margins that make each certain."""

    first: IntArray  # the entry scored highest
    best: FloatArray  # its score
    second: FloatArray  # the highest score of any other entry
    runner_up: IntArray  # the entry that scores it
    third: FloatArray  # the highest score of any entry but those two
    own: FloatArray  # the score of the phrasing's own entry
    # Where another entry is first (0 elsewhere):
    above_own: IntArray  # entries surely above the own entry
    level_with_own: IntArray  # other entries within the tolerance of it
    positive: IntArray  # entries surely above 0
    near_zero: IntArray  # entries within the tolerance of 0
    close: IntArray  # entries surely close enough to the best to be offered beside it
    maybe_close: IntArray  # entries within the tolerance of that

    @classmethod
    def of(cls, scores: FloatArray, own_entry: IntArray, ratio: float, tolerance: float) -> _Facts:
        """The facts of every row; `ratio`: `Thresholds.candidate_ratio`."""
        rows = np.arange(len(scores))
        first = np.argmax(scores, axis=1)
        best = scores[rows, first]
        kept = scores[rows, first].copy()
        scores[rows, first] = -np.inf
        runner_up = np.argmax(scores, axis=1)
        second = scores[rows, runner_up]
        kept_second = second.copy()
        scores[rows, runner_up] = -np.inf
        third = scores.max(axis=1, initial=-np.inf)
        scores[rows, runner_up] = kept_second
        scores[rows, first] = kept
        own = scores[rows, own_entry]
        # The rest is read only where another entry is first: worked out for those rows.
        other = np.flatnonzero(first != own_entry)
        counts = [np.zeros(len(scores), dtype=np.int64) for _ in range(6)]
        if len(other):
            found = _Facts._counts(scores[other], own[other], best[other], ratio, tolerance)
            for column, values in zip(counts, found, strict=True):
                column[other] = values
        return cls(first, best, second, runner_up, third, own, *counts)

    @staticmethod
    def _counts(
        scores: FloatArray, own: FloatArray, best: FloatArray, ratio: float, tolerance: float
    ) -> tuple[IntArray, ...]:
        """`above_own` to `maybe_close` of these rows."""
        margin = 2 * tolerance
        # Counted with the own entry: it is neither above itself nor left out of level.
        above = _count_above(scores, own + margin)
        level = _count_above(scores, own - margin, inclusive=True) - above - 1
        zero = np.zeros(len(scores))
        positive = _count_above(scores, zero + tolerance)
        near_zero = _count_above(scores, zero - tolerance, inclusive=True) - positive
        # Candidates are offered by their score clipped to [0, 1] against a share of the best
        # (at most 0.75 of 1: a score clipped to 1 is above it as it was).
        share = ratio * np.clip(best, 0.0, 1.0)
        close = _count_above(scores, share + margin, inclusive=True)
        maybe_close = _count_above(scores, share - margin) - close
        return above, level, positive, near_zero, close, maybe_close

    def offered(self, row: int, least: int, most: int) -> int | None:
        """How many candidates `decide` offers when it clarifies, or None when unsure: those
        of the first `most` close to the best, and `least` at any rate (of those above 0)."""
        if self.positive[row] >= least:
            ranked = least
        elif self.near_zero[row]:
            return None
        else:
            ranked = int(self.positive[row])
        if self.close[row] >= most:
            close = most
        elif self.maybe_close[row]:
            return None
        else:
            close = int(self.close[row])
        return max(close, ranked)


def _surely_answered(top: float, runner_up: float, t: Thresholds) -> bool:
    """The words alone answer it, whatever the last bits of the scores."""
    return top >= t.answer + TOLERANCE and top - runner_up >= t.margin + 2 * TOLERANCE


def _near(value: float, threshold: float, tolerance: float) -> bool:
    return abs(value - threshold) <= tolerance


def _count_above(scores: FloatArray, limits: FloatArray, *, inclusive: bool = False) -> IntArray:
    """Per row, how many scores are above its limit (or at it, `inclusive`)."""
    compare = np.greater_equal if inclusive else np.greater
    counts: IntArray = compare(scores, limits[:, None]).sum(axis=1)
    return counts


class _Evidence:
    """Entries' evidence as features × entries, to score many queries at once: the features
    many entries hold as dense rows (a sparse query times dense rows is a fast product), the
    others sparse, as `matcher.postings` keeps them; 32-bit, as the matcher's postings are."""

    def __init__(self, blocks: Sequence[sparse.spmatrix], weights: Sequence[float]) -> None:
        """`blocks`: entries × features matrices side by side, each times its weight."""
        by_feature = sparse.vstack(
            [
                sparse.csr_matrix(block.T * weight, dtype=np.float32)
                for block, weight in zip(blocks, weights, strict=True)
            ],
            format="csr",
        )
        entries = int(by_feature.shape[1])
        held = np.diff(by_feature.indptr)
        # The most held features, as many as DENSE_CELLS allows, held by DENSE_FROM at least.
        most = np.argsort(-held, kind="stable")[: DENSE_CELLS // max(entries, 1)]
        dense = np.zeros(len(held), dtype=bool)
        dense[most[held[most] >= DENSE_FROM * entries]] = True
        self._dense_columns = np.flatnonzero(dense)
        self._sparse_columns = np.flatnonzero(~dense)
        self._dense = by_feature[self._dense_columns].toarray()
        self._sparse = by_feature[self._sparse_columns]
        del by_feature

    def scores(self, queries: sparse.csr_matrix) -> FloatArray:
        """queries × entries: the sum of each query's features over each entry's."""
        queries = sparse.csr_matrix(queries, dtype=np.float32)
        scores = queries[:, self._dense_columns] @ self._dense
        scores += (queries[:, self._sparse_columns] @ self._sparse).toarray()
        return np.asarray(scores, dtype=np.float64)


def _lost_terms(matcher: Matcher) -> sparse.csr_matrix:
    """phrasings × key terms: the terms of each phrasing that its entry holds through it
    alone (no other phrasing and no keyword has them), 1 each."""
    columns = matcher._terms._columns
    rows: list[int] = []
    lost: list[int] = []
    phrasing = 0
    for terms in matcher._entry_terms:
        held = [set(p) for p in terms.phrasings]
        often: dict[str, int] = {}
        for found in (*held, set(terms.keywords)):
            for term in found:
                often[term] = often.get(term, 0) + 1
        for found in held:
            alone = [columns[t] for t in found if often[t] == 1]
            rows.extend([phrasing] * len(alone))
            lost.extend(alone)
            phrasing += 1
    width = matcher._terms.keyed.shape[1]
    return sparse.csr_matrix((np.ones(len(rows)), (rows, lost)), shape=(phrasing, width))


def _cosine(dot: FloatArray, squares: FloatArray) -> FloatArray:
    """dot / norm, 0 where the norm is 0: a sum of non-negative unit vectors (or of weights
    of at least 1) has a norm squared of 0 or at least 1, so below EMPTY it is a rounded 0."""
    empty = squares < EMPTY
    cosine: FloatArray = np.where(empty, 0.0, dot / np.sqrt(np.where(empty, 1.0, squares)))
    return cosine


def _sorted(matrix: sparse.spmatrix) -> sparse.csr_matrix:
    """The matrix as CSR with each row's columns in order (scipy's products expect it)."""
    ordered = sparse.csr_matrix(matrix)
    ordered.sum_duplicates()
    ordered.sort_indices()
    return ordered


class _Counter:
    """Sparse feature counts and TF-IDF rows with a fitted vectorizer's features and IDF,
    for many texts at once."""

    def __init__(self, vectorizer: QueryVectorizer) -> None:
        self._vectorizer = vectorizer
        self.idf: FloatArray = vectorizer.idf
        self.width = vectorizer.width

    def counts(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """texts × features: how often each text has each feature."""
        # A word's columns come packed (`Tfidf.word_columns`): joined, and read at once.
        per_text = self._vectorizer.packed(texts)
        columns = np.frombuffer(b"".join(per_text), np.int64)
        rows = np.repeat(np.arange(len(texts)), [len(f) // COLUMN_BYTES for f in per_text])
        counts = sparse.csr_matrix(
            (np.ones(len(columns)), (rows, columns)), shape=(len(texts), self.width)
        )
        counts.sum_duplicates()
        return counts

    def tfidf(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        """Sublinear TF × IDF of counts, not normalised."""
        weights = counts.copy()
        weights.data = (1.0 + np.log(weights.data)) * self.idf[weights.indices]
        return weights


def _unit(rows: sparse.csr_matrix) -> sparse.csr_matrix:
    """The rows scaled to unit length (empty rows stay empty)."""
    norms = np.sqrt(_row_squares(rows))
    scale = 1.0 / np.where(norms > 0, norms, 1.0)
    unit = rows.copy()
    unit.data *= np.repeat(scale, np.diff(unit.indptr))
    return unit


def _row_squares(rows: sparse.csr_matrix) -> FloatArray:
    squares: FloatArray = np.asarray(rows.multiply(rows).sum(axis=1)).ravel()
    return squares


def _dots(queries: sparse.csr_matrix, matrix: sparse.csr_matrix, rows: IntArray) -> FloatArray:
    """Per query i (a row of `queries`): its dot product with row `rows[i]` of `matrix`,
    DOT_ROWS queries at a time (the rows picked from `matrix` are a copy)."""
    dots = np.zeros(queries.shape[0])
    for start in range(0, queries.shape[0], DOT_ROWS):
        end = start + DOT_ROWS
        picked = queries[start:end].multiply(matrix[rows[start:end]])
        dots[start:end] = np.asarray(picked.sum(axis=1)).ravel()
    return dots
