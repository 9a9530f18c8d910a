"""The one boundary with pymorphy3: words in, lemmas and yes/no answers out, cached."""

from __future__ import annotations

import threading
from functools import cache, lru_cache
from typing import Any

# Parts of speech that never carry the meaning of a question.
FUNCTION_POS = frozenset({"PREP", "CONJ", "PRCL", "INTJ", "NPRO"})
# pymorphy3's grammemes of people's names: first name, surname, patronymic.
NAME_GRAMMEMES = frozenset({"Name", "Surn", "Patr"})


class Morphology:
    """Lemmatiser over pymorphy3's Russian dictionary; build once, share between threads."""

    def __init__(self, *, cache_size: int = 200_000) -> None:
        import pymorphy3  # heavy: loaded only when a Morphology is built

        self._analyzer: Any = pymorphy3.MorphAnalyzer(lang="ru")
        self._lock = threading.Lock()
        self._parse = lru_cache(maxsize=cache_size)(self._parse_uncached)
        self._known = lru_cache(maxsize=cache_size)(self._known_uncached)
        self._name = lru_cache(maxsize=cache_size)(self._name_uncached)
        self._cases = lru_cache(maxsize=cache_size)(self._cases_uncached)
        self._animate = lru_cache(maxsize=cache_size)(self._animate_uncached)
        # A few dozen sets of cases in all: each kept once, not once per cached word.
        self._case_sets: dict[frozenset[str], frozenset[str]] = {}

    def _parse_uncached(self, word: str) -> tuple[str, str | None]:
        with self._lock:
            best = self._analyzer.parse(word)[0]
        return str(best.normal_form).replace("ё", "е"), best.tag.POS

    def _known_uncached(self, word: str) -> bool:
        # A dictionary lookup: a word the dictionary lacks is not parsed for this (guessing
        # its forms from its ending costs about 0.1 ms, and a typo never needs them).
        with self._lock:
            return bool(self._analyzer.word_is_known(word))

    def _cases_uncached(self, word: str) -> frozenset[str]:
        with self._lock:
            parses = self._analyzer.parse(word)
        cases = frozenset(str(p.tag.case) for p in parses if p.tag.case)
        return self._case_sets.setdefault(cases, cases)

    def _animate_uncached(self, word: str) -> bool:
        with self._lock:
            best = self._analyzer.parse(word)[0]
        return str(best.tag.animacy) == "anim"

    def _name_uncached(self, word: str) -> float:
        with self._lock:
            parses = self._analyzer.parse(word)
        return min(sum(float(p.score) for p in parses if p.tag.grammemes & NAME_GRAMMEMES), 1.0)

    def lemma(self, word: str) -> str:
        """The dictionary form of the word ("паролем" → "пароль")."""
        return self._parse(word)[0]

    def is_function_word(self, word: str) -> bool:
        """True for prepositions, conjunctions, particles, interjections and pronouns."""
        return self._parse(word)[1] in FUNCTION_POS

    def part_of_speech(self, word: str) -> str | None:
        """pymorphy3's part of speech of the word's likeliest reading ("оформить" → "INFN")."""
        return self._parse(word)[1]

    def is_known(self, word: str) -> bool:
        """True when the word is in the dictionary (not a guess from its ending)."""
        return self._known(word)

    def cases(self, word: str) -> frozenset[str]:
        """pymorphy3's grammatical cases of any reading of the word ("ребенка" → gent, accs;
        "где" → none)."""
        return self._cases(word)

    def is_animate(self, word: str) -> bool:
        """True when the likeliest reading of the word names a person or an animal
        ("ребенка", "врач"; not "прописку")."""
        return self._animate(word)

    def name_share(self, word: str) -> float:
        """How likely the lower-case word is a person's first name, surname or patronymic, 0-1
        ("мария" 1.0, "иванова" 0.8, "роман" 0.1: more often the noun)."""
        return self._name(word)


@cache
def shared_morphology() -> Morphology:
    """One Morphology for the process: pymorphy3's dictionary is loaded once, whoever asks
    first (a matcher, or the masking of a citizen's message)."""
    return Morphology()
