"""Typo repair: two letters swapped are one edit; the letters-present filter must never
change which word is found."""

from __future__ import annotations

import pytest
from rapidfuzz import process
from rapidfuzz.distance import OSA

from matcher.typos import Speller

VOCABULARY = [
    "пароль",
    "парол",
    "паспорт",
    "портал",
    "госуслуги",
    "регистрация",
    "заявление",
    "заявлений",
    "эптс",
    "снилс",
    "e-mail",
    "личный_кабинет",
    "код",
    "кот",
    "2024",
]


def _closest(word: str) -> str | None:
    """What the speller finds, searching every word in its order (shortest, then a-z)."""
    ordered = sorted(VOCABULARY, key=lambda w: (len(w), w))
    pool = [w for w in ordered if abs(len(w) - len(word)) <= 2]
    found = process.extractOne(word, pool, scorer=OSA.distance, score_cutoff=2)
    if found is None or OSA.normalized_similarity(word, found[0]) < 0.8:
        return None
    return str(found[0])


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("паорль", "пароль"),  # two letters swapped: one edit
        ("аполрь", None),  # two pairs swapped: two edits in six letters, not similar enough
        ("пароли", "парол"),  # a tie with "пароль" at one edit: the shorter word comes first
        ("госуслги", "госуслуги"),
        ("госусулги", "госуслуги"),  # "лу" typed as "ул"
        ("пасрпот", None),  # "сп" typed as "рп": two edits in seven letters, not similar enough
        ("регестрация", "регистрация"),
        ("рехистрашия", "регистрация"),  # the word lacks two of its letters: still two edits
        ("регистрацияхх", "регистрация"),  # and it has two letters the word lacks
        ("заявлени", "заявление"),  # one edit from both forms: the first in a-z order
        ("e-mial", "e-mail"),
        ("e-mil", "e-mail"),
        ("личный_кабинт", "личный_кабинет"),
        ("личный_кабинетаа", "личный_кабинет"),  # longer than any word of the vocabulary
        ("снилс", "снилс"),
        ("абвгдеёж", None),
        ("2025", None),
    ],
)
def test_speller_finds_what_a_search_of_every_word_finds(word: str, expected: str | None) -> None:
    assert Speller(VOCABULARY).correct(word) == expected == _closest(word)
