"""The one boundary with rapidfuzz: typo repair against the knowledge base's own words.

Most typos are one edit (a letter wrong, missing, extra, or two swapped). The words one edit
from a word are found by their one-letter deletions, as SymSpell does: two words are within
one edit only if one of them, or one of its one-letter deletions, equals the other or one of
its deletions. The sorted hashes of the vocabulary's deletions find them in two searches;
only a word with none of them within one edit, and long enough for two edits to be similar
enough, is searched the longer way (every word of a like length, through a letters-present
filter).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

# Words shorter than this are not in the vocabulary: too many real words are one edit apart.
MIN_WORD_LENGTH = 3
# A bit per letter for the letters-present filter; letters that share a bit (digits, the
# rest) only let more words through it, never fewer.
LETTER_BITS = {
    letter: bit
    for bit, letters in enumerate(
        [*"абвгдежзийклмнопрстуфхцчшщъыьэюяё", *"abcdefghijklmnopqrstuvwxyz", "0123456789"]
    )
    for letter in letters
}
OTHER_BIT = len(set(LETTER_BITS.values()))


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
        # Shortest first, then in alphabetical order: the words within `max_distance` of a
        # length are one run, searched in this order (the first closest word wins).
        self._words = sorted(
            {w for w in vocabulary if len(w) >= MIN_WORD_LENGTH}, key=lambda w: (len(w), w)
        )
        # The same words as a numpy array, so that a word's candidates are picked in one call.
        self._word_array = np.asarray(self._words, dtype=object)
        self._lengths = np.asarray([len(w) for w in self._words], dtype=np.int64)
        self._letters = np.asarray([_letters(w) for w in self._words], dtype=np.uint64)
        # How many letters each word has, in bitwise_count's own uint8: compared with its
        # counts below without a conversion (a subtraction never goes below zero: the letters
        # shared are some of the word's).
        self._letter_counts = np.bitwise_count(self._letters)
        # Per word length: the run of words within `max_distance` of it.
        starts = np.searchsorted(self._lengths, np.arange(max(self._lengths, default=0) + 2))
        last = len(starts) - 1  # where the words longer than any end
        self._runs = {
            size: (
                int(starts[min(max(size - max_distance, 0), last)]),
                int(starts[min(size + max_distance + 1, last)]),
            )
            for size in range(last + max_distance + 1)
        }
        # The same runs' words, letters and letter counts, sliced once (views, no copies): a
        # word's candidates are picked without slicing three arrays each time.
        self._run_arrays = {
            size: (
                self._word_array[low:high],
                self._letters[low:high],
                self._letter_counts[low:high],
            )
            for size, (low, high) in self._runs.items()
        }
        self._no_run = (self._word_array[:0], self._letters[:0], self._letter_counts[:0])
        self._min_similarity = min_similarity / 100
        self._max_distance = max_distance
        # Each word and its one-letter deletions, by their hash, sorted (a rare collision
        # only adds a word that the check drops), and beside each the word's position in
        # search order: 12 bytes a key, where a dict took 100 (36 MB for 40,000 words).
        sizes = np.asarray([len(w) + 1 for w in self._words], dtype=np.int64)
        hashes = np.fromiter(
            (hash(k) for w in self._words for k in _with_deletions(w)),
            dtype=np.int64,
            count=int(sizes.sum()),
        )
        order = hashes.argsort(kind="stable")
        self._deletions = hashes.take(order)
        self._deleted_from = np.arange(len(self._words), dtype=np.int32).repeat(sizes).take(order)
        # Beyond one edit, a word's similarity is at most 1 - 2 / (its length + 2): only a
        # word at least this long can be repaired by two edits or more.
        self._longer_search_from = (
            math.ceil(2 / (1 - self._min_similarity) - 2 - 1e-9)
            if max_distance >= 2 and self._min_similarity < 1
            else math.inf
        )
        self.correct = lru_cache(maxsize=cache_size)(self._correct)

    def _correct(self, word: str) -> str | None:
        """The closest vocabulary word, or None when nothing is close enough."""
        found = process.extractOne(
            word,
            self._within_one(word),
            scorer=OSA.distance,
            score_cutoff=min(self._max_distance, 1),
        )
        if found is None and len(word) >= self._longer_search_from:
            found = process.extractOne(
                word,
                self._candidates(word),
                scorer=OSA.distance,
                score_cutoff=self._max_distance,
            )
        if found is None:
            return None
        best = str(found[0])
        if OSA.normalized_similarity(word, best) < self._min_similarity:
            return None
        return best

    def _within_one(self, word: str) -> list[str]:
        """The words that may be one edit from `word` (all that are, and a few that are
        not), in search order."""
        keys = self._deletions
        asked = np.asarray([hash(k) for k in _with_deletions(word)], dtype=np.int64)
        starts = keys.searchsorted(asked).tolist()
        ends = keys.searchsorted(asked, side="right").tolist()
        owners = self._deleted_from
        found = {
            i for a, b in zip(starts, ends, strict=True) if b > a for i in owners[a:b].tolist()
        }
        words = self._words
        return [words[i] for i in sorted(found)]

    def _candidates(self, word: str) -> list[str]:
        """The words that may be within `max_distance` edits of `word`, in search order.

        Only words whose length is within `max_distance` can be, and only those that lack at
        most `max_distance` of its letters and have at most that many it lacks: each such
        letter takes an edit. This leaves a few words of the hundreds of a length to compare.
        """
        most = self._max_distance
        words, letters, counts = self._run_arrays.get(len(word), self._no_run)
        mine = _letters(word)
        shared = np.bitwise_count(letters & np.uint64(mine))
        close = counts - shared <= most
        close &= shared >= max(mine.bit_count() - most, 0)
        found: list[str] = words[close].tolist()
        return found


def _with_deletions(word: str) -> list[str]:
    """The word and the words it gives with one letter deleted."""
    return [word, *(word[:i] + word[i + 1 :] for i in range(len(word)))]


def _letters(word: str) -> int:
    """The word's letters as bits (`LETTER_BITS`)."""
    bits = 0
    for letter in word:
        bits |= 1 << LETTER_BITS.get(letter, OTHER_BIT)
    return bits
