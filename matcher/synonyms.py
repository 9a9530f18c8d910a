"""Synonym groups: phrases of one or more lemmas folded into one canonical term."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from matcher.phrases import Phrases


@dataclass(frozen=True, slots=True)
class SynonymMap:
    """Replaces any phrase of a group (as a run of lemmas) with the group's canonical term.

    The canonical term is the group's first phrase, its lemmas joined with "_".
    """

    phrases: dict[tuple[str, ...], str]
    index: Phrases  # the same phrases, found longest first

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
        return cls(phrases, Phrases.of(phrases))

    def apply(self, lemmas: Sequence[str]) -> list[tuple[str, int | None]]:
        """The lemmas with every synonym phrase folded, longest phrases first.

        Each item is a term and the index of the lemma it came from, or None for a folded
        phrase.
        """
        out: list[tuple[str, int | None]] = []
        i = 0
        longest_at = self.index.longest_at
        firsts = self.index.sizes_by_first
        while i < len(lemmas):
            # Most lemmas begin no phrase: one lookup here instead of a call.
            size = longest_at(lemmas, i) if lemmas[i] in firsts else 0
            if size:
                out.append((self.phrases[tuple(lemmas[i : i + size])], None))
                i += size
            else:
                out.append((lemmas[i], i))
                i += 1
        return out

    @property
    def terms(self) -> frozenset[str]:
        """Every lemma that appears in some phrase, and the canonical terms."""
        words = {w for phrase in self.phrases for w in phrase}
        return frozenset(words | set(self.phrases.values()))
