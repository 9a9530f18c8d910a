"""Stems that a word family shares: the one boundary with snowballstemmer.

Lemmas keep a family's words apart ("загрузка" and "загрузить", "модератор" and
"модерация", "стрим" and "стримить"), so a question worded with the verb shares no lemma
with an entry worded with the noun. Snowball's Russian stemmer only drops inflections
("загрузк", "загруз"); the first letters of its stem (`length`, 6 by default) are what the
family has in common ("загруз"). Folded terms ("не_понять", synonym phrases) are kept whole.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

STEM_CACHE = 200_000


class Stemmer:
    """Lemma → stem, cached; build once, share between threads."""

    def __init__(self, *, length: int, cache_size: int = STEM_CACHE) -> None:
        import snowballstemmer  # loaded only when a matcher is built

        # A snowball stemmer keeps its word in its own state: one word at a time.
        self._snowball: Any = snowballstemmer.stemmer("russian")
        self._lock = threading.Lock()
        self._length = length
        self.stem = lru_cache(maxsize=cache_size)(self._stem_uncached)

    def _stem_uncached(self, term: str) -> str:
        if "_" in term:
            return term
        with self._lock:
            stem = str(self._snowball.stemWord(term))
        return stem[: self._length] or term
