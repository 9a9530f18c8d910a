"""Normalisation and keyboard-layout repair: pure functions, tables of inputs."""

from __future__ import annotations

import pytest

from matcher.layout import repair_layout, to_russian_layout
from matcher.normalize import fix_lookalikes, fold_case, words

KNOWN = {"забыл", "пароль", "привет", "где", "выписка", "не", "приходит", "смс", "код"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ЁЛКА Ёж", "елка еж"),
        ("ＰＡＲＯＬＬ", "paroll"),  # full-width letters folded by NFKC
        ("Забыл   Пароль!!!", "забыл   пароль!!!"),
    ],
)
def test_fold_case(text: str, expected: str) -> None:
    assert fold_case(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("не приходит смс!!! 😡😡", ["не", "приходит", "смс"]),
        ("из-за чего? e-mail...", ["из-за", "чего", "e-mail"]),
        ("«Госуслуги» — не работают", ["госуслуги", "не", "работают"]),
        ("🙂🙂🙂", []),
    ],
)
def test_words_drop_punctuation_and_emoji(text: str, expected: list[str]) -> None:
    assert words(fold_case(text)) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("пaрoль", "пароль"),  # Latin a and o inside a Russian word
        ("cмc", "смс"),  # all three letters Latin look-alikes next to Cyrillic
        ("chrоme", "chrome"),  # a Cyrillic о inside a Latin word without Cyrillic twins
        ("пароль", "пароль"),
        ("google", "google"),
    ],
)
def test_fix_lookalikes(word: str, expected: str) -> None:
    assert fix_lookalikes(word) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("pf,sk gfhjkm", "забыл пароль"),
        ("ghbdtn", "привет"),
        ("ult dsgbcrf", "где выписка"),
        ("yt ghbkjlbn cvc", "не ghbkjlbn смс"),  # only words the dictionary knows convert
        ("забыл пароль", "забыл пароль"),
        ("vin", "vin"),  # a real Latin term stays
        ("google chrome", "google chrome"),
    ],
)
def test_repair_layout(typed: str, expected: str) -> None:
    keep = {"vin", "google", "chrome"}.__contains__
    assert repair_layout(typed, KNOWN.__contains__, keep=keep) == expected


def test_to_russian_layout_covers_punctuation_keys() -> None:
    assert to_russian_layout(",.;'[]`") == "бюжэхъё"
