"""Russian written in Latin letters by sound: read back when the text is that, and only then."""

from __future__ import annotations

import pytest

from matcher.translit import read_translit, readings

WORDS = {"забыл", "не", "приходит", "личный", "кабинет", "как", "войти", "эптс", "щит", "ту"}


def is_word(word: str) -> bool:
    return word in WORDS


@pytest.mark.parametrize(
    ("word", "first"),
    [
        ("zabyl", "забыл"),  # "y" is ы first, then й, then и
        ("shchit", "щит"),  # the longest sound first
        ("zhaloba", "жалоба"),
        ("khorosho", "хорошо"),
        ("parol'", "пароль"),
    ],
)
def test_the_likeliest_reading_comes_first(word: str, first: str) -> None:
    assert readings(word)[0] == first


def test_every_ambiguous_sound_is_tried_within_a_bound() -> None:
    assert "личный" in readings("lichnyj")
    assert "эптс" in readings("epts")  # "e" is е first, then э
    assert "мой" in readings("moy")
    assert len(readings("yyyyyyyy")) == 32
    assert readings("e-mail") == []  # not letters of a word written by sound


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("zabyl parol", "забыл парол"),  # the typo repair finishes "парол"
        ("ne prihodit sms", "не приходит sms"),  # SMS is a term as it is
        ("lichnyj kabinet", "личный кабинет"),
        ("как войти v lichnyj kabinet", "как войти в личный кабинет"),
        ("zabyl parol?!", "забыл парол?!"),  # punctuation stays where it was
        ("(zabyl), parol'", "(забыл), пароль"),
    ],
)
def test_a_russian_text_in_latin_letters_is_read_back(text: str, read: str) -> None:
    spoken, found = read_translit(text, is_word, keep={"sms"}.__contains__)
    assert spoken == read
    assert found >= 1


@pytest.mark.parametrize(
    "text", ["what is the weather", "chrome", "hello world", "забыл пароль", "vпароль zabyl2"]
)
def test_a_text_with_no_russian_reading_is_left_alone(text: str) -> None:
    assert read_translit(text, is_word) == (text, 0)
