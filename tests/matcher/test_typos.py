"""Typo repair: two letters swapped are one edit; the letters-present filter must never
change which word is found."""

from __future__ import annotations

import random

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


LETTERS = "абвеилнорстя"


def _brute_force(vocabulary: list[str], word: str, edits: int) -> str | None:
    """The closest word by a search of every word, at most `edits` edits and 80% similar."""
    ordered = sorted({w for w in vocabulary if len(w) >= 3}, key=lambda w: (len(w), w))
    found = process.extractOne(word, ordered, scorer=OSA.distance, score_cutoff=edits)
    if found is None or OSA.normalized_similarity(word, found[0]) < 0.8:
        return None
    return str(found[0])


def _edited(rng: random.Random, word: str, edits: int) -> str:
    """`word` after `edits` random edits: two neighbours swapped, a letter added, dropped or
    replaced."""
    for _ in range(edits):
        i = rng.randrange(len(word) + 1)
        kind = rng.choice(("swap", "insert", "delete", "replace"))
        if kind == "insert" or not word:
            word = word[:i] + rng.choice(LETTERS) + word[i:]
        elif kind == "swap" and len(word) > 1:
            i = min(i, len(word) - 2)
            word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        elif kind == "delete":
            i = min(i, len(word) - 1)
            word = word[:i] + word[i + 1 :]
        else:
            i = min(i, len(word) - 1)
            word = word[:i] + rng.choice(LETTERS) + word[i + 1 :]
    return word


@pytest.mark.parametrize("edits", [2, 1, 0])
@pytest.mark.parametrize("seed", range(4))
def test_the_one_edit_lookup_finds_what_a_search_of_every_word_finds(seed: int, edits: int) -> None:
    # Words of few letters, many of them one or two edits apart: every tie and near miss the
    # deletions' lookup could get wrong comes up, at every length either side of eight
    # letters (from which two edits may be 80% similar).
    rng = random.Random(seed)
    vocabulary = [
        "".join(rng.choice(LETTERS) for _ in range(rng.randint(2, 12))) for _ in range(600)
    ]
    speller = Speller(vocabulary, max_distance=edits)
    asked = [_edited(rng, rng.choice(vocabulary), rng.randint(0, 3)) for _ in range(1500)]
    repaired = [speller.correct(word) for word in asked]
    assert repaired == [_brute_force(vocabulary, word, edits) for word in asked]
    # Words are found and not found many times (with no edit allowed, only the unedited).
    assert sum(r is not None for r in repaired) > (150 if edits == 0 else 500)
    assert sum(r is None for r in repaired) > 200
