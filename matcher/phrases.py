"""Phrases of several lemmas, found in a run of lemmas longest first (synonyms, courtesy)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Phrases:
    """A set of lemma phrases, looked up by their first lemma."""

    known: frozenset[tuple[str, ...]]
    sizes_by_first: dict[str, tuple[int, ...]]  # phrase lengths by first lemma, longest first

    @classmethod
    def of(cls, phrases: Iterable[tuple[str, ...]]) -> Phrases:
        """Index non-empty phrases."""
        known = frozenset(p for p in phrases if p)
        sizes: dict[str, set[int]] = {}
        for phrase in known:
            sizes.setdefault(phrase[0], set()).add(len(phrase))
        return cls(known, {w: tuple(sorted(s, reverse=True)) for w, s in sizes.items()})

    def longest_at(self, lemmas: Sequence[str], start: int) -> int:
        """The length of the longest phrase that begins at `lemmas[start]`, or 0."""
        sizes = self.sizes_by_first.get(lemmas[start])
        if sizes is not None:  # most words begin no phrase: one lookup and out
            for size in sizes:
                if tuple(lemmas[start : start + size]) in self.known:
                    return size
        return 0
