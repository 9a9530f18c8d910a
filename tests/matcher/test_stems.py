"""Stems a word family shares (`matcher.stems`)."""

from __future__ import annotations

import pytest

from matcher.settings import MatcherSettings
from matcher.stems import Stemmer

# Its module-scoped fixtures start once: the whole file runs in one test process.
pytestmark = pytest.mark.xdist_group("test_stems")


@pytest.fixture(scope="module")
def stemmer() -> Stemmer:
    return Stemmer(length=MatcherSettings().stem_length)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("загрузка", "загрузить"),
        ("прописка", "прописать"),
        ("оплата", "оплатить"),
        ("прикрепление", "прикреплять"),
        ("проверка", "проверить"),
        ("модерация", "модератор"),
    ],
)
def test_a_word_family_shares_a_stem(stemmer: Stemmer, one: str, other: str) -> None:
    assert stemmer.stem(one) == stemmer.stem(other)


@pytest.mark.parametrize(("one", "other"), [("пароль", "паспорт"), ("код", "кодекс")])
def test_other_words_keep_apart(stemmer: Stemmer, one: str, other: str) -> None:
    assert stemmer.stem(one) != stemmer.stem(other)


def test_folded_terms_are_kept_whole(stemmer: Stemmer) -> None:
    """A negated word or a synonym phrase is a term of its own, not a family."""
    assert stemmer.stem("не_понять") == "не_понять"
    assert stemmer.stem("личный_кабинет") == "личный_кабинет"
