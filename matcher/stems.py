"""Stems that a word family shares: the one boundary with snowballstemmer.

Lemmas keep a family's words apart ("загрузка" and "загрузить", "модератор" and
"модерация", "стрим" and "стримить"), so a question worded with the verb shares no lemma
with an entry worded with the noun. Snowball's Russian stemmer only drops inflections
("загрузк", "загруз"); the first letters of its stem (`length`, 6 by default) are what the
family has in common ("загруз"). Folded terms ("не_понять", synonym phrases) are kept whole.
"""

from __future__ import annotations

import threading
from typing import Any


class Stemmer:
    """Lemma → stem; build once, share between threads. Not cached here: the TF-IDF that
    asks stems each distinct word once when it is fitted, and remembers a question's words'
    features (`matcher.vectors`)."""

    def __init__(self, *, length: int) -> None:
        import snowballstemmer  # loaded only when a matcher is built

        # A snowball stemmer keeps its word in its own state: one word at a time.
        self._snowball: Any = snowballstemmer.stemmer("russian")
        self._lock = threading.Lock()
        self._length = length

    def stem(self, term: str) -> str:
        """The first `length` letters of the term's stem; a folded term ("не_понять") whole."""
        if "_" in term:
            return term
        with self._lock:
            stem = str(self._snowball.stemWord(term))
        return stem[: self._length] or term
