"""The one boundary with rapidfuzz: typo repair against the knowledge base's own words."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein


class Speller:
    """Repairs a misspelt word to the closest word the knowledge base uses, if one is close."""

    def __init__(
        self,
        vocabulary: Iterable[str],
        *,
        min_similarity: float = 80.0,
        max_distance: int = 2,
        cache_size: int = 50_000,
    ) -> None:
        self._by_first: dict[str, list[str]] = {}
        self._words = sorted({w for w in vocabulary if len(w) >= 3})
        self._min_similarity = min_similarity
        self._max_distance = max_distance
        self.correct = lru_cache(maxsize=cache_size)(self._correct)

    def _correct(self, word: str) -> str | None:
        """The closest vocabulary word, or None when nothing is close enough."""
        # Words of very different length cannot be within `max_distance` edits.
        found = process.extractOne(
            word,
            self._words,
            scorer=fuzz.ratio,
            score_cutoff=self._min_similarity,
        )
        if found is None:
            return None
        best = str(found[0])
        if Levenshtein.distance(word, best) > self._max_distance:
            return None
        return best
