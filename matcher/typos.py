"""The one boundary with rapidfuzz: typo repair against the knowledge base's own words."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

# Words shorter than this are not in the vocabulary: too many real words are one edit apart.
MIN_WORD_LENGTH = 3


class Speller:
    """Repairs a misspelt word to the closest word the knowledge base uses, if one is close.

    Close means at most `max_distance` edits and a normalised similarity of at least
    `min_similarity` (0-100), so one wrong letter in a short word is too much.
    """

    def __init__(
        self,
        vocabulary: Iterable[str],
        *,
        min_similarity: float = 80.0,
        max_distance: int = 2,
        cache_size: int = 50_000,
    ) -> None:
        by_length: defaultdict[int, list[str]] = defaultdict(list)
        for word in sorted({w for w in vocabulary if len(w) >= MIN_WORD_LENGTH}):
            by_length[len(word)].append(word)
        # The words within `max_distance` of each length, gathered once.
        self._pools = {
            size: [
                candidate
                for length in range(size - max_distance, size + max_distance + 1)
                for candidate in by_length.get(length, ())
            ]
            for size in range(1, max(by_length, default=0) + max_distance + 1)
        }
        self._min_similarity = min_similarity / 100
        self._max_distance = max_distance
        self.correct = lru_cache(maxsize=cache_size)(self._correct)

    def _correct(self, word: str) -> str | None:
        """The closest vocabulary word, or None when nothing is close enough."""
        # Only words whose length is within `max_distance` can be that few edits away.
        pool = self._pools.get(len(word), ())
        found = process.extractOne(
            word, pool, scorer=Levenshtein.distance, score_cutoff=self._max_distance
        )
        if found is None:
            return None
        best = str(found[0])
        if Levenshtein.normalized_similarity(word, best) < self._min_similarity:
            return None
        return best
