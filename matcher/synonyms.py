"""Synonym groups: phrases of one or more lemmas folded into one canonical term."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SynonymMap:
    """Replaces any phrase of a group (as a run of lemmas) with the group's canonical term.

    The canonical term is the group's first phrase, its lemmas joined with "_".
    """

    phrases: dict[tuple[str, ...], str]
    sizes_by_first: dict[str, tuple[int, ...]]  # phrase lengths by first lemma, longest first

    @classmethod
    def build(
        cls,
        groups: Iterable[Sequence[str]],
        lemmatize: Callable[[str], tuple[str, ...]],
    ) -> SynonymMap:
        """Build from groups of raw phrases; `lemmatize` turns a phrase into its lemmas."""
        phrases: dict[tuple[str, ...], str] = {}
        for group in groups:
            lemmatized = [lemmatize(p) for p in group]
            lemmatized = [p for p in lemmatized if p]
            if len(lemmatized) < 2:
                continue
            canonical = "_".join(lemmatized[0])
            for phrase in lemmatized:
                # A phrase in two groups keeps its first group: files are read in sorted order.
                phrases.setdefault(phrase, canonical)
        sizes: dict[str, set[int]] = {}
        for phrase in phrases:
            sizes.setdefault(phrase[0], set()).add(len(phrase))
        by_first = {w: tuple(sorted(s, reverse=True)) for w, s in sizes.items()}
        return cls(phrases, by_first)

    def apply(self, lemmas: Sequence[str]) -> list[tuple[str, int | None]]:
        """The lemmas with every synonym phrase folded, longest phrases first.

        Each item is a term and the index of the lemma it came from, or None for a folded
        phrase.
        """
        out: list[tuple[str, int | None]] = []
        i = 0
        while i < len(lemmas):
            for size in self.sizes_by_first.get(lemmas[i], ()):
                canonical = self.phrases.get(tuple(lemmas[i : i + size]))
                if canonical is not None:
                    out.append((canonical, None))
                    i += size
                    break
            else:
                out.append((lemmas[i], i))
                i += 1
        return out

    @property
    def terms(self) -> frozenset[str]:
        """Every lemma that appears in some phrase, and the canonical terms."""
        words = {w for phrase in self.phrases for w in phrase}
        return frozenset(words | set(self.phrases.values()))
